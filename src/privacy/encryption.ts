/**
 * Personal data encrypted at rest (issue 17, item 8): when a database is encrypted, and how the code that writes
 * or reads personal data gets the keyring. The cryptography is in field-crypto.ts; this module decides.
 *
 * - A database becomes encrypted at the first write of personal data with a key in the environment
 *   (`TESSERA_ENCRYPTION_KEY` or `TESSERA_ENCRYPTION_KEY_FILE`): it records the blind index's key version and a
 *   canary (a known text sealed with the key), and from then on every write of personal data needs a key that
 *   opens the canary. Without the key, or with another one, such a write is refused (exit 1), nothing written;
 *   operations that touch no personal data (sizes, reports, segments) need no key.
 * - A database that already holds personal data in clear is not encrypted on the side: a key given to it is
 *   refused with the reason, rather than leaving half its values in clear.
 * - Sealed columns: the contact fields of `customers` and every trait flagged PII. Identities of kind email and
 *   phone hold their blind index, never the address or number. Customer and user ids stay in clear: they are the
 *   pseudonymous keys every table joins on (erasure removes them).
 */
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { blindIndexSql, isSealed, type Keyring, keyringFromEnvironment, open, seal } from "./field-crypto.js";

/** The table that says a database is encrypted (created by the first encrypted write: see data-model.ts). */
export const ENCRYPTION_STATE = "encryption_state";
/** The contact fields of a customer's profile: personal data whatever the registry says. */
export const CONTACT_COLUMNS = ["email", "phone", "first_name", "last_name"] as const;
const CANARY = "tessera encryption canary";
const CANARY_CONTEXT = "encryption_state.canary";

let cached: { env: string; keyring: Keyring | null } | null = null;

/** The keyring of this process's environment, read again only when the variables change. */
export function environmentKeyring(env: NodeJS.ProcessEnv = process.env): Keyring | null {
  const key = `${env.TESSERA_ENCRYPTION_KEY_FILE ?? ""}\u0000${env.TESSERA_ENCRYPTION_KEY ?? ""}`;
  if (cached?.env !== key) cached = { env: key, keyring: keyringFromEnvironment(env) };
  return cached.keyring;
}

interface State {
  readonly indexVersion: number;
  readonly canary: string;
}

async function state(engine: Engine): Promise<State | null> {
  if ((await engine.tableColumns(ENCRYPTION_STATE)).length === 0) return null;
  const r = await engine.query(sql`SELECT index_version, canary FROM ${sql.ident(ENCRYPTION_STATE)}`);
  const row = r.rows<{ index_version: unknown; canary: string }>()[0];
  return row ? { indexVersion: Number(row.index_version), canary: row.canary } : null;
}

/** Whether the database is encrypted (no key needed to ask). */
export async function isEncrypted(engine: Engine): Promise<boolean> {
  return (await state(engine)) !== null;
}

function checkKey(s: State, keyring: Keyring | null): Keyring {
  if (!keyring)
    throw new UserError(
      "encryption-key-required",
      "the database is encrypted: set TESSERA_ENCRYPTION_KEY (or TESSERA_ENCRYPTION_KEY_FILE) to the key it was encrypted with",
      "TESSERA_ENCRYPTION_KEY",
    );
  let opened: string | null = null;
  try {
    opened = open(keyring, s.canary, CANARY_CONTEXT);
  } catch {
    opened = null;
  }
  if (opened !== CANARY)
    throw new UserError(
      "wrong-encryption-key",
      "this key does not open the database's values: it is not the key (or keyring) the database was encrypted with",
      "TESSERA_ENCRYPTION_KEY",
    );
  if (keyring.index !== s.indexVersion)
    throw new UserError(
      "wrong-encryption-key",
      `the database's blind index uses key version ${s.indexVersion}, the keyring's "index" is ${keyring.index}`,
      "TESSERA_ENCRYPTION_KEY_FILE",
    );
  return keyring;
}

/**
 * The keyring to read personal data with, for an operation that needs clear values (an access request, an
 * export, the audit's contact checks): null when the database is not encrypted. An encrypted database without the
 * right key is the caller's error.
 */
export async function keyringToRead(engine: Engine, keyring = environmentKeyring()): Promise<Keyring | null> {
  const s = await state(engine);
  return s ? checkKey(s, keyring) : null;
}

/** Whether the customers table holds any personal data in clear (then a key cannot simply be switched on). */
async function holdsClearPersonalData(engine: Engine): Promise<boolean> {
  const pii = await personalColumns(engine);
  if (pii.length === 0) return false;
  const r = await engine.query(
    sql`SELECT count(*) AS n FROM customers WHERE ${sql.join(
      pii.map((c) => sql`${sql.ident(c)} IS NOT NULL`),
      " OR ",
    )}`,
  );
  return Number(r.column("n")[0]) > 0;
}

