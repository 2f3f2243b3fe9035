import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/** A value's share in a group, and its lift: that share over the value's share in the whole base. */
export interface Preference {
  readonly value: string;
  readonly share: number;
  readonly lift: number;
}

/** One group's distribution over values, with its base distribution for lifts. */
export type Distributions = Map<string, Preference[]>;

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/**
 * Shares of a value per group and in the base, from one grouped query (`rows` yields grp, value, weight).
 * The base is every customer of the population (grp NULL included).
 */
function distributions(rows: { grp: string | null; v: string; w: number }[]): Distributions {
  const baseTotals = new Map<string, number>();
  let base = 0;
  const byGroup = new Map<string, Map<string, number>>();
  for (const r of rows) {
    baseTotals.set(r.v, (baseTotals.get(r.v) ?? 0) + r.w);
    base += r.w;
    if (r.grp === null) continue;
    const g = byGroup.get(r.grp) ?? new Map<string, number>();
    g.set(r.v, (g.get(r.v) ?? 0) + r.w);
    byGroup.set(r.grp, g);
  }
  const out: Distributions = new Map();
  for (const [grp, values] of byGroup) {
    let total = 0;
    for (const w of values.values()) total += w;
    const prefs = [...values].map(([value, w]) => {
      const share = w / total;
      const baseShare = (baseTotals.get(value) ?? 0) / base;
      return { value, share: round(share), lift: round(baseShare > 0 ? share / baseShare : 0, 2) };
    });
    out.set(
      grp,
      prefs.sort((a, b) => b.share - a.share || (a.value < b.value ? -1 : 1)),
    );
  }
  return out;
}

/** Population filter shared with feature extraction: identified customers unless anonymous ones are included. */
function population(includeAnonymous: boolean, alias: Sql): Sql {
  if (includeAnonymous) return sql.empty;
  return sql` AND EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = ${alias}.customer_id AND i.kind <> ${sql.param("anonymous_id", "string")})`;
}

export interface GroupProfiles {
  /** Product categories by share of the group's spend (order lines). */
  readonly categories: Distributions;
  /** Channels and devices by share of the group's activity events. */
  readonly channels: Distributions;
  readonly devices: Distributions;
  /** Share of activity per hour of day (UTC), "0".."23". */
  readonly hours: Distributions;
}

/**
 * The behaviour profile of every group, aggregated in the engine: spend per category, activity per channel,
 * device and hour. `groups` is a session temporary table (`sql.temp`) of (customer_id, grp).
 */
export async function groupProfiles(
  engine: Engine,
  groups: string,
  opts: { asOf: Date; includeAnonymous: boolean },
): Promise<GroupProfiles> {
  const d = engine.dialect;
  const raw = sql.raw;
  const g = sql.temp(groups);
  const asOf = () => sql.param(ts(opts.asOf), "timestamp");
  const grp = d.toText(raw("g.grp"));
  const categories = await engine.query(
    sql`SELECT ${grp} AS grp, i.category AS v, sum(i.quantity * i.unit_price) AS w
       FROM order_items i LEFT JOIN ${g} g ON g.customer_id = i.customer_id
      WHERE i.customer_id IS NOT NULL AND i.category IS NOT NULL AND i.quantity > 0 AND i.ts <= ${asOf()}
            ${population(opts.includeAnonymous, raw("i"))}
      GROUP BY ${grp}, i.category`,
  );
  // One pass over the activity events for the three distributions (GROUPING tells the sets apart).
  const [device, channel] = [raw("device"), raw("channel")];
  const kind = sql`CASE WHEN ${d.groupingOf(device)} = 0 THEN 'device' WHEN ${d.groupingOf(channel)} = 0 THEN 'channel' ELSE 'hour' END`;
  const value = sql`CASE WHEN ${d.groupingOf(device)} = 0 THEN device WHEN ${d.groupingOf(channel)} = 0 THEN channel ELSE hour END`;
  const activity = await engine.query(
    sql`SELECT grp, ${kind} AS kind, ${value} AS v, count(*) AS w
       FROM (SELECT ${grp} AS grp, ${d.jsonText(raw("e.properties"), "device")} AS device,
                    ${d.jsonText(raw("e.properties"), "channel")} AS channel, ${d.toText(d.hourOf(raw("e.ts")))} AS hour
               FROM events e LEFT JOIN ${g} g ON g.customer_id = e.customer_id
              WHERE e.customer_id IS NOT NULL AND e.ts <= ${asOf()}
                    ${population(opts.includeAnonymous, raw("e"))}) a
      WHERE device IS NOT NULL
      GROUP BY GROUPING SETS ((grp, device), (grp, channel), (grp, hour))`,
  );
  const rows = activity
    .rows<{ grp: string | null; kind: string; v: string | null; w: number }>()
    .filter((r): r is { grp: string | null; kind: string; v: string; w: number } => r.v !== null);
  const of = (kind: string) =>
    distributions(rows.filter((r) => r.kind === kind).map((r) => ({ ...r, w: Number(r.w) })));
  return {
    categories: distributions(
      categories.rows<{ grp: string | null; v: string; w: number }>().map((r) => ({ ...r, w: Number(r.w) })),
    ),
    channels: of("channel"),
    devices: of("device"),
    hours: of("hour"),
  };
}
