import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { snapshot } from "../../test/helpers.js";
import { memoryIo } from "../cli/io.js";
import { main } from "../cli/main.js";
import { isUserError } from "../errors.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { type Sql, sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { registerTrait } from "../store/trait-registry.js";
import { canonicalDefinition, type SegmentDefinition } from "./definition.js";
import { meceSegments } from "./membership-reports.js";
import { loadSchemaContext } from "./schema-context.js";
import { refreshSegments } from "./segment-refresh.js";
import { currentMembershipSql, removeSegment, saveSegment } from "./segment-store.js";
import { SavedSegmentError } from "./validate.js";
import { diffSegment, explainSegment, previewSegment } from "./what-if.js";

const T1 = new Date("2024-06-01T00:00:00Z");
const T2 = new Date("2024-06-02T00:00:00Z");

/** A segment on a trait and an event, and one on a computed value. */
const GOLD: SegmentDefinition = {
  id: "gold",
  name: "Gold viewers",
  where: { all: [{ trait: "tier", eq: "gold" }, { event: "Product Viewed" }] },
};
const HIGH: SegmentDefinition = { id: "high", name: "High score", where: { computed: "score", gte: 0.5 } };

let engine: Session | undefined;
afterEach(() => {
  engine?.close();
  engine = undefined;
});

/**
 * A store with a trait (tier), a computed value (score, registered as producers such as clustering register
 * theirs) and events: what the segments below name.
 */
async function seeded(path: string): Promise<Session> {
  const e = await openSession(path);
  await registerTrait(e, {
    name: "tier",
    type: "string",
    category: "custom",
    pii: false,
    sourceColumn: "tier",
  });
  const people: [string, string | null][] = [
    ["c1", "gold"],
    ["c2", "silver"],
    ["c3", "gold"],
    ["c4", null],
  ];
  for (const [id, tier] of people)
    await e.run(sql`INSERT INTO customers (customer_id, tier) VALUES (${id}, ${sql.param(tier, "string")})`);
  await e.run(
    e.dialect.createTable(
      "test_scores",
      [
        { name: "customer_id", type: "string" },
        { name: "score", type: "number" },
      ],
      ["customer_id"],
    ),
  );
  await e.run("INSERT INTO test_scores (customer_id, score) VALUES ('c1', 0.9), ('c2', 0.2), ('c3', 0.7)");
  await registerComputed(e, [
    {
      name: "score",
      type: "number",
      table: "test_scores",
      column: "score",
      producer: "test",
      description: "a test score",
    },
  ]);
  const events: [string, string, string][] = [
    ["c1", "Product Viewed", "2024-05-20"],
    ["c3", "Product Viewed", "2024-05-21"],
    ["c2", "Signed Up", "2024-05-22"],
  ];
  for (const [i, [customer, event, ts]] of events.entries())
    await e.run(
      sql`INSERT INTO events (message_id, customer_id, event, type, ts)
          VALUES (${`m${i}`}, ${customer}, ${event}, 'track', ${sql.param(ts, "timestamp")})`,
    );
  return e;
}

/** What removing a clustering does to its computed value (src/clustering/saved-clusterings.ts). */
const removeScore = (e: Engine) => e.run(e.dialect.deleteWhere("computed_registry", sql`name = 'score'`));

/** A trait dropped: out of the registry and out of customers. */
async function dropTier(e: Engine): Promise<void> {
  await e.run(e.dialect.deleteWhere("trait_registry", sql`name = 'tier'`));
  await e.run('ALTER TABLE customers DROP COLUMN "tier"');
}

