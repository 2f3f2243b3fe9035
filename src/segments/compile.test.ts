import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { clickhouseDialect } from "../store/clickhouse/clickhouse-dialect.js";
import { duckdbDialect } from "../store/duckdb/duckdb-dialect.js";
import type { Dialect, Engine, SqlValue } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { type Sql, sql } from "../store/sql.js";
import type { Session } from "../store/store.js";
import { registerTrait } from "../store/trait-registry.js";
import type { Condition } from "./definition.js";
import { compileSegments, EVAL, evaluateSegments } from "./evaluate.js";
import { featureTableSql } from "./feature-sql.js";
import { loadSchemaContext, type SchemaContext } from "./schema-context.js";
import { validateSegment } from "./validate.js";

const EVIL = ["'); DROP TABLE customers; --", 'we"ird \\ name', "ünïcødé ✓", "x".repeat(2000)];

let engine: Session;

async function select(where: unknown): Promise<string[]> {
  const schema = await loadSchemaContext(engine);
  const def = validateSegment({ id: "t", name: "t", where }, schema);
  const ev = await evaluateSegments(engine, [def], schema, new Date("2024-06-01T00:00:00Z"));
  const r = await engine.query(
    sql`SELECT customer_id FROM ${EVAL} WHERE ${sql.ident(ev.columns.get("t") as string)} ORDER BY customer_id`,
  );
  return r.column("customer_id") as string[];
}

describe.each(TEST_ENGINES)("hostile names and values on $name", ({ location }) => {
  beforeEach(async () => {
    engine = await openSession(location());
  });
  afterEach(() => engine.close());

  it("are identifiers and parameters, never SQL", async () => {
    const trait = EVIL[1] as string;
    await registerTrait(engine, {
      name: trait,
      type: "string",
      category: "custom",
      pii: false,
      sourceColumn: trait,
    });
    for (const [i, v] of EVIL.entries()) {
      await engine.run(
        sql`INSERT INTO customers (customer_id, ${sql.ident(trait)}) VALUES (${`c${i}`}, ${v})`,
      );
      await engine.run(
        sql`INSERT INTO events (message_id, customer_id, event, type, ts, properties)
            VALUES (${`m${i}`}, ${`c${i}`}, ${v}, 'track', ${sql.param("2024-05-01 00:00:00", "timestamp")}, ${JSON.stringify({ [v]: v })})`,
      );
    }
    for (const [i, v] of EVIL.entries()) {
      expect(await select({ trait, eq: v })).toEqual([`c${i}`]);
      expect(await select({ event: v, where: { property: v, eq: v } })).toEqual([`c${i}`]);
      expect(await select({ event: "*", where: { property: v, starts_with: v.slice(0, 3) } })).toEqual([
        `c${i}`,
      ]);
    }
    expect(await select({ trait, contains: "%" })).toEqual([]);
    expect(await select({ trait, starts_with: "_" })).toEqual([]);
    expect(Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0])).toBe(4);
  });
});

/**
 * Each leaf kind compiled alone, as each engine's SQL: the predicate over the feature rows (alias `f`) and the
 * query of the feature table it reads. An engine is added as a column of this table (an entry of `DIALECTS` and
 * a key in every row's `sql`), so that the engines' SQL for every leaf reads side by side. Whitespace is collapsed.
 */
const DIALECTS = { duckdb: duckdbDialect, clickhouse: clickhouseDialect } satisfies Record<string, Dialect>;

interface LeafCase {
  readonly leaf: Condition;
  /** The values bound, each once, in order of first appearance (the same on every engine unless `boundOn` says). */
  readonly bound: readonly SqlValue[];
  /** An engine that binds other values (a JSON path is written the engine's way: `jsonKeyPath`). */
  readonly boundOn?: Partial<Record<keyof typeof DIALECTS, readonly SqlValue[]>>;
  readonly sql: Record<keyof typeof DIALECTS, { readonly predicate: string; readonly features: string }>;
}

