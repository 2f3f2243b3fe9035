/**
 * ISO 8601 dates and times as users write them: a date alone is its midnight UTC, a time without an offset is
 * UTC. Returns null for anything else, including impossible days (Date.parse would roll 2024-02-30 over to
 * March 1).
 */
export function parseIsoTime(value: string): Date | null {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const iso = dateOnly ? `${value}T00:00:00Z` : value;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(d.getTime())) return null;
  // The day as written must exist, with a time of day too ("2024-02-30T10:00" is no time, not March 1st).
  const day = /^\d{4}-\d{2}-\d{2}/.exec(value)?.[0];
  if (day !== undefined && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) return null;
  return d;
}
