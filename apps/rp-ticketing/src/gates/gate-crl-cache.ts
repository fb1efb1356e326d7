import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildCrlSnapshot, synchroniseCrl, type CrlSnapshot, type CrlSyncKind, type JpkiTrust } from '@jpki/relying-party';
import { CaDirectoryClient, TicketingVerifier } from '../verification/ticketing-verifier';

/** What an offline gate carries: the trust anchors, the root CRL and the user-authentication CA's CRL (+ delta). */
export interface GateCache {
  readonly trust: JpkiTrust;
  readonly snapshot: CrlSnapshot;
  readonly root: CrlSnapshot;
  readonly fetchedAt: Date;
}

interface GateCrlRow {
  trust_root: Buffer;
  trust_user_authentication: Buffer;
  root_crl: Buffer;
  complete_crl: Buffer;
  delta_crl: Buffer | null;
  crl_number: string;
  fetched_at: Date;
}

/**
 * Per-gate CRL caches, persisted (replicas share them; a restarted gate keeps its cache) and parsed once
 * per synchronisation in memory. Synchronisation downloads only the delta CRL when it applies.
 */
@Injectable()
export class GateCrlCache {
  private readonly parsed = new Map<string, { key: string; cache: GateCache }>();

  constructor(
    private readonly ds: DataSource,
    private readonly directory: CaDirectoryClient,
    private readonly verifier: TicketingVerifier,
  ) {}

  async load(gateId: string): Promise<GateCache | undefined> {
    const [meta] = (await this.ds.query(`SELECT crl_number, fetched_at FROM gate_crl WHERE gate_id = $1`, [gateId])) as { crl_number: string; fetched_at: Date }[];
    if (!meta) return undefined;
    const key = `${meta.crl_number}@${meta.fetched_at.getTime()}`;
    const hit = this.parsed.get(gateId);
    if (hit?.key === key) return hit.cache;
    const [row] = (await this.ds.query(`SELECT * FROM gate_crl WHERE gate_id = $1`, [gateId])) as GateCrlRow[];
    if (!row) return undefined;
    const trust = { root: row.trust_root, userAuthentication: row.trust_user_authentication };
    const cache: GateCache = {
      trust,
      snapshot: buildCrlSnapshot({
        issuerCertificate: trust.userAuthentication,
        complete: row.complete_crl,
        ...(row.delta_crl ? { delta: row.delta_crl } : {}),
        fetchedAt: row.fetched_at,
      }),
      root: buildCrlSnapshot({ issuerCertificate: trust.root, complete: row.root_crl, fetchedAt: row.fetched_at }),
      fetchedAt: row.fetched_at,
    };
    this.parsed.set(gateId, { key: `${cache.snapshot.crlNumber}@${row.fetched_at.getTime()}`, cache });
    return cache;
  }

  /** Synchronises the gate's cache with the CA (throws when the CA is unreachable or a CRL does not verify). */
  async synchronise(gateId: string, at: Date): Promise<{ cache: GateCache; kind: CrlSyncKind; bytes: number }> {
    const trust = await this.verifier.trust(at);
    const current = await this.load(gateId).catch(() => undefined);
    const sameCa = current?.trust.userAuthentication.equals(trust.userAuthentication);
    const sync = await synchroniseCrl(
      sameCa ? current?.snapshot : undefined,
      trust.userAuthentication,
      { complete: () => this.directory.crl('user-authentication', 'complete'), delta: () => this.directory.crl('user-authentication', 'delta') },
      at,
    );
    const rootCrl = await this.directory.crl('root', 'complete');
    const root = buildCrlSnapshot({ issuerCertificate: trust.root, complete: rootCrl, fetchedAt: at });
    const { snapshot } = sync;
    await this.ds.query(
      `INSERT INTO gate_crl (gate_id, trust_root, trust_user_authentication, root_crl, complete_crl, delta_crl, crl_number, this_update, next_update,
                             revoked_entries, fetched_at, last_sync_kind, last_sync_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (gate_id) DO UPDATE SET trust_root = $2, trust_user_authentication = $3, root_crl = $4, complete_crl = $5, delta_crl = $6,
         crl_number = $7, this_update = $8, next_update = $9, revoked_entries = $10, fetched_at = $11, last_sync_kind = $12, last_sync_bytes = $13`,
      [
        gateId,
        trust.root,
        trust.userAuthentication,
        rootCrl,
        snapshot.complete.raw,
        snapshot.delta?.raw ?? null,
        snapshot.crlNumber.toString(),
        snapshot.thisUpdate,
        snapshot.nextUpdate ?? null,
        snapshot.entries.size,
        at,
        sync.kind,
        sync.bytes + rootCrl.length,
      ],
    );
    const cache: GateCache = { trust, snapshot, root, fetchedAt: at };
    this.parsed.set(gateId, { key: `${snapshot.crlNumber}@${at.getTime()}`, cache });
    return { cache, kind: sync.kind, bytes: sync.bytes + rootCrl.length };
  }
}
