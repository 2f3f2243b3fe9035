import { useOf, withConsentedPeople } from "../privacy/consent-gate.js";
import { keyringToRead } from "../privacy/encryption.js";
import { isSealed, type Keyring, open, seal } from "../privacy/field-crypto.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Campaign } from "./campaigns.js";
import { iso } from "./delivery-log.js";
import { newMessageId } from "./webhook-signing.js";

/** One message of the outbox (a line of the file). */
export interface OutboxMessage {
  /** Unique per message: the send's id and the customer's (a provider's idempotency key). */
  readonly messageId: string;
  readonly sendId: string;
  readonly campaign: string;
  readonly customerId: string;
  readonly channel: string;
  /** The address on the channel: an email, an E.164 phone number; null for push and webhook (by customer id). */
  readonly to: string | null;
  readonly subject?: string;
  readonly body: string;
  readonly offer: Campaign["offer"];
  /** When the provider should deliver it (ISO 8601, UTC). */
  readonly scheduledAt: string;
}

/**
 * A campaign's messages in a webhook destination's outbox (issue 18, item 3): `campaign send ID --destination DEST`
 * records every rendered message in `delivery_messages` (sealed with the database's key when it has one), grouped
 * into deliveries of at most `CAMPAIGN_BATCH` messages (`deliveries`, kind `campaign-send`), in the transaction that
 * records the send (campaign-send.ts). deliveries.ts sends them like an audience's changes — Standard Webhooks
 * signing, retries under the same webhook-id, acknowledged once — with three differences:
 * - a batch stands alone (each message is whole, not a difference): batches are not sent in order, and one that
 *   fails for good fails alone;
 * - the people pass the consent gate again when the body is built: a person who withdrew consent (or was
 *   suppressed) since the send is left out, and their record in `campaign_sends` becomes `withheld` when the
 *   delivery is done; an erased person's messages are gone with them;
 * - once a delivery is done (delivered, failed for good, cancelled) its messages are removed: they were personal
 *   data kept only to be sent. Failed and cancelled ones turn their people's `sent` records into `undelivered`
 *   (frequency caps and engagement rates count `sent` only).
 */

/** The `kind` of a campaign's deliveries (an audience's are `audience-sync`). */
export const CAMPAIGN_KIND = "campaign-send";
/** The body's `type`. */
export const CAMPAIGN_EVENT = "campaign.messages";
/**
 * At most this many messages in one delivery: a body of a few hundred kilobytes for messages of a few hundred bytes,
 * well under what receivers take, and few enough requests (200 for 100,000 messages).
 */
export const CAMPAIGN_BATCH = 500;
/** What a sealed message is bound to (additional data): a sealed message moved to another column does not open. */
const MESSAGE_CONTEXT = "delivery_messages.message";

const STAGED = "_campaign_outbox";

/**
 * A send's messages on their way to a destination's outbox: gathered (sealed, cut into batches with their
 * webhook-ids) while they are rendered, recorded by `record` inside the send's transaction.
 */
export class DestinationOutbox {
  private readonly deliveryIds: string[] = [];
  private readonly batches: number[] = [];
  private readonly customers: string[] = [];
  private readonly messages: string[] = [];
  /** The webhook-ids of the batches, in order. */
  readonly deliveries: string[] = [];

  constructor(
    readonly destination: string,
    private readonly keyring: Keyring | null,
    private readonly at: Date,
    private readonly batchSize = CAMPAIGN_BATCH,
  ) {}

  write(m: OutboxMessage): void {
    const n = this.customers.length;
    if (n % this.batchSize === 0) this.deliveries.push(newMessageId(this.at.getTime()));
    const text = JSON.stringify(m);
    this.deliveryIds.push(this.deliveries.at(-1) as string);
    this.batches.push(this.deliveries.length);
    this.customers.push(m.customerId);
    this.messages.push(this.keyring ? seal(this.keyring, text, MESSAGE_CONTEXT) : text);
  }

