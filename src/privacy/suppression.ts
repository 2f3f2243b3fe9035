import { z } from "zod";
import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql, tsParam } from "../store/sql.js";

/**
 * The suppression list (issue 17, item 1): people who must not be reached for any purpose — unsubscribed, or
 * asked not to be contacted — on every channel or on one. It overrides consent: the consent gate leaves them out
 * whatever the consent ledger says. Erased people leave the store altogether (erasure), so they need no entry.
 *
 * Kept as a ledger like consents (`suppressions`, migration 12): suppressing and lifting append a record each,
 * so the list's history stays readable; for each person and scope (every channel, or one) the latest record
 * decides, and a suppression at the same instant as a lifting wins (privacy first, as a denial beats a grant).
 */

export const SUPPRESSION_REASONS = ["unsubscribed", "do-not-contact"] as const;
export const SuppressionReasonSchema = z.enum(SUPPRESSION_REASONS, {
  error: `expected one of ${SUPPRESSION_REASONS.join(", ")}`,
});
export type SuppressionReason = z.output<typeof SuppressionReasonSchema>;

/** One scope in which a person is suppressed now. */
export interface Suppression {
  readonly customerId: string;
  /** null: every channel. */
  readonly channel: string | null;
  readonly reason: string;
  readonly since: string;
  readonly by: string;
}

/**
 * Per person and scope, whether the latest record is a suppression: the rows (customer_id, channel, since) in
 * force, over the records `where` keeps.
 */
function inForceSql(d: Dialect, where: Sql): Sql {
  const last = (action: string) => d.aggIf("max", [sql`s.recorded_at`], sql`s.action = ${action}`);
  return sql`SELECT s.customer_id AS customer_id, s.channel AS channel, ${last("suppress")} AS since
               FROM suppressions s WHERE ${where}
              GROUP BY s.customer_id, s.channel
             HAVING ${last("suppress")} IS NOT NULL
                AND (${last("unsuppress")} IS NULL OR ${last("suppress")} >= ${last("unsuppress")})`;
}

/** The ids of the people suppressed on `channel` now (suppressed on every channel, or on that one). */
export function suppressedSql(d: Dialect, channel: string): Sql {
  return sql`SELECT customer_id FROM (${inForceSql(d, sql`(s.channel IS NULL OR s.channel = ${sql.param(channel, "string")})`)}) x`;
}

/** A record's time: now, unless given (tests, replays). */
function timeOf(engine: Engine, at: Date | undefined): Sql {
  return at ? tsParam(at) : engine.dialect.now();
}

/** Appends a suppression of a person on every channel (`channel` null) or one. */
export async function suppress(
  engine: Engine,
  entry: { customerId: string; channel: string | null; reason: SuppressionReason; by: string; at?: Date },
): Promise<void> {
  await engine.run(
    sql`INSERT INTO suppressions (customer_id, channel, action, reason, recorded_at, recorded_by)
        VALUES (${entry.customerId}, ${sql.param(entry.channel, "string")}, 'suppress', ${entry.reason},
                ${timeOf(engine, entry.at)}, ${entry.by})`,
  );
}

/**
 * Lifts a person's suppressions in force (every scope, or only `channel`'s) by appending a lifting for each;
 * returns the scopes lifted (none when nothing was in force: nothing is written).
 */
export async function unsuppress(
  engine: Engine,
  entry: { customerId: string; channel?: string | null; by: string; at?: Date },
): Promise<Suppression[]> {
  const lifted = (await suppressionsInForce(engine, entry.customerId)).filter(
    (s) => entry.channel === undefined || entry.channel === null || s.channel === entry.channel,
  );
  for (const s of lifted)
    await engine.run(
      sql`INSERT INTO suppressions (customer_id, channel, action, reason, recorded_at, recorded_by)
          VALUES (${s.customerId}, ${sql.param(s.channel, "string")}, 'unsuppress', ${sql.param(null, "string")},
                  ${timeOf(engine, entry.at)}, ${entry.by})`,
    );
  return lifted;
}

/** The suppressions in force now (of one person, or everyone's), by person then scope (every channel first). */
export async function suppressionsInForce(engine: Engine, customerId?: string): Promise<Suppression[]> {
  const d = engine.dialect;
  const where = customerId === undefined ? sql`true` : sql`s.customer_id = ${customerId}`;
  // The reason and author of the suppression in force: its own record, found by its time.
  const r = await engine.query(
    sql`SELECT f.customer_id AS customer_id, f.channel AS channel, f.since AS since,
               max(s.reason) AS reason, max(s.recorded_by) AS recorded_by
          FROM (${inForceSql(d, where)}) f
          JOIN suppressions s ON s.customer_id = f.customer_id AND s.recorded_at = f.since AND s.action = 'suppress'
               AND coalesce(s.channel, '') = coalesce(f.channel, '')
         GROUP BY f.customer_id, f.channel, f.since
         ORDER BY f.customer_id, coalesce(f.channel, '')`,
  );
  return r
    .rows<{ customer_id: string; channel: string | null; since: Date; reason: string; recorded_by: string }>()
    .map((x) => ({
      customerId: x.customer_id,
      channel: x.channel,
      reason: x.reason,
      since: x.since.toISOString(),
      by: x.recorded_by,
    }));
}
