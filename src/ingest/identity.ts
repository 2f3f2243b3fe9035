import { mergeCustomerRows } from "../store/customer-tables.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { connectedComponents } from "./union-find.js";

export type IdentifierKind = "user_id" | "anonymous_id" | "email" | "phone" | "external";

/** An identifier carried by the staged rows: its kind and a SQL expression over the stage alias `s`. */
export interface IdentifierSource {
  readonly kind: IdentifierKind;
  readonly expr: Sql;
}

/** Which identifier names a person: account ids first, then anonymous ids, then contact points. */
const PRIORITY: Record<IdentifierKind, { rank: number; prefix: string }> = {
  user_id: { rank: 0, prefix: "" },
  anonymous_id: { rank: 1, prefix: "anon:" },
  email: { rank: 2, prefix: "email:" },
  phone: { rank: 3, prefix: "phone:" },
  external: { rank: 4, prefix: "ext:" },
};

/** The name of the session temporary view VALID_ROWS. */
const VALID_ROWS_VIEW = "_import_valid";
/** A view of the valid staged rows with their resolved customer as `_customer_id` (NULL: a guest). */
export const VALID_ROWS = sql.temp(VALID_ROWS_VIEW);

// The resolution's session temporary tables.
const TUPLES = "_id_tuples";
const PAIRS = "_id_pairs";
const BATCH = "_id_batch";
const TOUCHED = "_id_touched";
const NODES = "_id_nodes";
const COMP = "_id_comp";
const CAND = "_id_cand";
const TARGET = "_id_target";
const CUSTOMER = "_id_customer";
const MERGE = "_id_merge";
const TUPLE_CUSTOMER = "_id_tuple_customer";
const GROUP = "_id_group";
const COMBINED = "_id_combined";
const tmp = sql.temp;

/**
 * A relation (`value`) of the identifiers of one kind that the last resolution met for the first time (until
 * `dropResolution`): a row bringing one is never already present, whatever else it gives.
 */
export function newIdentifiers(kind: IdentifierKind): Sql {
  return sql`(SELECT value FROM ${tmp(CUSTOMER)} WHERE kind = ${kind} AND old_customer IS NULL)`;
}

/** Drops what resolveIdentities left for the loaders. */
export async function dropResolution(engine: Engine): Promise<void> {
  await engine.run([
    sql`DROP VIEW IF EXISTS ${VALID_ROWS}`,
    sql`DROP TABLE IF EXISTS ${tmp(CUSTOMER)}`,
    sql`DROP TABLE IF EXISTS ${tmp(TUPLE_CUSTOMER)}`,
  ]);
}

export interface ResolveResult {
  /** Customers that did not exist before. */
  readonly created: number;
  /** Records that became part of another customer: stored customers merged, and new records joined. */
  readonly merged: number;
}

/**
 * Links the identifiers that occur together in accepted staged rows with those already known, and makes each
 * connected component one customer (DESIGN.md, "Identity resolution").
 *
 * A component's customer id is its best identifier by (kind priority, value): the smallest user id, else
 * `anon:<anonymous id>`, and so on. The choice depends only on the component, never on import order.
 * When a component now holds several existing customers, all but that one are merged into it: their rows
 * in every table move to the survivor, traits are combined (the survivor's values first), and the merge is
 * logged in identity_merges. The graph is built in SQL; only node numbers cross into JavaScript, where
 * union-find runs on typed arrays.
 */
