import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, tempDir, writeFile } from "./helpers.js";

/**
 * Issue 15, items 9 (segment language), 10 and 11: every bad definition is refused with where (line and column
 * of the text, or the path in the JSON) and why, exit 1, nothing written; limits of depth and size are named
 * rather than overflowing a stack; and a property or value never seen is a warning with a suggestion.
 */

const deepNot = (n: number, leaf: string) => `${'{"not":'.repeat(n)}${leaf}${"}".repeat(n)}`;
const doc = (where: string) => `{"id":"x","name":"x","where":${where}}`;
const OUT_OF_RANGE = "is out of range: numbers are at most 9,007,199,254,740,991 in size";
const LONG = "is out of range: a duration is at most 1,000 years (365000d, 52000w, 12000m, 1000y)";
const NOT_A_TIME =
  "is not a valid date or time (YYYY-MM-DD, or an ISO 8601 time such as 2024-01-31T12:00:00Z)";
const VALUE = 'expected a value (text, a number, true, false or {"ago": "30d"})';
const manyOr = (n: number) => Array.from({ length: n }, (_, i) => `age = ${i}`).join(" or ");

/** Text given with --where: [condition, the message after "tessera: "]. */
const TEXT_CASES: readonly [string, string][] = [
  ["age > 1e999", `--where: line 1, column 7: number 1e999 ${OUT_OF_RANGE}`],
  ["age > -1e400", `--where: line 1, column 7: number -1e400 ${OUT_OF_RANGE}`],
  [
    "age > 1e-999",
    "--where: line 1, column 7: number 1e-999 is out of range: it is too small to tell from 0",
  ],
  [
    "orders.count() >= 99999999999999999999999",
    `--where: line 1, column 19: number 99999999999999999999999 ${OUT_OF_RANGE}`,
  ],
  ["age = 9007199254740993", `--where: line 1, column 7: number 9007199254740993 ${OUT_OF_RANGE}`],
  [
    'count(event "Product Viewed", 99999999d) >= 1',
    `--where: line 1, column 31: duration "99999999d" ${LONG}`,
  ],
  ["orders.sum(total, 1001y) > 1", `--where: line 1, column 19: duration "1001y" ${LONG}`],
  [
    'count(event "Product Viewed", -5d) >= 1',
    '--where: line 1, column 31: duration "-5d" is negative: durations count back from the as-of time (e.g. "30d")',
  ],
  ["last_seen > ago(0d)", '--where: line 1, column 17: duration "0d" is empty: it is at least 1d'],
  ["age in ()", '--where: line 1, column 9: expected at least one value in the list, found ")"'],
  [
    'last_seen > "2020-13-45"',
    `--where: where.gt: trait last_seen is timestamp, but "2020-13-45" ${NOT_A_TIME}`,
  ],
  [
    'last_seen > "2023-02-29"',
    `--where: where.gt: trait last_seen is timestamp, but "2023-02-29" ${NOT_A_TIME}`,
  ],
  ['last_seen > "1"', `--where: where.gt: trait last_seen is timestamp, but "1" ${NOT_A_TIME}`],
  [
    'orders.count("2024-01-01".."2024-02-30") > 1',
    '--where: where.within: "to": "2024-02-30" is not an ISO date (YYYY-MM-DD)',
  ],
  [
    `${"(".repeat(50_000)}age > 1${")".repeat(50_000)}`,
    "--where: line 1, column 17: nested deeper than 16 levels",
  ],
  [`${"not ".repeat(10_000)}age > 1`, "--where: line 1, column 65: nested deeper than 16 levels"],
  [
    `has(event "Product Viewed", ${"not ".repeat(10_000)}device = "mobile")`,
    "--where: line 1, column 93: nested deeper than 16 levels",
  ],
  [manyOr(2000), "--where: where.any: has more than 1,000 conditions (the limit)"],
  [
    `age in (${Array.from({ length: 10_001 }, (_, i) => i).join(", ")})`,
    "--where: where.in: has more than 10,000 values in in/not_in lists (the limit)",
  ],
  [
    manyOr(100_000),
    `--where: line 1, column 1: the definition is ${manyOr(100_000).length.toLocaleString("en-US")} characters long; the limit is 1,000,000`,
  ],
];

