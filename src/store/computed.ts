import { UserError } from "../errors.js";
import type { Engine } from "./engine.js";
import { sql } from "./sql.js";

/** The value types a computed value may have (as segment comparisons see them). */
export type ComputedType = "number" | "integer" | "string" | "boolean";

/** A per-customer value a model produces, usable in segment definitions as {"computed": name, …}. */
export interface ComputedValue {
  readonly name: string;
  readonly type: ComputedType;
  /** The producer's table: one row per customer, keyed by `customer_id`. */
  readonly table: string;
  readonly column: string;
  /** Which module writes it ("rfm", "clv", "cluster"), so a refresh knows whom to ask. */
  readonly producer: string;
  readonly description: string;
}

const NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)?$/;

/**
 * Registers (or updates) computed values. Producers call this after (re)writing their table — every time: the
 * registry's `updated_at` is how an incremental segment refresh knows whether any value may have changed since it
 * stored its features (segments/incremental.ts); names are lower-case identifiers, optionally qualified
 * (`cluster.mall`).
 */
export async function registerComputed(engine: Engine, values: readonly ComputedValue[]): Promise<void> {
  for (const v of values) {
    if (!NAME.test(v.name))
      throw new UserError("bad-computed-name", `"${v.name}" is not a valid computed value name`);
  }
  await engine.transaction(async () => {
    for (const v of values) {
      await engine.run(engine.dialect.deleteWhere("computed_registry", sql`name = ${v.name}`));
      await engine.run(
        sql`INSERT INTO computed_registry (name, type, table_name, column_name, producer, description, updated_at)
            VALUES (${v.name}, ${v.type}, ${v.table}, ${v.column}, ${v.producer}, ${v.description}, ${engine.dialect.now()})`,
      );
    }
  });
}

export async function listComputed(engine: Engine): Promise<ComputedValue[]> {
  const r = await engine.query(
    "SELECT name, type, table_name, column_name, producer, description FROM computed_registry ORDER BY name",
  );
  return r.rows<Record<string, string>>().map((x) => ({
    name: x.name as string,
    type: x.type as ComputedType,
    table: x.table_name as string,
    column: x.column_name as string,
    producer: x.producer as string,
    description: x.description as string,
  }));
}

/** The producers whose computed values are predictions about a person (issue 19): churn risk, launch propensity. */
const PREDICTORS: ReadonlySet<string> = new Set(["churn", "propensity"]);

/**
 * The registered predictions whose table is there: what reports carry beside their figures (a KPI's average
 * churn risk, a persona's), as probabilities per person whose mean over a group is the share expected to act.
 */
export async function listPredictions(engine: Engine): Promise<ComputedValue[]> {
  const values = (await listComputed(engine)).filter((v) => PREDICTORS.has(v.producer));
  const present = await Promise.all(
    values.map(async (v) => (await engine.tableColumns(v.table)).includes(v.column)),
  );
  return values.filter((_, i) => present[i]);
}
