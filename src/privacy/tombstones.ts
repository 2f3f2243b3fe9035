import { createHash, hkdfSync, randomBytes } from "node:crypto";
import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/**
 * Tombstones (issue 17, item 4): the identifiers of erased people, kept only as keyed hashes, so that a later import
 * or tracked event carrying one is rejected ("erased") rather than bringing the person back.
 *
 * The hash is keyed, not a plain SHA-256: emails and phone numbers are few enough to hash them all (every phone
 * number of a country in minutes), so a plain hash in the tombstone list, the erasure ledger or the audit log would
 * name the person to anyone holding a list of candidates. The key is random, one per database, kept in the
 * database (`tombstone_key`), made by the first erasure: a tombstone must keep refusing the person for as long as
 * the data lives, so its key cannot be one that an operator may lose or rotate (an encryption key from the
 * environment), and it travels with backups. It keeps the hashes unreadable to whoever sees them without the
 * database (an audit-log export, the erasure proof shown to a person); whoever holds the database holds the key.
 *
 * The construction is H(outer ‖ H(inner ‖ kind ":" value)) with two 32-byte sub-keys derived by HKDF, each written
 * as 64 hexadecimal characters (one SHA-256 block): a keyed hash with the structure of HMAC (NMAC with independent
 * keys), which an engine computes with nothing but its SHA-256 function, so the import pipeline checks every
 * staged row in SQL.
 */

/** The sub-keys of the tombstone hash, as text. */
export interface TombstoneKey {
  readonly inner: string;
  readonly outer: string;
}

const HKDF_SALT = "tessera tombstones v1";

function deriveKey(master: string): TombstoneKey {
  const sub = (info: string) =>
    Buffer.from(hkdfSync("sha256", Buffer.from(master, "hex"), HKDF_SALT, info, 32)).toString("hex");
  return { inner: sub("inner"), outer: sub("outer") };
}

/** The database's tombstone key; made (and stored) when `create` and there is none yet, else null. */
export async function tombstoneKey(engine: Engine, create = false): Promise<TombstoneKey | null> {
  const r = await engine.query("SELECT tombstone_key FROM tombstone_key ORDER BY created_at LIMIT 1");
  const stored = r.column("tombstone_key")[0];
  if (typeof stored === "string") return deriveKey(stored);
  if (!create) return null;
  const master = randomBytes(32).toString("hex");
  await engine.run(
    sql`INSERT INTO tombstone_key (tombstone_key, created_at) VALUES (${master}, ${engine.dialect.now()})`,
  );
  return deriveKey(master);
}

/** The tombstone of an identifier of a kind (`identities.kind`), its value normalised as identities store it. */
export function tombstoneHash(key: TombstoneKey, kind: string, value: string): string {
  const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
  return sha(key.outer + sha(`${key.inner}${kind}:${value}`));
}

/** SQL: `tombstoneHash` of the value an expression gives (the keys bound, never in a statement's text). */
export function tombstoneHashSql(d: Dialect, key: TombstoneKey, kind: string, expr: Sql): Sql {
  return d.sha256Hex(sql`${key.outer} || ${d.sha256Hex(sql`${`${key.inner}${kind}:`} || ${expr}`)}`);
}

/** Adds tombstones not there yet; returns how many were added. */
export async function addTombstones(engine: Engine, hashes: readonly string[]): Promise<number> {
  const wanted = [...new Set(hashes)];
  if (wanted.length === 0) return 0;
  const list = sql.join(wanted.map((h) => sql`${h}`));
  const present = await engine.query(sql`SELECT hash FROM tombstones WHERE hash IN (${list})`);
  const known = new Set(present.column("hash") as string[]);
  const fresh = wanted.filter((h) => !known.has(h));
  if (fresh.length === 0) return 0;
  const d = engine.dialect;
  await engine.run(
    sql`INSERT INTO tombstones (hash, erased_at) VALUES ${sql.join(fresh.map((h) => sql`(${h}, ${d.now()})`))}`,
  );
  return fresh.length;
}

/** Whether any tombstone exists (imports check rows only then). */
export async function anyTombstone(engine: Engine): Promise<boolean> {
  const r = await engine.query("SELECT count(*) AS n FROM tombstones");
  return Number(r.column("n")[0]) > 0;
}
