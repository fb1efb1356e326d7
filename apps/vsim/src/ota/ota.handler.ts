import { createHash } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { z } from 'zod/v4';
import { OtaScriptCompleted, OtaScriptRequested, SimManufactured, SimManufactureRequested, type PayloadOf } from '@jpki/contracts';
import { GpError, hex, Scp03KeySet } from '@jpki/globalplatform';
import { MessageContext, NonRetriableError } from '@jpki/messaging';
import { counter, createLogger } from '@jpki/observability';
import { Clock, SERVICE_CONFIG, ServiceKeys, type BaseConfig } from '@jpki/service-kit';
import { DEFAULT_ISD_AID, VirtualUicc } from '@jpki/uicc';
import { OtaBearer } from '../bearer/ota-bearer';
import { CardStore, type SeRow } from '../cards/card-store';
import { bearerOf, cardAddressOf, seAddressOf, type CardAddress } from '../cards/se-address';
import { runScript } from './script-runner';

type ScriptRequest = PayloadOf<typeof OtaScriptRequested>;
type ManufactureRequest = PayloadOf<typeof SimManufactureRequested>;
type Outcome = PayloadOf<typeof OtaScriptCompleted>['outcome'];

const hexKey = z.string().regex(/^([0-9A-Fa-f]{2})+$/);
/** The ISD keyset a TSM seals to us (an MNO-TSM for a SIM, the SE-management TSM for an eSE): `{kvn, enc, mac, dek}`; kvn a number or two hex digits. */
const isdKeysetSchema = z.object({
  kvn: z.union([z.number().int().min(0).max(255), z.string().regex(/^[0-9A-Fa-f]{2}$/).transform((s) => parseInt(s, 16))]),
  enc: hexKey,
  mac: hexKey,
  dek: hexKey,
});

/** SHA-256 over the command APDUs (upper-case hex, newline separated). */
export function scriptDigest(apdus: readonly string[]): string {
  return createHash('sha256').update(apdus.map((a) => a.toUpperCase()).join('\n')).digest('hex');
}

/**
 * The OTA bearer's card end: manufacture requests and command scripts from each carrier's MNO-TSM for its SIMs, and
 * from the SE-management TSM for embedded SEs (`ota.ese.down`); one path for both kinds. Each handler runs in the
 * inbox transaction, so the card's new image, the script's stored result and the response in the outbox commit
 * together or not at all.
 */
@Controller()
export class OtaHandler {
  private readonly log: ReturnType<typeof createLogger>;
  private readonly scripts = counter('vsim_ota_scripts_total', 'OTA scripts received, by bearer and outcome', ['bearer', 'outcome']);
  private readonly manufactured = counter('vsim_sims_manufactured_total', 'Blank cards (SIMs and eSEs) manufactured', ['bearer']);

