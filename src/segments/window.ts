import type { Binder } from "./binder.js";
import type { Window } from "./definition.js";

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");

export type Unit = "d" | "w" | "m" | "y";

/** A window resolved: relative to the as-of time, or an absolute range [from, to + 1 day). */
export type ResolvedWindow =
  | { readonly kind: "relative"; readonly n: number; readonly unit: Unit }
  | { readonly kind: "absolute"; readonly from: string; readonly to: string };

const RELATIVE = /^([1-9][0-9]{0,5})([dwmy])$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses a duration like "30d", "6m"; returns an error message for anything else. */
export function parseDuration(text: string): { n: number; unit: Unit } | string {
  const m = RELATIVE.exec(text);
  if (!m)
    return `"${text}" is not a duration: expected <n>d, <n>w, <n>m or <n>y with n from 1 to 999999 (e.g. "30d")`;
  return { n: Number(m[1]), unit: m[2] as Unit };
}

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
  if (w.kind === "absolute") return new Date(`${w.from}T00:00:00Z`);
  const d = new Date(asOf.getTime());
  switch (w.unit) {
    case "d":
      d.setUTCDate(d.getUTCDate() - w.n);
      return d;
    case "w":
      d.setUTCDate(d.getUTCDate() - 7 * w.n);
      return d;
    case "m":
      return addMonthsClamped(asOf, -w.n);
    case "y":
      return addMonthsClamped(asOf, -12 * w.n);
  }
}

/** Calendar month arithmetic that clamps to the month's last day (Mar 31 − 1 month = Feb 29), as SQL engines do. */
export function addMonthsClamped(t: Date, months: number): Date {
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() + months;
  const targetY = y + Math.floor(m / 12);
  const targetM = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetY, targetM + 1, 0)).getUTCDate();
  const day = Math.min(t.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(
      targetY,
      targetM,
      day,
      t.getUTCHours(),
      t.getUTCMinutes(),
      t.getUTCSeconds(),
      t.getUTCMilliseconds(),
    ),
  );
}

/** A window's tests on a time column at an as-of time (none without a window). */
export function windowTests(b: Binder, w: ResolvedWindow | undefined, column: string, asOf: Date): string[] {
  if (!w) return [];
  if (w.kind === "absolute") {
    const end = new Date(`${w.to}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    return [
      `${column} >= ${b.bind(`${w.from} 00:00:00`, "timestamp")}`,
      `${column} < ${b.bind(ts(end), "timestamp")}`,
    ];
  }
  return [`${column} > ${b.bind(ts(windowStart(w, asOf)), "timestamp")}`];
}
