import fc from "fast-check";
import { registerAccountTrait } from "../src/store/accounts.js";
import { registerComputed } from "../src/store/computed.js";
import type { Engine } from "../src/store/engine.js";
import { type Sql, type SqlValue, sql } from "../src/store/sql.js";
import { registerTrait } from "../src/store/trait-registry.js";
import { ACCOUNT_IDS, CATS, COUNTRIES, EVENTS, INDUSTRIES } from "./segments-arbitraries.js";
import type { RefData } from "./segments-reference.js";

/** Random small datasets for the segment property tests, and loading them straight into the tables. */
export const AS_OF = Date.parse("2024-03-31T12:00:00Z");
const DAY = 86_400_000;

/** Timestamps around the as-of time: some after it (never seen), many near window edges. */
const arbTs = fc.oneof(
  fc.integer({ min: -400, max: 5 }).map((d) => AS_OF + d * DAY),
  fc.integer({ min: -100 * 24, max: 24 }).map((h) => AS_OF + h * 3_600_000),
  fc.constantFrom(AS_OF - 30 * DAY, AS_OF - 7 * DAY, Date.parse("2024-02-29T12:00:00Z"), AS_OF),
);

export const arbData: fc.Arbitrary<RefData> = fc
  .record({
    n: fc.integer({ min: 1, max: 8 }),
    traits: fc.array(
      fc.record({
        country: fc.option(fc.constantFrom(...COUNTRIES), { nil: null }),
        age: fc.option(fc.integer({ min: 18, max: 80 }), { nil: null }),
        vip: fc.option(fc.boolean(), { nil: null }),
        signup: fc.option(fc.constantFrom("2023-01-15", "2024-03-01", "2024-03-30", "2024-02-29"), {
          nil: null,
        }),
        score: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
      }),
      { minLength: 8, maxLength: 8 },
    ),
    events: fc.array(
      fc.record({
        c: fc.nat(7),
        event: fc.constantFrom(...EVENTS),
        type: fc.constantFrom("track", "page"),
        ts: arbTs,
        device: fc.option(fc.constantFrom("mobile", "desktop"), { nil: undefined }),
        price: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
      }),
      { maxLength: 30 },
    ),
    orders: fc.array(
      fc.record({
        c: fc.nat(7),
        ts: arbTs,
        lines: fc.array(
          fc.record({
            category: fc.constantFrom(...CATS),
            quantity: fc.integer({ min: -2, max: 3 }),
            price: fc.integer({ min: 1, max: 40 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { maxLength: 12 },
    ),
    consents: fc.array(
      fc.record({
        c: fc.nat(7),
        purpose: fc.constantFrom("marketing", "analytics"),
        channel: fc.constantFrom("email", "sms", null),
        status: fc.constantFrom("granted", "denied", "withdrawn"),
        ts: arbTs,
      }),
      { maxLength: 12 },
    ),
    // Group calls, of the accounts ACCOUNT_IDS names; the last of them never has a row of traits.
    groups: fc.array(
      fc.record({
        c: fc.nat(7),
        account: fc.constantFrom(...ACCOUNT_IDS),
        // Often after the as-of time: a person joins an account only when the call is made.
        ts: fc.oneof(
          arbTs,
          fc.integer({ min: 1, max: 120 }).map((h) => AS_OF + h * 3_600_000),
        ),
      }),
      { maxLength: 8 },
    ),
    accounts: fc.array(
      fc.record({
        industry: fc.option(fc.constantFrom(...INDUSTRIES), { nil: null }),
        employees: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }),
        founded: fc.option(fc.constantFrom("2023-01-15", "2024-03-01", "2024-03-30", "2024-02-29"), {
          nil: null,
        }),
      }),
      { minLength: ACCOUNT_IDS.length - 1, maxLength: ACCOUNT_IDS.length - 1 },
    ),
  })
  .map(({ n, traits, events, orders, consents, groups, accounts }) => {
    const id = (i: number) => `c${i % n}`;
    return {
      customers: traits.slice(0, n).map((t, i) => ({
        id: `c${i}`,
        traits: { country: t.country, age: t.age, vip: t.vip, signup: t.signup },
        score: t.score,
      })),
      traitTypes: { country: "string", age: "integer", vip: "boolean", signup: "date" },
      events: events.map((e) => ({
        customer: id(e.c),
        event: e.event,
        type: e.type,
        ts: e.ts,
        props: {
          ...(e.device ? { device: e.device } : {}),
          ...(e.price !== undefined ? { price: e.price } : {}),
        },
      })),
      lines: orders.flatMap((o, k) => {
        const total = o.lines.reduce((s, l) => s + (l.quantity > 0 ? l.quantity * l.price : 0), 0);
        return o.lines.map((l) => ({ customer: id(o.c), order: `o${k}`, ts: o.ts, total, ...l }));
      }),
      consents: consents.map((k) => ({
        customer: id(k.c),
        purpose: k.purpose,
        channel: k.channel,
        status: k.status,
        ts: k.ts,
      })),
      groups: groups.map((g) => ({ customer: id(g.c), account: g.account, ts: g.ts })),
      accounts: accounts.map((traits, i) => ({ id: ACCOUNT_IDS[i] as string, traits })),
      accountTraitTypes: { industry: "string", employees: "integer", founded: "date" },
    } satisfies RefData;
  });

/** A time bound as a timestamp (UTC text). */
const ts = (t: number) =>
  sql.param(new Date(t).toISOString().replace("T", " ").replace("Z", ""), "timestamp");

/** One INSERT of many rows (a statement per row costs a commit on DuckDB and a part on ClickHouse). */
async function insertRows(engine: Engine, table: string, columns: readonly string[], rows: readonly Sql[][]) {
  if (rows.length === 0) return;
  await engine.run(
    sql`INSERT INTO ${sql.ident(table)} (${sql.join(columns.map((c) => sql.ident(c)))})
        VALUES ${sql.join(rows.map((r) => sql`(${sql.join(r)})`))}`,
  );
}

/** Loads a dataset; `customers: false` adds only facts (a second batch), `prefix` keeps their ids apart. */
export async function load(
  engine: Engine,
  data: RefData,
  opts: { customers?: boolean; prefix?: string } = {},
): Promise<void> {
  const pre = opts.prefix ?? "";
  const v = (x: SqlValue) => sql`${x}`;
  if (opts.customers !== false) await loadCustomers(engine, data);
  await insertRows(
    engine,
    "events",
    ["message_id", "customer_id", "type", "event", "ts", "properties"],
    data.events.map((e, i) => [
      v(`${pre}m${i}`),
      v(e.customer),
      v(e.type),
      v(e.event),
      ts(e.ts),
      v(JSON.stringify(e.props)),
    ]),
  );
  // Group calls as the tracking API stores them: events of type group, no name, the account in group_id.
  await insertRows(
    engine,
    "events",
    ["message_id", "customer_id", "type", "event", "ts", "properties"],
    data.groups.map((g, i) => [
      v(`${pre}g${i}`),
      v(g.customer),
      v("group"),
      sql.param(null, "string"),
      ts(g.ts),
      v(JSON.stringify({ group_id: g.account })),
    ]),
  );
  await insertRows(
    engine,
    "order_items",
    ["order_id", "line_no", "customer_id", "ts", "category", "quantity", "unit_price"],
    data.lines.map((l, i) => [
      v(`${pre}${l.order}`),
      v(i),
      v(l.customer),
      ts(l.ts),
      v(l.category),
      v(l.quantity),
      v(l.price),
    ]),
  );
  const orders = new Map<string, (typeof data.lines)[number]>();
  for (const l of data.lines) orders.set(l.order, l);
  await insertRows(
    engine,
    "orders",
    ["order_id", "customer_id", "ts", "total"],
    [...orders].map(([id, l]) => [v(`${pre}${id}`), v(l.customer), ts(l.ts), v(l.total)]),
  );
  await insertRows(
    engine,
    "consents",
    ["customer_id", "purpose", "channel", "status", "ts"],
    data.consents.map((k) => [
      v(k.customer),
      v(k.purpose),
      sql.param(k.channel, "string"),
      v(k.status),
      ts(k.ts),
    ]),
  );
}

async function loadCustomers(engine: Engine, data: RefData): Promise<void> {
  for (const [name, type] of Object.entries(data.traitTypes)) {
    await registerTrait(engine, { name, type, category: "custom", pii: false, sourceColumn: name });
  }
  await insertRows(
    engine,
    "customers",
    ["customer_id", "country", "age", "vip", "signup"],
    data.customers.map((c) => [
      sql`${c.id}`,
      sql.param(c.traits.country as string | null, "string"),
      sql.param(c.traits.age as number | null, "integer"),
      sql.param(c.traits.vip as boolean | null, "boolean"),
      sql.param(c.traits.signup as string | null, "date"),
    ]),
  );
  for (const [name, type] of Object.entries(data.accountTraitTypes)) {
    await registerAccountTrait(engine, { name, type, sourceColumn: name });
  }
  await insertRows(
    engine,
    "accounts",
    ["account_id", "industry", "employees", "founded"],
    data.accounts.map((a) => [
      sql`${a.id}`,
      sql.param(a.traits.industry as string | null, "string"),
      sql.param(a.traits.employees as number | null, "integer"),
      sql.param(a.traits.founded as string | null, "date"),
    ]),
  );
  await engine.run(
    engine.dialect.createTable(
      "test_scores",
      [
        { name: "customer_id", type: "string" },
        { name: "score", type: "number" },
      ],
      ["customer_id"],
    ),
  );
  await insertRows(
    engine,
    "test_scores",
    ["customer_id", "score"],
    data.customers.map((c) => [sql`${c.id}`, sql.param(c.score, "number")]),
  );
  await registerScore(engine);
}

/** Registers the test's computed value `score`, as a producer does each time it writes it. */
export function registerScore(engine: Engine): Promise<void> {
  return registerComputed(engine, [
    {
      name: "score",
      type: "number",
      table: "test_scores",
      column: "score",
      producer: "test",
      description: "",
    },
  ]);
}
