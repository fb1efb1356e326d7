import type { SagaData } from '@jpki/saga';

export type OperationKind = 'eligibility' | 'ssd-creation' | 'script-forward' | 'ssd-status' | 'ssd-deletion' | 'audit';

/** A message to the requester: an answer, a refusal or a failure (built by the `TsmWire`). */
export interface OperationReply {
  type: string;
  payload: Record<string, unknown>;
}

/** What every operation saga carries: the request, who sent it, and the reply once decided. */
export interface OperationData extends SagaData {
  requestId: string;
  kind: OperationKind;
  requestedBy: string;
  correlationId: string;
  causationId: string | null;
  /**
   * The SEID of the card operated on (a UICC's is its ICCID): named `iccid` in stored saga data and in the tables'
   * columns since the TSM managed only UICCs. Absent until known (an eligibility by MSISDN finds it).
   */
  iccid?: string;
  /** The request's payload as received. */
  request: Record<string, unknown>;
  /** The reply to publish when the saga completes (an answer, a refusal, or a failure). */
  result?: OperationReply;
}

/** An operation on a known card: its SEID is set at admission. */
export interface CardOperationData extends OperationData {
  iccid: string;
}

export interface SsdOperationData extends CardOperationData {
  queueId: string;
  operation: 'lock' | 'unlock' | 'delete';
  ssdAid: string;
  queueIfUnreachable: boolean;
  /** Whether the SP-TSM was already told `queued` for this request. */
  queuedNotified: boolean;
  /** Set when the card was unreachable and the operation goes back to the queue. */
  requeue?: boolean;
}

/** What the shared sagas and the forwarding read of a request besides its card (types: they are read from `request`). */
export type SsdCreationRequest = { requestId: string; ssdAid: string; keysetRecipient: string };
export type ScriptForwardRequest = { requestId: string; apdus: string[] };
