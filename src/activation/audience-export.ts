import type { LeftOut } from "../privacy/consent-gate.js";
import { keyringToRead, openProfiles, personalColumns } from "../privacy/encryption.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type Audience, withAudiencePeople } from "./audiences.js";
import { checkOutput, ExportFiles } from "./export-files.js";
import {
  type Available,
  type ContactField,
  type ExportFormat,
  type ExportFormatName,
  type ExportTally,
  exportFormat,
} from "./export-formats.js";
import { type PhoneNormaliser, phonesThreaded, phoneWorkers } from "./phone-threads.js";

/**
 * `audience export` (issue 18, item 2): an audience's people now — through `withAudiencePeople`, so only those whose
 * consent for the audience's purpose and channel holds and who are not suppressed — written to a file in the
 * format a tool or an ad platform takes (csv, Google Customer Match, Meta Custom Audiences).
 *
 * The engine finds the people and their contact fields (a session temporary table, never written to the
 * database; in an encrypted database the sealed values are opened there); JavaScript normalises and hashes them
 * (libphonenumber for phones; every rule the same on every engine) and streams the rows to the file in chunks.
 */

/** Traits that hold a zip or postal code, the first one the database has is used. */
export const ZIP_TRAITS = ["zip", "zip_code", "postal_code", "postcode"] as const;

/** What an export wrote and whom it left out. */
export interface AudienceExport {
  readonly audience: string;
  readonly format: ExportFormatName;
  readonly purpose: string;
  readonly channel: string;
  /** The files written: `out`, and for Meta's format `out-2.json`… past 10,000 rows. */
  readonly files: string[];
  /** The columns of the file (Meta's: its `schema`). */
  readonly columns: readonly string[];
  /** People written, one row each. */
  readonly rows: number;
  /** People the consent gate passed. */
  readonly consented: number;
  /** Members of the audience's segments the consent gate left out, by why (k-gated counts). */
  readonly leftOut: LeftOut;
  /** People who passed the gate but have none of the contact fields the format needs: not in the file. */
  readonly noContact: number;
  /** Values present but not normalisable, left out of their row (counts). */
  readonly notNormalised: { readonly emails: number; readonly phones: number };
  /** Files that were there and were replaced (`force`). */
  readonly replaced: string[];
  /** Further parts of an earlier Meta export to the same name, removed (`force`). */
  readonly removed: string[];
}

export interface ExportOptions {
  readonly format: ExportFormatName;
  /** The file to write (Meta's further parts are named after it). */
  readonly out: string;
  /** Replace files that exist. */
  readonly force: boolean;
  /** Rows read, normalised and written at a time (default 20,000; tests take a few to cross chunks). */
  readonly chunkRows?: number;
  /** Worker threads for the phone numbers (default `phoneWorkers`: none for a few; tests ask for some). */
  readonly phoneThreads?: number;
}

const CONTACTS = "_export_contacts";
const CONTACT_FIELDS = ["email", "phone", "firstName", "lastName", "country", "zip"] as const;
/** Rows read from the engine, normalised and written at a time: the file is written as it goes. */
const CHUNK_ROWS = 20_000;

/** One chunk of the members' contact fields (by customers column), and their phones' E.164 forms on the way. */
interface Chunk {
  readonly size: number;
  readonly ids: readonly string[];
  readonly values: ReadonlyMap<string, readonly (string | null)[]>;
  readonly e164: Promise<(string | null)[]> | null;
}

/** Reads rows `from` + 1 … `from` + `size` of the contacts table, and hands their phones to `phones`. */
async function readChunk(
  engine: Engine,
  contacts: Sql,
  columns: readonly string[],
  from: number,
  size: number,
  phones: PhoneNormaliser | null,
): Promise<Chunk> {
  const r = await engine.query(
    sql`SELECT customer_id${sql.join(
      columns.map((c) => sql`, ${sql.ident(c)}`),
      sql.empty,
    )} FROM ${contacts}
        WHERE _n > ${sql.param(from, "integer")} AND _n <= ${sql.param(from + size, "integer")}
        ORDER BY _n`,
  );
  const values = new Map(columns.map((c) => [c, r.column(c) as readonly (string | null)[]]));
  const phone = values.get("phone");
  const country = values.get("country") ?? new Array<null>(r.rowCount).fill(null);
  return {
    size: r.rowCount,
    ids: r.column("customer_id") as readonly string[],
    values,
    e164: phones && phone ? handled(phones.normalise(phone, country)) : null,
  };
}

/** A promise whose failure is reported where it is awaited, not as unhandled while other work goes on. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** The customers column each contact field is read from (the zip: the first zip trait the database has). */
type Sources = Readonly<Record<ContactField, string | undefined>>;

