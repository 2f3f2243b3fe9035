import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { importBatchOperation } from "./ingest-operations.js";
import { runOperation } from "./operation.js";
import { ResultCache } from "./result-cache.js";
import { segmentAddOperation, segmentListOperation, segmentRefreshOperation } from "./segment-operations.js";

/** A read that counts its calls and answers when told. */
function pendingRead<T>() {
  let calls = 0;
  const resolvers: ((v: T) => void)[] = [];
  return {
    read: () => {
      calls++;
      return new Promise<T>((r) => resolvers.push(r));
    },
    answer: (v: T) => resolvers.shift()?.(v),
    get calls() {
      return calls;
    },
  };
}

describe("ResultCache", () => {
  it("answers from memory until a write changes a topic the answer reads", async () => {
    const cache = new ResultCache(Number.POSITIVE_INFINITY);
    let calls = 0;
    const read = async () => ++calls;
    expect(await cache.get("k", ["segments"], read)).toBe(1);
    expect(await cache.get("k", ["segments"], read)).toBe(1);
    cache.changed(["data"]);
    expect(await cache.get("k", ["segments"], read)).toBe(1);
    cache.changed(["segments", "values"]);
    expect(await cache.get("k", ["segments"], read)).toBe(2);
    // Other keys are other answers.
    expect(await cache.get("other", ["segments"], read)).toBe(3);
  });

  it("never serves, after a write, an answer whose read began before it", async () => {
    const cache = new ResultCache(Number.POSITIVE_INFINITY);
    const slow = pendingRead<string>();
    const before = cache.get("k", ["segments"], slow.read);
    cache.changed(["segments"]); // the write commits while the read is under way
    slow.answer("old");
    expect(await before).toBe("old");
    const after = cache.get("k", ["segments"], slow.read);
    expect(slow.calls).toBe(2);
    slow.answer("new");
    expect(await after).toBe("new");
  });

  it("shares one read among concurrent misses, and keeps no failure", async () => {
    const cache = new ResultCache(Number.POSITIVE_INFINITY);
    const slow = pendingRead<number>();
    const a = cache.get("k", ["segments"], slow.read);
    const b = cache.get("k", ["segments"], slow.read);
    slow.answer(7);
    expect([await a, await b, slow.calls]).toEqual([7, 7, 1]);
    const failing = new ResultCache(Number.POSITIVE_INFINITY);
    await expect(failing.get("k", ["segments"], () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
    expect(await failing.get("k", ["segments"], async () => 1)).toBe(1);
  });

  it("lets entries expire after maxAgeMs (a database other processes write)", async () => {
    let t = 0;
    const cache = new ResultCache(1000, () => t);
    let calls = 0;
    const read = async () => ++calls;
    expect(await cache.get("k", ["segments"], read)).toBe(1);
    t = 1000;
    expect(await cache.get("k", ["segments"], read)).toBe(1);
    t = 1001;
    expect(await cache.get("k", ["segments"], read)).toBe(2);
  });
});

describe("cached operations on a store", () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore(":memory:");
  });
  afterEach(async () => {
    await store.close();
  });

  it("segment.list shows every save and refresh at once; an import keeps the answer, and changes no size", async () => {
    const list = async () =>
      (await runOperation(store, segmentListOperation, {})).segments.map((s) => [s.id, s.size]);
    // Twelve people sign up (sizes under k = 10 would be suppressed: the k-gate, src/privacy/k-gate.ts).
    await runOperation(store, importBatchOperation, {
      kind: "events",
      source: "test",
      rows: Array.from({ length: 12 }, (_, i) => ({
        customer_id: `a${i}`,
        event: "Signed Up",
        timestamp: "2024-01-02T00:00:00Z",
      })),
    });
    expect(await list()).toEqual([]);
    await runOperation(store, segmentAddOperation, {
      definition: { id: "signed", name: "Signed up", where: { event: "Signed Up" } },
    });
    expect(await list()).toEqual([["signed", null]]);
    await runOperation(store, segmentRefreshOperation, { asOf: "2024-01-03T00:00:00Z" });
    expect(await list()).toEqual([["signed", 12]]);
    const kept = await runOperation(store, segmentListOperation, {});
    await runOperation(store, importBatchOperation, {
      kind: "events",
      source: "test",
      rows: [{ customer_id: "b", event: "Signed Up", timestamp: "2024-01-02T01:00:00Z" }],
    });
    // The same answer, from memory: the import changed no stay (b enters at the next refresh).
    expect(await runOperation(store, segmentListOperation, {})).toBe(kept);
    await runOperation(store, segmentRefreshOperation, { asOf: "2024-01-03T00:00:00Z" });
    expect(await list()).toEqual([["signed", 13]]);
  });
});