  /**
   * Records the messages, then their deliveries (so that none is ever sent without its messages), pending from the
   * send's time. Runs inside the caller's transaction.
   */
  async record(engine: Engine, campaign: string, sendId: string): Promise<void> {
    if (this.customers.length === 0) return;
    await engine.appendTemp(STAGED, [
      { name: "delivery_id", type: "string", values: this.deliveryIds },
      { name: "batch", type: "integer", values: this.batches },
      { name: "customer_id", type: "string", values: this.customers },
      { name: "message", type: "string", values: this.messages },
    ]);
    try {
      const staged = sql.temp(STAGED);
      await engine.run(
        sql`INSERT INTO delivery_messages (delivery_id, customer_id, message)
            SELECT delivery_id, customer_id, message FROM ${staged}`,
      );
      const none = (type: "string" | "integer" | "timestamp") => sql.param(null, type);
      await engine.run(
        sql`INSERT INTO deliveries (delivery_id, destination_id, audience_id, kind, entered, exited, status, attempts,
                                    next_attempt_at, last_status, last_error, created_at, delivered_at, sequence,
                                    campaign_id, send_id, messages, withheld)
            SELECT delivery_id, ${this.destination}, ${none("string")}, ${CAMPAIGN_KIND}, 0, 0, 'pending', 0,
                   ${this.at}, ${none("integer")}, ${none("string")}, ${this.at}, ${none("timestamp")}, min(batch),
                   ${campaign}, ${sendId}, count(*), 0
              FROM ${staged} GROUP BY delivery_id`,
      );
    } finally {
      await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(STAGED)}`);
    }
  }

  /** Opens the database's keyring when it has one: messages are sealed like the contact fields they hold. */
  static async open(engine: Engine, destination: string, at: Date, batchSize?: number) {
    return new DestinationOutbox(destination, await keyringToRead(engine), at, batchSize);
  }
}

/** A campaign delivery as deliveries.ts reads it. */
export interface CampaignDeliveryRow {
  readonly id: string;
  readonly destination: string;
  readonly campaign: string;
  readonly sendId: string;
  readonly batch: number;
  readonly createdAt: unknown;
}

/** A campaign delivery's request body, and who was left out of it. */
export interface CampaignContent {
  /** Null when no message is left to send (everyone withheld or erased, or the campaign is gone). */
  readonly body: string | null;
  readonly withheld: readonly string[];
  /** Why nothing is sent, when `body` is null. */
  readonly nothing: string | null;
}

const messagesOf = (id: string) => sql`SELECT customer_id FROM delivery_messages WHERE delivery_id = ${id}`;

/**
 * The body of a pending campaign delivery (type `campaign.messages`, the send's time, and in `data` the destination,
 * campaign, send, audience, purpose, channel, batch number and its messages, each as written to an outbox file),
 * built now: its people pass the consent gate again for the audience's purpose and channel, and those it leaves out
 * are withheld.
 */
export async function campaignContent(engine: Engine, row: CampaignDeliveryRow): Promise<CampaignContent> {
  const c = await engine.query(
    sql`SELECT c.audience_id AS audience_id, a.purpose AS purpose, a.channel AS channel
          FROM campaigns c INNER JOIN audiences a ON a.audience_id = c.audience_id
         WHERE c.campaign_id = ${row.campaign}`,
  );
  const campaign = c.rows<{ audience_id: string; purpose: string; channel: string }>()[0];
  const all = (await engine.query(messagesOf(row.id))).column("customer_id") as string[];
  // Removing a campaign cancels its deliveries; one left pending without it is sent to no one.
  if (!campaign) return { body: null, withheld: all, nothing: `campaign ${row.campaign} was removed` };
  const use = useOf(campaign.purpose, campaign.channel);
  const { texts, withheld } = await withConsentedPeople(engine, messagesOf(row.id), use, async (passed) => ({
    texts: (
      await engine.query(
        sql`SELECT message FROM delivery_messages
             WHERE delivery_id = ${row.id} AND customer_id IN (${passed.sql}) ORDER BY customer_id`,
      )
    ).column("message") as string[],
    withheld: (
      await engine.query(
        sql`SELECT customer_id FROM delivery_messages
             WHERE delivery_id = ${row.id} AND customer_id NOT IN (${passed.sql}) ORDER BY customer_id`,
      )
    ).column("customer_id") as string[],
  }));
  if (texts.length === 0)
    return {
      body: null,
      withheld,
      nothing: all.length
        ? "no message left to send: every person in it withdrew consent since the send"
        : "no message left to send: every person in it was erased since the send",
    };
  const keyring = texts.some(isSealed) ? await keyringToRead(engine) : null;
  const messages = texts.map((t) =>
    JSON.parse(isSealed(t) && keyring ? open(keyring, t, MESSAGE_CONTEXT) : t),
  );
  const body = JSON.stringify({
    type: CAMPAIGN_EVENT,
    timestamp: iso(row.createdAt),
    data: {
      destination: row.destination,
      campaign: row.campaign,
      send: row.sendId,
      audience: campaign.audience_id,
      purpose: campaign.purpose,
      channel: campaign.channel,
      batch: row.batch,
      messages,
    },
  });
  return { body, withheld, nothing: null };
}

const WITHHELD = "_campaign_withheld";

/**
 * A campaign delivery is done (`delivered`, or `undelivered`: failed for good or cancelled): its withheld people's
 * records become `withheld`, and when it was not delivered the rest's `sent` records become `undelivered`; its
 * messages are removed. Runs inside the caller's transaction, before the delivery's own status is written.
 */
export async function settleCampaignDelivery(
  engine: Engine,
  p: { id: string; sendId: string },
  outcome: "delivered" | "undelivered",
  withheld: readonly string[],
): Promise<void> {
  const d = engine.dialect;
  const mine = sql`send_id = ${p.sendId} AND status = 'sent'`;
  if (withheld.length) {
    await engine.appendTemp(WITHHELD, [{ name: "customer_id", type: "string", values: withheld }]);
    await engine.run(
      d.updateWhere(
        "campaign_sends",
        sql`status = 'withheld'`,
        sql`${mine} AND customer_id IN (SELECT customer_id FROM ${sql.temp(WITHHELD)})`,
      ),
    );
    await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(WITHHELD)}`);
    await engine.run(
      d.updateWhere(
        "deliveries",
        sql`withheld = ${sql.param(withheld.length, "integer")}`,
        sql`delivery_id = ${p.id}`,
      ),
    );
  }
  if (outcome === "undelivered")
    await engine.run(
      d.updateWhere(
        "campaign_sends",
        sql`status = 'undelivered'`,
        sql`${mine} AND customer_id IN (${messagesOf(p.id)})`,
      ),
    );
  await engine.run(d.deleteWhere("delivery_messages", sql`delivery_id = ${p.id}`));
}

/**
 * Cancels the pending campaign deliveries that `where` selects (over `deliveries`): never sent, their people's
 * records `undelivered`, their messages removed. Returns how many were cancelled. Runs inside the caller's
 * transaction.
 */
export async function cancelCampaignDeliveries(engine: Engine, where: Sql, reason: string): Promise<number> {
  const pending = await engine.query(
    sql`SELECT delivery_id, send_id FROM deliveries
         WHERE kind = ${CAMPAIGN_KIND} AND status = 'pending' AND ${where} ORDER BY delivery_id`,
  );
  const rows = pending.rows<{ delivery_id: string; send_id: string }>();
  for (const r of rows) {
    await settleCampaignDelivery(engine, { id: r.delivery_id, sendId: r.send_id }, "undelivered", []);
    await engine.run(
      engine.dialect.updateWhere(
        "deliveries",
        sql`status = 'cancelled', last_error = ${reason}`,
        sql`delivery_id = ${r.delivery_id} AND status = 'pending'`,
      ),
    );
  }
  return rows.length;
}
