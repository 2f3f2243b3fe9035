import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { z } from "zod";
import { UserError } from "../errors.js";
import { keyringToRead } from "../privacy/encryption.js";
import { isSealed, open, seal } from "../privacy/field-crypto.js";
import { SEGMENT_ID } from "../segments/definition.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { audienceNamed } from "./audiences.js";
import { cancelCampaignDeliveries } from "./campaign-outbox.js";
import { isPrivateAddress } from "./private-addresses.js";
import { type SavedTable, savedRow, savedRows } from "./saved-definitions.js";
import { parseSecret } from "./webhook-signing.js";

/**
 * Destinations (issue 18, item 2): where audiences go — a webhook URL and the Standard Webhooks secret its
 * deliveries are signed with — and which audiences each receives (`destination_audiences`). The secret is sealed with
 * the database's key when the database is encrypted (src/privacy/encryption.ts) and never shown again. A URL must be
 * http(s) and, unless the destination is added with `allowPrivate`, its host must resolve to public addresses only
 * (a guard against server-side request forgery; checked again at every delivery, see webhook-post.ts).
 */

/** Where a sealed secret is bound to (its additional data): a sealed secret moved to another column does not open. */
const SECRET_CONTEXT = "destinations.secret";
/** How long resolving a destination's host may take when it is added. */
const RESOLVE_TIMEOUT_MS = 5000;

export const DestinationSchema = z.strictObject({
  id: z
    .string()
    .regex(SEGMENT_ID, "lower-case letters, digits, - and _ (at most 64), starting with a letter or digit"),
  /** The receiver: an http(s) URL. */
  url: z.string().min(1, "a URL").max(2048, "at most 2,048 characters"),
  /** The Standard Webhooks secret: `whsec_` and 24 to 64 random bytes in base64. */
  secret: z.string().min(1, "a secret").max(200, "at most 200 characters"),
  /** Audiences it receives (more with `destination.attach`). */
  audiences: z.array(z.string().max(64)).max(100, "at most 100 audiences").optional(),
  /** Let the URL reach private, loopback and link-local addresses (a receiver on your own network). */
  allowPrivate: z.boolean().optional(),
});
export type DestinationDefinition = z.output<typeof DestinationSchema>;

/** A saved destination, as it may be shown (its secret never is). */
export interface Destination {
  readonly id: string;
  readonly kind: "webhook";
  readonly url: string;
  readonly allowPrivate: boolean;
  /** Whether the secret is stored sealed with the database's key (else in clear: the database has no key). */
  readonly secretSealed: boolean;
  /** The audiences it receives, by id. */
  readonly audiences: readonly string[];
  readonly createdAt: string;
  readonly createdBy: string;
}

/**
 * Checks a destination's URL and gives it back normalised: http or https, a host, no credentials (they would be
 * stored and shown in clear: the receiver checks the signature instead) and no fragment (never sent). Unless
 * `allowPrivate`, the host — an address, or a name resolved now — must not be private, loopback or link-local.
 */
export async function checkDestinationUrl(
  text: string,
  allowPrivate: boolean,
  where = "url",
): Promise<string> {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UserError("bad-url", `"${text}" is not a URL (expected https://host/path)`, where);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UserError("bad-url", `a webhook URL is http or https, not ${url.protocol.slice(0, -1)}`, where);
  if (url.username || url.password)
    throw new UserError(
      "bad-url",
      "credentials in the URL would be stored and shown in clear: the receiver checks the webhook signature instead",
      where,
    );
  if (url.hash) throw new UserError("bad-url", "a URL fragment (#…) is never sent: leave it out", where);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw new UserError("bad-url", "the URL names no host", where);
  if (allowPrivate) return url.href;
  const addresses = isIP(host) ? [host] : await resolve(host, where);
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined)
    throw new UserError(
      "private-destination",
      `${host === bad ? bad : `${host} resolves to ${bad}, which`} is a private, loopback or link-local address: refused unless the destination is added with --allow-private (a receiver on your own network)`,
      where,
    );
  return url.href;
}

