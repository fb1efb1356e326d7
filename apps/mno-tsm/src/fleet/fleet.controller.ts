import { Controller, Get, HttpCode, Inject, Param, Post, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { iccidSchema, msisdnSchema } from '@jpki/contracts';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodQuery,
  ApiZodResponse,
  badRequest,
  Operator,
  OperatorAudit,
  type OperatorPrincipal,
  RefusedCallAuditFilter,
  RequireRoles,
  ValidBody,
  ValidQuery,
} from '@jpki/service-kit';
import type { MnoTsmSettings } from '../config';
import { MNO_SETTINGS } from '../tokens';
import { FleetService } from './fleet.service';
import {
  auditQuerySchema,
  createSubscriberSchema,
  handsetChangeSchema,
  listSubscribersSchema,
  msisdnChangeSchema,
  operationsQuerySchema,
  otaBacklogSchema,
  reasonSchema,
  simSwapSchema,
  simViewSchema,
  subscriberViewSchema,
} from './schemas';

const msisdnParam = (value: string) => {
  const parsed = msisdnSchema.safeParse(value);
  if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'MSISDN: +81 70/80/90 followed by 8 digits (URL-encode + as %2B)');
  return parsed.data;
};
const MsisdnParam = () => ApiParam({ name: 'msisdn', description: 'E.164 MSISDN, e.g. %2B819012345678', example: '+819012345678' });

/**
 * Operator API of the carrier's fleet. Only this carrier's operators (a token scoped to it) and the platform
 * integrator get in (403 CARRIER_SCOPE otherwise). Writes need the `operator` or `integrator` role; reads also
 * accept `auditor`. Every call is audited (who, what, when, outcome); writes with their refusals, and calls the
 * authentication refused under their route.
 */
