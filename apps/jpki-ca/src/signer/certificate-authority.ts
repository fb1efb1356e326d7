/**
 * The CA proper (Boulder's "CA"): it holds the signing keys — only as `Signer`s from a CaKeyBackend — and
 * does nothing but sign what the RA prepared, after linting it again itself. CA private keys never leave
 * this class; the hierarchy is created once, on first start, under a PostgreSQL advisory lock.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  decodeCertificate,
  formatSerialNumber,
  issueCertificate,
  issueCrl,
  JPKI_ROOT_CA_NAME,
  jpkiIssuingCaName,
  jpkiOcspResponderName,
  lintCertificate,
  LintRejectionError,
  randomSerialNumber,
  signPreparedCertificate,
  type BuildCrlRequest,
  type CertificateIssuer,
  type CertificateProfile,
  type JpkiProfileId,
  type OcspAuthority,
  type PreparedCertificate,
  type Signer,
} from '@jpki/pki';
import { createLogger } from '@jpki/observability';
import { Clock } from '@jpki/service-kit';
import { CaStore } from '../storage/ca-store';
import { ISSUING_CAS, responderOf, type AuthorityId, type AuthorityRow, type CaId, type IssuingCaId } from '../storage/types';
import { CaUrls } from '../urls';
import { CaKeyBackend } from './key-backend';

const DAY_MS = 86_400_000;
const ROOT_VALIDITY_DAYS = 20 * 365;
const ISSUING_CA_VALIDITY_DAYS = 10 * 365;
const RESPONDER_VALIDITY_DAYS = 60;
/** A responder certificate is replaced when less than this remains (or when the clock is before it). */
const RESPONDER_RENEWAL_MS = 14 * DAY_MS;

interface LoadedAuthority {
  readonly row: AuthorityRow;
  readonly signer: Signer;
}

export interface CaCertificateInfo {
  readonly certificate: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A Signer that exposes only the public key: the RA prepares and lints TBS data with it, it cannot sign. */
function publicOnly(spki: Buffer): Signer {
  return {
    publicKeySpki: spki,
    sign: () => Promise.reject(new Error('the RA cannot sign: only the CertificateAuthority holds CA keys')),
  };
}

@Injectable()
export class CertificateAuthority implements OnModuleInit {
  private readonly log = createLogger('jpki-ca.ca');
  private readonly loaded = new Map<AuthorityId, LoadedAuthority>();
  private readonly rotations = new Map<IssuingCaId, Promise<LoadedAuthority>>();

  constructor(
    private readonly store: CaStore,
    private readonly backend: CaKeyBackend,
    private readonly clock: Clock,
    private readonly urls: CaUrls,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.withAdvisoryLock('ca-hierarchy', async (manager) => {
      const existing = new Map((await this.store.loadAuthorities(manager)).map((row) => [row.caId, row]));
      for (const row of existing.values()) this.loaded.set(row.caId, { row, signer: this.backend.load(row.caId, row.sealedPrivateKey) });
      const created: AuthorityId[] = [];
      for (const id of ['root', ...ISSUING_CAS, ...ISSUING_CAS.map(responderOf)] as AuthorityId[]) {
        if (this.loaded.has(id)) continue;
        const authority = await this.createAuthority(id, 1);
        await this.store.saveAuthority(manager, authority.row);
        this.loaded.set(id, authority);
        created.push(id);
      }
      if (created.length > 0) this.log.info({ created }, 'SIMULATED JPKI hierarchy created');
    });
  }

  certificate(id: AuthorityId): Buffer {
    return this.authority(id).row.certificate;
  }

  info(id: AuthorityId): CaCertificateInfo {
    const { row } = this.authority(id);
    return { certificate: row.certificate, notBefore: row.notBefore, notAfter: row.notAfter };
  }

  /** Issuer description for preparing and linting a TBS; its signer cannot sign. */
  publicIssuer(ca: CaId): CertificateIssuer {
    const { row, signer } = this.authority(ca);
    return { certificate: row.certificate, signer: publicOnly(signer.publicKeySpki) };
  }

  /**
   * Signs a prepared certificate after linting its linting certificate again here, with this CA's own
   * certificate and key; the TBS signed is byte for byte the one that was linted.
   */
  async signCertificate(
    ca: IssuingCaId,
    prepared: Pick<PreparedCertificate, 'tbsCertificate' | 'lintingCertificate'>,
    context: { profile: JpkiProfileId | CertificateProfile; cardCertificateNotAfter?: Date },
  ): Promise<Buffer> {
    const { row, signer } = this.authority(ca);
    if (!decodeCertificate(prepared.lintingCertificate).tbs.raw.equals(prepared.tbsCertificate)) {
      throw new LintRejectionError('certificate', [{ code: 'TBS_MISMATCH', message: 'the linting certificate does not carry the TBS to sign' }]);
    }
    const findings = lintCertificate(prepared.lintingCertificate, {
      profile: context.profile,
      issuerCertificate: row.certificate,
      cardCertificateNotAfter: context.cardCertificateNotAfter,
      signerPublicKeySpki: signer.publicKeySpki,
    });
    return signPreparedCertificate({ ...prepared, findings }, { signer, certificate: row.certificate });
  }