async function resolve(host: string, where: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out")), RESOLVE_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true }), timeout]);
    return found.map((a) => a.address);
  } catch (e) {
    throw new UserError(
      "unresolvable-host",
      `cannot resolve ${host} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check the host name`,
      where,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The audiences named, each checked to exist, each once, in the order given. */
async function knownAudiences(engine: Engine, ids: readonly string[], where: string): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    if (out.includes(id)) continue;
    await audienceNamed(engine, id, where);
    out.push(id);
  }
  return out;
}

/**
 * Saves a new destination, receiving `audiences`. Everything is checked before anything is written: the id is
 * free, the secret well formed, the audiences exist, the URL is allowed. Nothing is sent: the first delivery is
 * recorded at the next sync (after a refresh, or `destination sync`).
 */
export async function saveDestination(
  engine: Engine,
  def: DestinationDefinition,
  who: string,
): Promise<Destination> {
  const clash = await engine.query(
    sql`SELECT destination_id FROM destinations WHERE destination_id = ${def.id}`,
  );
  if (clash.rowCount)
    throw new UserError(
      "duplicate-destination",
      `destination "${def.id}" exists (remove it first to redefine it)`,
      "id",
    );
  parseSecret(def.secret, "secret");
  const audiences = await knownAudiences(engine, def.audiences ?? [], "audiences");
  const url = await checkDestinationUrl(def.url, def.allowPrivate ?? false);
  const keyring = await keyringToRead(engine);
  const stored = keyring ? seal(keyring, def.secret, SECRET_CONTEXT) : def.secret;
  const d = engine.dialect;
  await engine.transaction(async () => {
    await engine.run(
      sql`INSERT INTO destinations (destination_id, kind, url, secret, allow_private, created_at, created_by)
          VALUES (${def.id}, 'webhook', ${url}, ${stored}, ${def.allowPrivate ?? false}, ${d.now()}, ${who})`,
    );
    for (const a of audiences)
      await engine.run(
        sql`INSERT INTO destination_audiences (destination_id, audience_id, attached_at)
            VALUES (${def.id}, ${a}, ${d.now()})`,
      );
  });
  return destinationNamed(engine, def.id);
}

function destinationOf(r: Record<string, unknown>, audiences: readonly string[]): Destination {
  const at = r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at));
  return {
    id: r.destination_id as string,
    kind: "webhook",
    url: r.url as string,
    allowPrivate: Boolean(r.allow_private),
    secretSealed: isSealed(String(r.secret)),
    audiences,
    createdAt: at.toISOString(),
    createdBy: r.created_by as string,
  };
}

const COLUMNS = sql`destination_id, url, secret, allow_private, created_at, created_by`;

async function attachedAudiences(engine: Engine, id?: string): Promise<Map<string, string[]>> {
  const where = id === undefined ? sql.empty : sql`WHERE destination_id = ${id}`;
  const r = await engine.query(
    sql`SELECT destination_id, audience_id FROM destination_audiences ${where} ORDER BY destination_id, audience_id`,
  );
  const out = new Map<string, string[]>();
  for (const row of r.rows<{ destination_id: string; audience_id: string }>()) {
    const list = out.get(row.destination_id) ?? [];
    list.push(row.audience_id);
    out.set(row.destination_id, list);
  }
  return out;
}

/** Every destination, by id. */
export async function listDestinations(engine: Engine): Promise<Destination[]> {
  const attached = await attachedAudiences(engine);
  return (await savedRows(engine, SAVED)).map((row) =>
    destinationOf(row, attached.get(row.destination_id as string) ?? []),
  );
}

const SAVED: SavedTable = {
  table: "destinations",
  key: "destination_id",
  columns: COLUMNS,
  noun: "destination",
};

/** A saved destination; an unknown id is refused with the nearest one suggested. */
export async function destinationNamed(engine: Engine, id: string, where = "id"): Promise<Destination> {
  const row = await savedRow(engine, SAVED, id, where);
  return destinationOf(row, (await attachedAudiences(engine, id)).get(id) ?? []);
}

/**
 * The signing key of a destination's secret as stored (sealed with the database's key, or in clear). A sealed
 * secret needs the key (`TESSERA_ENCRYPTION_KEY`): without it, a clear error, and nothing is sent.
 */
