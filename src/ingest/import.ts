import { accessSync, constants } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EMAIL_PATTERN } from "../common/contact-formats.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { parseCategory } from "../store/trait-registry.js";
import { planColumns } from "./column-plan.js";
import { type FileSource, openFile } from "./file-source.js";
import { dropResolution, type IdentifierSource, resolveIdentities, VALID_ROWS } from "./identity.js";
import type { ImportKind, ImportOptions, ImportSummary } from "./import-types.js";
import type { LoadCounts } from "./load-counts.js";
import { loadCustomers } from "./load-customers.js";
import { loadConsents, loadEvents, loadOrderLines, loadOrders, loadSurveyResponses } from "./load-facts.js";
import { emailKey, phoneKey } from "./normalize.js";
import { prepareTraits } from "./traits.js";
import { buildStage, STAGE_TABLE } from "./validate.js";

export type { ImportKind, ImportOptions, ImportSummary } from "./import-types.js";

/** The identifiers each kind of row carries, as SQL over the stage `s`. */
function identifiersOf(engine: Engine, kind: ImportKind, has: (f: string) => boolean): IdentifierSource[] {
  const d = engine.dialect;
  const ids: IdentifierSource[] = [];
  const add = (cond: boolean, source: IdentifierSource) => cond && ids.push(source);
  switch (kind) {
    case "events":
      add(true, { kind: "user_id", expr: "coalesce(s.user_id, s.customer_id)" });
      add(true, { kind: "anonymous_id", expr: "s.anonymous_id" });
      // alias(previousId → userId): the earlier id is the anonymous one.
      add(has("previous_id"), { kind: "anonymous_id", expr: "s.previous_id" });
      // identify calls carry contact traits among their properties (only those: JSON is not read for the rest).
      add(has("properties"), {
        kind: "email",
        expr: `CASE WHEN s.type = 'identify' THEN ${emailKey(d, d.jsonText("s.properties", "email"))} END`,
      });
      break;
    case "customers":
      add(true, { kind: "user_id", expr: "s.customer_id" });
      add(has("email"), { kind: "email", expr: emailKey(d, "s.email") });
      add(has("phone"), { kind: "phone", expr: phoneKey(d, "s.phone") });
      break;
    case "orders":
    case "order-lines":
      add(true, { kind: "user_id", expr: "s.customer_id" });
      add(has("email"), { kind: "email", expr: emailKey(d, "s.email") });
      break;
    default:
      add(true, { kind: "user_id", expr: "s.customer_id" });
  }
  return ids;
}

/** Where rejected rows go: beside the file, or in the working directory when that folder is read-only. */
function rejectsPathFor(file: string, explicit?: string): string {
  if (explicit) return explicit;
  try {
    accessSync(dirname(resolve(file)), constants.W_OK);
    return `${file}.rejects.csv`;
  } catch {
    return join(process.cwd(), `${basename(file)}.rejects.csv`);
  }
}

/** Writes rejected rows with their row number, field, reason and original values (read again from the file). */
async function writeRejects(engine: Engine, source: FileSource, path: string): Promise<void> {
  const d = engine.dialect;
  await engine.run(
    `CREATE OR REPLACE TEMP TABLE _import_rejected_raw AS SELECT ${d.fileRowNumber()} AS _row, * FROM ${source.relation}`,
  );
  try {
    await engine.run(
      d.copyToCsv(
        `SELECT s._row AS "row", s._reject_field AS field, s._reject_reason AS reason,
                ${source.columns.map((c) => `r.${d.quoteIdent(c)}`).join(", ")}
           FROM ${STAGE_TABLE} s JOIN _import_rejected_raw r ON r._row = s._row
          WHERE s._reject_field IS NOT NULL ORDER BY 1`,
        path,
      ),
    );
  } catch (e) {
    throw new UserError(
      "rejects-unwritable",
      `cannot write the reject file: ${(e as Error).message.split("\n")[0]}`,
      path,
    );
  } finally {
    await engine.run("DROP TABLE IF EXISTS _import_rejected_raw");
  }
}

async function firstReject(engine: Engine): Promise<string> {
  const r = await engine.query(
    `SELECT _row AS "row", _reject_field AS field, _reject_reason AS reason FROM ${STAGE_TABLE}
      WHERE _reject_field IS NOT NULL ORDER BY _row LIMIT 1`,
  );
  const [row] = r.rows<{ row: number; field: string; reason: string }>();
  return row ? `row ${row.row}, field ${row.field}: ${row.reason}` : "";
}

