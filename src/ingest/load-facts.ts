import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { ColumnPlan } from "./column-plan.js";
import { extra, type FactKind, type FactSpec, factSpecOf, RESOLVED_CUSTOMER } from "./fact-specs.js";
import { VALID_ROWS } from "./identity.js";
import type { LoadCounts } from "./load-counts.js";
import { STAGE_TABLE } from "./validate.js";

async function countRows(engine: Engine, table: string): Promise<number> {
  const r = await engine.query(sql`SELECT count(*) AS n FROM ${sql.ident(table)}`);
  return Number(r.column("n")[0]);
}

/** What the conflict check (conflicts.ts) already knows of the rows to load; undefined: not known, look. */
export interface KnownKeys {
  /** Whether a key may repeat among the rows. */
  readonly mayRepeat?: boolean | undefined;
  /** Whether any row's key is stored already. */
  readonly anyStoredKey?: boolean | undefined;
  /** Where stored keys are looked for (conflicts.ts `storedKeys`; default the whole table). */
  readonly storedFacts?: Sql | null | undefined;
}

/**
 * Inserts the facts of the `valid` staged rows that are not stored yet (the first row of a repeated key); returns
 * the counts.
 */
async function insertFacts(
  engine: Engine,
  spec: FactSpec,
  valid: number,
  { mayRepeat, anyStoredKey, storedFacts }: KnownKeys,
): Promise<LoadCounts> {
  const id = sql.ident;
  const table = id(spec.table);
  const cols = sql.join(spec.columns.map(([c]) => id(c)));
  const stored = sql.join(
    spec.key.map((k) => sql`t.${id(k)} IS NOT DISTINCT FROM n.${id(k)}`),
    " AND ",
  );
  const rows = sql`SELECT s._row AS _row, ${sql.join(spec.columns.map(([c, e]) => sql`${e} AS ${id(c)}`))}
                  FROM ${VALID_ROWS} s${spec.join}`;
  const keys = sql.join(spec.key.map((k) => id(k)));
  const keyExprs = spec.key.map((k) => spec.columns.find(([c]) => c === k)?.[1] ?? id(k));
  // Keys of ids read the stage alone; keys holding the resolved customer need the identity join.
  const keySource = keyExprs.includes(RESOLVED_CUSTOMER)
    ? sql`${VALID_ROWS} s`
    : sql`${STAGE_TABLE} s WHERE s._reject_field IS NULL`;
  // Keeping the first of repeated keys needs a window over every row; most files repeat none, so look first.
  const repeats =
    spec.uniqueInFile || mayRepeat === false
      ? 0
      : mayRepeat
        ? 1
        : Number(
            (
              await engine.query(
                sql`SELECT count(*) AS n FROM (SELECT ${sql.join(keyExprs)} FROM ${keySource} GROUP BY ${sql.join(keyExprs)} HAVING count(*) > 1) g`,
              )
            ).column("n")[0],
          );
  const firsts =
    repeats === 0
      ? rows
      : sql`SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ${keys} ORDER BY _row) AS _dup FROM (${rows})) WHERE _dup = 1`;
  const before = await countRows(engine, spec.table);
  // Into an empty table (a first import), or when the conflict check found no key stored, nothing can be stored
  // already: no need to look. Otherwise an anti-join on the key (NULLs equal): a join every engine runs as one,
  // where a correlated NOT EXISTS comparing with IS NOT DISTINCT FROM is a nested loop on some.
  const unseen =
    before === 0 || anyStoredKey === false
      ? sql.empty
      : sql` LEFT JOIN (SELECT ${keys}, 1 AS _stored FROM ${storedFacts ?? table} x) t ON ${stored} WHERE t._stored IS NULL`;
  const order = spec.orderBy ? sql` ORDER BY n.${id(spec.orderBy)}` : sql.empty;
  const picked = sql.join(spec.columns.map(([c]) => sql`n.${id(c)}`));
  await engine.run(sql`INSERT INTO ${table} (${cols}) SELECT ${picked} FROM (${firsts}) n${unseen}${order}`);
  const inserted = (await countRows(engine, spec.table)) - before;
  return { inserted, alreadyPresent: valid - inserted };
}

/** Widens each customer's first_seen / last_seen to the activity in the file (idempotent). */
async function updateSeen(engine: Engine): Promise<void> {
  await engine.run(
    engine.dialect.updateFrom({
      table: "customers",
      columns: await engine.tableColumns("customers"),
      key: "customer_id",
      source: sql`(SELECT s._customer_id AS customer_id, min(s.timestamp) AS lo, max(s.timestamp) AS hi FROM ${VALID_ROWS} s
                    WHERE s._customer_id IS NOT NULL GROUP BY s._customer_id)`,
      set: [
        ["first_seen", sql`least(coalesce(t.first_seen, src.lo), src.lo)`],
        ["last_seen", sql`greatest(coalesce(t.last_seen, src.hi), src.hi)`],
      ],
    }),
  );
}

/**
 * Loads the accepted staged rows of a fact kind: the facts not stored yet are inserted (conflicts.ts has already set
 * aside the rows whose key is stored or repeated with other content, or removed the stored versions they replace),
 * each customer's first and last seen widen, and order lines derive the orders not stored yet.
 */
export async function loadFacts(
  engine: Engine,
  kind: FactKind,
  plan: ColumnPlan,
  valid: number,
  known: KnownKeys = {},
): Promise<LoadCounts> {
  const counts = await insertFacts(engine, factSpecOf(engine, kind, plan), valid, known);
  if (kind === "order-lines") await deriveOrders(engine, plan);
  // Consents and answers may come without a time (survey answers): nothing to widen then.
  if (kind !== "consents" && kind !== "survey-responses") await updateSeen(engine);
  return counts;
}

/**
 * Each order of the lines that is not stored yet is derived from its lines: total = the positive-quantity lines
 * (revenue), returned = the negative-quantity lines (returns).
 */
async function deriveOrders(engine: Engine, plan: ColumnPlan): Promise<void> {
  const amount = sql`s.quantity * s.unit_price`;
  // An order takes the extra columns of its first line (built once per order, not once per line).
  const d = engine.dialect;
  const firstLineProperties =
    plan.extras.length === 0
      ? sql`NULL`
      : d.jsonMergePatch(
          sql`'{}'`,
          d.jsonObject(plan.extras.map((x) => [x.name, d.argMax(extra(x.name), sql`-s._row`)] as const)),
        );
  await engine.run(
    sql`INSERT INTO orders (order_id, customer_id, source_customer_id, ts, total, returned, currency, properties)
     SELECT s.order_id, min(s._customer_id), min(s.customer_id), min(s.timestamp),
            coalesce(${d.aggIf("sum", [amount], sql`s.quantity > 0`)}, 0),
            coalesce(-${d.aggIf("sum", [amount], sql`s.quantity < 0`)}, 0),
            min(s.currency), ${firstLineProperties}
       FROM ${VALID_ROWS} s WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = s.order_id)
      GROUP BY s.order_id`,
  );
}
