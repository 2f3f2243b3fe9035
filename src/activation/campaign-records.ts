import { gated, reportMinGroup, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * What `campaign_sends` holds about a campaign's sends (issue 18, item 3): each person's outcome in each send,
 * and each send's counts through the k-gate.
 */

/**
 * A person's outcome in a send. Sent to a webhook destination, `sent` becomes `withheld` when their consent was
 * withdrawn before the delivery, `undelivered` when it failed for good or was cancelled (campaign-outbox.ts).
 */
export const SEND_STATUSES = [
  "sent",
  "held-out",
  // In the global holdout (src/experiments/global-holdout.ts): out of every campaign.
  "global-holdout",
  "capped",
  "unreachable",
  "withheld",
  "undelivered",
] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** One person's record in a send. */
export interface SendRecord {
  readonly sendId: string;
  readonly customerId: string;
  readonly status: SendStatus;
  readonly offer: string | null;
  readonly scheduledAt: string | null;
  readonly sentAt: string;
}

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : (v instanceof Date ? v : new Date(String(v))).toISOString();

/** Who got what: a campaign's records, by send then customer, optionally of one send or one status. */
export async function campaignSends(
  engine: Engine,
  campaignId: string,
  opts: { sendId?: string; status?: SendStatus; limit?: number },
): Promise<SendRecord[]> {
  const where = [
    sql`campaign_id = ${campaignId}`,
    ...(opts.sendId ? [sql`send_id = ${opts.sendId}`] : []),
    ...(opts.status ? [sql`status = ${opts.status}`] : []),
  ];
  const limit = opts.limit ? sql` LIMIT ${sql.param(opts.limit, "integer")}` : sql.empty;
  const r = await engine.query(
    sql`SELECT send_id, customer_id, status, offer, scheduled_at, sent_at FROM campaign_sends
         WHERE ${sql.join(where, " AND ")} ORDER BY sent_at, send_id, customer_id${limit}`,
  );
  return r.rows<Record<string, unknown>>().map((x) => ({
    sendId: x.send_id as string,
    customerId: x.customer_id as string,
    status: x.status as SendStatus,
    offer: (x.offer as string | null) ?? null,
    scheduledAt: iso(x.scheduled_at),
    sentAt: iso(x.sent_at) as string,
  }));
}

/** A past send of a campaign: when, and its counts by status (null where the k-gate hid them). */
export interface SendSummary {
  readonly sendId: string;
  readonly at: string;
  readonly sent: number | null;
  readonly heldOut: number | null;
  readonly capped: number | null;
  readonly unreachable: number | null;
  readonly suppressed: boolean;
}

/** A campaign's sends, oldest first, each with its counts by status through the k-gate. */
export async function sendSummaries(engine: Engine, campaignId: string): Promise<SendSummary[]> {
  const d = engine.dialect;
  const r = await engine.query(
    sql`SELECT send_id, min(sent_at) AS first_at,
               ${d.aggIf("count", [], sql`status = 'sent'`)} AS sent,
               ${d.aggIf("count", [], sql`status = 'held-out'`)} AS held_out,
               ${d.aggIf("count", [], sql`status = 'capped'`)} AS capped,
               ${d.aggIf("count", [], sql`status = 'unreachable'`)} AS unreachable
          FROM campaign_sends WHERE campaign_id = ${campaignId} GROUP BY send_id ORDER BY first_at, send_id`,
  );
  const k = await reportMinGroup(engine);
  return r.rows<Record<string, unknown>>().map((x) => {
    const cells = [x.sent, x.held_out, x.capped, x.unreachable].map(Number);
    // Here the sent are a count like the others: no outbox is at hand to tell them.
    const { hidden } = suppressPartition(cells, k);
    const [sent, heldOut, capped, unreachable] = cells.map((c, i) => gated(c, hidden[i] === true));
    return {
      sendId: x.send_id as string,
      at: iso(x.first_at) as string,
      sent: sent ?? null,
      heldOut: heldOut ?? null,
      capped: capped ?? null,
      unreachable: unreachable ?? null,
      suppressed: hidden.some(Boolean),
    };
  });
}
