import type { Engine } from "../store/engine.js";
import { VALID_ROWS } from "./identity.js";
import type { LoadCounts } from "./load-counts.js";
import type { TypedExtra } from "./validate.js";

const CONTACT = ["email", "phone", "first_name", "last_name"] as const;

/**
 * Writes staged customer rows into `customers`: a profile's given values replace the stored ones (an empty
 * cell keeps what is there). When several rows describe one person (the same id twice, or ids merged by a
 * shared email), the later row wins field by field. Rows that would change nothing count as already present.
 */
export async function loadCustomers(
  engine: Engine,
  traits: readonly TypedExtra[],
  valid: number,
): Promise<LoadCounts> {
  const d = engine.dialect;
  const q = d.quoteIdent;
  const pos = "s._row";
  const fields = [
    ...CONTACT.map((c) => ({ target: c, source: c })),
    ...traits.map((t) => ({ target: t.name, source: `x_${t.name}` })),
  ];
  // A row is already present when every value it gives equals what its customer's profile holds.
  const same = fields
    .map((f) => `(s.${q(f.source)} IS NULL OR s.${q(f.source)} = k.${q(f.target)})`)
    .join(" AND ");
  const present = await engine.query(
    `SELECT count(*) AS n FROM ${VALID_ROWS} s JOIN customers k ON k.customer_id = s._customer_id
      WHERE k.profile_at IS NOT NULL AND ${same || "TRUE"}`,
  );
  const latest = fields
    .map(
      (f) =>
        `${d.argMax(`s.${q(f.source)}`, pos)} FILTER (WHERE s.${q(f.source)} IS NOT NULL) AS ${q(f.target)}`,
    )
    .join(", ");
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _import_profiles AS
       SELECT s._customer_id AS customer_id${latest ? `, ${latest}` : ""}
         FROM ${VALID_ROWS} s GROUP BY s._customer_id`,
  );
  const sets = fields.map((f) => `${q(f.target)} = coalesce(p.${q(f.target)}, customers.${q(f.target)})`);
  await engine.run(
    `UPDATE customers SET ${[...sets, "profile_at = now()", "updated_at = now()"].join(", ")}
       FROM _import_profiles p WHERE customers.customer_id = p.customer_id;
     DROP TABLE _import_profiles;`,
  );
  const alreadyPresent = Number(present.column("n")[0]);
  return { inserted: valid - alreadyPresent, alreadyPresent };
}
