/**
 * `tessera experiment create|list|show|remove|assign` (issue 20, item 1) as a user runs them, on every engine: the
 * SQL draw equals the JavaScript one; assignment reproduces a reference computed from SHA-256 independently of the
 * code (test/experiment-fixtures.ts), never moves anyone when people join (also through `segment refresh`), splits
 * ~5,000 people within binomial tolerance with the holdout share; a segment in use stays; `--at`; bad input.
 */
import { describe, expect, it } from "vitest";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { assignments, draw, ids, loadBuyers, variantRef } from "./experiment-fixtures.js";
import { dbSnapshot, runCli, tempDir, tesseraJson, writeFile } from "./helpers.js";

describe.each(TEST_ENGINES)("experiment design and assignment on $name", (engine) => {
  it("reads the hash's draw in SQL exactly as JavaScript does", async () => {
    const s = await openSession(engine.location());
    try {
      const d = s.dialect;
      const some = [...ids(300), "", "ü-é", "a\u0000b", "x".repeat(200)];
      for (const id of some) {
        const hex = d.sha256Hex(sql`${`seed-1\u0000${id}`}`);
        const r = await s.query(sql`SELECT ${d.leadingHexNumber(hex, 13)} / 4503599627370496.0 AS u`);
        expect(r.column("u")[0], id).toBe(draw("seed-1", id));
      }
    } finally {
      await s.close();
    }
  });

  it("assigns by hash, never moves anyone, splits as planned and holds out", async () => {
    const db = engine.location();
    const first = ids(5000);
    await loadBuyers(db, first, true);
    const weights: [string, number][] = [
      ["control", 50],
      ["offer-a", 25],
      ["offer-b", 25],
    ];
    const created = await tesseraJson(
      db,
      ...[
        "experiment",
        "create",
        "spring",
        "--segment",
        "buyers",
        "--variants",
        "control:50,offer-a:25,offer-b:25",
      ],
      ...["--holdout", "10%", "--metric", "conversion:7d", "--cost", "offer-a:2.5"],
    );
    expect(created.experiment).toMatchObject({
      id: "spring",
      seed: "spring",
      holdout: 0.1,
      phase: "running",
      metrics: ["conversion:7d"],
      costs: { "offer-a": 2.5 },
      variants: [
        { name: "control", weight: 0.5 },
        { name: "offer-a", weight: 0.25 },
        { name: "offer-b", weight: 0.25 },
      ],
    });
    const r1 = await tesseraJson(db, "experiment", "assign", "spring");
    expect(r1).toMatchObject({ added: 5000, before: 0, source: "hash", weightsFrom: "planned" });
    const a1 = await assignments(db, "spring");
    expect(a1.size).toBe(5000);
    for (const id of first) expect(a1.get(id)?.variant, id).toBe(variantRef("spring", id, weights, 0.1));
    // Proportions: each within 4 binomial standard deviations of the planned share.
    const planned: Record<string, number> = {
      holdout: 0.1,
      control: 0.45,
      "offer-a": 0.225,
      "offer-b": 0.225,
    };
    for (const [v, p] of Object.entries(planned)) {
      const n = [...a1.values()].filter((x) => x.variant === v).length;
      expect(Math.abs(n - 5000 * p), v).toBeLessThan(4 * Math.sqrt(5000 * p * (1 - p)));
    }
    // Again: nobody new.
    expect(await tesseraJson(db, "experiment", "assign", "spring")).toMatchObject({ added: 0, before: 5000 });

    // New buyers join; the refresh assigns them (the experiment is running) and nobody moves.
    await loadBuyers(db, ids(40, 5001), false);
    const a2 = await assignments(db, "spring");
    expect(a2.size).toBe(5040);
    for (const [id, x] of a1) expect(a2.get(id)).toEqual(x);
    for (const id of ids(40, 5001)) expect(a2.get(id)?.variant).toBe(variantRef("spring", id, weights, 0.1));

    // The same seed splits alike; the design shows planned against actual.
    await tesseraJson(
      db,
      ...["experiment", "create", "twin", "--segment", "buyers", "--variants", "a:50,b:50", "--seed", "s-1"],
    );
    await tesseraJson(db, "experiment", "assign", "twin");
    const twin = await assignments(db, "twin");
    for (const id of first.slice(0, 500))
      expect(twin.get(id)?.variant).toBe(
        variantRef(
          "s-1",
          id,
          [
            ["a", 50],
            ["b", 50],
          ],
          0,
        ),
      );
    const shown = await tesseraJson(db, "experiment", "show", "spring");
    const split = shown.split as {
      rows: { variant: string; planned: number; people: number }[];
      total: number;
    };
    expect(split.total).toBe(5040);
    expect(split.rows.map((r) => [r.variant, r.planned])).toEqual([
      ["control", 0.45],
      ["offer-a", 0.225],
      ["offer-b", 0.225],
      ["holdout", 0.1],
    ]);
    expect(split.rows.reduce((s, r) => s + r.people, 0)).toBe(5040);
    const text = await runCli("experiment", "show", "spring", "--db", db);
    expect(text.stdout).toContain("planned");
    expect(text.stdout).toContain("holdout");
    const list = await tesseraJson(db, "experiment", "list");
    expect((list.experiments as { id: string }[]).map((e) => e.id)).toEqual(["spring", "twin"]);

    // The segment they draw people from stays while they run.
    const inUse = await runCli("segment", "remove", "buyers", "--db", db);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain(
      'segment "buyers" is used by experiments spring, twin: end or remove them first',
    );

    // Removing with --force says what went.
    expect(await tesseraJson(db, "experiment", "remove", "spring", "--force")).toEqual({
      removed: "spring",
      assignments: 5040,
      allocations: 0,
    });
    expect((await assignments(db, "spring")).size).toBe(0);
  });

  it("refuses bad input, naming the option, and writes nothing", async () => {
    const db = engine.location();
    await loadBuyers(db, ids(20), true);
    await tesseraJson(db, "experiment", "create", "spring", "--segment", "buyers", "--variants", "a:50,b:50");
    await tesseraJson(db, "experiment", "assign", "spring");
    // Bad input: refused, naming the option, nothing written.
    const before = await dbSnapshot(db);
    const bad: [string[], string][] = [
      [
        ["--variants", "control:50,offer-a:25,offer-b:20"],
        "control:50, offer-a:25, offer-b:20 add up to 95, not 100",
      ],
      [["--variants", "control:100"], "at least two variants"],
      [["--variants", "control:50,control:50"], "given twice"],
      [["--variants", "control:50,Control:50"], "differ only in case"],
      [["--variants", "control:50,holdout:50"], '"holdout" is the name'],
      [["--variants", "control:50,off er:50"], "a name is letters"],
      [["--variants", "control:0,b:100"], "above 0"],
      [["--variants", "control,b:100"], "has no weight"],
      [["--variants", "control:x,b:50"], "not a percentage"],
      [["--variants", "a:50,b:50", "--holdout", "100%"], "up to (not including) 100%"],
      [["--variants", "a:50,b:50", "--holdout", "lots"], "not a holdout"],
      [["--variants", "a:50,b:50", "--metric", "nonsense"], "--metric"],
      [["--variants", "a:50,b:50", "--cost", "c:1"], 'no variant "c"'],
      [["--variants", "a:50,b:50", "--cost", "a:-1"], "not a cost"],
      [["--variants", "a:50,b:50", "--start", "2025-02-01", "--end", "2025-01-01"], "not after the start"],
      [["--variants", "a:50,b:50", "--min-share", "10%"], "add --bandit"],
      [["--variants", "a:50,b:50", "--bandit", "--min-share", "60%"], "--min-share"],
      [["--variants", "a:50,b:50", "--bandit", "--update-every", "5m"], "not an interval"],
    ];
    for (const [args, message] of bad) {
      const r = await runCli("experiment", "create", "x1", "--segment", "buyers", ...args, "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain(message);
    }
    const population: [string[], string][] = [
      [["--segment", "buyer"], 'no segment "buyer" (did you mean "buyers"?)'],
      [["--audience", "nobody"], 'no audience "nobody"'],
      [["--segment", "buyers", "--audience", "a"], "--segment and --audience"],
      [[], "who is in the experiment"],
      [["--exposures", "--holdout", "5%"], "hold people out there"],
      [["--exposures", "--bandit"], "cannot be a bandit"],
    ];
    for (const [args, message] of population) {
      const r = await runCli("experiment", "create", "x1", ...args, "--variants", "a:50,b:50", "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain(message);
    }
    for (const [args, message] of [
      [["create", "Bad Id", "--segment", "buyers", "--variants", "a:50,b:50"], "lower-case letters"],
      [["create", "spring", "--segment", "buyers", "--variants", "a:50,b:50"], 'experiment "spring" exists'],
      [["assign", "sprung"], 'no experiment "sprung" (did you mean "spring"?)'],
      [["assign", "spring", "--at", "2999-01-01"], "at: an assignment cannot take effect later than now"],
      [["assign", "spring", "--at", "soon"], "--at"],
      [["show", "nope"], 'no experiment "nope"'],
      [["remove", "spring"], "assigned 20 people"],
      [["holdout", "--set", "60%"], "at most 50%"],
      [["holdout", "--set", "-1%"], "up to (not including) 100%"],
    ] as [string[], string][]) {
      const r = await runCli("experiment", ...args, "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain(message);
    }
    expect(await dbSnapshot(db)).toBe(before);

    // Scheduled and ended experiments assign nobody.
    await tesseraJson(
      db,
      ...[
        "experiment",
        "create",
        "later",
        "--segment",
        "buyers",
        "--variants",
        "a:50,b:50",
        "--start",
        "2999-01-01",
      ],
    );
    const later = await runCli("experiment", "assign", "later", "--db", db);
    expect(later.stderr).toContain("starts at 2999-01-01");

    expect(await tesseraJson(db, "experiment", "remove", "later")).toMatchObject({ assignments: 0 });

    // An assignment dated in the past (made elsewhere then, or a rehearsal on past data): its time is the one given.
    await tesseraJson(
      db,
      ...[
        "experiment",
        "create",
        "past",
        "--segment",
        "buyers",
        "--variants",
        "a:50,b:50",
        "--start",
        "2024-01-01",
      ],
    );
    expect(await tesseraJson(db, "experiment", "assign", "past", "--at", "2024-03-01")).toMatchObject({
      added: 20,
    });
    const past = await assignments(db, "past");
    expect(new Set([...past.values()].map((x) => x.at))).toEqual(new Set(["2024-03-01T00:00:00.000Z"]));
    // Before the start: refused like any assignment before it.
    const early = await runCli("experiment", "assign", "past", "--at", "2023-12-01", "--db", db);
    expect(early.stderr).toContain("starts at 2024-01-01");

    // A backtest (a refresh as of a time before the latest one) evaluates the past: it assigns nobody.
    const orders = writeFile(
      tempDir(),
      "late.csv",
      "order_id,customer_id,timestamp,total\nlate-1,u99999,2024-03-01,10\n",
    );
    expect((await runCli("import", "orders", orders, "--db", db)).code).toBe(0);
    await tesseraJson(db, "segment", "refresh", "--as-of", "2024-03-15");
    expect((await assignments(db, "spring")).has("u99999")).toBe(false);
    await tesseraJson(db, "segment", "refresh", "--as-of", "2024-04-01");
    expect((await assignments(db, "spring")).has("u99999")).toBe(true);
  });
});
