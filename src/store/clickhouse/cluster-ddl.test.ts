import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "chdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeTable, storageKey } from "../data-model.js";
import { migratedTables } from "../migrate.js";
import { clickhouseDialect } from "./clickhouse-dialect.js";
import { clusterDdl, clusterDdlText, clusterLayout, LOCAL_SUFFIX, type ShardKeySpec } from "./cluster-ddl.js";

const CLUSTER = "tessera_test";
/** Two shards on other hosts, never contacted: only query plans are asked of it. */
const TWO_SHARDS = "tessera_two_shards";
const TWO_SHARDS_XML = `<${TWO_SHARDS}>${["127.0.0.2", "127.0.0.3"].map((h) => `<shard><replica><host>${h}</host><port>9000</port></replica></shard>`).join("")}</${TWO_SHARDS}>`;
const DB = "tessera";
const OPTS = { cluster: CLUSTER, database: DB };
const MIGRATED = migratedTables();
const STATEMENTS = clusterDdl(OPTS);

/** What a generated CREATE TABLE says, read back from its text. */
interface ParsedCreate {
  readonly name: string;
  readonly columns: readonly (readonly [string, string])[];
  readonly engine: string;
  readonly engineArgs: readonly string[];
  readonly orderBy: readonly string[] | null;
}

/**
 * Walks `text` from `from`, skipping quoted strings (with backslash escapes), and calls `visit` on every other
 * character with the parenthesis depth after it; stops where `visit` returns true. Returns that index, or -1.
 */
function walk(text: string, from: number, visit: (c: string, i: number, depth: number) => boolean): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== null) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    if (visit(c, i, depth)) return i;
  }
  return -1;
}

/** Splits at top-level commas (outside parentheses and quotes). */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  walk(text, 0, (c, i, depth) => {
    if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
    return false;
  });
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p !== "");
}

/** The text inside the parentheses opening at `open`, and the index after the closing one. */
function group(text: string, open: number): [string, number] {
  const close = walk(text, open, (c, _, depth) => c === ")" && depth === 0);
  if (close < 0) throw new Error(`unbalanced parentheses in ${text}`);
  return [text.slice(open + 1, close), close + 1];
}

const unquote = (ident: string) => ident.replace(/^"(.*)"$/, "$1");

function parseCreate(statement: string): ParsedCreate {
  const head = /^CREATE TABLE IF NOT EXISTS "([^"]+)"\."([^"]+)" ON CLUSTER "([^"]+)" \(/.exec(statement);
  if (head === null) throw new Error(`not a CREATE TABLE of this layout: ${statement}`);
  expect(head[1]).toBe(DB);
  expect(head[3]).toBe(CLUSTER);
  const [columnText, after] = group(statement, head[0].length - 1);
  const columns = splitTop(columnText).map((c) => {
    const m = /^"([^"]+)" (.+)$/.exec(c);
    if (m === null) throw new Error(`column ${c}`);
    return [m[1] as string, m[2] as string] as const;
  });
  const rest = statement.slice(after);
  const engine = /^ ENGINE = (\w+)/.exec(rest);
  if (engine === null) throw new Error(`no engine in ${rest}`);
  let engineArgs: string[] = [];
  let tail = rest.slice(engine[0].length);
  if (tail.startsWith("(")) {
    const [args, end] = group(tail, 0);
    engineArgs = splitTop(args);
    tail = tail.slice(end);
  }
  let orderBy: string[] | null = null;
  const order = /^ ORDER BY /.exec(tail);
  if (order !== null) {
    const keyText = tail.slice(order[0].length);
    orderBy = keyText.startsWith("tuple()") ? [] : splitTop(group(keyText, 0)[0]).map(unquote);
  }
  return { name: head[2] as string, columns, engine: engine[1] as string, engineArgs, orderBy };
}

/** A storage key's parts as ClickHouse writes them (`quote`: the column names as the DDL quotes them). */
const keyParts = (table: string, quote: (name: string) => string) =>
  storageKey(table).map((k) => (typeof k === "string" ? k : `toStartOfDay(${quote(k.day)})`));

