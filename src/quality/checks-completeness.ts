import { sql } from "../store/sql.js";
import { listTraits } from "../store/trait-registry.js";
import { type AuditContext, aggregate, filled } from "./context.js";
import type { CompletenessRow } from "./types.js";

/** Contact fields every customers table has (migration 1). */
const CONTACT_FIELDS = ["email", "phone", "first_name", "last_name"] as const;

/**
 * The fields whose completeness is measured: the contact fields, then every trait in the registry that really is
 * a column of customers. Checking against both the registry and the table keeps unknown names out of the SQL.
 */
async function auditedFields(ctx: AuditContext): Promise<string[]> {
  const columns = new Set(await ctx.engine.tableColumns("customers"));
  const traits = (await listTraits(ctx.engine))
    .map((t) => t.name)
    .filter((name) => columns.has(name) && !(CONTACT_FIELDS as readonly string[]).includes(name));
  return [...CONTACT_FIELDS.filter((f) => columns.has(f)), ...traits];
}

/**
 * Share of customers (every unified person, with or without a profile) whose field is filled: not NULL and
 * not blank. All fields are counted in one scan of customers.
 */
export async function completeness(ctx: AuditContext): Promise<CompletenessRow[]> {
  const fields = await auditedFields(ctx);
  const total = ctx.totals.customers ?? 0;
  if (fields.length === 0) return [];
  const sums = fields.map(
    (f, i) => sql`sum(CASE WHEN ${filled(ctx.d, sql.ident(f))} THEN 1 ELSE 0 END) AS ${sql.raw(`f${i}`)}`,
  );
  const row = await aggregate(ctx, sql`SELECT ${sql.join(sums)} FROM customers`);
  return fields.map((field, i) => {
    const n = row[`f${i}`] ?? 0;
    return { table: "customers", field, filled: n, total, share: total === 0 ? 0 : n / total };
  });
}