export async function resolveIdentities(
  engine: Engine,
  stage: Sql,
  sources: readonly IdentifierSource[],
  reason: string,
): Promise<ResolveResult> {
  const d = engine.dialect;
  // Kinds, prefixes and ranks are the program's constants: literals (the valid rows' view takes no parameters).
  const lit = (value: string): Sql => sql.raw(d.literal(value));
  const col = (i: number): Sql => sql.raw(`i${i}`);
  const accepted = sql`s._reject_field IS NULL`;
  const tuple = sql.join(sources.map((x, i) => sql`${x.expr} AS ${col(i)}`));
  const any = sql.join(
    sources.map((x) => sql`${x.expr} IS NOT NULL`),
    " OR ",
  );
  await engine.run(
    d.createTempAs(
      TUPLES,
      sql`SELECT row_number() OVER () AS t, * FROM (SELECT DISTINCT ${tuple} FROM ${stage} s WHERE ${accepted} AND (${any}))`,
    ),
  );
  await engine.run(
    d.createTempAs(
      PAIRS,
      sql.join(
        sources.map(
          (x, i) =>
            sql`SELECT t, ${lit(x.kind)} AS kind, ${col(i)} AS value FROM ${tmp(TUPLES)} WHERE ${col(i)} IS NOT NULL`,
        ),
        " UNION ALL ",
      ),
    ),
  );
  await engine.run([
    ...d.createTempAs(BATCH, sql`SELECT DISTINCT kind, value FROM ${tmp(PAIRS)}`),
    // The batch's identifiers already known, with their customers: one read of identities answers both which
    // customers the batch touches and which of its identifiers are new (a second read per load cost ~0.1 s on
    // millions of identities).
    ...d.createTempAs(
      TOUCHED,
      sql`SELECT i.kind, i.value, i.customer_id FROM identities i JOIN ${tmp(BATCH)} b ON i.kind = b.kind AND i.value = b.value`,
    ),
    ...d.createTempAs(
      NODES,
      sql`SELECT row_number() OVER (ORDER BY kind, value) - 1 AS node, kind, value, old_customer FROM (
         SELECT i.kind, i.value, i.customer_id AS old_customer FROM identities i
          WHERE i.customer_id IN (SELECT customer_id FROM ${tmp(TOUCHED)})
         UNION ALL
         SELECT b.kind, b.value, NULL FROM ${tmp(BATCH)} b
          WHERE NOT EXISTS (SELECT 1 FROM ${tmp(TOUCHED)} t WHERE t.kind = b.kind AND t.value = b.value))`,
    ),
  ]);
  // Edges: every identifier of a tuple to the tuple's smallest node, and every known identifier of a
  // customer to that customer's smallest node.
  const edges = await engine.query(
    sql`SELECT DISTINCT a, b FROM (
       SELECT n.node AS a, min(n.node) OVER (PARTITION BY p.t) AS b
         FROM ${tmp(PAIRS)} p JOIN ${tmp(NODES)} n ON n.kind = p.kind AND n.value = p.value
       UNION ALL
       SELECT node, min(node) OVER (PARTITION BY old_customer) FROM ${tmp(NODES)} WHERE old_customer IS NOT NULL
     ) e WHERE a <> b`,
  );
  const count = await engine.query(sql`SELECT count(*) AS n FROM ${tmp(NODES)}`);
  const n = Number(count.column("n")[0]);
  const root = connectedComponents(
    n,
    Int32Array.from(edges.column("a") as number[]),
    Int32Array.from(edges.column("b") as number[]),
  );
  await engine.appendTemp(COMP, [
    { name: "node", type: "integer", values: Int32Array.from({ length: n }, (_, i) => i) },
    { name: "root", type: "integer", values: root },
  ]);
  const rankOf = (a: string): Sql =>
    sql`CASE ${sql.raw(a)}.kind ${sql.join(
      Object.entries(PRIORITY).map(([k, p]) => sql`WHEN ${lit(k)} THEN ${sql.raw(String(p.rank))}`),
      " ",
    )} END`;
  const candidateOf = (a: string): Sql =>
    sql`CASE ${sql.raw(a)}.kind ${sql.join(
      Object.entries(PRIORITY).map(
        ([k, p]) => sql`WHEN ${lit(k)} THEN ${lit(p.prefix)} || ${sql.raw(a)}.value`,
      ),
      " ",
    )} END`;
  const rank = rankOf("n");
  const candidate = candidateOf("n");
  await engine.run([
    ...d.createTempAs(
      CAND,
      sql`SELECT c.root, ${rank} AS rank, ${candidate} AS cand FROM ${tmp(NODES)} n JOIN ${tmp(COMP)} c ON c.node = n.node`,
    ),
    ...d.createTempAs(
      TARGET,
      sql`SELECT c.root, min(c.cand) AS customer_id FROM ${tmp(CAND)} c
         JOIN (SELECT root, min(rank) AS rank FROM ${tmp(CAND)} GROUP BY root) b ON b.root = c.root AND b.rank = c.rank
        GROUP BY c.root`,
    ),
    ...d.createTempAs(
      CUSTOMER,
      sql`SELECT n.kind, n.value, n.old_customer, t.customer_id
         FROM ${tmp(NODES)} n JOIN ${tmp(COMP)} c ON c.node = n.node JOIN ${tmp(TARGET)} t ON t.root = c.root`,
    ),
    ...d.createTempAs(
      MERGE,
      sql`SELECT DISTINCT old_customer AS merged_id, customer_id AS into_id FROM ${tmp(CUSTOMER)}
        WHERE old_customer IS NOT NULL AND old_customer <> customer_id`,
    ),
  ]);
  const merged = Number((await engine.query(sql`SELECT count(*) AS n FROM ${tmp(MERGE)}`)).column("n")[0]);
  // New records joined to another customer: a row's identifiers would name a customer of their own (the best of
  // them, as a component is named), new in this import, but it is now part of one named otherwise (two new
  // customer ids sharing an email, a new id whose email is known, an anonymous visitor who identified). A stored
  // customer merged is counted above; a re-import, whose identifiers are all known, joins nothing.
  const joined = Number(
    (
      await engine.query(
        sql`WITH own AS (
              SELECT p.t, ${rankOf("p")} AS rank, ${candidateOf("p")} AS cand, c.old_customer, c.customer_id
                FROM ${tmp(PAIRS)} p JOIN ${tmp(CUSTOMER)} c ON c.kind = p.kind AND c.value = p.value),
            best AS (
              SELECT o.t, min(o.cand) AS cand FROM own o
                JOIN (SELECT t, min(rank) AS rank FROM own GROUP BY t) b ON b.t = o.t AND b.rank = o.rank
               GROUP BY o.t)
            SELECT count(DISTINCT o.cand) AS n FROM best b JOIN own o ON o.t = b.t AND o.cand = b.cand
             WHERE o.old_customer IS NULL AND o.customer_id <> o.cand`,
      )
    ).column("n")[0],
  );
  if (merged > 0) await applyMerges(engine, reason);
  const before = await countCustomers(engine);
  await engine.run([
    sql`INSERT INTO identities (kind, value, customer_id, created_at)
       SELECT kind, value, customer_id, ${d.now()} FROM ${tmp(CUSTOMER)} WHERE old_customer IS NULL`,
    sql`INSERT INTO customers (customer_id, created_at, updated_at)
       SELECT DISTINCT customer_id, ${d.now()}, ${d.now()} FROM ${tmp(CUSTOMER)} c
        WHERE NOT EXISTS (SELECT 1 FROM customers k WHERE k.customer_id = c.customer_id)`,
  ]);
  const created = (await countCustomers(engine)) - before;
  // A valid row's customer is that of its identifier tuple: customers are resolved once per distinct tuple,
  // and rows find theirs with one join (far cheaper than one join per identifier, or a row → customer table).
  const joins = sql.join(
    sources.map(
      (x, i) =>
        sql`LEFT JOIN ${tmp(CUSTOMER)} ${sql.raw(`c${i}`)} ON ${sql.raw(`c${i}`)}.kind = ${lit(x.kind)} AND ${sql.raw(`c${i}`)}.value = u.${col(i)}`,
    ),
    " ",
  );
  const match = sql.join(
    sources.map((x, i) => sql`tc.${col(i)} IS NOT DISTINCT FROM ${x.expr}`),
    " AND ",
  );
  await engine.run([
    ...d.createTempAs(
      TUPLE_CUSTOMER,
      sql`SELECT ${sql.join(sources.map((_, i) => sql`u.${col(i)}`))}, coalesce(${sql.join(sources.map((_, i) => sql.raw(`c${i}.customer_id`)))}) AS customer_id
         FROM ${tmp(TUPLES)} u ${joins}`,
    ),
    ...d.createTempView(
      VALID_ROWS_VIEW,
      sql`SELECT s.*, tc.customer_id AS _customer_id FROM ${stage} s LEFT JOIN ${tmp(TUPLE_CUSTOMER)} tc ON ${match}
        WHERE ${accepted}`,
    ),
    ...[TUPLES, PAIRS, BATCH, TOUCHED, NODES, COMP, CAND, TARGET, MERGE].map(
      (name) => sql`DROP TABLE ${tmp(name)}`,
    ),
  ]);
  return { created, merged: merged + joined };
}