const CREATES = STATEMENTS.filter((s) => s.startsWith("CREATE TABLE")).map(parseCreate);
const byName = new Map(CREATES.map((c) => [c.name, c]));
const customerTables = [...MIGRATED.keys()].filter((t) => describeTable(t)?.customer != null);
const otherTables = [...MIGRATED.keys()].filter((t) => describeTable(t)?.customer == null);
const expectedColumns = (table: string) =>
  (MIGRATED.get(table) ?? []).map(([name, type]) => [name, `Nullable(${clickhouseDialect.typeOf(type)})`]);

describe("cluster DDL, from the data model and the migrations", () => {
  it("covers the data model's customer tables and registries", () => {
    // The model has both kinds: a change that emptied either would make the checks below vacuous.
    expect(customerTables).toEqual(expect.arrayContaining(["customers", "events", "orders", "order_items"]));
    expect(otherTables).toEqual(
      expect.arrayContaining(["segments", "segment_versions", "schema_migrations", "trait_registry"]),
    );
    expect(clusterLayout(OPTS).map((t) => t.table)).toEqual([...MIGRATED.keys()]);
  });

  it("creates the database first, every node's tables next, the Distributed tables last", () => {
    expect(STATEMENTS[0]).toBe(`CREATE DATABASE IF NOT EXISTS "${DB}" ON CLUSTER "${CLUSTER}"`);
    const kinds = CREATES.map((c) => c.engine);
    const firstDistributed = kinds.indexOf("Distributed");
    expect(kinds.slice(0, firstDistributed).every((k) => k === "ReplicatedMergeTree")).toBe(true);
    expect(kinds.slice(firstDistributed).every((k) => k === "Distributed")).toBe(true);
    expect(CREATES).toHaveLength(STATEMENTS.length - 1);
    expect(CREATES.length).toBe(MIGRATED.size + customerTables.length);
  });

  it("gives every customer table a replicated local table and a Distributed one sharded by its customer column", () => {
    for (const table of customerTables) {
      const column = describeTable(table)?.customer?.column as string;
      const local = byName.get(`${table}${LOCAL_SUFFIX}`);
      const dist = byName.get(table);
      expect(local?.engine, table).toBe("ReplicatedMergeTree");
      expect(local?.engineArgs).toEqual([`'/clickhouse/tables/{shard}/${DB}/${table}'`, "'{replica}'"]);
      expect(dist?.engine, table).toBe("Distributed");
      const [cluster, database, target, shardBy] = dist?.engineArgs ?? [];
      expect([cluster, database, target]).toEqual([`'${CLUSTER}'`, `'${DB}'`, `'${table}${LOCAL_SUFFIX}'`]);
      // cityHash64 of the customer column first; a row with no customer falls back to its own key, never NULL.
      const m = /^cityHash64\(coalesce\((.*)\)\)$/.exec(shardBy ?? "");
      expect(m, `${table}: ${shardBy}`).not.toBeNull();
      const args = splitTop(m?.[1] ?? "");
      expect(args[0]).toBe(`"${column}"`);
      expect(args.at(-1)).toBe("''");
      expect(clusterLayout(OPTS).find((t) => t.table === table)?.sharding?.column).toBe(column);
    }
    // The customer column alone (so ClickHouse sees a GROUP BY of it as complete on each shard).
    for (const table of customerTables) {
      const column = describeTable(table)?.customer?.column as string;
      expect(byName.get(table)?.engineArgs[3], table).toBe(`cityHash64(coalesce("${column}", ''))`);
    }
    expect(byName.get("identity_merges")?.engineArgs[3]).toBe(`cityHash64(coalesce("into_id", ''))`);
  });

  it("does not shard registries and bookkeeping: one replicated table per name, on every node", () => {
    for (const table of otherTables) {
      const t = byName.get(table);
      expect(t?.engine, table).toBe("ReplicatedMergeTree");
      expect(t?.engineArgs).toEqual([`'/clickhouse/tables/all/${DB}/${table}'`, "'{replica}'"]);
      expect(byName.has(`${table}${LOCAL_SUFFIX}`), table).toBe(false);
      expect(STATEMENTS.some((s) => s.includes("{shard}") && s.includes(`/${table}'`))).toBe(false);
    }
  });

  it("sorts every stored table by its storage key and gives every table the migrations' columns", () => {
    for (const table of MIGRATED.keys()) {
      const stored = byName.get(describeTable(table)?.customer == null ? table : `${table}${LOCAL_SUFFIX}`);
      expect(stored?.orderBy, table).toEqual(keyParts(table, (n) => `"${n}"`));
      expect(stored?.columns, table).toEqual(expectedColumns(table));
      if (describeTable(table)?.customer != null) {
        expect(byName.get(table)?.columns, table).toEqual(expectedColumns(table));
        expect(byName.get(table)?.orderBy, table).toBeNull();
      }
    }
  });

  it("writes the statements as one .sql text, and refuses names that are not plain", () => {
    const text = clusterDdlText(OPTS);
    const statements = text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("--"))
      .map((l) => l.replace(/;$/, ""));
    expect(statements).toEqual(STATEMENTS);
    expect(() => clusterDdl({ cluster: "a'b", database: DB })).toThrow(/plain name/);
    expect(() => clusterDdl({ cluster: CLUSTER, database: "x/y" })).toThrow(/plain name/);
  });

  it("takes another sharding expression when given one; facts offer their row key for rows with no customer", () => {
    const specs: ShardKeySpec[] = [];
    const ddl = clusterDdl({
      ...OPTS,
      shardKey: (spec) => {
        specs.push(spec);
        const columns = [spec.column, ...(spec.fallback === null ? [] : [spec.fallback])];
        return `cityHash64(coalesce(${columns.map((c) => `"${c}"`).join(", ")}, ''))`;
      },
    });
    expect(ddl.find((s) => s.includes(`"${DB}"."orders" `))).toContain(
      `'orders_local', cityHash64(coalesce("customer_id", "order_id", '')))`,
    );
    const fallback = (table: string) => specs.find((s) => s.table === table)?.fallback;
    expect([fallback("events"), fallback("orders"), fallback("order_items")]).toEqual([
      "message_id",
      "order_id",
      "order_id",
    ]);
    // Only facts have one: other tables' rows always name a person.
    expect([fallback("identities"), fallback("cluster_assignments"), fallback("survey_responses")]).toEqual([
      null,
      null,
      null,
    ]);
  });
});

