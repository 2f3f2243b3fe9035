import { EMAIL_PATTERN } from "../common/contact-formats.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { parseCategory } from "../store/trait-registry.js";
import { type ColumnPlan, planColumns } from "./column-plan.js";
import { dropResolution, resolveIdentities, VALID_ROWS } from "./identity.js";
import type { ImportSource } from "./import-source.js";
import type { ImportKind, ImportSettings, ImportSummary } from "./import-types.js";
import { identifiersOf } from "./kind-identifiers.js";
import type { LoadCounts } from "./load-counts.js";
import { loadCustomers } from "./load-customers.js";
import { loadConsents, loadEvents, loadOrderLines, loadOrders, loadSurveyResponses } from "./load-facts.js";
import { type Rejects, setAsideRejects } from "./rejected-rows.js";
import { prepareTraits, registerTraits } from "./traits.js";
import { buildStage, STAGE_TABLE, type TypedExtra } from "./validate.js";

/**
 * Decides where an import's rejected rows go, inside its transaction and before anything is loaded (so also when
 * `strict` then aborts it). Returns the reject file written, or null when they went elsewhere.
 */
export type RejectsHandler = (rejects: Rejects) => Promise<string | null>;

/**
 * The one import pipeline, whatever the rows come from (DESIGN.md, "Import formats"; principle 7): opens the
 * source, plans its columns, types new traits, stages and checks every row, hands the rejects to `onRejects`,
 * registers the new traits, links identities, loads the accepted rows, marks their customers for the next refresh
 * and logs the import.
 *
 * The whole import is one transaction: every row that passes goes in once, and on any failure (or any reject
 * with `strict`) the database is left exactly as it was. Called inside a transaction of its caller's, it joins it
 * (the session's rule), and the caller's commit or rollback decides. On an engine without transactions a refused
 * import changes nothing all the same: everything that can refuse it (a source that cannot be read, a bad
 * mapping, a reserved column, an unwritable reject file, rejects with `strict`) comes before the first write to a
 * permanent table, working only in the session's temporary tables.
 */
export async function runImport(
  engine: Engine,
  settings: ImportSettings,
  open: () => Promise<ImportSource>,
  onRejects: RejectsHandler,
): Promise<ImportSummary> {
  const started = performance.now();
  const { kind } = settings;
  const category = parseCategory(settings.category ?? "custom");
  const summary = await engine.transaction(async (): Promise<ImportSummary> => {
    settings.onStep?.("reading and checking");
    const source = await open();
    if (source.empty) {
      await source.close();
      return emptySummary(kind, source.label);
    }
    const plan = planColumns(kind, source, settings.map ?? []);
    const traits =
      kind === "customers"
        ? await prepareTraits(engine, source, plan, category, settings.pii ?? [])
        : { typed: [], created: [] };
    const { accepted, rejected } = await buildStage(engine, kind, source, plan, traits.typed);
    const read = accepted + rejected;
    let rejectsFile: string | null = null;
    if (rejected > 0) {
      const rejects = await setAsideRejects(engine, source, rejected);
      rejectsFile = await onRejects(rejects);
      await rejects.drop();
      if (settings.strict) {
        // A file's reject file is named (its user reads the reasons there); a batch's caller has them as values.
        const flag = source.noun === "file" ? "--strict" : "strict";
        throw new UserError(
          "rows-rejected",
          `${rejected} of ${read} rows rejected (first: ${await firstReject(engine)}); nothing was imported (${flag})${rejectsFile ? `. Reasons in ${rejectsFile}` : ""}`,
          source.label,
        );
      }
    }
    // Everything that may refuse the import is behind us: only now is anything written to the database's own
    // tables (an engine without transactions has nothing to roll back after a refusal).
    await registerTraits(engine, traits.created);
    settings.onStep?.("linking identities");
    const resolved = await resolveIdentities(
      engine,
      STAGE_TABLE,
      identifiersOf(engine, kind, (f) => plan.fields.has(f)),
      `import ${kind} ${source.shortName}`,
    );
    settings.onStep?.("writing");
    const counts = await load(engine, kind, plan, traits.typed, accepted);
    // Segments re-evaluate these people at the next (incremental) refresh.
    // `since`: the earliest time the new facts touch (a refresh adds what lies after its last as-of and re-reads
    // the history of the others); NULL when only a profile changed.
    const d = engine.dialect;
    const since = plan.fields.has("timestamp") ? sql`min(timestamp)` : d.cast(sql`NULL`, "timestamp");
    await engine.run(
      sql`INSERT INTO segment_dirty (customer_id, marked_at, since)
            SELECT _customer_id, ${d.now()}, ${since} FROM ${VALID_ROWS} WHERE _customer_id IS NOT NULL GROUP BY _customer_id`,
    );
    const notes = await notesOn(engine, kind, plan, source);
    await engine.run(
      sql`INSERT INTO import_log (kind, file, read, accepted, rejected, already_present, imported_at)
            VALUES (${kind}, ${source.logName}, ${read}, ${counts.inserted}, ${rejected}, ${counts.alreadyPresent}, ${d.now()})`,
    );
    await dropResolution(engine);
    await engine.run(sql`DROP TABLE ${STAGE_TABLE}`);
    await source.close();
    return {
      kind,
      file: source.label,
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
    };
  });
  return { ...summary, seconds: (performance.now() - started) / 1000 };
}

/** The summary of a source with nothing in it: nothing read, nothing written. */
function emptySummary(kind: ImportKind, file: string): ImportSummary {
  return {
    kind,
    file,
    read: 0,
    accepted: 0,
    rejected: 0,
    alreadyPresent: 0,
    rejectsFile: null,
    newTraits: [],
    customersCreated: 0,
    customersMerged: 0,
    notes: [],
    seconds: 0,
  };
}

/** The first rejected row, for a message: `row 3, field total: not a number: ten`. */
async function firstReject(engine: Engine): Promise<string> {
  const r = await engine.query(
    sql`SELECT _row AS ${sql.ident("row")}, _reject_field AS field, _reject_reason AS reason FROM ${STAGE_TABLE}
          WHERE _reject_field IS NOT NULL ORDER BY _row LIMIT 1`,
  );
  const [row] = r.rows<{ row: number; field: string; reason: string }>();
  return row ? `row ${row.row}, field ${row.field}: ${row.reason}` : "";
}

/** What the user should know about the accepted rows: ids derived, invalid emails kept. */
async function notesOn(
  engine: Engine,
  kind: ImportKind,
  plan: ColumnPlan,
  source: ImportSource,
): Promise<string[]> {
  const notes: string[] = [];
  if (!plan.fields.has("message_id") && kind === "events")
    notes.push(`message_id derived from each row's content (the ${source.noun} has none)`);
  if (!plan.fields.has("order_id") && kind === "orders")
    notes.push(`order_id derived from each row's content (the ${source.noun} has none)`);
  if (plan.fields.has("email")) {
    const d = engine.dialect;
    const bad = await engine.query(
      sql`SELECT count(*) AS n FROM ${STAGE_TABLE}
            WHERE _reject_field IS NULL AND email IS NOT NULL AND NOT ${d.regexMatches(sql`trim(email)`, sql.raw(d.literal(EMAIL_PATTERN)))}`,
    );
    const n = Number(bad.column("n")[0]);
    if (n > 0) notes.push(`${n} invalid email address(es) kept and flagged: see \`tessera audit\``);
  }
  return notes;
}

function load(
  engine: Engine,
  kind: ImportKind,
  plan: ColumnPlan,
  traits: readonly TypedExtra[],
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
