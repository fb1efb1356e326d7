import { Controller, Delete, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { ApiErrors, ApiZodBody, ApiZodResponse, badRequest, ValidBody } from '@jpki/service-kit';
import { openChannelBody, openChannelResponse, transmitBody, transmitResponse } from '../http-schemas';
import { HANDSET_SIGNATURE_HEADER } from './handset-auth';
import { Handset, HandsetAuthGuard, type HandsetCaller } from './handset-auth.guard';
import { HandsetService } from './handset.service';

function parseChannel(value: string): number {
  const channel = Number(value);
  if (!/^[1-3]$/.test(value)) throw badRequest('CHANNEL_INVALID', 'handset logical channels are 1-3');
  return channel;
}

/**
 * OMAPI-like handset channel for the device / JPKI-UI app: the terminal side of the card in the phone. Only the
 * handset the card (SIM or eSE) is in may call it (signed requests, `HandsetAuthGuard`); ARA-style rules (allowed applet AIDs, APDU
 * filters) limit what it may do; a channel belongs to the handset session that opened it.
 */
@ApiTags('handset')
@Controller('sims/:seid/channels')
@UseGuards(HandsetAuthGuard)
@ApiHeader({
  name: HANDSET_SIGNATURE_HEADER,
  required: true,
  description:
    'v1 imei=<15 digits>;session=<8-64 of A-Za-z0-9_->;ts=<ms since epoch>;nonce=<16-64 base64url>;sig=<base64url Ed25519 signature> over ' +
    '"JPKI-HANDSET-REQUEST-V1\\n<seid>\\n<imei>\\n<session>\\n<METHOD>\\n<path>\\n<hex SHA-256 of the JSON body, empty body = "">\\n<ts>\\n<nonce>" ' +
    'with the device key of the handset the card was put in (PUT /sims/{seid}/handset-binding). 401 HANDSET_AUTH_REQUIRED / HANDSET_AUTH_MALFORMED / ' +
    'HANDSET_REQUEST_STALE / HANDSET_SIGNATURE_INVALID / HANDSET_REQUEST_REPLAYED; 403 HANDSET_NOT_BOUND (another handset, or none).',
})
export class HandsetController {
  constructor(private readonly handset: HandsetService) {}

  @Post()
  @ApiOperation({ summary: 'Open a logical channel to an applet (MANAGE CHANNEL [open] + SELECT by AID); idle channels of this handset are closed first' })
  @ApiParam({ name: 'seid' })
  @ApiZodBody(openChannelBody)
  @ApiZodResponse(201, openChannelResponse, 'channel opened, applet selected')
  @ApiErrors(400, 401, 403, 404, 409)
  open(@Handset() caller: HandsetCaller, @ValidBody(openChannelBody) body: z.infer<typeof openChannelBody>) {
    return this.handset.openChannel(caller, body.aid);
  }

  @Post(':channel/transmit')
  @HttpCode(200)
  @ApiOperation({ summary: 'Transmit a command APDU on a channel this session opened; the response always ends in a status word' })
  @ApiParam({ name: 'seid' })
  @ApiParam({ name: 'channel', schema: { type: 'integer', minimum: 1, maximum: 3 } })
  @ApiZodBody(transmitBody)
  @ApiZodResponse(200, transmitResponse, 'the card answered')
  @ApiErrors(400, 401, 403, 404, 409)
  transmit(@Handset() caller: HandsetCaller, @Param('channel') channel: string, @ValidBody(transmitBody) body: z.infer<typeof transmitBody>) {
    return this.handset.transmit(caller, parseChannel(channel), body.apdu);
  }

  @Delete(':channel')
  @HttpCode(204)
  @ApiOperation({ summary: 'Close a logical channel this session opened (MANAGE CHANNEL [close])' })
  @ApiParam({ name: 'seid' })
  @ApiParam({ name: 'channel', schema: { type: 'integer', minimum: 1, maximum: 3 } })
  @ApiErrors(400, 401, 403, 404, 409)
  async close(@Handset() caller: HandsetCaller, @Param('channel') channel: string): Promise<void> {
    await this.handset.closeChannel(caller, parseChannel(channel));
  }
}
