import type { EraseMatch } from "./engine.js";
import { type Sql, sql } from "./sql.js";

/** SQL: rows where any match's column holds one of its values (bound); null when no match has a value. */
export function matchesAny(matches: readonly EraseMatch[]): Sql | null {
  const parts = matches
    .filter((m) => m.values.length > 0)
    .map((m) => sql`${sql.ident(m.column)} IN (${sql.join(m.values.map((v) => sql`${v}`))})`);
  return parts.length === 0 ? null : sql`(${sql.join(parts, " OR ")})`;
}
