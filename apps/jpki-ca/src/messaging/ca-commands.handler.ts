import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  CertificateIssuanceRequested,
  HoldReleaseRequested,
  IdentityProofingRequested,
  RevocationRefused,
  RevocationRequested,
  type PayloadOf,
} from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { Clock } from '@jpki/service-kit';
import { CaTransactions, type CaTransaction } from '../ra/ca-transaction';
import { IssuanceService } from '../ra/issuance.service';
import { ProofingService } from '../ra/proofing.service';
import { RevocationService, type RevocationOutcome } from '../ra/revocation.service';
import { CaStore } from '../storage/ca-store';

/**
 * `ca.commands`: each type only from the producers routed for it in libs/contracts (signature-checked by the inbox:
 * proofing and issuance from sp-tsm, hold releases from lifecycle, revocations from both), and status changes only for
 * the producer's purpose, on phone certificates (ra/command-policy.ts). Every handler runs in the inbox transaction;
 * refusals are events, not errors.
 */
@Controller()
export class CaCommandsHandler {
  constructor(
    private readonly transactions: CaTransactions,
    private readonly store: CaStore,
    private readonly proofing: ProofingService,
    private readonly issuance: IssuanceService,
    private readonly revocations: RevocationService,
    private readonly clock: Clock,
  ) {}

  @EventPattern(IdentityProofingRequested.type)
  async onIdentityProofing(@Payload() request: PayloadOf<typeof IdentityProofingRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.within(ctx, `service:${ctx.envelope.producer}`, (tx) => this.proofing.handle(tx, request));
  }

  @EventPattern(CertificateIssuanceRequested.type)
  async onIssuance(@Payload() request: PayloadOf<typeof CertificateIssuanceRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.within(ctx, `service:${ctx.envelope.producer}`, (tx) => this.issuance.handle(tx, request));
  }

  @EventPattern(RevocationRequested.type)
  async onRevocation(@Payload() request: PayloadOf<typeof RevocationRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.within(ctx, `service:${ctx.envelope.producer}:${request.requestedBy}`, async (tx) => {
      if (await this.repeated(tx, request.requestId)) return;
      const outcome = await this.revocations.revoke(tx, {
        requestId: request.requestId,
        target: request.target,
        reason: request.reason,
        requestedBy: request.requestedBy,
        comment: request.comment,
        via: { producer: ctx.envelope.producer },
      });
      await this.conclude(tx, request.requestId, 'revocation', outcome);
    });
  }

  @EventPattern(HoldReleaseRequested.type)
  async onHoldRelease(@Payload() request: PayloadOf<typeof HoldReleaseRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.within(ctx, `service:${ctx.envelope.producer}:${request.requestedBy}`, async (tx) => {
      if (await this.repeated(tx, request.requestId)) return;
      const outcome = await this.revocations.releaseHold(tx, {
        requestId: request.requestId,
        serial: request.serial,
        requestedBy: request.requestedBy,
        via: { producer: ctx.envelope.producer },
      });
      await this.conclude(tx, request.requestId, 'hold-release', outcome);
    });
  }

  private async within(ctx: MessageContext, actor: string, work: (tx: CaTransaction) => Promise<unknown>): Promise<void> {
    const tx = this.transactions.forMessage(ctx, actor);
    await work(tx);
    await tx.finish(this.store);
  }

  /** A request id already processed: the refusal (if any) is answered again, nothing changes twice. */
  private async repeated(tx: CaTransaction, requestId: string): Promise<boolean> {
    const previous = await this.store.findRevocationRequest(requestId, tx.manager);
    if (!previous) return false;
    if (previous['ok'] === false) {
      await tx.publish(RevocationRefused, { requestId, reason: String(previous['reason']), detail: String(previous['detail'] ?? '') });
    }
    return true;
  }

  private async conclude(tx: CaTransaction, requestId: string, command: string, outcome: RevocationOutcome): Promise<void> {
    if (!outcome.ok) await tx.publish(RevocationRefused, { requestId, reason: outcome.reason, detail: outcome.detail.slice(0, 1024) });
    const record = outcome.ok
      ? { ok: true, serials: outcome.changed.map((c) => c.serial), cascaded: outcome.cascaded.map((c) => c.serial) }
      : { ok: false, reason: outcome.reason, detail: outcome.detail };
    await this.store.insertRevocationRequest(tx.manager, requestId, command, record, this.clock.now());
  }
}
