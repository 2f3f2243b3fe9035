import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { UserError } from "../errors.js";
import type { TrackingRow } from "../operations/tracking-operations.js";
import { liveAsOf } from "./serve.js";
import { TrackingLoader } from "./tracking-loader.js";
import { UnderWay } from "./under-way.js";
import { WriteAheadLog } from "./wal.js";

const row = (id: string): TrackingRow => ({ kind: "events", row: { message_id: id } });

/** Appends rows as the tracking route does, and tells the loader. */
async function add(wal: WriteAheadLog, loader: TrackingLoader, ids: string[]): Promise<void> {
  const texts = ids.map((id) => JSON.stringify(row(id)));
  const last = await wal.append(texts);
  loader.added(texts.map((text, i) => ({ seq: last - texts.length + 1 + i, text })));
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe("the tracking loader", () => {
  it("passes a record the store refuses for what it holds, loads the rest, and retries when the store fails", async () => {
    const dir = tempDir();
    const wal = await WriteAheadLog.open(dir);
    const stored: string[] = [];
    const errors: unknown[] = [];
    let storeDown = 2;
    const loader = new TrackingLoader(
      wal,
      async (rows) => {
        const ids = rows.map((r) => r.row.message_id as string);
        // The store fails twice, whatever the rows (transient: the group, then its first record; tried again later).
        if (storeDown-- > 0) throw new Error("disk busy");
        if (ids.includes("poison")) throw new UserError("duplicate-column", "refused for what it holds");
        stored.push(...ids);
      },
      { delayMs: 5, onError: (e) => errors.push(e) },
    );
    await add(wal, loader, ["a", "poison", "b"]);
    await until(() => loader.idle && stored.length === 2);
    expect(stored).toEqual(["a", "b"]);
    expect(loader.skipped).toBe(1);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      "disk busy",
      "refused for what it holds",
      "refused for what it holds",
    ]);
    expect(wal.loaded).toBe(3);
    await loader.close();
    await wal.close();
    // Nothing left to load on the next start.
    const again = await WriteAheadLog.open(dir);
    expect([...again.replay()]).toEqual([]);
    await again.close();
  });

  it("gathers a trickle into few loads: what arrives during a load waits the delay, a full batch goes at once", async () => {
    const wal = await WriteAheadLog.open(tempDir());
    const loads: number[] = [];
    const loader = new TrackingLoader(
      wal,
      async (rows) => {
        loads.push(rows.length);
        // A load takes a while, as the store's does: one event arrives every 2 ms meanwhile.
        await new Promise((r) => setTimeout(r, 20));
      },
      { delayMs: 60, batch: 1000 },
    );
    for (let i = 0; i < 100; i++) {
      await add(wal, loader, [`e${i}`]);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => loader.idle);
    expect(loads.reduce((a, b) => a + b, 0)).toBe(100);
    // One event a request, a load every 20 ms + 60 ms at most: some loads of many, not a hundred of one.
    expect(loads.length).toBeLessThan(10);
    // A backlog over a batch goes out batch after batch, with no delay between them.
    const backlog = Array.from({ length: 2500 }, (_, i) => `b${i}`);
    loads.length = 0;
    const started = performance.now();
    await add(wal, loader, backlog);
    await until(() => loader.idle);
    expect(loads).toEqual([1000, 1000, 500]);
    expect(performance.now() - started).toBeLessThan(60 + 3 * 20 + 60 + 100);
    await loader.close();
    await wal.close();
  });

  it("takes its records when its turn comes (after a live refresh's write), and settles once they left the queue", async () => {
    const wal = await WriteAheadLog.open(tempDir());
    const other = new UnderWay();
    let release: () => void = () => {};
    // Another write under way (a live refresh), which the load waits for before it takes its records.
    void other.track(new Promise<void>((r) => (release = r)));
    const loads: string[][] = [];
    let turns = 0;
    const loader = new TrackingLoader(
      wal,
      async (rows) => {
        loads.push(rows.map((r) => r.row.message_id as string));
      },
      {
        delayMs: 1,
        turn: () => {
          turns++;
          return other.settled();
        },
      },
    );
    await add(wal, loader, ["a"]);
    await until(() => turns > 0);
    // Acknowledged while the other write is under way: in the same load as "a", not one after it.
    await add(wal, loader, ["b", "c"]);
    expect(loads).toEqual([]);
    release();
    await loader.settled();
    await until(() => loads.length > 0);
    await loader.settled();
    expect(loads).toEqual([["a", "b", "c"]]);
    // Settled: what it loaded has left the queue (a refresh that waited for it sees nothing pending).
    expect(loader.pendingSince()).toBeNull();
    await loader.close();
    await wal.close();
  });

  it("a write under way is waited for until it settles, a failed one too; none under way is no wait", async () => {
    const w = new UnderWay();
    await w.settled();
    let fail: (e: Error) => void = () => {};
    let failed = false;
    const failing = w.track(
      new Promise<void>((_, reject) => {
        fail = (e) => {
          failed = true;
          reject(e);
        };
      }),
    );
    await expect(
      Promise.race([w.settled(), new Promise((r) => setTimeout(() => r("waiting"), 20))]),
    ).resolves.toBe("waiting");
    const waited = w.settled().then(() => failed);
    fail(new Error("store down"));
    await expect(failing).rejects.toThrow("store down");
    await expect(waited).resolves.toBe(true);
  });

  it("on start, loads what the log holds after its checkpoint", async () => {
    const dir = tempDir();
    const wal = await WriteAheadLog.open(dir);
    await wal.append(["x", "y", "z"].map((id) => JSON.stringify(row(id))));
    wal.checkpoint(1);
    const stored: string[] = [];
    const loader = new TrackingLoader(wal, async (rows) => {
      stored.push(...rows.map((r) => r.row.message_id as string));
    });
    await until(() => loader.idle && stored.length === 2);
    expect(stored).toEqual(["y", "z"]);
    await loader.close();
    await wal.close();
  });

  it("tells the earliest time of the events not yet loaded; a live as-of stays before it", async () => {
    const wal = await WriteAheadLog.open(tempDir());
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const loader = new TrackingLoader(wal, () => held, { delayMs: 1 });
    expect(loader.pendingSince()).toBeNull();
    const event = (id: string, timestamp: string): TrackingRow => ({
      kind: "events",
      row: { message_id: id, timestamp },
    });
    const rows = [
      event("late", "2026-01-01T10:00:05.000Z"),
      event("early", "2026-01-01T10:00:02.000Z"),
      { kind: "customers", row: { customer_id: "c" } } as TrackingRow,
    ];
    const last = await wal.append(rows.map((r) => JSON.stringify(r)));
    loader.added(rows.map((r, i) => ({ seq: last - 2 + i, row: r })));
    // Being loaded still counts: not in the store yet.
    await until(() => !loader.idle);
    expect(loader.pendingSince()?.toISOString()).toBe("2026-01-01T10:00:02.000Z");
    const now = new Date("2026-01-01T10:00:10.000Z");
    expect(liveAsOf(now, loader.pendingSince()).toISOString()).toBe("2026-01-01T10:00:01.999Z");
    expect(liveAsOf(now, null).toISOString()).toBe("2026-01-01T10:00:09.750Z");
    release();
    await until(() => loader.idle);
    expect(loader.pendingSince()).toBeNull();
    await loader.close();
    await wal.close();
  });
});
