/**
 * Durations as the segment language and clustering features write them ("30d", "6w", "3m", "1y"), and the
 * instant a duration before a time: days and weeks are exact, months and years are calendar months.
 */

export type Unit = "d" | "w" | "m" | "y";

const RELATIVE = /^([1-9][0-9]{0,5})([dwmy])$/;

/** Parses a duration like "30d", "6m"; returns an error message for anything else. */
export function parseDuration(text: string): { n: number; unit: Unit } | string {
  const m = RELATIVE.exec(text);
  if (!m)
    return `"${text}" is not a duration: expected <n>d, <n>w, <n>m or <n>y with n from 1 to 999999 (e.g. "30d")`;
  return { n: Number(m[1]), unit: m[2] as Unit };
}

/** The instant `n` units before `asOf` (months clamp to the month's last day, as SQL engines do). */
export function durationBefore(dur: { readonly n: number; readonly unit: Unit }, asOf: Date): Date {
  const d = new Date(asOf.getTime());
  switch (dur.unit) {
    case "d":
      d.setUTCDate(d.getUTCDate() - dur.n);
      return d;
    case "w":
      d.setUTCDate(d.getUTCDate() - 7 * dur.n);
      return d;
    case "m":
      return addMonthsClamped(asOf, -dur.n);
    case "y":
      return addMonthsClamped(asOf, -12 * dur.n);
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
