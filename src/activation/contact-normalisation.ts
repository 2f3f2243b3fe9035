import { hash } from "node:crypto";
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js";
import { EMAIL_PATTERN } from "../common/contact-formats.js";

/**
 * Contact details as the ad platforms match them (issue 18, item 2): each rule is one small function, applied in
 * JavaScript to the clear values an export reads, so that every engine gives the same bytes (ClickHouse's `lower`
 * is ASCII-only; names are not) and one test checks each rule against hand-computed hashes.
 *
 * Sources: Google Ads Customer Match ("Format your customer data file"; the Ads API's `UserIdentifier` and
 * `OfflineUserAddressInfo`: trim, lower case, E.164 phones, dots removed before the @ of gmail.com and
 * googlemail.com addresses, names without spaces, country and zip not hashed) and Meta's Custom Audiences
 * ("Hashing and normalizing data": email trimmed and lower case; phone digits only with the country code, no
 * leading zeros; names lower case without punctuation; country as its lower-case ISO code; zip lower case without
 * spaces, a US zip's first five digits; every value hashed).
 */

const EMAIL = new RegExp(`^(?:${EMAIL_PATTERN})$`);

/** SHA-256 of a text's UTF-8 bytes, 64 lower-case hexadecimal characters (as both platforms want it). */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}

/**
 * An email address trimmed and lower-cased; null when it is not a plausible address (the importer's and the audit's
 * pattern: one @, a dotted domain, no blanks): such a value matches no one and is left out, counted.
 */
export function normaliseEmail(value: string | null | undefined): string | null {
  if (value == null) return null;
  const email = value.trim().toLowerCase();
  return EMAIL.test(email) ? email : null;
}

/** Google's form of a normalised email: for gmail.com and googlemail.com, the dots before the @ removed. */
export function googleEmail(email: string): string {
  const at = email.lastIndexOf("@");
  const domain = email.slice(at + 1);
  if (domain !== "gmail.com" && domain !== "googlemail.com") return email;
  return `${email.slice(0, at).replaceAll(".", "")}@${domain}`;
}

const countries = new Map<string, CountryCode | null>();

/** A country trait as an ISO 3166-1 alpha-2 code (upper case) libphonenumber knows; null otherwise. */
export function countryCode(value: string | null | undefined): CountryCode | null {
  if (value == null) return null;
  let known = countries.get(value);
  if (known === undefined) {
    const code = value.trim().toUpperCase();
    known = /^[A-Z]{2}$/.test(code) && isSupportedCountry(code) ? (code as CountryCode) : null;
    // A column of a few hundred countries at most; odd values beyond that are simply read again.
    if (countries.size < 10_000) countries.set(value, known);
  }
  return known;
}

/**
 * A phone number in E.164 (`+442071838750`), read by libphonenumber-js: a number written with its country code
 * (`+44 …`, `0044 …`) as it is, one without in the customer's country (`country`, ISO alpha-2). Null when it
 * cannot be normalised: no country code and no known country, or not a valid number of its country (the
 * library's default metadata: the country's lengths and number ranges) — such a number matches no one.
 */
export function normalisePhone(value: string | null | undefined, country?: string | null): string | null {
  if (value == null || value.trim() === "") return null;
  const parsed = parsePhoneNumberFromString(value, countryCode(country) ?? undefined);
  return parsed?.isValid() ? parsed.number : null;
}

/** Meta's form of an E.164 number: its digits only, the country code first (so no leading zero). */
export function metaPhone(e164: string): string {
  return e164.replace(/\D/g, "");
}

/** Text in Unicode's composed form, lower-cased: the same name typed on two keyboards hashes the same. */
function lowerComposed(value: string): string {
  return value.normalize("NFC").toLowerCase();
}

/** Google's form of a first or last name: lower case, every space removed; null when nothing is left. */
export function googleName(value: string | null | undefined): string | null {
  if (value == null) return null;
  const name = lowerComposed(value).replace(/\s/gu, "");
  return name === "" ? null : name;
}

/**
 * Meta's form of a first or last name: lower case, letters only (no spaces, punctuation or digits; accented
 * letters kept, in UTF-8); null when nothing is left.
 */
export function metaName(value: string | null | undefined): string | null {
  if (value == null) return null;
  const name = lowerComposed(value).replace(/[^\p{L}\p{M}]/gu, "");
  return name === "" ? null : name;
}

/** A zip or postal code as given, trimmed (Google takes it unhashed); null when empty. */
export function zipCode(value: string | null | undefined): string | null {
  const zip = value?.trim();
  return zip ? zip : null;
}

/**
 * Meta's form of a zip code: lower case without spaces; in the US (`country`), the first five digits of a ZIP+4.
 */
export function metaZip(value: string | null | undefined, country?: string | null): string | null {
  const zip = zipCode(value)?.toLowerCase().replace(/\s/gu, "");
  if (!zip) return null;
  return countryCode(country) === "US" && /^\d{5}-?\d{4}$/.test(zip) ? zip.slice(0, 5) : zip;
}
