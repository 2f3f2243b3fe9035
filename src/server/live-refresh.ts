import { runOperation, type Store } from "../operations/operation.js";
import { segmentRefreshOperation } from "../operations/segment-operations.js";

/**
 * Live segments (issue 16): while the server takes events, every load of tracked events is followed, within
 * `delayMs`, by a refresh of the saved segments (and the values they read) at the default as-of — now, for data
 * that reach today — incremental where it can be. Loads that arrive during a refresh are covered by the next one:
 * never two at a time, never one per event. Membership stays and history are recorded as any refresh records them.
 */
export class LiveRefresh {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Refreshes run (for tests and the request log). */
  runs = 0;

  constructor(
    private readonly store: Store,
    private readonly options: { delayMs?: number; onError?: (e: unknown) => void } = {},
  ) {}

  /** New data are in the store: refresh soon. */
  changed(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.refresh().finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.changed();
        }
      });
    }, this.options.delayMs ?? 500);
  }

  private async refresh(): Promise<void> {
    try {
      await runOperation(this.store, segmentRefreshOperation, { live: true });
      this.runs++;
    } catch (e) {
      this.options.onError?.(e);
    }
  }

  /** Stops refreshing (a refresh under way finishes). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
