import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sql, sql } from "../store/sql.js";
import { type GenerateResult, generate } from "./generate.js";
import { FileReader } from "./test-helpers.js";

const CUSTOMERS = 20_000;
const DIRT = 0.02;

interface Truth {
  seed: number;
  options: { customers: number; days: number; dirt: number; endDate: string };
  period: { start: string; end: string };
  timeUnit: string;
  bgnbd: { r: number; alpha: number; a: number; b: number };
  gammaGamma: { p: number; q: number; v: number };
  cohort: { size: number };
  personas: { index: number; id: string; count: number }[];
  customersFile: { path: string; columns: string[] };
  dirt: {
    rate: number;
    counts: Record<string, number>;
    items: { kind: string; customer_id: string; detail: Record<string, unknown> }[];
  };
  returns: { count: number; items: { order_id: string; sku: string }[] };
  hardBounces: { count: number; customerIds: string[] };
  counts: Record<string, number>;
}

let root: string;
let dir: string;
let result: GenerateResult;
let truth: Truth;
let db: FileReader;
const f = (name: string): string => join(dir, name);
const csv = (name: string): Sql => db.csv(f(name));
const ev = (): Sql => db.parquet(f("events.parquet"));
/** The files' `timestamp` column. */
const TS = sql.ident("timestamp");
/** A file's timestamp text (ISO 8601 in the CSV files) read as an instant. */
const at = (text: Sql): Sql => db.dialect.tryTimestamp(text);
const counted = (cond: Sql): Sql => db.dialect.aggIf("count", [], cond);
const json = (key: string): Sql => db.dialect.jsonText(sql`properties`, key);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-synth-"));
  dir = join(root, "main");
  result = await generate({ customers: CUSTOMERS, seed: 11, dirt: DIRT, outDir: dir });
  truth = JSON.parse(await readFile(f("truth.json"), "utf8")) as Truth;
  db = await FileReader.open();
});

