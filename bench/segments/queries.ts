/**
 * The baseline of the segment refresh benchmark: one hand-written SQL query per segment of definitions.ts, the
 * plan most segmentation tools use (each query scans what it needs and returns the member ids). Plain SQL that
 * DuckDB and PostgreSQL both run unchanged. `:as_of` stands for the evaluation time, `{{id}}` for another
 * segment's query (a reference), both substituted as text by `segmentQuery`.
 *
 * Written to DESIGN.md's semantics: windows are as_of − n < ts ≤ as_of; nothing after as_of is seen; order lines
 * with a negative quantity (returns) do not count; the latest consent decides, a denial winning a tie; a
 * comparison on a missing value is false.
 */
export const QUERIES: Readonly<Record<string, string>> = {
  "eu-adults": `
    SELECT customer_id FROM customers
     WHERE country IN ('DE', 'FR', 'NL', 'ES', 'IT', 'CH', 'SE', 'NO')
       AND age BETWEEN 25 AND 54
       AND gender <> 'male'`,

  "recent-signups": `
    SELECT customer_id FROM customers
     WHERE signup_date >= CAST(:as_of - INTERVAL '90 days' AS DATE)
       AND (email LIKE '%@example.com%' OR phone LIKE '+44%')`,

  "affluent-educated": `
    SELECT customer_id FROM customers
     WHERE income > 90000 AND age < 45
       AND education NOT IN ('high_school', 'associate')
       AND country IS DISTINCT FROM 'US'`,

  "mobile-browsers": `
    SELECT customer_id FROM events
     WHERE event = 'Product Viewed' AND ts > :as_of - INTERVAL '30 days' AND ts <= :as_of
       AND (properties->>'device') = 'mobile'
     GROUP BY customer_id HAVING count(*) >= 3`,

  "night-owls": `
    SELECT customer_id FROM events
     WHERE type = 'page' AND ts > :as_of - INTERVAL '90 days' AND ts <= :as_of
       AND extract(hour FROM ts) BETWEEN 0 AND 5
     GROUP BY customer_id HAVING count(*) >= 2`,

  "weekend-buyers": `
    SELECT customer_id FROM events
     WHERE event = 'Order Completed' AND ts > :as_of - INTERVAL '26 weeks' AND ts <= :as_of
       AND extract(isodow FROM ts) IN (6, 7)
     GROUP BY customer_id HAVING count(*) >= 2`,

  "engaged-emailers": `
    SELECT customer_id FROM events
     WHERE event = 'Email Opened' AND ts > :as_of - INTERVAL '60 days' AND ts <= :as_of
     GROUP BY customer_id HAVING count(*) >= 2
    EXCEPT
    SELECT customer_id FROM events WHERE event = 'Email Bounced' AND ts <= :as_of`,

  "cart-abandoners": `
    SELECT customer_id FROM events
     WHERE event = 'Product Added' AND ts > :as_of - INTERVAL '14 days' AND ts <= :as_of
       AND (properties->>'price')::double precision >= 50
       AND (properties->>'device') IS DISTINCT FROM 'desktop'
    EXCEPT
    SELECT customer_id FROM events
     WHERE event = 'Order Completed' AND ts > :as_of - INTERVAL '14 days' AND ts <= :as_of`,

  "tech-curious": `
    SELECT customer_id FROM events
     WHERE event = 'Product Viewed' AND ts > :as_of - INTERVAL '3 months' AND ts <= :as_of
       AND (properties->>'category' IN ('electronics', 'gaming') OR (properties->>'url') LIKE '/c/electronics%')
     GROUP BY customer_id HAVING count(*) >= 5`,

  "frequent-buyers": `
    SELECT customer_id FROM orders
     WHERE ts > :as_of - INTERVAL '365 days' AND ts <= :as_of
     GROUP BY customer_id HAVING count(*) >= 4 AND sum(total) >= 300`,

  "big-baskets": `
    SELECT customer_id FROM orders
     WHERE ts <= :as_of
     GROUP BY customer_id
    HAVING avg(total) >= 120 AND max(total) FILTER (WHERE ts > :as_of - INTERVAL '1 year') >= 250`,

  "bargain-hunters": `
    SELECT customer_id FROM orders
     WHERE ts > :as_of - INTERVAL '6 months' AND ts <= :as_of
     GROUP BY customer_id HAVING min(total) <= 20 AND count(*) >= 2`,

  "lapsed-repeaters": `
    SELECT customer_id FROM orders
     WHERE ts <= :as_of
     GROUP BY customer_id HAVING max(ts) <= :as_of - INTERVAL '120 days' AND count(*) >= 2`,

  "new-buyers": `
    SELECT customer_id FROM orders
     WHERE ts <= :as_of
     GROUP BY customer_id HAVING min(ts) > :as_of - INTERVAL '30 days'`,

  "fashion-fans": `
    SELECT customer_id FROM order_items
     WHERE category IN ('fashion', 'shoes', 'jewelry') AND quantity > 0
       AND ts > :as_of - INTERVAL '6 months' AND ts <= :as_of
     GROUP BY customer_id HAVING count(DISTINCT order_id) >= 2
    INTERSECT
    SELECT customer_id FROM order_items
     WHERE category = 'fashion' AND quantity > 0
       AND ts >= TIMESTAMP '2026-01-01 00:00:00' AND ts < TIMESTAMP '2026-04-01 00:00:00' AND ts <= :as_of
     GROUP BY customer_id HAVING sum(quantity * unit_price) >= 100`,

  "bulk-buyers": `
    SELECT customer_id FROM order_items
     WHERE quantity > 0 AND ts > :as_of - INTERVAL '12 months' AND ts <= :as_of
     GROUP BY customer_id HAVING sum(quantity) >= 8
    UNION
    SELECT customer_id FROM (
      SELECT customer_id, order_id, sum(quantity) AS items FROM order_items
       WHERE category = 'grocery' AND quantity > 0 AND ts <= :as_of
       GROUP BY customer_id, order_id) per_order
     GROUP BY customer_id HAVING avg(items) >= 2`,

  "email-reachable": `
    SELECT customer_id FROM (
      SELECT DISTINCT ON (customer_id) customer_id, status FROM consents
       WHERE purpose = 'marketing' AND (channel = 'email' OR channel IS NULL) AND ts <= :as_of
       ORDER BY customer_id, ts DESC, status = 'granted') latest
     WHERE status = 'granted'
    INTERSECT
    SELECT customer_id FROM customers WHERE email IS NOT NULL`,

  "analytics-active": `
    SELECT customer_id FROM (
      SELECT DISTINCT ON (customer_id) customer_id, status FROM consents
       WHERE purpose = 'analytics' AND ts <= :as_of
       ORDER BY customer_id, ts DESC, status = 'granted') latest
     WHERE status = 'granted'
    INTERSECT
    SELECT customer_id FROM events WHERE type = 'page' AND ts > :as_of - INTERVAL '7 days' AND ts <= :as_of
    INTERSECT
    SELECT customer_id FROM customers WHERE first_seen <= :as_of - INTERVAL '30 days'`,

  "vip-reachable": `
    SELECT customer_id FROM ({{frequent-buyers}}) f
    INTERSECT
    SELECT customer_id FROM ({{email-reachable}}) r
    EXCEPT
    SELECT customer_id FROM ({{lapsed-repeaters}}) l`,

  "valuable-at-risk": `
    SELECT r.customer_id FROM customer_rfm r
      JOIN (SELECT customer_id FROM orders WHERE ts <= :as_of
             GROUP BY customer_id HAVING max(ts) <= :as_of - INTERVAL '45 days') quiet
        ON quiet.customer_id = r.customer_id
     WHERE r.rfm_segment IN ('Champions', 'Loyal', 'Cannot Lose Them')
    UNION
    SELECT customer_id FROM customer_rfm
     WHERE m_score >= 4
       AND customer_id NOT IN (
         SELECT customer_id FROM events
          WHERE event = 'Page Viewed' AND ts > :as_of - INTERVAL '4 weeks' AND ts <= :as_of)`,
};

/** The SQL literal of a time, as both engines read it. */
export function timestampLiteral(t: Date): string {
  return `TIMESTAMP '${t
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")}'`;
}

/** A segment's query with references expanded and the as-of time substituted. */
export function segmentQuery(id: string, asOf: Date): string {
  const sql = QUERIES[id];
  if (sql === undefined) throw new Error(`no hand-written query for segment ${id}`);
  const expanded = sql.replace(/\{\{([a-z0-9_-]+)\}\}/g, (_m, ref: string) => segmentQuery(ref, asOf));
  return expanded.replaceAll(":as_of", timestampLiteral(asOf));
}

/** The statement that is timed: the query's members, counted where they are (no transfer of ids). */
export function countQuery(id: string, asOf: Date): string {
  return `SELECT count(*) AS n FROM (${segmentQuery(id, asOf)}) members`;
}