/** The error a promise is rejected with. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

/** The engine, recording the SQL of every query and statement. */
function recording(e: Engine): { engine: Engine; sql: string[] } {
  const sql: string[] = [];
  const spy = new Proxy(e, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if ((prop === "query" || prop === "run") && typeof v === "function")
        return (statement: Sql | string | readonly Sql[]) => {
          const text = (q: Sql | string) => (typeof q === "string" ? q : e.dialect.showSql(q));
          if (Array.isArray(statement)) sql.push(...statement.map(text));
          else sql.push(text(statement as Sql | string));
          return v.call(target, statement);
        };
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { engine: spy, sql };
}

describe.each(TEST_ENGINES)("stored definitions on $name", ({ location }) => {
  describe("saved definitions are checked again when they are read to be evaluated", () => {
    it("a refresh, incremental or full, refuses a segment whose computed value was removed, and writes nothing", async () => {
      engine = await seeded(location());
      await saveSegment(engine, GOLD);
      await saveSegment(engine, HIGH);
      expect((await refreshSegments(engine, { asOf: T1 })).segments.map((s) => [s.id, s.size])).toEqual([
        ["gold", 2],
        ["high", 2],
      ]);
      await removeScore(engine);
      const before = await snapshot(engine);
      for (const mode of ["auto", "full"] as const) {
        const e = await failure(refreshSegments(engine, { asOf: T2, mode }));
        expect(isUserError(e), e.message).toBe(true);
        expect(e).toBeInstanceOf(SavedSegmentError);
        expect(e.message).toBe(
          'segment high: where.computed: unknown computed value "score" (none computed yet: run tessera rfm, clv or cluster); the saved definition no longer fits the data: save a new version of it, or remove it',
        );
        expect((e as SavedSegmentError).segments.map((s) => s.id)).toEqual(["high"]);
        expect(await snapshot(engine)).toBe(before);
      }
    });

    it("names every segment that no longer fits, each with the path and the reason, a changed type included", async () => {
      engine = await seeded(location());
      const typed: SegmentDefinition = {
        id: "typed",
        name: "Tier as text",
        where: {
          any: [
            { trait: "first_seen", exists: true },
            { trait: "tier", starts_with: "g" },
          ],
        },
      };
      for (const d of [GOLD, HIGH, typed]) await saveSegment(engine, d);
      await dropTier(engine);
      await removeScore(engine);
      // The trait comes back as a number: a text comparison on it no longer fits.
      await registerTrait(engine, {
        name: "tier",
        type: "integer",
        category: "custom",
        pii: false,
        sourceColumn: "tier",
      });
      const before = await snapshot(engine);
      const e = (await failure(refreshSegments(engine, { asOf: T1 }))) as SavedSegmentError;
      expect(e).toBeInstanceOf(SavedSegmentError);
      expect(e.message).toMatch(/^segments gold, high, typed: /);
      expect(e.message).toContain('gold: where.all[0].eq: trait tier is integer, but "gold" is text');
      expect(e.message).toContain('high: where.computed: unknown computed value "score"');
      expect(e.message).toContain(
        "typed: where.any[1].starts_with: starts_with compares text, but trait tier is integer",
      );
      expect(e.segments.map((s) => [s.id, s.issues.map((i) => i.path)])).toEqual([
        ["gold", ["where.all[0].eq"]],
        ["high", ["where.computed"]],
        ["typed", ["where.any[1].starts_with"]],
      ]);
      expect(await snapshot(engine)).toBe(before);
    });

    it("preview, diff, explain and mece refuse a saved definition that no longer fits, naming it", async () => {
      engine = await seeded(location());
      await saveSegment(engine, GOLD);
      await saveSegment(engine, HIGH);
      await refreshSegments(engine, { asOf: T1 });
      await dropTier(engine);
      const named = (e: Error) => {
        expect(e).toBeInstanceOf(SavedSegmentError);
        expect(e.message).toContain('segment gold: where.all[0].trait: unknown trait "tier"');
      };
      // A new definition that refers to it, the saved one as diff's "current", the saved one explained.
      named(await failure(previewSegment(engine, { id: "p", name: "p", where: { segment: "gold" } }, T1)));
      named(
        await failure(
          diffSegment(engine, { id: "gold", name: "Gold", where: { trait: "first_seen", exists: true } }, T1),
        ),
      );
      named(await failure(explainSegment(engine, "gold", T1)));
      // MECE refuses before it saves anything: no exclusive segment is left behind.
      const beforeMece = await snapshot(engine);
      named(await failure(meceSegments(engine, ["high", "gold"], { exclusive: true, asOf: T1 })));
      expect(await snapshot(engine)).toBe(beforeMece);
      const twice = await failure(meceSegments(engine, ["high", "high"], { exclusive: true, asOf: T1 }));
      expect(twice.message).toBe(
        'mece --exclusive: "high" is named twice: give each segment once, in priority order',
      );
      expect(await snapshot(engine)).toBe(beforeMece);
      // Segments that do not reach it are evaluated as before.
      expect(
        (await previewSegment(engine, { id: "p", name: "p", where: { segment: "high" } }, T1)).size,
      ).toBe(2);
    });

    it("a segment that no longer fits can still be saved anew or removed, and the refresh goes on", async () => {
      engine = await seeded(location());
      await saveSegment(engine, GOLD);
      await saveSegment(engine, HIGH);
      await refreshSegments(engine, { asOf: T1 });
      await removeScore(engine);
      expect(await saveSegment(engine, { ...HIGH, where: { trait: "tier", eq: "silver" } })).toEqual({
        id: "high",
        version: 2,
        changed: true,
        warnings: [],
      });
      expect((await refreshSegments(engine, { asOf: T2 })).segments.map((s) => [s.id, s.size])).toEqual([
        ["gold", 2],
        ["high", 1],
      ]);
      await dropTier(engine);
      await removeSegment(engine, "gold");
      await removeSegment(engine, "high");
      expect((await refreshSegments(engine, { asOf: T2 })).segments).toEqual([]);
    });

    it("the command line reports it as a user error (exit 1) naming the segment", async () => {
      const db = location();
      engine = await seeded(db);
      await saveSegment(engine, HIGH);
      await refreshSegments(engine, { asOf: T1 });
      await removeScore(engine);
      engine.close();
      engine = undefined;
      const io = memoryIo();
      const code = await main(["segment", "refresh", "--as-of", T2.toISOString(), "--db", db], io);
      expect([code, io.stderr()]).toEqual([
        1,
        expect.stringContaining('tessera: segment high: where.computed: unknown computed value "score"'),
      ]);
    });
  });

  describe("did the definition change", () => {
    it("compares the canonical form: key order and defaults spelled out are the same definition", async () => {
      engine = await seeded(location());
      const first: SegmentDefinition = {
        id: "v",
        name: "Viewers who spent",
        where: {
          all: [
            { event: "Product Viewed", within: "30d" },
            { orders: "sum", gte: 10 },
          ],
        },
      };
      expect(await saveSegment(engine, first)).toEqual({ id: "v", version: 1, changed: true, warnings: [] });
      const same = {
        where: {
          all: [
            { within: "30d", count: { gte: 1 }, event: "Product Viewed" },
            { gte: 10, of: "total", orders: "sum" },
          ],
        },
        name: "Viewers who spent",
        id: "v",
      };
      expect(await saveSegment(engine, same)).toEqual({ id: "v", version: 1, changed: false, warnings: [] });
      const more = {
        ...first,
        where: { all: [{ event: "Product Viewed", within: "30d", count: { gte: 2 } }] },
      };
      expect(await saveSegment(engine, more)).toEqual({ id: "v", version: 2, changed: true, warnings: [] });
    });

    it("keeps what reads differently apart: the order of items, another name", () => {
      const d = (where: SegmentDefinition["where"], name = "x"): string =>
        canonicalDefinition({ id: "x", name, where });
      const a = { trait: "tier", in: ["gold", "silver"] };
      const b = { event: "Product Viewed" };
      expect(d({ all: [a, b] })).not.toBe(d({ all: [b, a] }));
      expect(d({ trait: "tier", in: ["gold", "silver"] })).not.toBe(
        d({ trait: "tier", in: ["silver", "gold"] }),
      );
      expect(d(a)).not.toBe(d(a, "y"));
      expect(d({ orders: "sum", of: "quantity", gt: 1 })).not.toBe(d({ orders: "sum", gt: 1 }));
    });
  });

  describe("event names when validating", () => {
    const listsEveryName = (sql: string[]) => sql.some((s) => /DISTINCT\s+event/i.test(s));

    it("looks up only the names a definition uses: no scan of every event's name", async () => {
      engine = await seeded(location());
      const r = recording(engine);
      await saveSegment(r.engine, GOLD);
      await previewSegment(r.engine, { ...GOLD, id: "p" }, T1);
      expect(r.sql.some((s) => /EXISTS \(SELECT 1 FROM events WHERE event = /.test(s))).toBe(true);
      expect(listsEveryName(r.sql)).toBe(false);
      // Only the names asked about, of those that occur.
      const ctx = await loadSchemaContext(engine, { events: ["Product Viewed"] });
      expect([...ctx.events]).toEqual(["Product Viewed"]);
      // A definition without events looks none up.
      r.sql.length = 0;
      await saveSegment(r.engine, HIGH);
      expect(r.sql.some((s) => /\bevents\b/.test(s))).toBe(false);
    });

    it("refuses an unknown name with the nearest known one, and only then lists them", async () => {
      engine = await seeded(location());
      const r = recording(engine);
      const e = await failure(
        saveSegment(r.engine, { id: "x", name: "x", where: { event: "Product Veiwed", within: "30d" } }),
      );
      expect(isUserError(e)).toBe(true);
      expect(e.message).toBe('where.event: unknown event "Product Veiwed" (did you mean "Product Viewed"?)');
      expect(listsEveryName(r.sql)).toBe(true);
      const p = await failure(
        previewSegment(engine, { id: "x", name: "x", where: { event: "Signed Upp" } }, T1),
      );
      expect(p.message).toBe('where.event: unknown event "Signed Upp" (did you mean "Signed Up"?)');
    });
  });

  describe("current memberships for other modules", () => {
    it("are the open stays of the segments the last refresh evaluated, with their names", async () => {
      engine = await seeded(location());
      await saveSegment(engine, GOLD);
      await saveSegment(engine, HIGH);
      await refreshSegments(engine, { asOf: T1 });
      const rows = async () =>
        (
          await engine?.query(
            sql`SELECT customer_id, segment_id, segment_name FROM (${currentMembershipSql()}) m
               ORDER BY customer_id, segment_id`,
          )
        )?.rows();
      expect(await rows()).toEqual([
        { customer_id: "c1", segment_id: "gold", segment_name: "Gold viewers" },
        { customer_id: "c1", segment_id: "high", segment_name: "High score" },
        { customer_id: "c3", segment_id: "gold", segment_name: "Gold viewers" },
        { customer_id: "c3", segment_id: "high", segment_name: "High score" },
      ]);
      // A new version saved since: its members are not known until the next refresh.
      await saveSegment(engine, { ...HIGH, where: { computed: "score", gte: 0.8 } });
      expect((await rows())?.map((x) => x.segment_id)).toEqual(["gold", "gold"]);
    });
  });
});