/**
 * Imports one file (DESIGN.md, "Import formats"; principle 7). The whole import is one transaction: every row
 * that passes goes in once, rejected rows go to the reject file with row, field and reason, and on any
 * failure (or any reject with `strict`) the database is left exactly as it was.
 */
export async function importFile(engine: Engine, opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const category = parseCategory(opts.category ?? "custom");
  const notes: string[] = [];
  const summary = await engine.transaction(async () => {
    opts.onStep?.("reading and checking");
    const source = await openFile(engine, opts.path, { delimiter: opts.delimiter, header: opts.header });
    const plan = planColumns(opts.kind, opts.path, source.columns, opts.map ?? []);
    const traits =
      opts.kind === "customers"
        ? await prepareTraits(engine, source, plan, category, opts.pii ?? [])
        : { typed: [], created: [] };
    const { accepted, rejected } = await buildStage(engine, opts.kind, source, plan, traits.typed);
    const read = accepted + rejected;
    let rejectsFile: string | null = null;
    if (rejected > 0) {
      rejectsFile = rejectsPathFor(opts.path, opts.rejectsPath);
      await writeRejects(engine, source, rejectsFile);
      if (opts.strict) {
        throw new UserError(
          "rows-rejected",
          `${rejected} of ${read} rows rejected (first: ${await firstReject(engine)}); nothing was imported (--strict). Reasons in ${rejectsFile}`,
          opts.path,
        );
      }
    }
    opts.onStep?.("linking identities");
    const resolved = await resolveIdentities(
      engine,
      `${STAGE_TABLE}`,
      identifiersOf(engine, opts.kind, (f) => plan.fields.has(f)),
      `import ${opts.kind} ${basename(opts.path)}`,
    );
    opts.onStep?.("writing");
    const counts = await load(engine, opts.kind, plan, traits.typed, accepted);
    // Segments re-evaluate these people at the next (incremental) refresh.
    // `since`: the earliest time the new facts touch (a refresh adds what lies after its last as-of and re-reads
    // the history of the others); NULL when only a profile changed.
    const since = plan.fields.has("timestamp") ? "min(timestamp)" : "CAST(NULL AS TIMESTAMP)";
    await engine.run(
      `INSERT INTO segment_dirty (customer_id, marked_at, since)
         SELECT _customer_id, now(), ${since} FROM ${VALID_ROWS} WHERE _customer_id IS NOT NULL GROUP BY _customer_id`,
    );
    if (!plan.fields.has("message_id") && opts.kind === "events")
      notes.push("message_id derived from each row's content (the file has none)");
    if (!plan.fields.has("order_id") && opts.kind === "orders")
      notes.push("order_id derived from each row's content (the file has none)");
    if (plan.fields.has("email")) {
      const bad = await engine.query(
        `SELECT count(*) AS n FROM ${STAGE_TABLE} WHERE _reject_field IS NULL AND email IS NOT NULL AND NOT ${engine.dialect.regexMatches("trim(email)", engine.dialect.literal(EMAIL_PATTERN))}`,
      );
      const n = Number(bad.column("n")[0]);
      if (n > 0) notes.push(`${n} invalid email address(es) kept and flagged: see \`tessera audit\``);
    }
    await engine.run(
      "INSERT INTO import_log (kind, file, read, accepted, rejected, already_present, imported_at) VALUES ($1, $2, $3, $4, $5, $6, now())",
      [opts.kind, resolve(opts.path), read, counts.inserted, rejected, counts.alreadyPresent],
    );
    await dropResolution(engine);
    await engine.run(`DROP TABLE ${STAGE_TABLE}`);
    await source.close();
    return {
      kind: opts.kind,
      file: opts.path,
      read,
      accepted: counts.inserted,
      rejected,
      alreadyPresent: counts.alreadyPresent,
      rejectsFile,
      newTraits: traits.created.map((t) => ({ name: t.name, type: t.type })),
      customersCreated: resolved.created,
      customersMerged: resolved.merged,
      notes,
      seconds: 0,
    } satisfies ImportSummary;
  });
  return { ...summary, seconds: (performance.now() - started) / 1000 };
}

function load(
  engine: Engine,
  kind: ImportKind,
  plan: ReturnType<typeof planColumns>,
  traits: Parameters<typeof loadCustomers>[1],
  valid: number,
): Promise<LoadCounts> {
  switch (kind) {
    case "customers":
      return loadCustomers(engine, traits, valid);
    case "events":
      return loadEvents(engine, plan, valid);
    case "orders":
      return loadOrders(engine, plan, valid);
    case "order-lines":
      return loadOrderLines(engine, plan, valid);
    case "consents":
      return loadConsents(engine, valid);
    case "survey-responses":
      return loadSurveyResponses(engine, valid);
  }
}
