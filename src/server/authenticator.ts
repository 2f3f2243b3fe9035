import { authenticate, type Role } from "../operations/access-operations.js";
import type { Store } from "../operations/operation.js";

export interface Caller {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/**
 * Who a key is, remembered for `ttlMs` (default 5 s): a key is looked up in the store once per few seconds, not at
 * every request (at one event per request, the lookup cost more than the rest of the request). A key revoked while
 * the server runs is refused within the TTL. Unknown keys are remembered too, for a second, so that a client
 * retrying with a wrong key does not reach the store each time.
 */
export class Authenticator {
  private readonly known = new Map<string, { caller: Caller | null; until: number }>();
  /** Lookups under way: the requests that find a key expired at once share one (not one query each). */
  private readonly looking = new Map<string, Promise<Caller | null>>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5000,
  ) {}

  async caller(key: string): Promise<Caller | null> {
    const now = performance.now();
    const hit = this.known.get(key);
    if (hit && hit.until > now) return hit.caller;
    let lookup = this.looking.get(key);
    if (lookup === undefined) {
      lookup = authenticate(this.store, key)
        .then((caller) => {
          // Bounded: a flood of distinct keys empties it rather than growing it.
          if (this.known.size >= 10_000) this.known.clear();
          this.known.set(key, { caller, until: now + (caller ? this.ttlMs : Math.min(this.ttlMs, 1000)) });
          return caller;
        })
        .finally(() => this.looking.delete(key));
      this.looking.set(key, lookup);
    }
    return lookup;
  }
}
