import type { Dialect } from "../store/engine.js";

/**
 * A plausible email address: one @, a non-empty local part, a domain of dot-separated non-empty labels (so at
 * least one dot), no blanks. Deliberately loose: it catches typing and export accidents, not every RFC 5322
 * corner. The importer's "kept and flagged" note and the audit use this one pattern.
 */
export const EMAIL_PATTERN = "[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+";

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
