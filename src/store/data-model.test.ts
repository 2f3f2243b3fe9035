import { afterEach, describe, expect, it } from "vitest";
import { count, tempDir, writeFile } from "../../test/helpers.js";
import { fitClv } from "../analytics/clv.js";
import { CLV_TABLE, predictClv } from "../analytics/clv-predict.js";
import { RFM_TABLE, rfm } from "../analytics/rfm.js";
import { runClustering } from "../clustering/cluster.js";
import { saveClustering } from "../clustering/saved-clusterings.js";
import { importFile } from "../ingest/import.js";
import { refreshAll } from "../operations/refresh-pipeline.js";
import { fitRecommender, RECOMMEND_DEFAULTS } from "../predict/recommend.js";
import { audit } from "../quality/audit.js";
import { label, rowId } from "../quality/context.js";
import { STORED_FEATURES } from "../segments/segment-refresh.js";
import { saveSegment } from "../segments/segment-store.js";
import { registerComputed } from "./computed.js";
import { customerTables, presentTables, tablesOutsideModel } from "./customer-tables.js";
import { CUSTOMER_REF_TABLES, DATA_MODEL, describeTable, STATS_TABLES, tablesWhere } from "./data-model.js";
import type { Engine } from "./engine.js";
import { migratedTables } from "./migrate.js";
import { openSession } from "./open-store.js";
import { sql } from "./sql.js";
import { storeStats } from "./stats.js";
import type { Session } from "./store.js";

let engine: Session | undefined;
afterEach(() => {
  engine?.close();
  engine = undefined;
});

/** The columns a description names: the customer reference, the time, the key. */
function describedColumns(name: string): string[] {
  const t = describeTable(name);
  if (!t) return [];
  return [
    ...(t.customer ? [t.customer.column, ...(t.customer.otherColumns ?? [])] : []),
    ...(t.time ? [t.time] : []),
    ...t.key,
  ];
}

/** The database's own tables (not views, not temporary) that have a column of this name. */
async function tablesWithColumn(e: Engine, column: string): Promise<string[]> {
  const r = await e.query(
    sql`SELECT DISTINCT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t
         ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE t.table_type = 'BASE TABLE' AND c.column_name = ${column} ORDER BY 1`,
  );
  return r.column("table_name") as string[];
}

/** Every table holding a customer_id is the profile or on the customer-reference list, and nothing is undescribed. */
async function expectModelCoversDatabase(e: Engine): Promise<void> {
  const listed = new Set((await customerTables(e)).map((t) => t.table));
  for (const table of await tablesWithColumn(e, "customer_id")) {
    if (table === "customers") continue;
    expect(listed.has(table), `${table} holds customer ids but is not on the customer-reference list`).toBe(
      true,
    );
  }
  expect(await tablesOutsideModel(e)).toEqual([]);
  for (const table of await presentTables(e)) {
    const columns = await e.tableColumns(table);
    expect(columns, table).toEqual(expect.arrayContaining(describedColumns(table)));
  }
}

describe("the data model and the migrations", () => {
  it("describe the same tables: every migrated table is described as migrated, and vice versa", () => {
    const migrated = migratedTables();
    expect([...migrated.keys()].sort()).toEqual(tablesWhere((t) => t.created === "migration").sort());
    for (const [name, columns] of migrated) {
      expect(
        columns.map(([c]) => c),
        name,
      ).toEqual(expect.arrayContaining(describedColumns(name)));
    }
    // Every migrated table with a customer id is the profile or on the reference list.
    for (const [name, columns] of migrated) {
      if (columns.some(([c]) => c === "customer_id") && name !== "customers")
        expect(CUSTOMER_REF_TABLES, name).toContain(name);
    }
    for (const t of DATA_MODEL) {
      if (t.created === "runtime") expect(t.createdBy, t.name).toBeTruthy();
    }
  });

  it("a migrated database holds exactly the migrated tables, each holding customer ids on the list", async () => {
    engine = await openSession(":memory:");
    expect([...(await presentTables(engine))].sort()).toEqual([...migratedTables().keys()].sort());
    await expectModelCoversDatabase(engine);
    // Runtime tables are listed only once they exist.
    const listed = (await customerTables(engine)).map((t) => t.table);
    expect(listed).toEqual(CUSTOMER_REF_TABLES.filter((t) => describeTable(t)?.created === "migration"));
    expect(listed).toEqual(
      expect.arrayContaining(["identities", "events", "segment_membership", "segment_dirty"]),
    );
  });

  it("names the runtime tables as their producers do", () => {
    for (const name of [STORED_FEATURES, RFM_TABLE, CLV_TABLE]) {
      expect(describeTable(name)).toMatchObject({
        role: "derived",
        created: "runtime",
        customer: { onMerge: "drop" },
      });
      expect(CUSTOMER_REF_TABLES).toContain(name);
    }
  });
});