/**
 * The keyring to write personal data with, for an operation about to write some: null when the database is in
 * clear and no key is set. Only checks (nothing is written): a database in clear that already holds personal data
 * refuses a key; the first write with a key then records that the database is encrypted (`recordEncrypted`).
 */
export async function keyringToWrite(
  engine: Engine,
  keyring = environmentKeyring(),
): Promise<Keyring | null> {
  const s = await state(engine);
  if (s) return checkKey(s, keyring);
  if (!keyring) return null;
  if (await holdsClearPersonalData(engine))
    throw new UserError(
      "database-not-encrypted",
      "the database already holds personal data in clear: it cannot be encrypted from here on (start an encrypted database, or unset the key)",
      "TESSERA_ENCRYPTION_KEY",
    );
  return keyring;
}

/** Records that the database is encrypted with `keyring` (its first encrypted write; nothing when it is already). */
export async function recordEncrypted(engine: Engine, keyring: Keyring): Promise<void> {
  if (await state(engine)) return;
  const d = engine.dialect;
  await engine.run(
    d.createTable(
      ENCRYPTION_STATE,
      [
        { name: "index_version", type: "integer" },
        { name: "canary", type: "string" },
        { name: "encrypted_at", type: "timestamp" },
      ],
      ["index_version"],
    ),
  );
  await engine.run(
    sql`INSERT INTO ${sql.ident(ENCRYPTION_STATE)} (index_version, canary, encrypted_at)
        VALUES (${sql.param(keyring.index, "integer")}, ${seal(keyring, CANARY, CANARY_CONTEXT)}, ${d.now()})`,
  );
}

/** The columns of `customers` that hold personal data: the contact fields and the traits flagged PII. */
export async function personalColumns(engine: Engine): Promise<string[]> {
  const r = await engine.query(sql`SELECT name FROM trait_registry WHERE pii`);
  const flagged = r.column("name").filter((x): x is string => typeof x === "string");
  const present = new Set(await engine.tableColumns("customers"));
  return [...new Set([...CONTACT_COLUMNS, ...flagged])].filter((c) => present.has(c));
}

/** Where a customers column's sealed values are bound to (their additional data). */
export const sealedContext = (column: string): string => `customers.${column}`;

/** SQL: an identifier expression as identity resolution stores it: its blind index when encrypting. */
export function storedIdentifier(
  engine: Engine,
  keyring: Keyring | null,
  kind: string,
  normalised: Sql,
): Sql {
  return keyring ? blindIndexSql(engine.dialect, keyring, kind, normalised) : normalised;
}

/**
 * Rewrites columns of a session temporary table through a function of each value, in JavaScript (sealing or
 * opening), keyed by `key`: only the table's non-null values are read, and the result replaces the table. The
 * values never touch a permanent table or its write-ahead log in the form they had.
 */
export async function mapTempColumns(
  engine: Engine,
  table: string,
  key: string,
  columns: readonly string[],
  f: (value: string, column: string) => string,
): Promise<void> {
  if (columns.length === 0) return;
  const d = engine.dialect;
  const id = sql.ident;
  const r = await engine.query(
    sql`SELECT ${id(key)}, ${sql.join(columns.map((c) => sql`${d.toText(sql`${id(c)}`)} AS ${id(c)}`))}
          FROM ${sql.temp(table)} WHERE ${sql.join(
            columns.map((c) => sql`${id(c)} IS NOT NULL`),
            " OR ",
          )}`,
  );
  if (r.rowCount === 0) return;
  const mapped = `${table}_mapped`;
  await engine.appendTemp(mapped, [
    { name: key, type: "string", values: r.column(key) },
    ...columns.map((c) => ({
      name: c,
      type: "string" as const,
      values: r.column(c).map((v) => (typeof v === "string" ? f(v, c) : null)),
    })),
  ]);
  const others = (await engine.tableColumns(table)).filter((c) => !columns.includes(c));
  const rebuilt = `${table}_rebuilt`;
  await engine.run([
    ...d.createTempAs(
      rebuilt,
      sql`SELECT ${sql.join([
        ...others.map((c) => sql`t.${id(c)} AS ${id(c)}`),
        ...columns.map(
          (c) => sql`CASE WHEN m.${id(key)} IS NULL THEN t.${id(c)} ELSE m.${id(c)} END AS ${id(c)}`,
        ),
      ])} FROM ${sql.temp(table)} t LEFT JOIN ${sql.temp(mapped)} m ON m.${id(key)} = t.${id(key)}`,
    ),
    sql`DROP TABLE ${sql.temp(table)}`,
    ...d.createTempAs(table, sql`SELECT * FROM ${sql.temp(rebuilt)}`),
    sql`DROP TABLE ${sql.temp(rebuilt)}`,
    sql`DROP TABLE ${sql.temp(mapped)}`,
  ]);
}

