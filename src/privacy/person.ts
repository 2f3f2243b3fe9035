import { UserError } from "../errors.js";
import { emailKey, phoneKey } from "../ingest/normalize.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { keyringToRead, storedIdentifier } from "./encryption.js";

/** How a person was named by whoever asks about them (an erasure, an access request, a consent record). */
export type IdentifierGiven = "customer_id" | "email" | "phone" | "user_id";

/** One person, found by any of their identifiers. */
export interface Person {
  /** Their unified customer id. */
  readonly customerId: string;
  /** How the request named them. */
  readonly namedBy: IdentifierGiven;
  /** Every identifier linked to them (`identities`), normalised as stored. */
  readonly identifiers: readonly { readonly kind: string; readonly value: string }[];
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;
// A phone number as people write one: digits with an optional leading +, spaces, dashes, dots and brackets.
const PHONE = /^\+?[0-9][0-9 ().-]{4,}$/;

/**
 * Finds the one person an identifier names: an email address or phone number (normalised as identity
 * resolution stores them), else a customer id or a user id. Unknown or malformed, it is the caller's error
 * (naming the identifier and why); nothing is guessed.
 */
export async function resolvePerson(engine: Engine, given: string, path = "person"): Promise<Person> {
  const text = given.trim();
  if (text === "" || text.length > 512 || /\p{Cc}/u.test(text))
    throw new UserError(
      "bad-input",
      "not an identifier: give a customer id, user id, email address or phone number",
      path,
    );
  const d = engine.dialect;
  const asEmail = EMAIL.test(text);
  const asPhone = !asEmail && PHONE.test(text) && /[0-9]{5,}/.test(text.replace(/[^0-9]/g, ""));
  if (text.includes("@") && !asEmail)
    throw new UserError("bad-input", `${JSON.stringify(text)} is not a well-formed email address`, path);
  // An encrypted database keeps emails and phone numbers as their blind index: the key is needed to look them up.
  const keyring = asEmail || asPhone ? await keyringToRead(engine) : null;
  const stored = (kind: "email" | "phone", normalised: Sql) =>
    storedIdentifier(engine, keyring, kind, normalised);
  const lookups: { kind: IdentifierGiven; where: Sql }[] = asEmail
    ? [
        {
          kind: "email",
          where: sql`i.kind = 'email' AND i.value = ${stored("email", emailKey(d, sql`${text}`))}`,
        },
      ]
    : [
        { kind: "customer_id", where: sql`i.customer_id = ${text}` },
        { kind: "user_id", where: sql`i.kind = 'user_id' AND i.value = ${text}` },
        ...(asPhone
          ? [
              {
                kind: "phone" as const,
                where: sql`i.kind = 'phone' AND i.value = ${stored("phone", phoneKey(d, sql`${text}`))}`,
              },
            ]
          : []),
      ];
  for (const { kind, where } of lookups) {
    const found = await engine.query(sql`SELECT DISTINCT i.customer_id FROM identities i WHERE ${where}`);
    const ids = found.column("customer_id").filter((x): x is string => typeof x === "string");
    if (ids.length === 0) continue;
    // Identity resolution links each identifier to one person; two would be a corrupt store, not a choice to make.
    if (ids.length > 1)
      throw new Error(
        `identifier ${kind} names ${ids.length} customers: the identities table is inconsistent`,
      );
    const customerId = ids[0] as string;
    const all = await engine.query(
      sql`SELECT kind, value FROM identities WHERE customer_id = ${customerId} ORDER BY kind, value`,
    );
    return {
      customerId,
      namedBy: kind,
      identifiers: all.rows<{ kind: string; value: string }>().map((r) => ({ kind: r.kind, value: r.value })),
    };
  }
  // A customer of a profile file without identities (none is expected: every customer has their user id).
  const profile = await engine.query(sql`SELECT customer_id FROM customers WHERE customer_id = ${text}`);
  if (profile.rowCount > 0) return { customerId: text, namedBy: "customer_id", identifiers: [] };
  throw new UserError(
    "unknown-person",
    `no person is known by ${asEmail ? "the email address" : asPhone ? "the phone number or id" : "the id"} ${JSON.stringify(text)}`,
    path,
  );
}
