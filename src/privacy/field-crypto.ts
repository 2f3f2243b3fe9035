/**
 * Field-level encryption of personal data at rest (issue 17, item 8), whatever the engine: DuckDB's own file
 * encryption needs its httpfs extension, which the npm registry does not serve, and ClickHouse would need its own,
 * so values are sealed before they reach the engine.
 *
 * - A value is sealed with AES-256-GCM (node:crypto) under a key derived from a master key of the keyring, with
 *   a fresh 96-bit IV, and bound to where it is stored (the additional data names the table and column: a sealed
 *   email copied into another column does not open). The sealed text names its key version, so keys rotate: new
 *   values take the current version, old ones open with theirs until rewritten.
 * - A value that must be matched (identity resolution, erasure and tombstones by email or phone) also gets a keyed
 *   blind index of its normalised text under an index key of its own (`blindIndex`): computed by the engine as
 *   well as here, so identity resolution keeps raw rows in SQL. Without the key, neither the sealed value nor the
 *   index says anything (a plain hash of an email is reversed by hashing a list of emails). The index key has its
 *   own version, which does not move with the encryption key: rotating the index means re-indexing, so it is a
 *   separate decision.
 * - Per-person data keys make crypto-shredding possible: a person's values sealed under their own key (itself
 *   sealed under the master key) become unreadable everywhere — backups included — once that key is deleted.
 *
 * Keys come from `TESSERA_ENCRYPTION_KEY` (one 32-byte key, base64 or hex: version 1) or the JSON file named by
 * `TESSERA_ENCRYPTION_KEY_FILE` (`{"current": 2, "index": 1, "keys": {"1": "…", "2": "…"}}`). Sub-keys are
 * derived with HKDF-SHA256, so the master key is never used directly for two purposes.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import type { Dialect } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The sealed form: `tse1.<key version>.<base64url(iv ‖ tag ‖ ciphertext)>` (format 1 of Tessera's sealing). */
const SEALED = /^tse1\.([1-9][0-9]{0,5})\.([A-Za-z0-9_-]+)$/;
/** The sealed form of a value under a person's data key: `tsp1.<base64url(iv ‖ tag ‖ ciphertext)>`. */
const SEALED_PERSONAL = /^tsp1\.([A-Za-z0-9_-]+)$/;
const HKDF_SALT = Buffer.from("tessera field encryption v1");

/** The master keys, by version, and which one seals new values and which one indexes. */
export interface Keyring {
  /** The version new values are sealed with. */
  readonly current: number;
  /** The version of the blind-index key. */
  readonly index: number;
  readonly versions: readonly number[];
  /** The sealing key of a version (derived from its master key). */
  sealingKey(version: number): Buffer;
  /**
   * The blind-index keys (derived from the master key of `index`): an inner and an outer key of 32 bytes, each
   * written as 64 hexadecimal characters, which is one SHA-256 block.
   */
  indexKeys(): { readonly inner: string; readonly outer: string };
}

function derive(master: Buffer, purpose: string, bytes = KEY_BYTES): Buffer {
  return Buffer.from(hkdfSync("sha256", master, HKDF_SALT, Buffer.from(purpose), bytes));
}

/** Reads a 32-byte key written as base64 (44 characters) or hex (64); anything else is refused, naming `where`. */
function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t, "base64")
      : null;
  if (!bytes || bytes.length !== KEY_BYTES)
    throw new UserError(
      "bad-encryption-key",
      "not a 256-bit key: give 32 random bytes as base64 (44 characters) or hex (64), e.g. from `openssl rand -base64 32`",
      where,
    );
  return bytes;
}

