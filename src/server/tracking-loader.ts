import { isUserError } from "../errors.js";
import type { TrackingRow } from "../operations/tracking-operations.js";
import { UnderWay } from "./under-way.js";
import type { WalRecord, WriteAheadLog } from "./wal.js";

/**
 * A record to load and its place in the log: as the log holds it (replayed after a restart), or the row itself
 * while the server still has it in memory (appended since start: not parsed again, and its text not kept twice).
 */
export type QueuedRecord = WalRecord | { readonly seq: number; readonly row: TrackingRow };

const rowOf = (r: QueuedRecord): TrackingRow => ("row" in r ? r.row : (JSON.parse(r.text) as TrackingRow));

/** The earliest (`pick` Math.min) or latest (Math.max) event time among records; null: no event among them. */
function eventTime(records: readonly QueuedRecord[], pick: (a: number, b: number) => number): Date | null {
  let found: number | null = null;
  for (const r of records) {
    const { kind, row } = rowOf(r);
    if (kind !== "events" || typeof row.timestamp !== "string") continue;
    const t = Date.parse(row.timestamp);
    found = found === null ? t : pick(found, t);
  }
  return found === null ? null : new Date(found);
}

const latestEvent = (records: readonly QueuedRecord[]): Date | null => eventTime(records, Math.max);

/**
 * Moves acknowledged tracking records from the write-ahead log into the store, in batches: what arrived while a
 * load ran goes in the next one (at most `batch` records each), and after each the log's checkpoint moves past
 * what was loaded. On start it loads what the log holds after its checkpoint (records acknowledged before a crash
 * or a stop). A load that fails is tried again later: the records stay in the queue and the log.
 */
export class TrackingLoader {
  private readonly queue: QueuedRecord[];
  private running: Promise<void> | null = null;
  /** The load writing now (after its turn came), if any. */
  private readonly writing = new UnderWay();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Records loaded since start, and loads that failed (for the log line and tests). */
  loaded = 0;
  failures = 0;
  /** Records the store refused even alone: reported, and passed. */
  skipped = 0;

  constructor(
    private readonly wal: WriteAheadLog,
    private readonly load: (rows: TrackingRow[]) => Promise<unknown>,
    private readonly options: {
      delayMs?: number;
      batch?: number;
      onError?: (e: unknown) => void;
      /** Called after rows went into the store, with their latest event time (live segments refresh then). */
      onLoaded?: (latest: Date | null) => void;
      /**
       * Other writing under way that a load waits for before it takes its records (the live refresh): what is
       * acknowledged meanwhile goes in this load, rather than waiting in the store's queue behind the records the
       * load took before it.
       */
      turn?: () => Promise<void>;
    } = {},
  ) {
    this.queue = [...wal.replay()];
    if (this.queue.length > 0) this.schedule(0);
  }

  /** Records appended (and synced) to the log: they are loaded soon. */
  added(records: readonly QueuedRecord[]): void {
    this.queue.push(...records);
    this.schedule(this.options.delayMs ?? 50);
  }

  /**
   * The earliest time of an event acknowledged but not yet in the store (null: none). A live refresh evaluates as
   * of no later than this, so that the event, once loaded, is dated after that refresh and is counted as new
   * (not as a late row, which makes the next refresh read all of its person's events again).
   */
  pendingSince(): Date | null {
    return eventTime(this.queue, Math.min);
  }

  /** Resolves when the load writing now (if any) has ended: a live refresh waits for it before taking its as-of. */
  settled(): Promise<void> {
    return this.writing.settled();
  }

  /** Whether every record acknowledged so far is in the store. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === null;
  }

  private schedule(delay: number): void {
    if (this.stopped || this.timer !== null || this.running !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.drain().finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.schedule(this.options.delayMs ?? 50);
      });
    }, delay);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.options.turn?.();
      const chunk = this.queue.slice(0, this.options.batch ?? 10_000);
      // Settled only once the loaded records have left the queue: a refresh waiting for it then sees them loaded.
      if (!(await this.writing.track(this.loadChunk(chunk)))) return;
      // A full batch means a backlog: the next at once. Else what arrives meanwhile waits the delay, so that loads
      // of a trickle (one event per request) gather into fewer, larger ones.
      if (chunk.length < (this.options.batch ?? 10_000)) return;
    }
  }

  /** Loads records that head the queue, then takes them off it; false: the store failed, they stay. */
  private async loadChunk(chunk: readonly QueuedRecord[]): Promise<boolean> {
    try {
      await this.load(chunk.map(rowOf));
    } catch (e) {
      this.failures++;
      this.options.onError?.(e);
      // One record the store refuses for good must not hold back the others: the group is loaded record by
      // record, and what is refused alone for what it holds is reported and passed.
      if (!(await this.oneByOne(chunk))) return false;
    }
    this.queue.splice(0, chunk.length);
    this.loaded += chunk.length;
    this.wal.checkpoint((chunk.at(-1) as QueuedRecord).seq);
    this.options.onLoaded?.(latestEvent(chunk));
    return true;
  }

  /**
   * Loads each record alone. A record refused for what it holds (a user error: the same again every time) is
   * reported and passed; any other failure (the store itself) stops it: false, and the group is tried again later
   * (what was loaded of it loads again as already present).
   */
  private async oneByOne(chunk: readonly QueuedRecord[]): Promise<boolean> {
    for (const record of chunk) {
      try {
        await this.load([rowOf(record)]);
      } catch (e) {
        if (!isUserError(e)) return false;
        this.options.onError?.(e);
        this.skipped++;
      }
    }
    return true;
  }

  /** Loads what is queued (one last time) and stops. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
    await this.drain();
  }
}
