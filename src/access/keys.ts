import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { ROLES, type Role } from "./roles.js";

/**
 * API keys (issue 16): `tsk_<id>_<secret>`, the id (12 hex digits) naming the key in lists and logs, the secret 32
 * random bytes. Only the SHA-256 of the whole key is stored: a key is random and long, so a fast hash suffices (a
 * slow one defends guessable passwords), and a stolen database yields no usable key. The key is shown once, when
 * it is made.
 */
export interface KeyInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

const KEY = /^tsk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Makes a key for a role; returns it (the only time it is shown) with its id. */
export async function createKey(
  engine: Engine,
  role: Role,
  name?: string,
): Promise<{ key: string; id: string; role: Role; name: string }> {
  if (!ROLES.includes(role))
    throw new UserError("bad-role", `no role "${role}" (the roles: ${ROLES.join(", ")})`, "role");
  const id = randomBytes(6).toString("hex");
  const key = `tsk_${id}_${randomBytes(32).toString("base64url")}`;
  const shown = name ?? `${role}-${id}`;
  await engine.run(
    sql`INSERT INTO api_keys (key_id, name, role, hash, created_at, revoked_at)
        VALUES (${id}, ${shown}, ${role}, ${digest(key)}, ${engine.dialect.now()}, NULL)`,
  );
  return { key, id, role, name: shown };
}

/** Every key, newest first, without its hash. */
export async function listKeys(engine: Engine): Promise<KeyInfo[]> {
  const r = await engine.query(
    "SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, key_id",
  );
  return r
    .rows<{ key_id: string; name: string; role: Role; created_at: Date; revoked_at: Date | null }>()
    .map((k) => ({
      id: k.key_id,
      name: k.name,
      role: k.role,
      createdAt: k.created_at.toISOString(),
      revokedAt: k.revoked_at ? k.revoked_at.toISOString() : null,
    }));
}

/** Revokes a key by id: from now on it is refused. A key revoked already stays revoked (its time kept). */
export async function revokeKey(engine: Engine, id: string): Promise<KeyInfo> {
  const known = (await listKeys(engine)).find((k) => k.id === id);
  if (!known) throw new UserError("unknown-key", `no key "${id}" (tessera keys list shows them)`, "id");
  if (known.revokedAt === null)
    await engine.run(
      engine.dialect.updateWhere(
        "api_keys",
        sql`revoked_at = ${engine.dialect.now()}`,
        sql`key_id = ${id} AND revoked_at IS NULL`,
      ),
    );
  return (await listKeys(engine)).find((k) => k.id === id) as KeyInfo;
}

/** The key's id, name and role when it is a key of this store not revoked; null otherwise. */
export async function verifyKey(
  engine: Engine,
  key: string,
): Promise<{ id: string; name: string; role: Role } | null> {
  const m = KEY.exec(key);
  if (!m) return null;
  const r = await engine.query(
    sql`SELECT key_id, name, role, hash FROM api_keys WHERE key_id = ${m[1] as string} AND revoked_at IS NULL`,
  );
  const row = r.rows<{ key_id: string; name: string; role: Role; hash: string }>()[0];
  if (!row) return null;
  // Compared in constant time: how long a comparison takes says nothing about the stored hash.
  const [a, b] = [Buffer.from(row.hash, "hex"), Buffer.from(digest(key), "hex")];
  return a.length === b.length && timingSafeEqual(a, b)
    ? { id: row.key_id, name: row.name, role: row.role }
    : null;
}