/** 40 customers with repeat purchases over half a year (enough for the CLV models), imported from files. */
async function storeWithHistory(dir: string): Promise<Session> {
  const e = await openSession(":memory:");
  const customers = ["customer_id,email"];
  const orders = ["order_id,customer_id,timestamp,total"];
  let n = 0;
  for (let i = 0; i < 40; i++) {
    customers.push(`c${String(i).padStart(2, "0")},p${i}@example.org`);
    for (let k = 0; k <= i % 5; k++) {
      const day = String(1 + ((i * (k + 1)) % 27)).padStart(2, "0");
      orders.push(
        `o${++n},c${String(i).padStart(2, "0")},2024-0${1 + k}-${day}T10:00:00Z,${10 + ((i * 3 + k * 7) % 40)}`,
      );
    }
  }
  await importFile(e, { kind: "customers", path: writeFile(dir, "customers.csv", customers.join("\n")) });
  await importFile(e, { kind: "orders", path: writeFile(dir, "orders.csv", orders.join("\n")) });
  return e;
}

const AS_OF = new Date("2024-07-01T00:00:00Z");

/** Runs every producer once: RFM, CLV fit and predict, a saved clustering, a segment refresh. */
async function produceEverything(e: Engine): Promise<void> {
  await rfm(e, { asOf: AS_OF });
  await fitClv(e, { unit: "week" });
  await predictClv(e, { asOf: AS_OF });
  // Order lines for the recommender: each order's total as one item, and a second item on every other order.
  await e.run(
    `INSERT INTO order_items (order_id, line_no, customer_id, ts, sku, quantity, unit_price)
     SELECT order_id, 1, customer_id, ts, 'A', 1, total FROM orders WHERE customer_id IS NOT NULL`,
  );
  await e.run(
    `INSERT INTO order_items (order_id, line_no, customer_id, ts, sku, quantity, unit_price)
     SELECT order_id, 2, customer_id, ts, 'B', 1, 1 FROM orders WHERE customer_id IS NOT NULL AND total > 50`,
  );
  await fitRecommender(e, { ...RECOMMEND_DEFAULTS, asOf: AS_OF });
  await saveClustering(
    e,
    "spend",
    await runClustering(e, { features: ["orders.count", "orders.revenue"], k: 2, seed: 1, asOf: AS_OF }),
  );
  await saveSegment(e, {
    id: "champions",
    name: "Champions",
    where: { computed: "rfm_segment", eq: "Champions" },
  });
  await saveSegment(e, { id: "spenders", name: "Spenders", where: { orders: "sum", gte: 60 } });
  await refreshAll(e, { asOf: AS_OF });
}

describe("the data model after the producers ran", () => {
  it("lists every table that holds customer ids, runtime ones included, and describes every table", async () => {
    engine = await storeWithHistory(tempDir());
    await produceEverything(engine);
    const present = await presentTables(engine);
    for (const t of [STORED_FEATURES, RFM_TABLE, CLV_TABLE, "clv_model", "value_settings"])
      expect(present).toContain(t);
    await expectModelCoversDatabase(engine);
    const listed = await customerTables(engine);
    expect(listed.map((t) => t.table)).toEqual(CUSTOMER_REF_TABLES);
    // A clustering's view is not a table: its rows live in cluster_assignments.
    expect(listed.map((t) => t.table)).not.toContain("cluster_spend");
  });

  it("finds a table a producer registered computed values in, though the model does not describe it", async () => {
    engine = await openSession(":memory:");
    await engine.run("CREATE TABLE customer_churn (customer_id VARCHAR, p DOUBLE)");
    expect(await tablesOutsideModel(engine)).toEqual(["customer_churn"]);
    await registerComputed(engine, [
      {
        name: "churn",
        type: "number",
        table: "customer_churn",
        column: "p",
        producer: "churn",
        description: "p",
      },
    ]);
    expect(await tablesOutsideModel(engine)).toEqual([]);
    expect((await customerTables(engine)).at(-1)).toEqual({
      table: "customer_churn",
      role: "derived",
      column: "customer_id",
      otherColumns: [],
      identifierColumns: [],
      onMerge: "drop",
    });
    await expectModelCoversDatabase(engine);
  });
});