const AS_OF = new Date("2024-06-01T00:00:00Z");
const NOW = "2024-06-01 00:00:00.000";
const ALL_CUSTOMERS = "SELECT c.customer_id AS customer_id FROM customers c";
/** ClickHouse's placeholder of a timestamp parameter (`{pN:Type}`: named by its 0-based index and typed). */
const CH_TS = (n: number) => `{p${n}:DateTime64(6, 'UTC')}`;
/** ClickHouse's `jsonTextAtPath(e.properties, path)`, the path bound as parameter `n`. */
const CH_JSON_TEXT = (n: number) => `JSONExtract(e.properties, {p${n}:String}, 'Nullable(String)')`;
/**
 * ClickHouse's text of a number in a JSON property (`tryNumber` of `jsonTextAtPath`, trimmed of blanks as DuckDB's
 * cast trims them, underscores between digits dropped as it drops them), the path bound three times from `n` on.
 */
const CH_NUMBER_TEXT = (n: number) => {
  const text = (k: number) => `trimBoth(${CH_JSON_TEXT(k)}, ' \\t\\n\\v\\f\\r')`;
  const digits = "'([0-9])_([0-9])', '\\\\1\\\\2'";
  return `if(position(${text(n)}, '_') > 0, replaceRegexpAll(replaceRegexpAll(${text(n + 1)}, ${digits}), ${digits}), ${text(n + 2)})`;
};
/** Who belongs to which account as of the time bound as parameter `n`: the group events naming one. */
const MEMBERS = (account: string, asOf: string) =>
  `SELECT e.customer_id AS customer_id, ${account} AS account_id FROM events e WHERE e.type = 'group' ` +
  `AND e.customer_id IS NOT NULL AND ${account} IS NOT NULL AND e.ts <= ${asOf}`;
const DUCK_MEMBERS = (n: number) =>
  MEMBERS(`json_extract_string(e.properties, '$."group_id"')`, `CAST($${n} AS TIMESTAMP)`);
const CH_MEMBERS = (n: number) =>
  MEMBERS(`JSONExtract(e.properties, 'group_id', 'Nullable(String)')`, CH_TS(n));
/** ClickHouse's `cast(e, "integer", "integer")` (a count, unsigned there, as a signed integer): a plain CAST. */
const CH_INTEGER = (e: string) => `CAST(${e} AS Nullable(Int64))`;