export async function secretKey(engine: Engine, stored: string): Promise<Buffer> {
  if (!isSealed(stored)) return parseSecret(stored);
  const keyring = await keyringToRead(engine);
  if (!keyring)
    throw new UserError(
      "encryption-key-required",
      "the destination's secret is sealed: set TESSERA_ENCRYPTION_KEY (or TESSERA_ENCRYPTION_KEY_FILE) to the database's key",
      "TESSERA_ENCRYPTION_KEY",
    );
  return parseSecret(open(keyring, stored, SECRET_CONTEXT));
}

/** Statements removing the people of deliveries selected by `where` (over `deliveries`), then nothing else. */
function dropDeliveryPeople(engine: Engine, where: Sql) {
  return engine.run(
    engine.dialect.deleteWhere(
      "delivery_people",
      sql`delivery_id IN (SELECT delivery_id FROM deliveries WHERE ${where})`,
    ),
  );
}

/**
 * Removes a destination with everything recorded for it: its audiences, what it was told, its deliveries (pending
 * ones are never sent: a campaign's people's records become `undelivered`) and their people and messages. What left
 * Tessera stays in the audit log. Returns how many pending deliveries were dropped.
 */
export async function removeDestination(engine: Engine, id: string): Promise<{ pendingDropped: number }> {
  await destinationNamed(engine, id);
  const pending = await engine.query(
    sql`SELECT count(*) AS n FROM deliveries WHERE destination_id = ${id} AND status = 'pending'`,
  );
  const d = engine.dialect;
  const mine = sql`destination_id = ${id}`;
  await engine.transaction(async () => {
    await cancelCampaignDeliveries(engine, mine, `cancelled: destination ${id} was removed`);
    await dropDeliveryPeople(engine, mine);
    for (const table of ["deliveries", "destination_members", "destination_audiences", "destinations"])
      await engine.run(d.deleteWhere(table, mine));
  });
  return { pendingDropped: Number(pending.column("n")[0]) };
}

/**
 * Attaches an audience to a destination: its people are sent as "entered" at the next sync. False when it was
 * attached already (nothing changes).
 */
export async function attachAudience(engine: Engine, id: string, audience: string): Promise<boolean> {
  const dest = await destinationNamed(engine, id);
  await audienceNamed(engine, audience, "audience");
  if (dest.audiences.includes(audience)) return false;
  await engine.run(
    sql`INSERT INTO destination_audiences (destination_id, audience_id, attached_at)
        VALUES (${id}, ${audience}, ${engine.dialect.now()})`,
  );
  return true;
}

/**
 * Detaches an audience from a destination: no more syncs of it; its pending deliveries are cancelled (never sent)
 * and what the destination was told of it is forgotten (attached again, its people are sent as entered again).
 * Returns how many deliveries were cancelled.
 */
export async function detachAudience(
  engine: Engine,
  id: string,
  audience: string,
): Promise<{ cancelled: number }> {
  const dest = await destinationNamed(engine, id);
  if (!dest.audiences.includes(audience))
    throw new UserError(
      "unknown-audience",
      `audience "${audience}" is not attached to destination "${id}"${
        dest.audiences.length ? ` (it receives ${dest.audiences.join(", ")})` : " (it receives none)"
      }`,
      "audience",
    );
  const d = engine.dialect;
  const pair = sql`destination_id = ${id} AND audience_id = ${audience}`;
  const pending = sql`${pair} AND status = 'pending'`;
  const n = await engine.query(sql`SELECT count(*) AS n FROM deliveries WHERE ${pending}`);
  await engine.transaction(async () => {
    await dropDeliveryPeople(engine, pending);
    await engine.run(
      d.updateWhere(
        "deliveries",
        sql`status = 'cancelled', last_error = ${"cancelled: the audience was detached"}`,
        pending,
      ),
    );
    await engine.run(d.deleteWhere("destination_members", pair));
    await engine.run(d.deleteWhere("destination_audiences", pair));
  });
  return { cancelled: Number(n.column("n")[0]) };
}
