import { anyTombstone, tombstoneHashSql, tombstoneKey } from "../privacy/tombstones.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { IdentifierSource } from "./identity.js";
import type { ImportKind } from "./import-types.js";
import { STAGE_NAME, STAGE_TABLE } from "./validate.js";

/** The reason a row carrying an erased person's identifier is rejected with. */
export const ERASED = "erased";

const MARKED = "_import_stage_erased";

/**
 * Rejects the staged rows that carry an identifier of an erased person (a tombstone, src/privacy/tombstones.ts),
 * with the reason "erased" and the identifier's field: the identifiers are those identity resolution will link
 * (`ids`: kind-identifiers.ts, in the form the database stores them — an encrypted one's blind index), so every kind of import, a batch and the tracking API's
 * loads alike are covered here, before conflicts are looked for, rejects handed on or any identifier linked.
 * A row already rejected keeps its first reason. Returns how many rows it rejected; costs one count when no one
 * has been erased.
 */
export async function rejectErased(
  engine: Engine,
  kind: ImportKind,
  ids: readonly IdentifierSource[],
): Promise<number> {
  if (kind === "accounts" || ids.length === 0 || !(await anyTombstone(engine))) return 0;
  const key = await tombstoneKey(engine);
  if (key === null) return 0;
  const d = engine.dialect;
  const lit = (text: string): Sql => sql.raw(d.literal(text));
  const field = (idKind: string): string =>
    idKind === "user_id" && kind !== "events" ? "customer_id" : idKind;
  const erasedField = sql`CASE ${sql.join(
    ids.map(
      (x) =>
        sql`WHEN ${x.expr} IS NOT NULL AND ${tombstoneHashSql(d, key, x.kind, x.expr)} IN (SELECT hash FROM tombstones) THEN ${lit(field(x.kind))}`,
    ),
    " ",
  )} END`;
  const columns = (await engine.tableColumns(STAGE_NAME)).filter(
    (c) => c !== "_reject_field" && c !== "_reject_reason",
  );
  const kept = sql.join(columns.map((c) => sql`s.${sql.ident(c)}`));
  await engine.run(
    d.createTempAs(
      MARKED,
      sql`SELECT ${kept}, s._reject_field AS _reject_field, s._reject_reason AS _reject_reason, ${erasedField} AS _erased
            FROM ${STAGE_TABLE} s`,
    ),
  );
  const marked = sql.temp(MARKED);
  const n = Number(
    (
      await engine.query(
        sql`SELECT count(*) AS n FROM ${marked} WHERE _reject_field IS NULL AND _erased IS NOT NULL`,
      )
    ).column("n")[0],
  );
  if (n > 0) {
    const names = sql.join(columns.map((c) => sql.ident(c)));
    await engine.run([
      sql`DROP TABLE ${STAGE_TABLE}`,
      ...d.createTempAs(
        STAGE_NAME,
        sql`SELECT ${names}, coalesce(_reject_field, _erased) AS _reject_field,
                   CASE WHEN _reject_field IS NULL AND _erased IS NOT NULL THEN ${lit(ERASED)} ELSE _reject_reason END AS _reject_reason
              FROM ${marked} ORDER BY _row`,
      ),
    ]);
  }
  await engine.run(sql`DROP TABLE ${marked}`);
  return n;
}
