import {
  countryCode,
  googleEmail,
  googleName,
  metaName,
  metaPhone,
  metaZip,
  normaliseEmail,
  normalisePhone,
  sha256Hex,
  zipCode,
} from "./contact-normalisation.js";

/**
 * The file formats of `audience export` (issue 18, item 2): which contact fields each reads, its columns, and one
 * member's row. The files themselves are written by export-files.ts; the rules of each value are in
 * contact-normalisation.ts.
 */

export const EXPORT_FORMATS = ["csv", "google", "meta"] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

/** One consented member's contact details in clear, as read from their profile (null where absent). */
export interface ContactRow {
  readonly customerId: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly country: string | null;
  readonly zip: string | null;
  /** The phone number already normalised (`normalisePhone`, in another thread); absent: normalised here. */
  readonly e164?: string | null;
}

export type ContactField = Exclude<keyof ContactRow, "customerId" | "e164">;

/** What an export counts as it goes: values that could not be normalised, members with nothing to match on. */
export interface ExportTally {
  /** Email addresses present but not plausible (left out of their row). */
  emails: number;
  /** Phone numbers present but not normalisable to E.164 (left out of their row). */
  phones: number;
  /** Consented members left out of the file: none of the contact fields the format needs. */
  noContact: number;
}

/** Whether the database holds the traits beside the contact fields that a format may use. */
export interface Available {
  readonly country: boolean;
  readonly zip: boolean;
}

/** A format: the fields it reads, its columns, one member's row (null: nothing to match on or reach them by). */
export interface ExportFormat {
  readonly name: ExportFormatName;
  /** How the rows are written: a CSV file with a header, or Meta's JSON request files. */
  readonly container: "csv" | "meta";
  readonly fields: readonly ContactField[];
  readonly columns: readonly string[];
  row(c: ContactRow, tally: ExportTally): (string | null)[] | null;
}

/** How an audience's channel reaches people, for the csv format: which contact field it needs. */
export type ChannelContact = "email" | "phone" | "id" | "any";

const PHONE_CHANNELS = new Set(["sms", "mms", "whatsapp", "phone", "call", "voice"]);
const ID_CHANNELS = new Set(["push", "in-app", "app"]);

/**
 * The contact field a channel needs: an address for email, a number for sms and its kin (whatsapp, phone, voice),
 * nothing but the customer id for push (the app knows its users by id), and for any other channel (ads, social,
 * postal…) whichever of email and phone a member has.
 */
export function channelContact(channel: string): ChannelContact {
  if (channel === "email") return "email";
  if (PHONE_CHANNELS.has(channel)) return "phone";
  if (ID_CHANNELS.has(channel)) return "id";
  return "any";
}

/** The normalised email, counting one that is present but not plausible. */
function email(c: ContactRow, tally: ExportTally): string | null {
  const e = normaliseEmail(c.email);
  if (e === null && c.email != null && c.email.trim() !== "") tally.emails++;
  return e;
}

/** The E.164 phone number, counting one that is present but cannot be normalised. */
function phone(c: ContactRow, tally: ExportTally): string | null {
  const p = c.e164 !== undefined ? c.e164 : normalisePhone(c.phone, c.country);
  if (p === null && c.phone != null && c.phone.trim() !== "") tally.phones++;
  return p;
}

const trimmed = (v: string | null): string | null => (v?.trim() ? v.trim() : null);
const hashed = (v: string | null): string | null => (v === null ? null : sha256Hex(v));

/**
 * csv: the customer id and the contact fields the audience's channel needs, in clear, for the tool that sends
 * (email: the address and the names; sms: the number in E.164 and the names; push: the id alone; another channel:
 * address, number and names). A member without the channel's contact field is left out.
 */
