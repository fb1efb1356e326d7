import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  MnoOperationFailed,
  ServiceOperationCompleted,
  SsdDeletionRequested,
  SsdOperationCompleted,
  SsdStatusChangeRequested,
  type Carrier,
  type PayloadOf,
  seAddressOf,
  seTargetOf,
} from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { sagaSteps, StepFailure, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { stepPolicies, type SpTsmConfig } from '../config';
import { KeysetVault } from '../keys/keyset-vault';
import { SP_TSM_CONFIG } from '../tokens';
import { ServiceInstances, type ServiceOperation } from './service-instances';


export interface ServiceOperationData extends Record<string, unknown> {
  requestId: string;
  operation: ServiceOperation;
  /** The secure element running the service instance (a SIM's ICCID or an eSE's SEID). */
  seid: string;
  carrier: Carrier;
  ssdAid: string;
  appletAid: string;
  enrollmentId: string;
  queueIfUnreachable: boolean;
  outcome?: 'done' | 'queued' | 'not-present';
}


/**
 * Operations on a deployed service instance, asked for by the lifecycle service: suspend (loss:
 * the MNO locks the SSD), resume (found: unlock), terminate (device change, contract end: the SSD
 * and everything in it is deleted — queued by the MNO-TSM while the phone is unreachable).
 */
@Injectable()
export class ServiceOperationSaga {
  readonly definition: SagaDefinition<ServiceOperationData>;

  constructor(
    @Inject(SP_TSM_CONFIG) config: SpTsmConfig,
    private readonly outbox: Outbox,
    private readonly vault: KeysetVault,
    private readonly instances: ServiceInstances,
  ) {
    this.definition = {
      kind: 'service-operation',
      initialState: 'requested',
      failedState: 'failed',
      steps: [
        sagaSteps<ServiceOperationData, 'request'>(stepPolicies(config)).request('card-operation', (ctx) => this.operate(ctx), { stateAfter: 'answered' }),
      ],
      onTransition: (m, t) => this.finish(m, t),
    };
  }

  private async operate(ctx: StepContext<ServiceOperationData>): Promise<Partial<ServiceOperationData>> {
    const d = ctx.data;
    const common = { requestId: d.requestId, ...seAddressOf(d.seid, d.carrier), ssdAid: d.ssdAid };
    const reply =
      d.operation === 'terminate'
        ? await ctx.request(SsdDeletionRequested, { ...common, queueIfUnreachable: d.queueIfUnreachable }, d.requestId)
        : await ctx.request(
            SsdStatusChangeRequested,
            { ...common, action: d.operation === 'suspend' ? 'lock' : 'unlock', queueIfUnreachable: d.queueIfUnreachable },
            d.requestId,
          );
    if (reply.type === MnoOperationFailed.type) {
      const f = reply.payload as PayloadOf<typeof MnoOperationFailed>;
      throw new StepFailure(f.reason, f.detail ?? `MNO-TSM could not ${d.operation}`, f.reason === 'SIM_UNREACHABLE');
    }
    return { outcome: (reply.payload as PayloadOf<typeof SsdOperationCompleted>).outcome };
  }

  private async finish(m: EntityManager, t: Transition<ServiceOperationData>): Promise<void> {
    const d = t.data;
    if (t.status === 'failed') {
      await this.publish(m, d, 'failed', t.failure?.reason);
      return;
    }
    if (t.status !== 'completed') return;
    if (d.outcome === 'queued') {
      await this.instances.queued(m, d.seid, d.requestId, d.operation);
      await this.publish(m, d, 'queued');
      return;
    }
    await this.applied(m, d);
  }

  /** The card operation happened (now, or later when a queued one ran): record it and tell the lifecycle service. */
  async applied(m: EntityManager, d: Pick<ServiceOperationData, 'requestId' | 'operation' | 'seid' | 'ssdAid' | 'appletAid' | 'enrollmentId'>): Promise<void> {
    await this.instances.applied(m, d.seid, d.operation);
    if (d.operation === 'terminate') await this.vault.destroy(m, d.seid, d.ssdAid);
    await this.publish(m, d, 'done');
  }

  private publish(
    m: EntityManager,
    d: Pick<ServiceOperationData, 'requestId' | 'operation' | 'seid' | 'enrollmentId'>,
    outcome: 'done' | 'queued' | 'failed' | 'not-deployed',
    reason?: string,
  ): Promise<unknown> {
    return this.outbox.publish(
      m,
      ServiceOperationCompleted,
      { requestId: d.requestId, ...seTargetOf(d.seid), operation: d.operation, outcome, enrollmentId: d.enrollmentId, ...(reason ? { reason: reason.slice(0, 64) } : {}) },
      { correlationId: d.requestId },
    );
  }
}
