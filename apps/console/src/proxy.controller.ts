import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors, badRequest, DomainHttpException } from '@jpki/service-kit';
import type { ConsoleConfig } from './config';
import { requireConsoleRequest } from './console-request';
import { Sessions, sessionToken } from './sessions';
import { CONSOLE_CONFIG } from './tokens';

const UPSTREAM_TIMEOUT_MS = 15_000;

/**
 * The services' operator APIs the console pages use, forwarded with the session's operator token as the bearer. Only
 * these routes are forwarded; the service behind each decides (roles, carrier scope) and audits, and its answer —
 * refusals with their reason included — is passed back unchanged.
 */
@ApiTags('proxy')
@Controller('api')
export class ProxyController {
  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    @Inject(Sessions) private readonly sessions: Sessions,
  ) {}

  @Get('lifecycle/phones')
  @ApiOperation({ summary: 'lifecycle GET /phones (one of serial, iccid, msisdn, personId, enrollmentId, imei)' })
  @ApiErrors(400, 401, 403, 404, 502)
  phones(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/phones');
  }

  @Get('lifecycle/cases')
  @ApiOperation({ summary: 'lifecycle GET /cases' })
  @ApiErrors(400, 401, 403, 502)
  cases(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/cases');
  }

  @Get('lifecycle/cases/:caseId')
  @ApiOperation({ summary: 'lifecycle GET /cases/{caseId} (with the saga history)' })
  @ApiErrors(401, 403, 404, 502)
  caseById(@Param('caseId') caseId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, `/cases/${encodeURIComponent(caseId)}`);
  }

  @Get('lifecycle/audit')
  @ApiOperation({ summary: 'lifecycle GET /audit (auditors, platform scope)' })
  @ApiErrors(400, 401, 403, 502)
  audit(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/audit');
  }

  @Post('lifecycle/loss-reports')
  @HttpCode(202)
  @ApiOperation({ summary: 'lifecycle POST /loss-reports' })
  @ApiErrors(400, 401, 403, 404, 409, 502)
  loss(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/loss-reports', body);
  }

  @Post('lifecycle/found-reports')
  @HttpCode(202)
  @ApiOperation({ summary: 'lifecycle POST /found-reports' })
  @ApiErrors(400, 401, 403, 404, 409, 502)
  found(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/found-reports', body);
  }

  @Post('lifecycle/revocations')
  @HttpCode(202)
  @ApiOperation({ summary: 'lifecycle POST /revocations (RFC 5280 reason)' })
  @ApiErrors(400, 401, 403, 404, 409, 502)
  revocation(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/revocations', body);
  }

  @Post('lifecycle/cases/:caseId/follow-ups')
  @HttpCode(200)
  @ApiOperation({ summary: 'lifecycle POST /cases/{caseId}/follow-ups: follow up a case waiting for the phone' })
  @ApiErrors(400, 401, 403, 404, 409, 502)
  followUp(@Param('caseId') caseId: string, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, `/cases/${encodeURIComponent(caseId)}/follow-ups`, body);
  }

  @Post('lifecycle/reenrollment-notices')
  @HttpCode(202)
  @ApiOperation({ summary: 'lifecycle POST /reenrollment-notices: tell a holder again that they must apply again' })
  @ApiErrors(400, 401, 403, 404, 409, 502)
  reenrollmentNotice(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.LIFECYCLE_URL, '/reenrollment-notices', body);
  }

  @Post('mno-tsm/:carrier/subscribers/:msisdn/contract-end')
  @HttpCode(200)
  @ApiOperation({ summary: 'the carrier’s MNO-TSM POST /subscribers/{msisdn}/contract-end (that carrier’s operators); the lifecycle contract-end case follows' })
  @ApiErrors(400, 401, 403, 404, 409, 502)
  contractEnd(@Param('carrier') carrier: string, @Param('msisdn') msisdn: string, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.mnoTsm(carrier), `/subscribers/${encodeURIComponent(msisdn)}/contract-end`, body);
  }

  @Get('mno-tsm/:carrier/ota-queue')
  @ApiOperation({ summary: 'the carrier’s MNO-TSM GET /ota-queue: card operations waiting, per state, with the oldest one’s age' })
  @ApiErrors(400, 401, 403, 502)
  otaQueue(@Param('carrier') carrier: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.mnoTsm(carrier), '/ota-queue');
  }

  @Get('ca/citizens/:personId')
  @ApiOperation({ summary: 'jpki-ca GET /citizens/{personId}: the person and their certificates (operators)' })
  @ApiErrors(400, 401, 403, 404, 502)
  citizen(@Param('personId') personId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.JPKI_CA_URL, `/citizens/${encodeURIComponent(personId)}`);
  }

  @Get('sp-tsm/enrollments/:enrollmentId')
  @ApiOperation({ summary: 'sp-tsm GET /enrollments/{id}: state, steps and timings of the enrollment the lifecycle phone view names' })
  @ApiErrors(401, 404, 502)
  enrollment(@Param('enrollmentId') enrollmentId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.SP_TSM_URL, `/enrollments/${encodeURIComponent(enrollmentId)}`);
  }

  @Get('vsim/sims/:iccid')
  @ApiOperation({ summary: 'vsim GET /sims/{iccid}: the card as its registry reports it (SSD, applet, keysets; auditors, carrier-scoped)' })
  @ApiErrors(400, 401, 403, 404, 502)
  sim(@Param('iccid') iccid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(req, res, this.config.VSIM_URL, `/sims/${encodeURIComponent(iccid)}`);
  }

  private mnoTsm(carrier: string): string {
    const urls: Record<string, string> = { docomo: this.config.MNO_TSM_DOCOMO_URL, kddi: this.config.MNO_TSM_KDDI_URL, softbank: this.config.MNO_TSM_SOFTBANK_URL };
    const url = Object.hasOwn(urls, carrier) ? urls[carrier] : undefined;
    if (!url) throw badRequest('CARRIER_UNKNOWN', `no MNO-TSM for carrier ${carrier.slice(0, 32)}: docomo, kddi or softbank`);
    return url;
  }

  private async forward(req: Request, res: Response, base: string, path: string, body?: unknown): Promise<void> {
    if (req.method !== 'GET') requireConsoleRequest(req);
    const token = sessionToken(req.headers.cookie);
    if (!(await this.sessions.principal(token))) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'SIGNED_OUT', 'not signed in, or the session expired');
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(`${base}${path}${query}`, {
        method: req.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(req.header('x-correlation-id') ? { 'x-correlation-id': String(req.header('x-correlation-id')).slice(0, 128) } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
    } catch (err) {
      throw new DomainHttpException(HttpStatus.BAD_GATEWAY, 'UPSTREAM_UNAVAILABLE', `${new URL(base).host} did not answer: ${(err as Error).message}`);
    }
    res.status(upstream.status);
    res.setHeader('content-type', upstream.headers.get('content-type') ?? 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.send(Buffer.from(await upstream.arrayBuffer()));
  }
}
