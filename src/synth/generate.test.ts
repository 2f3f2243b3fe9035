import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GenerateResult, generate } from "./generate.js";
import { csv, FileReader } from "./test-helpers.js";

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
const ev = (): string => `read_parquet('${f("events.parquet")}')`;

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
    expect(await db.columns(csv(f("customers.csv")))).toEqual([
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
    expect(await db.columns(csv(f("orders.csv")))).toEqual([
      "order_id",
      "customer_id",
      "timestamp",
      "total",
      "currency",
    ]);
    expect(await db.columns(csv(f("order-lines.csv")))).toEqual([
      "order_id",
      "timestamp",
      "customer_id",
      "sku",
      "category",
      "description",
      "quantity",
      "unit_price",
    ]);
    expect(await db.columns(csv(f("consents.csv")))).toEqual([
      "customer_id",
      "purpose",
      "channel",
      "status",
      "timestamp",
      "source",
    ]);
    expect(await db.columns(csv(f("survey-responses.csv")))).toEqual([
      "customer_id",
      "survey",
      "question",
      "answer",
      "timestamp",
    ]);
    expect(await db.columns(csv(f("truth-customers.csv")))).toEqual(truth.customersFile.columns);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(
      Object.values(result.files)
        .map((p) => p.slice(dir.length + 1))
        .sort(),
    );
  });

  it("counts rows as it reports them", async () => {
    const count = async (rel: string): Promise<number> =>
      Number(await db.value(`SELECT count(*) FROM ${rel}`));
    expect(await count(csv(f("customers.csv")))).toBe(result.counts.customers);
    expect(await count(ev())).toBe(result.counts.events);
    expect(await count(csv(f("orders.csv")))).toBe(result.counts.orders);
    expect(await count(csv(f("order-lines.csv")))).toBe(result.counts.orderLines);
    expect(await count(csv(f("consents.csv")))).toBe(result.counts.consents);
    expect(await count(csv(f("survey-responses.csv")))).toBe(result.counts.surveyResponses);
    expect(await count(csv(f("truth-customers.csv")))).toBe(CUSTOMERS);
    expect(result.counts.customers).toBe(CUSTOMERS + (truth.dirt.counts.duplicate_email_case ?? 0));
    expect(result.counts.events / CUSTOMERS).toBeGreaterThanOrEqual(20);
    expect(truth.counts).toEqual(result.counts);
  });

  it("writes ISO 8601 UTC timestamps inside the period", async () => {
    const iso = "'^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$'";
    for (const name of ["orders.csv", "order-lines.csv", "consents.csv", "survey-responses.csv"]) {
      const [row] = await db.rows(
        `SELECT count(*) FILTER (WHERE NOT regexp_full_match(timestamp, ${iso})) AS bad,
                min(timestamp) AS lo, max(timestamp) AS hi FROM ${csv(f(name))}`,
      );
      expect(row?.bad, name).toBe(0);
      expect(String(row?.lo) >= truth.period.start, name).toBe(true);
      expect(String(row?.hi) < truth.period.end, name).toBe(true);
    }
    const [e] = await db.rows(`SELECT strftime(min(timestamp), '%Y-%m-%dT%H:%M:%SZ') AS lo,
      strftime(max(timestamp), '%Y-%m-%dT%H:%M:%SZ') AS hi FROM ${ev()}`);
    expect(String(e?.lo) >= truth.period.start).toBe(true);
    expect(String(e?.hi) < truth.period.end).toBe(true);
    expect(truth.period).toEqual({
      start: "2025-07-01T00:00:00Z",
      end: "2026-07-01T00:00:00Z",
      note: expect.any(String),
    });
  });
});

describe("orders", () => {
  it("order lines add up to each order's total; returns are extra negative lines", async () => {
    const [row] = await db.rows(`
      WITH l AS (SELECT order_id, sum(quantity::INT * round(unit_price::DECIMAL(12,2) * 100)::BIGINT)
                   FILTER (WHERE quantity::INT > 0) AS cents, count(*) FILTER (WHERE quantity::INT < 0) AS returns
                 FROM ${csv(f("order-lines.csv"))} GROUP BY order_id),
           o AS (SELECT order_id, round(total::DECIMAL(12,2) * 100)::BIGINT AS cents FROM ${csv(f("orders.csv"))})
      SELECT count(*) FILTER (WHERE l.cents IS DISTINCT FROM o.cents) AS mismatched,
             count(*) FILTER (WHERE o.order_id IS NULL OR l.order_id IS NULL) AS orphans,
             sum(l.returns) AS returns, count(*) FILTER (WHERE o.cents <= 0) AS non_positive
      FROM l FULL JOIN o USING (order_id)`);
    expect(row).toEqual({ mismatched: 0, orphans: 0, returns: truth.returns.count, non_positive: 0 });
    expect(truth.returns.count).toBeGreaterThan(0);
  });

  it("each order has an Order Completed event at the same time and revenue", async () => {
    const [row] = await db.rows(`
      WITH e AS (SELECT json_extract_string(properties, '$.order_id') AS order_id, timestamp, user_id,
                        json_extract_string(properties, '$.revenue')::DECIMAL(12,2) AS revenue
                 FROM ${ev()} WHERE event = 'Order Completed'),
           o AS (SELECT order_id, customer_id, timestamp::TIMESTAMP AS ts, total::DECIMAL(12,2) AS total
                 FROM ${csv(f("orders.csv"))})
      SELECT count(*) AS n, count(*) FILTER (WHERE e.timestamp = o.ts AND e.user_id = o.customer_id
                                             AND e.revenue = o.total) AS matching
      FROM o LEFT JOIN e USING (order_id)`);
    expect(row?.n).toBe(result.counts.orders);
    expect(row?.matching).toBe(result.counts.orders);
  });
});