/** Seals the personal columns of a temporary table of customer profiles (keyed by customer_id) in place. */
export function sealProfiles(engine: Engine, keyring: Keyring, table: string, columns: readonly string[]) {
  return mapTempColumns(engine, table, "customer_id", columns, (v, c) => seal(keyring, v, sealedContext(c)));
}

/** Opens the personal columns of a temporary table of customer profiles (keyed by customer_id) in place. */
export function openProfiles(engine: Engine, keyring: Keyring, table: string, columns: readonly string[]) {
  return mapTempColumns(engine, table, "customer_id", columns, (v, c) => open(keyring, v, sealedContext(c)));
}

/** The temporary table `contactsInClear` opens contact fields into. */
const CONTACTS = "_clear_contacts";

/**
 * The customers' email and phone in clear, for checks that read them (the audit's syntax and shared-contact
 * checks): `customers` itself in a clear database; in an encrypted one, a session temporary table opened in
 * JavaScript (about 2 µs a value), never written to the database, which the caller drops when done. Without the
 * key, an encrypted database's contacts cannot be checked: the caller's error, naming the variable.
 */
export async function contactsInClear(engine: Engine): Promise<{ table: Sql; drop(): Promise<void> }> {
  const keyring = await keyringToRead(engine);
  if (!keyring) return { table: sql`customers`, drop: async () => {} };
  const d = engine.dialect;
  await engine.run(d.createTempAs(CONTACTS, sql`SELECT customer_id, email, phone FROM customers`));
  await openProfiles(engine, keyring, CONTACTS, ["email", "phone"]);
  return {
    table: sql.temp(CONTACTS),
    drop: () => engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(CONTACTS)}`),
  };
}

/**
 * In an encrypted database, whether a trait may become personal data (`pii` true) or stop being it: its values are
 * sealed as text, so a personal trait must be text; and values already stored stay as they were stored (sealing or
 * opening a column in place would leave the old form in the engine's freed pages), so the flag of a trait that
 * holds values cannot change. Nothing to check in a clear database (`encrypted`: whether it is, or is becoming
 * so, when the caller knows). `where` names the option or field.
 */
export async function checkPersonalFlag(
  engine: Engine,
  trait: { readonly name: string; readonly type: string },
  pii: boolean,
  where: string,
  encrypted?: boolean,
): Promise<void> {
  if (!(encrypted ?? (await isEncrypted(engine)))) return;
  if (pii && trait.type !== "string")
    throw new UserError(
      "personal-trait-not-text",
      `trait ${trait.name} holds ${trait.type} values: in an encrypted database personal data is stored sealed, as text (import it as text, or leave it not personal)`,
      where,
    );
  const columns = await engine.tableColumns("customers");
  if (!columns.includes(trait.name)) return;
  const r = await engine.query(sql`SELECT count(${sql.ident(trait.name)}) AS n FROM customers`);
  if (Number(r.column("n")[0]) > 0)
    throw new UserError(
      "trait-holds-values",
      `trait ${trait.name} already holds values ${pii ? "in clear" : "sealed"}: in an encrypted database a trait is ${pii ? "flagged personal data before its first values" : "personal data for good once it holds values"}`,
      where,
    );
}

/**
 * With a key set, the tracking log's records are sealed (the events it holds carry personal data until loaded,
 * where the database seals it): `tessera serve` with TESSERA_ENCRYPTION_KEY writes no email in clear to disk. A
 * record written before the key was set reads as it was; one sealed, without the key, is refused with the reason.
 */
export function trackingLogCodec(keyring: Keyring | null = environmentKeyring()): {
  encode(text: string): string;
  decode(text: string): string;
} {
  const context = "tracking-log";
  return {
    encode: (text) => (keyring ? seal(keyring, text, context) : text),
    decode: (text) => {
      if (!isSealed(text)) return text;
      if (!keyring)
        throw new UserError(
          "encryption-key-required",
          "the tracking log holds sealed events: set TESSERA_ENCRYPTION_KEY to the key they were sealed with",
          "TESSERA_ENCRYPTION_KEY",
        );
      return open(keyring, text, context);
    },
  };
}
