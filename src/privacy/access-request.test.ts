import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { accessText } from "../cli/commands/privacy-export.js";
import { importFile } from "../ingest/import.js";
import { runOperation } from "../operations/operation.js";
import { privacyExportOperation } from "../operations/privacy-export-operations.js";
import { segmentAddOperation, segmentRefreshOperation } from "../operations/segment-operations.js";
import { registerComputed } from "../store/computed.js";
import { customerTables } from "../store/customer-tables.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import type { AccessReport, ExplainedCondition } from "./access-request.js";

/**
 * An access request on a small data set computed by hand. As of 2024-04-01:
 *   ann (DE, ann@example.com): orders 2024-01-15 500.40 and 2024-03-01 312.00 (sum in 365 days 812.40, 2 orders,
 *     31 days since the last); "Product Viewed" on Mar 10, 15 and 20 (3 in 30 days); a survey answer; a grant of
 *     marketing by email; a computed score 0.75 (a producer's table, `test_scores`).
 *   bob (FR): one order 2024-02-01 100.00; score 0.25.
 * Segments: vip = all(sum ≥ 500, country in (DE, FR), any(3+ views in 30d, 5+ orders), not country = FR,
 * consent marketing/email); fans = all(segment vip, days since last order ≤ 60, score ≥ 0.5); french = country = FR.
 * ann is in vip and fans, not french.
 */
const VIP = {
  id: "vip",
  name: "Big spenders",
  where: {
    all: [
      { orders: "sum", of: "total", within: "365d", gte: 500 },
      { trait: "country", in: ["DE", "FR"] },
      {
        any: [
          { event: "Product Viewed", within: "30d", count: { gte: 3 } },
          { orders: "count", gte: 5 },
        ],
      },
      { not: { trait: "country", eq: "FR" } },
      { consent: "marketing", channel: "email" },
    ],
  },
};
const FANS = {
  id: "fans",
  name: "Fans",
  where: {
    all: [{ segment: "vip" }, { orders: "days_since_last", lte: 60 }, { computed: "score", gte: 0.5 }],
  },
};
const FRENCH = { id: "french", name: "French", where: { trait: "country", eq: "FR" } };

/** A condition's tree without the JSON of its leaves: what the hand computation states. */
function shape(c: ExplainedCondition): unknown {
  return {
    path: c.path,
    met: c.met,
    reason: c.reason,
    ...(c.value !== undefined ? { value: c.value } : {}),
    ...(c.children ? { children: c.children.map(shape) } : {}),
  };
}