const LEAVES: readonly LeafCase[] = [
  {
    leaf: { trait: "tier", eq: "gold" },
    bound: ["gold"],
    sql: {
      duckdb: { predicate: `coalesce(f."t0" = CAST($1 AS VARCHAR), false)`, features: ALL_CUSTOMERS },
      clickhouse: { predicate: `coalesce(f."t0" = {p0:String}, false)`, features: ALL_CUSTOMERS },
    },
  },
  {
    leaf: { trait: "tier", in: ["gold", "silver"] },
    bound: ["gold", "silver"],
    sql: {
      duckdb: {
        predicate: `coalesce(f."t0" IN (CAST($1 AS VARCHAR), CAST($2 AS VARCHAR)), false)`,
        features: ALL_CUSTOMERS,
      },
      clickhouse: {
        predicate: `coalesce(f."t0" IN ({p0:String}, {p1:String}), false)`,
        features: ALL_CUSTOMERS,
      },
    },
  },
  {
    leaf: { trait: "tier", contains: "ol" },
    bound: ["ol"],
    sql: {
      duckdb: {
        predicate: `coalesce((strpos(f."t0", CAST($1 AS VARCHAR)) > 0), false)`,
        features: ALL_CUSTOMERS,
      },
      clickhouse: {
        predicate: `coalesce((position(f."t0", {p0:String}) > 0), false)`,
        features: ALL_CUSTOMERS,
      },
    },
  },
  {
    leaf: { trait: "tier", starts_with: "go" },
    bound: ["go"],
    sql: {
      duckdb: {
        predicate: `coalesce(left(f."t0", length(CAST($1 AS VARCHAR))) = CAST($2 AS VARCHAR), false)`,
        features: ALL_CUSTOMERS,
      },
      clickhouse: {
        predicate: `coalesce(left(f."t0", length({p0:String})) = {p1:String}, false)`,
        features: ALL_CUSTOMERS,
      },
    },
  },
  {
    leaf: { trait: "tier", exists: false },
    bound: [],
    sql: {
      duckdb: { predicate: `(f."t0" IS NULL)`, features: ALL_CUSTOMERS },
      clickhouse: { predicate: `(f."t0" IS NULL)`, features: ALL_CUSTOMERS },
    },
  },
  {
    leaf: { trait: "signup", gte: { ago: "30d" } },
    bound: ["2024-05-02"],
    sql: {
      duckdb: { predicate: `coalesce(f."t0" >= CAST($1 AS DATE), false)`, features: ALL_CUSTOMERS },
      clickhouse: { predicate: `coalesce(f."t0" >= {p0:Date32}, false)`, features: ALL_CUSTOMERS },
    },
  },
  {
    leaf: { computed: "score", between: [0.5, 1] },
    bound: [0.5, 1],
    sql: {
      duckdb: {
        predicate: `coalesce(f."k0" BETWEEN CAST($1 AS DOUBLE) AND CAST($2 AS DOUBLE), false)`,
        features: `SELECT c.customer_id AS customer_id, cv0."score" AS "k0" FROM customers c LEFT JOIN "test_scores" cv0 ON cv0.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate: `coalesce(f."k0" BETWEEN {p0:Float64} AND {p1:Float64}, false)`,
        features: `SELECT c.customer_id AS customer_id, cv0."score" AS "k0" FROM customers c LEFT JOIN "test_scores" cv0 ON cv0.customer_id = c.customer_id`,
      },
    },
  },
  {
    leaf: { consent: "marketing", channel: "email" },
    bound: ["marketing", "email", NOW],
    sql: {
      duckdb: {
        predicate: `coalesce(f."f0", false)`,
        features:
          `SELECT c.customer_id AS customer_id, CASE WHEN co."f0_g" IS NULL THEN false WHEN co."f0_d" IS NULL THEN true ELSE co."f0_g" > co."f0_d" END AS "f0" ` +
          `FROM customers c LEFT JOIN (SELECT k.customer_id, ` +
          `max(k.ts) FILTER (WHERE k.purpose = CAST($1 AS VARCHAR) AND (k.channel = CAST($2 AS VARCHAR) OR k.channel IS NULL) AND k.status = 'granted') AS "f0_g", ` +
          `max(k.ts) FILTER (WHERE k.purpose = CAST($3 AS VARCHAR) AND (k.channel = CAST($4 AS VARCHAR) OR k.channel IS NULL) AND k.status <> 'granted') AS "f0_d" ` +
          `FROM consents k WHERE k.customer_id IS NOT NULL AND k.ts <= CAST($5 AS TIMESTAMP) GROUP BY k.customer_id) co ON co.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate: `coalesce(f."f0", false)`,
        features:
          `SELECT c.customer_id AS customer_id, CASE WHEN co."f0_g" IS NULL THEN false WHEN co."f0_d" IS NULL THEN true ELSE co."f0_g" > co."f0_d" END AS "f0" ` +
          `FROM customers c LEFT JOIN (SELECT k.customer_id, ` +
          `maxIf(k.ts, k.purpose = {p0:String} AND (k.channel = {p1:String} OR k.channel IS NULL) AND k.status = 'granted') AS "f0_g", ` +
          `maxIf(k.ts, k.purpose = {p2:String} AND (k.channel = {p3:String} OR k.channel IS NULL) AND k.status <> 'granted') AS "f0_d" ` +
          `FROM consents k WHERE k.customer_id IS NOT NULL AND k.ts <= ${CH_TS(4)} GROUP BY k.customer_id) co ON co.customer_id = c.customer_id`,
      },
    },
  },
  {
    leaf: { event: "Viewed", within: "30d", count: { gte: 2 } },
    bound: [2, "2024-05-02 00:00:00.000", NOW, "Viewed"],
    sql: {
      duckdb: {
        predicate: `coalesce(coalesce(f."f0", 0) >= CAST($1 AS DOUBLE), false)`,
        features:
          `SELECT c.customer_id AS customer_id, coalesce(ev."f0", 0) AS "f0" FROM customers c LEFT JOIN (SELECT customer_id, CAST(count("f0") AS BIGINT) AS "f0" ` +
          `FROM (SELECT e.customer_id, 1 AS "f0" FROM events e WHERE e.customer_id IS NOT NULL AND e.ts > CAST($1 AS TIMESTAMP) ` +
          `AND e.ts <= CAST($2 AS TIMESTAMP) AND e.event = CAST($3 AS VARCHAR)) x GROUP BY customer_id) ev ON ev.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate: `coalesce(coalesce(f."f0", 0) >= {p0:Float64}, false)`,
        features:
          `SELECT c.customer_id AS customer_id, coalesce(ev."f0", 0) AS "f0" FROM customers c LEFT JOIN (SELECT customer_id, ${CH_INTEGER('count("f0")')} AS "f0" ` +
          `FROM (SELECT e.customer_id, 1 AS "f0" FROM events e WHERE e.customer_id IS NOT NULL AND e.ts > ${CH_TS(0)} ` +
          `AND e.ts <= ${CH_TS(1)} AND e.event = {p2:String}) x GROUP BY customer_id) ev ON ev.customer_id = c.customer_id`,
      },
    },
  },
  {
    leaf: {
      event: "*",
      type: "page",
      hour: { gte: 18 },
      weekday: { in: [5, 6] },
      where: { property: "price", gt: 10 },
    },
    bound: [1, NOW, "page", 18, 5, 6, '$."price"', 10],
    boundOn: { clickhouse: [1, NOW, "page", 18, 5, 6, "price", 10] },
    sql: {
      duckdb: {
        predicate: `coalesce(coalesce(f."f0", 0) >= CAST($1 AS DOUBLE), false)`,
        features:
          `SELECT c.customer_id AS customer_id, coalesce(ev."f0", 0) AS "f0" FROM customers c LEFT JOIN (SELECT customer_id, CAST(count("f0") AS BIGINT) AS "f0" ` +
          `FROM (SELECT e.customer_id, 1 AS "f0" FROM events e WHERE e.customer_id IS NOT NULL AND e.ts <= CAST($1 AS TIMESTAMP) ` +
          `AND e.type = CAST($2 AS VARCHAR) AND coalesce(hour(e.ts) >= CAST($3 AS DOUBLE), false) ` +
          `AND coalesce((isodow(e.ts) - 1) IN (CAST($4 AS DOUBLE), CAST($5 AS DOUBLE)), false) ` +
          `AND coalesce((CASE WHEN isfinite(TRY_CAST(trim(json_extract_string(e.properties, CAST($6 AS VARCHAR))) AS DOUBLE)) ` +
          `THEN TRY_CAST(trim(json_extract_string(e.properties, CAST($7 AS VARCHAR))) AS DOUBLE) END) > CAST($8 AS DOUBLE), false)) x ` +
          `GROUP BY customer_id) ev ON ev.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate: `coalesce(coalesce(f."f0", 0) >= {p0:Float64}, false)`,
        features:
          `SELECT c.customer_id AS customer_id, coalesce(ev."f0", 0) AS "f0" FROM customers c LEFT JOIN (SELECT customer_id, ${CH_INTEGER('count("f0")')} AS "f0" ` +
          `FROM (SELECT e.customer_id, 1 AS "f0" FROM events e WHERE e.customer_id IS NOT NULL AND e.ts <= ${CH_TS(0)} ` +
          `AND e.type = {p1:String} AND coalesce(toHour(e.ts) >= {p2:Float64}, false) ` +
          `AND coalesce((toDayOfWeek(e.ts) - 1) IN ({p3:Float64}, {p4:Float64}), false) ` +
          `AND coalesce((CASE WHEN isFinite(ifNull(toFloat64OrNull(${CH_NUMBER_TEXT(5)}), nan)) ` +
          `THEN toFloat64OrNull(${CH_NUMBER_TEXT(8)}) END) > {p11:Float64}, false)) x ` +
          `GROUP BY customer_id) ev ON ev.customer_id = c.customer_id`,
      },
    },
  },
  {
    leaf: { orders: "count", within: { from: "2024-01-01", to: "2024-03-31" }, gte: 1 },
    bound: [1, "2024-01-01 00:00:00", "2024-04-01 00:00:00.000", NOW],
    sql: {
      duckdb: {
        predicate: `coalesce(coalesce(f."f0", 0) >= CAST($1 AS DOUBLE), false)`,
        features:
          `SELECT c.customer_id AS customer_id, od."f0" AS "f0" FROM customers c LEFT JOIN (SELECT o.customer_id, ` +
          `count(*) FILTER (WHERE o.ts >= CAST($1 AS TIMESTAMP) AND o.ts < CAST($2 AS TIMESTAMP)) AS "f0" ` +
          `FROM orders o WHERE o.customer_id IS NOT NULL AND o.ts <= CAST($3 AS TIMESTAMP) GROUP BY o.customer_id) od ON od.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate: `coalesce(coalesce(f."f0", 0) >= {p0:Float64}, false)`,
        features:
          `SELECT c.customer_id AS customer_id, od."f0" AS "f0" FROM customers c LEFT JOIN (SELECT o.customer_id, ` +
          `countIf(o.ts >= ${CH_TS(0)} AND o.ts < ${CH_TS(1)}) AS "f0" ` +
          `FROM orders o WHERE o.customer_id IS NOT NULL AND o.ts <= ${CH_TS(2)} GROUP BY o.customer_id) od ON od.customer_id = c.customer_id`,
      },
    },
  },
  {
    leaf: { orders: "days_since_last", gte: 30 },
    bound: [NOW, 30],
    sql: {
      duckdb: {
        predicate: `coalesce(floor((epoch(CAST($1 AS TIMESTAMP)) - epoch(f."f0")) / 86400) >= CAST($2 AS DOUBLE), false)`,
        features:
          `SELECT c.customer_id AS customer_id, od."f0" AS "f0" FROM customers c LEFT JOIN (SELECT o.customer_id, max(o.ts) AS "f0" ` +
          `FROM orders o WHERE o.customer_id IS NOT NULL AND o.ts <= CAST($1 AS TIMESTAMP) GROUP BY o.customer_id) od ON od.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate:
          `coalesce(floor((toUnixTimestamp64Micro(toDateTime64(${CH_TS(0)}, 6, 'UTC')) - ` +
          `toUnixTimestamp64Micro(toDateTime64(f."f0", 6, 'UTC'))) / 86400000000) >= {p1:Float64}, false)`,
        features:
          `SELECT c.customer_id AS customer_id, od."f0" AS "f0" FROM customers c LEFT JOIN (SELECT o.customer_id, max(o.ts) AS "f0" ` +
          `FROM orders o WHERE o.customer_id IS NOT NULL AND o.ts <= ${CH_TS(0)} GROUP BY o.customer_id) od ON od.customer_id = c.customer_id`,
      },
    },
  },
  {
    leaf: { orders: "sum", of: "quantity", category: ["books", "toys"], gt: 3 },
    bound: [3, "books", "toys", NOW],
    sql: {
      duckdb: {
        predicate: `coalesce(coalesce(f."f0", 0) > CAST($1 AS DOUBLE), false)`,
        features:
          `SELECT c.customer_id AS customer_id, ol."f0" AS "f0" FROM customers c LEFT JOIN (SELECT lo.customer_id, ` +
          `sum(lo.u0) FILTER (WHERE lo.a0 IS NOT NULL) AS "f0" FROM ( SELECT i.customer_id, i.order_id, min(i.ts) AS ts, ` +
          `sum(i.quantity * i.unit_price) FILTER (WHERE i.quantity > 0 AND i.category IN (CAST($1 AS VARCHAR), CAST($2 AS VARCHAR))) AS a0, ` +
          `sum(i.quantity) FILTER (WHERE i.quantity > 0 AND i.category IN (CAST($3 AS VARCHAR), CAST($4 AS VARCHAR))) AS u0 ` +
          `FROM order_items i WHERE i.customer_id IS NOT NULL AND i.ts <= CAST($5 AS TIMESTAMP) GROUP BY i.customer_id, i.order_id) lo ` +
          `GROUP BY lo.customer_id) ol ON ol.customer_id = c.customer_id`,
      },
      clickhouse: {
        predicate: `coalesce(coalesce(f."f0", 0) > {p0:Float64}, false)`,
        features:
          `SELECT c.customer_id AS customer_id, ol."f0" AS "f0" FROM customers c LEFT JOIN (SELECT lo.customer_id, ` +
          `sumIf(lo.u0, lo.a0 IS NOT NULL) AS "f0" FROM ( SELECT i.customer_id, i.order_id, min(i.ts) AS ts, ` +
          `sumIf(i.quantity * i.unit_price, i.quantity > 0 AND i.category IN ({p0:String}, {p1:String})) AS a0, ` +
          `sumIf(i.quantity, i.quantity > 0 AND i.category IN ({p2:String}, {p3:String})) AS u0 ` +
          `FROM order_items i WHERE i.customer_id IS NOT NULL AND i.ts <= ${CH_TS(4)} GROUP BY i.customer_id, i.order_id) lo ` +
          `GROUP BY lo.customer_id) ol ON ol.customer_id = c.customer_id`,
      },
    },
  },
  {
    // Membership (group events by the as-of time) joined to the accounts' traits: a semi-join, no feature column.
    leaf: { account: "industry", eq: "Software" },
    bound: [NOW, "Software"],
    sql: {
      duckdb: {
        predicate: `coalesce(f.customer_id IN (SELECT m.customer_id FROM (${DUCK_MEMBERS(1)}) m LEFT JOIN accounts a ON a.account_id = m.account_id WHERE coalesce(a."industry" = CAST($2 AS VARCHAR), false)), false)`,
        features: ALL_CUSTOMERS,
      },
      clickhouse: {
        predicate: `coalesce(f.customer_id IN (SELECT m.customer_id FROM (${CH_MEMBERS(0)}) m LEFT JOIN accounts a ON a.account_id = m.account_id WHERE coalesce(a."industry" = {p1:String}, false)), false)`,
        features: ALL_CUSTOMERS,
      },
    },
  },
  {
    // The account's id is the group events' own: members of an account without a row of traits count.
    leaf: { account: "account_id", in: ["acme", "initech"] },
    bound: [NOW, "acme", "initech"],
    sql: {
      duckdb: {
        predicate: `coalesce(f.customer_id IN (SELECT m.customer_id FROM (${DUCK_MEMBERS(1)}) m LEFT JOIN accounts a ON a.account_id = m.account_id WHERE coalesce(m.account_id IN (CAST($2 AS VARCHAR), CAST($3 AS VARCHAR)), false)), false)`,
        features: ALL_CUSTOMERS,
      },
      clickhouse: {
        predicate: `coalesce(f.customer_id IN (SELECT m.customer_id FROM (${CH_MEMBERS(0)}) m LEFT JOIN accounts a ON a.account_id = m.account_id WHERE coalesce(m.account_id IN ({p1:String}, {p2:String}), false)), false)`,
        features: ALL_CUSTOMERS,
      },
    },
  },
];

