/**
 * The audit on real data: the UCI Online Retail file, imported as order lines. Expected figures come from the
 * data set's README (published or recomputed there) or from a plain SQL query over the raw file written here,
 * never from the audit code itself.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFile } from "../src/ingest/import.js";
import { type AuditReport, audit, type Finding } from "../src/quality/audit.js";
import { formatAuditReport } from "../src/quality/format.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { ONLINE_RETAIL, ONLINE_RETAIL_MAP } from "./helpers.js";

const FILE = ONLINE_RETAIL;
const MAP = ONLINE_RETAIL_MAP;
/** The README's snapshot date: the day after the last invoice (2011-12-09 12:50). */
const AS_OF = new Date("2011-12-10T00:00:00Z");

let engine: Session;
let report: AuditReport;

function find(check: string, table?: string): Finding {
  const f = report.findings.find((x) => x.check === check && (table === undefined || x.table === table));
  if (!f) throw new Error(`no finding ${check}`);
  return f;
}

describe.each(TEST_ENGINES)("audit of Online Retail on $name", ({ location }) => {
  beforeAll(async () => {
    engine = await openSession(location());
    const summary = await importFile(engine, {
      kind: "order-lines",
      path: FILE,
      map: MAP,
      rejectsPath: resolve(process.env.TMPDIR ?? "/tmp", "online-retail-audit.rejects.csv"),
    });
    expect(summary.rejected).toBe(0);
    report = await audit(engine, { asOf: AS_OF });
  });
  afterAll(() => engine?.close());

  it("examines every line of the file", () => {
    expect(report.totals.order_items).toBe(541_909); // README: 541,909 data rows
  });

  it("reports the 5,268 exact duplicate lines (README)", () => {
    expect(find("duplicate-order-lines")).toMatchObject({ count: 5_268, total: 541_909, severity: "high" });
  });

  it("reports the 135,080 lines without a customer (README)", () => {
    expect(find("lines-without-customer").count).toBe(135_080);
  });

  it("reports the non-positive prices: 2,515 zero and 2 negative (README)", () => {
    expect(find("non-positive-prices")).toMatchObject({
      count: 2_517,
      breakdown: { zero: 2_515, negative: 2 },
    });
  });

  it("reports the 10,624 returned lines, as a plain query over the raw file counts them", async () => {
    // Independent of the importer and the audit: negative Quantity in the raw CSV, and the value it returns.
    const d = engine.dialect;
    const raw = d.readFileAsText({ path: FILE, format: "csv" });
    const q = d.tryNumber(sql.raw("Quantity"));
    const r = await engine.query(
      sql`SELECT count(*) AS n, sum(-${q} * ${d.tryNumber(sql.raw("UnitPrice"))}) AS amount FROM ${raw} WHERE ${q} < 0`,
    );
    const [expected] = r.rows<{ n: number; amount: number }>();
    // Verified once by hand with DuckDB on the raw file: 10,624 lines returning £896,812.49.
    expect(expected?.n).toBe(10_624);
    expect(expected?.amount).toBeCloseTo(896_812.49, 2);
    const f = find("returned-lines");
    expect(f.count).toBe(10_624);
    expect(f.breakdown?.amount).toBeCloseTo(896_812.49, 2);
    expect(f.examples).toHaveLength(5);
  });

  it("finds no future timestamps as of the snapshot date, and gives a score below 100", () => {
    expect(find("future-timestamps", "order_items").count).toBe(0);
    expect(report.score).toBeGreaterThan(0);
    expect(report.score).toBeLessThan(100);
    expect(formatAuditReport(report)).toMatch(/Order lines recorded more than once/);
  });
});
