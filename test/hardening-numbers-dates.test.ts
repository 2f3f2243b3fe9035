import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importBatchOperation } from "../src/operations/ingest-operations.js";
import { runOperation } from "../src/operations/operation.js";
import { openStore } from "../src/store/open-store.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, emptyDb, runCli, tempDir, writeFile } from "./helpers.js";

/**
 * Issue 15, items 1, 2 and 7: non-finite and absurd numbers, implausible dates, and the default as-of time. Every
 * bad input is checked for its message (file, row, field, reason), its exit code, and a database left unchanged
 * where the command failed.
 */

async function json(db: string, ...args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(...args, "--db", db, "--json");
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The reject file's rows as [row, field, reason]. */
function rejects(path: string): string[][] {
  const lines = readFileSync(`${path}.rejects.csv`, "utf8").trimEnd().split("\n").slice(1);
  return lines.map((l) => {
    // row,field,reason,… — the reason is quoted when it holds a comma.
    const m = /^(\d+),([^,]+),("(?:[^"]|"")*"|[^,]*),/.exec(l);
    if (!m) throw new Error(`unexpected reject line ${l}`);
    const reason = (m[3] as string).startsWith('"')
      ? (m[3] as string).slice(1, -1).replaceAll('""', '"')
      : m[3];
    return [m[1] as string, m[2] as string, reason as string];
  });
}

/** The reason an implausible future date gets, for an import run at `now`. */
function futureReason(now: Date, flag: string, value: string): string {
  const latest = new Date(now.getTime() + 86_400_000).toISOString();
  return `date in the future (after ${latest}, a day after the import; ${flag} admits it): ${value}`;
}

const pastReason = (flag: string, value: string) =>
  `date before 1900 (not after 1900-01-01; ${flag} admits it): ${value}`;

/**
 * Twelve customers, c01…c12: c<i> buys on 2024-01-<i> (10 + i), 2024-02-<i> (20 + 2i) and, for odd i, on
 * 2024-03-<i + 10> (5 + i). The last purchase day is 2024-03-21.
 */
