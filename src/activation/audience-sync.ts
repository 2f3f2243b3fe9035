import { recordSensitiveAction } from "../privacy/audit-log.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type Audience, audienceNamed, withAudiencePeople } from "./audiences.js";
import { newMessageId } from "./webhook-signing.js";

/**
 * Syncs (issue 18, item 2): for each audience attached to a destination, who entered and who left since the
 * destination was last told — the audience's people now (`withAudiencePeople`: its segments' current members who pass
 * the consent gate) against `destination_members` (what it was told), in SQL. The difference is recorded as
 * deliveries in the outbox (deliveries.ts sends them) and `destination_members` becomes the audience now, in one
 * transaction and before anything is sent: a crash leaves either both or neither, and nothing is computed twice.
 * Someone who withdrew consent leaves the audience, so they are among the exited of the next sync and never entered.
 */

/** At most this many people (entered and exited) in one delivery: a larger difference goes as several, in order. */
export const DELIVERY_PEOPLE_LIMIT = 10_000;

/** What one sync of one audience to one destination recorded. */
export interface RecordedSync {
  readonly destination: string;
  readonly audience: string;
  /** The deliveries recorded (their webhook-ids), in the order they are to be sent. */
  readonly deliveries: readonly string[];
  readonly entered: number;
  readonly exited: number;
}

const DELTA = sql.temp("_sync_delta");

/**
 * Records the deliveries that bring each destination (all, or `destination`) up to date with its audiences now. An
 * audience with no change records nothing. Each change of a destination's view is recorded in the audit log (ids
 * leave Tessera: who set it off, the audience, its purpose and channel, how many people).
 */
export async function recordSyncs(
  engine: Engine,
  opts: { who: string; destination?: string; limit?: number; now?: Date },
): Promise<RecordedSync[]> {
  const where = opts.destination === undefined ? sql.empty : sql`WHERE destination_id = ${opts.destination}`;
  const r = await engine.query(
    sql`SELECT destination_id, audience_id FROM destination_audiences ${where}
        ORDER BY audience_id, destination_id`,
  );
  const byAudience = new Map<string, string[]>();
  for (const row of r.rows<{ destination_id: string; audience_id: string }>())
    byAudience.set(row.audience_id, [...(byAudience.get(row.audience_id) ?? []), row.destination_id]);
  const out: RecordedSync[] = [];
  // The audience's people are computed once for all the destinations that receive it.
  for (const [audienceId, destinations] of byAudience) {
    const audience = await audienceNamed(engine, audienceId);
    await withAudiencePeople(engine, audience, async (people) => {
      for (const destination of destinations) {
        const done = await recordOne(engine, destination, audience, people.sql, opts);
        if (done) out.push(done);
      }
    });
  }
  return out;
}

async function recordOne(
  engine: Engine,
  destination: string,
  audience: Audience,
  now: Sql,
  opts: { who: string; limit?: number; now?: Date },
): Promise<RecordedSync | null> {
  const d = engine.dialect;
  const limit = opts.limit ?? DELIVERY_PEOPLE_LIMIT;
  const at = opts.now ?? new Date();
  const pair = sql`destination_id = ${destination} AND audience_id = ${audience.id}`;
  const told = sql`SELECT customer_id FROM destination_members WHERE ${pair}`;
  // Entered first, then exited, each by id: `rn` cuts them into deliveries of at most `limit` people.
  await engine.run(
    d.createTempAs(
      "_sync_delta",
      sql`SELECT customer_id, change, row_number() OVER (ORDER BY change, customer_id) AS rn FROM (
            SELECT p.customer_id AS customer_id, 'entered' AS change FROM (${now}) p
             WHERE p.customer_id NOT IN (${told})
            UNION ALL
            SELECT m.customer_id AS customer_id, 'exited' AS change FROM destination_members m
             WHERE m.destination_id = ${destination} AND m.audience_id = ${audience.id}
               AND m.customer_id NOT IN (${now})) x`,
    ),
  );
  try {
    const counts = await engine.query(sql`SELECT change, count(*) AS n FROM ${DELTA} GROUP BY change`);
    const n = new Map(counts.rows<{ change: string; n: unknown }>().map((c) => [c.change, Number(c.n)]));
    const entered = n.get("entered") ?? 0;
    const exited = n.get("exited") ?? 0;
    const total = entered + exited;
    if (total === 0) return null;
    const last = await engine.query(
      sql`SELECT coalesce(max(sequence), 0) AS s FROM deliveries WHERE ${pair}`,
    );
    const sequence = Number(last.column("s")[0]);
    const ids: string[] = [];
    // Without transactions (ClickHouse) the order keeps a crash harmless: the people, then the deliveries (so none
    // is sent without its people), then what the destination was told (a crash before it records the same
    // difference again at the next sync: sent twice, which a receiver applying entered and exited does not notice).
    await engine.transaction(async () => {
      for (let part = 0, lo = 0; lo < total; part++, lo += limit) {
        const hi = Math.min(total, lo + limit);
        const id = newMessageId(at.getTime());
        ids.push(id);
        const inPart = Math.max(0, Math.min(hi, entered) - lo);
        await engine.run(
          sql`INSERT INTO delivery_people (delivery_id, customer_id, change)
              SELECT ${id}, customer_id, change FROM ${DELTA}
               WHERE rn > ${sql.param(lo, "integer")} AND rn <= ${sql.param(hi, "integer")}`,
        );
        await engine.run(
          sql`INSERT INTO deliveries (delivery_id, destination_id, audience_id, kind, entered, exited, status, attempts,
                                      next_attempt_at, last_status, last_error, created_at, delivered_at, sequence)
              VALUES (${id}, ${destination}, ${audience.id}, 'audience-sync', ${sql.param(inPart, "integer")},
                      ${sql.param(hi - lo - inPart, "integer")}, 'pending', ${sql.param(0, "integer")}, ${at},
                      ${sql.param(null, "integer")}, ${sql.param(null, "string")}, ${at},
                      ${sql.param(null, "timestamp")}, ${sql.param(sequence + part + 1, "integer")})`,
        );
      }
      if (exited > 0)
        await engine.run(
          d.deleteWhere(
            "destination_members",
            sql`${pair} AND customer_id IN (SELECT customer_id FROM ${DELTA} WHERE change = 'exited')`,
          ),
        );
      if (entered > 0)
        await engine.run(
          sql`INSERT INTO destination_members (destination_id, audience_id, customer_id, since)
              SELECT ${destination}, ${audience.id}, customer_id, ${at} FROM ${DELTA} WHERE change = 'entered'`,
        );
      await recordSensitiveAction(engine, {
        who: opts.who,
        action: "destination.sync",
        subject: `destination=${destination} audience=${audience.id} channel=${audience.channel}`,
        purpose: audience.purpose,
        people: total,
      });
    });
    return { destination, audience: audience.id, deliveries: ids, entered, exited };
  } finally {
    await engine.run(sql`DROP TABLE IF EXISTS ${DELTA}`);
  }
}
