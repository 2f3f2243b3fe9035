/**
 * `--by`: a grouping of customers is a SQL relation (customer_id, grp). Reports (concentration, KPIs) take
 * any such relation, so a new way of grouping is one more case here. A customer may be in several groups
 * (saved segments overlap); each group is then reported on its own.
 *
 *   all              one group, every customer
 *   rfm_segment      the named RFM segment as of the report's date (scored afresh, into a temporary table)
 *   trait:<name>     a registered, non-personal trait's value ("(none)" when missing)
 *   computed:<name>  a registered computed value (e.g. a cluster)
 *   segment          each saved segment's current members, for the segments the last refresh evaluated
 *                    (`currentMembershipSql` of src/segments), grouped by the segment's name
 */
import { UserError } from "../errors.js";
import { currentMembershipSql } from "../segments/segment-store.js";
import { listComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { listTraits } from "../store/trait-registry.js";
import { scoreRfm } from "./rfm.js";

export type GroupBy =
  | { readonly kind: "all" }
  | { readonly kind: "rfm_segment" }
  | { readonly kind: "segment" }
  | { readonly kind: "trait"; readonly name: string }
  | { readonly kind: "computed"; readonly name: string };

const FORMS = "rfm_segment, segment, trait:<name> or computed:<name>";

/** Parses a `--by` value. */
export function parseGroupBy(value: string | undefined, option = "--by"): GroupBy {
  if (value === undefined || value === "all") return { kind: "all" };
  if (value === "rfm_segment" || value === "rfm") return { kind: "rfm_segment" };
  if (value === "segment" || value === "segments") return { kind: "segment" };
  const m = /^(trait|computed):(.+)$/.exec(value);
  if (m) return { kind: m[1] as "trait" | "computed", name: m[2] as string };
  throw new UserError("bad-option", `cannot group by "${value}": use ${FORMS}`, option);
}

/** A grouping made concrete: SQL for (customer_id, grp) and a label for reports. */
export interface Grouping {
  readonly sql: Sql;
  readonly label: string;
}

/** The temporary table `rfm_segment` scores into. */
const GROUPING_RFM = "_grouping_rfm";

/** Resolves a grouping into SQL, checking names against the registries (identifiers are never user text). */
export async function groupingRelation(
  engine: Engine,
  by: GroupBy,
  asOf: Date,
  option = "--by",
): Promise<Grouping> {
  const d = engine.dialect;
  switch (by.kind) {
    case "all":
      return { sql: sql`SELECT customer_id, 'all customers' AS grp FROM customers`, label: "all" };
    case "rfm_segment":
      await scoreRfm(engine, { asOf }, GROUPING_RFM, true);
      return {
        sql: sql`SELECT customer_id, rfm_segment AS grp FROM ${sql.temp(GROUPING_RFM)}`,
        label: "rfm_segment",
      };
    case "segment": {
      // Current members of the segments the last refresh evaluated (one saved since has the stays of an older
      // version, or none): the segments module says which those are.
      const members = currentMembershipSql();
      const r = await engine.query(
        sql`SELECT count(*) AS n FROM (SELECT 1 AS one FROM (${members}) m LIMIT 1) x`,
      );
      if (Number(r.column("n")[0]) === 0)
        throw new UserError(
          "no-segments",
          "no saved segment has members yet: save and refresh segments first",
          option,
        );
      return { sql: sql`SELECT customer_id, segment_name AS grp FROM (${members}) m`, label: "segment" };
    }
    case "trait": {
      const traits = await listTraits(engine);
      const t = traits.find((x) => x.name === by.name);
      if (t === undefined) {
        const known = traits.filter((x) => !x.pii).map((x) => x.name);
        throw new UserError(
          "unknown-trait",
          `no trait "${by.name}"${known.length ? ` (known: ${known.join(", ")})` : ": import a customers file with traits first"}`,
          option,
        );
      }
      if (t.pii)
        throw new UserError(
          "pii-trait",
          `trait "${by.name}" is personal data: grouping by it would list individuals`,
          option,
        );
      return {
        sql: sql`SELECT customer_id, coalesce(${d.toText(sql.ident(t.name))}, '(none)') AS grp FROM customers`,
        label: `trait:${t.name}`,
      };
    }
    case "computed": {
      const values = await listComputed(engine);
      const c = values.find((x) => x.name === by.name);
      if (c === undefined)
        throw new UserError(
          "unknown-computed",
          `no computed value "${by.name}"${values.length ? ` (known: ${values.map((x) => x.name).join(", ")})` : ""}`,
          option,
        );
      return {
        sql: sql`SELECT customer_id, coalesce(${d.toText(sql.ident(c.column))}, '(none)') AS grp
                   FROM ${sql.ident(c.table)}`,
        label: `computed:${c.name}`,
      };
    }
  }
}
