import type { Dialect } from "../store/engine.js";

/** SQL: an email address as an identifier (trimmed, lower-cased). */
export function emailKey(_d: Dialect, expr: string): string {
  return `lower(trim(${expr}))`;
}

/**
 * SQL: a phone number as an identifier: its digits, with a leading "+" when the number was written in
 * international form ("+44 …" or "0044 …"). Formatting (spaces, dashes, dots, brackets) is ignored.
 */
export function phoneKey(d: Dialect, expr: string): string {
  const digits = d.regexReplace(expr, "'[^0-9]'", "''");
  return `CASE WHEN ${digits} = '' THEN NULL
    WHEN ltrim(${expr}) LIKE '+%' THEN '+' || ${digits}
    WHEN ${digits} LIKE '00%' THEN '+' || substr(${digits}, 3)
    ELSE ${digits} END`;
}
