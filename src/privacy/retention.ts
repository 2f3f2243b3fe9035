import { durationBefore, parseDuration } from "../common/duration.js";
import { UserError } from "../errors.js";
import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/**
 * Retention (issue 17, item 6): how long each kind of data is kept, and the removal of what has expired.
 *
 * The kinds that expire, each by the column dating its rows:
 * - `events` (`ts`);
 * - `orders`, with their lines (an order by its `ts`, its lines with it; a line whose order is kept stays);
 * - `survey-responses` (`ts`);
 * - `consents`: only records superseded by a later one of the same person, purpose and channel. The ledger must
 *   always answer "what is this person's consent now?", so the latest record of each stays however old it is.
 * Profiles and identities do not expire here (a person's removal is an erasure), nor the audit log (its hash chain
 * is its proof) or the erasure ledger and tombstones (they must outlive the data they keep from coming back).
 */
export const RETENTION_KINDS = ["events", "orders", "survey-responses", "consents"] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

export interface RetentionPeriod {
  readonly kind: RetentionKind;
  /** "400d", or null: kept for ever (the default). */
  readonly period: string | null;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/** Reads a kind as the command line or the API gives it; anything else names the kinds. */
export function parseRetentionKind(text: string, path = "kind"): RetentionKind {
  const kind = RETENTION_KINDS.find((k) => k === text);
  if (kind === undefined)
    throw new UserError(
      "bad-input",
      `${JSON.stringify(text)} is not a kind of data that expires (expected ${RETENTION_KINDS.join(", ")})`,
      path,
    );
  return kind;
}

/** Words that keep a kind for ever. */
const FOREVER = ["forever", "off", "none"];

/** Reads a period: a duration ("400d", "18m", "2y") or "forever"; null for ever. */
export function parseRetentionPeriod(text: string, path = "period"): string | null {
  const t = text.trim().toLowerCase();
  if (FOREVER.includes(t)) return null;
  const d = parseDuration(t);
  if (typeof d === "string") throw new UserError("bad-input", `${d}, or "forever"`, path);
  return t;
}

/** Every kind's period in force (the latest setting of each), in the kinds' order. */
export async function retentionPeriods(engine: Engine): Promise<RetentionPeriod[]> {
  const r = await engine.query(
    "SELECT kind, period, updated_at, updated_by FROM retention_periods ORDER BY updated_at, kind",
  );
  const latest = new Map<string, RetentionPeriod>();
  for (const row of r.rows<{ kind: string; period: string | null; updated_at: Date; updated_by: string }>()) {
    latest.set(row.kind, {
      kind: row.kind as RetentionKind,
      period: row.period,
      updatedAt: row.updated_at.toISOString(),
      updatedBy: row.updated_by,
    });
  }
  return RETENTION_KINDS.map(
    (kind) => latest.get(kind) ?? { kind, period: null, updatedAt: null, updatedBy: null },
  );
}

/** Sets a kind's period (appended: the settings' history stays); returns the period before. */
export async function setRetentionPeriod(
  engine: Engine,
  kind: RetentionKind,
  period: string | null,
  who: string,
): Promise<string | null> {
  const before = (await retentionPeriods(engine)).find((p) => p.kind === kind)?.period ?? null;
  await engine.run(
    sql`INSERT INTO retention_periods (kind, period, updated_at, updated_by)
        VALUES (${kind}, ${sql.param(period, "string")}, ${engine.dialect.now()}, ${who})`,
  );
  return before;
}

export interface RetentionApplied {
  readonly kind: RetentionKind;
  readonly period: string;
  /** Rows dated at or before this have expired. */
  readonly cutoff: string;
  /** Rows removed per table. */
  readonly removed: Readonly<Record<string, number>>;
  /** People whose data changed: marked for the next segment refresh. */
  readonly people: number;
}

/** A cutoff as a bound timestamp. */
const at = (t: Date): Sql => sql.param(t.toISOString().replace("T", " ").replace("Z", ""), "timestamp");

/** The rows of each table a kind removes at a cutoff: the table and the condition on it. */
function expired(d: Dialect, kind: RetentionKind, cutoff: Date): { table: string; where: Sql }[] {
  const old = sql`ts <= ${at(cutoff)}`;
  switch (kind) {
    case "events":
      return [{ table: "events", where: old }];
    case "survey-responses":
      return [{ table: "survey_responses", where: old }];
    case "orders": {
      const orders = sql`SELECT order_id FROM orders WHERE ${old}`;
      // Lines first, while their orders are there to name them.
      return [
        { table: "order_items", where: sql`order_id IN (${orders})` },
        { table: "orders", where: old },
      ];
    }
    case "consents": {
      // Superseded: not the latest record of its person, purpose and channel (NULL channels alike). Compared as one
      // text key, which both engines read the same way (no correlated subquery).
      const key = (ts: Sql) =>
        sql`concat(coalesce(customer_id, ''), '|', purpose, '|', coalesce(channel, ''), '|', ${d.toText(ts)})`;
      return [
        {
          table: "consents",
          where: sql`${old} AND ${key(sql`ts`)} NOT IN (SELECT ${key(sql`max(ts)`)} FROM consents
                       GROUP BY customer_id, purpose, channel)`,
        },
      ];
    }
  }
}

/**
 * Removes what has expired at `now`, kind by kind, and marks the people whose facts went for the next segment
 * refresh (`segment_dirty`, `since` the earliest time removed: the refresh reads their history again, so features
 * and memberships are recomputed from what is left). Kinds kept for ever are left alone. Inside the caller's
 * transaction.
 */
export async function applyRetention(engine: Engine, now: Date): Promise<RetentionApplied[]> {
  const d = engine.dialect;
  const out: RetentionApplied[] = [];
  for (const p of await retentionPeriods(engine)) {
    if (p.period === null) continue;
    const dur = parseDuration(p.period);
    if (typeof dur === "string") throw new Error(`stored retention period of ${p.kind} unreadable: ${dur}`);
    const cutoff = durationBefore(dur, now);
    const removed: Record<string, number> = {};
    const parts = expired(d, p.kind, cutoff);
    // The people whose rows go, across the kind's tables (an order and its lines are one person's), before any goes.
    const whose = sql.join(
      parts.map(({ table, where }) => sql`SELECT customer_id FROM ${sql.ident(table)} WHERE ${where}`),
      " UNION ALL ",
    );
    const marked = await engine.query(
      sql`SELECT count(DISTINCT customer_id) AS n FROM (${whose}) w WHERE customer_id IS NOT NULL`,
    );
    const people = Number(marked.column("n")[0]);
    for (const { table, where } of parts) {
      const t = sql.ident(table);
      const n = Number(
        (await engine.query(sql`SELECT count(*) AS n FROM ${t} WHERE ${where}`)).column("n")[0],
      );
      removed[table] = n;
      if (n === 0) continue;
      await engine.run([
        sql`INSERT INTO segment_dirty (customer_id, marked_at, since)
            SELECT customer_id, ${d.now()}, min(ts) FROM ${t} WHERE (${where}) AND customer_id IS NOT NULL
             GROUP BY customer_id`,
        d.deleteWhere(table, where),
      ]);
    }
    out.push({ kind: p.kind, period: p.period, cutoff: cutoff.toISOString(), removed, people });
  }
  return out;
}