/** JSON documents in a file: [document, the message after "tessera: <file>: "]. */
const JSON_CASES: readonly [string, string][] = [
  [doc('{"trait":"age","gt":1e999}'), `where.gt: number Infinity ${OUT_OF_RANGE}`],
  [doc('{"event":"Product Viewed","count":{"gte":1e300}}'), `where.count.gte: number 1e+300 ${OUT_OF_RANGE}`],
  [
    doc('{"event":"Product Viewed","hour":{"lt":9007199254740993}}'),
    `where.hour.lt: number 9007199254740992 ${OUT_OF_RANGE}`,
  ],
  [doc('{"trait":"age","gt":null}'), `where.gt: ${VALUE}, found null`],
  [doc('{"trait":"age","in":[1,[2]]}'), `where.in[1]: ${VALUE}, found a list`],
  [
    doc('{"trait":"last_seen","gt":{"ago":30}}'),
    'where.gt: {"ago": …} takes a duration such as "30d" and nothing else',
  ],
  [doc('{"trait":"age","in":[]}'), 'where.in: "in" needs at least one value'],
  [doc('{"trait":"country","not_in":[]}'), 'where.not_in: "not_in" needs at least one value'],
  [doc('{"trait":"age","between":[1]}'), 'where.between: "between" takes two values: [low, high]'],
  [
    doc('{"event":"Product Viewed","within":30}'),
    'where.within: expected a window: "30d", "2w", "6m", "1y" or {"from": "2024-01-01", "to": "2024-03-31"}',
  ],
  [doc('{"event":"Product Viewed","within":"99999999d"}'), `where.within: duration "99999999d" ${LONG}`],
  [
    doc('{"event":"Product Viewed","within":"-5d"}'),
    'where.within: duration "-5d" is negative: durations count back from the as-of time (e.g. "30d")',
  ],
  [doc('{"trait":"last_seen","gt":{"ago":"999999y"}}'), `where.gt.ago: duration "999999y" ${LONG}`],
  [
    doc('{"trait":"last_seen","gt":"2020-13-45"}'),
    `where.gt: trait last_seen is timestamp, but "2020-13-45" ${NOT_A_TIME}`,
  ],
  [doc(deepNot(10_000, '{"trait":"age","gt":1}')), `where${".not".repeat(16)}: nested deeper than 16 levels`],
  [
    doc(`{"event":"Product Viewed","where":${deepNot(10_000, '{"property":"device","eq":"x"}')}}`),
    `where.where${".not".repeat(15)}: nested deeper than 16 levels`,
  ],
  [
    doc(`{"any":[${Array.from({ length: 1001 }, (_, i) => `{"trait":"age","eq":${i}}`).join(",")}]}`),
    "where.any: has more than 1,000 conditions (the limit)",
  ],
  [
    doc(`{"trait":"age","in":${"[".repeat(400_000)}${"]".repeat(400_000)}}`),
    `where.in[0]: ${VALUE}, found a list`,
  ],
  [
    doc(`{"trait":"country","eq":"${"x".repeat(1_000_000)}"}`),
    "the definition is 1,000,057 characters long; the limit is 1,000,000",
  ],
  // A name is one line of readable text, shown wherever segments are listed.
  [`{"id":"x","name":"${"n".repeat(201)}","where":{"trait":"age","gt":1}}`, "name: at most 200 characters"],
  [
    '{"id":"x","name":"a\\u0000b","where":{"trait":"age","gt":1}}',
    "name: must not hold control characters (tabs, line breaks, NUL)",
  ],
];

