import type { Dialect, Engine } from "./engine.js";
import { type Sql, sql } from "./sql.js";
import type { TraitType } from "./trait-registry.js";

/**
 * Accounts (B2B: the companies people belong to, Segment's `group` calls): the registry of their traits
 * (`account_traits`: each a typed column of `accounts`, registered when an accounts import or a group call first
 * brings it, its type inferred from the values as a customer trait's is), and who belongs to which account.
 *
 * Membership is not a table of its own: a person belongs to an account when they have a group event naming it
 * (`type = 'group'`, the account's id in `properties.group_id`). Identity merges rewrite events' customer ids and
 * erasure removes a person's events, so membership follows both with nothing more to keep right.
 */

/** The property of a group event that names its account. */
export const GROUP_ID = "group_id";

/** Columns of `accounts` that are not traits: a file column or a group call's trait may not take these names. */
export const BUILT_IN_ACCOUNT_COLUMNS = ["account_id", "created_at", "updated_at"] as const;

export interface AccountTrait {
  readonly name: string;
  readonly type: TraitType;
  /** The column it was first read from (a file's header, a group call's trait key). */
  readonly sourceColumn: string | null;
}

export async function listAccountTraits(engine: Engine): Promise<AccountTrait[]> {
  const r = await engine.query("SELECT name, type, source_column FROM account_traits ORDER BY name");
  return r.rows<Record<string, unknown>>().map((t) => ({
    name: String(t.name),
    type: t.type as TraitType,
    sourceColumn: (t.source_column as string | null) ?? null,
  }));
}

/** Registers an account trait and adds its typed column to `accounts`. */
export async function registerAccountTrait(engine: Engine, trait: AccountTrait): Promise<void> {
  const d = engine.dialect;
  await engine.run(d.addColumn("accounts", { name: trait.name, type: trait.type }));
  await engine.run(
    sql`INSERT INTO account_traits (name, type, source_column, created_at)
        VALUES (${trait.name}, ${trait.type}, ${sql.param(trait.sourceColumn, "string")}, ${d.now()})`,
  );
}

/**
 * The relation (customer_id, account_id) of who belongs to which account: one row per group event (a person named
 * by several calls to one account appears more than once). With `asOf` (a bound time), only the calls made by
 * then: a segment evaluated as of a time never sees rows after it.
 */
export function accountMembersSql(d: Dialect, asOf?: Sql): Sql {
  const account = d.jsonText(sql`e.properties`, GROUP_ID);
  return sql`SELECT e.customer_id AS customer_id, ${account} AS account_id FROM events e
              WHERE e.type = 'group' AND e.customer_id IS NOT NULL AND ${account} IS NOT NULL${
                asOf === undefined ? sql.empty : sql` AND e.ts <= ${asOf}`
              }`;
}
