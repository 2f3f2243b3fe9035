import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importFile } from "../src/ingest/import.js";
import { importRows } from "../src/ingest/import-rows.js";
import type { SegmentDefinition } from "../src/segments/definition.js";
import { type RefreshResult, refreshSegments } from "../src/segments/segment-refresh.js";
import type { Engine } from "../src/store/engine.js";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { propertyRuns, tempDir, writeFile } from "./helpers.js";
import { condition } from "./segments-arbitraries.js";
import { AS_OF, arbData, load, registerScore } from "./segments-data.js";
import type { RefData } from "./segments-reference.js";

const DAY = 86_400_000;

/** Saves definitions straight into the tables (the data may not hold every event name the definitions use). */
async function saveRaw(engine: Engine, defs: SegmentDefinition[]): Promise<void> {
  const now = engine.dialect.now();
  for (const d of defs) {
    await engine.run(
      sql`INSERT INTO segments (segment_id, name, description, latest_version, created_at, updated_at)
          VALUES (${d.id}, ${d.name}, NULL, 1, ${now}, ${now})`,
    );
    await version(engine, d, 1);
  }
}

/** Stores a version of a definition (the segment's latest version is not changed). */
async function version(engine: Engine, d: SegmentDefinition, n: number): Promise<void> {
  await engine.run(
    sql`INSERT INTO segment_versions (segment_id, version, definition, created_at)
        VALUES (${d.id}, ${n}, ${JSON.stringify(d)}, ${engine.dialect.now()})`,
  );
}

/** Each segment's [id, size, entered, exited] after a refresh. */
const tally = (r: RefreshResult) => r.segments.map((s) => [s.id, s.size, s.entered, s.exited]);

/** Marks a customer dirty as the importers do, with the earliest time their new facts touch (null: none). */
function dirty(engine: Engine, customer: string, since: Date | null): Promise<void> {
  return engine.run(
    sql`INSERT INTO segment_dirty (customer_id, marked_at, since)
        VALUES (${customer}, ${engine.dialect.now()}, ${since === null ? sql.param(null, "timestamp") : since})`,
  );
}

/** A "Viewed" track event of `customer`, `days` days from AS_OF. */
function viewedEvent(e: Engine, id: string, customer: string, days: number): Promise<void> {
  return e.run(
    sql`INSERT INTO events (message_id, customer_id, type, event, ts, properties)
        VALUES (${id}, ${customer}, 'track', 'Viewed', ${new Date(AS_OF + days * DAY)}, '{}')`,
  );
}

/** Viewed something at least once in 30 days. */
const VIEWED = { event: "Viewed", within: "30d", count: { gte: 1 } };

/** c1 and c2, each with a view three days before AS_OF, both in segment "a" (VIEWED) after a refresh then. */
async function twoViewersInA(e: Engine): Promise<void> {
  for (const c of ["c1", "c2"]) {
    await e.run(sql`INSERT INTO customers (customer_id) VALUES (${c})`);
    await viewedEvent(e, `m${c}`, c, -3);
  }
  await saveRaw(e, [{ id: "a", name: "a", where: VIEWED }]);
  await refreshSegments(e, { asOf: new Date(AS_OF) });
  expect(await members(e)).toEqual(["a:c1", "a:c2"]);
}

async function members(engine: Engine): Promise<string[]> {
  const r = await engine.query(
    "SELECT concat(segment_id, ':', customer_id) AS m FROM segment_membership WHERE exited_at IS NULL ORDER BY m",
  );
  return r.column("m") as string[];
}

/** Every stay, open or closed, in a stable order. */
async function stays(engine: Engine): Promise<string[]> {
  const text = (column: string) => engine.dialect.toText(sql.ident(column));
  const r = await engine.query(
    sql`SELECT concat(segment_id, ':', customer_id, ':', ${text("entered_at")}, ':', coalesce(${text("exited_at")}, 'open')) AS s
       FROM segment_membership ORDER BY s`,
  );
  return r.column("s") as string[];
}

/** What a refresh left: members, the feature rows, every stay, and the refresh's counts. */
async function outcome(engine: Engine, r: RefreshResult) {
  const features = JSON.stringify(
    (await engine.query("SELECT * FROM segment_features ORDER BY customer_id")).rows(),
  );
  return { members: await members(engine), features, stays: await stays(engine), tally: tally(r) };
}

