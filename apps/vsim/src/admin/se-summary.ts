import { CardLifeCycle, isLocked, Privileges, sModeOf } from '@jpki/globalplatform';
import { freeMemory, memoryUsed, type CardImage, type RegistryRecord } from '@jpki/uicc';
import type { SeRow } from '../cards/card-store';
import type { SeSummary } from '../http-schemas';

const byte = (value: number) => value.toString(16).toUpperCase().padStart(2, '0');

const CARD_STATES = new Map<number, string>(Object.entries(CardLifeCycle).map(([name, value]) => [value, name]));

function cardLifeCycle(value: number) {
  return { value: byte(value), name: CARD_STATES.get(value) ?? 'UNKNOWN' };
}

function entryLifeCycle(record: RegistryRecord) {
  const value = record.lifeCycle;
  if (record.kind === 'ELF') return { value: byte(value), name: value === 0x01 ? 'LOADED' : 'UNKNOWN' };
  if (isLocked(value)) return { value: byte(value), name: 'LOCKED' };
  const names: Record<number, string> = { 0x03: 'INSTALLED', 0x07: 'SELECTABLE' };
  if (record.kind !== 'APP') names[0x0f] = 'PERSONALIZED';
  return { value: byte(value), name: names[value] ?? 'APPLICATION_SPECIFIC' };
}

/** What an auditor or integrator may see of a card: structure and counters, never keys, PIN digests or key pairs. */
function entrySummary(record: RegistryRecord, maxFailed: number): SeSummary['card']['registry'][number] {
  const base = { aid: record.aid, kind: record.kind, lifeCycle: entryLifeCycle(record), associatedSd: record.associatedSd };
  switch (record.kind) {
    case 'ELF':
      return { ...base, modules: record.modules };
    case 'ISD':
    case 'SSD':
      return {
        ...base,
        privileges: Privileges.fromBytes(Buffer.from(record.privileges, 'hex')).names(),
        scp03: { i: byte(record.scpOptions), mode: `S${sModeOf(record.scpOptions)}` as const },
        keysets: record.keysets.map((k) => ({
          kvn: byte(k.kvn),
          keyBits: (Math.max(k.enc.length, k.mac.length, k.dek.length) / 2) * 8,
          complete: k.enc !== '' && k.mac !== '' && k.dek !== '',
          sequenceCounter: k.sequenceCounter,
          failedAuthentications: k.failedAuthentications,
          blocked: k.failedAuthentications >= maxFailed,
        })),
      };
    case 'APP':
      return {
        ...base,
        privileges: Privileges.fromBytes(Buffer.from(record.privileges, 'hex')).names(),
        ...(record.jpki
          ? {
              jpki: {
                role: record.jpki.role ?? 'user-authentication',
                pinSet: record.jpki.pinDigest !== null,
                pinTriesRemaining: record.jpki.pinTriesRemaining,
                contentKey: record.jpki.contentKey !== null,
                keyPair: record.jpki.privateKey !== null,
                certificate: record.jpki.certificate !== null,
              },
            }
          : {}),
      };
  }
}

export interface ChannelRow {
  channel: number;
  aid: string;
  opened_at: Date;
  imei: string;
  last_used_at: Date;
}

export function summarizeSe(row: SeRow, image: CardImage, channels: ChannelRow[], binding: { imei: string; bound_at: Date } | undefined): SeSummary {
  return {
    seid: row.seid,
    kind: row.kind,
    carrier: row.carrier,
    generation: row.generation,
    handset: {
      power: row.handsetOn ? 'on' : 'off',
      changedAt: row.powerChangedAt?.toISOString() ?? null,
      imei: binding?.imei ?? null,
      boundAt: binding?.bound_at.toISOString() ?? null,
    },
    revision: row.revision,
    manufacturedAt: row.manufacturedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    card: {
      lifeCycle: cardLifeCycle(image.cardLifeCycle),
      isdAid: row.isdAid,
      memory: { quotaBytes: image.memoryQuotaBytes, usedBytes: memoryUsed(image), freeBytes: freeMemory(image) },
      registry: image.registry.map((record) => entrySummary(record, image.maxFailedAuthentications)),
    },
    openChannels: channels.map((c) => ({ channel: c.channel, aid: c.aid, openedAt: c.opened_at.toISOString(), imei: c.imei, lastUsedAt: c.last_used_at.toISOString() })),
  };
}
