import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sql, sql } from "../store/sql.js";
import { generate } from "./generate.js";
import { PERSONAS } from "./planted-personas.js";
import { FileReader } from "./test-helpers.js";

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
const EMAIL_OK = /^[A-Za-z0-9%+_-]+(\.[A-Za-z0-9%+_-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/
  .source;

/** truth-customers.csv and customers.csv, read once (session temporary tables). */
const TRUTH = sql.temp("truth");
const FILE_CUSTOMERS = sql.temp("file_customers");
const counted = (cond: Sql): Sql => db.dialect.aggIf("count", [], cond);
/** Share of the rows where `value` is known that have `cond` (rows with `value` NULL left out). */
const share = (value: Sql, cond: Sql): Sql =>
  sql`avg(CASE WHEN ${value} IS NULL THEN NULL WHEN ${cond} THEN 1.0 ELSE 0.0 END)`;

/** The most frequent value per persona, from rows of (persona, value, n); ties go to the smallest value. */
function modeByPersona(rows: Record<string, unknown>[]): Map<number, unknown> {
  const best = new Map<number, { value: unknown; n: number }>();
  for (const r of rows) {
    const persona = Number(r.persona);
    const n = Number(r.n);
    const b = best.get(persona);
    if (b === undefined || n > b.n || (n === b.n && String(r.value) < String(b.value)))
      best.set(persona, { value: r.value, n });
  }
  return new Map([...best].map(([k, v]) => [k, v.value]));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-synth-pop-"));
  const dir = join(root, "pop");
  f = (name) => join(dir, name);
  await generate({ customers: CUSTOMERS, seed: 2024, dirt: DIRT, outDir: dir });
  truth = JSON.parse(await readFile(f("truth.json"), "utf8")) as Truth;
  db = await FileReader.open();
  const d = db.dialect;
  await db.run(
    d.createTempAs(
      "truth",
      sql`SELECT customer_id, ${d.tryInteger(sql`persona`)} AS persona, ${d.tryInteger(sql`cohort`)} AS cohort,
                 ${d.tryNumber(sql`bgnbd_lambda`)} AS bgnbd_lambda, ${d.tryNumber(sql`bgnbd_p`)} AS bgnbd_p,
                 ${d.tryNumber(sql`gg_nu`)} AS gg_nu, ${d.tryTimestamp(sql`first_purchase`)} AS first_purchase,
                 ${d.tryInteger(sql`orders`)} AS orders
            FROM ${db.csv(f("truth-customers.csv"))} t`,
    ),
  );
  await db.run(d.createTempAs("file_customers", sql`SELECT * FROM ${db.csv(f("customers.csv"))} c`));
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
      await db.rows(sql`SELECT count(*) AS n, avg(bgnbd_lambda) AS lambda, var_pop(bgnbd_lambda) AS lambda_var,
      avg(bgnbd_p) AS p, avg(gg_nu) AS nu, ${counted(sql`orders = 0`)} AS no_orders FROM ${TRUTH} t WHERE cohort = 1`);
    expect(m?.n).toBe(truth.cohort.size);
    expect(Number(m?.n) / CUSTOMERS).toBeCloseTo(0.85, 1);
    expect(Number(m?.lambda) / (r / alpha)).toBeCloseTo(1, 1); // within 5%
    expect(Number(m?.lambda_var) / (r / alpha ** 2)).toBeGreaterThan(0.85);
    expect(Number(m?.lambda_var) / (r / alpha ** 2)).toBeLessThan(1.15);
    expect(Number(m?.p) / (a / (a + b))).toBeCloseTo(1, 1);
    expect(Number(m?.nu) / (q / v)).toBeCloseTo(1, 1);
    expect(m?.no_orders).toBe(0);
    const [nb] = await db.rows(
      sql`SELECT ${counted(sql`bgnbd_lambda IS NOT NULL OR orders > 0`)} AS bad FROM ${TRUTH} t WHERE cohort = 0`,
    );
    expect(nb?.bad).toBe(0);
  });

  it("writes the orders the truth says each buyer made, the first one at the recorded birth", async () => {
    const d = db.dialect;
    const [row] = await db.rows(sql`
      WITH o AS (SELECT customer_id, count(*) AS n, min(${d.tryTimestamp(sql.ident("timestamp"))}) AS first
                   FROM ${db.csv(f("orders.csv"))} x GROUP BY customer_id)
      SELECT ${counted(sql`coalesce(o.n, 0) <> t.orders`)} AS wrong_count,
             ${counted(sql`t.cohort = 1 AND (o.first IS NULL OR o.first <> t.first_purchase)`)} AS wrong_first
      FROM ${TRUTH} t LEFT JOIN o ON o.customer_id = t.customer_id`);
    expect(row).toEqual({ wrong_count: 0, wrong_first: 0 });
  });
});

