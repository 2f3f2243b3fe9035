/**
 * Fast UTC timestamp formatting from epoch seconds.
 *
 * The generator formats tens of millions of timestamps; `new Date(ms).toISOString()` per value
 * allocates an object and a string with milliseconds we would strip again. Here the date part
 * is computed once per day (civil-from-days, H. Hinnant) and cached, and the time part is
 * assembled from a table of two-digit strings.
 */

/** Seconds in a day and in a week (the BG/NBD time unit). */
export const SECONDS_PER_DAY = 86_400;
/** Seconds in a week. */
export const SECONDS_PER_WEEK = 604_800;

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** "YYYY-MM-DD" for a count of days since 1970-01-01 (proleptic Gregorian, any sign). */
export function civilDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const year = y >= 0 && y < 10_000 ? String(y).padStart(4, "0") : String(y);
  return `${year}-${TWO_DIGITS[m]}-${TWO_DIGITS[d]}`;
}

/** Days since 1970-01-01 for a civil date (inverse of civilDate). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Epoch seconds of midnight UTC of an ISO date "YYYY-MM-DD"; throws on anything else. */
export function parseIsoDate(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (m === null) throw new Error(`invalid ISO date "${iso}" (expected YYYY-MM-DD)`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const days = daysFromCivil(y, mo, d);
  if (civilDate(days) !== iso) throw new Error(`invalid ISO date "${iso}" (no such day)`);
  return days * SECONDS_PER_DAY;
}

/**
 * Formats epoch seconds (fractions truncated) as ISO 8601 UTC, e.g. "2026-03-01T14:05:09Z".
 * Caches the date prefix of recently seen days: generated timestamps cluster in one period.
 */
export class TimestampFormatter {
  private readonly prefixes = new Map<number, string>();

  /** Full timestamp "YYYY-MM-DDTHH:MM:SSZ". */
  iso(epochSeconds: number): string {
    const s = Math.floor(epochSeconds);
    const day = Math.floor(s / SECONDS_PER_DAY);
    let sec = s - day * SECONDS_PER_DAY;
    const h = Math.floor(sec / 3600);
    sec -= h * 3600;
    const min = Math.floor(sec / 60);
    sec -= min * 60;
    return `${this.prefix(day)}${TWO_DIGITS[h]}:${TWO_DIGITS[min]}:${TWO_DIGITS[sec]}Z`;
  }

  /** Date only, "YYYY-MM-DD". */
  date(epochSeconds: number): string {
    return civilDate(Math.floor(Math.floor(epochSeconds) / SECONDS_PER_DAY));
  }

  private prefix(day: number): string {
    let p = this.prefixes.get(day);
    if (p === undefined) {
      // Bounded: a generation run spans a few hundred days; clearing keeps odd inputs harmless.
      if (this.prefixes.size > 10_000) this.prefixes.clear();
      p = `${civilDate(day)}T`;
      this.prefixes.set(day, p);
    }
    return p;
  }
}
