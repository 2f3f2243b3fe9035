import type { CONSENT_STATUSES } from "../ingest/canonical-fields.js";
import { consentLeavesSql } from "../segments/consent-leaf.js";
import type { Engine } from "../store/engine.js";
import { sql, tsParam } from "../store/sql.js";

/**
 * The consent ledger of one person (`consents`, append-only: a change of mind is a new record, never an update):
 * recording a record by hand (`tessera consent record`) and reading a person's records with what they amount to
 * now (`tessera consent history`).
 */

export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export interface ConsentRecord {
  readonly purpose: string;
  /** null: every channel. */
  readonly channel: string | null;
  readonly status: string;
  readonly source: string | null;
  readonly at: string;
}

/** What a person's records amount to now for one purpose and channel, as the consent gate decides. */
export interface ConsentState {
  readonly purpose: string;
  /** null: the purpose on any channel (the latest record of the purpose, whatever its channel). */
  readonly channel: string | null;
  readonly granted: boolean;
}

/**
 * Appends one consent record. The person's segment features are marked to be computed again from the record's
 * time (`segment_dirty.since`, as an import marks them), so that a record dated before the last refresh reaches
 * the next incremental one.
 */
export async function recordConsent(
  engine: Engine,
  r: {
    customerId: string;
    purpose: string;
    channel: string | null;
    status: ConsentStatus;
    source: string | null;
    at: Date;
  },
): Promise<void> {
  const d = engine.dialect;
  await engine.run(
    sql`INSERT INTO consents (customer_id, source_customer_id, purpose, channel, status, source, ts)
        VALUES (${r.customerId}, ${r.customerId}, ${r.purpose}, ${sql.param(r.channel, "string")}, ${r.status},
                ${sql.param(r.source, "string")}, ${tsParam(r.at)})`,
  );
  await engine.run(
    sql`INSERT INTO segment_dirty (customer_id, marked_at, since) VALUES (${r.customerId}, ${d.now()}, ${tsParam(r.at)})`,
  );
}

/**
 * A person's consent records in time order (records of one instant in the order denial first: the order in which
 * they count), and for each purpose and channel they name — and each purpose on any channel — whether the latest
 * record is a grant as of `at` (the consent leaf's semantics, compiled by the segment compiler).
 */
export async function consentHistory(
  engine: Engine,
  customerId: string,
  at: Date = new Date(),
): Promise<{ records: ConsentRecord[]; current: ConsentState[] }> {
  const d = engine.dialect;
  const rows = await engine.query(
    sql`SELECT purpose, channel, status, source, ts FROM consents WHERE customer_id = ${customerId}
         ORDER BY ts, purpose, coalesce(channel, ''), status = 'granted', status`,
  );
  const records = rows
    .rows<{ purpose: string; channel: string | null; status: string; source: string | null; ts: Date }>()
    .map((x) => ({
      purpose: x.purpose,
      channel: x.channel,
      status: x.status,
      source: x.source,
      at: x.ts.toISOString(),
    }));
  const scopes = new Map<string, { purpose: string; channel: string | null }>();
  for (const r of records) {
    scopes.set(JSON.stringify([r.purpose, null]), { purpose: r.purpose, channel: null });
    if (r.channel !== null) scopes.set(JSON.stringify([r.purpose, r.channel]), r);
  }
  const leaves = [...scopes.values()]
    .map((s) => ({ purpose: s.purpose, channel: s.channel }))
    .sort((a, b) => a.purpose.localeCompare(b.purpose) || (a.channel ?? "").localeCompare(b.channel ?? ""));
  if (leaves.length === 0) return { records, current: [] };
  const { rows: features, holds } = consentLeavesSql(
    d,
    leaves,
    at,
    sql`SELECT customer_id FROM customers WHERE customer_id = ${customerId}`,
  );
  const state = await engine.query(
    sql`SELECT ${sql.join(holds.map((h, i) => sql`${d.cast(h, "boolean")} AS ${sql.raw(`g${i}`)}`))}
          FROM (${features}) f`,
  );
  const row = state.rows<Record<string, unknown>>()[0] ?? {};
  return {
    records,
    current: leaves.map((l, i) => ({
      purpose: l.purpose,
      channel: l.channel,
      granted: Boolean(row[`g${i}`]),
    })),
  };
}