describe("events", () => {
  it("has web, identify and e-mail events with device, os and channel properties", async () => {
    const rows = await db.rows(`SELECT DISTINCT type, event FROM ${ev()}`);
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
    const [props] = await db.rows(`
      SELECT count(*) FILTER (WHERE NOT json_valid(properties)) AS invalid,
             count(DISTINCT json_extract_string(properties, '$.device')) AS devices,
             count(DISTINCT json_extract_string(properties, '$.os')) AS oses,
             count(DISTINCT json_extract_string(properties, '$.channel')) AS channels,
             count(*) FILTER (WHERE type <> 'identify' AND event NOT LIKE 'Email%'
                              AND json_extract_string(properties, '$.device') IS NULL) AS web_without_device,
             count(DISTINCT message_id) = count(*) AS unique_ids
      FROM ${ev()}`);
    expect(props).toEqual({
      invalid: 0,
      devices: 3,
      oses: 6,
      channels: 5,
      web_without_device: 0,
      unique_ids: true,
    });
  });

  it("has anonymous page views whose devices identify calls link to the right customer", async () => {
    const [row] = await db.rows(`
      WITH links AS (SELECT DISTINCT anonymous_id, user_id FROM ${ev()} WHERE type = 'identify'),
           owners AS (SELECT customer_id, unnest(string_split(anonymous_ids, ';')) AS anonymous_id
                      FROM ${csv(f("truth-customers.csv"))} WHERE anonymous_ids <> '')
      SELECT (SELECT count(*) FROM ${ev()} WHERE type = 'page' AND user_id IS NULL) AS anonymous_pages,
             (SELECT count(*) FROM (SELECT anonymous_id FROM links GROUP BY 1 HAVING count(*) > 1)) AS ambiguous,
             (SELECT count(*) FROM links l JOIN owners o USING (anonymous_id) WHERE l.user_id <> o.customer_id) AS wrong,
             (SELECT count(*) FROM links) AS linked`);
    expect(Number(row?.anonymous_pages)).toBeGreaterThan(CUSTOMERS / 2);
    expect(row?.ambiguous).toBe(0);
    expect(row?.wrong).toBe(0);
    expect(Number(row?.linked)).toBeGreaterThanOrEqual(CUSTOMERS);
  });

  it("sends marketing e-mail only under granted consent and stops after a hard bounce", async () => {
    const [row] = await db.rows(`
      WITH c AS (SELECT customer_id, timestamp::TIMESTAMP AS ts, status FROM ${csv(f("consents.csv"))}
                 WHERE purpose = 'marketing' AND channel = 'email'),
           sent AS (SELECT user_id, timestamp FROM ${ev()} WHERE event = 'Email Sent')
      SELECT count(*) AS sent, count(*) FILTER (WHERE c.status IS DISTINCT FROM 'granted') AS without_consent
      FROM sent ASOF LEFT JOIN c ON sent.user_id = c.customer_id AND sent.timestamp >= c.ts`);
    expect(Number(row?.sent)).toBeGreaterThan(0);
    expect(row?.without_consent).toBe(0);
    const bounced = await db.rows(
      `SELECT DISTINCT user_id FROM ${ev()} WHERE event = 'Email Bounced' ORDER BY 1`,
    );
    expect(bounced.map((r) => r.user_id)).toEqual([...truth.hardBounces.customerIds].sort());
    const [after] = await db.rows(`
      WITH b AS (SELECT user_id, min(timestamp) AS at FROM ${ev()} WHERE event = 'Email Bounced' GROUP BY 1)
      SELECT count(*) AS n FROM ${ev()} e JOIN b USING (user_id) WHERE e.event = 'Email Sent' AND e.timestamp > b.at`);
    expect(after?.n).toBe(0);
  });

  it("records opt-outs: some consents are withdrawn after being granted", async () => {
    const [row] = await db.rows(`
      WITH c AS (SELECT * FROM ${csv(f("consents.csv"))})
      SELECT count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
             count(*) FILTER (WHERE status = 'denied') AS denied,
             count(*) FILTER (WHERE status = 'withdrawn' AND NOT EXISTS (
               SELECT 1 FROM c g WHERE g.customer_id = c.customer_id AND g.purpose = c.purpose
                 AND g.channel IS NOT DISTINCT FROM c.channel AND g.status = 'granted' AND g.timestamp <= c.timestamp)) AS orphan,
             count(DISTINCT purpose) AS purposes, count(DISTINCT source) AS sources
      FROM c`);
    expect(Number(row?.withdrawn)).toBeGreaterThan(CUSTOMERS / 50);
    expect(Number(row?.denied)).toBeGreaterThan(0);
    expect(row?.orphan).toBe(0);
    expect(row?.purposes).toBe(3);
  });
});
