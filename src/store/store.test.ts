import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "./open-store.js";
import { sql } from "./sql.js";
import type { Store } from "./store.js";

/** A promise with its resolver outside, to hold a piece of work at a chosen point. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const count = async (store: Store, table: string) =>
  store.read(async (s) => Number((await s.query(`SELECT count(*) AS n FROM ${table}`)).column("n")[0]));

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("Store sessions", () => {
  it("keeps each session's temporary tables private, under the same name at the same time", async () => {
    store = await openStore(":memory:");
    const s = store;
    const both = gate();
    let ready = 0;
    // Each session creates `_seg_eval` (a name the engine uses), then waits until the other has too.
    const inSession = (n: number) =>
      s.read(async (e) => {
        await e.run(`CREATE OR REPLACE TEMP TABLE _seg_eval AS SELECT range AS x FROM range(${n})`);
        if (++ready === 2) both.open();
        await both.wait;
        const r = await e.query("SELECT count(*) AS n, sum(x) AS total FROM _seg_eval");
        return [Number(r.column("n")[0]), Number(r.column("total")[0])];
      });
    const [a, b] = await Promise.all([inSession(10), inSession(1000)]);
    expect(a).toEqual([10, 45]);
    expect(b).toEqual([1000, 499500]);
    // Nothing of a session outlives it.
    const left = await s.read(async (e) =>
      Number((await e.query("SELECT count(*) AS n FROM duckdb_tables() WHERE temporary")).column("n")[0]),
    );
    expect(left).toBe(0);
  });

  it("runs writes one at a time, in the order asked, and goes on after a failed one", async () => {
    store = await openStore(":memory:");
    const s = store;
    await s.write((e) => e.run("CREATE TABLE log (i INTEGER, phase VARCHAR)"));
    const first = gate();
    const write = (i: number, hold?: Promise<void>, fail = false) =>
      s.write(async (e) => {
        await e.run(sql`INSERT INTO log VALUES (${i}, 'start')`);
        if (hold) await hold;
        if (fail) throw new Error(`write ${i} failed`);
        await e.run(sql`INSERT INTO log VALUES (${i}, 'end')`);
      });
    const runs = [write(1, first.wait), write(2, undefined, true), write(3)];
    // While the first holds the queue, the others have not started.
    await new Promise((r) => setTimeout(r, 50));
    expect(await count(s, "log")).toBe(1);
    first.open();
    const settled = await Promise.allSettled(runs);
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const log = await s.read(async (e) =>
      (await e.query("SELECT i, phase FROM log ORDER BY rowid")).rows<{ i: number; phase: string }>(),
    );
    expect(log.map((r) => `${r.i}${r.phase}`)).toEqual(["1start", "1end", "2start", "3start", "3end"]);
  });

  it("answers reads while a write is at work, from the last committed state", async () => {
    store = await openStore(":memory:");
    const s = store;
    await s.write((e) => e.run("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"));
    const inserted = gate();
    const release = gate();
    const writing = s.write((e) =>
      e.transaction(async () => {
        await e.run("INSERT INTO t VALUES (2), (3)");
        inserted.open();
        await release.wait;
      }),
    );
    await inserted.wait;
    // The write has inserted but not committed: a read is not queued behind it and does not see its rows.
    expect(await count(s, "t")).toBe(1);
    release.open();
    await writing;
    expect(await count(s, "t")).toBe(3);
  });

  it("gives a read one snapshot: a write committed while it runs does not show half-way", async () => {
    store = await openStore(":memory:");
    const s = store;
    await s.write((e) => e.run("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"));
    const firstRead = gate();
    const committed = gate();
    const reading = s.read(async (e) => {
      const before = Number((await e.query("SELECT count(*) AS n FROM t")).column("n")[0]);
      firstRead.open();
      await committed.wait;
      const after = Number((await e.query("SELECT count(*) AS n FROM t")).column("n")[0]);
      return [before, after];
    });
    await firstRead.wait;
    await s.write((e) => e.run("INSERT INTO t VALUES (2)"));
    committed.open();
    expect(await reading).toEqual([1, 1]);
    expect(await count(s, "t")).toBe(2);
  });

  it("closes only when the sessions at work have finished", async () => {
    store = await openStore(":memory:");
    const s = store;
    const release = gate();
    const reading = s.read(async (e) => {
      await release.wait;
      return Number((await e.query("SELECT 42 AS n")).column("n")[0]);
    });
    await new Promise((r) => setTimeout(r, 20));
    const closing = s.close();
    release.open();
    expect(await reading).toBe(42);
    await closing;
    await expect(s.read(async () => 1)).rejects.toThrow(/closed/);
    store = undefined;
  });

  it("does, before closing, the work asked for before the close: queued writes and reads still connecting", async () => {
    store = await openStore(":memory:");
    const s = store;
    await s.write((e) => e.run("CREATE TABLE t (x INTEGER)"));
    // Asked for and not awaited: the second write is still queued, the read not yet connected, when close comes.
    const first = s.write((e) => e.run("INSERT INTO t VALUES (1)"));
    const second = s.write((e) => e.run("INSERT INTO t VALUES (2)"));
    const read = s.read(async (e) => Number((await e.query("SELECT 7 AS n")).column("n")[0]));
    await s.close();
    await expect(Promise.all([first, second, read])).resolves.toEqual([undefined, undefined, 7]);
    await expect(s.write(async () => 1)).rejects.toThrow(/closed: no new work is taken/);
    store = undefined;
  });

  it("names the database when a session is used after it was closed", async () => {
    store = await openStore(":memory:");
    const session = await store.session();
    session.close();
    await expect(session.query("SELECT 1")).rejects.toThrow(
      "a session of :memory: was used after it was closed",
    );
  });
});
