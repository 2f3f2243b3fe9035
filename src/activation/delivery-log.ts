import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * The record of webhook deliveries as `destination deliveries` and `destination list` show it: each delivery (its
 * webhook-id, status, attempts, last answer, people entered and exited, or a campaign's messages) and, per
 * destination, how they stand. The outbox that sends them is deliveries.ts.
 */

export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled";

/** A delivery as `destination deliveries` lists it. */
export interface Delivery {
  /** Its `webhook-id`. */
  readonly id: string;
  readonly destination: string;
  /** `audience-sync` (an audience's changes) or `campaign-send` (a campaign's messages). */
  readonly kind: string;
  /** The audience whose changes it carries; null for a campaign's messages. */
  readonly audience: string | null;
  /** Its place in its audience's deliveries, or its batch number in a campaign's send. */
  readonly sequence: number;
  /** A campaign's messages: the campaign and send, the messages recorded and those withheld when it was sent. */
  readonly campaign: string | null;
  readonly sendId: string | null;
  readonly messages: number | null;
  readonly withheld: number | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly entered: number;
  readonly exited: number;
  readonly createdAt: string;
  /** When it is tried next (pending ones). */
  readonly nextAttemptAt: string | null;
  readonly deliveredAt: string | null;
  /** The HTTP status of the last attempt, when an answer came. */
  readonly lastStatus: number | null;
  /** Why the last attempt failed (or why it was never sent). */
  readonly lastError: string | null;
}

/** A stored time as ISO text (null stays null). */
export const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : (v instanceof Date ? v : new Date(String(v))).toISOString();
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function deliveryOf(r: Record<string, unknown>): Delivery {
  return {
    id: r.delivery_id as string,
    destination: r.destination_id as string,
    kind: r.kind as string,
    audience: (r.audience_id as string | null) ?? null,
    sequence: Number(r.sequence),
    campaign: (r.campaign_id as string | null) ?? null,
    sendId: (r.send_id as string | null) ?? null,
    messages: num(r.messages),
    withheld: num(r.withheld),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    entered: Number(r.entered),
    exited: Number(r.exited),
    createdAt: iso(r.created_at) as string,
    nextAttemptAt: r.status === "pending" ? iso(r.next_attempt_at) : null,
    deliveredAt: iso(r.delivered_at),
    lastStatus: num(r.last_status),
    lastError: (r.last_error as string | null) ?? null,
  };
}

const DELIVERY_COLUMNS = sql`delivery_id, destination_id, kind, audience_id, sequence, campaign_id, send_id, messages,
  withheld, status, attempts, entered, exited, created_at, next_attempt_at, delivered_at, last_status, last_error`;

/** A destination's deliveries, newest first (at most `limit`, of one status when asked). */
export async function listDeliveries(
  engine: Engine,
  destination: string,
  opts: { limit?: number; status?: DeliveryStatus } = {},
): Promise<Delivery[]> {
  const status = opts.status ? sql` AND status = ${opts.status}` : sql.empty;
  const r = await engine.query(
    sql`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE destination_id = ${destination}${status}
        ORDER BY created_at DESC, sequence DESC, delivery_id DESC
        LIMIT ${sql.param(Math.floor(opts.limit ?? 100), "integer")}`,
  );
  return r.rows<Record<string, unknown>>().map(deliveryOf);
}

/** Per destination: how many deliveries are pending, delivered, failed; the last one delivered. */
export interface DeliveryCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly lastDeliveredAt: string | null;
}

export async function deliveryCounts(engine: Engine): Promise<Map<string, DeliveryCounts>> {
  const d = engine.dialect;
  const r = await engine.query(
    sql`SELECT destination_id,
               ${d.aggIf("count", [], sql`status = 'pending'`)} AS pending,
               ${d.aggIf("count", [], sql`status = 'delivered'`)} AS delivered,
               ${d.aggIf("count", [], sql`status = 'failed'`)} AS failed,
               max(delivered_at) AS last
          FROM deliveries GROUP BY destination_id`,
  );
  return new Map(
    r.rows<Record<string, unknown>>().map((row) => [
      row.destination_id as string,
      {
        pending: Number(row.pending),
        delivered: Number(row.delivered),
        failed: Number(row.failed),
        lastDeliveredAt: iso(row.last),
      },
    ]),
  );
}
