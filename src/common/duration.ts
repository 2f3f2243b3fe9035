/**
 * Durations as the segment language and clustering features write them ("30d", "6w", "3m", "1y"), and the
 * instant a duration before a time: days and weeks are exact, months and years are calendar months.
 */

export type Unit = "d" | "w" | "m" | "y";

const RELATIVE = /^(-?)([0-9]+)([dwmy])$/;

/**
 * The longest duration of each unit: 1,000 years. Longer ones reach back before any data (and past the dates an
 * engine holds: ClickHouse's times start in 1900, JavaScript's end 275,000 years out), so they are refused with
 * this limit named rather than failing inside the engine.
 */
export const MAX_DURATION: Readonly<Record<Unit, number>> = { d: 365_000, w: 52_000, m: 12_000, y: 1_000 };

const LIMITS_TEXT = `at most 1,000 years (${Object.entries(MAX_DURATION)
  .map(([u, n]) => `${n}${u}`)
  .join(", ")})`;

/** Parses a duration like "30d", "6m"; returns an error message for anything else, saying what is wrong. */
export function parseDuration(text: string): { n: number; unit: Unit } | string {
  const m = RELATIVE.exec(text);
  if (!m) return `"${text}" is not a duration: expected <n>d, <n>w, <n>m or <n>y (e.g. "30d")`;
  const [, sign, digits, unit] = m as unknown as [string, string, string, Unit];
  const n = Number(digits);
  if (sign === "-")
    return `duration "${text}" is negative: durations count back from the as-of time (e.g. "30d")`;
  if (n === 0) return `duration "${text}" is empty: it is at least 1${unit}`;
  if (n > MAX_DURATION[unit]) return `duration "${text}" is out of range: a duration is ${LIMITS_TEXT}`;
  return { n, unit };
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
