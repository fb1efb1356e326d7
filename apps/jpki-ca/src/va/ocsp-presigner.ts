import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { buildOcspResponse, computeCertId } from '@jpki/pki';
import { WakeableLoop } from '@jpki/messaging';
import { counter, createLogger } from '@jpki/observability';
import { Clock, SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CertificateAuthority } from '../signer/certificate-authority';
import { CaStore } from '../storage/ca-store';
import { certificateStatus } from '../storage/certificate-status';
import type { CertificateRow } from '../storage/types';
import { CaEvents } from './ca-events';

/** Answers signed per transaction: a status change of a claimed row waits for its transaction, so it stays short. */
const BATCH = 20;
const PERIOD_MS = 30_000;
/** Certificates expired longer than this get no new pre-signed answer. */
const EXPIRED_GRACE_MS = 86_400_000;

/**
 * Pre-signs nonce-less OCSP responses (SHA-1 CertID, as OpenSSL and RFC 5019 clients send) after every
 * status change and before they age past half their validity. Replicas share the work: rows are claimed
 * with FOR UPDATE SKIP LOCKED.
 */
@Injectable()
export class OcspPreSigner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('jpki-ca.ocsp-presigner');
  private readonly signed = counter('ca_ocsp_presigned_total', 'OCSP responses pre-signed');
  private readonly loop = new WakeableLoop(
    async () => {
      await this.runOnce();
    },
    () => PERIOD_MS,
    (err) => this.log.error({ err }, 'OCSP pre-signing failed'),
  );

  /** The simulation clock moved: answers retired as expired may belong to valid certificates again. */
  private clockMoved = false;

  constructor(
    private readonly store: CaStore,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    private readonly events: CaEvents,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Our own pre-signed rows notify with ca '*': ignore those.
    this.events.onStatus((ca) => {
      if (ca !== '*') this.nudge();
    });
    this.clock.onChange(() => {
      this.clockMoved = true;
      this.nudge();
    });
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** Signs everything due now (expired certificates are retired instead); returns how many answers it handled. */
  async runOnce(): Promise<number> {
    if (this.clockMoved) {
      this.clockMoved = false;
      await this.store.reviveOcspResponses(new Date(this.clock.now().getTime() - EXPIRED_GRACE_MS));
    }
    let total = 0;
    for (;;) {
      const signed = await this.batch();
      total += signed;
      if (signed < BATCH) return total;
    }
  }

  private batch(): Promise<number> {
    return this.store.transaction(async (manager) => {
      const now = this.clock.now();
      const validityMs = this.config.OCSP_RESPONSE_VALIDITY_SECONDS * 1000;
      const rows = await this.store.claimDueOcspResponses(manager, now, BATCH);
      const expired = (row: CertificateRow) => row.notAfter.getTime() < now.getTime() - EXPIRED_GRACE_MS;
      for (const row of rows.filter(expired)) await this.store.retireOcspResponse(manager, row.serial);
      const live = rows.filter((row) => !expired(row));
      // Only when something is to be signed: the responders' certificates are renewed on use.
      const authorities = live.length > 0 ? await this.ca.ocspAuthorities() : [];
      let signed = 0;
      for (const row of live) {
        const issuerCertificate = this.ca.certificate(row.issuerCa);
        const authority = authorities.find((a) => a.issuerCertificate === issuerCertificate);
        if (!authority) continue;
        const certId = computeCertId(row.der, issuerCertificate, 'SHA-1');
        const nextUpdate = new Date(now.getTime() + validityMs);
        const response = await buildOcspResponse({
          responder: authority.responder,
          producedAt: now,
          responses: [{ certId, status: certificateStatus(row), thisUpdate: now, nextUpdate }],
        });
        // Signed again when half its validity has passed.
        await this.store.storeOcspResponse(manager, row.serial, row.statusVersion, certId.raw, response, now, nextUpdate);
        signed += 1;
      }
      this.signed.inc(signed);
      return rows.length;
    });
  }
}
