/**
 * A background worker: runs `work` again and again, sleeping `periodMs` between runs unless
 * nudged (e.g. by a PostgreSQL NOTIFY). A nudge during a run makes the next run start at once.
 */
export class WakeableLoop {
  private running = false;
  private nudged = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly periodMs: () => number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.nudged = false;
      try {
        await this.work();
      } catch (err) {
        this.onError(err);
      }
      if (this.running && !this.nudged) await this.sleep(this.periodMs());
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
