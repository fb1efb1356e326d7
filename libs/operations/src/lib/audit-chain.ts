import { createHash } from 'node:crypto';
import type { InvariantCheck, Row } from './invariants';

const GENESIS: Buffer = Buffer.alloc(32);
const PAGE = 5_000;

/**
 * The CA's audit log, re-chained here rather than by the CA's own `audit_log_verify()`: the database only renders
 * each entry's fields as the chaining trigger hashes them (jpki-ca migration CreateAuditLog),
 * hash(n) = SHA-256(prev_hash(n) ‖ UTF-8(seq \n occurred_at \n recorded_at \n actor \n action \n subject \n details)),
 * prev_hash(1) = 32 zero bytes. The first broken link is reported with its seq.
 */
export const caAuditChainIntact: InvariantCheck = {
  name: 'ca-audit-chain-intact',
  description: "every entry of the CA's audit log links to the one before it and its hash covers its content (first broken link reported)",
  run: async (ctx) => {
    const ca = ctx.schemas.ca;
    if (!ctx.present.has(ca)) return [];
    const [{ exists }] = await ctx.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`"${ca}".audit_log`]);
    if (!exists) return [];
    let previous = GENESIS;
    let after = '-1';
    for (;;) {
      const rows = await ctx.query(
        `SELECT seq::text AS seq, prev_hash, hash,
                seq::text || E'\\n' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' ||
                to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' || actor || E'\\n' || action || E'\\n' ||
                coalesce(subject, '') || E'\\n' || details::text AS content
         FROM "${ca}".audit_log a WHERE a.seq > $1::bigint ORDER BY a.seq LIMIT ${PAGE}`,
        [after],
      );
      for (const row of rows) {
        const broken = brokenLink(row, previous);
        if (broken) return [broken];
        previous = row['hash'] as Buffer;
      }
      if (rows.length < PAGE) return [];
      after = String(rows[rows.length - 1]['seq']);
    }
  },
};

function brokenLink(row: Row, previous: Buffer): Row | undefined {
  const seq = String(row['seq']);
  const prevHash = row['prev_hash'] as Buffer;
  if (!prevHash.equals(previous)) return { seq, problem: `audit entry ${seq} does not link to the entry before it (an entry was removed, inserted or reordered)` };
  const expected = createHash('sha256').update(prevHash).update(String(row['content']), 'utf8').digest();
  if (!expected.equals(row['hash'] as Buffer)) return { seq, problem: `audit entry ${seq} was modified: its hash does not cover its content` };
  return undefined;
}
