import type { Store } from "../store/store.js";

/**
 * What an operation's answer depends on, or what a write changes, coarsely: `data` (customers, identities, events,
 * orders, consents … and the customer ids in derived tables, which identity merges rewrite), `segments`
 * (definitions, versions, refresh records and the number of open stays per segment), `values` (computed values,
 * clusterings), `access` (keys), `privacy` (the privacy settings: the k of every report, differential privacy).
 */
export type Topic = "data" | "segments" | "values" | "access" | "privacy" | "activation";
export const TOPICS: readonly Topic[] = ["data", "segments", "values", "access", "privacy", "activation"];

interface Entry {
  /** The generations of the entry's topics when its read began. */
  readonly stamp: string;
  readonly at: number;
  readonly answer: Promise<unknown>;
}

/**
 * Answers of cheap, frequent reads (the segment catalogue a dashboard polls) kept in memory for a store held open
 * by a server, until a write changes what they read: a write that completes moves its topics' generation on, and
 * an entry made under an older generation is not used again. A read under way while a write commits started from
 * the state before it, so its answer carries the old generation and is never served after the write. Concurrent
 * misses of one key share one read. Where other processes may write the same database (a ClickHouse server),
 * entries also expire after `maxAgeMs` — the staleness such a reader accepts; an embedded database this process
 * holds has no other writer.
 */
export class ResultCache {
  private readonly generations = new Map<Topic, number>(TOPICS.map((t) => [t, 0]));
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The answer for `key` (reading `topics`), from memory when still true, else from `read`. */
  get<T>(key: string, topics: readonly Topic[], read: () => Promise<T>): Promise<T> {
    const stamp = topics.map((t) => this.generations.get(t)).join(".");
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.stamp === stamp && t - hit.at <= this.maxAgeMs) return hit.answer as Promise<T>;
    const answer = read();
    // Bounded: many distinct inputs empty it rather than grow it.
    if (this.entries.size >= 1000) this.entries.clear();
    const entry = { stamp, at: t, answer };
    this.entries.set(key, entry);
    // A failure is not kept: the next call reads again.
    answer.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return answer;
  }

  /** A write that may have changed `topics` has ended (committed or not). */
  changed(topics: readonly Topic[]): void {
    for (const t of topics) this.generations.set(t, (this.generations.get(t) ?? 0) + 1);
  }
}

const caches = new WeakMap<Store, ResultCache>();

/** The cache of a store (one per open store, made at first use). */
export function resultCache(store: Store): ResultCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new ResultCache(store.exclusive ? Number.POSITIVE_INFINITY : 1000);
    caches.set(store, cache);
  }
  return cache;
}
