import { createHash } from "node:crypto";
import type { Engine } from "../store/engine.js";
import { sql, tsParam } from "../store/sql.js";

/**
 * The audit log of sensitive actions (issue 17, item 7), append-only and hash-chained so that tampering shows.
 *
 * Each entry carries a sequence number (1, 2, 3, …), the hash of the entry before it (`prev_hash`) and its own
 * `hash` = SHA-256(prev_hash, canonical encoding of every field of the entry, its time as the ISO text chosen at
 * insert). The chain is computed when an entry is written — ClickHouse has no UPDATE, and nothing is ever changed
 * after — reading the last entry in the same write session (a store's writes run one at a time).
 *
 * Entries written before migration 10 (`who, what, at, people` only, `seq` NULL) are not rewritten: entry 1's
 * `prev_hash` is a digest of all of them, so a change to any of them, their removal or a row added without a
 * sequence number breaks the link of entry 1. A chain cannot tell that its newest entries were cut off: the head
 * (`verifyAuditLog(…).head`) is what to note elsewhere to catch that.
 */

/**
 * One sensitive action: who did what, to how many people, under which purpose. Reads of person-level data,
 * exports, erasures, access requests and setting changes are recorded; the personal data itself never is.
 */
export interface SensitiveAction {
  /** The caller, as `Caller.who` names them. */
  readonly who: string;
  /** The operation or action: `segment.members`, `privacy.erase`, `privacy.settings`. */
  readonly action: string;
  /** What it was about, without personal data: `segment=vip`, `setting=min_group 10`. */
  readonly subject?: string;
  /** The purpose the caller gave, when the action reaches people for a use. */
  readonly purpose?: string | null;
  /** How many people the action reached. */
  readonly people: number;
}

/** An entry of the audit log as read back (newest first). */
export interface AuditEntry {
  /** Its place in the chain; null for an entry written before the chain (migration 10). */
  readonly seq: number | null;
  /** When, ISO 8601 UTC. */
  readonly at: string;
  readonly who: string;
  /** The action; null for an entry from before the chain, which has only `what`. */
  readonly action: string | null;
  readonly subject: string | null;
  readonly purpose: string | null;
  readonly people: number;
  /** One line for people: the action, its subject and purpose (what entries from before the chain hold). */
  readonly what: string;
  /** Its hash (hex); null before the chain. */
  readonly hash: string | null;
}

/** What `verifyAuditLog` found. */
export interface AuditVerification {
  /** Every chained entry matches its hash and links to the one before. */
  readonly ok: boolean;
  /** Chained entries checked (up to the first broken one). */
  readonly checked: number;
  /** Entries from before the chain; sealed by entry 1 once it exists. */
  readonly legacy: number;
  /** The newest entry: note its hash elsewhere to tell later that no entry was cut off the end. */
  readonly head: { readonly seq: number; readonly hash: string } | null;
  /** The first entry that does not match, and why. */
  readonly firstBroken?: { readonly seq: number; readonly reason: string };
}

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The line an entry shows people (and the `what` column holds, as entries before the chain did). */
function whatOf(e: { action: string; subject: string | null; purpose: string | null }): string {
  return [e.action, e.subject, e.purpose === null ? null : `purpose=${e.purpose}`]
    .filter((x) => x !== null && x !== "")
    .join(" ");
}

interface ChainFields {
  readonly seq: number;
  readonly at: string;
  readonly who: string;
  readonly action: string;
  readonly subject: string | null;
  readonly purpose: string | null;
  readonly people: number;
  readonly what: string;
}

/** SHA-256 of the previous hash and the entry's fields in a fixed order (JSON: one text for one entry). */
export function entryHash(prevHash: string, e: ChainFields): string {
  const fields = [e.seq, e.at, e.who, e.action, e.subject, e.purpose, e.people, e.what];
  return sha256(`${prevHash}\n${JSON.stringify(["tessera.audit.v1", ...fields])}`);
}

/**
 * The digest of the entries from before the chain: entry 1's `prev_hash`. Their lines are sorted, so the
 * engine's order of rows without a sequence does not matter.
 */
async function legacyDigest(engine: Engine): Promise<{ digest: string; count: number }> {
  const r = await engine.query(
    sql`SELECT who, what, ${sql.ident("at")} AS at, people FROM audit_log WHERE seq IS NULL`,
  );
  const lines = r
    .rows<{ who: string | null; what: string | null; at: Date | null; people: unknown }>()
    .map((x) =>
      JSON.stringify([
        x.at?.toISOString() ?? null,
        x.who,
        x.what,
        x.people === null ? null : Number(x.people),
      ]),
    )
    .sort();
  return { digest: sha256(["tessera.audit.legacy.v1", ...lines].join("\n")), count: lines.length };
}

/**
 * Appends an entry to the audit log, chained to the last one. Call it in a write session (`store.write`), with
 * `caller.who`, inside the transaction of the action it records where there is one.
 */
