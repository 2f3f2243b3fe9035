import { openProfiles, personalColumns, sealProfiles } from "../privacy/encryption.js";
import type { Keyring } from "../privacy/field-crypto.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { newIdentifiers, VALID_ROWS } from "./identity.js";
import type { LoadCounts } from "./load-counts.js";
import type { TypedExtra } from "./validate.js";

const CONTACT = ["email", "phone", "first_name", "last_name"] as const;

/** Each customer's latest given values (a session temporary table). */
const PROFILES = "_import_profiles";
/** In an encrypted database, the stored profiles of the batch's customers, opened (a session temporary table). */
const KNOWN = "_import_known_profiles";

/**
 * Writes staged customer rows into `customers`: a profile's given values replace the stored ones (an empty
 * cell keeps what is there). When several rows describe one person (the same id twice, or ids merged by a
 * shared email), the later row wins field by field. Rows that would change nothing count as already present.
 */
export async function loadCustomers(
  engine: Engine,
  traits: readonly TypedExtra[],
  valid: number,
  keyring: Keyring | null = null,
): Promise<LoadCounts> {
  const d = engine.dialect;
  const id = sql.ident;
  const pos = sql`s._row`;
  const fields = [
    ...CONTACT.map((c) => ({ target: c, source: c })),
    ...traits.map((t) => ({ target: t.name, source: `x_${t.name}` })),
  ];
  // Every value the row gives equals what its customer's profile holds.
  const same: Sql =
    fields.length === 0
      ? sql`TRUE`
      : sql.join(
          fields.map((f) => sql`(s.${id(f.source)} IS NULL OR s.${id(f.source)} = k.${id(f.target)})`),
          " AND ",
        );
  const latest = fields.map(
    (f) =>
      sql`${d.aggIf("argMax", [sql`s.${id(f.source)}`, pos], sql`s.${id(f.source)} IS NOT NULL`)} AS ${id(f.target)}`,
  );
  await engine.run(
    d.createTempAs(
      PROFILES,
      sql`SELECT s._customer_id AS customer_id${latest.length > 0 ? sql`, ${sql.join(latest)}` : sql.empty}
            FROM ${VALID_ROWS} s GROUP BY s._customer_id`,
    ),
  );
  // In an encrypted database the stored personal values are sealed: the rows are compared with the profiles of
  // their customers opened into a temporary table (never written), and the new values are sealed before they go in.
  const personal = keyring ? await personalColumns(engine) : [];
  const sealed = fields.map((f) => f.target).filter((c) => personal.includes(c));
  let known = sql`customers`;
  if (keyring && sealed.length > 0) {
    await engine.run(
      d.createTempAs(
        KNOWN,
        sql`SELECT k.* FROM customers k WHERE k.customer_id IN (SELECT customer_id FROM ${sql.temp(PROFILES)})`,
      ),
    );
    await openProfiles(engine, keyring, KNOWN, sealed);
    known = sql.temp(KNOWN);
  }
  // A row is already present when it would change nothing: every value it gives equals what its customer's
  // profile holds, or the profile comes out of the import as it was (rows of one person that disagree — ids merged
  // by a shared email — leave the later value each time: a re-import of them changes nothing either).
  const unchanged: Sql =
    fields.length === 0
      ? sql`TRUE`
      : sql.join(
          fields.map(
            (f) => sql`coalesce(p.${id(f.target)}, k.${id(f.target)}) IS NOT DISTINCT FROM k.${id(f.target)}`,
          ),
          " AND ",
        );
  // A row whose customer id is new (linked to a known person by a shared email or phone) added that link.
  const present = await engine.query(
    sql`SELECT count(*) AS n FROM ${VALID_ROWS} s JOIN ${known} k ON k.customer_id = s._customer_id
          JOIN ${sql.temp(PROFILES)} p ON p.customer_id = s._customer_id
          LEFT JOIN ${newIdentifiers("user_id")} ni ON ni.value = s.customer_id
         WHERE k.profile_at IS NOT NULL AND ni.value IS NULL AND ((${same}) OR (${unchanged}))`,
  );
  if (keyring && sealed.length > 0) {
    await engine.run(sql`DROP TABLE ${sql.temp(KNOWN)}`);
    await sealProfiles(engine, keyring, PROFILES, sealed);
  }
  const now = d.now();
  await engine.run([
    ...d.updateFrom({
      table: "customers",
      columns: await engine.tableColumns("customers"),
      key: "customer_id",
      source: sql.temp(PROFILES),
      set: [
        ...fields.map((f) => [f.target, sql`coalesce(src.${id(f.target)}, t.${id(f.target)})`] as const),
        ["profile_at", now],
        ["updated_at", now],
      ],
    }),
    sql`DROP TABLE ${sql.temp(PROFILES)}`,
  ]);
  const alreadyPresent = Number(present.column("n")[0]);
  return { inserted: valid - alreadyPresent, alreadyPresent };
}