@ApiTags('subscribers and SIM fleet')
@Controller()
@UseFilters(RefusedCallAuditFilter)
export class FleetController {
  constructor(
    private readonly fleet: FleetService,
    private readonly audit: OperatorAudit,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {}

  @Get('profile')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({ summary: 'The carrier profile in force (defaults from contracts, overridden by configuration)' })
  @ApiErrors(401, 403)
  async profile(@Operator() op: OperatorPrincipal): Promise<Record<string, unknown>> {
    await this.audit.recordRead(op, 'profile.read', this.settings.carrier);
    return { ...this.settings.profile, isdAid: this.settings.isdAid, isdKvn: this.settings.isdKvn, scriptTampering: this.settings.tampering };
  }

  @Post('subscribers')
  @RequireRoles('operator', 'integrator')
  @ApiOperation({
    summary: 'New subscriber with a new SIM',
    description:
      'Allocates an ICCID (carrier prefix + serial + Luhn digit), derives the ISD keyset and asks the vSIM to manufacture the card ' +
      '(`ota.sim.manufacture-requested`, keyset sealed to `vsim`). The subscriber is `provisioning` until `ota.sim.manufactured` arrives.',
  })
  @ApiZodBody(createSubscriberSchema)
  @ApiZodResponse(201, subscriberViewSchema, 'the subscriber, provisioning')
  @ApiErrors(400, 401, 403, 409, 422)
  create(@Operator() op: OperatorPrincipal, @ValidBody(createSubscriberSchema) body: z.infer<typeof createSubscriberSchema>) {
    return this.fleet.createSubscriber(op, body);
  }

  @Get('subscribers')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({ summary: 'List subscribers, newest first' })
  @ApiZodQuery(listSubscribersSchema)
  @ApiZodResponse(200, z.array(subscriberViewSchema), 'subscribers')
  @ApiErrors(400, 401, 403)
  async list(@Operator() op: OperatorPrincipal, @ValidQuery(listSubscribersSchema) q: z.infer<typeof listSubscribersSchema>) {
    await this.audit.recordRead(op, 'subscriber.list', null, q);
    return this.fleet.list(q);
  }

  @Get('subscribers/:msisdn')
  @RequireRoles('operator', 'integrator', 'auditor')
  @MsisdnParam()
  @ApiOperation({ summary: 'One subscriber (the live one, else the latest cancelled contract)' })
  @ApiZodResponse(200, subscriberViewSchema, 'the subscriber')
  @ApiErrors(400, 401, 403, 404)
  async get(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string) {
    const target = msisdnParam(msisdn);
    await this.audit.recordRead(op, 'subscriber.read', target);
    return this.fleet.find(target);
  }

  @Post('subscribers/:msisdn/sim-swap')
  @HttpCode(202)
  @RequireRoles('operator', 'integrator')
  @MsisdnParam()
  @ApiOperation({
    summary: 'SIM swap: a new SIM for the MSISDN',
    description: 'Manufactures a new SIM; when it reports manufactured the subscriber moves to it, the old SIM is retired and `mno.subscriber.sim-swapped` is published.',
  })
  @ApiZodBody(simSwapSchema)
  @ApiZodResponse(202, subscriberViewSchema, 'the subscriber with `pendingSimSwap` set')
  @ApiErrors(400, 401, 403, 404, 409, 422)
  simSwap(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string, @ValidBody(simSwapSchema) body: z.infer<typeof simSwapSchema>) {
    return this.fleet.simSwap(op, msisdnParam(msisdn), body.generation);
  }

  @Post('subscribers/:msisdn/msisdn-change')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @MsisdnParam()
  @ApiOperation({ summary: 'MSISDN change (publishes `mno.subscriber.msisdn-changed`)' })
  @ApiZodBody(msisdnChangeSchema)
  @ApiZodResponse(200, subscriberViewSchema, 'the subscriber under its new MSISDN')
  @ApiErrors(400, 401, 403, 404, 409, 422)
  changeMsisdn(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string, @ValidBody(msisdnChangeSchema) body: z.infer<typeof msisdnChangeSchema>) {
    return this.fleet.changeMsisdn(op, msisdnParam(msisdn), body.newMsisdn);
  }

  @Post('subscribers/:msisdn/handset-change')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @MsisdnParam()
  @ApiOperation({ summary: 'Handset change: new IMEI (publishes `mno.subscriber.handset-changed`)' })
  @ApiZodBody(handsetChangeSchema)
  @ApiZodResponse(200, subscriberViewSchema, 'the subscriber')
  @ApiErrors(400, 401, 403, 404, 409, 422)
  changeHandset(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string, @ValidBody(handsetChangeSchema) body: z.infer<typeof handsetChangeSchema>) {
    return this.fleet.changeHandset(op, msisdnParam(msisdn), body.imei);
  }

  @Post('subscribers/:msisdn/contract-end')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @MsisdnParam()
  @ApiOperation({ summary: 'Contract end: subscriber cancelled, SIM deactivated (publishes `mno.subscriber.contract-ended`)' })
  @ApiZodBody(reasonSchema)
  @ApiZodResponse(200, subscriberViewSchema, 'the cancelled subscriber')
  @ApiErrors(400, 401, 403, 404, 409)
  endContract(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.fleet.endContract(op, msisdnParam(msisdn), body.note);
  }

  @Post('subscribers/:msisdn/suspend')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @MsisdnParam()
  @ApiOperation({ summary: 'Suspend the subscription (eligibility then answers SUBSCRIBER_NOT_ACTIVE)' })
  @ApiZodBody(reasonSchema)
  @ApiZodResponse(200, subscriberViewSchema, 'the suspended subscriber')
  @ApiErrors(400, 401, 403, 404, 409)
  suspend(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.fleet.setSuspended(op, msisdnParam(msisdn), true, body.note);
  }

  @Post('subscribers/:msisdn/resume')
  @HttpCode(200)
  @RequireRoles('operator', 'integrator')
  @MsisdnParam()
  @ApiOperation({ summary: 'Resume a suspended subscription' })
  @ApiZodBody(reasonSchema)
  @ApiZodResponse(200, subscriberViewSchema, 'the active subscriber')
  @ApiErrors(400, 401, 403, 404, 409)
  resume(@Operator() op: OperatorPrincipal, @Param('msisdn') msisdn: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.fleet.setSuspended(op, msisdnParam(msisdn), false, body.note);
  }

  @Get('sims/:iccid')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiParam({ name: 'iccid' })
  @ApiOperation({ summary: 'A SIM with its SSD registry (handover records: who, when, KCVs — never keys) and OTA queue' })
  @ApiZodResponse(200, simViewSchema, 'the SIM')
  @ApiErrors(400, 401, 403, 404)
  async sim(@Operator() op: OperatorPrincipal, @Param('iccid') iccid: string) {
    const parsed = iccidSchema.safeParse(iccid);
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', 'ICCID: 19–20 digits starting with 89');
    await this.audit.recordRead(op, 'sim.read', parsed.data);
    return this.fleet.sim(parsed.data);
  }

  @Get('operations')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({ summary: 'TSM operations requested by the SP-TSM, newest first' })
  @ApiZodQuery(operationsQuerySchema)
  @ApiErrors(400, 401, 403)
  async operations(@Operator() op: OperatorPrincipal, @ValidQuery(operationsQuerySchema) q: z.infer<typeof operationsQuerySchema>) {
    await this.audit.recordRead(op, 'operations.read', q.iccid ?? null);
    return this.fleet.operations(q);
  }

  @Get('ota-queue')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({
    summary: 'Card operations waiting: counts per state and operation, with the oldest one’s age',
    description:
      'The OTA queue (lock, unlock, delete; `waiting-for-phone` once the card was found unreachable — it runs when the phone comes back) ' +
      'and SP scripts forwarded whose answer is awaited (`forwarding`). Counts only, no SIM named.',
  })
  @ApiZodResponse(200, otaBacklogSchema, 'counts')
  @ApiErrors(401, 403)
  async otaQueue(@Operator() op: OperatorPrincipal) {
    await this.audit.recordRead(op, 'ota-queue.read', null);
    return this.fleet.otaBacklog();
  }

  @Get('audit-log')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({ summary: 'Operator audit log, newest first (who, roles, action, target, outcome, when)' })
  @ApiZodQuery(auditQuerySchema)
  @ApiErrors(400, 401, 403)
  async auditLog(@Operator() op: OperatorPrincipal, @ValidQuery(auditQuerySchema) q: z.infer<typeof auditQuerySchema>) {
    await this.audit.recordRead(op, 'audit-log.read', null, q);
    return this.audit.list(q);
  }
}