/** Facts of a second batch for the customers of the first, as the importers would mark them. */
async function addBatch(engine: Engine, first: RefData, second: RefData): Promise<void> {
  // New facts touch only two customers, so the others' features must move forward with time alone.
  const n = Math.min(first.customers.length, 2);
  const remap = (c: string) => `c${Number(c.slice(1)) % n}`;
  // c0's new facts are mostly late (dated before the first refresh: its history is read again); c1's all
  // arrive after it, up to 46 days on (brought forward by adding them, some beyond the second refresh).
  const move = <T extends { customer: string; ts: number }>(x: T): T => {
    const customer = remap(x.customer);
    const ts = customer === "c1" ? AS_OF + 60_000 + (Math.abs(x.ts - AS_OF) % (46 * DAY)) : x.ts;
    return { ...x, customer, ts };
  };
  const batch: RefData = {
    ...second,
    events: second.events.map(move),
    lines: second.lines.map(move),
    consents: second.consents.map(move),
    groups: second.groups.map(move),
  };
  await load(engine, batch, { customers: false, prefix: "b2-" });
  // Marked as the importers mark them: the earliest time each one's new facts touch.
  const since = new Map<string, number>();
  for (const x of [...batch.events, ...batch.lines, ...batch.consents, ...batch.groups])
    since.set(x.customer, Math.min(since.get(x.customer) ?? x.ts, x.ts));
  for (const [c, t] of since) await dirty(engine, c, new Date(t));
  // A trait changes too, as a customers import would do (a profile change: no time).
  const d = engine.dialect;
  await engine.run(d.updateWhere("customers", sql`age = coalesce(age, 0) + 40`, sql`customer_id = 'c0'`));
  await dirty(engine, "c0", null);
  // An account's traits change through the importer, which marks the people of its group calls (no one else
  // says they changed: their account leaves read the traits when evaluated).
  const account = second.accounts[0];
  await importRows(engine, {
    kind: "accounts",
    source: "test",
    rows: [{ account_id: "a0", industry: account?.traits.industry ?? "Retail", employees: 250 }],
  });
  // A producer rewrites a computed value without marking anyone, and registers it as every producer does
  // (src/store/computed.ts): the refresh must notice on its own which customers' values changed.
  await engine.run(
    d.updateWhere(
      "test_scores",
      sql`score = coalesce(score, 0) + 5`,
      sql`customer_id = ${`c${first.customers.length - 1}`}`,
    ),
  );
  await registerScore(engine);
}

/**
 * Runs `work` on a new database of the engine, then closes it (on chdb, which holds one directory per process at
 * a time, its directory is released before the next opens).
 */
async function withDatabase<T>(location: string, work: (e: Engine) => Promise<T>): Promise<T> {
  const store = await openStore(location);
  const e = await store.session();
  try {
    return await work(e);
  } finally {
    e.close();
    await store.close();
  }
}

/** Random runs: 60 on DuckDB, 20 on chdb (each run there is slower); see `propertyRuns`. */
const runs = (engine: string) => propertyRuns(engine, 60, 20);