describe("personas", () => {
  const idx = (id: string): number => PERSONAS.findIndex((p) => p.id === id);

  it("are all present, with the counts truth.json records", async () => {
    const rows = await db.rows(
      sql`SELECT persona, count(*) AS n FROM ${TRUTH} t GROUP BY persona ORDER BY persona`,
    );
    expect(rows.map((r) => r.n)).toEqual(truth.personas.map((p) => p.count));
    expect(truth.personas).toHaveLength(6);
    for (const p of truth.personas) expect(p.count).toBeGreaterThan(CUSTOMERS * 0.05);
  });

  it("differ in demographics and geography", async () => {
    const d = db.dialect;
    const rows = await db.rows(sql`
      SELECT t.persona, avg(${d.tryInteger(sql`c.age`)}) AS age, ${d.quantile(d.tryInteger(sql`c.income`), 0.5)} AS income,
             ${share(sql`c.gender`, sql`c.gender = 'male'`)} AS male,
             ${share(sql`c.occupation`, sql`c.occupation = 'retired'`)} AS retired,
             ${share(sql`c.climate`, sql`c.climate IN ('mediterranean', 'subtropical', 'tropical', 'arid')`)} AS warm
      FROM ${TRUTH} t JOIN ${FILE_CUSTOMERS} c ON c.customer_id = t.customer_id GROUP BY t.persona ORDER BY t.persona`);
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
    const d = db.dialect;
    await db.run(
      d.createTempAs(
        "web_events",
        sql`SELECT user_id, ${d.jsonText(sql`properties`, "device")} AS device,
                   ${d.hourOf(d.tryTimestamp(sql.ident("timestamp")))} AS h,
                   ${d.jsonText(sql`properties`, "category")} AS category
              FROM ${db.parquet(f("events.parquet"))} x WHERE user_id IS NOT NULL AND event NOT LIKE 'Email%'`,
      ),
    );
    const web = sql`${TRUTH} t JOIN ${sql.temp("web_events")} e ON e.user_id = t.customer_id`;
    const mobile = await db.rows(
      sql`SELECT t.persona, ${share(sql`e.device`, sql`e.device = 'mobile'`)} AS mobile FROM ${web} GROUP BY t.persona`,
    );
    const hours = modeByPersona(
      await db.rows(
        sql`SELECT t.persona, e.h AS value, count(*) AS n FROM ${web} WHERE e.h IS NOT NULL GROUP BY t.persona, e.h`,
      ),
    );
    const categories = modeByPersona(
      await db.rows(
        sql`SELECT t.persona, e.category AS value, count(*) AS n FROM ${web}
             WHERE e.category IS NOT NULL GROUP BY t.persona, e.category`,
      ),
    );
    const aov = await db.rows(sql`
      WITH o AS (SELECT customer_id, avg(${d.tryNumber(sql`total`)}) AS aov FROM ${db.csv(f("orders.csv"))} x
                  GROUP BY customer_id)
      SELECT t.persona, avg(o.aov) AS aov FROM o JOIN ${TRUTH} t ON t.customer_id = o.customer_id GROUP BY t.persona`);
    const rows = PERSONAS.map((_, i) => ({
      mobile: mobile.find((r) => Number(r.persona) === i)?.mobile,
      hour: hours.get(i),
      category: categories.get(i),
      aov: aov.find((r) => Number(r.persona) === i)?.aov,
    }));
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
    const d = db.dialect;
    const answers = sql`${TRUTH} t JOIN ${db.csv(f("survey-responses.csv"))} s ON s.customer_id = t.customer_id`;
    const lifestyles = modeByPersona(
      await db.rows(
        sql`SELECT t.persona, s.answer AS value, count(*) AS n FROM ${answers}
             WHERE s.question = 'lifestyle' GROUP BY t.persona, s.answer`,
      ),
    );
    const figures = await db.rows(sql`
      SELECT t.persona, ${d.aggIf("avg", [d.tryInteger(sql`s.answer`)], sql`s.question = 'price_sensitivity'`)} AS price,
             count(DISTINCT s.customer_id) AS answered
      FROM ${answers} GROUP BY t.persona ORDER BY t.persona`);
    const rows: Record<string, unknown>[] = figures.map((r) => ({
      ...r,
      lifestyle: lifestyles.get(Number(r.persona)),
    }));
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
    const bad = await db.rows(sql`SELECT customer_id, email FROM ${FILE_CUSTOMERS} c
      WHERE NOT ${db.dialect.regexMatches(sql`email`, sql`${EMAIL_OK}`)} ORDER BY customer_id`);
    const recorded = items("invalid_email")
      .map((i) => ({ customer_id: i.customer_id, email: i.detail.email }))
      .sort((x, y) => x.customer_id.localeCompare(y.customer_id));
    expect(bad).toEqual(recorded);
  });

  it("duplicates are new ids with a case variant of the original e-mail", async () => {
    const shared = await db.rows(sql`
      SELECT customer_id, email, lower(email) AS address FROM ${FILE_CUSTOMERS} c
       WHERE lower(email) IN (SELECT lower(email) FROM ${FILE_CUSTOMERS} c2 GROUP BY lower(email) HAVING count(*) > 1)
       ORDER BY address, customer_id`);
    const byAddress = new Map<string, { ids: string[]; emails: string[] }>();
    for (const r of shared) {
      const p = byAddress.get(String(r.address)) ?? { ids: [], emails: [] };
      p.ids.push(String(r.customer_id));
      p.emails.push(String(r.email));
      byAddress.set(String(r.address), p);
    }
    const pairs = [...byAddress.values()];
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
      sql`SELECT count(*) AS n FROM ${TRUTH} t WHERE customer_id IN (${sql.join(recorded.map((i) => i.customer_id))})`,
    );
    expect(dupTruth?.n).toBe(0);
  });

  it("missing values are exactly the recorded blanks", async () => {
    const fields = [
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
    const blanks = (
      await db.rows(sql`
        SELECT customer_id, ${sql.join(fields.map((c) => sql.ident(c)))} FROM ${FILE_CUSTOMERS} c
         WHERE ${sql.join(
           fields.map((c) => sql`${sql.ident(c)} IS NULL`),
           " OR ",
         )}
         ORDER BY customer_id`)
    ).map((r) => ({ customer_id: r.customer_id, fields: fields.filter((c) => r[c] === null) }));
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
