import { Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { iccidSchema } from '@jpki/contracts';
import { ApiErrors, ApiZodBody, ApiZodResponse, badRequest, ValidBody } from '@jpki/service-kit';
import { openChannelBody, openChannelResponse, transmitBody, transmitResponse } from '../http-schemas';
import { HandsetService } from './handset.service';

export function parseIccid(value: string): string {
  if (!iccidSchema.safeParse(value).success) throw badRequest('ICCID_INVALID', 'ICCID: 19-20 digits starting with 89');
  return value;
}

function parseChannel(value: string): number {
  const channel = Number(value);
  if (!/^[1-3]$/.test(value)) throw badRequest('CHANNEL_INVALID', 'handset logical channels are 1-3');
  return channel;
}

/**
 * OMAPI-like handset channel for the device / JPKI-UI app: the terminal side of the card in the phone. Access is
 * limited by ARA-style rules (allowed applet AIDs, APDU filters), not by operator roles: whoever reaches this API
 * plays the handset.
 */
@ApiTags('handset')
@Controller('sims/:iccid/channels')
export class HandsetController {
  constructor(private readonly handset: HandsetService) {}

  @Post()
  @ApiOperation({ summary: 'Open a logical channel to an applet (MANAGE CHANNEL [open] + SELECT by AID)' })
  @ApiParam({ name: 'iccid' })
  @ApiZodBody(openChannelBody)
  @ApiZodResponse(201, openChannelResponse, 'channel opened, applet selected')
  @ApiErrors(400, 403, 404, 409)
  open(@Param('iccid') iccid: string, @ValidBody(openChannelBody) body: z.infer<typeof openChannelBody>) {
    return this.handset.openChannel(parseIccid(iccid), body.aid);
  }

  @Post(':channel/transmit')
  @HttpCode(200)
  @ApiOperation({ summary: 'Transmit a command APDU on an open channel; the response always ends in a status word' })
  @ApiParam({ name: 'iccid' })
  @ApiParam({ name: 'channel', schema: { type: 'integer', minimum: 1, maximum: 3 } })
  @ApiZodBody(transmitBody)
  @ApiZodResponse(200, transmitResponse, 'the card answered')
  @ApiErrors(400, 403, 404, 409)
  transmit(@Param('iccid') iccid: string, @Param('channel') channel: string, @ValidBody(transmitBody) body: z.infer<typeof transmitBody>) {
    return this.handset.transmit(parseIccid(iccid), parseChannel(channel), body.apdu);
  }

  @Delete(':channel')
  @HttpCode(204)
  @ApiOperation({ summary: 'Close a logical channel (MANAGE CHANNEL [close])' })
  @ApiParam({ name: 'iccid' })
  @ApiParam({ name: 'channel', schema: { type: 'integer', minimum: 1, maximum: 3 } })
  @ApiErrors(400, 404, 409)
  async close(@Param('iccid') iccid: string, @Param('channel') channel: string): Promise<void> {
    await this.handset.closeChannel(parseIccid(iccid), parseChannel(channel));
  }
}