afterAll(async () => {
  db?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("files and columns", () => {
  it("writes every file with the canonical columns", async () => {
    expect(await db.columns(csv("customers.csv"))).toEqual([
      "customer_id",
      "email",
      "phone",
      "first_name",
      "last_name",
      "age",
      "gender",
      "income",
      "education",
      "occupation",
      "country",
      "region",
      "city",
      "climate",
      "signup_date",
    ]);
    expect(await db.columns(ev())).toEqual([
      "message_id",
      "timestamp",
      "type",
      "event",
      "user_id",
      "anonymous_id",
      "properties",
    ]);
    expect(await db.columns(csv("orders.csv"))).toEqual([
      "order_id",
      "customer_id",
      "timestamp",
      "total",
      "currency",
    ]);
    expect(await db.columns(csv("order-lines.csv"))).toEqual([
      "order_id",
      "timestamp",
      "customer_id",
      "sku",
      "category",
      "description",
      "quantity",
      "unit_price",
    ]);
    expect(await db.columns(csv("consents.csv"))).toEqual([
      "customer_id",
      "purpose",
      "channel",
      "status",
      "timestamp",
      "source",
    ]);
    expect(await db.columns(csv("survey-responses.csv"))).toEqual([
      "customer_id",
      "survey",
      "question",
      "answer",
      "timestamp",
    ]);
    expect(await db.columns(csv("truth-customers.csv"))).toEqual(truth.customersFile.columns);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(
      Object.values(result.files)
        .map((p) => p.slice(dir.length + 1))
        .sort(),
    );
  });

  it("counts rows as it reports them", async () => {
    const count = async (rel: Sql): Promise<number> =>
      Number(await db.value(sql`SELECT count(*) FROM ${rel} r`));
    expect(await count(csv("customers.csv"))).toBe(result.counts.customers);
    expect(await count(ev())).toBe(result.counts.events);
    expect(await count(csv("orders.csv"))).toBe(result.counts.orders);
    expect(await count(csv("order-lines.csv"))).toBe(result.counts.orderLines);
    expect(await count(csv("consents.csv"))).toBe(result.counts.consents);
    expect(await count(csv("survey-responses.csv"))).toBe(result.counts.surveyResponses);
    expect(await count(csv("truth-customers.csv"))).toBe(CUSTOMERS);
    expect(result.counts.customers).toBe(CUSTOMERS + (truth.dirt.counts.duplicate_email_case ?? 0));
    expect(result.counts.events / CUSTOMERS).toBeGreaterThanOrEqual(20);
    expect(truth.counts).toEqual(result.counts);
  });

  it("writes ISO 8601 UTC timestamps inside the period", async () => {
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.source;
    for (const name of ["orders.csv", "order-lines.csv", "consents.csv", "survey-responses.csv"]) {
      const [row] = await db.rows(
        sql`SELECT ${counted(sql`NOT ${db.dialect.regexMatches(TS, sql`${iso}`)}`)} AS bad,
                   min(${TS}) AS lo, max(${TS}) AS hi FROM ${csv(name)} c`,
      );
      expect(row?.bad, name).toBe(0);
      expect(String(row?.lo) >= truth.period.start, name).toBe(true);
      expect(String(row?.hi) < truth.period.end, name).toBe(true);
    }
    const seconds = (e: Sql) => db.dialect.epochSeconds(e);
    const [e] =
      await db.rows(sql`SELECT ${seconds(sql`min(${at(TS)})`)} AS lo, ${seconds(sql`max(${at(TS)})`)} AS hi
      FROM ${ev()} e`);
    expect(Number(e?.lo) >= Date.parse(truth.period.start) / 1000).toBe(true);
    expect(Number(e?.hi) < Date.parse(truth.period.end) / 1000).toBe(true);
    expect(truth.period).toEqual({
      start: "2025-07-01T00:00:00Z",
      end: "2026-07-01T00:00:00Z",
      note: expect.any(String),
    });
  });
});

describe("orders", () => {
  it("order lines add up to each order's total; returns are extra negative lines", async () => {
    const d = db.dialect;
    // Amounts in whole cents, so that sums are exact.
    const [row] = await db.rows(sql`
      WITH lines AS (SELECT order_id, ${d.tryInteger(sql`quantity`)} AS quantity,
                            round(${d.tryNumber(sql`unit_price`)} * 100) AS unit_cents
                       FROM ${csv("order-lines.csv")} x),
           l AS (SELECT order_id, ${d.aggIf("sum", [sql`quantity * unit_cents`], sql`quantity > 0`)} AS cents,
                        ${counted(sql`quantity < 0`)} AS returns
                 FROM lines GROUP BY order_id),
           o AS (SELECT order_id, round(${d.tryNumber(sql`total`)} * 100) AS cents FROM ${csv("orders.csv")} x)
      SELECT ${counted(sql`l.cents IS NULL OR o.cents IS NULL OR l.cents <> o.cents`)} AS mismatched,
             ${counted(sql`o.order_id IS NULL OR l.order_id IS NULL`)} AS orphans,
             sum(l.returns) AS returns, ${counted(sql`o.cents <= 0`)} AS non_positive
      FROM l FULL JOIN o ON o.order_id = l.order_id`);
    expect(row).toEqual({ mismatched: 0, orphans: 0, returns: truth.returns.count, non_positive: 0 });
    expect(truth.returns.count).toBeGreaterThan(0);
  });

  it("each order has an Order Completed event at the same time and revenue", async () => {
    const d = db.dialect;
    const [row] = await db.rows(sql`
      WITH e AS (SELECT ${json("order_id")} AS order_id, ${at(TS)} AS ts, user_id,
                        round(${d.tryNumber(json("revenue"))} * 100) AS cents
                 FROM ${ev()} x WHERE event = 'Order Completed'),
           o AS (SELECT order_id, customer_id, ${at(TS)} AS ts, round(${d.tryNumber(sql`total`)} * 100) AS cents
                 FROM ${csv("orders.csv")} x)
      SELECT count(*) AS n, ${counted(sql`e.ts = o.ts AND e.user_id = o.customer_id AND e.cents = o.cents`)} AS matching
      FROM o LEFT JOIN e ON e.order_id = o.order_id`);
    expect(row?.n).toBe(result.counts.orders);
    expect(row?.matching).toBe(result.counts.orders);
  });
});

describe("events", () => {
  it("has web, identify and e-mail events with device, os and channel properties", async () => {
    const rows = await db.rows(sql`SELECT DISTINCT type, event FROM ${ev()} e`);
    const names = new Set(rows.map((r) => `${r.type}:${r.event ?? ""}`));
    for (const name of [
      "page:Page Viewed",
      "track:Product Viewed",
      "track:Product Added",
      "track:Checkout Started",
      "track:Order Completed",
      "track:Email Sent",
      "track:Email Opened",
      "track:Email Clicked",
      "track:Email Bounced",
      "identify:",
    ]) {
      expect(names, name).toContain(name);
    }
    const d = db.dialect;
    const [props] = await db.rows(sql`
      SELECT ${counted(sql`NOT ${d.isJsonObject(sql`properties`)}`)} AS invalid,
             count(DISTINCT ${json("device")}) AS devices,
             count(DISTINCT ${json("os")}) AS oses,
             count(DISTINCT ${json("channel")}) AS channels,
             ${counted(sql`type <> 'identify' AND event NOT LIKE 'Email%' AND ${json("device")} IS NULL`)} AS web_without_device,
             count(DISTINCT message_id) AS ids, count(*) AS n
      FROM ${ev()} e`);
    expect(props).toEqual({
      invalid: 0,
      devices: 3,
      oses: 6,
      channels: 5,
      web_without_device: 0,
      ids: props?.n,
      n: result.counts.events,
    });
  });

  it("has anonymous page views whose devices identify calls link to the right customer", async () => {
    const links = await db.rows(
      sql`SELECT DISTINCT anonymous_id, user_id FROM ${ev()} e WHERE type = 'identify'`,
    );
    const owners = new Map<string, string>();
    for (const t of await db.rows(
      sql`SELECT customer_id, anonymous_ids FROM ${csv("truth-customers.csv")} t WHERE anonymous_ids <> ''`,
    ))
      for (const id of String(t.anonymous_ids).split(";")) owners.set(id, String(t.customer_id));
    const linksPerDevice = new Map<string, number>();
    for (const l of links) {
      const id = String(l.anonymous_id);
      linksPerDevice.set(id, (linksPerDevice.get(id) ?? 0) + 1);
    }
    const row = {
      anonymous_pages: await db.value(
        sql`SELECT count(*) FROM ${ev()} e WHERE type = 'page' AND user_id IS NULL`,
      ),
      ambiguous: [...linksPerDevice.values()].filter((n) => n > 1).length,
      wrong: links.filter((l) => {
        const owner = owners.get(String(l.anonymous_id));
        return owner !== undefined && owner !== l.user_id;
      }).length,
      linked: links.length,
    };
    expect(Number(row?.anonymous_pages)).toBeGreaterThan(CUSTOMERS / 2);
    expect(row?.ambiguous).toBe(0);
    expect(row?.wrong).toBe(0);
    expect(Number(row?.linked)).toBeGreaterThanOrEqual(CUSTOMERS);
  });

  it("sends marketing e-mail only under granted consent and stops after a hard bounce", async () => {
    const d = db.dialect;
    // Each send with the consent record in force when it was sent: the customer's latest e-mail marketing record
    // at or before it (none: no consent).
    const [row] = await db.rows(sql`
      WITH c AS (SELECT customer_id, ${at(TS)} AS ts, status FROM ${csv("consents.csv")} x
                 WHERE purpose = 'marketing' AND channel = 'email'),
           sent AS (SELECT message_id, user_id, ${at(TS)} AS ts FROM ${ev()} x WHERE event = 'Email Sent'),
           in_force AS (SELECT sent.message_id, ${d.argMax(sql`c.status`, sql`c.ts`)} AS status
                          FROM sent JOIN c ON c.customer_id = sent.user_id
                         WHERE c.ts <= sent.ts GROUP BY sent.message_id)
      SELECT (SELECT count(*) FROM sent) AS sent,
             (SELECT count(*) FROM in_force WHERE status = 'granted') AS granted`);
    expect(Number(row?.sent)).toBeGreaterThan(0);
    expect(row?.granted).toBe(row?.sent);
    const bounced = await db.rows(
      sql`SELECT DISTINCT user_id FROM ${ev()} e WHERE event = 'Email Bounced' ORDER BY user_id`,
    );
    expect(bounced.map((r) => r.user_id)).toEqual([...truth.hardBounces.customerIds].sort());
    const [after] = await db.rows(sql`
      WITH b AS (SELECT user_id, min(${at(TS)}) AS at FROM ${ev()} x WHERE event = 'Email Bounced' GROUP BY user_id)
      SELECT count(*) AS n FROM ${ev()} e JOIN b ON b.user_id = e.user_id
       WHERE e.event = 'Email Sent' AND ${at(sql`e.${TS}`)} > b.at`);
    expect(after?.n).toBe(0);
  });

  it("records opt-outs: some consents are withdrawn after being granted", async () => {
    // A withdrawal is an orphan when no grant of the same consent (customer, purpose, channel) came before it.
    const [row] = await db.rows(sql`
      WITH c AS (SELECT customer_id, purpose, coalesce(channel, '') AS channel, status, source, ${at(TS)} AS ts
                   FROM ${csv("consents.csv")} x),
           first_grant AS (SELECT customer_id, purpose, channel, min(ts) AS ts FROM c WHERE status = 'granted'
                            GROUP BY customer_id, purpose, channel)
      SELECT ${counted(sql`c.status = 'withdrawn'`)} AS withdrawn,
             ${counted(sql`c.status = 'denied'`)} AS denied,
             ${counted(sql`c.status = 'withdrawn' AND (g.ts IS NULL OR g.ts > c.ts)`)} AS orphan,
             count(DISTINCT c.purpose) AS purposes, count(DISTINCT c.source) AS sources
      FROM c LEFT JOIN first_grant g
        ON g.customer_id = c.customer_id AND g.purpose = c.purpose AND g.channel = c.channel`);
    expect(Number(row?.withdrawn)).toBeGreaterThan(CUSTOMERS / 50);
    expect(Number(row?.denied)).toBeGreaterThan(0);
    expect(row?.orphan).toBe(0);
    expect(row?.purposes).toBe(3);
  });
});
