import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "./generate.js";
import { PERSONAS } from "./planted-personas.js";
import { csv, FileReader } from "./test-helpers.js";

const CUSTOMERS = 20_000;
const DIRT = 0.02;

interface DirtItem {
  kind: string;
  customer_id: string;
  detail: {
    duplicate_of?: string;
    email?: string;
    original_email?: string;
    valid_email?: string;
    fields?: string[];
  };
}
interface Truth {
  bgnbd: { r: number; alpha: number; a: number; b: number };
  gammaGamma: { p: number; q: number; v: number };
  timeUnit: string;
  cohort: { size: number };
  personas: { index: number; id: string; count: number }[];
  dirt: { rate: number; counts: Record<string, number>; items: DirtItem[] };
}

let root: string;
let truth: Truth;
let db: FileReader;
let f: (name: string) => string;

/** A simple "looks like an e-mail address" check (what a quality rule would use). */
const EMAIL_OK = "'^[A-Za-z0-9%+_-]+(\\.[A-Za-z0-9%+_-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$'";

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-synth-pop-"));
  const dir = join(root, "pop");
  f = (name) => join(dir, name);
  await generate({ customers: CUSTOMERS, seed: 2024, dirt: DIRT, outDir: dir });
  truth = JSON.parse(await readFile(f("truth.json"), "utf8")) as Truth;
  db = await FileReader.open();
  await db.rows(`CREATE TABLE truth AS SELECT * FROM read_csv('${f("truth-customers.csv")}', header = true)`);
  await db.rows(`CREATE TABLE customers AS SELECT * FROM ${csv(f("customers.csv"))}`);
});