/** A chunk's rows in a format (a member with nothing usable counted in `tally`, not returned). */
function formatRows(
  chunk: Chunk,
  e164: readonly (string | null)[] | undefined,
  source: Sources,
  format: ExportFormat,
  tally: ExportTally,
): (string | null)[][] {
  const [email, phone, firstName, lastName, country, zip] = CONTACT_FIELDS.map((f) => {
    const c = source[f];
    return c === undefined ? undefined : chunk.values.get(c);
  });
  const out: (string | null)[][] = [];
  for (let i = 0; i < chunk.size; i++) {
    const row = format.row(
      {
        customerId: chunk.ids[i] as string,
        email: email?.[i] ?? null,
        phone: phone?.[i] ?? null,
        firstName: firstName?.[i] ?? null,
        lastName: lastName?.[i] ?? null,
        country: country?.[i] ?? null,
        zip: zip?.[i] ?? null,
        ...(e164 ? { e164: e164[i] ?? null } : {}),
      },
      tally,
    );
    if (row) out.push(row);
    else tally.noContact++;
  }
  return out;
}

/** Writes an audience's consented people to a file; nothing is written when anything fails. */
export async function exportAudience(
  engine: Engine,
  audience: Audience,
  opts: ExportOptions,
): Promise<AudienceExport> {
  await checkOutput(opts.out, opts.force);
  const present = new Set(await engine.tableColumns("customers"));
  const zip = ZIP_TRAITS.find((c) => present.has(c));
  const available: Available = { country: present.has("country"), zip: zip !== undefined };
  const format = exportFormat(opts.format, audience.channel, available);
  // The customers column each field is read from (only those the format needs and the database has).
  const source: Sources = {
    email: "email",
    phone: "phone",
    firstName: "first_name",
    lastName: "last_name",
    country: "country",
    zip,
  };
  const fields = format.fields.filter((f) => {
    const c = source[f];
    return c !== undefined && present.has(c);
  });
  const columns = fields.map((f) => source[f] as string);
  // Before any work: an encrypted database without its key is refused at once.
  const keyring = await keyringToRead(engine);
  const d = engine.dialect;
  const contacts = sql.temp(CONTACTS);

  return withAudiencePeople(engine, audience, async (people) => {
    await engine.run(
      d.createTempAs(
        CONTACTS,
        sql`SELECT row_number() OVER (ORDER BY c.customer_id) AS _n, c.customer_id AS customer_id${sql.join(
          columns.map((c) => sql`, ${d.toText(sql`c.${sql.ident(c)}`)} AS ${sql.ident(c)}`),
          sql.empty,
        )}
            FROM customers c WHERE c.customer_id IN (${people.sql})`,
      ),
    );
    try {
      if (keyring) {
        const sealed = (await personalColumns(engine)).filter((c) => columns.includes(c));
        await openProfiles(engine, keyring, CONTACTS, sealed);
      }
      const tally: ExportTally = { emails: 0, phones: 0, noContact: 0 };
      let rows = 0;
      const files = await ExportFiles.open(opts.out, format);
      let phones: PhoneNormaliser | null = null;
      let chunk: Promise<Chunk> | undefined;
      try {
        phones = fields.includes("phone")
          ? phonesThreaded(opts.phoneThreads ?? phoneWorkers(people.passed))
          : null;
        // A pipeline: while one chunk is formatted and written, the next is read and its phones are parsed in
        // worker threads.
        const size = opts.chunkRows ?? CHUNK_ROWS;
        chunk = handled(readChunk(engine, contacts, columns, 0, size, phones));
        for (let from = 0; ; from += size) {
          const current = await chunk;
          const last = current.size < size;
          if (!last) chunk = handled(readChunk(engine, contacts, columns, from + size, size, phones));
          const out = formatRows(
            current,
            current.e164 ? await current.e164 : undefined,
            source,
            format,
            tally,
          );
          rows += out.length;
          await files.append(out);
          if (last) break;
        }
        const written = await files.commit(opts.force);
        return {
          audience: audience.id,
          format: format.name,
          purpose: audience.purpose,
          channel: audience.channel,
          files: written.files,
          columns: format.columns,
          rows,
          consented: people.passed,
          leftOut: people.leftOut,
          noContact: tally.noContact,
          notNormalised: { emails: tally.emails, phones: tally.phones },
          replaced: written.replaced,
          removed: written.removed,
        };
      } catch (e) {
        // The read under way finishes before its table is dropped.
        await chunk?.catch(() => {});
        await files.abort();
        throw e;
      } finally {
        await phones?.close();
      }
    } finally {
      await engine.run(sql`DROP TABLE IF EXISTS ${contacts}`);
    }
  });
}
