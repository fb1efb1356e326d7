import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Handset, type HandsetFile } from '@jpki/jpki-client';

/** The simulated phone on disk: the SIM it holds, its IMEI and its device key (mode 0600; the key never leaves it). */
export function saveHandset(path: string, handset: Handset): void {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, JSON.stringify(handset.toFile(), null, 2), { mode: 0o600 });
  renameSync(temporary, path);
}

export function loadHandset(path: string): Handset {
  return Handset.restore(JSON.parse(readFileSync(path, 'utf8')) as HandsetFile);
}