afterAll(async () => {
  db?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("value parameters", () => {
  it("records the true BG/NBD and Gamma-Gamma parameters", () => {
    expect(truth.timeUnit).toBe("week");
    expect(truth.bgnbd).toMatchObject({ r: 0.5, alpha: 5, a: 0.8, b: 2.5 });
    expect(truth.gammaGamma).toMatchObject({ p: 6, q: 4, v: 40 });
  });

  it("draws λ, p and ν for the cohort with the recorded distributions' moments", async () => {
    const { r, alpha, a, b } = truth.bgnbd;
    const { q, v } = truth.gammaGamma;
    const [m] =
      await db.rows(`SELECT count(*) AS n, avg(bgnbd_lambda) AS lambda, var_pop(bgnbd_lambda) AS lambda_var,
      avg(bgnbd_p) AS p, avg(gg_nu) AS nu, count(*) FILTER (WHERE orders = 0) AS no_orders FROM truth WHERE cohort = 1`);
    expect(m?.n).toBe(truth.cohort.size);
    expect(Number(m?.n) / CUSTOMERS).toBeCloseTo(0.85, 1);
    expect(Number(m?.lambda) / (r / alpha)).toBeCloseTo(1, 1); // within 5%
    expect(Number(m?.lambda_var) / (r / alpha ** 2)).toBeGreaterThan(0.85);
    expect(Number(m?.lambda_var) / (r / alpha ** 2)).toBeLessThan(1.15);
    expect(Number(m?.p) / (a / (a + b))).toBeCloseTo(1, 1);
    expect(Number(m?.nu) / (q / v)).toBeCloseTo(1, 1);
    expect(m?.no_orders).toBe(0);
    const [nb] = await db.rows(
      "SELECT count(*) FILTER (WHERE bgnbd_lambda IS NOT NULL OR orders > 0) AS bad FROM truth WHERE cohort = 0",
    );
    expect(nb?.bad).toBe(0);
  });

  it("writes the orders the truth says each buyer made, the first one at the recorded birth", async () => {
    const [row] = await db.rows(`
      WITH o AS (SELECT customer_id, count(*) AS n, min(timestamp) AS first FROM ${csv(f("orders.csv"))} GROUP BY 1)
      SELECT count(*) FILTER (WHERE coalesce(o.n, 0) <> t.orders) AS wrong_count,
             count(*) FILTER (WHERE t.cohort = 1 AND o.first <> strftime(t.first_purchase, '%Y-%m-%dT%H:%M:%SZ')) AS wrong_first
      FROM truth t LEFT JOIN o USING (customer_id)`);
    expect(row).toEqual({ wrong_count: 0, wrong_first: 0 });
  });
});

describe("personas", () => {
  const idx = (id: string): number => PERSONAS.findIndex((p) => p.id === id);

  it("are all present, with the counts truth.json records", async () => {
    const rows = await db.rows("SELECT persona, count(*) AS n FROM truth GROUP BY 1 ORDER BY 1");
    expect(rows.map((r) => r.n)).toEqual(truth.personas.map((p) => p.count));
    expect(truth.personas).toHaveLength(6);
    for (const p of truth.personas) expect(p.count).toBeGreaterThan(CUSTOMERS * 0.05);
  });

  it("differ in demographics and geography", async () => {
    const rows = await db.rows(`
      SELECT t.persona, avg(TRY_CAST(c.age AS INT)) AS age, median(TRY_CAST(c.income AS INT)) AS income,
             avg((c.gender = 'male')::INT) AS male, avg((c.occupation = 'retired')::INT) AS retired,
             avg((c.climate IN ('mediterranean', 'subtropical', 'tropical', 'arid'))::INT) AS warm
      FROM truth t JOIN customers c USING (customer_id) GROUP BY 1 ORDER BY 1`);
    const by = (id: string): Record<string, unknown> => rows[idx(id)] as Record<string, unknown>;
    expect(Number(by("affluent-retiree").age)).toBeGreaterThan(62);
    expect(Number(by("affluent-retiree").retired)).toBeGreaterThan(0.8);
    expect(Number(by("affluent-retiree").warm)).toBeGreaterThan(0.8);
    expect(Number(by("student-bargain-hunter").age)).toBeLessThan(24);
    expect(Number(by("student-bargain-hunter").income)).toBeLessThan(20_000);
    expect(Number(by("luxury-connoisseur").income)).toBeGreaterThan(150_000);
    expect(Number(by("outdoor-enthusiast").male)).toBeGreaterThan(0.6);
    expect(Number(by("suburban-family").male)).toBeLessThan(0.45);
  });

  it("differ in devices, hours, categories and value", async () => {
    const rows = await db.rows(`
      WITH e AS (SELECT user_id, json_extract_string(properties, '$.device') AS device, hour(timestamp) AS h,
                        json_extract_string(properties, '$.category') AS category
                 FROM read_parquet('${f("events.parquet")}') WHERE user_id IS NOT NULL AND event NOT LIKE 'Email%'),
           o AS (SELECT customer_id, avg(total::DOUBLE) AS aov, count(*) AS n FROM ${csv(f("orders.csv"))} GROUP BY 1)
      SELECT t.persona, avg((e.device = 'mobile')::INT) AS mobile, mode(e.h) AS hour, mode(e.category) AS category,
             (SELECT avg(o.aov) FROM o JOIN truth t2 ON t2.customer_id = o.customer_id WHERE t2.persona = t.persona) AS aov
      FROM truth t JOIN e ON e.user_id = t.customer_id GROUP BY 1 ORDER BY 1`);
    const by = (id: string): Record<string, unknown> => rows[idx(id)] as Record<string, unknown>;
    expect(Number(by("student-bargain-hunter").mobile)).toBeGreaterThan(0.75);
    expect(Number(by("affluent-retiree").mobile)).toBeLessThan(0.2);
    expect(by("outdoor-enthusiast").category).toBe("outdoor");
    expect(by("luxury-connoisseur").category).toBe("jewelry");
    expect(by("suburban-family").category).toBe("kids");
    expect(Number(by("outdoor-enthusiast").hour)).toBeLessThan(9);
    expect([22, 23, 0]).toContain(Number(by("student-bargain-hunter").hour));
    expect(Number(by("luxury-connoisseur").aov)).toBeGreaterThan(
      1.5 * Number(by("student-bargain-hunter").aov),
    );
  });

  it("answer surveys in character, and not everybody answers", async () => {
    const rows = await db.rows(`
      SELECT t.persona, mode(s.answer) FILTER (WHERE s.question = 'lifestyle') AS lifestyle,
             avg(TRY_CAST(s.answer AS INT)) FILTER (WHERE s.question = 'price_sensitivity') AS price,
             count(DISTINCT s.customer_id) AS answered
      FROM truth t JOIN ${csv(f("survey-responses.csv"))} s USING (customer_id) GROUP BY 1 ORDER BY 1`);
    const by = (id: string): Record<string, unknown> => rows[idx(id)] as Record<string, unknown>;
    expect(by("affluent-retiree").lifestyle).toBe("relaxed-retired");
    expect(by("student-bargain-hunter").lifestyle).toBe("student-social");
    expect(by("luxury-connoisseur").lifestyle).toBe("jet-setter");
    expect(Number(by("student-bargain-hunter").price)).toBeGreaterThan(
      Number(by("luxury-connoisseur").price) + 1.5,
    );
    const answered = rows.reduce((s, r) => s + Number(r.answered), 0);
    expect(answered).toBeGreaterThan(CUSTOMERS * 0.15);
    expect(answered).toBeLessThan(CUSTOMERS * 0.6);
  });
});

describe("dirt", () => {
  const items = (kind: string): DirtItem[] => truth.dirt.items.filter((i) => i.kind === kind);

  it("injects each kind at about the requested rate, with counts matching the items", () => {
    for (const kind of ["duplicate_email_case", "invalid_email", "missing_values"]) {
      expect(truth.dirt.counts[kind]).toBe(items(kind).length);
      expect(items(kind).length).toBeGreaterThan(CUSTOMERS * DIRT * 0.6);
      expect(items(kind).length).toBeLessThan(CUSTOMERS * DIRT * 1.4);
    }
  });

  it("invalid e-mails are exactly the recorded ones", async () => {
    const bad = await db.rows(`SELECT customer_id, email FROM customers
      WHERE NOT regexp_full_match(email, ${EMAIL_OK}) ORDER BY customer_id`);
    const recorded = items("invalid_email")
      .map((i) => ({ customer_id: i.customer_id, email: i.detail.email }))
      .sort((x, y) => x.customer_id.localeCompare(y.customer_id));
    expect(bad).toEqual(recorded);
  });

  it("duplicates are new ids with a case variant of the original e-mail", async () => {
    const pairs = await db.rows(`
      SELECT list(customer_id ORDER BY customer_id) AS ids, list(email ORDER BY customer_id) AS emails
      FROM customers GROUP BY lower(email) HAVING count(*) > 1`);
    const recorded = items("duplicate_email_case");
    expect(pairs).toHaveLength(recorded.length);
    const byDuplicate = new Map(recorded.map((i) => [i.customer_id, i]));
    for (const p of pairs) {
      const [original, duplicate] = p.ids as string[];
      const [e1, e2] = p.emails as string[];
      expect(byDuplicate.get(duplicate as string)?.detail.duplicate_of).toBe(original);
      expect(e1).not.toBe(e2);
      expect(e1?.toLowerCase()).toBe(e2?.toLowerCase());
    }
    // Duplicate ids come after the regular ones and have no activity of their own.
    const [dupTruth] = await db.rows(
      `SELECT count(*) AS n FROM truth WHERE customer_id IN (${recorded.map((i) => `'${i.customer_id}'`).join(",")})`,
    );
    expect(dupTruth?.n).toBe(0);
  });

  it("missing values are exactly the recorded blanks", async () => {
    const blanks = await db.rows(`
      SELECT customer_id, list_filter(['phone', 'age', 'gender', 'income', 'education', 'occupation', 'region', 'city', 'climate'],
        (c, i) -> [phone, age, gender, income, education, occupation, region, city, climate][i] IS NULL) AS fields
      FROM customers
      WHERE phone IS NULL OR age IS NULL OR gender IS NULL OR income IS NULL OR education IS NULL
         OR occupation IS NULL OR region IS NULL OR city IS NULL OR climate IS NULL
      ORDER BY customer_id`);
    const recorded = items("missing_values")
      .map((i) => ({ customer_id: i.customer_id, fields: [...(i.detail.fields ?? [])] }))
      .sort((x, y) => x.customer_id.localeCompare(y.customer_id));
    const order = [
      "phone",
      "age",
      "gender",
      "income",
      "education",
      "occupation",
      "region",
      "city",
      "climate",
    ];
    for (const r of recorded) r.fields.sort((x, y) => order.indexOf(x) - order.indexOf(y));
    expect(blanks).toEqual(recorded);
  });
});