const LEAF_SCHEMA: SchemaContext = {
  traits: new Map([
    ["tier", "string"],
    ["signup", "date"],
  ]),
  accounts: new Map([
    ["account_id", "string"],
    ["industry", "string"],
    ["employees", "integer"],
  ]),
  computed: new Map([["score", { type: "number", table: "test_scores", column: "score" }]]),
  events: new Set(),
  segments: new Map(),
};

/** The values a fragment binds, each once, in order of first appearance. */
const boundValues = (...qs: Sql[]): SqlValue[] => [
  ...new Set(qs.flatMap((q) => q.pieces.flatMap((p) => (p.kind === "param" ? [p.value] : [])))),
];

describe.each(Object.entries(DIALECTS))("each leaf's SQL on %s", (name, d) => {
  const engine = name as keyof typeof DIALECTS;
  it.each(LEAVES.map((c) => [JSON.stringify(c.leaf), c] as const))("%s", (_title, c) => {
    const compiled = compileSegments(
      { dialect: d } as Engine,
      [{ id: "t", name: "t", where: c.leaf }],
      LEAF_SCHEMA,
      AS_OF,
    );
    const predicate = compiled.predicates.get("t") as Sql;
    const features = featureTableSql(d, compiled.features, LEAF_SCHEMA, AS_OF);
    const text = (q: Sql) => d.showSql(q).replace(/\s+/g, " ").trim();
    expect({ predicate: text(predicate), features: text(features) }).toEqual(c.sql[engine]);
    expect(boundValues(predicate, features)).toEqual(c.boundOn?.[engine] ?? c.bound);
  });
});
