import type { CheckContext, InvariantCheck, Row } from './invariants';
import type { CardContent } from './platform-services';

interface ServiceRecord {
  iccid: string;
  ssd_aid: string;
  applet_aid: string;
  state: 'operational' | 'suspended' | 'terminated';
}

const CARD_READS_AT_ONCE = 8;
const upper = (aid: string) => aid.toUpperCase();

/**
 * Every card vsim holds, read through its operator API, against what the SP-TSM (`service_instance`) and the
 * carriers' MNO-TSMs (`ssd`) record. Cards with work in flight (a running enrollment or service saga, a queued
 * operation, a record changed within the grace period) are left out: their card and records may still differ.
 */
export const cardRegistriesAgreeWithTsmRecords: InvariantCheck = {
  name: 'card-registries-agree-with-tsm-records',
  description:
    'every card (SIM or eSE) the SP-TSM records with the service holds its SSD (LOCKED iff suspended) and JPKI applet; a terminated service left no SSD; no card holds an SSD or applet neither TSM records',
  requires: 'services',
  run: async (ctx) => {
    const { spTsm, vsim } = ctx.schemas;
    if (!ctx.present.has(spTsm) || !ctx.present.has(vsim) || !ctx.services) return [];
    const records = (await ctx.query(`SELECT seid AS iccid, ssd_aid, applet_aid, state FROM "${spTsm}".service_instance`)) as unknown as ServiceRecord[];
    const carrierSsds = await liveCarrierSsds(ctx);
    const unsettled = await unsettledSims(ctx);
    const sims = (await ctx.query(`SELECT seid FROM "${vsim}".sim ORDER BY seid`)).map((r) => String(r['seid'])).filter((iccid) => !unsettled.has(iccid));
    const cards = ctx.services.cards;
    const violations: Row[] = [];
    for (let i = 0; i < sims.length; i += CARD_READS_AT_ONCE) {
      const batch = sims.slice(i, i + CARD_READS_AT_ONCE);
      const read = await Promise.all(batch.map(async (iccid) => [iccid, await cards(iccid)] as const));
      for (const [iccid, card] of read) {
        const record = records.find((r) => r.iccid === iccid);
        if (!card) violations.push({ iccid, problem: 'vsim lists the SIM but its operator API does not find it' });
        else violations.push(...cardAgainstRecords(card, record, carrierSsds.get(iccid) ?? new Set()).map((problem) => ({ iccid, problem })));
      }
    }
    const missingSims = records.filter((r) => r.state !== 'terminated' && !unsettled.has(r.iccid) && !sims.includes(r.iccid));
    return [...violations, ...missingSims.map((r) => ({ iccid: r.iccid, problem: `the SP-TSM records the service ${r.state} but vsim holds no such SIM` }))];
  },
};

/** What is wrong with one card given the SP-TSM's record of it (if any) and the SSDs its carrier records as live. */
function cardAgainstRecords(card: CardContent, record: ServiceRecord | undefined, carrierSsds: Set<string>): string[] {
  const problems: string[] = [];
  const entry = (aid: string) => card.registry.find((e) => upper(e.aid) === upper(aid));
  const live = record && record.state !== 'terminated' ? record : undefined;
  if (live) {
    const ssd = entry(live.ssd_aid);
    const applet = entry(live.applet_aid);
    const locked = ssd?.lifeCycle.name === 'LOCKED';
    if (!ssd) problems.push(`SSD ${live.ssd_aid} missing on the card (SP-TSM: ${live.state})`);
    else if (locked !== (live.state === 'suspended')) problems.push(`SSD ${live.ssd_aid} is ${ssd.lifeCycle.name} on the card but the SP-TSM records the service ${live.state}`);
    if (!applet) problems.push(`JPKI applet ${live.applet_aid} missing on the card (SP-TSM: ${live.state})`);
  } else if (record && entry(record.ssd_aid)) {
    problems.push(`SSD ${record.ssd_aid} still on the card after the SP-TSM terminated the service`);
  }
  const recordedSsds = new Set([...carrierSsds, ...(live ? [upper(live.ssd_aid)] : [])]);
  for (const e of card.registry) {
    if (e.kind === 'SSD' && !recordedSsds.has(upper(e.aid))) problems.push(`orphan SSD ${e.aid} on the card: neither the SP-TSM nor the MNO-TSM records it`);
    const underSsd = e.kind === 'APP' && e.associatedSd !== undefined && upper(e.associatedSd) !== upper(card.isdAid);
    if (underSsd && upper(e.aid) !== upper(live?.applet_aid ?? '') && !recordedSsds.has(upper(e.associatedSd ?? ''))) {
      problems.push(`orphan applet ${e.aid} on the card under SSD ${e.associatedSd}: neither the SP-TSM nor the MNO-TSM records it`);
    }
  }
  return problems;
}

/** The SSDs the TSMs (the carriers' MNO-TSMs, the SE-management TSM) record as on the card (being created, created or locked), by SEID. */
async function liveCarrierSsds(ctx: CheckContext): Promise<Map<string, Set<string>>> {
  const bySim = new Map<string, Set<string>>();
  for (const s of ctx.schemas.tsm.filter((x) => ctx.present.has(x))) {
    for (const r of await ctx.query(`SELECT iccid, ssd_aid FROM "${s}".ssd WHERE state IN ('creating', 'created', 'locked')`)) {
      const iccid = String(r['iccid']);
      bySim.set(iccid, (bySim.get(iccid) ?? new Set()).add(upper(String(r['ssd_aid']))));
    }
  }
  return bySim;
}

/** SIMs with SP-TSM work in flight: a running saga, a queued service operation, or a record changed within the grace period. */
async function unsettledSims(ctx: CheckContext): Promise<Set<string>> {
  const sp = `"${ctx.schemas.spTsm}"`;
  const rows = await ctx.query(
    `SELECT coalesce(data->>'seid', data->>'iccid') AS iccid FROM ${sp}.saga WHERE status IN ('running', 'compensating') AND coalesce(data->>'seid', data->>'iccid') IS NOT NULL
     UNION SELECT seid FROM ${sp}.service_instance WHERE pending_operation IS NOT NULL OR updated_at > now() - make_interval(secs => $1)`,
    [ctx.graceSeconds],
  );
  return new Set(rows.map((r) => String(r['iccid'])));
}