describe.each(TEST_ENGINES)("segment hardening on $name", ({ location }) => {
  let dir: string;
  let db: string;

  const run = (...args: string[]) => runCli(...args, "--db", db);
  const state = () => dbSnapshot(db);

  beforeAll(async () => {
    dir = tempDir();
    db = location();
    writeFile(
      dir,
      "customers.csv",
      // Ten customers like each of c1 … c5 (c1, c1-1 … c1-9): a preview's size under 10, or within 10 of
      // everyone, would be suppressed (the k-gate).
      `customer_id,country,age\n${["c1,DE,30", "c2,FR,45", "c3,NL,22", "c4,DE,61", "c5,,38"]
        .flatMap((line) =>
          Array.from({ length: 10 }, (_, n) => (n === 0 ? line : line.replace(/^(c\d)/, `$1-${n}`))),
        )
        .join("\n")}\n`,
    );
    const events: [string, string, string, object][] = [
      ["c1", "2024-03-25T20:00:00Z", "Product Viewed", { device: "mobile", price: 10 }],
      ["c1", "2024-03-26T20:00:00Z", "Product Viewed", { device: "mobile" }],
      ["c4", "2024-03-27T09:00:00Z", "Product Viewed", { device: "desktop", browser: "Firefox" }],
      ["c2", "2024-03-27T10:00:00Z", "Signed Up", { plan: "pro" }],
    ];
    writeFile(
      dir,
      "events.ndjson",
      events
        .map(([user_id, timestamp, event, properties]) =>
          JSON.stringify({ user_id, timestamp, event, properties }),
        )
        .join("\n"),
    );
    for (const [kind, file] of [
      ["customers", "customers.csv"],
      ["events", "events.ndjson"],
    ] as const) {
      const r = await run("import", kind, join(dir, file));
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await run("segment", "add", "--id", "base", "--name", "base", "--where", "age > 1");
    expect(r.code, r.stderr).toBe(0);
  });

  it("refuses bad text with the line, column and cause; exit 1; nothing written", async () => {
    const before = await state();
    for (const [where, message] of TEXT_CASES) {
      for (const command of ["add", "preview"]) {
        const r = await run("segment", command, "--id", "x", "--name", "x", "--where", where);
        expect([r.code, r.stderr], where.slice(0, 80)).toEqual([1, `tessera: ${message}\n`]);
      }
    }
    expect(await state()).toBe(before);
  });

  it("refuses bad JSON documents with the path and cause; exit 1; nothing written", async () => {
    const before = await state();
    for (const [text, message] of JSON_CASES) {
      const f = writeFile(dir, "bad.json", text);
      const r = await run("segment", "add", f);
      expect([r.code, r.stderr], text.slice(0, 80)).toEqual([1, `tessera: ${f}: ${message}\n`]);
    }
    // A text-form file: the same limits, at its line and column.
    const f = writeFile(
      dir,
      "deep.seg",
      `id: x\nname: x\nwhere: ${"(".repeat(50_000)}age > 1${")".repeat(50_000)}\n`,
    );
    expect(await run("segment", "add", f)).toMatchObject({
      code: 1,
      stderr: `tessera: ${f}: line 3, column 24: nested deeper than 16 levels\n`,
    });
    expect(await state()).toBe(before);
  });

  it("accepts what is within the limits", async () => {
    const ok = [
      `${"not ".repeat(15)}age > 1`,
      `age in (${Array.from({ length: 10_000 }, (_, i) => i).join(", ")})`,
      manyOr(999),
      "age < 9007199254740991",
      'count(event "Product Viewed", 365000d) >= 1 and last_seen > ago(1000y)',
      'last_seen > "2024-03-26T12:00:00+02:00" and last_seen < "2024-12-31"',
    ];
    for (const where of ok) {
      const r = await run("segment", "preview", "--id", "x", "--name", "x", "--where", where, "--json");
      expect([r.code, r.stderr], where.slice(0, 80)).toEqual([0, ""]);
    }
  });

  it("warns of property names and values never seen, with the nearest or the known ones", async () => {
    const before = await state();
    const where =
      'country = "Germany" or country in ("de", "FR") or country != "NLL" ' +
      'or count(event "Product Viewed", devise = "mobile" or device = "Mobile" or browser = "Chrome") >= 1 ' +
      'or has(event "Signed Up", zzz = "x") or has(event "*", plan = "pr")';
    const warnings = [
      {
        path: "where.any[0].eq",
        message: 'trait country never takes the value "Germany" (its values: "DE", "FR", "NL")',
      },
      {
        path: "where.any[1].in[0]",
        message: 'trait country never takes the value "de" (did you mean "DE"?)',
      },
      { path: "where.any[2].neq", message: 'trait country never takes the value "NLL" (did you mean "NL"?)' },
      {
        path: "where.any[3].where.any[0].property",
        message: 'no "Product Viewed" event has a property "devise" (did you mean "device"?)',
      },
      {
        path: "where.any[3].where.any[1].eq",
        message:
          'property device of "Product Viewed" events never takes the value "Mobile" (did you mean "mobile"?)',
      },
      {
        path: "where.any[3].where.any[2].eq",
        message:
          'property browser of "Product Viewed" events never takes the value "Chrome" (its values: "Firefox")',
      },
      {
        path: "where.any[4].where.property",
        message: 'no "Signed Up" event has a property "zzz" (their properties: "plan")',
      },
      {
        path: "where.any[5].where.eq",
        message: 'property plan of events never takes the value "pr" (did you mean "pro"?)',
      },
    ];
    const stderr = warnings.map((w) => `warning: ${w.path}: ${w.message}\n`).join("");

    const preview = await run(
      "segment",
      "preview",
      "--id",
      "typos",
      "--name",
      "t",
      "--where",
      where,
      "--json",
    );
    expect([preview.code, preview.stderr]).toEqual([0, stderr]);
    // Everyone with a country passes country != "NLL" (the typo makes it always true); the c5s have none.
    expect(JSON.parse(preview.stdout)).toMatchObject({ size: 40, warnings });
    expect(await state()).toBe(before);

    // Saved all the same (a property may not have occurred yet): a warning, not an error.
    const added = await run("segment", "add", "--id", "typos", "--name", "t", "--where", where, "--json");
    expect([added.code, added.stderr]).toEqual([0, stderr]);
    expect(JSON.parse(added.stdout)).toEqual({ id: "typos", version: 1, changed: true, warnings });

    const explained = await run("segment", "explain", "typos");
    expect([explained.code, explained.stderr]).toEqual([0, stderr]);
    const diff = await run("segment", "diff", "--id", "typos", "--name", "t", "--where", where, "--json");
    expect(JSON.parse(diff.stdout).warnings).toEqual(warnings);

    // What occurs gives none.
    const clean = await run(
      "segment",
      "preview",
      "--id",
      "ok",
      "--name",
      "ok",
      "--where",
      'country in ("DE", "NL") and has(event "Product Viewed", device = "mobile" and price exists)',
      "--json",
    );
    expect([clean.code, clean.stderr, JSON.parse(clean.stdout).warnings]).toEqual([0, "", []]);
  });
});
