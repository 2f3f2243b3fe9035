/**
 * customers.csv rows, with the injected dirt the data-quality module must find.
 *
 * Dirt kinds (each hits a customer with probability `dirt`, drawn from the customer's own dirt
 * stream so that dirt never changes anything else about the data):
 *  - duplicate_email_case: a second row with a new customer_id and the same e-mail in other
 *    letter case (same person, same traits, a later signup date);
 *  - invalid_email: the address is malformed (double @, no @, no TLD, a space, a comma, "..");
 *  - missing_values: one to three of phone and trait columns are empty.
 * A customer with an invalid e-mail is never also duplicated, so every duplicate's e-mail is
 * a case variant of a valid address.
 */
import { csvField } from "./csv-writer.js";
import { customerId, type Profile } from "./population.js";
import type { Random } from "./random.js";

/** The kinds of dirt injected, as named in truth.json. */
export const DIRT_KINDS = ["duplicate_email_case", "invalid_email", "missing_values"] as const;
/** One kind of dirt. */
export type DirtKind = (typeof DIRT_KINDS)[number];

/** One injected defect, as recorded in truth.json. */
export interface DirtItem {
  readonly kind: DirtKind;
  readonly customer_id: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** customers.csv header (canonical columns first, then traits). */
export const CUSTOMER_COLUMNS = [
  "customer_id",
  "email",
  "phone",
  "first_name",
  "last_name",
  "age",
  "gender",
  "income",
  "education",
  "occupation",
  "country",
  "region",
  "city",
  "climate",
  "signup_date",
] as const;

/** Columns that missing-value dirt may empty. */
const BLANKABLE = [
  "phone",
  "age",
  "gender",
  "income",
  "education",
  "occupation",
  "region",
  "city",
  "climate",
];

/** A malformed version of a valid address; which one is chosen at random. */
export function invalidEmail(rng: Random, email: string): string {
  const at = email.indexOf("@");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  switch (rng.int(6)) {
    case 0:
      return `${local}@@${domain}`;
    case 1:
      return `${local}.${domain}`;
    case 2:
      return `${local}@${domain.slice(0, domain.lastIndexOf("."))}`;
    case 3: {
      const k = 1 + rng.int(local.length - 1);
      return `${local.slice(0, k)} ${local.slice(k)}@${domain}`;
    }
    case 4:
      return `${local}@${domain.replace(".", ",")}`;
    default: {
      const k = 1 + rng.int(local.length - 1);
      return `${local.slice(0, k)}..${local.slice(k)}@${domain}`;
    }
  }
}

/** The same address in a different letter case ("anna.smith1@example.com" → "Anna.Smith1@Example.com"). */
export function caseVariant(rng: Random, email: string): string {
  const variant = rng.chance(0.2)
    ? email.toUpperCase()
    : email.replace(/(^|[._@])([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
  return variant === email ? email.toUpperCase() : variant;
}

/** State shared by all customers of a run: duplicates get ids after the last regular customer. */
export class CustomerRows {
  duplicates = 0;
  readonly dirt: DirtItem[] = [];
  readonly counts: Record<DirtKind, number> = {
    duplicate_email_case: 0,
    invalid_email: 0,
    missing_values: 0,
  };

  constructor(
    private readonly customers: number,
    private readonly rate: number,
  ) {}

  /** The row(s) of one customer as CSV text; `dirtRng` is the customer's dirt stream. */
  rows(
    profile: Profile,
    signupDate: string,
    duplicateSignupDate: string,
    dirtRng: Random,
  ): { text: string; rows: number } {
    const values: string[] = [
      profile.id,
      profile.email,
      profile.phone,
      profile.firstName,
      profile.lastName,
      String(profile.age),
      profile.gender,
      String(profile.income),
      profile.education,
      profile.occupation,
      profile.city.country,
      profile.city.region,
      profile.city.city,
      profile.city.climate,
      signupDate,
    ];
    if (this.rate <= 0) return { text: line(values), rows: 1 };

    // Draw all three decisions up front so each kind's frequency is independent of the others.
    const invalid = dirtRng.quick() < this.rate;
    const duplicate = dirtRng.quick() < this.rate && !invalid;
    const missing = dirtRng.quick() < this.rate;

    let duplicateText = "";
    if (duplicate) {
      const dupId = customerId(this.customers + this.duplicates++);
      const email = caseVariant(dirtRng, profile.email);
      const dup = values.slice();
      dup[0] = dupId;
      dup[1] = email;
      dup[14] = duplicateSignupDate;
      duplicateText = line(dup);
      this.record("duplicate_email_case", dupId, {
        duplicate_of: profile.id,
        email,
        original_email: profile.email,
      });
    }
    if (invalid) {
      values[1] = invalidEmail(dirtRng, profile.email);
      this.record("invalid_email", profile.id, { email: values[1], valid_email: profile.email });
    }
    if (missing) {
      const fields = BLANKABLE.slice();
      const n = 1 + dirtRng.int(3);
      const blanked: string[] = [];
      for (let k = 0; k < n; k++) {
        const f = fields.splice(dirtRng.int(fields.length), 1)[0] as string;
        blanked.push(f);
        values[(CUSTOMER_COLUMNS as readonly string[]).indexOf(f)] = "";
      }
      this.record("missing_values", profile.id, { fields: blanked });
    }
    return { text: line(values) + duplicateText, rows: duplicate ? 2 : 1 };
  }

  private record(kind: DirtKind, id: string, detail: Record<string, unknown>): void {
    this.dirt.push({ kind, customer_id: id, detail });
    this.counts[kind]++;
  }
}

function line(values: readonly string[]): string {
  let s = csvField(values[0] as string);
  for (let i = 1; i < values.length; i++) s += `,${csvField(values[i] as string)}`;
  return `${s}\n`;
}
