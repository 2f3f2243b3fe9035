import { storedIdentifier } from "../privacy/encryption.js";
import type { Keyring } from "../privacy/field-crypto.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { IdentifierSource } from "./identity.js";
import type { ImportKind } from "./import-types.js";
import { STAGE_NAME } from "./validate.js";

/**
 * Prepares staged rows for an encrypted database (without a keyring: nothing to do, the sources as they are):
 * - the identifiers as it stores them: email and phone as their blind index (src/privacy/encryption.ts), computed
 *   once per row into columns of the stage, so that identity resolution — whose temporary view of the valid rows
 *   recomputes each identifier, and takes no bound values — reads plain columns, and the index keys are never
 *   written into a view's text. User and anonymous ids are pseudonymous keys, kept as they are;
 * - an identify call's traits (and context) are not kept on its event: they are the customer's profile, where the
 *   personal ones are sealed; the event would hold them in clear.
 * Done before conflicts are looked for, so a stored event and its re-import compare alike.
 */
export async function stageForStorage(
  engine: Engine,
  kind: ImportKind,
  sources: readonly IdentifierSource[],
  hasProperties: boolean,
  keyring: Keyring | null,
): Promise<IdentifierSource[]> {
  const indexed = sources.map((x, i) => ({ x, i, index: x.kind === "email" || x.kind === "phone" }));
  const strip = kind === "events" && hasProperties;
  if (!keyring || (!strip && !indexed.some((s) => s.index))) return [...sources];
  const d = engine.dialect;
  const column = (i: number) => `_stored_identifier_${i}`;
  const widened = `${STAGE_NAME}_for_storage`;
  const added = indexed
    .filter((s) => s.index)
    .map((s) => sql`, ${storedIdentifier(engine, keyring, s.x.kind, s.x.expr)} AS ${sql.ident(column(s.i))}`);
  const kept = (await engine.tableColumns(STAGE_NAME)).map((c) =>
    strip && c === "properties"
      ? // Not `THEN NULL`: ClickHouse keeps the value under a NULL's mask (found in its part's bytes); an empty
        // text first leaves nothing under it.
        sql`nullif(CASE WHEN s.type = 'identify' THEN '' ELSE s.properties END, '') AS properties`
      : sql`s.${sql.ident(c)}`,
  );
  await engine.run([
    ...d.createTempAs(
      widened,
      sql`SELECT ${sql.join(kept)}${sql.join(added, "")} FROM ${sql.temp(STAGE_NAME)} s`,
    ),
    sql`DROP TABLE ${sql.temp(STAGE_NAME)}`,
    ...d.createTempAs(STAGE_NAME, sql`SELECT * FROM ${sql.temp(widened)}`),
    sql`DROP TABLE ${sql.temp(widened)}`,
  ]);
  return indexed.map((s) => (s.index ? { kind: s.x.kind, expr: sql`s.${sql.ident(column(s.i))}` } : s.x));
}
