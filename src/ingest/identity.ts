import { mergeCustomerRows } from "../store/customer-tables.js";
import type { Engine } from "../store/engine.js";
import { connectedComponents } from "./union-find.js";

export type IdentifierKind = "user_id" | "anonymous_id" | "email" | "phone" | "external";

/** An identifier carried by the staged rows: its kind and a SQL expression over the stage alias `s`. */
export interface IdentifierSource {
  readonly kind: IdentifierKind;
  readonly expr: string;
}

/** Which identifier names a person: account ids first, then anonymous ids, then contact points. */
const PRIORITY: Record<IdentifierKind, { rank: number; prefix: string }> = {
  user_id: { rank: 0, prefix: "" },
  anonymous_id: { rank: 1, prefix: "anon:" },
  email: { rank: 2, prefix: "email:" },
  phone: { rank: 3, prefix: "phone:" },
  external: { rank: 4, prefix: "ext:" },
};

/** A view of the valid staged rows with their resolved customer as `_customer_id` (NULL: a guest). */
export const VALID_ROWS = "_import_valid";

/** Drops what resolveIdentities left for the loaders. */
export async function dropResolution(engine: Engine): Promise<void> {
  await engine.run(
    `DROP VIEW IF EXISTS ${VALID_ROWS}; DROP TABLE IF EXISTS _id_customer; DROP TABLE IF EXISTS _id_tuple_customer;`,
  );
}