describe.each(TEST_ENGINES)("an access request on $name", ({ location }) => {
  let store: Store;
  let report: AccessReport;
  beforeAll(async () => {
    store = await openStore(location());
    const dir = tempDir();
    const files: [string, string][] = [
      ["customers", "customer_id,email,country\nann,ann@example.com,DE\nbob,,FR\n"],
      [
        "orders",
        "order_id,customer_id,timestamp,total\no1,ann,2024-01-15T00:00:00Z,500.40\no2,ann,2024-03-01T00:00:00Z,312.00\no3,bob,2024-02-01T00:00:00Z,100\n",
      ],
      [
        "events",
        "timestamp,event,customer_id,device\n2024-03-10T12:00:00Z,Product Viewed,ann,mobile\n2024-03-15T12:00:00Z,Product Viewed,ann,mobile\n2024-03-20T12:00:00Z,Product Viewed,ann,desktop\n2024-03-20T12:00:00Z,Product Viewed,bob,mobile\n",
      ],
      [
        "survey-responses",
        "customer_id,question,answer,timestamp\nann,favourite drink,tea,2024-02-01T00:00:00Z\n",
      ],
      [
        "consents",
        "customer_id,purpose,channel,status,timestamp\nann,marketing,email,granted,2024-01-01T00:00:00Z\n",
      ],
    ];
    for (const [kind, content] of files)
      await store.write((s) =>
        importFile(s, { kind: kind as "customers", path: writeFile(dir, `${kind}.csv`, content) }),
      );
    // A producer's table of computed values, registered as producers do: in the report without a change to it.
    await store.write(async (s) => {
      await s.run(
        s.dialect.createTable(
          "test_scores",
          [
            { name: "customer_id", type: "string" },
            { name: "score", type: "number" },
          ],
          ["customer_id"],
        ),
      );
      await s.run(sql`INSERT INTO test_scores (customer_id, score) VALUES ('ann', 0.75), ('bob', 0.25)`);
      await registerComputed(s, [
        {
          name: "score",
          type: "number",
          table: "test_scores",
          column: "score",
          producer: "test",
          description: "",
        },
      ]);
    });
    for (const definition of [VIP, FANS, FRENCH])
      await runOperation(store, segmentAddOperation, { definition });
    await runOperation(store, segmentRefreshOperation, { asOf: "2024-04-01T00:00:00Z" });
    report = await runOperation(store, privacyExportOperation, { person: "ANN@example.com" });
  });
  afterAll(() => store?.close());

  it("holds every table that refers to a person, with the person's rows only", async () => {
    expect([report.customerId, report.namedBy, report.segmentsAsOf]).toEqual([
      "ann",
      "email",
      "2024-04-01T00:00:00.000Z",
    ]);
    const present = await store.read((s) => customerTables(s));
    expect(report.tables.map((t) => t.table)).toEqual(["customers", ...present.map((t) => t.table)]);
    const rows = (table: string) => report.tables.find((t) => t.table === table)?.rows ?? [];
    expect(rows("customers")).toEqual([expect.objectContaining({ customer_id: "ann", country: "DE" })]);
    expect(rows("identities").map((r) => r.kind)).toContain("email");
    expect(rows("orders").map((r) => [r.order_id, r.total, r.ts])).toEqual([
      ["o1", 500.4, "2024-01-15T00:00:00.000Z"],
      ["o2", 312, "2024-03-01T00:00:00.000Z"],
    ]);
    expect(rows("events").map((r) => r.ts)).toEqual([
      "2024-03-10T12:00:00.000Z",
      "2024-03-15T12:00:00.000Z",
      "2024-03-20T12:00:00.000Z",
    ]);
    expect(rows("survey_responses").map((r) => [r.question, r.answer])).toEqual([["favourite drink", "tea"]]);
    expect(rows("consents").map((r) => [r.purpose, r.channel, r.status])).toEqual([
      ["marketing", "email", "granted"],
    ]);
    expect(rows("segment_membership").map((r) => [r.segment_id, r.entered_at, r.exited_at])).toEqual(
      [
        ["fans", "2024-04-01T00:00:00.000Z", null],
        ["vip", "2024-04-01T00:00:00.000Z", null],
      ].sort(),
    );
    expect(rows("test_scores")).toEqual([{ customer_id: "ann", score: 0.75 }]);
    expect(rows("segment_features")).toHaveLength(1);
    // Each stored feature named by what it holds (hand-computed above), not by its column (f0, k0…).
    const features = report.tables.find((t) => t.table === "segment_features");
    const row = rows("segment_features")[0] ?? {};
    expect(
      Object.fromEntries(
        Object.entries(features?.labels ?? {}).map(([column, label]) => [label, row[column]]),
      ),
    ).toEqual({
      "orders.sum(total, 365d)": expect.closeTo(812.4, 9),
      'count(event "Product Viewed", 30d)': 3,
      "orders.count()": 2,
      'consent("marketing", "email")': true,
      "time of the last order (for orders.days_since_last())": "2024-03-01T00:00:00.000Z",
      'computed("score")': 0.75,
    });
    expect(Object.keys(features?.labels ?? {}).sort()).toEqual(
      (features?.columns ?? []).filter((c) => c !== "customer_id").sort(),
    );
    expect(rows("suppressions")).toEqual([]);
    // Nothing of bob's.
    expect(JSON.stringify(report.tables)).not.toContain('"bob"');
    expect(report.consent).toEqual([
      { purpose: "marketing", channel: null, granted: true },
      { purpose: "marketing", channel: "email", granted: true },
    ]);
  });

  it("says why the person is in each segment, with their own values", () => {
    expect(report.segments.map((s) => [s.id, s.name, s.since])).toEqual([
      ["fans", "Fans", "2024-04-01T00:00:00.000Z"],
      ["vip", "Big spenders", "2024-04-01T00:00:00.000Z"],
    ]);
    const vip = {
      path: "where",
      met: true,
      reason: "all of 5: 5 held",
      children: [
        {
          path: "where.all[0]",
          met: true,
          reason: "orders.sum(total, 365d) = 812.40 ≥ 500",
          value: expect.closeTo(812.4, 9),
        },
        { path: "where.all[1]", met: true, reason: 'country = "DE" in ("DE", "FR")', value: "DE" },
        {
          path: "where.all[2]",
          met: true,
          reason: "any of 2: 1 held",
          children: [
            {
              path: "where.all[2].any[0]",
              met: true,
              reason: 'count(event "Product Viewed", 30d) = 3 ≥ 3',
              value: 3,
            },
            { path: "where.all[2].any[1]", met: false, reason: "orders.count() = 2, not ≥ 5", value: 2 },
          ],
        },
        {
          path: "where.all[3]",
          met: true,
          reason: 'not (country = "FR"): it does not hold',
          children: [
            { path: "where.all[3].not", met: false, reason: 'country = "DE", not = "FR"', value: "DE" },
          ],
        },
        { path: "where.all[4]", met: true, reason: 'consent("marketing", "email"): granted', value: true },
      ],
    };
    const [fans, vipStay] = report.segments;
    expect(shape(vipStay?.why as ExplainedCondition)).toEqual(vip);
    expect(shape(fans?.why as ExplainedCondition)).toEqual({
      path: "where",
      met: true,
      reason: "all of 3: 3 held",
      children: [
        {
          path: "where.all[0]",
          met: true,
          reason: 'segment("vip"): in it',
          children: [
            { ...vip, path: "where.all[0].segment(vip)", children: vip.children.map((c) => reroot(c)) },
          ],
        },
        { path: "where.all[1]", met: true, reason: "orders.days_since_last() = 31 ≤ 60", value: 31 },
        { path: "where.all[2]", met: true, reason: 'computed("score") = 0.75 ≥ 0.5', value: 0.75 },
      ],
    });
  });

  it("reads as text for the person: what is held, and the conditions that held", () => {
    const text = accessText(report);
    expect(text).toContain("What is held about ann (found by email address)");
    expect(text).toMatch(/Orders \(2\):\n/);
    expect(text).toContain("Nothing held in: ");
    expect(text).toContain("  marketing by email: granted");
    expect(text).toContain(
      [
        "  Big spenders (vip), since 2024-04-01T00:00:00.000Z:",
        "    - orders.sum(total, 365d) = 812.40 ≥ 500",
        '    - country = "DE" in ("DE", "FR")',
        "    - 1 of 2 alternatives hold:",
        '      - count(event "Product Viewed", 30d) = 3 ≥ 3',
        '    - not country = "FR": country = "DE", not = "FR"',
        '    - consent("marketing", "email"): granted',
      ].join("\n"),
    );
    expect(text).not.toContain("orders.count() = 2");
    expect(text).toContain("Stored segment features:\n");
    expect(text).toContain("  orders.sum(total, 365d): 812.4");
    expect(text).toMatch(/\n {2}computed\("score"\): 0\.75\n/);
  });

  it("refuses an unknown or malformed person", async () => {
    await expect(runOperation(store, privacyExportOperation, { person: "nobody" })).rejects.toThrow(
      'privacy.export: person: no person is known by the id "nobody"',
    );
    await expect(runOperation(store, privacyExportOperation, { person: "a@b@c" })).rejects.toThrow(
      "privacy.export: person:",
    );
    // @ts-expect-error: the person is required.
    await expect(runOperation(store, privacyExportOperation, {})).rejects.toThrow("privacy.export: person:");
  });
});

/** A condition of vip as it reads under fans' reference: the same, under the reference's path. */
function reroot(c: Record<string, unknown>): Record<string, unknown> {
  const path = String(c.path).replace(/^where/, "where.all[0].segment(vip)");
  const children = c.children as Record<string, unknown>[] | undefined;
  return { ...c, path, ...(children ? { children: children.map(reroot) } : {}) };
}
