/**
 * What `tessera budget plan` (budget-plan.ts) reads from the store: each group's size, buyers, revenue and mean CLV
 * in one grouped query, and past campaign sends with who of their people bought within the window after.
 */
import { type Audience, listAudiences, withAudiencePeople } from "../activation/audiences.js";
import { CAMPAIGN_CHANNELS, type CampaignChannel } from "../activation/campaigns.js";
import { PURCHASE_SQL } from "../analytics/summaries.js";
import { isUserError } from "../errors.js";
import { currentMembershipSql } from "../segments/segment-store.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/** One group's figures as the engine gives them. */
export interface GroupFigures {
  readonly key: string;
  readonly name: string;
  readonly channel: CampaignChannel;
  readonly size: number;
  readonly buyers: number;
  readonly revenue: number;
  readonly clvMean: number | null;
}

/** What the figures depend on (budget-plan.ts's options hold them). */
export interface FigureOptions {
  /** Saved segments' members, or audiences' consented people. */
  readonly by: "segment" | "audience";
  /** The channel segments are reached on. */
  readonly channel: CampaignChannel;
  readonly windowDays: number;
  readonly asOf: Date;
  /** The clock: a send counts once its window is over by now. */
  readonly now?: Date;
}

const DAY_S = 86_400;

/** Buyers and their revenue in (asOf − window, asOf]: one row per customer. */
export function buyersSql(engine: Engine, asOf: Date, windowDays: number): Sql {
  const t = engine.dialect.epochSeconds(sql`o.ts`);
  const end = asOf.getTime() / 1000;
  return sql`SELECT o.customer_id AS customer_id, sum(o.total) AS revenue FROM orders o
              WHERE o.customer_id IS NOT NULL AND ${PURCHASE_SQL}
                AND ${t} > ${end - windowDays * DAY_S} AND ${t} <= ${end}
              GROUP BY o.customer_id`;
}

/** Size, buyers, revenue and mean CLV per group of `members` (customer_id, grp). */
async function groupFigures(
  engine: Engine,
  members: Sql,
  opts: FigureOptions,
): Promise<Map<string, Omit<GroupFigures, "name" | "channel" | "key">>> {
  const hasClv = (await engine.tableColumns("customer_clv")).includes("clv");
  const clvJoin = hasClv ? sql`LEFT JOIN customer_clv c ON c.customer_id = m.customer_id` : sql.empty;
  const clv = hasClv ? sql`avg(c.clv)` : sql.raw("NULL");
  const r = await engine.query(
    sql`SELECT m.grp AS grp, count(*) AS size, count(p.customer_id) AS buyers,
               coalesce(sum(p.revenue), 0) AS revenue, ${clv} AS clv_mean
          FROM (${members}) m LEFT JOIN (${buyersSql(engine, opts.asOf, opts.windowDays)}) p
            ON p.customer_id = m.customer_id ${clvJoin}
         GROUP BY m.grp`,
  );
  const out = new Map<string, Omit<GroupFigures, "name" | "channel" | "key">>();
  for (const row of r.rows<Record<string, unknown>>())
    out.set(String(row.grp), {
      size: Number(row.size),
      buyers: Number(row.buyers),
      revenue: Number(row.revenue),
      clvMean: row.clv_mean === null || row.clv_mean === undefined ? null : Number(row.clv_mean),
    });
  return out;
}

