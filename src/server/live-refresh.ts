import { runOperation, type Store } from "../operations/operation.js";
import { segmentRefreshOperation } from "../operations/segment-operations.js";
import { UnderWay } from "./under-way.js";

/**
 * Live segments (issue 16): while the server takes events, every load of tracked events is followed, within
 * `delayMs`, by a refresh of the saved segments (and the values they read) at the default as-of — now, for data
 * that reach today — incremental where it can be. Loads that arrive during a refresh are covered by the next one:
 * never two at a time, never one per event. Membership stays and history are recorded as any refresh records them.
 */
export class LiveRefresh {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** The refresh writing now (after its turn came), if any. */
  private readonly writing = new UnderWay();
  private again = false;
  /** The latest event time loaded (a refresh is due until one evaluates as of it or later). */
  private latest: Date | null = null;
  private stopped = false;
  /** Refreshes run (for tests and the request log). */
  runs = 0;

  constructor(
    private readonly store: Store,
    private readonly options: {
      delayMs?: number;
      onError?: (e: unknown) => void;
      /** The time to evaluate as of (default: the operation's default, now for live data). */
      asOf?: () => Date;
      /**
       * Other writing under way that a refresh waits for before it takes its as-of (a load of tracked events):
       * the refresh then evaluates what that load brought, rather than an as-of taken before it.
       */
      turn?: () => Promise<void>;
    } = {},
  ) {}

  /**
   * New data are in the store: refresh soon. `latest`: the latest event time among them — a refresh whose as-of
   * falls before it (a live as-of keeps a margin behind now) is followed by one more once the clock has passed it,
   * so the last events of a stream show too, with no event after them to set off a refresh.
   */
  changed(latest?: Date | null): void {
    if (latest && (this.latest === null || latest > this.latest)) this.latest = latest;
    this.schedule(this.options.delayMs ?? 500);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.refresh().then((asOf) => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.schedule(this.options.delayMs ?? 500);
        } else if (asOf !== null && this.latest !== null && this.latest >= asOf) {
          // Evaluated before the latest event: once more when the as-of can reach it — within seconds; an event
          // dated further ahead (a client's clock) shows at a refresh its own time sets off later.
          const wait = this.latest.getTime() - asOf.getTime() + 300;
          if (wait <= 5000) this.schedule(Math.max(this.options.delayMs ?? 500, wait));
        }
      });
    }, delay);
  }

  /** One refresh; the as-of it evaluated (null: it failed). */
  private async refresh(): Promise<Date | null> {
    try {
      await this.options.turn?.();
      const asOf = this.options.asOf?.();
      const r = await this.writing.track(
        runOperation(this.store, segmentRefreshOperation, { live: true, ...(asOf ? { asOf } : {}) }),
      );
      this.runs++;
      return new Date(r.asOf);
    } catch (e) {
      this.options.onError?.(e);
      return null;
    }
  }

  /** Resolves when the refresh writing now (if any) has ended: a load waits for it before taking its records. */
  settled(): Promise<void> {
    return this.writing.settled();
  }

  /** Stops refreshing (a refresh under way finishes). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