describe("cluster DDL on chdb (one node: ON CLUSTER and replication taken out, the Distributed tables as they are)", () => {
  let dir: string;
  let session: Session;
  const run = async (query: string) => (await session.queryAsync(query)).text();
  const rows = async <T>(query: string): Promise<T[]> =>
    (await session.queryAsync(query, { format: "JSONEachRow" }))
      .text()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as T);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-cluster-ddl-"));
    // chdb defines no cluster of its own (system.clusters is empty): one shard on this node. With tcp_port equal
    // to the replica's port the shard is local, so a Distributed table reads and writes it in process.
    const config = join(dir, "cluster.xml");
    writeFileSync(
      config,
      `<clickhouse><tcp_port>9000</tcp_port><remote_servers><${CLUSTER}><shard><replica><host>localhost</host><port>9000</port></replica></shard></${CLUSTER}>${TWO_SHARDS_XML}</remote_servers></clickhouse>\n`,
    );
    session = new Session(join(dir, "data"), { connectionArgs: [`--config-file=${config}`] });
  });

  afterAll(() => {
    session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("parses every statement as written (ON CLUSTER and ReplicatedMergeTree included)", async () => {
    for (const statement of STATEMENTS) {
      const r = await session.queryBindAsync(
        "SELECT formatQuery({q:String}) AS f",
        { q: statement },
        { format: "JSONEachRow" },
      );
      expect((JSON.parse(r.text()) as { f: string }).f.length, statement).toBeGreaterThan(0);
    }
  });

  it("creates the layout, and the stored tables match the dialect's single-node tables exactly", async () => {
    const clusters = await rows<{ cluster: string; is_local: number }>(
      "SELECT cluster, is_local FROM system.clusters ORDER BY cluster, shard_num",
    );
    // The test cluster is this node (so the Distributed tables work in process); the two-shard one is elsewhere.
    expect(clusters).toEqual([
      { cluster: CLUSTER, is_local: 1 },
      { cluster: TWO_SHARDS, is_local: 0 },
      { cluster: TWO_SHARDS, is_local: 0 },
    ]);
    const adapt = (s: string) =>
      s
        .replace(` ON CLUSTER "${CLUSTER}"`, "")
        .replace(/ReplicatedMergeTree\('[^']*', '\{replica\}'\)/, "MergeTree");
    for (const statement of STATEMENTS) await run(adapt(statement));

    // The same tables as the dialect creates them on one node (in the default database).
    for (const [table, columns] of MIGRATED) {
      const create = clickhouseDialect.createTable(
        table,
        columns.map(([name, type]) => ({ name, type })),
        storageKey(table),
      );
      await run(clickhouseDialect.showSql(create));
    }
    type TableRow = {
      database: string;
      name: string;
      engine: string;
      engine_full: string;
      sorting_key: string;
    };
    const tables = await rows<TableRow>(
      `SELECT database, name, engine, engine_full, sorting_key FROM system.tables WHERE database IN ('${DB}', currentDatabase()) ORDER BY name`,
    );
    type ColumnRow = { database: string; table: string; name: string; type: string; position: number };
    const columns = await rows<ColumnRow>(
      `SELECT database, table, name, type, position FROM system.columns WHERE database IN ('${DB}', currentDatabase()) ORDER BY table, position`,
    );
    const single = (name: string) => tables.find((t) => t.database !== DB && t.name === name);
    const cluster = (name: string) => tables.find((t) => t.database === DB && t.name === name);
    const columnsOf = (database: string | null, table: string) =>
      columns
        .filter((c) => (database === null ? c.database !== DB : c.database === database) && c.table === table)
        .map((c) => [c.name, c.type]);

    expect(tables.filter((t) => t.database === DB)).toHaveLength(MIGRATED.size + customerTables.length);
    for (const table of MIGRATED.keys()) {
      const sharded = describeTable(table)?.customer != null;
      const stored = cluster(sharded ? `${table}${LOCAL_SUFFIX}` : table);
      expect(stored?.engine, table).toBe("MergeTree");
      // system.tables shows a one-column key in parentheses.
      expect(stored?.sorting_key.replace(/^\((.*)\)$/, "$1"), table).toBe(
        keyParts(table, (n) => n).join(", "),
      );
      // Sort key, settings and columns: what the dialect makes on one node.
      expect(stored?.engine_full, table).toBe(single(table)?.engine_full);
      expect(columnsOf(DB, stored?.name ?? ""), table).toEqual(columnsOf(null, table));
      expect(columnsOf(DB, stored?.name ?? ""), table).toEqual(expectedColumns(table));
      if (sharded) {
        const dist = cluster(table);
        const column = describeTable(table)?.customer?.column as string;
        expect(dist?.engine, table).toBe("Distributed");
        expect(dist?.engine_full, table).toMatch(
          new RegExp(
            `^Distributed\\('${CLUSTER}', '${DB}', '${table}_local', cityHash64\\(coalesce\\(${column}[,)]`,
          ),
        );
        expect(columnsOf(DB, table), table).toEqual(columnsOf(DB, `${table}${LOCAL_SUFFIX}`));
      }
    }
    // Events time first (windows read a time range), the other facts person first.
    expect(cluster("events_local")?.sorting_key).toBe("toStartOfDay(ts), event, customer_id");
    expect(cluster("orders_local")?.sorting_key).toBe("customer_id, ts");
  });

  it("lets ClickHouse see a per-customer GROUP BY as complete on each shard (nothing merged where the query began)", async () => {
    // The generated Distributed tables over two shards: a plan over them needs no connection.
    const plan = async (query: string) =>
      (
        await session.queryAsync(`EXPLAIN ${query} SETTINGS optimize_skip_unused_shards = 1`, {
          format: "TSVRaw",
        })
      ).text();
    for (const statement of STATEMENTS.filter((s) => s.includes("ENGINE = Distributed("))) {
      const table = parseCreate(statement).name;
      const column = describeTable(table)?.customer?.column as string;
      await run(
        statement
          .replace(` ON CLUSTER "${CLUSTER}"`, "")
          .replace(`"${DB}"."${table}"`, `"${DB}"."${table}_2"`)
          .replace(`Distributed('${CLUSTER}'`, `Distributed('${TWO_SHARDS}'`),
      );
      const perCustomer = await plan(
        `SELECT "${column}", count() FROM "${DB}"."${table}_2" GROUP BY "${column}"`,
      );
      expect(perCustomer, table).toContain("ReadFromRemote");
      expect(perCustomer, table).not.toContain("MergingAggregated");
      // A count over all customers is merged where the query began: the check above can tell the two apart.
      expect(await plan(`SELECT count() FROM "${DB}"."${table}_2"`), table).toContain("MergingAggregated");
    }
  });

  it("writes rows through a Distributed table and reads them back through it", async () => {
    await run(
      `INSERT INTO "${DB}"."events" (message_id, customer_id, type, event, ts, properties) VALUES
       ('m1', 'c1', 'track', 'Product Viewed', '2024-01-02 03:04:05.000000', '{"device":"mobile"}'),
       ('m2', 'c1', 'track', 'Order Completed', '2024-01-03 03:04:05.000000', NULL),
       ('m3', 'c2', 'page', NULL, '2024-01-01 00:00:00.000000', NULL)`,
    );
    await run(
      `INSERT INTO "${DB}"."orders" (order_id, customer_id, ts, total) VALUES
       ('o1', 'c1', '2024-01-03 03:04:05.000000', 12.5), ('o2', NULL, '2024-01-04 00:00:00.000000', 3)`,
    );
    const perCustomer = await rows<{ customer_id: string; n: number; last: string; shard: number }>(
      `SELECT customer_id, toUInt32(count()) AS n, toString(max(ts)) AS last, any(_shard_num) AS shard
         FROM "${DB}"."events" GROUP BY customer_id ORDER BY customer_id`,
    );
    expect(perCustomer).toEqual([
      { customer_id: "c1", n: 2, last: "2024-01-03 03:04:05.000000", shard: 1 },
      { customer_id: "c2", n: 1, last: "2024-01-01 00:00:00.000000", shard: 1 },
    ]);
    // The rows sit in the shard's local table, in storage-key order (events: the day first).
    const local = await rows<{ message_id: string }>(`SELECT message_id FROM "${DB}"."events_local"`);
    expect(local.map((r) => r.message_id)).toEqual(["m3", "m1", "m2"]);
    const guest = await rows<{ order_id: string; customer_id: string | null }>(
      `SELECT order_id, customer_id FROM "${DB}"."orders" ORDER BY order_id`,
    );
    expect(guest).toEqual([
      { order_id: "o1", customer_id: "c1" },
      { order_id: "o2", customer_id: null },
    ]);
    // A registry is an ordinary table on every node.
    await run(`INSERT INTO "${DB}"."segments" (segment_id, name, latest_version) VALUES ('s1', 'Lapsed', 1)`);
    expect(await rows(`SELECT segment_id, toString(latest_version) AS v FROM "${DB}"."segments"`)).toEqual([
      { segment_id: "s1", v: "1" },
    ]);
  });
});