function purchases(): string {
  const rows = ["order_id,customer_id,timestamp,total"];
  for (let i = 1; i <= 12; i++) {
    const c = `c${String(i).padStart(2, "0")}`;
    const day = (m: number, d: number) => `2024-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    rows.push(`${c}-a,${c},${day(1, i)},${10 + i}`, `${c}-b,${c},${day(2, i)},${20 + 2 * i}`);
    if (i % 2 === 1) rows.push(`${c}-c,${c},${day(3, i + 10)},${5 + i}`);
  }
  return `${rows.join("\n")}\n`;
}

describe.each(TEST_ENGINES)("non-finite numbers and implausible dates on $name", ({ location }) => {
  it("orders: NaN and infinite totals and implausible dates are rejected with the reason; --strict writes nothing", async () => {
    const db = location();
    const dir = tempDir();
    const good = writeFile(dir, "good.csv", "order_id,customer_id,timestamp,total\ng1,c1,2024-01-01,5\n");
    expect((await runCli("import", "orders", good, "--db", db)).code).toBe(0);
    const now = new Date();
    const soon = new Date(now.getTime() + 12 * 3_600_000).toISOString(); // within the day's tolerance
    const later = new Date(now.getTime() + 3 * 86_400_000).toISOString().slice(0, 10);
    const path = writeFile(
      dir,
      "orders.csv",
      "order_id,customer_id,timestamp,total\n" +
        "o1,c1,2024-01-01,NaN\n" +
        "o2,c1,2024-01-02,Infinity\n" +
        "o3,c2,2024-01-03,-Infinity\n" +
        "o4,c2,2024-01-04,-nan\n" +
        "o5,c3,9999-12-31,10\n" +
        "o6,c3,1850-01-01,10\n" +
        "o7,c3,1900-01-01,10\n" +
        `o8,c3,${later},10\n` +
        "o9,c3,infinity,10\n" +
        `o10,c4,${soon},10\n` +
        "o11,c4,2024-01-05,1e308\n",
    );
    const before = await dbSnapshot(db);
    const strict = await runCli("import", "orders", path, "--strict", "--db", db);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(
      `${path}: 9 of 11 rows rejected (first: row 1, field total: not a number: NaN); nothing was imported (--strict)`,
    );
    expect(await dbSnapshot(db)).toBe(before);

    const r = await runCli("import", "orders", path, "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 11, accepted: 2, rejected: 9 });
    // The reasons name the time the import ran: read it back from the reject file's first future row.
    const rows = rejects(path);
    const ranAt = /after (\S+), a day after/.exec(rows[4]?.[2] ?? "")?.[1];
    expect(ranAt).toBeDefined();
    const importNow = new Date(new Date(ranAt as string).getTime() - 86_400_000);
    expect(Math.abs(importNow.getTime() - now.getTime())).toBeLessThan(60_000);
    expect(rows).toEqual([
      ["1", "total", "not a number: NaN"],
      ["2", "total", "not a number: Infinity"],
      ["3", "total", "not a number: -Infinity"],
      ["4", "total", "not a number: -nan"],
      ["5", "timestamp", futureReason(importNow, "--allow-any-date", "9999-12-31")],
      ["6", "timestamp", pastReason("--allow-any-date", "1850-01-01")],
      ["7", "timestamp", pastReason("--allow-any-date", "1900-01-01")],
      ["8", "timestamp", futureReason(importNow, "--allow-any-date", later)],
      // "infinity" is no ISO 8601 time on any engine (DuckDB's cast would read it as an infinite timestamp).
      ["9", "timestamp", "not an ISO 8601 timestamp: infinity"],
    ]);

    // --allow-any-date admits the implausible dates (the non-finite numbers stay rejected).
    const again = await runCli("import", "orders", path, "--allow-any-date", "--db", db, "--json");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 4, rejected: 5, alreadyPresent: 2 });
    expect(rejects(path).map((x) => x[0])).toEqual(["1", "2", "3", "4", "9"]);
  });

  it("a batch names the field that admits any date, and judges the future by its injected clock", async () => {
    const db = location();
    const store = await openStore(db);
    try {
      const now = new Date("2020-06-01T00:00:00Z");
      const result = await runOperation(store, importBatchOperation, {
        kind: "events",
        source: "api upload",
        now: now.toISOString(),
        rows: [
          { timestamp: "2020-06-01T23:00:00Z", event: "Buy", customer_id: "c1" },
          { timestamp: "2020-06-02T01:00:00Z", event: "Buy", customer_id: "c1" },
          { timestamp: "1899-12-31", event: "Buy", customer_id: "c1" },
        ],
      });
      expect(result.accepted).toBe(1);
      expect(result.rejects.map((x) => [x.row, x.field, x.reason])).toEqual([
        [2, "timestamp", futureReason(now, "allowAnyDate", "2020-06-02T01:00:00Z")],
        [3, "timestamp", pastReason("allowAnyDate", "1899-12-31")],
      ]);
    } finally {
      await store.close();
    }
  });

  it("order lines whose amount overflows are rejected; a finite absurd price is kept and flagged by the audit", async () => {
    const db = location();
    const dir = tempDir();
    const path = writeFile(
      dir,
      "lines.csv",
      "order_id,customer_id,timestamp,quantity,unit_price\n" +
        "l1,c1,2024-01-01,1e300,1e300\n" +
        "l2,c2,2024-01-02,1,1e308\n" +
        "l3,c3,2024-01-02,2,5\n" +
        "l4,c3,2024-01-03,Infinity,5\n",
    );
    const before = await dbSnapshot(await emptyDb(db));
    const strict = await runCli("import", "order-lines", path, "--strict", "--db", db);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(
      "2 of 4 rows rejected (first: row 1, field unit_price: quantity × unit_price is not a finite amount (it overflows))",
    );
    expect(await dbSnapshot(db)).toBe(before);
    expect((await runCli("import", "order-lines", path, "--db", db)).code).toBe(0);
    expect(rejects(path)).toEqual([
      ["1", "unit_price", "quantity × unit_price is not a finite amount (it overflows)"],
      ["4", "quantity", "not a number: Infinity"],
    ]);
    const audit = (await json(db, "audit")) as {
      findings: { check: string; table: string; count: number; examples: string[] }[];
    };
    const amounts = audit.findings.filter((f) => f.check === "implausible-amounts");
    expect(amounts.map((f) => [f.table, f.count, f.examples])).toEqual([
      ["orders", 1, ["l2"]],
      ["order_items", 1, ["l2#1"]],
    ]);
  });

  it("events: NaN, Infinity and 1e999 in properties are not JSON; NaN text never satisfies a numeric comparison", async () => {
    const db = location();
    const dir = tempDir();
    const bad = writeFile(
      dir,
      "bad.csv",
      "timestamp,event,customer_id,properties\n" +
        '2024-01-01,Buy,c1,"{""amount"": NaN}"\n' +
        '2024-01-01,Buy,c2,"{""amount"": -Infinity}"\n' +
        '2024-01-01,Buy,c3,"{""amount"": 1e999}"\n' +
        '2024-01-01,Buy,c4,"{""note"": ""NaN, Infinity"", ""amount"": 7}"\n',
    );
    expect((await runCli("import", "events", bad, "--db", db)).code).toBe(0);
    expect(rejects(bad)).toEqual([
      ["1", "properties", 'not a JSON object: {"amount": NaN}'],
      ["2", "properties", 'not a JSON object: {"amount": -Infinity}'],
      ["3", "properties", 'not a JSON object: {"amount": 1e999}'],
    ]);
    // As text (a string property, or a column that becomes one), "NaN" and "Infinity" are kept as written … Ten
    // customers of each kind (c5-0 … c5-9): a preview's size under 10 would be suppressed (the k-gate).
    const texts = writeFile(
      dir,
      "texts.ndjson",
      [
        { timestamp: "2024-01-01", event: "Buy", customer_id: "c5", properties: { amount: "NaN" } },
        { timestamp: "2024-01-01", event: "Buy", customer_id: "c6", properties: { amount: "Infinity" } },
        { timestamp: "2024-01-01", event: "Buy", customer_id: "c7", properties: { amount: 10 } },
        { timestamp: "2024-01-01", event: "Buy", customer_id: "c8", amount: "-inf" },
      ]
        .flatMap((r) =>
          Array.from({ length: 10 }, (_, n) =>
            JSON.stringify({ ...r, customer_id: `${r.customer_id}-${n}` }),
          ),
        )
        .join("\n"),
    );
    expect((await runCli("import", "events", texts, "--db", db)).code).toBe(0);
    // … and never compare as numbers: only the c7s (10) and c4 (7) are above 5, and only they differ from 5.
    const preview = async (where: string) =>
      (await json(
        db,
        "segment",
        "preview",
        "--id",
        "t",
        "--name",
        "t",
        "--where",
        where,
        "--as-of",
        "2024-02-01",
      )) as {
        size: number;
      };
    expect((await preview('count(event "Buy", amount > 5) >= 1')).size).toBe(11);
    expect((await preview('count(event "Buy", amount < 5) >= 1')).size).toBe(0);
    expect((await preview('count(event "Buy", amount != 5) >= 1')).size).toBe(11);
  });

  it("customers: a NaN in a column of numbers leaves it a number trait and rejects that row", async () => {
    const db = location();
    const dir = tempDir();
    const path = writeFile(dir, "c.csv", "customer_id,score\nc1,1.5\nc2,NaN\nc3,3\nc4,-Infinity\n");
    const r = await json(db, "import", "customers", path);
    expect(r).toMatchObject({ accepted: 2, rejected: 2, newTraits: [{ name: "score", type: "number" }] });
    expect(rejects(path)).toEqual([
      ["2", "score", "not a number (trait score is number): NaN"],
      ["4", "score", "not a number (trait score is number): -Infinity"],
    ]);
  });

  it("value reports leave out totals no real order reaches, say so, and print no NaN or blank", async () => {
    const db = location();
    const dir = tempDir();
    const path = writeFile(
      dir,
      "o.csv",
      `${purchases()}huge1,c01,2024-01-20,1e308\nhuge2,c02,2024-01-21,1e308\n`,
    );
    expect((await runCli("import", "orders", path, "--db", db)).code).toBe(0);
    const note =
      "2 order(s) with a total of 1e12 or more (or not a finite number) left out: no real order reaches it (see `tessera audit`, implausible-amounts)";
    // Revenue without the two: Σ (10 + i) + (20 + 2i) over i = 1…12, and 5 + i over odd i.
    const revenue = 12 * 30 + 3 * 78 + (5 * 6 + 36);
    const rfm = await json(db, "rfm");
    expect(rfm).toMatchObject({ revenue, notes: [note], customers: 12 });
    const pareto = await json(db, "pareto");
    expect(pareto).toMatchObject({ revenue, notes: [note] });
    expect(typeof pareto.gini).toBe("number");
    const kpis = (await json(db, "kpis")) as { groups: { revenue: number }[]; notes: string[] };
    expect(kpis.groups[0]?.revenue).toBe(revenue);
    expect(kpis.notes).toEqual([note]);
    const fit = await runCli("clv", "fit", "--db", db);
    expect(fit.code, fit.stderr).toBe(0);
    for (const cmd of [["rfm"], ["pareto"], ["kpis"], ["clv", "fit"]]) {
      const text = await runCli(...cmd, "--db", db);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).not.toMatch(/NaN|∞|Infinity|bring {2}of|Gini $/m);
      expect(text.stdout).toContain(`note: ${note}`);
    }
    // Only implausible orders: every report refuses, saying why there is no purchase (not "import orders first").
    const only = location();
    const huge = writeFile(dir, "huge.csv", "order_id,customer_id,timestamp,total\nh1,c1,2024-01-20,1e308\n");
    expect((await runCli("import", "orders", huge, "--db", only)).code).toBe(0);
    for (const cmd of [["rfm"], ["pareto"], ["kpis"], ["clv", "fit"]]) {
      const r = await runCli(...cmd, "--db", only);
      expect(r.code, cmd.join(" ")).toBe(1);
      expect(r.stderr, cmd.join(" ")).toContain(
        "no customer has a purchase that can be real: 1 order(s) with a total of 1e12 or more (or not a finite number) are left out (see `tessera audit`, implausible-amounts)",
      );
    }
  });

  it("the default as-of is the data's end for every command, leaves out future-dated rows and says so", async () => {
    const db = location();
    const dir = tempDir();
    const path = writeFile(dir, "o.csv", purchases());
    expect((await runCli("import", "orders", path, "--db", db)).code).toBe(0);
    // One order in 9999, admitted on purpose: the audit flags it, and no default moves to it.
    const future = writeFile(dir, "f.csv", "order_id,customer_id,timestamp,total\nf1,c01,9999-12-31,10\n");
    expect((await runCli("import", "orders", future, "--allow-any-date", "--db", db)).code).toBe(0);
    const end = "2024-03-22T00:00:00.000Z";
    const choice = {
      asOf: end,
      basis: "data",
      dataEnd: end,
      futureRows: 1,
    };
    const clustering = [
      "cluster",
      "--features",
      "orders.count,orders.revenue,orders.days_since_last",
      "--k",
      "2",
    ];
    for (const cmd of [["rfm"], ["pareto"], ["kpis"], clustering]) {
      const r = await json(db, ...cmd);
      expect(r.asOf, cmd[0]).toBe(end);
      expect(r.asOfChoice, cmd[0]).toMatchObject(choice);
      expect(String((r.asOfChoice as { note: string }).note)).toMatch(
        /^as of 2024-03-22T00:00:00.000Z: the end of the data's last day \(2024-03-21\), as no as-of time was given; 1 order\(s\) or event\(s\) dated after now \(.*\) left out of the data's end \(see `tessera audit`\)$/,
      );
    }
    // Personas of the clustering saved at that time, behaviour computed as of the same default.
    expect((await runCli(...clustering, "--save-as", "buyers", "--db", db)).code).toBe(0);
    expect((await json(db, "personas", "--clustering", "buyers")).asOfChoice).toMatchObject(choice);
    const fit = await json(db, "clv", "fit");
    expect(fit.calibrationEnd).toBe("2024-03-21");
    expect(fit.asOfChoice).toMatchObject({ basis: "data", futureRows: 1 });
    expect(String((fit.asOfChoice as { note: string }).note)).toMatch(
      /^calibration end 2024-03-21: the last purchase day, as none was given; 1 purchase\(s\) dated after now/,
    );
    // The text says it too.
    const text = await runCli("rfm", "--db", db);
    expect(text.stdout).toContain(
      "as of 2024-03-22T00:00:00.000Z: the end of the data's last day (2024-03-21)",
    );
    // Given, the time is used as it is and said to be given.
    const given = await json(db, "kpis", "--as-of", "2024-12-31");
    expect(given.asOfChoice).toMatchObject({ basis: "given", asOf: "2024-12-31T00:00:00.000Z" });
    expect(String((given.asOfChoice as { note: string }).note)).toContain(
      "as of 2024-12-31T00:00:00.000Z, as given (284 day(s) after the data's last day, 2024-03-21)",
    );
  });

  it("segment refresh: the default as-of is the data's end; past it, mass exits are refused unless forced", async () => {
    const db = location();
    const dir = tempDir();
    const path = writeFile(dir, "o.csv", purchases());
    expect((await runCli("import", "orders", path, "--db", db)).code).toBe(0);
    expect(
      (
        await runCli(
          "segment",
          "add",
          "--id",
          "recent",
          "--name",
          "Recent",
          "--where",
          "orders.count(60d) >= 1",
          "--db",
          db,
        )
      ).code,
    ).toBe(0);
    const first = (await json(db, "segment", "refresh")) as {
      asOf: string;
      asOfChoice: { basis: string };
      segments: { id: string; size: number }[];
    };
    expect(first.asOf).toBe("2024-03-22T00:00:00.000Z");
    expect(first.asOfChoice.basis).toBe("data");
    // Every customer bought in February, within 60 days of 2024-03-22.
    expect(first.segments).toMatchObject([{ id: "recent", size: 12 }]);

    const before = await dbSnapshot(db);
    const refused = await runCli("segment", "refresh", "--as-of", "2025-06-01", "--db", db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "segment refresh: as of 2025-06-01T00:00:00.000Z is 436 day(s) past the data's end (2024-03-22T00:00:00.000Z): " +
        "1 segment(s) would lose most of their members (recent 12 → 0 (−100%)), exits no customer made. Nothing was recorded. " +
        "Refresh as of the data's end (leave out --as-of, or --as-of 2024-03-22), or add --force to record it anyway",
    );
    expect(await dbSnapshot(db)).toBe(before);

    const forced = (await json(db, "segment", "refresh", "--as-of", "2025-06-01", "--force")) as {
      segments: { id: string; size: number; exited: number }[];
      warnings: { kind: string; segments: string[]; message: string }[];
    };
    expect(forced.segments).toMatchObject([{ id: "recent", size: 0, exited: 12 }]);
    expect(forced.warnings[0]).toEqual({
      kind: "as-of-after-data",
      segments: ["recent"],
      message:
        "the as-of is 436 day(s) past the data's end (2024-03-22T00:00:00.000Z): recorded with --force although recent 12 → 0 (−100%)",
    });
    // Once recorded, a default refresh does not go back to the data's end (that would be a backtest): it stays at
    // the last refresh's time, and says why.
    const after = (await json(db, "segment", "refresh")) as {
      asOf: string;
      stored: boolean;
      asOfChoice: { basis: string; note: string };
    };
    expect(after).toMatchObject({ asOf: "2025-06-01T00:00:00.000Z", stored: true });
    expect(after.asOfChoice.basis).toBe("last-refresh");
    expect(after.asOfChoice.note).toBe(
      "as of 2025-06-01T00:00:00.000Z: the last refresh's time, later than the data's end (2024-03-22T00:00:00.000Z), as no as-of time was given",
    );
  });
});