/** A keyring of master keys by version. */
export function makeKeyring(masters: ReadonlyMap<number, Buffer>, current: number, index: number): Keyring {
  for (const [v, k] of masters)
    if (!Number.isInteger(v) || v < 1 || k.length !== KEY_BYTES)
      throw new Error(`bad master key version ${v}`);
  const need = (v: number, what: string) => {
    const k = masters.get(v);
    if (!k) throw new UserError("unknown-key-version", `no key of version ${v} in the keyring`, what);
    return k;
  };
  need(current, "current");
  need(index, "index");
  const sealing = new Map<number, Buffer>();
  const both = derive(need(index, "index"), "blind index", 2 * KEY_BYTES);
  const indexKeys = {
    inner: both.subarray(0, KEY_BYTES).toString("hex"),
    outer: both.subarray(KEY_BYTES).toString("hex"),
  };
  return {
    current,
    index,
    versions: [...masters.keys()].sort((a, b) => a - b),
    sealingKey(version) {
      let k = sealing.get(version);
      if (!k) {
        k = derive(need(version, `key version ${version}`), "seal");
        sealing.set(version, k);
      }
      return k;
    },
    indexKeys: () => indexKeys,
  };
}

/**
 * The keyring from the environment: `TESSERA_ENCRYPTION_KEY_FILE` (a JSON keyring, for rotation) or
 * `TESSERA_ENCRYPTION_KEY` (one key, version 1); null when neither is set. A malformed key or file is a user error
 * naming the variable or file.
 */
export function keyringFromEnvironment(env: NodeJS.ProcessEnv = process.env): Keyring | null {
  const file = env.TESSERA_ENCRYPTION_KEY_FILE;
  if (file) return keyringFromFile(file);
  const one = env.TESSERA_ENCRYPTION_KEY;
  if (one === undefined || one === "") return null;
  return makeKeyring(new Map([[1, parseKey(one, "TESSERA_ENCRYPTION_KEY")]]), 1, 1);
}

function keyringFromFile(file: string): Keyring {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      "bad-encryption-key",
      code === "ENOENT" ? "no such key file" : code ? `cannot read the key file (${code})` : "not JSON",
      `TESSERA_ENCRYPTION_KEY_FILE ${file}`,
    );
  }
  const where = (field: string) => `${file}: ${field}`;
  const o = doc as { current?: unknown; index?: unknown; keys?: unknown };
  if (typeof o !== "object" || o === null || typeof o.keys !== "object" || o.keys === null)
    throw new UserError(
      "bad-encryption-key",
      'expected {"current": N, "keys": {"N": "key", …}}',
      where("keys"),
    );
  const masters = new Map<number, Buffer>();
  for (const [v, text] of Object.entries(o.keys as Record<string, unknown>)) {
    const version = Number(v);
    if (!/^[1-9][0-9]{0,5}$/.test(v))
      throw new UserError("bad-encryption-key", "a key version is a whole number from 1", where(`keys.${v}`));
    if (typeof text !== "string")
      throw new UserError("bad-encryption-key", "a key is a string", where(`keys.${v}`));
    masters.set(version, parseKey(text, where(`keys.${v}`)));
  }
  if (masters.size === 0) throw new UserError("bad-encryption-key", "no keys", where("keys"));
  const latest = Math.max(...masters.keys());
  const version = (x: unknown, field: string, fallback: number) => {
    if (x === undefined) return fallback;
    if (typeof x !== "number" || !masters.has(x))
      throw new UserError("bad-encryption-key", "not the version of a key in keys", where(field));
    return x;
  };
  return makeKeyring(
    masters,
    version(o.current, "current", latest),
    version(o.index, "index", Math.min(...masters.keys())),
  );
}

