import { sql } from "../store/sql.js";
import { type AuditContext, aggregate, exampleIds, filled, finding, fmt } from "./context.js";
import type { Finding } from "./types.js";

/**
 * Source records that identity resolution merged: a customer holding several user_id identities was built from
 * several records (same email or phone, or an identify/alias link). Count = the extra records (records − the
 * customers they became), the same "extra copies" measure as the exact-duplicate checks.
 */
async function mergedRecords(ctx: AuditContext): Promise<Finding> {
  const perCustomer = sql`SELECT customer_id, count(DISTINCT value) AS records
     FROM identities WHERE kind = 'user_id' AND customer_id IS NOT NULL GROUP BY customer_id`;
  const row = await aggregate(
    ctx,
    sql`SELECT sum(records) AS records,
            sum(CASE WHEN records > 1 THEN records - 1 ELSE 0 END) AS extra,
            sum(CASE WHEN records > 1 THEN 1 ELSE 0 END) AS merged
     FROM (${perCustomer}) AS p`,
  );
  // The customers assembled from the most records are the most telling examples.
  const examples = await exampleIds(
    ctx,
    sql`SELECT customer_id AS id, records FROM (${perCustomer}) AS p WHERE records > 1`,
    sql.raw("records DESC, id"),
  );
  const extra = row.extra ?? 0;
  const merged = row.merged ?? 0;
  return finding({
    check: "likely-duplicate-customers",
    title: "Customer records that were duplicates of another (merged)",
    table: "identities",
    field: "user_id",
    // Already merged, so nothing downstream is wrong; it tells how messy the source systems are.
    severity: "low",
    count: extra,
    total: row.records ?? 0,
    examples,
    detail: `${fmt(merged)} customers were each assembled from several source records sharing an email, a phone or a link`,
    breakdown: { mergedCustomers: merged, extraRecords: extra },
  });
}

/**
 * Customers rows that still share a normalised email (trimmed, lower-cased) or phone (digits, leading + kept)
 * with another customer. Count = customers beyond the first (by id) of each shared value, found with a window
 * rather than a self-join so that one placeholder value shared by thousands stays linear.
 */
async function sharedContacts(ctx: AuditContext): Promise<Finding> {
  const d = ctx.d;
  const phoneDigits = d.regexReplace(sql.raw("phone"), sql.raw(d.literal("[^0-9]")), sql.raw("''"));
  const phoneKey = sql`CASE WHEN trim(phone) LIKE '+%' THEN '+' ELSE '' END || ${phoneDigits}`;
  const keyed = sql`SELECT customer_id, 'email' AS kind, lower(trim(email)) AS contact FROM ${ctx.contacts}
       WHERE ${filled(d, sql.raw("email"))}
     UNION ALL
     SELECT customer_id, 'phone' AS kind, ${phoneKey} AS contact FROM ${ctx.contacts}
       WHERE phone IS NOT NULL AND ${phoneDigits} <> ''`;
  const later = sql`SELECT DISTINCT customer_id AS id FROM (
       SELECT customer_id, min(customer_id) OVER (PARTITION BY kind, contact) AS first_id FROM (${keyed}) AS k
     ) AS w WHERE customer_id <> first_id`;
  const row = await aggregate(ctx, sql`SELECT count(*) AS n FROM (${later}) AS l`);
  const examples = await exampleIds(ctx, later);
  return finding({
    check: "customers-sharing-contact",
    title: "Customers sharing an email or phone with another customer",
    table: "customers",
    // Two profiles for one person split their history and may receive every message twice.
    severity: "medium",
    count: row.n ?? 0,
    total: ctx.totals.customers ?? 0,
    examples,
    detail: "same email (ignoring case) or phone (ignoring formatting) as a customer with a smaller id",
  });
}

/**
 * Customers with no event and no order in (asOf − staleDays, asOf]; people never active count as stale too.
 * Rows after asOf are not activity as of then, matching the segment semantics.
 */
async function staleCustomers(ctx: AuditContext): Promise<Finding> {
  const lastSeen = sql`SELECT customer_id, max(ts) AS last_ts FROM (
       SELECT customer_id, ts FROM events WHERE customer_id IS NOT NULL AND ts <= ${ctx.asOf}
       UNION ALL
       SELECT customer_id, ts FROM orders WHERE customer_id IS NOT NULL AND ts <= ${ctx.asOf}
     ) AS a GROUP BY customer_id`;
  const stale = sql`SELECT c.customer_id AS id, l.last_ts FROM customers AS c
     LEFT JOIN (${lastSeen}) AS l ON l.customer_id = c.customer_id
     WHERE l.last_ts IS NULL OR l.last_ts <= ${ctx.staleCutoff}`;
  const row = await aggregate(
    ctx,
    sql`SELECT count(*) AS n, sum(CASE WHEN last_ts IS NULL THEN 1 ELSE 0 END) AS never FROM (${stale}) AS s`,
  );
  const examples = await exampleIds(ctx, stale);
  const n = row.n ?? 0;
  const never = row.never ?? 0;
  return finding({
    check: "stale-customers",
    title: `Customers with no activity in the last ${fmt(ctx.staleDays)} days`,
    table: "customers",
    severity: "low",
    count: n,
    total: ctx.totals.customers ?? 0,
    examples,
    detail: `${fmt(n - never)} inactive since before ${ctx.staleCutoff.toISOString().slice(0, 10)}, ${fmt(never)} with no event or order at all`,
    breakdown: { inactive: n - never, neverActive: never },
  });
}

/**
 * Customers with an email on file and a hard bounce ('Email Bounced' unless properties.bounce_type is 'soft')
 * at or before asOf: sending to them again hurts the sender reputation.
 */
async function hardBounces(ctx: AuditContext): Promise<Finding> {
  const d = ctx.d;
  const bounceType = sql`lower(${d.jsonText(sql.raw("properties"), "bounce_type")})`;
  const hard = sql`SELECT customer_id FROM events WHERE event = 'Email Bounced' AND ts <= ${ctx.asOf}
       AND (${bounceType} IS NULL OR ${bounceType} <> 'soft')`;
  const bounced = sql`SELECT c.customer_id AS id FROM customers AS c
     WHERE ${filled(d, sql.raw("c.email"))} AND c.customer_id IN (${hard})`;
  const row = await aggregate(
    ctx,
    sql`SELECT (SELECT count(*) FROM (${bounced}) AS b) AS n,
            (SELECT count(*) FROM (${hard}) AS h) AS bounces,
            (SELECT count(*) FROM customers WHERE ${filled(d, sql.raw("email"))}) AS with_email`,
  );
  const examples = await exampleIds(ctx, bounced);
  const bounces = row.bounces ?? 0;
  return finding({
    check: "hard-bounced-emails",
    title: "Email addresses that hard-bounced",
    table: "customers",
    field: "email",
    severity: "medium",
    count: row.n ?? 0,
    total: row.with_email ?? 0,
    examples,
    detail: `${fmt(bounces)} hard-bounce events; suppress these addresses or ask for a new one`,
    breakdown: { bounceEvents: bounces },
  });
}

/** Duplicate people (merged and still separate), stale customers and bounced addresses. */
export async function customerChecks(ctx: AuditContext): Promise<Finding[]> {
  return [
    await mergedRecords(ctx),
    await sharedContacts(ctx),
    await staleCustomers(ctx),
    await hardBounces(ctx),
  ];
}