  /** A complete or delta CRL signed by `ca` (linted by the pki lib before signing). */
  issueCrl(ca: CaId, request: Omit<BuildCrlRequest, 'issuer'>): Promise<Buffer> {
    const { row, signer } = this.authority(ca);
    return issueCrl({ ...request, issuer: { signer, certificate: row.certificate } });
  }

  /** OCSP signing authorities: each issuing CA with its delegated responder (renewed when due). */
  async ocspAuthorities(): Promise<OcspAuthority[]> {
    return Promise.all(
      ISSUING_CAS.map(async (ca) => {
        const responder = await this.responder(ca);
        return { issuerCertificate: this.certificate(ca), responder: { signer: responder.signer, certificate: responder.row.certificate } };
      }),
    );
  }

  private authority(id: AuthorityId): LoadedAuthority {
    const authority = this.loaded.get(id);
    if (!authority) throw new Error(`authority ${id} is not loaded`);
    return authority;
  }

  private responderUsable(row: AuthorityRow, now: Date): boolean {
    return now >= row.notBefore && row.notAfter.getTime() - now.getTime() > RESPONDER_RENEWAL_MS;
  }

  private responder(ca: IssuingCaId): Promise<LoadedAuthority> {
    const current = this.authority(responderOf(ca));
    if (this.responderUsable(current.row, this.clock.now())) return Promise.resolve(current);
    let rotation = this.rotations.get(ca);
    if (!rotation) {
      rotation = this.rotateResponder(ca).finally(() => this.rotations.delete(ca));
      this.rotations.set(ca, rotation);
    }
    return rotation;
  }

  private async rotateResponder(ca: IssuingCaId): Promise<LoadedAuthority> {
    const id = responderOf(ca);
    return this.store.withAdvisoryLock('ca-hierarchy', async (manager) => {
      const stored = (await this.store.loadAuthorities(manager)).find((row) => row.caId === id);
      let authority: LoadedAuthority;
      if (stored && this.responderUsable(stored, this.clock.now())) {
        authority = { row: stored, signer: this.backend.load(id, stored.sealedPrivateKey) };
      } else {
        authority = await this.createAuthority(id, (stored?.generation ?? 0) + 1);
        await this.store.saveAuthority(manager, authority.row);
        this.log.info({ responder: id, generation: authority.row.generation }, 'OCSP responder certificate renewed');
      }
      this.loaded.set(id, authority);
      return authority;
    });
  }

  private async createAuthority(id: AuthorityId, generation: number): Promise<LoadedAuthority> {
    const now = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000);
    const { signer, keyReference } = await this.backend.generate(id);
    const serialNumber = randomSerialNumber();
    let certificate: Buffer;
    if (id === 'root') {
      const notBefore = new Date(now.getTime() - DAY_MS);
      certificate = await issueCertificate({
        profile: 'jpki-root-ca',
        serialNumber,
        subject: JPKI_ROOT_CA_NAME,
        subjectPublicKeyInfo: signer.publicKeySpki,
        validity: { notBefore, notAfter: new Date(notBefore.getTime() + ROOT_VALIDITY_DAYS * DAY_MS) },
        issuer: { signer },
      });
    } else if (id === 'user-authentication' || id === 'digital-signature') {
      const root = this.authority('root');
      const notBefore = new Date(Math.max(now.getTime() - DAY_MS, root.row.notBefore.getTime()));
      certificate = await issueCertificate({
        profile: id === 'user-authentication' ? 'jpki-user-authentication-ca' : 'jpki-digital-signature-ca',
        serialNumber,
        subject: jpkiIssuingCaName(id),
        subjectPublicKeyInfo: signer.publicKeySpki,
        validity: { notBefore, notAfter: new Date(Math.min(notBefore.getTime() + ISSUING_CA_VALIDITY_DAYS * DAY_MS, root.row.notAfter.getTime())) },
        issuer: { signer: root.signer, certificate: root.row.certificate },
        crlDistributionPointUri: this.urls.crl('root'),
        caIssuersUri: this.urls.caCertificate('root'),
      });
    } else {
      const ca: IssuingCaId = id === 'user-authentication-ocsp' ? 'user-authentication' : 'digital-signature';
      const issuer = this.authority(ca);
      const notBefore = new Date(Math.max(now.getTime() - 3600_000, issuer.row.notBefore.getTime()));
      certificate = await issueCertificate({
        profile: 'jpki-ocsp-responder',
        serialNumber,
        subject: jpkiOcspResponderName(ca, generation > 1 ? `G${generation}` : undefined),
        subjectPublicKeyInfo: signer.publicKeySpki,
        validity: { notBefore, notAfter: new Date(Math.min(notBefore.getTime() + RESPONDER_VALIDITY_DAYS * DAY_MS, issuer.row.notAfter.getTime())) },
        issuer: { signer: issuer.signer, certificate: issuer.row.certificate },
      });
    }
    const tbs = decodeCertificate(certificate).tbs;
    const row: AuthorityRow = {
      caId: id,
      generation,
      serial: formatSerialNumber(tbs.serialNumber),
      certificate,
      sealedPrivateKey: keyReference,
      notBefore: tbs.notBefore,
      notAfter: tbs.notAfter,
    };
    return { row, signer };
  }
}
