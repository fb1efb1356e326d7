/**
 * Benchmark: SCP03 wrapped APDUs per second — the host wraps a 200-byte STORE DATA block (C-MAC, C-ENC as the level
 * asks), the card unwraps and checks it, answers, and the host checks the response (R-MAC, R-ENC) — per security level
 * and S8/S16 mode, beside the raw AES-CMAC rate over the same 200 bytes and node's AES-128-CBC rate (the machine's own
 * AES limit), all measured in the same run on this thread. No platform: this is the card path's crypto alone.
 *
 *   node -r @swc-node/register tools/bench/scp03.ts
 *   BENCH_MS=2000 (per figure; BENCH_SMOKE=1 shortens every figure to 200 ms)
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  aesCmac,
  buildStoreDataCommands,
  CommandApdu,
  GpSession,
  ResponseApdu,
  Scp03CardSession,
  Scp03KeySet,
  SecurityLevel,
  type Scp03SMode,
} from '@jpki/globalplatform';
import { measureRate } from '@jpki/testing';
import { benchDuration, log, runAsScript, writeBenchResult } from './bench-support';

const BLOCK = 200;
const AID = Buffer.from('A0000001515350', 'hex');

export interface Scp03Result {
  aesCmacPerSecond: number;
  aes128CbcPerSecond: number;
  wrapped: { level: string; sMode: Scp03SMode; keyBits: number; apdusPerSecond: number; perCmac: number }[];
}

const LEVELS: [string, number][] = [
  ['C-MAC', SecurityLevel.C_MAC],
  ['C-MAC+C-ENC', SecurityLevel.C_DECRYPTION_C_MAC],
  ['C-MAC+C-ENC+R-MAC+R-ENC', SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC],
];

function keyset(bytes: number): Scp03KeySet {
  return new Scp03KeySet(0x30, randomBytes(bytes), randomBytes(bytes), randomBytes(bytes));
}

/**
 * An authenticated host/card pair, as the SP-TSM and the SSD hold after EXTERNAL AUTHENTICATE: the host's GpSession
 * talks straight to the card's session (INITIALIZE UPDATE, then EXTERNAL AUTHENTICATE).
 */
async function openSession(keys: Scp03KeySet, level: number, sMode: Scp03SMode) {
  let card: Scp03CardSession | undefined;
  const host = new GpSession(async (bytes) => {
    const command = CommandApdu.parse(bytes);
    if (card) return ResponseApdu.status(card.externalAuthenticate(command)).toBytes();
    const initialized = Scp03CardSession.initializeUpdate({
      keys,
      kdd: Buffer.alloc(10),
      sequenceCounter: 1,
      aid: AID,
      hostChallenge: command.data,
      i: sMode === 16 ? 0x71 : 0x70,
    });
    card = initialized.session;
    return ResponseApdu.ok(initialized.response).toBytes();
  });
  await host.openSecureChannel({ keys, securityLevel: level, sMode, challengeAid: AID });
  if (!card?.isAuthenticated) throw new Error('the card did not authenticate the host');
  return { card, host };
}

export async function run(): Promise<Scp03Result> {
  const ms = benchDuration(2000);
  const data = randomBytes(BLOCK);
  const aesKey = randomBytes(16);
  log(`SCP03: ${ms} ms per figure, ${BLOCK}-byte STORE DATA blocks…`);
  const aesCmacPerSecond = measureRate(ms, () => aesCmac(aesKey, data));
  const aes128CbcPerSecond = measureRate(ms, () => createCipheriv('aes-128-cbc', aesKey, Buffer.alloc(16)).update(data));
  const [command] = buildStoreDataCommands(data, { structure: 'dgi', encryption: 'application-dependent' }, 239);
  const wrapped: Scp03Result['wrapped'] = [];
  for (const keyBits of [128, 256]) {
    for (const sMode of [8, 16] as Scp03SMode[]) {
      for (const [level, value] of LEVELS) {
        const { card, host } = await openSession(keyset(keyBits / 8), value, sMode);
        const apdusPerSecond = measureRate(ms, () => {
          const [wrapped] = host.wrapScript([command]);
          card.unwrapCommand(CommandApdu.parse(wrapped));
          host.unwrapScriptResponses([card.wrapResponse(ResponseApdu.ok()).toBytes()]);
        });
        wrapped.push({ level, sMode, keyBits, apdusPerSecond, perCmac: apdusPerSecond / aesCmacPerSecond });
      }
    }
  }
  log(`  raw AES-CMAC (${BLOCK} B, this library): ${aesCmacPerSecond.toFixed(0)}/s   node AES-128-CBC (${BLOCK} B): ${aes128CbcPerSecond.toFixed(0)}/s`);
  log('  wrapped APDU round trips (host wrap + card unwrap + card response + host check, as bytes on the wire):');
  for (const w of wrapped) {
    log(`    AES-${w.keyBits} S${String(w.sMode).padEnd(2)} ${w.level.padEnd(24)} ${w.apdusPerSecond.toFixed(0).padStart(7)}/s  (${w.perCmac.toFixed(2)} × raw AES-CMAC)`);
  }
  const result = { aesCmacPerSecond, aes128CbcPerSecond, wrapped };
  writeBenchResult('scp03', result);
  return result;
}

runAsScript(module, run);