describe.each(TEST_ENGINES)("incremental segment refresh on $name", ({ name, location }) => {
  it("equals a full refresh after new events, orders, consents and traits, and again as time alone moves on", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbData,
        arbData,
        fc.array(condition, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 45 }),
        fc.integer({ min: 1, max: 45 }),
        async (first, second, conditions, days, quiet) => {
          const defs: SegmentDefinition[] = conditions.map((where, i) => ({
            id: `s${i}`,
            name: `s${i}`,
            where: i === 2 ? { all: [where, { segment: "s0" }] } : where,
          }));
          const later = new Date(AS_OF + days * DAY);
          const after = new Date(later.getTime() + quiet * DAY);
          // The same history refreshed incrementally (a) and in full each time (b), one database after the other.
          const a = await withDatabase(location(), async (e) => {
            await load(e, first);
            await saveRaw(e, defs);
            expect((await refreshSegments(e, { asOf: new Date(AS_OF) })).mode).toBe("full");
            await addBatch(e, first, second);
            const inc = await refreshSegments(e, { asOf: later });
            expect(inc.mode).toBe("incremental");
            const state = await outcome(e, inc);
            // Then time alone moves on, with no new data: members cross days-since and relative-date thresholds.
            const quietInc = await refreshSegments(e, { asOf: after });
            expect(quietInc.mode).toBe("incremental");
            return { state, quiet: { stays: await stays(e), tally: tally(quietInc) } };
          });
          const b = await withDatabase(location(), async (e) => {
            await load(e, first);
            await saveRaw(e, defs);
            await refreshSegments(e, { asOf: new Date(AS_OF), mode: "full" });
            await addBatch(e, first, second);
            const full = await refreshSegments(e, { asOf: later, mode: "full" });
            expect(full.mode).toBe("full");
            const state = await outcome(e, full);
            const quietFull = await refreshSegments(e, { asOf: after, mode: "full" });
            return { state, quiet: { stays: await stays(e), tally: tally(quietFull) } };
          });
          // Same members, features, stays and counts.
          expect(a.state.members).toEqual(b.state.members);
          expect(a.state.features).toEqual(b.state.features);
          expect(a.state.stays).toEqual(b.state.stays);
          expect(a.state.tally).toEqual(b.state.tally);
          expect(a.quiet.stays).toEqual(b.quiet.stays);
          expect(a.quiet.tally).toEqual(b.quiet.tally);
        },
      ),
      { numRuns: runs(name), seed: 4242 },
    );
  });

  it("moves windowed counts forward: rows leave the window, new rows enter, late rows are read again", async () => {
    const store = await openStore(location());
    const e = await store.session();
    const at = (days: number) => new Date(AS_OF + days * DAY);
    const event = (id: string, customer: string, days: number) => viewedEvent(e, id, customer, days);
    try {
      for (const c of ["c1", "c2", "c3"]) await e.run(sql`INSERT INTO customers (customer_id) VALUES (${c})`);
      await event("m1", "c1", -20); // in (−30d, 0], gone from (−15d, +15d]
      await event("m2", "c2", -40);
      await event("m3", "c3", -25);
      await saveRaw(e, [
        { id: "viewed", name: "viewed", where: { event: "Viewed", within: "30d" } },
        { id: "twice", name: "twice", where: { event: "Viewed", within: "30d", count: { gte: 2 } } },
      ]);
      await refreshSegments(e, { asOf: at(0) });
      await event("m4", "c2", 1); // new, after the last refresh
      await dirty(e, "c2", at(1));
      await event("m5", "c3", -2); // late: dated before the last refresh
      await event("m6", "c3", 3);
      await dirty(e, "c3", at(-2));
      const inc = await refreshSegments(e, { asOf: at(15) });
      expect(inc.mode).toBe("incremental");
      const counts = await e.query("SELECT customer_id, f0 FROM segment_features ORDER BY customer_id");
      expect(counts.rows()).toEqual([
        { customer_id: "c1", f0: 0 },
        { customer_id: "c2", f0: 1 },
        { customer_id: "c3", f0: 2 },
      ]);
      expect(await members(e)).toEqual(["twice:c3", "viewed:c2", "viewed:c3"]);
      expect(tally(inc)).toEqual([
        ["twice", 1, 1, 0],
        ["viewed", 2, 1, 1],
      ]);
    } finally {
      e.close();
      await store.close();
    }
  });

  it("after imports that link identities, equals a full refresh (the merged history is read again)", async () => {
    const dir = tempDir();
    const file = (name: string, rows: object[]) =>
      writeFile(dir, name, rows.map((r) => JSON.stringify(r)).join("\n"));
    const at = (days: number) => new Date(AS_OF + days * DAY).toISOString();
    const visits = file("visits.ndjson", [
      { event: "Viewed", anonymous_id: "a1", timestamp: at(-20) },
      { event: "Viewed", anonymous_id: "a1", timestamp: at(-3) },
      { event: "Viewed", user_id: "u1", timestamp: at(-40) },
      { event: "Viewed", user_id: "u2", timestamp: at(-2) },
    ]);
    // After the first refresh: the visitor signs in (a1 is u1), and u2 comes back.
    const later = file("later.ndjson", [
      { type: "identify", anonymous_id: "a1", user_id: "u1", timestamp: at(1) },
      { event: "Viewed", user_id: "u2", timestamp: at(2) },
    ]);
    const defs: SegmentDefinition[] = [
      { id: "twice", name: "twice", where: { event: "Viewed", within: "30d", count: { gte: 2 } } },
      { id: "once", name: "once", where: { event: "Viewed", within: "30d", count: { eq: 1 } } },
    ];
    const incremental = await withDatabase(location(), async (a) => {
      await importFile(a, { kind: "events", path: visits });
      await saveRaw(a, defs);
      await refreshSegments(a, { asOf: new Date(AS_OF) });
      expect(await members(a)).toEqual(["once:u2", "twice:anon:a1"]);
      await importFile(a, { kind: "events", path: later });
      const inc = await refreshSegments(a, { asOf: new Date(AS_OF + 5 * DAY) });
      expect(inc.mode).toBe("incremental");
      return members(a);
    });
    const full = await withDatabase(location(), async (b) => {
      for (const f of [visits, later]) await importFile(b, { kind: "events", path: f });
      await saveRaw(b, defs);
      await refreshSegments(b, { asOf: new Date(AS_OF + 5 * DAY), mode: "full" });
      return members(b);
    });
    expect(incremental).toEqual(full);
    expect(incremental).toEqual(["twice:u1", "twice:u2"]);
  });

  it("falls back to a full refresh when the definitions change", async () => {
    const store = await openStore(location());
    const e = await store.session();
    try {
      await e.run("INSERT INTO customers (customer_id) VALUES ('c1')");
      await saveRaw(e, [{ id: "a", name: "a", where: { orders: "count", gte: 0 } }]);
      expect((await refreshSegments(e, { asOf: new Date(AS_OF) })).mode).toBe("full");
      expect((await refreshSegments(e, { asOf: new Date(AS_OF + DAY) })).mode).toBe("incremental");
      await version(e, { id: "a", name: "a", where: { orders: "sum", gte: 0 } }, 2);
      await e.run(e.dialect.updateWhere("segments", sql`latest_version = 2`, sql`true`));
      expect((await refreshSegments(e, { asOf: new Date(AS_OF + 2 * DAY) })).mode).toBe("full");
    } finally {
      e.close();
      await store.close();
    }
  });

  it("applies a new version, its references, or a new segment over the same features to everyone", async () => {
    const store = await openStore(location());
    const e = await store.session();
    try {
      for (const c of ["c1", "c2"]) await e.run(sql`INSERT INTO customers (customer_id) VALUES (${c})`);
      for (const [c, days] of [
        ["c1", -3],
        ["c2", -5],
        ["c2", -4],
      ] as const) {
        await viewedEvent(e, `m${c}${days}`, c, days);
      }
      const viewed = (n: number) => ({ event: "Viewed", within: "30d", count: { gte: n } });
      await saveRaw(e, [
        { id: "a", name: "a", where: viewed(1) },
        { id: "r", name: "r", where: { segment: "a" } }, // unchanged itself, but reads a
      ]);
      await refreshSegments(e, { asOf: new Date(AS_OF) });
      expect(await members(e)).toEqual(["a:c1", "a:c2", "r:c1", "r:c2"]);
      // The same count, another threshold: the stored features still serve, the stays must follow the new one.
      await version(e, { id: "a", name: "a", where: viewed(2) }, 2);
      await e.run(e.dialect.updateWhere("segments", sql`latest_version = 2`, sql`segment_id = 'a'`));
      // And a new segment over the same count: everyone is evaluated for it too.
      await saveRaw(e, [{ id: "b", name: "b", where: viewed(1) }]);
      const inc = await refreshSegments(e, { asOf: new Date(AS_OF + DAY) });
      expect(inc.mode).toBe("incremental");
      expect(await members(e)).toEqual(["a:c2", "b:c1", "b:c2", "r:c2"]);
      expect(tally(inc)).toEqual([
        ["a", 1, 0, 1],
        ["b", 2, 2, 0],
        ["r", 1, 0, 1],
      ]);
    } finally {
      e.close();
      await store.close();
    }
  });

  it("forgets a customer removed without a mark, as an erasure would remove them", async () => {
    const store = await openStore(location());
    const e = await store.session();
    try {
      await twoViewersInA(e);
      // c2 and everything about them go, nothing marked; a new segment is then evaluated for every stored row.
      for (const t of ["events", "segment_membership", "customers"])
        await e.run(e.dialect.deleteWhere(t, sql`customer_id = 'c2'`));
      await saveRaw(e, [{ id: "b", name: "b", where: VIEWED }]);
      const inc = await refreshSegments(e, { asOf: new Date(AS_OF + DAY) });
      expect(inc.mode).toBe("incremental");
      expect(await members(e)).toEqual(["a:c1", "b:c1"]);
      const left = await e.query("SELECT count(*) AS n FROM segment_features WHERE customer_id = 'c2'");
      expect(Number(left.column("n")[0])).toBe(0);
    } finally {
      e.close();
      await store.close();
    }
  });

  it("closes the stays of a customer removed without a mark, as a full refresh does", async () => {
    // The same removal, then an incremental refresh (a) or a full one (b): c2's profile and events go, their stays
    // are left as they were, and nothing marks them.
    const run = async (mode: "auto" | "full") => {
      const store = await openStore(location());
      const e = await store.session();
      try {
        await twoViewersInA(e);
        for (const t of ["events", "customers"])
          await e.run(e.dialect.deleteWhere(t, sql`customer_id = 'c2'`));
        const r = await refreshSegments(e, { asOf: new Date(AS_OF + DAY), mode });
        expect(r.mode).toBe(mode === "auto" ? "incremental" : "full");
        return { members: await members(e), stays: await stays(e), tally: tally(r) };
      } finally {
        e.close();
        await store.close();
      }
    };
    const inc = await run("auto");
    expect(inc.members).toEqual(["a:c1"]);
    expect(inc.tally).toEqual([["a", 1, 0, 1]]);
    expect(inc).toEqual(await run("full"));
  });

  it("moves members in and out by time alone, with no new data (days since an order, a relative date)", async () => {
    const store = await openStore(location());
    const e = await store.session();
    const at = (days: number) => new Date(AS_OF + days * DAY);
    try {
      // c1 ordered 29 days before the first refresh, c2 10 days before; c1 was first seen 25 days before, c2 40.
      for (const [c, ordered, seen] of [
        ["c1", -29, -25],
        ["c2", -10, -40],
      ] as const) {
        await e.run(sql`INSERT INTO customers (customer_id, first_seen) VALUES (${c}, ${at(seen)})`);
        await e.run(
          sql`INSERT INTO orders (order_id, customer_id, ts, total) VALUES (${`o-${c}`}, ${c}, ${at(ordered)}, 10)`,
        );
      }
      await saveRaw(e, [
        { id: "lapsed", name: "lapsed", where: { orders: "days_since_last", gte: 30 } },
        { id: "fresh", name: "fresh", where: { trait: "first_seen", gt: { ago: "30d" } } },
      ]);
      await refreshSegments(e, { asOf: at(0) });
      expect(await members(e)).toEqual(["fresh:c1"]);
      // Two days on, nothing new: c1 has gone 31 days without an order, and was first seen 27 days ago.
      const inc = await refreshSegments(e, { asOf: at(2) });
      expect(inc.mode).toBe("incremental");
      expect(await members(e)).toEqual(["fresh:c1", "lapsed:c1"]);
      // Seven days on: c1 was first seen 32 days ago.
      await refreshSegments(e, { asOf: at(7) });
      expect(await members(e)).toEqual(["lapsed:c1"]);
    } finally {
      e.close();
      await store.close();
    }
  });

  it("counts as entered only those who entered, when the candidates had no open stay", async () => {
    const store = await openStore(location());
    const e = await store.session();
    const at = (days: number) => new Date(AS_OF + days * DAY);
    const event = (id: string, customer: string, days: number) => viewedEvent(e, id, customer, days);
    try {
      for (const c of ["c1", "c2"]) await e.run(sql`INSERT INTO customers (customer_id) VALUES (${c})`);
      await event("m1", "c1", -3);
      await saveRaw(e, [{ id: "viewed", name: "viewed", where: { event: "Viewed", within: "30d" } }]);
      await refreshSegments(e, { asOf: at(0) });
      // c2 views something: the only candidate, with no open stay; c1 stays where it was.
      await event("m2", "c2", 1);
      await dirty(e, "c2", at(1));
      const inc = await refreshSegments(e, { asOf: at(2) });
      expect(inc.mode).toBe("incremental");
      expect(await members(e)).toEqual(["viewed:c1", "viewed:c2"]);
      expect(tally(inc)).toEqual([["viewed", 2, 1, 0]]);
    } finally {
      e.close();
      await store.close();
    }
  });
});
