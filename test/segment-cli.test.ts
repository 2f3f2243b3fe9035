import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openSession } from "../src/store/open-store.js";
import { TEST_ENGINES } from "./engines.js";
import { runCli, snapshot, tempDir, writeFile } from "./helpers.js";

/** The use members are listed for (the consent gate). */
const MARKETING = ["--purpose", "marketing", "--channel", "email"];

/**
 * Every report passes the k-gate (no group of 1 to 9 people leaves: src/privacy/k-gate.ts), so each customer
 * below stands for ten alike: c1 is c1-0 … c1-9, with the same traits, orders, events and consents. Every count
 * is ten times the one worked out for one customer; shares and Jaccard indices are the same.
 */
const copies = (id: string) => Array.from({ length: 10 }, (_, i) => `${id}-${i}`);
/** CSV lines for one customer (the first cN in the line), repeated for each copy; an order id gets the copy's number. */
const eachCopy = (lines: string) =>
  lines
    .trim()
    .split("\n")
    .flatMap((line) => {
      const id = /(c\d)/.exec(line)?.[1] as string;
      return copies(id).map((c, n) => line.replace(id, c).replace(/^o(\d+),/, `o$1-${n},`));
    })
    .join("\n");

describe.each(TEST_ENGINES)("segment CLI on $name", ({ location }) => {
  let dir: string;
  let db: string;

  const run = (...args: string[]) => runCli(...args, "--db", db);
  async function json(...args: string[]) {
    const r = await run(...args, "--json");
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  beforeAll(async () => {
    dir = tempDir();
    db = location();
    writeFile(
      dir,
      "customers.csv",
      `customer_id,country,age\n${eachCopy("c1,DE,30\nc2,FR,45\nc3,NL,22\nc4,DE,61\nc5,,38")}\n`,
    );
    writeFile(
      dir,
      "orders.csv",
      `order_id,customer_id,timestamp,total\n${eachCopy(
        "o1,c1,2024-01-10T10:00:00Z,120\no2,c1,2024-03-01T10:00:00Z,80\no3,c2,2023-06-01T10:00:00Z,40\no4,c3,2024-03-20T10:00:00Z,15",
      )}\n`,
    );
    writeFile(
      dir,
      "events.ndjson",
      [
        {
          event: "Product Viewed",
          user_id: "c1",
          timestamp: "2024-03-25T20:00:00Z",
          properties: { device: "mobile" },
        },
        {
          event: "Product Viewed",
          user_id: "c1",
          timestamp: "2024-03-26T20:00:00Z",
          properties: { device: "mobile" },
        },
        {
          event: "Product Viewed",
          user_id: "c4",
          timestamp: "2024-03-27T09:00:00Z",
          properties: { device: "desktop" },
        },
      ]
        .flatMap((e) => copies(e.user_id).map((c) => JSON.stringify({ ...e, user_id: c })))
        .join("\n"),
    );
    writeFile(
      dir,
      "consents.csv",
      `customer_id,purpose,channel,status,timestamp\n${eachCopy(
        "c1,marketing,email,granted,2024-01-01\nc2,marketing,,granted,2024-01-01\nc2,marketing,,withdrawn,2024-02-01",
      )}\n`,
    );
    for (const [kind, file] of [
      ["customers", "customers.csv"],
      ["orders", "orders.csv"],
      ["events", "events.ndjson"],
      ["consents", "consents.csv"],
    ]) {
      const r = await run("import", kind as string, join(dir, file as string));
      expect(r.code, r.stderr).toBe(0);
    }
  });

  describe("tessera segment", () => {
    it("adds JSON and text definitions, refreshes them, and lists members", async () => {
      writeFile(
        dir,
        "eu.json",
        JSON.stringify({ id: "eu", name: "EU core", where: { trait: "country", in: ["DE", "FR"] } }),
      );
      expect(await json("segment", "add", join(dir, "eu.json"))).toEqual({
        id: "eu",
        version: 1,
        changed: true,
        warnings: [],
      });
      writeFile(
        dir,
        "buyers.seg",
        "id: buyers\nname: Bought in the last 90 days\nwhere: orders.count(90d) >= 1\n",
      );
      expect((await json("segment", "add", join(dir, "buyers.seg"))).version).toBe(1);
      const added = await json(
        "segment",
        "add",
        "--id",
        "eu-mobile-buyers",
        "--name",
        "EU mobile buyers",
        "--where",
        'segment("eu") and segment("buyers") and count(event "Product Viewed", 30d, device = "mobile") >= 2',
      );
      expect(added.version).toBe(1);
      // Not evaluated yet: no size, rather than 0.
      const before = await json("segment", "list");
      expect(before.segments.map((s: { size: number | null }) => s.size)).toEqual([null, null, null]);
      expect((await run("segment", "list")).stdout).toContain("not evaluated yet");

      const refreshed = await json("segment", "refresh", "--as-of", "2024-03-31T00:00:00Z");
      expect(refreshed.segments.map((s: { id: string; size: number }) => [s.id, s.size])).toEqual([
        ["buyers", 20], // c1 (o2, Mar 1), c3 (o4, Mar 20); o1 Jan 10 is 81 days before: c1 already in
        ["eu", 30], // c1, c2, c4
        ["eu-mobile-buyers", 10], // c1: two mobile views in the window
      ]);
      expect(typeof refreshed.seconds).toBe("number");
      expect(refreshed.mode).toBe("full");
      const after = await json("segment", "list");
      expect(after.segments.map((s: { id: string; size: number | null }) => [s.id, s.size])).toEqual([
        ["buyers", 20],
        ["eu", 30],
        ["eu-mobile-buyers", 10],
      ]);
      // A size under k is shown as <10 in the table; here none is.
      expect((await run("segment", "list")).stdout).toMatch(
        /^buyers\s+Bought in the last 90 days\s+1\s+20$/m,
      );
      // Members for a use: c1 consented to marketing by email; c3 has no consent record (left out, a count under k).
      expect(await json("segment", "members", "buyers", ...MARKETING)).toEqual({
        id: "buyers",
        purpose: "marketing",
        channel: "email",
        customers: copies("c1"),
        leftOut: { noConsent: 10, suppressionList: 0, suppressed: false },
      });
    });

    it("keeps versions and records who entered and left at each refresh", async () => {
      writeFile(
        dir,
        "buyers2.seg",
        "id: buyers\nname: Bought in the last year\nwhere: orders.count(1y) >= 1\n",
      );
      expect((await json("segment", "add", join(dir, "buyers2.seg"))).version).toBe(2);
      expect((await json("segment", "add", join(dir, "buyers2.seg"))).changed).toBe(false);
      // Version 2 is not evaluated yet: its members are not known, and the stays are version 1's.
      const early = await run("segment", "members", "buyers", ...MARKETING);
      expect(early.code).toBe(1);
      expect(early.stderr).toContain(
        "segment members: buyers: saved since the last refresh, not evaluated yet",
      );
      const shown = await json("segment", "show", "buyers");
      expect(shown.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      // By 2024-06-30, c2's order (2023-06-01) is over a year old and c1, c3 still bought within the year. That is
      // past the data's end (Mar 28), and the ten eu-mobile-buyers would all leave: forced (refresh-guard.ts).
      await json("segment", "refresh", "--as-of", "2024-06-30T00:00:00Z", "--force");
      // Who entered, through the consent gate: c3 (no consent) is counted, not named.
      const h = await json("segment", "history", "buyers", "--ids", "5", ...MARKETING);
      const counts = { size: false, entered: false, exited: false };
      expect(h.history).toEqual([
        {
          asOf: "2024-03-31T00:00:00.000Z",
          size: 20,
          entered: 20,
          exited: 0,
          enteredIds: copies("c1").slice(0, 5),
          exitedIds: [],
          suppressed: counts,
        },
        {
          asOf: "2024-06-30T00:00:00.000Z",
          size: 20,
          entered: 0,
          exited: 0,
          enteredIds: [],
          exitedIds: [],
          suppressed: counts,
        },
      ]);
      const eu = await json("segment", "history", "eu-mobile-buyers");
      expect(eu.history.map((p: { size: number; exited: number }) => [p.size, p.exited])).toEqual([
        [10, 0],
        [0, 10], // the mobile views fell out of the 30-day window
      ]);
      // A backtest before the last refresh reports sizes and leaves the history alone.
      const back = await json("segment", "refresh", "--as-of", "2024-04-01T00:00:00Z");
      expect(back.stored).toBe(false);
      // As of 2024-04-01 c2's order of 2023-06-01 is within the year; c1's mobile views (Mar 25, 26) within 30 days.
      expect(back.segments.map((x: { id: string; size: number }) => [x.id, x.size])).toEqual([
        ["buyers", 30],
        ["eu", 30],
        ["eu-mobile-buyers", 10],
      ]);
      expect((await json("segment", "history", "buyers")).history).toHaveLength(2);
      // A refresh repeated at the same time (here in full) is one point of the history, not two.
      await json("segment", "refresh", "--as-of", "2024-06-30T00:00:00Z", "--full");
      expect((await json("segment", "history", "buyers")).history).toHaveLength(2);
    });

    it("previews, diffs and explains", async () => {
      const p = await json(
        "segment",
        "preview",
        "--id",
        "old",
        "--name",
        "Older",
        "--where",
        "age >= 40",
        "--as-of",
        "2024-06-30",
      );
      expect(p).toMatchObject({
        id: "old",
        size: 20,
        customers: 50,
        sample: copies("c2"),
        suppressed: false,
      });
      // The same from a JSON file that starts with a byte-order mark, as some editors write them.
      writeFile(
        dir,
        "bom.json",
        `\uFEFF${JSON.stringify({ id: "old", name: "Older", where: { trait: "age", gte: 40 } })}`,
      );
      expect(await json("segment", "preview", join(dir, "bom.json"), "--as-of", "2024-06-30")).toMatchObject({
        size: 20,
        sample: copies("c2"),
      });
      const d = await json(
        "segment",
        "diff",
        "--id",
        "eu",
        "--name",
        "EU",
        "--where",
        'country in ("DE", "NL")',
        "--as-of",
        "2024-06-30",
      );
      expect(d).toMatchObject({
        currentSize: 30,
        newSize: 30,
        entering: 10,
        leaving: 10,
        enteringSample: copies("c3"),
        leavingSample: copies("c2"),
      });
      const x = await json("segment", "explain", "eu-mobile-buyers", "--as-of", "2024-03-31T00:00:00Z");
      expect(
        x.steps.map((s: { condition: string; passing: number; cumulative?: number }) => [
          s.condition,
          s.passing,
          s.cumulative,
        ]),
      ).toEqual([
        [
          'segment("eu") and segment("buyers") and count(event "Product Viewed", 30d, device = "mobile") >= 2',
          10,
          undefined,
        ],
        ['segment("eu")', 30, undefined],
        // buyers is now "within 1y": c1, c2 (2023-06-01 is within a year of 2024-03-31), c3; with eu: c1, c2
        ['segment("buyers")', 30, 20],
        ['count(event "Product Viewed", 30d, device = "mobile") >= 2', 10, 10],
      ]);
      expect(x.featureSql).toContain("FROM customers c");
      // eu compares a trait: the members' query shows where it comes from.
      expect(x.predicateSql).toMatch(
        /^SELECT f\.customer_id FROM \(SELECT r\.\*, c\."country" AS "t\d+" .*JOIN customers c/,
      );
    });

    it("computes overlap and MECE coverage, and makes exclusive segments", async () => {
      const first = await json("segment", "refresh", "--as-of", "2024-07-01T00:00:00Z");
      // Fifty customers: every segment is under 100 people (the default guard).
      expect(first.warnings.filter((w: { kind: string }) => w.kind === "too-small")).toHaveLength(3);
      // The guard's thresholds are options: eu (30 of 50) and buyers (20 of 50) pass 1 person and 30%; the empty
      // eu-mobile-buyers does not. eu and buyers share the c1s of c1 … c4: Jaccard 10 / 40 = 0.25.
      const guarded = await json(
        "segment",
        "refresh",
        "--as-of",
        "2024-07-01T00:00:00Z",
        "--min-size",
        "1",
        "--min-share",
        "30",
        "--near-copy",
        "0.25",
      );
      expect(guarded.warnings.map((w: { kind: string; segments: string[] }) => [w.kind, w.segments])).toEqual(
        [
          ["near-copy", ["buyers", "eu"]],
          ["too-small", ["eu-mobile-buyers"]],
        ],
      );
      expect(guarded.warnings[1].message).toContain("under 1 people or 30% of customers");
      const bad = await run("segment", "refresh", "--near-copy", "2");
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('--near-copy: expected a number from 0 to 1, got "2"');
      const o = await json("segment", "overlap", "eu", "buyers");
      // eu = {c1, c2, c4}; buyers (1y as of Jul 1) = {c1, c3}: both = {c1}
      expect(o.counts).toEqual([
        [30, 10],
        [10, 20],
      ]);
      expect(o.jaccard[0][1]).toBeCloseTo(1 / 4, 10);
      const m = await json(
        "segment",
        "mece",
        "buyers",
        "eu",
        "--exclusive",
        "--as-of",
        "2024-07-01T00:00:00Z",
      );
      expect(m).toMatchObject({ customers: 50, covered: 40, overlapping: 10 });
      expect(m.exclusive).toEqual([
        { id: "mece-buyers", from: "buyers", size: 20, suppressed: false },
        { id: "mece-eu", from: "eu", size: 20, suppressed: false }, // c2, c4 (c1 went to buyers)
        { id: "mece-other", from: "(rest)", size: 10, suppressed: false }, // c5
      ]);
      // With no ids: every saved segment but the exclusive ones just saved (buyers, eu, eu-mobile-buyers).
      const all = await json("segment", "mece");
      expect(all).toMatchObject({
        ids: ["buyers", "eu", "eu-mobile-buyers"],
        customers: 50,
        covered: 40,
        overlapping: 10,
      });
      // Without --as-of, the exclusive segments are evaluated as of the last refresh, like the memberships.
      const again = await json("segment", "mece", "buyers", "eu", "--exclusive");
      expect(again.exclusive).toEqual(m.exclusive);
      // The exclusive segments are saved, not yet refreshed: a look at current memberships leaves them out and
      // says so, and refuses them when named.
      const ov = await json("segment", "overlap");
      expect(ov.ids).toEqual(["buyers", "eu", "eu-mobile-buyers"]);
      expect(ov.notEvaluated).toEqual(["mece-buyers", "mece-eu", "mece-other"]);
      const named = await run("segment", "overlap", "eu", "mece-eu");
      expect(named.code).toBe(1);
      expect(named.stderr).toContain("overlap: mece-eu: saved since the last refresh, not evaluated yet");
      expect(
        (await json("segment", "list")).segments.find((x: { id: string }) => x.id === "mece-eu").size,
      ).toBe(null);
      // An exclusive assignment needs a priority order: no ids is an error, and nothing is saved.
      const before = (await json("segment", "list")).segments.length;
      const r = await run("segment", "mece", "--exclusive");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("mece --exclusive: name the segments in priority order");
      expect((await json("segment", "list")).segments.length).toBe(before);
    });

    it("refuses bad definitions with the path and reason, and saves nothing", async () => {
      const engine = await openSession(db);
      const before = await snapshot(engine);
      engine.close();
      const cases: [string, string][] = [
        [
          JSON.stringify({ id: "x", name: "x", where: { trait: "contry", eq: "DE" } }),
          'where.trait: unknown trait "contry" (did you mean "country"?)',
        ],
        [
          JSON.stringify({ id: "x", name: "x", where: { trait: "age", gt: "old" } }),
          'where.gt: trait age is integer, but "old" is text',
        ],
        [
          JSON.stringify({ id: "x", name: "x", where: { orders: "count", within: "30days", gt: 1 } }),
          'where.within: "30days" is not a duration',
        ],
        [
          JSON.stringify({ id: "x", name: "x", where: { event: "Product Veiwed" } }),
          'unknown event "Product Veiwed" (did you mean "Product Viewed"?)',
        ],
        [
          JSON.stringify({ id: "x", name: "x", where: { all: [{ trait: "age", gt: 1, lt: 5 }] } }),
          "where.all[0]: has 2 comparisons (gt, lt)",
        ],
        [
          JSON.stringify({ id: "x", name: "x", where: { computed: "clv", gt: 1 } }),
          'where.computed: unknown computed value "clv"',
        ],
        [
          JSON.stringify({ id: "eu", name: "loop", where: { segment: "eu-mobile-buyers" } }),
          "cycle: eu → eu-mobile-buyers → eu",
        ],
        [
          JSON.stringify({ id: "Bad Id", name: "x", where: { trait: "age", gt: 1 } }),
          "id: lower-case letters",
        ],
      ];
      for (const [doc, message] of cases) {
        const f = writeFile(dir, "bad.json", doc);
        const r = await run("segment", "add", f);
        expect(r.code, doc).toBe(1);
        expect(r.stderr, doc).toContain(message);
      }
      const text = await run("segment", "add", "--id", "t", "--name", "t", "--where", "age >");
      expect([text.code, text.stderr]).toEqual([
        1,
        expect.stringContaining("line 1, column 6: expected a value"),
      ]);
      const deep = await run(
        "segment",
        "add",
        "--id",
        "deep",
        "--name",
        "d",
        "--where",
        `${"not ".repeat(20)}age > 1`,
      );
      expect(deep.stderr).toContain("--where: line 1, column 65: nested deeper than 16 levels");
      const engine2 = await openSession(db);
      expect(await snapshot(engine2)).toBe(before);
      engine2.close();
    });

    it("stores hostile values as values", async () => {
      const evil = "'); DROP TABLE customers; --";
      const r = await json(
        "segment",
        "preview",
        "--id",
        "evil",
        "--name",
        evil,
        "--where",
        `country = ${JSON.stringify(evil)} or country starts with "\\\\" or count(event "Product Viewed", prop(${JSON.stringify(evil)}) = "x") >= 1`,
      );
      expect(r.size).toBe(0);
      expect((await json("stats")).customers).toBe(50);
    });

    it("refuses to remove a segment others use, then removes", async () => {
      const r = await run("segment", "remove", "eu");
      expect([r.code, r.stderr]).toEqual([
        1,
        expect.stringContaining('segment "eu" is used by eu-mobile-buyers, mece-eu, mece-other'),
      ]);
      expect((await run("segment", "remove", "eu-mobile-buyers")).code).toBe(0);
      const list = await json("segment", "list");
      expect(list.segments.map((s: { id: string }) => s.id)).not.toContain("eu-mobile-buyers");
      const unknown = await run("segment", "members", "buyer", ...MARKETING);
      expect(unknown.stderr).toContain('no segment "buyer" (did you mean "buyers"?)');
    });
  });
});
