import type { EraseMatch } from "./engine.js";
import { type Sql, sql } from "./sql.js";

/** SQL: rows where any match's column holds one of its values (bound); null when no match has a value. */
export function matchesAny(matches: readonly EraseMatch[]): Sql | null {
  const parts = matches
    .filter((m) => m.values.length > 0)
    .map((m) => sql`${sql.ident(m.column)} IN (${sql.join(m.values.map((v) => sql`${v}`))})`);
  return parts.length === 0 ? null : sql`(${sql.join(parts, " OR ")})`;
}

/**
 * SQL: `select` over the rows where any match's column holds one of its values, as one query per column joined
 * by `union` (the engine's distinct union): each query's filter is one column's, which an engine applies in its
 * scan (skipping the other columns of rows that fail it), where a disjunction over columns makes it read every
 * column of every row (measured on 35M events: 0.28 s against 0.86 s). Null when no match has a value.
 */
export function matchingRows(
  table: string,
  matches: readonly EraseMatch[],
  select: Sql,
  union: Sql,
): Sql | null {
  const parts = matches
    .filter((m) => m.values.length > 0)
    .map(
      (m) =>
        sql`SELECT ${select} FROM ${sql.ident(table)} WHERE ${sql.ident(m.column)} IN (${sql.join(m.values.map((v) => sql`${v}`))})`,
    );
  return parts.length === 0 ? null : sql.join(parts, sql` ${union} `);
}