describe("identity merges follow each table's rule", () => {
  it("move facts and stays to the survivor, drop the merged id's computed rows, and the next refresh recomputes", async () => {
    const dir = tempDir();
    engine = await storeWithHistory(dir);
    await produceEverything(engine);
    await engine.run("CREATE TABLE customer_churn AS SELECT customer_id, 0.5 AS p FROM customers");
    await registerComputed(engine, [
      {
        name: "churn",
        type: "number",
        table: "customer_churn",
        column: "p",
        producer: "churn",
        description: "p",
      },
    ]);
    const e = engine;
    const rows = (table: string, column: string, id: string) =>
      count(e, sql`SELECT count(*) FROM ${sql.ident(table)} WHERE ${sql.ident(column)} = ${id}`);
    // c04 has 5 orders, c01 has 2; c01 is in both RFM and CLV tables, a cluster, the features, and a segment.
    const before = {
      orders: (await rows("orders", "customer_id", "c01")) + (await rows("orders", "customer_id", "c04")),
      stays:
        (await rows("segment_membership", "customer_id", "c01")) +
        (await rows("segment_membership", "customer_id", "c04")),
    };
    for (const t of [STORED_FEATURES, RFM_TABLE, CLV_TABLE, "cluster_assignments", "customer_churn"])
      expect(await rows(t, "customer_id", "c04"), t).toBe(1);
    expect(before.stays).toBeGreaterThan(0);

    // A customers row names c01 with c04's email: c04 is merged into c01.
    const link = writeFile(dir, "link.csv", "customer_id,email\nc01,p4@example.org\n");
    expect((await importFile(engine, { kind: "customers", path: link })).customersMerged).toBe(1);

    for (const t of await customerTables(engine)) {
      const left = await rows(t.table, t.column, "c04");
      if (t.onMerge === "keep" || t.table === "segment_dirty") continue; // the log; the merge's own dirty mark
      expect(left, `${t.table} still names the merged customer`).toBe(0);
    }
    // Rewritten: facts and stays moved; dropped: the merged id's computed rows, the survivor's are kept.
    expect(await rows("orders", "customer_id", "c01")).toBe(before.orders);
    expect(await rows("segment_membership", "customer_id", "c01")).toBe(before.stays);
    expect(await rows("cluster_assignments", "customer_id", "c01")).toBe(2);
    for (const t of [STORED_FEATURES, RFM_TABLE, CLV_TABLE, "customer_churn"])
      expect(await rows(t, "customer_id", "c01"), t).toBe(1);
    expect(await rows("identity_merges", "merged_id", "c04")).toBe(1);
    expect(await rows("segment_dirty", "customer_id", "c01")).toBeGreaterThan(0);

    // The next refresh computes the survivor's values from the merged history, one row per customer.
    const refreshed = await refreshAll(engine, { asOf: new Date("2024-07-02T00:00:00Z") });
    expect(refreshed.mode).toBe("incremental");
    expect(await count(engine, `SELECT frequency FROM ${RFM_TABLE} WHERE customer_id = 'c01'`)).toBe(
      before.orders,
    );
    for (const t of [STORED_FEATURES, RFM_TABLE, CLV_TABLE]) {
      expect(await count(engine, `SELECT count(*) - count(DISTINCT customer_id) FROM ${t}`), t).toBe(0);
      expect(await count(engine, `SELECT count(*) FROM ${t}`), t).toBe(39);
    }
    await expectModelCoversDatabase(engine);
  });
});

describe("stats and the audit take their tables from the model", () => {
  it("stats counts the model's stats tables under their keys, in the contract's order", async () => {
    engine = await openSession(":memory:");
    let n = 0;
    for (const { table } of STATS_TABLES) {
      n++;
      const columns = await engine.tableColumns(table);
      const col = columns.includes("customer_id") ? "customer_id" : (columns[0] as string);
      for (let i = 0; i < n; i++)
        await engine.run(sql`INSERT INTO ${sql.ident(table)} (${sql.ident(col)}) VALUES (${`x${i}`})`);
    }
    const stats = await storeStats(engine);
    expect(Object.keys(stats)).toEqual([
      "customers",
      "identities",
      "events",
      "orders",
      "orderItems",
      "consents",
      "surveyResponses",
    ]);
    expect(Object.values(stats)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(STATS_TABLES.map((t) => t.table)).toEqual([
      "customers",
      "identities",
      "events",
      "orders",
      "order_items",
      "consents",
      "survey_responses",
    ]);
  });

  it("the audit's totals, dated tables, orphan tables, labels and row names come from the model", async () => {
    engine = await openSession(":memory:");
    const report = await audit(engine, { asOf: AS_OF });
    expect(Object.keys(report.totals)).toEqual([
      ...STATS_TABLES.map((t) => t.table),
      "customers_with_profile",
    ]);
    const tablesOf = (check: string) => report.findings.filter((f) => f.check === check).map((f) => f.table);
    expect(tablesOf("future-timestamps")).toEqual([
      "events",
      "orders",
      "order_items",
      "consents",
      "survey_responses",
    ]);
    expect(report.findings.filter((f) => f.check === "future-timestamps").map((f) => f.field)).toEqual(
      tablesOf("future-timestamps").map((t) => describeTable(t)?.time),
    );
    expect(tablesOf("records-without-profile")).toEqual(tablesWhere((t) => t.profileExpected === true));
    expect(tablesOf("records-without-profile")).toEqual([
      "orders",
      "order_items",
      "consents",
      "survey_responses",
    ]);
    expect(label("order_items")).toBe("Order lines");
    expect(label("survey_responses")).toBe("Survey answers");
    expect(label("not_a_table")).toBe("not_a_table");
    const d = engine.dialect;
    const shown = (table: string) => d.showSql(rowId(d, table));
    expect(shown("events")).toBe("message_id");
    expect(shown("order_items")).toBe(`order_id || '#' || ${d.showSql(d.toText(sql.raw("line_no")))}`);
    expect(shown("consents")).toBe("customer_id");
    expect(shown("customers")).toBe("customer_id");
  });
});
