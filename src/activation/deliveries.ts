import { useOf, withConsentedPeople } from "../privacy/consent-gate.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { CAMPAIGN_KIND, campaignContent, settleCampaignDelivery } from "./campaign-outbox.js";
import { iso } from "./delivery-log.js";
import { secretKey } from "./destinations.js";
import { backoffMs, RETRY_POLICY, type RetryPolicy } from "./retry-policy.js";
import { AttemptAborted, type AttemptOutcome, postWebhook } from "./webhook-post.js";
import { webhookHeaders } from "./webhook-signing.js";

/**
 * The outbox of webhook deliveries (issue 18, item 2): `deliveries` rows recorded by a sync (audience-sync.ts), sent
 * here. A delivery keeps its `webhook-id` on every attempt; a 2xx marks it delivered and it is never sent again; a
 * failure (another status, a timeout, a refused connection) is recorded and the next attempt waits longer
 * (exponential backoff with a cap, and the receiver's `Retry-After`), up to a number of attempts, then it has
 * `failed`. State lives in the database only, so a restart resumes the pending ones.
 *
 * Deliveries carry differences, which add up only in order: those of one destination and audience are sent one at
 * a time in their `sequence`, each once the one before is delivered. When one fails for good, it and those queued
 * behind it are undone in what the destination was told (`destination_members` is put back as after the last
 * delivered one) and marked failed, so the next sync sends the whole difference again, as it stands then.
 *
 * A campaign's deliveries (kind `campaign-send`, campaign-outbox.ts) carry whole messages: each goes on its own, in
 * no order, and one that fails for good fails alone; its body and what becomes of its people are campaign-outbox.ts's.
 */

/** How the outbox reaches the database: a store's sessions (a server), or one session for both (a command). */
export interface OutboxAccess {
  read<T>(work: (engine: Engine) => Promise<T>): Promise<T>;
  write<T>(work: (engine: Engine) => Promise<T>): Promise<T>;
}

export interface PassOptions {
  /** Only this destination's deliveries. */
  readonly destination?: string;
  /** Only those whose next attempt is due (a server's loop, after a refresh); else every pending one, now. */
  readonly dueOnly: boolean;
  /** No attempt starts after this long (an attempt under way finishes, within its timeout). */
  readonly budgetMs: number;
  readonly policy?: RetryPolicy;
  /** The clock (tests). */
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Stops the pass: an attempt under way is abandoned and not counted (it is sent again, same webhook-id). */
  readonly signal?: AbortSignal;
}

/** What one pass over the outbox did. */
export interface PassResult {
  readonly attempted: number;
  readonly delivered: number;
  /** Attempts that failed (the delivery stays pending, or failed for good: `gaveUp`). */
  readonly failedAttempts: number;
  /** Deliveries that failed for good in this pass (with those queued behind them). */
  readonly gaveUp: number;
  /** Deliveries still pending after it. */
  readonly pending: number;
  /** The last failure of each delivery that failed in this pass: its id and why. */
  readonly failures: readonly { readonly delivery: string; readonly error: string }[];
}

/** Deliveries being attempted in this process: never two attempts of one delivery at once. */
const IN_FLIGHT = new Set<string>();

/**
 * One pass over the outbox: attempts pending deliveries — each destination and audience's first in sequence, the
 * earliest due first — each at most once, until none is left, the budget is spent or `signal` stops it. Each
 * outcome is recorded as soon as it is known (its own short write), before the next attempt.
 */
