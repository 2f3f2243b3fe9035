import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/**
 * What counts as a person engaging, and which events are messages and reactions to them on a channel: the one
 * reading of event names that send times (send-times.ts) and channels per segment (channels.ts) share.
 *
 * Message events follow the Segment spec's naming, `<Channel> <Action>` ("Email Sent", "Email Opened", "Push
 * Opened", "SMS Clicked"); the channel is the event's `channel` property when it has one (the synthetic data and
 * most email tools set it), else the name's first word, lower-cased. Names are classified once per query here, in
 * TypeScript, over the store's distinct event names (a few dozen): the per-row filter is then a plain `IN` list.
 */

/** Actions of a message sent to a person (not of the person): not engagement, and what a send is. */
export const SENT_ACTIONS = ["sent", "delivered"] as const;
/** Actions of a message that are not the person's either (a bounce, a failure): not engagement. */
export const OTHER_OUTBOUND_ACTIONS = ["bounced", "failed", "dropped"] as const;
/** A person's reactions to a message: engagement with the channel. */
export const ENGAGED_ACTIONS = ["opened", "clicked", "tapped"] as const;

/** The last word of an event name, lower-cased: its action ("Email Opened" → "opened"). */
function actionOf(name: string): string {
  const words = name.trim().split(/\s+/);
  return words.length > 1 ? (words.at(-1) as string).toLowerCase() : "";
}

/** The store's event names that are messages: sent, reacted to, and every one not of the person's doing. */
export interface MessageEvents {
  readonly sent: readonly string[];
  readonly engaged: readonly string[];
  /** Sent and the other outbound actions: left out of engagement. */
  readonly outbound: readonly string[];
}

/** Classifies the store's distinct event names (see above). */
export async function messageEvents(engine: Engine): Promise<MessageEvents> {
  const r = await engine.query("SELECT DISTINCT event FROM events WHERE event IS NOT NULL");
  const names = (r.column("event") as string[]).sort();
  const has = (list: readonly string[]) => (n: string) => list.includes(actionOf(n));
  return {
    sent: names.filter(has(SENT_ACTIONS)),
    engaged: names.filter(has(ENGAGED_ACTIONS)),
    outbound: names.filter(has([...SENT_ACTIONS, ...OTHER_OUTBOUND_ACTIONS])),
  };
}

/** SQL: is `expr` one of `values` (bound)? False for none. */
export function inList(expr: Sql, values: readonly string[]): Sql {
  return values.length === 0 ? sql`false` : sql`(${expr} IN (${sql.join(values)}))`;
}

/**
 * A time as a bound timestamp (UTC text, as the engines read it). A constant the engine folds: built from a bound
 * number instead, DuckDB recomputed it for each row compared (measured: +0.3 s over 1.7M events).
 */
export function timeAt(_engine: Engine, ms: number): Sql {
  return sql.param(new Date(ms).toISOString().replace("T", " ").replace("Z", ""), "timestamp");
}

/** An event name's first word, lower-cased: the channel its name says ("Push Notification Tapped" → "push"). */
const nameChannel = (name: string): string => (name.trim().split(/\s+/)[0] as string).toLowerCase();

/**
 * SQL: the channel of a message event (`e` an events row, its name one of `names`): the name's first word when it
 * is one of `channels` ("Email Opened" is email), else the event's `channel` property ("Message Opened" with
 * `"channel": "sms"`), else that first word anyway. Which names say their channel is worked out here, once: the
 * properties are read only when some name does not (reading them cost five times the rest of the scan).
 */
export function eventChannelSql(
  engine: Engine,
  e: string,
  names: readonly string[],
  channels: readonly string[],
): Sql {
  const prop = engine.dialect.jsonText(sql.raw(`${e}.properties`), "channel");
  const fromProperty = sql`lower(trim(coalesce(nullif(trim(${prop}), ''), ${nameCase(e, names)})))`;
  const named = names.filter((n) => channels.includes(nameChannel(n)));
  if (named.length === 0) return fromProperty;
  // Not even named in an untaken branch: DuckDB reads the properties column of every row a query mentions it for.
  if (named.length === names.length) return nameCase(e, named);
  return sql`CASE WHEN ${inList(sql.raw(`${e}.event`), named)} THEN ${nameCase(e, named)} ELSE ${fromProperty} END`;
}

/** SQL: the first word of the name of `e`'s event, one of `names` (NULL for another). */
function nameCase(e: string, names: readonly string[]): Sql {
  if (names.length === 0) return sql`NULL`;
  return sql`CASE ${sql.raw(`${e}.event`)} ${sql.join(
    names.map((n) => sql`WHEN ${n} THEN ${nameChannel(n)}`),
    " ",
  )} END`;
}

/**
 * SQL selecting (customer_id, ts): every engagement of customers (of `who`, a query selecting ids; all when null)
 * before `before` — their track, page and screen events that are not messages sent to them (nor bounces:
 * `outbound`), and their orders. Identify, group and alias calls are identity bookkeeping, not engagement.
 */
export function engagementsSql(opts: { who: Sql | null; before: Sql; outbound: readonly string[] }): Sql {
  const scope = (t: string) => (opts.who ? sql` AND ${sql.raw(t)}.customer_id IN (${opts.who})` : sql.empty);
  return sql`SELECT e.customer_id AS customer_id, e.ts AS ts FROM events e
              WHERE e.customer_id IS NOT NULL AND e.type IN ('track', 'page', 'screen')
                AND e.ts < ${opts.before} AND NOT coalesce(${inList(sql`e.event`, opts.outbound)}, false)${scope("e")}
             UNION ALL
             SELECT o.customer_id AS customer_id, o.ts AS ts FROM orders o
              WHERE o.customer_id IS NOT NULL AND o.ts < ${opts.before}${scope("o")}`;
}
