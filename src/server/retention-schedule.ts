import { type Caller, runOperation, type Store } from "../operations/operation.js";
import {
  privacyApplyRetentionOperation,
  privacyRetentionOperation,
} from "../operations/privacy-retention-operations.js";

/** How often the server removes expired data (issue 17, item 6): once a day, and once at start. */
export const RETENTION_EVERY_MS = 24 * 60 * 60 * 1000;

/** The server, as the audit log names it when it applies retention on its own. */
const SERVER: Caller = { who: "server:retention", role: "admin" };

/**
 * Applies retention (`privacy.apply-retention`) soon after the server starts and then every `everyMs`, as one write
 * among the others (the store queues it). A run that fails is reported and tried again at the next tick; a tick
 * while one runs is skipped. The timer does not keep the process alive.
 */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Runs done and failed (for tests and the log). */
  runs = 0;
  failures = 0;

  constructor(
    private readonly store: Store,
    private readonly options: {
      everyMs?: number;
      /** The first run's delay after start (default 1 s: the server answers first). */
      firstMs?: number;
      onError?: (e: unknown) => void;
    } = {},
  ) {
    this.arm(options.firstMs ?? 1000);
  }

  private arm(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running ??= this.tick().finally(() => {
        this.running = null;
        this.arm(this.options.everyMs ?? RETENTION_EVERY_MS);
      });
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      // Without any period set (the default) nothing can expire: no write, so no cached answer is dropped.
      const { periods } = await runOperation(this.store, privacyRetentionOperation, {}, () => {}, SERVER);
      if (periods.every((p) => p.period === null)) return;
      await runOperation(this.store, privacyApplyRetentionOperation, {}, () => {}, SERVER);
      this.runs++;
    } catch (e) {
      this.failures++;
      this.options.onError?.(e);
    }
  }

  /** Stops the schedule and waits for a run under way. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
