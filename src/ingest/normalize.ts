import type { Dialect } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/** SQL: an email address as an identifier (trimmed, lower-cased). */
export function emailKey(_d: Dialect, expr: Sql): Sql {
  return sql`lower(trim(${expr}))`;
}

/**
 * SQL: a phone number as an identifier: its digits, with a leading "+" when the number was written in
 * international form ("+44 …" or "0044 …"). Formatting (spaces, dashes, dots, brackets) is ignored.
 */
export function phoneKey(d: Dialect, expr: Sql): Sql {
  // Constants as literals, not bound values: the expression ends up in a view, which takes no parameters.
  const digits = d.regexReplace(expr, sql.raw(d.literal("[^0-9]")), sql.raw("''"));
  return sql`CASE WHEN ${digits} = '' THEN NULL
    WHEN ltrim(${expr}) LIKE '+%' THEN '+' || ${digits}
    WHEN ${digits} LIKE '00%' THEN '+' || substr(${digits}, 3)
    ELSE ${digits} END`;
}
