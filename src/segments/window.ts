import { durationBefore, parseDuration, type Unit } from "../common/duration.js";
import { type Sql, sql, tsParam, tsText } from "../store/sql.js";
import type { Window } from "./definition.js";

// How the segment compiler binds its instants (defined with the other SQL pieces: the importer binds times too).
export { tsParam, tsText };

/** A window resolved: relative to the as-of time, or an absolute range [from, to + 1 day). */
export type ResolvedWindow =
  | { readonly kind: "relative"; readonly n: number; readonly unit: Unit }
  | { readonly kind: "absolute"; readonly from: string; readonly to: string };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(s: string): boolean {
  if (!ISO_DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function parseWindow(w: Window): ResolvedWindow | string {
  if (typeof w === "string") {
    const d = parseDuration(w);
    return typeof d === "string" ? d : { kind: "relative", ...d };
  }
  if (!validDate(w.from)) return `"from": "${w.from}" is not an ISO date (YYYY-MM-DD)`;
  if (!validDate(w.to)) return `"to": "${w.to}" is not an ISO date (YYYY-MM-DD)`;
  if (w.from > w.to) return `"from" ${w.from} is after "to" ${w.to}`;
  return { kind: "absolute", from: w.from, to: w.to };
}

/** The window's earliest instant (exclusive for relative windows), as of a time: months are calendar months. */
export function windowStart(w: ResolvedWindow, asOf: Date): Date {
  return w.kind === "absolute" ? new Date(`${w.from}T00:00:00Z`) : durationBefore(w, asOf);
}

/** A window's tests on a time column at an as-of time (none without a window). */
export function windowTests(w: ResolvedWindow | undefined, column: Sql, asOf: Date): Sql[] {
  if (!w) return [];
  if (w.kind === "absolute") {
    const end = new Date(`${w.to}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    return [
      sql`${column} >= ${sql.param(`${w.from} 00:00:00`, "timestamp")}`,
      sql`${column} < ${tsParam(end)}`,
    ];
  }
  return [sql`${column} > ${tsParam(windowStart(w, asOf))}`];
}
