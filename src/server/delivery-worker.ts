import { deliverDue } from "../operations/destination-operations.js";
import type { Store } from "../operations/operation.js";

/**
 * The server's webhook deliveries (issue 18, item 2): every `pollMs`, one pass over the outbox delivers what is due
 * — the deliveries each refresh recorded (the live refresh's among them) and the retries whose wait is over — through
 * the store's own sessions, so the write queue is never held while a receiver answers. One pass at a time. `close`
 * stops it: an attempt under way is abandoned, not counted, and sent again (same webhook-id) after a restart.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly stop = new AbortController();
  /** Passes run (tests). */
  passes = 0;
  private lastError: { text: string; at: number } | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: { pollMs?: number; onError?: (e: unknown) => void } = {},
  ) {
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stop.signal.aborted || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pass().then(() => {
        this.running = null;
        this.schedule(this.options.pollMs ?? 1000);
      });
    }, delay);
  }

  private async pass(): Promise<void> {
    try {
      await deliverDue(this.store, { signal: this.stop.signal });
      this.passes++;
      this.lastError = null;
    } catch (e) {
      if (this.stop.signal.aborted) return;
      // The same failure every second (a missing encryption key) is said once a minute, not at every pass.
      const text = String((e as Error).message ?? e);
      const now = Date.now();
      if (this.lastError?.text === text && now - this.lastError.at < 60_000) return;
      this.lastError = { text, at: now };
      this.options.onError?.(e);
    }
  }

  /** Stops delivering; waits for the pass under way to end (its attempt abandoned). */
  async close(): Promise<void> {
    this.stop.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
