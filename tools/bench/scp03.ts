/**
 * Benchmark: SCP03 wrapped APDUs per second — the host wraps a 200-byte STORE DATA block (C-MAC, C-ENC as the level
 * asks), the card unwraps and checks it, answers, and the host checks the response (R-MAC, R-ENC) — per security level
 * and S8/S16 mode, beside the raw AES-CMAC rate over the same 200 bytes and node's AES-128-CBC rate (the machine's own
 * AES limit), all measured in the same run on this thread. The host is `GpSession` as the services drive a card: one
 * script of 50 wrapped commands in one predicted session, whose set-up (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, both
 * sides' session keys) is counted in the figure. No platform: this is the card path's crypto alone.
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
  Sw,
  type Scp03SMode,
  type ScriptTransport,
  type SequenceCounterStore,
} from '@jpki/globalplatform';
import { measureRate } from '@jpki/testing';
import { benchDuration, log, runAsScript, writeBenchResult } from './bench-support';

const BLOCK = 200;
/** Wrapped commands per script: a large card operation (an 8 KiB load file is about 35 LOAD blocks). */
const COMMANDS_PER_SCRIPT = 50;
const AID = Buffer.from('A0000001515350', 'hex');

export interface Scp03Result {
  aesCmacPerSecond: number;
  aes128CbcPerSecond: number;
  commandsPerScript: number;
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
 * The security domain's side of each script: INITIALIZE UPDATE on the next sequence counter, EXTERNAL AUTHENTICATE,
 * then every command unwrapped (C-MAC checked, C-ENC decrypted) and its answer wrapped.
 */
function securityDomain(keys: Scp03KeySet, sMode: Scp03SMode): ScriptTransport {
  let sequenceCounter = 0;
  return async (apdus) => {
    const [initializeUpdate, externalAuthenticate, ...commands] = apdus.map((apdu) => CommandApdu.parse(apdu));
    sequenceCounter += 1;
    const i = sMode === 16 ? 0x71 : 0x70;
    const { session, response } = Scp03CardSession.initializeUpdate({ keys, kdd: Buffer.alloc(10), sequenceCounter, aid: AID, hostChallenge: initializeUpdate.data, i });
    const authenticated = session.externalAuthenticate(externalAuthenticate);
    if (authenticated !== Sw.OK) throw new Error('the card did not authenticate the host');
    const answers = commands.map((command) => {
      session.unwrapCommand(command);
      return session.wrapResponse(ResponseApdu.ok());
    });
    return [ResponseApdu.ok(response), ResponseApdu.status(authenticated), ...answers].map((answer) => answer.toBytes());
  };
}

/** The host's counter for the keyset, known from the start (as the SP-TSM keeps it), so no script is spent learning it. */
function knownCounter(): SequenceCounterStore {
  let last = 0;
  return {
    last: async () => last,
    saw: async (counter) => {
      last = counter;
    },
  };
}

/** `measureRate` for an operation that resolves later (a script's run). */
async function measureScriptRate(ms: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await op();
  const start = process.hrtime.bigint();
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    await op();
    n += 1;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Wrapped APDUs per second through `GpSession` scripts of `COMMANDS_PER_SCRIPT` commands. */
async function wrappedRate(ms: number, command: CommandApdu, keys: Scp03KeySet, securityLevel: number, sMode: Scp03SMode): Promise<number> {
  const host = new GpSession(securityDomain(keys, sMode), AID, keys, { securityLevel, sMode }, knownCounter());
  const commands = Array.from({ length: COMMANDS_PER_SCRIPT }, () => command);
  const scriptsPerSecond = await measureScriptRate(ms, () => host.run((_script, session) => session(AID, commands)));
  return scriptsPerSecond * COMMANDS_PER_SCRIPT;
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
        const apdusPerSecond = await wrappedRate(ms, command, keyset(keyBits / 8), value, sMode);
        wrapped.push({ level, sMode, keyBits, apdusPerSecond, perCmac: apdusPerSecond / aesCmacPerSecond });
      }
    }
  }
  log(`  raw AES-CMAC (${BLOCK} B, this library): ${aesCmacPerSecond.toFixed(0)}/s   node AES-128-CBC (${BLOCK} B): ${aes128CbcPerSecond.toFixed(0)}/s`);
  log(`  wrapped APDU round trips (host wrap + card unwrap + card response + host check, as bytes on the wire; ${COMMANDS_PER_SCRIPT} a script):`);
  for (const w of wrapped) {
    log(`    AES-${w.keyBits} S${String(w.sMode).padEnd(2)} ${w.level.padEnd(24)} ${w.apdusPerSecond.toFixed(0).padStart(7)}/s  (${w.perCmac.toFixed(2)} × raw AES-CMAC)`);
  }
  const result = { aesCmacPerSecond, aes128CbcPerSecond, commandsPerScript: COMMANDS_PER_SCRIPT, wrapped };
  writeBenchResult('scp03', result);
  return result;
}

runAsScript(module, run);