export async function deliverPending(access: OutboxAccess, opts: PassOptions): Promise<PassResult> {
  const policy = opts.policy ?? RETRY_POLICY;
  const now = opts.now ?? (() => new Date());
  const started = Date.now();
  const tried = new Set<string>();
  const failures: { delivery: string; error: string }[] = [];
  let attempted = 0;
  let delivered = 0;
  let failedAttempts = 0;
  let gaveUp = 0;
  while (Date.now() - started < opts.budgetMs && !opts.signal?.aborted) {
    const next = await access.read((e) => nextHead(e, opts, now(), [...tried, ...IN_FLIGHT]));
    if (next === null) break;
    tried.add(next);
    IN_FLIGHT.add(next);
    try {
      const prepared = await access.read((e) => prepare(e, next));
      if (prepared === null) continue;
      if (prepared.body === null) {
        // Nobody left to send it to: done without a request.
        await access.write((e) => recordNothing(e, prepared));
        continue;
      }
      const at = now();
      const body = Buffer.from(prepared.body);
      const headers = webhookHeaders(prepared.key, next, Math.floor(at.getTime() / 1000), body);
      let outcome: AttemptOutcome;
      try {
        outcome = await postWebhook(prepared.url, headers, body, {
          timeoutMs: policy.timeoutMs,
          allowPrivate: prepared.allowPrivate,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (e) {
        if (e instanceof AttemptAborted) break;
        throw e;
      }
      attempted++;
      const result = await access.write((e) =>
        recordOutcome(e, prepared, outcome, policy, now(), opts.random ?? Math.random),
      );
      if (outcome.error === null) delivered++;
      else {
        failedAttempts++;
        failures.push({ delivery: next, error: outcome.error });
        gaveUp += result.gaveUp;
      }
    } finally {
      IN_FLIGHT.delete(next);
    }
  }
  const pending = await access.read((e) => pendingCount(e, opts.destination));
  return { attempted, delivered, failedAttempts, gaveUp, pending, failures };
}

async function pendingCount(engine: Engine, destination?: string): Promise<number> {
  const mine = destination === undefined ? sql.empty : sql` AND destination_id = ${destination}`;
  const r = await engine.query(sql`SELECT count(*) AS n FROM deliveries WHERE status = 'pending'${mine}`);
  return Number(r.column("n")[0]);
}

/**
 * The next delivery to attempt, the earliest due, none of `skip`: a destination and audience's first pending one, or
 * any pending campaign delivery (they stand alone).
 */
async function nextHead(
  engine: Engine,
  opts: PassOptions,
  now: Date,
  skip: readonly string[],
): Promise<string | null> {
  const conditions: Sql[] = [];
  if (opts.destination !== undefined) conditions.push(sql`d.destination_id = ${opts.destination}`);
  if (opts.dueOnly) conditions.push(sql`d.next_attempt_at <= ${now}`);
  if (skip.length) conditions.push(sql`d.delivery_id NOT IN (${sql.join(skip.map((s) => sql`${s}`))})`);
  const columns = (t: string) =>
    sql.raw(
      ["delivery_id", "destination_id", "next_attempt_at", "created_at", "sequence"]
        .map((c) => `${t}.${c} AS ${c}`)
        .join(", "),
    );
  const where = conditions.length ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql.empty;
  const r = await engine.query(
    sql`SELECT d.delivery_id AS delivery_id FROM (
          SELECT ${columns("p")} FROM deliveries p
           INNER JOIN (SELECT destination_id, audience_id, min(sequence) AS head FROM deliveries
                        WHERE status = 'pending' AND kind <> ${CAMPAIGN_KIND} GROUP BY destination_id, audience_id) h
                   ON p.destination_id = h.destination_id AND p.audience_id = h.audience_id AND p.sequence = h.head
           WHERE p.status = 'pending' AND p.kind <> ${CAMPAIGN_KIND}
          UNION ALL
          SELECT ${columns("c")} FROM deliveries c WHERE c.status = 'pending' AND c.kind = ${CAMPAIGN_KIND}) d
        ${where}
        ORDER BY d.next_attempt_at, d.created_at, d.sequence, d.delivery_id LIMIT 1`,
  );
  return (r.column("delivery_id")[0] as string | undefined) ?? null;
}

/** A delivery ready to send: where, how to sign, its body. */
interface Prepared {
  readonly id: string;
  readonly kind: string;
  readonly destination: string;
  /** The audience whose changes it carries (null for a campaign's messages). */
  readonly audience: string | null;
  /** A campaign's send (null for an audience's changes). */
  readonly sendId: string | null;
  readonly sequence: number;
  readonly attempts: number;
  readonly url: string;
  readonly allowPrivate: boolean;
  readonly key: Buffer;
  /** Null when nobody is left to send it to (`nothing` says why). */
  readonly body: string | null;
  readonly nothing: string | null;
  /**
   * People left out now (their consent withdrawn since the delivery was recorded): never sent — an audience's
   * entered, a campaign's messages.
   */
  readonly withheld: readonly string[];
}

/**
 * A pending delivery's request: the body (type `audience.changed`, the time the change was recorded, and in
 * `data` the destination, audience, purpose, channel, sequence and the entered and exited customer ids) and the
 * signing key. The entered pass the consent gate again now: someone who withdrew consent after the delivery was
 * recorded is not sent (and is among the exited of the next sync). A campaign's: campaign-outbox.ts. Null when it is
 * no longer pending.
 */
async function prepare(engine: Engine, id: string): Promise<Prepared | null> {
  const r = await engine.query(
    sql`SELECT d.destination_id AS destination_id, d.audience_id AS audience_id, d.kind AS kind,
               d.sequence AS sequence, d.attempts AS attempts, d.created_at AS created_at,
               d.campaign_id AS campaign_id, d.send_id AS send_id, t.url AS url, t.secret AS secret,
               t.allow_private AS allow_private
          FROM deliveries d
          INNER JOIN destinations t ON t.destination_id = d.destination_id
         WHERE d.delivery_id = ${id} AND d.status = 'pending'`,
  );
  const row = r.rows<Record<string, unknown>>()[0];
  if (!row) return null;
  const key = await secretKey(engine, String(row.secret));
  const common = {
    id,
    kind: String(row.kind),
    destination: String(row.destination_id),
    sequence: Number(row.sequence),
    attempts: Number(row.attempts),
    url: String(row.url),
    allowPrivate: Boolean(row.allow_private),
    key,
  };
  if (row.kind === CAMPAIGN_KIND) {
    const sendId = String(row.send_id);
    const content = await campaignContent(engine, {
      id,
      destination: common.destination,
      campaign: String(row.campaign_id),
      sendId,
      batch: common.sequence,
      createdAt: row.created_at,
    });
    return { ...common, audience: null, sendId, ...content };
  }
  const a = await engine.query(
    sql`SELECT purpose, channel FROM audiences WHERE audience_id = ${String(row.audience_id)}`,
  );
  const audience = a.rows<{ purpose: string; channel: string }>()[0];
  if (!audience) return null;
  row.purpose = audience.purpose;
  row.channel = audience.channel;
  const people = (change: string) =>
    sql`SELECT customer_id FROM delivery_people WHERE delivery_id = ${id} AND change = ${change}`;
  const exited = (await engine.query(sql`${people("exited")} ORDER BY customer_id`)).column(
    "customer_id",
  ) as string[];
  const use = useOf(String(row.purpose), String(row.channel));
  const { entered, withheld } = await withConsentedPeople(engine, people("entered"), use, async (passed) => ({
    entered: (await engine.query(sql`${passed.sql} ORDER BY customer_id`)).column("customer_id") as string[],
    withheld: (
      await engine.query(
        sql`SELECT customer_id FROM (${people("entered")}) p WHERE p.customer_id NOT IN (${passed.sql})`,
      )
    ).column("customer_id") as string[],
  }));
  const body = JSON.stringify({
    type: "audience.changed",
    timestamp: iso(row.created_at),
    data: {
      destination: row.destination_id,
      audience: row.audience_id,
      purpose: row.purpose,
      channel: row.channel,
      sequence: Number(row.sequence),
      entered,
      exited,
    },
  });
  return { ...common, audience: String(row.audience_id), sendId: null, body, nothing: null, withheld };
}

/** A campaign delivery with nobody left to send it to: cancelled, never sent, its people settled. */
async function recordNothing(engine: Engine, p: Prepared): Promise<void> {
  await engine.transaction(async () => {
    if (p.sendId !== null)
      await settleCampaignDelivery(engine, { id: p.id, sendId: p.sendId }, "delivered", p.withheld);
    await engine.run(
      engine.dialect.updateWhere(
        "deliveries",
        sql`status = 'cancelled', last_error = ${p.nothing ?? "nothing to send"}`,
        sql`delivery_id = ${p.id} AND status = 'pending'`,
      ),
    );
  });
}

const WITHHELD = "_delivery_withheld";

/** Records an attempt's outcome: delivered, pending with its next attempt, or failed for good (undone). */
async function recordOutcome(
  engine: Engine,
  p: Prepared,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  now: Date,
  random: () => number,
): Promise<{ gaveUp: number }> {
  const d = engine.dialect;
  const attempts = p.attempts + 1;
  const mine = sql`delivery_id = ${p.id} AND status = 'pending'`;
  const last = sql`attempts = ${sql.param(attempts, "integer")}, last_status = ${sql.param(outcome.status, "integer")}`;
  if (outcome.error === null) {
    await engine.transaction(async () => {
      await engine.run(
        d.updateWhere(
          "deliveries",
          sql`status = 'delivered', ${last}, last_error = ${sql.param(null, "string")}, delivered_at = ${now}`,
          mine,
        ),
      );
      if (p.sendId !== null) {
        await settleCampaignDelivery(engine, { id: p.id, sendId: p.sendId }, "delivered", p.withheld);
        return;
      }
      // Those withheld were not told: the destination's view leaves them out.
      if (p.withheld.length) {
        await engine.appendTemp(WITHHELD, [{ name: "customer_id", type: "string", values: p.withheld }]);
        await engine.run(
          d.deleteWhere(
            "destination_members",
            sql`destination_id = ${p.destination} AND audience_id = ${p.audience}
                AND customer_id IN (SELECT customer_id FROM ${sql.temp(WITHHELD)})`,
          ),
        );
        await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(WITHHELD)}`);
      }
    });
    return { gaveUp: 0 };
  }
  if (!outcome.gone && attempts < policy.maxAttempts) {
    const wait = backoffMs(attempts, policy, outcome.retryAfterMs, random);
    await engine.run(
      d.updateWhere(
        "deliveries",
        sql`${last}, last_error = ${outcome.error}, next_attempt_at = ${new Date(now.getTime() + wait)}`,
        mine,
      ),
    );
    return { gaveUp: 0 };
  }
  const why = outcome.gone
    ? `${outcome.error}: the receiver wants no more deliveries (remove the destination, or fix the receiver and sync)`
    : `${outcome.error} (attempt ${attempts} of ${policy.maxAttempts}: given up)`;
  if (p.sendId !== null) {
    // A campaign's batch fails alone: its people were not reached.
    await engine.transaction(async () => {
      await settleCampaignDelivery(
        engine,
        { id: p.id, sendId: p.sendId as string },
        "undelivered",
        p.withheld,
      );
      await engine.run(
        d.updateWhere("deliveries", sql`status = 'failed', ${last}, last_error = ${why}`, mine),
      );
    });
    return { gaveUp: 1 };
  }
  return { gaveUp: await giveUp(engine, p, sql`${last}, last_error = ${why}`) };
}

/**
 * A delivery failed for good: it and the pending ones behind it (same destination and audience) are undone in what
 * the destination was told — newest first, its entered taken out and its exited put back — and marked failed; their
 * people are dropped (never sent). The next sync sends the difference from the last delivered state. Returns how many
 * deliveries failed.
 */
async function giveUp(engine: Engine, p: Prepared, set: Sql): Promise<number> {
  const d = engine.dialect;
  const pair = sql`destination_id = ${p.destination} AND audience_id = ${p.audience}`;
  return engine.transaction(async () => {
    const behind = await engine.query(
      sql`SELECT delivery_id FROM deliveries WHERE ${pair} AND status = 'pending'
           AND sequence >= ${sql.param(p.sequence, "integer")} ORDER BY sequence DESC`,
    );
    const ids = behind.column("delivery_id") as string[];
    for (const id of ids) {
      const people = (change: string) =>
        sql`SELECT customer_id FROM delivery_people WHERE delivery_id = ${id} AND change = ${change}`;
      await engine.run(
        d.deleteWhere("destination_members", sql`${pair} AND customer_id IN (${people("entered")})`),
      );
      await engine.run(
        sql`INSERT INTO destination_members (destination_id, audience_id, customer_id, since)
            SELECT ${p.destination}, ${p.audience}, x.customer_id, ${d.now()} FROM (${people("exited")}) x
             WHERE x.customer_id NOT IN (SELECT customer_id FROM destination_members WHERE ${pair})`,
      );
    }
    await engine.run(
      d.updateWhere(
        "deliveries",
        sql`status = 'failed', ${set}`,
        sql`delivery_id = ${p.id} AND status = 'pending'`,
      ),
    );
    const others = ids.filter((id) => id !== p.id);
    if (others.length) {
      const list = sql.join(others.map((id) => sql`${id}`));
      await engine.run(
        d.updateWhere(
          "deliveries",
          sql`status = 'failed', last_error = ${`not sent: delivery ${p.id} before it failed for good`}`,
          sql`delivery_id IN (${list})`,
        ),
      );
    }
    await engine.run(
      d.deleteWhere("delivery_people", sql`delivery_id IN (${sql.join(ids.map((id) => sql`${id}`))})`),
    );
    return ids.length;
  });
}