  constructor(
    private readonly cards: CardStore,
    private readonly bearer: OtaBearer,
    private readonly keys: ServiceKeys,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) config: BaseConfig,
  ) {
    this.log = createLogger('vsim.ota', config.LOG_LEVEL);
  }

  @EventPattern(SimManufactureRequested.type)
  async onManufactureRequested(@Payload() request: ManufactureRequest, @Ctx() ctx: MessageContext): Promise<void> {
    const address = cardAddressOf(request);
    const existing = await this.cards.lock(ctx.manager, address.seid);
    if (existing) {
      if (existing.carrier !== address.carrier || existing.generation !== request.generation) {
        throw new NonRetriableError('SEID_CONFLICT', `${address.seid} exists as a ${existing.carrier ?? 'eSE'} ${existing.generation} card`);
      }
      this.log.info({ seid: address.seid, bearer: bearerOf(address) }, 'manufacture re-requested: card exists, confirmation sent again');
      await ctx.publish(SimManufactured, { ...seAddressOf(address), isdAid: existing.isdAid });
      return;
    }
    const isdAid = hex(DEFAULT_ISD_AID);
    const card = this.manufacture(request, address.seid);
    if (!(await this.cards.insert(ctx.manager, card, { ...address, generation: request.generation, isdAid }))) {
      throw new Error(`${address.seid} was manufactured concurrently; the retry will see it`);
    }
    this.manufactured.inc({ bearer: bearerOf(address) });
    this.log.info({ seid: address.seid, kind: address.kind, carrier: address.carrier, generation: request.generation, memoryQuotaBytes: request.memoryQuotaBytes }, 'card manufactured');
    await ctx.publish(SimManufactured, { ...seAddressOf(address), isdAid });
  }

  @EventPattern(OtaScriptRequested.type)
  async onScriptRequested(@Payload() script: ScriptRequest, @Ctx() ctx: MessageContext): Promise<void> {
    const address = cardAddressOf(script);
    const bearer = bearerOf(address);
    await this.bearer.transit(bearer);
    const se = await this.cards.lock(ctx.manager, address.seid);
    if (!se) {
      return this.complete(ctx, script, address, 'unknown-sim', []);
    }
    if (se.carrier !== address.carrier) {
      throw new NonRetriableError('SIM_CARRIER_MISMATCH', `${address.seid} is a ${se.carrier} SIM, not ${address.carrier}`);
    }
    if (!se.handsetOn) {
      return this.complete(ctx, script, address, 'unreachable', []);
    }
    const messageId = ctx.envelope.messageId;
    if (this.bearer.lost(bearer, 'downlink', messageId)) {
      this.scripts.inc({ bearer, outcome: 'downlink-lost' });
      this.log.info({ scriptId: script.scriptId, seid: address.seid, bearer }, 'OTA downlink lost: script not delivered to the card');
      return;
    }
    const responses = await this.runOnce(ctx, script, se);
    if (this.bearer.lost(bearer, 'uplink', messageId)) {
      this.scripts.inc({ bearer, outcome: 'uplink-lost' });
      this.log.info({ scriptId: script.scriptId, seid: address.seid, bearer }, 'OTA uplink lost: result stored, response not delivered');
      return;
    }
    await ctx.manager.query(`UPDATE ota_script SET deliveries = deliveries + 1, last_delivered_at = $2 WHERE script_id = $1`, [
      script.scriptId,
      this.clock.now(),
    ]);
    await this.complete(ctx, script, address, 'executed', responses);
  }

  /** The script's responses: stored ones for a script id already executed, else those of running it on the card now. */
  private async runOnce(ctx: MessageContext, script: ScriptRequest, se: SeRow): Promise<string[]> {
    const digest = scriptDigest(script.apdus);
    const stored: { seid: string; request_digest: string; responses: string[] }[] = await ctx.manager.query(
      `SELECT seid, request_digest, responses FROM ota_script WHERE script_id = $1`,
      [script.scriptId],
    );
    if (!stored[0]) return this.run(ctx, script, se, digest);
    if (stored[0].seid !== se.seid || stored[0].request_digest !== digest) {
      throw new NonRetriableError('SCRIPT_ID_CONFLICT', `script ${script.scriptId} was executed with other commands or for another card`);
    }
    this.scripts.inc({ bearer: bearerOf(se), outcome: 'replayed' });
    this.log.info({ scriptId: script.scriptId, seid: se.seid }, 'script re-sent: stored result returned, nothing executed');
    return stored[0].responses;
  }

  private async run(ctx: MessageContext, script: ScriptRequest, se: SeRow, digest: string): Promise<string[]> {
    const handle = this.cards.checkout(se);
    const responses = runScript(
      script.apdus.map((a) => Buffer.from(a, 'hex')),
      (apdu) => handle.transmit(apdu, 'ota'),
    );
    await this.cards.save(ctx.manager, handle);
    await ctx.manager.query(
      `INSERT INTO ota_script (script_id, seid, carrier, request_digest, responses, executed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [script.scriptId, se.seid, se.carrier, digest, JSON.stringify(responses), this.clock.now()],
    );
    this.scripts.inc({ bearer: bearerOf(se), outcome: 'executed' });
    this.log.info(
      {
        scriptId: script.scriptId,
        seid: se.seid,
        commands: script.apdus.length,
        executed: responses.length,
        lastSw: responses[responses.length - 1]?.slice(-4),
        revision: se.revision,
      },
      'OTA script executed',
    );
    return responses;
  }

  private async complete(ctx: MessageContext, script: ScriptRequest, address: CardAddress, outcome: Outcome, responses: string[]): Promise<void> {
    if (outcome !== 'executed') {
      this.scripts.inc({ bearer: bearerOf(address), outcome });
      this.log.info({ scriptId: script.scriptId, seid: address.seid, outcome }, 'OTA script not executed');
    }
    await ctx.publish(OtaScriptCompleted, { scriptId: script.scriptId, ...seAddressOf(address), outcome, responses });
  }

  private manufacture(request: ManufactureRequest, seid: string): VirtualUicc {
    const isdKeyset = this.openIsdKeyset(request, seid);
    try {
      return VirtualUicc.manufacture({ iccid: seid, isdKeyset, memoryQuotaBytes: request.memoryQuotaBytes }, { keyPairFactory: this.cards.keyPairFactory });
    } catch (error) {
      throw new NonRetriableError('SIM_PARAMETERS_INVALID', (error as Error).message);
    }
  }

  private openIsdKeyset(request: ManufactureRequest, seid: string): Scp03KeySet {
    let plaintext: Buffer;
    try {
      plaintext = this.keys.openSealed(request.isdKeyset, `isd-keyset/${seid}`);
    } catch (error) {
      throw new NonRetriableError('ISD_KEYSET_UNSEALABLE', (error as Error).message);
    }
    try {
      const keyset = isdKeysetSchema.parse(JSON.parse(plaintext.toString('utf8')));
      return new Scp03KeySet(keyset.kvn, Buffer.from(keyset.enc, 'hex'), Buffer.from(keyset.mac, 'hex'), Buffer.from(keyset.dek, 'hex'));
    } catch (error) {
      const detail = error instanceof GpError ? error.message : 'not a {kvn, enc, mac, dek} keyset';
      throw new NonRetriableError('ISD_KEYSET_INVALID', detail);
    } finally {
      plaintext.fill(0);
    }
  }
}
