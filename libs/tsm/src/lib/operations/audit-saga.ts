import { Injectable } from '@nestjs/common';
import {
  buildGetData,
  buildGetStatus,
  DataObject,
  GetStatusScope,
  hex,
  parseExtendedCardResources,
  parseGetStatusResponse,
  Sw,
  type GpRegistryEntry,
  type ScriptPart,
} from '@jpki/globalplatform';
import type { SagaData, SagaDefinition, StepContext } from '@jpki/saga';
import { Clock } from '@jpki/service-kit';
import { CardAccess } from '../ota/card-access';
import type { IsdCard } from '../ota/isd-card';
import { SecureElementStore } from '../ports/secure-element-store';
import { TsmWire } from '../tsm-wire';
import type { CardOperationData } from './operation-data';
import { OperationSteps } from './operation-steps';

const KINDS = { ISD: 'isd', SSD: 'ssd', APP: 'application', ELF: 'load-file' } as const;

/** Audit: the card's free memory and its registry (ISD, load files, applications) as the card reports them. */
@Injectable()
export class AuditSaga {
  readonly definition: SagaDefinition<SagaData>;

  constructor(
    private readonly sims: SecureElementStore,
    private readonly card: CardAccess,
    private readonly clock: Clock,
    private readonly wire: TsmWire,
    private readonly steps: OperationSteps,
  ) {
    this.definition = steps.saga('audit', [steps.card('audit', (c: StepContext<CardOperationData>) => this.audit(c), 'audited')]);
  }

  private async audit(ctx: StepContext<CardOperationData>): Promise<Partial<CardOperationData>> {
    const { requestId, iccid: seid } = ctx.data;
    const sim = await this.steps.requireSim(seid);
    const { free, entries } = await this.card.withCard(ctx, seid, async () => {
      const isd = this.card.isdCard(this.card.scripts(ctx, seid, 'audit'), seid, sim);
      const [resources] = await isd.authenticateCard([buildGetData(DataObject.EXTENDED_CARD_RESOURCES)]);
      const found: GpRegistryEntry[] = [];
      for (const scope of [GetStatusScope.ISSUER_SECURITY_DOMAIN, GetStatusScope.LOAD_FILES, GetStatusScope.APPLICATIONS]) {
        found.push(...(await this.registry(isd, scope)));
      }
      return { free: parseExtendedCardResources(resources).freeNonVolatileMemory, entries: found };
    });
    await this.sims.recordFreeMemory(seid, free, this.clock.now());
    const result = this.wire.auditCompleted({
      requestId,
      seid,
      freeMemoryBytes: free,
      entries: entries.map((e) => ({ aid: hex(e.aid), kind: KINDS[e.kind], lifecycle: e.lifeCycle, privileges: e.privileges ? hex(e.privileges.toBytes()) : '' })),
    });
    return { result };
  }

  /**
   * GET STATUS of one scope through an ISD session. A 6310 (more data) page asks for a longer script: the first
   * occurrence and as many "next occurrence" commands as pages seen so far plus one. 6A88 = none.
   */
  private async registry(isd: IsdCard, scope: number): Promise<GpRegistryEntry[]> {
    const NONE: ScriptPart = { data: [], sws: [] };
    for (let pages = 1; ; pages++) {
      const commands = Array.from({ length: pages }, (_, i) => buildGetStatus(scope, { next: i > 0 }));
      const part = await isd.run<ScriptPart>(
        (_script, session) => session(commands),
        async ({ command, sw }) => (sw === Sw.REFERENCED_DATA_NOT_FOUND && command.p2 === commands[0].p2 ? NONE : undefined),
      );
      const [first, ...rest] = part.data;
      if (!first) return [];
      if (part.sws[part.sws.length - 1] !== Sw.MORE_DATA_AVAILABLE) return [first, ...rest].flatMap((data) => parseGetStatusResponse(data, scope));
    }
  }
}
