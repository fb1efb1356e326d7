import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AuditCompleted,
  MnoOperationFailed,
  OtaScriptRequested,
  ScriptForwarded,
  SsdCreated,
  SsdOperationCompleted,
  type MessageDefinition,
  type PayloadOf,
} from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import {
  TsmWire,
  type AuditReply,
  type FailureReply,
  type ForwardedReply,
  type OperationReply,
  type OtaScript,
  type SsdCreatedReply,
  type SsdOperationReply,
} from '@jpki/tsm';
import type { MnoTsmSettings } from './config';
import { MNO_SETTINGS } from './tokens';

const reply = <D extends MessageDefinition>(def: D, payload: PayloadOf<D> & Record<string, unknown>): OperationReply => ({ type: def.type, payload });

/** The carrier's messages: `mno.*` replies on `mno.<carrier>.events` and scripts on `ota.<carrier>.down`, each naming the carrier. */
@Injectable()
export class MnoWire extends TsmWire {
  constructor(
    private readonly outbox: Outbox,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {
    super();
  }

  async sendScript(m: EntityManager, { scriptId, seid, apdus }: OtaScript, correlationId: string): Promise<void> {
    await this.outbox.publish(m, OtaScriptRequested, { scriptId, iccid: seid, apdus, carrier: this.settings.carrier }, { correlationId });
  }

  ssdCreated({ requestId, seid, ...rest }: SsdCreatedReply): OperationReply {
    return reply(SsdCreated, { requestId, carrier: this.settings.carrier, iccid: seid, ...rest });
  }

  forwarded({ requestId, seid, ...rest }: ForwardedReply): OperationReply {
    return reply(ScriptForwarded, { requestId, carrier: this.settings.carrier, iccid: seid, ...rest });
  }

  ssdOperationCompleted({ requestId, seid, ...rest }: SsdOperationReply): OperationReply {
    return reply(SsdOperationCompleted, { requestId, carrier: this.settings.carrier, iccid: seid, ...rest });
  }

  auditCompleted({ requestId, seid, ...rest }: AuditReply): OperationReply {
    return reply(AuditCompleted, { requestId, carrier: this.settings.carrier, iccid: seid, ...rest });
  }

  operationFailed({ requestId, ...rest }: FailureReply): OperationReply {
    return reply(MnoOperationFailed, { requestId, carrier: this.settings.carrier, ...rest });
  }

  isFailure(r: OperationReply): boolean {
    return r.type === MnoOperationFailed.type;
  }
}
