import type { CommandApdu } from '../apdu/command-apdu';
import type { Scp03KeySet } from '../keys/scp03-key-set';
import { SequenceCounterMismatch } from '../errors';
import type { Scp03SMode } from '../scp03/security-level';
import { CardScript, type PlannedSession, type ScriptPart, type ScriptTransport } from './card-script';

/** Where the host keeps the sequence counter the card last used with one keyset (it is the keyset's only user). */
export interface SequenceCounterStore {
  last(): Promise<number | undefined>;
  saw(counter: number): Promise<void>;
}

/** A secure session added to a script, challenged by the SD or applet `challengeAid` selected just before it. */
export type PlanSession = (challengeAid: Buffer, commands: readonly CommandApdu[], longLastResponse?: boolean) => ScriptPart;

/** How the host opens sessions with the keyset: its security level and the carrier's S8/S16 mode. */
export interface KeysetChannel {
  readonly securityLevel: number;
  readonly sMode?: Scp03SMode;
}

/**
 * The host's SCP03 driver (the SP-TSM's and the MNO-TSM's alike): card operations with one keyset of one security
 * domain, each one script (see `CardScript`). The host knows the keyset's sequence counter, so it predicts the card's
 * challenge and sends every session of the operation at once. A counter it does not know costs one INITIALIZE UPDATE to
 * learn; a card that moved on (an answer that never came back) costs one refused EXTERNAL AUTHENTICATE and one
 * re-planned script. A script the card stops (a refused command, a failed check) still moves the counter to the last
 * INITIALIZE UPDATE the card answered in it. Without a `counter` store the session keeps the counter in memory, learnt
 * on first use.
 */
export class GpSession {
  constructor(
    private readonly transport: ScriptTransport,
    private readonly sdAid: Buffer,
    private readonly keys: Scp03KeySet,
    private readonly channel: KeysetChannel,
    private readonly counter: SequenceCounterStore = inMemoryCounter(),
  ) {}

  /**
   * SELECT of the SD, `plainBefore` and an INITIALIZE UPDATE: the card proves it holds the keyset (its cryptogram) and
   * the host learns the counter. Returns the answers to `plainBefore`.
   */
  async authenticateCard(plainBefore: readonly CommandApdu[] = []): Promise<Buffer[]> {
    const script = new CardScript();
    script.select(this.sdAid);
    const plain = script.plain(plainBefore);
    const initializeUpdate = script.initializeUpdate(this.sdAid, this.keys, { sMode: this.channel.sMode });
    await script.run(this.transport);
    await this.counter.saw(initializeUpdate.sequenceCounter ?? 0);
    return plain.data;
  }

  /** One script planned by `plan`; each `session` it adds is predicted from the counter before it. */
  async run<T>(plan: (script: CardScript, session: PlanSession) => T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let counter = (await this.counter.last()) ?? (await this.learnCounter());
      const script = new CardScript();
      const sessions: ScriptPart[] = [];
      const result = plan(script, (challengeAid, commands, long = false) => {
        const session = script.session(challengeAid, this.planned(++counter), commands, long);
        sessions.push(session);
        return session;
      });
      try {
        await script.run(this.transport);
      } catch (err) {
        // The card counted every INITIALIZE UPDATE it answered, whatever it refused after; the last is its counter now.
        const mismatch = err instanceof SequenceCounterMismatch ? err : undefined;
        const cardUsed = mismatch?.actual ?? sessions.filter((s) => s.sequenceCounter !== undefined).at(-1)?.sequenceCounter;
        if (cardUsed !== undefined) await this.counter.saw(cardUsed);
        if (mismatch?.actual === undefined || attempt > 1) throw err;
        continue;
      }
      await this.counter.saw(counter);
      return result;
    }
  }

  private planned(sequenceCounter: number): PlannedSession {
    return { keys: this.keys, securityLevel: this.channel.securityLevel, sMode: this.channel.sMode, sequenceCounter };
  }

  private async learnCounter(): Promise<number> {
    await this.authenticateCard();
    return (await this.counter.last()) ?? 0;
  }
}

function inMemoryCounter(): SequenceCounterStore {
  let last: number | undefined;
  return {
    last: async () => last,
    saw: async (counter) => {
      last = counter;
    },
  };
}
