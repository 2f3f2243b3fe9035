import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type AuditEntry, COLUMNS, entryOf, type StoredRow } from "./audit-log.js";

/**
 * The audit log read a page at a time, filtered by action (the dashboard's privacy view): the log grows without
 * bound, so a reader asks for one stretch of it, and for the actions it holds to choose from.
 */

export interface AuditLogPage {
  /** Newest first, as `readAuditLog` orders them. */
  readonly entries: readonly AuditEntry[];
  /** Entries matching the filter, in all. */
  readonly total: number;
  /** Every action the log holds and how many entries each has (whatever the filter), by action. */
  readonly actions: readonly { readonly action: string; readonly entries: number }[];
}

/** Entries `offset` to `offset + limit` (newest first) of those whose action is one of `actions` (none: all). */
export async function auditLogPage(
  engine: Engine,
  page: { readonly actions: readonly string[]; readonly offset: number; readonly limit: number },
): Promise<AuditLogPage> {
  const where: Sql = page.actions.length
    ? sql`WHERE action IN (${sql.join(page.actions.map((a) => sql.param(a, "string")))})`
    : sql.empty;
  const rows = await engine.query(
    sql`SELECT ${COLUMNS} FROM audit_log ${where}
        ORDER BY coalesce(seq, 0) DESC, ${sql.ident("at")} DESC
        LIMIT ${sql.param(page.limit, "integer")} OFFSET ${sql.param(page.offset, "integer")}`,
  );
  const total = await engine.query(sql`SELECT count(*) AS n FROM audit_log ${where}`);
  const actions = await engine.query(
    sql`SELECT action, count(*) AS n FROM audit_log WHERE action IS NOT NULL GROUP BY action ORDER BY action`,
  );
  return {
    entries: rows.rows<StoredRow>().map(entryOf),
    total: Number(total.column("n")[0] ?? 0),
    actions: actions
      .rows<{ action: string; n: unknown }>()
      .map((a) => ({ action: a.action, entries: Number(a.n) })),
  };
}
