import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseCardFile, type CardFile } from './card-file';

/** Reads and validates a card file from disk. */
export async function loadCardFile(path: string): Promise<CardFile> {
  return parseCardFile(await readFile(path, 'utf8'));
}

/**
 * Writes a card file atomically (temporary file + rename), so a crash never leaves a half-written card and
 * the retry counters persisted before a credential check survive it.
 */
export async function saveCardFile(path: string, file: CardFile): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
