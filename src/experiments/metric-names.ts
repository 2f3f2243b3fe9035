/**
 * The data an experiment's metrics name (src/experiments/metrics.ts): every event and campaign must be in the data
 * (checked here, where it can be), and which event names are clicks (click-through metrics).
 */
import { ENGAGED_ACTIONS } from "../activation/engagement.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { eventNames, type MetricSpec } from "./metric-spec.js";

/** The actions that are a click: those of engagement (src/activation/engagement.ts) but an open. */
const CLICK_ACTIONS: readonly string[] = ENGAGED_ACTIONS.filter((a) => a !== "opened");

/** Every event name and campaign the metrics name must be in the data (it can only be checked here). */
export async function checkNames(engine: Engine, metrics: readonly MetricSpec[]): Promise<void> {
  const names = eventNames(metrics);
  if (names.length > 0) {
    const r = await engine.query(sql`SELECT DISTINCT event FROM events WHERE event IN (${sql.join(names)})`);
    const found = new Set(r.column("event") as string[]);
    for (const name of names) {
      if (found.has(name)) continue;
      const m = metrics.find((x) =>
        [x.numerator, x.denominator].some((y) => y?.kind === "events" && y.event === name),
      );
      throw new UserError(
        "metric-unknown-event",
        `metric "${m?.text}": no event named "${name}" in the data (names are matched exactly, case included)`,
        "metrics",
      );
    }
  }
  const campaigns = [...new Set(metrics.flatMap((m) => campaignsOf(m)))];
  if (campaigns.length > 0) {
    const r = await engine.query(
      sql`SELECT DISTINCT campaign_id FROM campaign_sends WHERE campaign_id IN (${sql.join(campaigns)})`,
    );
    const found = new Set(r.column("campaign_id") as string[]);
    for (const c of campaigns) {
      if (found.has(c)) continue;
      const m = metrics.find((x) => campaignsOf(x).includes(c));
      throw new UserError(
        "metric-unknown-campaign",
        `metric "${m?.text}": campaign "${c}" has no sends`,
        "metrics",
      );
    }
  }
}

function campaignsOf(m: MetricSpec): string[] {
  return [m.numerator, m.denominator].flatMap((x) =>
    x?.kind === "sends" || x?.kind === "clicks" ? [x.campaign] : [],
  );
}

export async function clickEventNames(engine: Engine, metrics: readonly MetricSpec[]): Promise<string[]> {
  if (!metrics.some((m) => [m.numerator, m.denominator].some((x) => x?.kind === "clicks"))) return [];
  const r = await engine.query("SELECT DISTINCT event FROM events WHERE event IS NOT NULL");
  return (r.column("event") as string[]).filter((n) => {
    const words = n.trim().split(/\s+/);
    return words.length > 1 && CLICK_ACTIONS.includes((words.at(-1) as string).toLowerCase());
  });
}