export async function recordSensitiveAction(engine: Engine, entry: SensitiveAction): Promise<void> {
  if (!Number.isSafeInteger(entry.people) || entry.people < 0)
    throw new Error(`audit log: people must be a whole number ≥ 0, not ${entry.people}`);
  await engine.transaction(async () => {
    const last = await engine.query(
      sql`SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`,
    );
    const [row] = last.rows<{ seq: unknown; hash: string }>();
    const prevHash = row ? row.hash : (await legacyDigest(engine)).digest;
    const at = new Date();
    const subject = entry.subject ?? null;
    const purpose = entry.purpose ?? null;
    const fields: ChainFields = {
      seq: row ? Number(row.seq) + 1 : 1,
      at: at.toISOString(),
      who: entry.who,
      action: entry.action,
      subject,
      purpose,
      people: entry.people,
      what: whatOf({ action: entry.action, subject, purpose }),
    };
    const hash = entryHash(prevHash, fields);
    await engine.run(
      // `at` is a keyword of some engines: quoted.
      sql`INSERT INTO audit_log (seq, who, action, subject, purpose, people, what, ${sql.ident("at")}, prev_hash, hash)
          VALUES (${sql.param(fields.seq, "integer")}, ${fields.who}, ${fields.action},
                  ${sql.param(subject, "string")}, ${sql.param(purpose, "string")},
                  ${sql.param(fields.people, "integer")}, ${fields.what}, ${tsParam(at)}, ${prevHash}, ${hash})`,
    );
  });
}

export interface StoredRow {
  seq: unknown;
  at: Date | null;
  who: string | null;
  action: string | null;
  subject: string | null;
  purpose: string | null;
  people: unknown;
  what: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export const COLUMNS = sql`seq, ${sql.ident("at")} AS at, who, action, subject, purpose, people, what, prev_hash, hash`;

export function entryOf(r: StoredRow): AuditEntry {
  return {
    seq: r.seq === null ? null : Number(r.seq),
    at: r.at?.toISOString() ?? "",
    who: r.who ?? "",
    action: r.action,
    subject: r.subject,
    purpose: r.purpose,
    people: Number(r.people ?? 0),
    what: r.what ?? "",
    hash: r.hash,
  };
}

/** The audit log, newest first: chained entries by sequence, then those from before the chain by time. */
export async function readAuditLog(engine: Engine, limit: number): Promise<AuditEntry[]> {
  const r = await engine.query(
    sql`SELECT ${COLUMNS} FROM audit_log
        ORDER BY coalesce(seq, 0) DESC, ${sql.ident("at")} DESC
        LIMIT ${sql.param(limit, "integer")}`,
  );
  return r.rows<StoredRow>().map(entryOf);
}

/** Chained entries are read this many at a time by default (the log grows without bound). */
const PAGE = 10_000;

/**
 * Recomputes the chain from entry 1 and reports the first entry that does not match: one changed (its fields no
 * longer give its hash), removed (a sequence number missing), inserted (a number twice, or a link that does not
 * follow) or reordered; a change to the entries from before the chain shows at entry 1.
 */
export async function verifyAuditLog(engine: Engine, pageSize = PAGE): Promise<AuditVerification> {
  const legacy = await legacyDigest(engine);
  // A number held twice is found before the walk: which of the two comes first in the walk is the engine's choice.
  const twice = await engine.query(
    sql`SELECT seq FROM audit_log WHERE seq IS NOT NULL GROUP BY seq HAVING count(*) > 1 ORDER BY seq LIMIT 1`,
  );
  const firstTwice = twice.rowCount > 0 ? Number(twice.column("seq")[0]) : null;
  let prev = legacy.digest;
  let expected = 1;
  let head: AuditVerification["head"] = null;
  const broken = (seq: number, reason: string): AuditVerification => ({
    ok: false,
    checked: expected - 1,
    legacy: legacy.count,
    head,
    firstBroken: { seq, reason },
  });
  for (let offset = 0; ; offset += pageSize) {
    const page = await engine.query(
      sql`SELECT ${COLUMNS} FROM audit_log WHERE seq IS NOT NULL ORDER BY seq, hash
          LIMIT ${sql.param(pageSize, "integer")} OFFSET ${sql.param(offset, "integer")}`,
    );
    const rows = page.rows<StoredRow>();
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq === firstTwice || seq < expected)
        return broken(seq, `entry ${seq} appears more than once (one was inserted)`);
      if (seq > expected)
        return broken(
          expected,
          seq === expected + 1
            ? `entry ${expected} is missing (removed); entry ${seq} follows ${expected - 1}`
            : `entries ${expected} to ${seq - 1} are missing (removed)`,
        );
      if (r.prev_hash !== prev)
        return broken(
          seq,
          seq === 1
            ? `the ${legacy.count} entries from before the chain are not those entry 1 sealed (changed, removed or added)`
            : `it does not follow entry ${seq - 1}: its previous hash is not that entry's hash (an entry was replaced)`,
        );
      const missing = (["at", "who", "action", "what", "hash"] as const).find((k) => r[k] === null);
      if (missing !== undefined || r.people === null)
        return broken(seq, `its ${missing ?? "people"} is empty (changed)`);
      const e = entryOf(r);
      const fields = { ...e, seq, action: e.action as string };
      if (entryHash(prev, fields) !== r.hash)
        return broken(seq, "its content does not match its hash (changed)");
      prev = r.hash as string;
      head = { seq, hash: prev };
      expected++;
    }
    if (rows.length < pageSize) break;
  }
  return { ok: true, checked: expected - 1, legacy: legacy.count, head };
}