/** AES-256-GCM of `plain` under `key` with `iv`, bound to `context`: iv ‖ tag ‖ ciphertext. */
export function sealRaw(key: Buffer, iv: Buffer, plain: Buffer, context: string): Buffer {
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  c.setAAD(Buffer.from(context));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

/** Opens what `sealRaw` made, or throws when the key, the context or a bit of it is wrong. */
export function openRaw(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error("sealed value too short");
  const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  d.setAAD(Buffer.from(context));
  d.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([d.update(sealed.subarray(IV_BYTES + TAG_BYTES)), d.final()]);
}

/** True when `text` is a value this module sealed, under the keyring or a person's key (open it before use). */
export function isSealed(text: string): boolean {
  return SEALED.test(text) || SEALED_PERSONAL.test(text);
}

/**
 * Seals `value` for storage in `context` (e.g. `customers.email`) with the keyring's current version. Each call
 * draws a fresh IV: the same email sealed twice gives two texts (matching goes through the blind index).
 */
export function seal(keyring: Keyring, value: string, context: string): string {
  const version = keyring.current;
  const sealed = sealRaw(keyring.sealingKey(version), randomBytes(IV_BYTES), Buffer.from(value), context);
  return `tse1.${version}.${sealed.toString("base64url")}`;
}

/**
 * Opens a sealed value stored in `context`. A value sealed under a key the keyring lacks, or under another key or
 * context, or changed, is refused with a clear error: a wrong key must never read as garbage.
 */
export function open(keyring: Keyring, text: string, context: string): string {
  const m = SEALED.exec(text);
  if (!m) throw new UserError("not-sealed", "not a value Tessera sealed", context);
  const version = Number(m[1]);
  if (!keyring.versions.includes(version))
    throw new UserError(
      "unknown-key-version",
      `sealed with key version ${version}, which the keyring does not hold (it has ${keyring.versions.join(", ")})`,
      context,
    );
  try {
    return openRaw(keyring.sealingKey(version), Buffer.from(m[2] as string, "base64url"), context).toString();
  } catch {
    throw wrongKey(`key version ${version}`, context);
  }
}

function wrongKey(which: string, context: string): UserError {
  return new UserError(
    "wrong-encryption-key",
    `cannot open a value sealed with ${which}: the key is not the one it was sealed with, or the value was changed`,
    context,
  );
}

/**
 * The blind index of an identifier: SHA256(outer ‖ SHA256(inner ‖ kind ‖ ":" ‖ value)), hexadecimal throughout,
 * with the two index keys each written as 64 hexadecimal characters. That is the NMAC construction HMAC is built on
 * (a secret first block keys each hash; the outer hash hides the inner one, so no length extension), written so
 * that an engine computes it with nothing but its SHA-256 function: `blindIndexSql` gives the same text. The kind
 * is part of the message, so an email and a user id with the same text do not share an index.
 */
export function blindIndex(keyring: Keyring, kind: string, normalised: string): string {
  const { inner, outer } = keyring.indexKeys();
  const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
  return sha(outer + sha(`${inner}${kind}:${normalised}`));
}

/**
 * SQL: the blind index of the identifiers of `kind` an expression gives, as `blindIndex` computes it. The keys are
 * bound values, never literals: they must not end up in a view's text or a statement log.
 */
export function blindIndexSql(d: Dialect, keyring: Keyring, kind: string, expr: Sql): Sql {
  const { inner, outer } = keyring.indexKeys();
  return d.sha256Hex(sql`${outer} || ${d.sha256Hex(sql`${`${inner}${kind}:`} || ${expr}`)}`);
}

/** Compares two blind indexes in constant time. */
export function sameIndex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new random data key for one person (crypto-shredding: delete it and their sealed values are gone). */
export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** A person's data key sealed under the keyring, for storage beside their id. */
export function wrapDataKey(keyring: Keyring, dataKey: Buffer, customerId: string): string {
  return seal(keyring, dataKey.toString("base64"), `person-key ${customerId}`);
}

/** A person's data key back from its sealed form. */
export function unwrapDataKey(keyring: Keyring, wrapped: string, customerId: string): Buffer {
  return Buffer.from(open(keyring, wrapped, `person-key ${customerId}`), "base64");
}

/** Seals `value` under one person's data key (see `newDataKey`), bound to `context`. */
export function sealPersonal(dataKey: Buffer, value: string, context: string): string {
  return `tsp1.${sealRaw(dataKey, randomBytes(IV_BYTES), Buffer.from(value), context).toString("base64url")}`;
}

/** Opens a value sealed under a person's data key; a wrong key or a changed value is refused. */
export function openPersonal(dataKey: Buffer, text: string, context: string): string {
  const m = SEALED_PERSONAL.exec(text);
  if (!m) throw new UserError("not-sealed", "not a value Tessera sealed under a person's key", context);
  try {
    return openRaw(dataKey, Buffer.from(m[1] as string, "base64url"), context).toString();
  } catch {
    throw wrongKey("the person's data key", context);
  }
}