export interface ResolveResult {
  readonly created: number;
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
  stage: string,
  sources: readonly IdentifierSource[],
  reason: string,
): Promise<ResolveResult> {
  const d = engine.dialect;
  const lit = d.literal;
  const accepted = "s._reject_field IS NULL";
  const tuple = sources.map((x, i) => `${x.expr} AS i${i}`).join(", ");
  const any = sources.map((x) => `${x.expr} IS NOT NULL`).join(" OR ");
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _id_tuples AS SELECT row_number() OVER () AS t, * FROM (SELECT DISTINCT ${tuple} FROM ${stage} s WHERE ${accepted} AND (${any}))`,
  );
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _id_pairs AS ${sources
      .map(
        (x, i) => `SELECT t, ${lit(x.kind)} AS kind, i${i} AS value FROM _id_tuples WHERE i${i} IS NOT NULL`,
      )
      .join(" UNION ALL ")}`,
  );
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _id_batch AS SELECT DISTINCT kind, value FROM _id_pairs;
     CREATE OR REPLACE TEMP TABLE _id_touched AS
       SELECT DISTINCT i.customer_id FROM identities i JOIN _id_batch b ON i.kind = b.kind AND i.value = b.value;
     CREATE OR REPLACE TEMP TABLE _id_nodes AS
       SELECT row_number() OVER (ORDER BY kind, value) - 1 AS node, kind, value, old_customer FROM (
         SELECT i.kind, i.value, i.customer_id AS old_customer FROM identities i
          WHERE i.customer_id IN (SELECT customer_id FROM _id_touched)
         UNION ALL
         SELECT b.kind, b.value, NULL FROM _id_batch b
          WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.kind = b.kind AND i.value = b.value))`,
  );
  // Edges: every identifier of a tuple to the tuple's smallest node, and every known identifier of a
  // customer to that customer's smallest node.
  const edges = await engine.query(
    `SELECT DISTINCT a, b FROM (
       SELECT n.node AS a, min(n.node) OVER (PARTITION BY p.t) AS b
         FROM _id_pairs p JOIN _id_nodes n ON n.kind = p.kind AND n.value = p.value
       UNION ALL
       SELECT node, min(node) OVER (PARTITION BY old_customer) FROM _id_nodes WHERE old_customer IS NOT NULL
     ) e WHERE a <> b`,
  );
  const count = await engine.query("SELECT count(*) AS n FROM _id_nodes");
  const n = Number(count.column("n")[0]);
  const root = connectedComponents(
    n,
    Int32Array.from(edges.column("a") as number[]),
    Int32Array.from(edges.column("b") as number[]),
  );
  await engine.appendTemp("_id_comp", [
    { name: "node", type: "integer", values: Int32Array.from({ length: n }, (_, i) => i) },
    { name: "root", type: "integer", values: root },
  ]);
  const rank = `CASE n.kind ${Object.entries(PRIORITY)
    .map(([k, p]) => `WHEN ${lit(k)} THEN ${p.rank}`)
    .join(" ")} END`;
  const candidate = `CASE n.kind ${Object.entries(PRIORITY)
    .map(([k, p]) => `WHEN ${lit(k)} THEN ${lit(p.prefix)} || n.value`)
    .join(" ")} END`;
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _id_cand AS
       SELECT c.root, ${rank} AS rank, ${candidate} AS cand FROM _id_nodes n JOIN _id_comp c ON c.node = n.node;
     CREATE OR REPLACE TEMP TABLE _id_target AS
       SELECT c.root, min(c.cand) AS customer_id FROM _id_cand c
         JOIN (SELECT root, min(rank) AS rank FROM _id_cand GROUP BY root) b ON b.root = c.root AND b.rank = c.rank
        GROUP BY c.root;
     CREATE OR REPLACE TEMP TABLE _id_customer AS
       SELECT n.kind, n.value, n.old_customer, t.customer_id
         FROM _id_nodes n JOIN _id_comp c ON c.node = n.node JOIN _id_target t ON t.root = c.root;
     CREATE OR REPLACE TEMP TABLE _id_merge AS
       SELECT DISTINCT old_customer AS merged_id, customer_id AS into_id FROM _id_customer
        WHERE old_customer IS NOT NULL AND old_customer <> customer_id;`,
  );
  const merged = Number((await engine.query("SELECT count(*) AS n FROM _id_merge")).column("n")[0]);
  if (merged > 0) await applyMerges(engine, reason);
  const before = await countCustomers(engine);
  await engine.run(
    `INSERT INTO identities (kind, value, customer_id, created_at)
       SELECT kind, value, customer_id, now() FROM _id_customer WHERE old_customer IS NULL;
     INSERT INTO customers (customer_id, created_at, updated_at)
       SELECT DISTINCT customer_id, now(), now() FROM _id_customer c
        WHERE NOT EXISTS (SELECT 1 FROM customers k WHERE k.customer_id = c.customer_id);`,
  );
  const created = (await countCustomers(engine)) - before;
  // A valid row's customer is that of its identifier tuple: customers are resolved once per distinct tuple,
  // and rows find theirs with one join (far cheaper than one join per identifier, or a row → customer table).
  const joins = sources
    .map((x, i) => `LEFT JOIN _id_customer c${i} ON c${i}.kind = ${lit(x.kind)} AND c${i}.value = u.i${i}`)
    .join(" ");
  const match = sources.map((x, i) => `tc.i${i} IS NOT DISTINCT FROM ${x.expr}`).join(" AND ");
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _id_tuple_customer AS
       SELECT ${sources.map((_, i) => `u.i${i}`).join(", ")}, coalesce(${sources.map((_, i) => `c${i}.customer_id`).join(", ")}) AS customer_id
         FROM _id_tuples u ${joins};
     CREATE OR REPLACE TEMP VIEW ${VALID_ROWS} AS
       SELECT s.*, tc.customer_id AS _customer_id FROM ${stage} s LEFT JOIN _id_tuple_customer tc ON ${match}
        WHERE ${accepted};
     DROP TABLE _id_tuples; DROP TABLE _id_pairs; DROP TABLE _id_batch; DROP TABLE _id_touched;
     DROP TABLE _id_nodes; DROP TABLE _id_comp; DROP TABLE _id_cand; DROP TABLE _id_target; DROP TABLE _id_merge;`,
  );
  return { created, merged };
}

async function countCustomers(engine: Engine): Promise<number> {
  return Number((await engine.query("SELECT count(*) AS n FROM customers")).column("n")[0]);
}

/** Moves every row of each merged customer to its survivor and combines their customer rows. */
async function applyMerges(engine: Engine, reason: string): Promise<void> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  await mergeCustomerRows(engine, "_id_merge");
  const columns = (await engine.tableColumns("customers")).filter((c) => c !== "customer_id");
  const combine = (c: string): string => {
    switch (c) {
      case "first_seen":
      case "created_at":
        return `min(k.${q(c)})`;
      case "last_seen":
      case "profile_at":
      case "updated_at":
        return `max(k.${q(c)})`;
      default:
        // The survivor's value first; among the merged, the first customer id.
        return `${d.argMax(`k.${q(c)}`, "-g.pos")} FILTER (WHERE k.${q(c)} IS NOT NULL)`;
    }
  };
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _id_group AS
       SELECT cid, into_id, row_number() OVER (PARTITION BY into_id ORDER BY cid = into_id DESC, cid) AS pos FROM (
         SELECT merged_id AS cid, into_id FROM _id_merge UNION SELECT DISTINCT into_id, into_id FROM _id_merge);
     CREATE OR REPLACE TEMP TABLE _id_combined AS
       SELECT g.into_id AS customer_id, ${columns.map((c) => `${combine(c)} AS ${q(c)}`).join(", ")}
         FROM customers k JOIN _id_group g ON g.cid = k.customer_id GROUP BY g.into_id;
     DELETE FROM customers WHERE customer_id IN (SELECT cid FROM _id_group);
     INSERT INTO customers (customer_id, ${columns.map(q).join(", ")})
       SELECT customer_id, ${columns.map(q).join(", ")} FROM _id_combined;
     INSERT INTO segment_dirty (customer_id, marked_at, since) SELECT cid, now(), CAST('-infinity' AS TIMESTAMP) FROM _id_group;
     DROP TABLE _id_group; DROP TABLE _id_combined;`,
  );
  // The reason names the source (a file, or a batch's label from an API caller): a bound value (principle 4).
  await engine.run(
    "INSERT INTO identity_merges (merged_id, into_id, reason, merged_at) SELECT merged_id, into_id, $1, now() FROM _id_merge",
    [reason],
  );
}
