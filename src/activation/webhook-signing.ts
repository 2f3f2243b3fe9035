import { createHmac, randomBytes } from "node:crypto";
import { UserError } from "../errors.js";

/**
 * Signing webhooks as the Standard Webhooks specification (v1.0.0) has it: the symmetric scheme, HMAC-SHA256 with
 * a secret of 24 to 64 random bytes written `whsec_<base64>`, over `{webhook-id}.{webhook-timestamp}.{body}`; the
 * signature sent as `v1,<base64>` in `webhook-signature`, beside `webhook-id` and `webhook-timestamp` (integer Unix
 * seconds of the attempt).
 */

const PREFIX = "whsec_";
/** The specification's bounds on a symmetric secret: at least 24 bytes (192 bits), at most 64 (512 bits). */
const MIN_BYTES = 24;
const MAX_BYTES = 64;
const HOW_TO_MAKE = "make one with: echo whsec_$(openssl rand -base64 32)";

/**
 * Reads a webhook secret: `whsec_` followed by 24 to 64 bytes in standard base64, as the specification serialises
 * it (and receivers' libraries read it). Anything else is refused, naming `where`: a password-like string is not
 * accepted raw, since receivers' libraries would decode it as base64 into another key (signatures that never verify)
 * and it would be weaker than the 192 bits the specification asks for. Returns the key's bytes.
 */
export function parseSecret(text: string, where = "secret"): Buffer {
  if (!text.startsWith(PREFIX))
    throw new UserError(
      "bad-secret",
      `a Standard Webhooks secret starts with "${PREFIX}" (whsec_ then 24 to 64 random bytes in base64): ${HOW_TO_MAKE}`,
      where,
    );
  const b64 = text.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
    throw new UserError(
      "bad-secret",
      `what follows "${PREFIX}" is not base64 (A–Z, a–z, 0–9, + and /, padded with = to a multiple of 4 characters): ${HOW_TO_MAKE}`,
      where,
    );
  const key = Buffer.from(b64, "base64");
  if (key.length < MIN_BYTES || key.length > MAX_BYTES)
    throw new UserError(
      "bad-secret",
      `the secret holds ${key.length} bytes; the Standard Webhooks specification asks for ${MIN_BYTES} to ${MAX_BYTES}: ${HOW_TO_MAKE}`,
      where,
    );
  return key;
}

/** A secret as it may be shown: its kind and that it is set, never a character of the key. */
export function maskedSecret(): string {
  return `${PREFIX}…`;
}

/**
 * The `webhook-signature` value of one attempt: `v1,` and the base64 HMAC-SHA256, keyed with the secret's bytes,
 * of `{id}.{timestamp}.{body}` (the body exactly as sent).
 */
export function signature(key: Buffer, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers of one attempt of a message. */
export function webhookHeaders(
  key: Buffer,
  id: string,
  timestamp: number,
  body: string | Buffer,
): { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string } {
  // The specification: neither may hold a "." (the signed content is split on them), and ours never do.
  if (id.includes(".") || !Number.isInteger(timestamp)) throw new Error(`bad webhook id or timestamp: ${id}`);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature(key, id, timestamp, body),
  };
}

/**
 * A new message id (`webhook-id`): `msg_`, the time in milliseconds (base 36, so ids of one destination sort by
 * creation), then 10 random bytes in hex. Never holds a ".".
 */
export function newMessageId(now = Date.now()): string {
  return `msg_${now.toString(36)}${randomBytes(10).toString("hex")}`;
}