/** The groups to plan: saved segments' current members, or audiences' consented people now. */
export async function groups(
  engine: Engine,
  opts: FigureOptions,
  notes: string[],
): Promise<{ groups: GroupFigures[]; audiences: Audience[] }> {
  const audiences = await listAudiences(engine);
  if (opts.by === "segment") {
    const names = await engine.query(
      sql`SELECT DISTINCT segment_id, segment_name FROM (${currentMembershipSql()}) m`,
    );
    const byId = new Map(
      names.rows<{ segment_id: string; segment_name: string }>().map((r) => [r.segment_id, r.segment_name]),
    );
    const all = await engine.query(sql`SELECT segment_id FROM segments ORDER BY segment_id`);
    const figures = await groupFigures(
      engine,
      sql`SELECT customer_id, segment_id AS grp FROM (${currentMembershipSql()}) x`,
      opts,
    );
    const out: GroupFigures[] = [];
    const unevaluated: string[] = [];
    for (const id of all.column("segment_id") as string[]) {
      const f = figures.get(id);
      if (f === undefined) {
        if (!byId.has(id)) unevaluated.push(id);
        continue;
      }
      out.push({ key: id, name: byId.get(id) ?? id, channel: opts.channel, ...f });
    }
    if (unevaluated.length)
      notes.push(`left out (no members at the last refresh, or saved since): ${unevaluated.join(", ")}`);
    return { groups: out, audiences };
  }
  const out: GroupFigures[] = [];
  for (const a of audiences) {
    if (!(CAMPAIGN_CHANNELS as readonly string[]).includes(a.channel)) {
      notes.push(`audience ${a.id} left out: its channel ${a.channel} is not a campaign channel`);
      continue;
    }
    try {
      const f = await withAudiencePeople(engine, a, async (people) =>
        (await groupFigures(engine, sql`SELECT customer_id, 'a' AS grp FROM (${people.sql}) x`, opts)).get(
          "a",
        ),
      );
      out.push({
        key: a.id,
        name: a.name,
        channel: a.channel as CampaignChannel,
        ...(f ?? { size: 0, buyers: 0, revenue: 0, clvMean: null }),
      });
    } catch (e) {
      if (!isUserError(e)) throw e;
      notes.push(`audience ${a.id} left out: ${e.reason}`);
    }
  }
  return { groups: out, audiences };
}

/** One past send of a campaign: its audience and channel, people sent and held out, and who of them bought. */
export interface PastSend {
  readonly audience: string;
  readonly channel: string;
  readonly sent: number;
  readonly converted: number;
  readonly heldOut: number;
  readonly heldOutConverted: number;
}

/**
 * Past campaign sends whose window is over by now: per send, people sent and those who bought within the window
 * after their scheduled time, and the same for the people it held out (`campaign_sends` status `held-out`).
 */
export async function campaignSends(engine: Engine, opts: FigureOptions): Promise<PastSend[]> {
  const d = engine.dialect;
  const w = opts.windowDays * DAY_S;
  const now = (opts.now ?? new Date()).getTime() / 1000;
  const at = d.epochSeconds(sql`s2.scheduled_at`);
  const ot = d.epochSeconds(sql`o.ts`);
  const sent = sql`s.status = 'sent'`;
  const held = sql`s.status = 'held-out'`;
  const r = await engine.query(
    sql`SELECT c.audience_id AS audience_id, s.send_id AS send_id, s.channel AS channel,
               ${d.aggIf("count", [], sent)} AS sent, ${d.aggIf("count", [sql`v.customer_id`], sent)} AS converted,
               ${d.aggIf("count", [], held)} AS held, ${d.aggIf("count", [sql`v.customer_id`], held)} AS held_converted
          FROM campaign_sends s JOIN campaigns c ON c.campaign_id = s.campaign_id
          LEFT JOIN (SELECT DISTINCT s2.send_id AS send_id, s2.customer_id AS customer_id
                       FROM campaign_sends s2 JOIN orders o ON o.customer_id = s2.customer_id
                      WHERE s2.status IN ('sent', 'held-out') AND ${PURCHASE_SQL}
                        AND ${ot} > ${at} AND ${ot} <= ${at} + ${w}) v
            ON v.send_id = s.send_id AND v.customer_id = s.customer_id
         WHERE s.status IN ('sent', 'held-out') AND ${d.epochSeconds(sql`s.scheduled_at`)} + ${w} <= ${now}
         GROUP BY c.audience_id, s.send_id, s.channel
         ORDER BY c.audience_id, s.send_id`,
  );
  return r
    .rows<Record<string, unknown>>()
    .map((x) => ({
      audience: String(x.audience_id),
      channel: String(x.channel),
      sent: Number(x.sent),
      converted: Number(x.converted),
      heldOut: Number(x.held),
      heldOutConverted: Number(x.held_converted),
    }))
    .filter((x) => x.sent > 0);
}
