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
import { CardStore } from '../cards/card-store';
import { runScript } from './script-runner';

type ScriptRequest = PayloadOf<typeof OtaScriptRequested>;
type ManufactureRequest = PayloadOf<typeof SimManufactureRequested>;
type Outcome = PayloadOf<typeof OtaScriptCompleted>['outcome'];

const hexKey = z.string().regex(/^([0-9A-Fa-f]{2})+$/);
/** The ISD keyset the MNO-TSM seals to us: `{kvn, enc, mac, dek}`; kvn as a number or as two hex digits. */
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
 * The OTA bearer's card end: manufacture requests and command scripts from each carrier's MNO-TSM. Each handler runs
 * in the inbox transaction, so the card's new image, the script's stored result and the response in the outbox
 * commit together or not at all.
 */
@Controller()
export class OtaHandler {
  private readonly log: ReturnType<typeof createLogger>;
  private readonly scripts = counter('vsim_ota_scripts_total', 'OTA scripts received, by outcome', ['carrier', 'outcome']);
  private readonly manufactured = counter('vsim_sims_manufactured_total', 'Blank SIMs manufactured', ['carrier']);

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
    const carrier = request.carrier;
    const existing = await this.cards.lock(ctx.manager, request.iccid);
    if (existing) {
      if (existing.carrier !== carrier || existing.generation !== request.generation) {
        throw new NonRetriableError('ICCID_CONFLICT', `${request.iccid} exists as a ${existing.carrier} ${existing.generation} card`);
      }
      this.log.info({ iccid: request.iccid, carrier }, 'manufacture re-requested: card exists, confirmation sent again');
      await ctx.publish(SimManufactured, { carrier, iccid: request.iccid, isdAid: existing.isdAid });
      return;
    }
    const isdKeyset = this.openIsdKeyset(request);
    let card: VirtualUicc;
    try {
      card = VirtualUicc.manufacture(
        { iccid: request.iccid, isdKeyset, memoryQuotaBytes: request.memoryQuotaBytes },
        { keyPairFactory: this.cards.keyPairFactory },
      );
    } catch (error) {
      throw new NonRetriableError('SIM_PARAMETERS_INVALID', (error as Error).message);
    }
    const isdAid = hex(DEFAULT_ISD_AID);
    if (!(await this.cards.insert(ctx.manager, card, carrier, request.generation, isdAid))) {
      throw new Error(`${request.iccid} was manufactured concurrently; the retry will see it`);
    }
    this.manufactured.inc({ carrier });
    this.log.info({ iccid: request.iccid, carrier, generation: request.generation, memoryQuotaBytes: request.memoryQuotaBytes }, 'SIM manufactured');
    await ctx.publish(SimManufactured, { carrier, iccid: request.iccid, isdAid });
  }

  @EventPattern(OtaScriptRequested.type)
  async onScriptRequested(@Payload() script: ScriptRequest, @Ctx() ctx: MessageContext): Promise<void> {
    const carrier = script.carrier;
    await this.bearer.transit(carrier);
    const sim = await this.cards.lock(ctx.manager, script.iccid);
    if (!sim) {
      return this.complete(ctx, script, 'unknown-sim', []);
    }
    if (sim.carrier !== carrier) {
      throw new NonRetriableError('SIM_CARRIER_MISMATCH', `${script.iccid} is a ${sim.carrier} SIM, not ${carrier}`);
    }
    if (!sim.handsetOn) {
      return this.complete(ctx, script, 'unreachable', []);
    }
    const messageId = ctx.envelope.messageId;
    if (this.bearer.lost(carrier, 'downlink', messageId)) {
      this.scripts.inc({ carrier, outcome: 'downlink-lost' });
      this.log.info({ scriptId: script.scriptId, iccid: script.iccid, carrier }, 'OTA downlink lost: script not delivered to the SIM');
      return;
    }
    const digest = scriptDigest(script.apdus);
    const stored: { iccid: string; request_digest: string; responses: string[] }[] = await ctx.manager.query(
      `SELECT iccid, request_digest, responses FROM ota_script WHERE script_id = $1`,
      [script.scriptId],
    );
    let responses: string[];
    if (stored[0]) {
      if (stored[0].iccid !== script.iccid || stored[0].request_digest !== digest) {
        throw new NonRetriableError('SCRIPT_ID_CONFLICT', `script ${script.scriptId} was executed with other commands or for another SIM`);
      }
      responses = stored[0].responses;
      this.scripts.inc({ carrier, outcome: 'replayed' });
      this.log.info({ scriptId: script.scriptId, iccid: script.iccid }, 'script re-sent: stored result returned, nothing executed');
    } else {
      const handle = this.cards.checkout(sim);
      responses = runScript(
        script.apdus.map((a) => Buffer.from(a, 'hex')),
        (apdu) => handle.transmit(apdu, 'ota'),
      );
      await this.cards.save(ctx.manager, handle);
      await ctx.manager.query(
        `INSERT INTO ota_script (script_id, iccid, carrier, request_digest, responses, executed_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [script.scriptId, script.iccid, carrier, digest, JSON.stringify(responses), this.clock.now()],
      );
      this.scripts.inc({ carrier, outcome: 'executed' });
      this.log.info(
        {
          scriptId: script.scriptId,
          iccid: script.iccid,
          commands: script.apdus.length,
          executed: responses.length,
          lastSw: responses[responses.length - 1]?.slice(-4),
          revision: sim.revision,
        },
        'OTA script executed',
      );
    }
    if (this.bearer.lost(carrier, 'uplink', messageId)) {
      this.scripts.inc({ carrier, outcome: 'uplink-lost' });
      this.log.info({ scriptId: script.scriptId, iccid: script.iccid, carrier }, 'OTA uplink lost: result stored, response not delivered');
      return;
    }
    await ctx.manager.query(`UPDATE ota_script SET deliveries = deliveries + 1, last_delivered_at = $2 WHERE script_id = $1`, [
      script.scriptId,
      this.clock.now(),
    ]);
    await this.complete(ctx, script, 'executed', responses);
  }

  private async complete(ctx: MessageContext, script: ScriptRequest, outcome: Outcome, responses: string[]): Promise<void> {
    if (outcome !== 'executed') {
      this.scripts.inc({ carrier: script.carrier, outcome });
      this.log.info({ scriptId: script.scriptId, iccid: script.iccid, outcome }, 'OTA script not executed');
    }
    await ctx.publish(OtaScriptCompleted, { scriptId: script.scriptId, carrier: script.carrier, iccid: script.iccid, outcome, responses });
  }

  private openIsdKeyset(request: ManufactureRequest): Scp03KeySet {
    let plaintext: Buffer;
    try {
      plaintext = this.keys.openSealed(request.isdKeyset, `isd-keyset/${request.iccid}`);
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
