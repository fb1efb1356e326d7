import { Injectable } from '@nestjs/common';
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
import type { SealedBox } from '@jpki/crypto';
import { Outbox } from '@jpki/messaging';
import type { OperationKind, OperationReply } from './operations/operation-data';
import { SeAddressing } from './ports/se-addressing';

/** A script for the card, down the OTA bearer. */
export interface OtaScript {
  scriptId: string;
  seid: string;
  apdus: string[];
}

export interface SsdCreatedReply {
  requestId: string;
  seid: string;
  ssdAid: string;
  kvn: number;
  temporaryKeyset: SealedBox;
}

export interface ForwardedReply {
  requestId: string;
  seid: string;
  outcome: 'executed' | 'unreachable';
  responses: string[];
}

export interface SsdOperationReply {
  requestId: string;
  seid: string;
  ssdAid: string;
  operation: 'lock' | 'unlock' | 'delete';
  outcome: 'done' | 'queued' | 'not-present';
}

export interface AuditReply {
  requestId: string;
  seid: string;
  freeMemoryBytes: number;
  entries: { aid: string; kind: 'isd' | 'ssd' | 'application' | 'load-file'; lifecycle: number; privileges: string }[];
}

export interface FailureReply {
  requestId: string;
  /** The card the request named, if it named one. */
  seid?: string;
  operation: OperationKind;
  reason: string;
  statusWord?: string;
  detail?: string;
}

const reply = <D extends MessageDefinition>(def: D, payload: PayloadOf<D>): OperationReply => ({ type: def.type, payload: payload as Record<string, unknown> });

/**
 * The TSM's messages: the `mno.*` replies and the `ota.*` scripts, each naming the card as the app's `SeAddressing`
 * says; the route (a carrier's topics or the eSE ones) follows from that address.
 */
@Injectable()
export class TsmWire {
  constructor(
    private readonly outbox: Outbox,
    private readonly addressing: SeAddressing,
  ) {}

  /** Sends a script down the OTA bearer (through the outbox, in the caller's transaction). */
  async sendScript(m: EntityManager, { scriptId, seid, apdus }: OtaScript, correlationId: string): Promise<void> {
    await this.outbox.publish(m, OtaScriptRequested, { scriptId, ...this.addressing.address(seid), apdus }, { correlationId });
  }

  ssdCreated({ requestId, seid, ...rest }: SsdCreatedReply): OperationReply {
    return reply(SsdCreated, { requestId, ...this.addressing.address(seid), ...rest });
  }

  forwarded({ requestId, seid, ...rest }: ForwardedReply): OperationReply {
    return reply(ScriptForwarded, { requestId, ...this.addressing.address(seid), ...rest });
  }

  ssdOperationCompleted({ requestId, seid, ...rest }: SsdOperationReply): OperationReply {
    return reply(SsdOperationCompleted, { requestId, ...this.addressing.address(seid), ...rest });
  }

  auditCompleted({ requestId, seid, ...rest }: AuditReply): OperationReply {
    return reply(AuditCompleted, { requestId, ...this.addressing.address(seid), ...rest });
  }

  operationFailed({ requestId, seid, ...rest }: FailureReply): OperationReply {
    return reply(MnoOperationFailed, { requestId, ...this.addressing.failureAddress(seid), ...rest });
  }

  isFailure(r: OperationReply): boolean {
    return r.type === MnoOperationFailed.type;
  }
}
