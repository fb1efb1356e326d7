import type { EntityManager } from 'typeorm';
import type { SealedBox } from '@jpki/crypto';
import type { OperationKind, OperationReply } from '../operations/operation-data';

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
  operation: OperationKind;
  reason: string;
  statusWord?: string;
  detail?: string;
}

/**
 * The message family the TSM speaks: the shared code names no message type and puts no party (the MNO-TSM: its
 * carrier) into a payload itself. Used as the Nest token; the app provides its wire for it.
 */
export abstract class TsmWire {
  /** Sends a script down the OTA bearer (through the outbox, in the caller's transaction). */
  abstract sendScript(m: EntityManager, script: OtaScript, correlationId: string): Promise<void>;
  abstract ssdCreated(r: SsdCreatedReply): OperationReply;
  abstract forwarded(r: ForwardedReply): OperationReply;
  abstract ssdOperationCompleted(r: SsdOperationReply): OperationReply;
  abstract auditCompleted(r: AuditReply): OperationReply;
  abstract operationFailed(r: FailureReply): OperationReply;
  abstract isFailure(reply: OperationReply): boolean;
}