async function countCustomers(engine: Engine): Promise<number> {
  return Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0]);
}

/** Moves every row of each merged customer to its survivor and combines their customer rows. */
async function applyMerges(engine: Engine, reason: string): Promise<void> {
  const d = engine.dialect;
  await mergeCustomerRows(engine, tmp(MERGE));
  const columns = (await engine.tableColumns("customers")).filter((c) => c !== "customer_id");
  const combine = (c: string): Sql => {
    const value = sql`k.${sql.ident(c)}`;
    switch (c) {
      case "first_seen":
      case "created_at":
        return sql`min(${value})`;
      case "last_seen":
      case "profile_at":
      case "updated_at":
        return sql`max(${value})`;
      default:
        // The survivor's value first; among the merged, the first customer id.
        return d.aggIf("argMax", [value, sql`-g.pos`], sql`${value} IS NOT NULL`);
    }
  };
  const names = sql.join(columns.map((c) => sql.ident(c)));
  await engine.run([
    ...d.createTempAs(
      GROUP,
      sql`SELECT cid, into_id, row_number() OVER (PARTITION BY into_id ORDER BY cid = into_id DESC, cid) AS pos FROM (
         SELECT DISTINCT cid, into_id FROM (
           SELECT merged_id AS cid, into_id FROM ${tmp(MERGE)} UNION ALL SELECT into_id, into_id FROM ${tmp(MERGE)}) m) g`,
    ),
    ...d.createTempAs(
      COMBINED,
      sql`SELECT g.into_id AS customer_id, ${sql.join(columns.map((c) => sql`${combine(c)} AS ${sql.ident(c)}`))}
         FROM customers k JOIN ${tmp(GROUP)} g ON g.cid = k.customer_id GROUP BY g.into_id`,
    ),
    d.deleteWhere("customers", sql`customer_id IN (SELECT cid FROM ${tmp(GROUP)})`),
    sql`INSERT INTO customers (customer_id, ${names}) SELECT customer_id, ${names} FROM ${tmp(COMBINED)}`,
    sql`INSERT INTO segment_dirty (customer_id, marked_at, since) SELECT cid, ${d.now()}, ${d.timestampMin()} FROM ${tmp(GROUP)}`,
    sql`DROP TABLE ${tmp(GROUP)}`,
    sql`DROP TABLE ${tmp(COMBINED)}`,
  ]);
  // The reason names the source (a file, or a batch's label from an API caller): a bound value (principle 4).
  await engine.run(
    sql`INSERT INTO identity_merges (merged_id, into_id, reason, merged_at)
          SELECT merged_id, into_id, ${sql.param(reason, "string")}, ${d.now()} FROM ${tmp(MERGE)}`,
  );
}