export function csvFormat(channel: string): ExportFormat {
  const need = channelContact(channel);
  const withEmail = need === "email" || need === "any";
  const withPhone = need === "phone" || need === "any";
  const withNames = need !== "id";
  return {
    name: "csv",
    container: "csv",
    fields: [
      ...(withEmail ? (["email"] as const) : []),
      // The country reads a number written without its country code.
      ...(withPhone ? (["phone", "country"] as const) : []),
      ...(withNames ? (["firstName", "lastName"] as const) : []),
    ],
    columns: [
      "customer_id",
      ...(withEmail ? ["email"] : []),
      ...(withPhone ? ["phone"] : []),
      ...(withNames ? ["first_name", "last_name"] : []),
    ],
    row(c, tally) {
      const e = withEmail ? email(c, tally) : null;
      const p = withPhone ? phone(c, tally) : null;
      if ((need === "email" && e === null) || (need === "phone" && p === null)) return null;
      if (need === "any" && e === null && p === null) return null;
      return [
        c.customerId,
        ...(withEmail ? [e] : []),
        ...(withPhone ? [p] : []),
        ...(withNames ? [trimmed(c.firstName), trimmed(c.lastName)] : []),
      ];
    },
  };
}

/**
 * google: Google Ads Customer Match's file, its English headers. Email and Phone hashed; First Name, Last Name
 * (hashed), Country and Zip (not hashed) only when the database has a zip trait — Google matches names only with
 * a country and a zip, so names alone would be personal data sent for nothing — and filled in a row only when all
 * four are there. A member with none of email, phone and that address is left out.
 */
export function googleFormat(available: Available): ExportFormat {
  const address = available.country && available.zip;
  return {
    name: "google",
    container: "csv",
    fields: [
      "email",
      "phone",
      ...(available.country ? (["country"] as const) : []),
      ...(address ? (["firstName", "lastName", "zip"] as const) : []),
    ],
    columns: ["Email", "Phone", ...(address ? ["First Name", "Last Name", "Country", "Zip"] : [])],
    row(c, tally) {
      const e = email(c, tally);
      const p = phone(c, tally);
      let place: (string | null)[] = [];
      if (address) {
        const parts = [
          googleName(c.firstName),
          googleName(c.lastName),
          countryCode(c.country),
          zipCode(c.zip),
        ];
        place = parts.every((x) => x !== null)
          ? [hashed(parts[0] ?? null), hashed(parts[1] ?? null), parts[2] ?? null, parts[3] ?? null]
          : [null, null, null, null];
      }
      if (e === null && p === null && place[0] == null) return null;
      return [hashed(e === null ? null : googleEmail(e)), hashed(p), ...place];
    },
  };
}

/** At most this many rows in one of Meta's request files (its API takes 10,000 a request). */
export const META_ROWS_PER_FILE = 10_000;

/**
 * meta: Meta Custom Audiences' request payload, `{"schema": [...], "data": [[...]]}`: EMAIL, PHONE (digits with
 * the country code), FN, LN, and COUNTRY and ZIP where the database has those traits, every value normalised as
 * Meta says and hashed; an empty string where a member has none. A member with no email, no phone and not both
 * names is left out.
 */
export function metaFormat(available: Available): ExportFormat {
  return {
    name: "meta",
    container: "meta",
    fields: [
      "email",
      "phone",
      "firstName",
      "lastName",
      ...(available.country ? (["country"] as const) : []),
      ...(available.zip ? (["zip"] as const) : []),
    ],
    columns: [
      "EMAIL",
      "PHONE",
      "FN",
      "LN",
      ...(available.country ? ["COUNTRY"] : []),
      ...(available.zip ? ["ZIP"] : []),
    ],
    row(c, tally) {
      const e = email(c, tally);
      const p = phone(c, tally);
      const fn = metaName(c.firstName);
      const ln = metaName(c.lastName);
      if (e === null && p === null && (fn === null || ln === null)) return null;
      const country = countryCode(c.country);
      return [
        hashed(e),
        hashed(p === null ? null : metaPhone(p)),
        hashed(fn),
        hashed(ln),
        ...(available.country ? [hashed(country === null ? null : country.toLowerCase())] : []),
        ...(available.zip ? [hashed(metaZip(c.zip, c.country))] : []),
      ];
    },
  };
}

/** The format of a name, for an audience's channel and the traits the database has. */
export function exportFormat(name: ExportFormatName, channel: string, available: Available): ExportFormat {
  if (name === "csv") return csvFormat(channel);
  return name === "google" ? googleFormat(available) : metaFormat(available);
}
