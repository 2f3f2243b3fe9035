import { EMAIL_PATTERN } from "../common/contact-formats.js";
import { UserError } from "../errors.js";
import { checkPersonalFlag, keyringToWrite, recordEncrypted } from "../privacy/encryption.js";
import type { Keyring } from "../privacy/field-crypto.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { listTraits, parseCategory } from "../store/trait-registry.js";
import { type ColumnPlan, planColumns } from "./column-plan.js";
import {
  type Conflicts,
  conflictLines,
  dropConflicts,
  findConflicts,
  NO_CONFLICTS,
  rederiveOrders,
  replaceStored,
  storedKeys,
} from "./conflicts.js";
import { rejectErased } from "./erased-rows.js";
import { factSpecOf } from "./fact-specs.js";
import { dropResolution, resolveIdentities, VALID_ROWS } from "./identity.js";
import type { ImportSource } from "./import-source.js";
import type { ConflictPolicy, ImportKind, ImportSettings, ImportSummary } from "./import-types.js";
import { identifiersOf } from "./kind-identifiers.js";
import { loadAccounts } from "./load-accounts.js";
import type { LoadCounts } from "./load-counts.js";
import { loadCustomers } from "./load-customers.js";
import { type KnownKeys, loadFacts } from "./load-facts.js";
import { type Rejects, setAsideRejects } from "./rejected-rows.js";
import { stageForStorage } from "./sealed-identifiers.js";
import { markPii, resolveTraitOptions } from "./trait-options.js";
import { prepareTraits, registerTraits } from "./traits.js";
import { buildStage, plausibleDates, STAGE_TABLE, type TypedExtra } from "./validate.js";

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
      return emptySummary(kind, source.label, settings.onConflict ?? "reject");
    }
    const plan = planColumns(kind, source, settings.map ?? []);
    // A profile's extra columns are traits: a person's (customers) or a company's (accounts).
    const owner = kind === "customers" || kind === "accounts" ? kind : null;
    const traits =
      owner !== null
        ? await prepareTraits(engine, source, plan, category, settings.pii ?? [], owner)
        : { typed: [], created: [] };
    // --pii names checked, each new trait's PII flag decided (asked, or found by name or values): nothing written.
    const traitOptions = await resolveTraitOptions(engine, kind, source, plan, traits.created, settings);
    // Implausible dates are judged against the time the import runs; the flag that admits them is named in the
    // reason as the source's user knows it (an option of the command, a field of a batch).
    const dates = settings.allowAnyDate
      ? null
      : plausibleDates(
          settings.now ?? new Date(),
          source.noun === "file" ? "--allow-any-date" : "allowAnyDate",
        );
    const staged = await buildStage(engine, kind, source, plan, traits.typed, dates);
    // The keyring personal data is sealed with, when the database is encrypted (or becomes so with this import). A
    // missing or wrong key refuses the import here; the stage then holds identifiers as the database stores them.
    const keyring = kind === "accounts" ? null : await keyringToWrite(engine);
    if (keyring) {
      const flag = source.noun === "file" ? "--pii" : "pii";
      for (const t of traitOptions.created.filter((x) => x.pii))
        await checkPersonalFlag(engine, t, true, flag, true);
      const stored = await listTraits(engine);
      for (const name of traitOptions.marked) {
        const t = stored.find((x) => x.name === name);
        if (t) await checkPersonalFlag(engine, t, true, flag, true);
      }
    }
    const identifiers =
      kind === "accounts"
        ? []
        : await stageForStorage(
            engine,
            kind,
            identifiersOf(engine, kind, (f) => plan.fields.has(f)),
            plan.fields.has("properties"),
            keyring,
          );
    // Rows bringing back an erased person are rejected ("erased") like any bad row (their identifiers as stored).
    const erased = await rejectErased(engine, kind, identifiers);
    const accepted = staged.accepted - erased;
    const rejected = staged.rejected + erased;
    const read = accepted + rejected;
    const onConflict = settings.onConflict ?? "reject";
    const spec = kind === "customers" || kind === "accounts" ? null : factSpecOf(engine, kind, plan);
    const stored = spec ? await storedKeys(engine, spec, settings.dedupeWithinDays) : null;
    const conflicts =
      spec && stored ? await findConflicts(engine, spec, source, plan, onConflict, stored) : NO_CONFLICTS;
    let rejectsFile: string | null = null;
    if (rejected > 0 || conflicts.rows > 0) {
      const more = conflicts.rows > 0 ? conflictLines(source.columns.length) : null;
      const rejects = await setAsideRejects(
        engine,
        source,
        rejected + conflicts.dropped + conflicts.lines,
        more,
      );
      rejectsFile = await onRejects(rejects);
      await rejects.drop();
      // Unresolved conflicts (`reject`) refuse a strict import as rejected rows do; a chosen resolution does not.
      const refused = onConflict === "reject" ? conflicts.rows : 0;
      if (settings.strict && (rejected > 0 || refused > 0)) {
        // A file's reject file is named (its user reads the reasons there); a batch's caller has them as values.
        const flag = source.noun === "file" ? "--strict" : "strict";
        const what = [
          ...(rejected > 0 ? [`${rejected} of ${read} rows rejected`] : []),
          ...(refused > 0
            ? [`${refused} of ${read} rows in conflict with stored or earlier rows of the same key`]
            : []),
        ].join(", ");
        throw new UserError(
          "rows-rejected",
          `${what} (first: ${await firstReject(engine)}); nothing was imported (${flag})${rejectsFile ? `. Reasons in ${rejectsFile}` : ""}`,
          source.label,
        );
      }
    }
    if (keyring) await recordEncrypted(engine, keyring);
    // Everything that may refuse the import is behind us: only now is anything written to the database's own
    // tables (an engine without transactions has nothing to roll back after a refusal).
    // Account traits have no PII flag or category to decide: registered as typed.
    if (kind === "accounts") await registerTraits(engine, traits.created, "accounts");
    else await registerTraits(engine, traitOptions.created);
    await markPii(engine, traitOptions.marked);
    settings.onStep?.("linking identities");
    // An account id names a company, not a person: no identifiers to link (its members are linked by their
    // group events, which the events import resolves).
    const resolved =
      kind === "accounts"
        ? { created: 0, merged: 0 }
        : await resolveIdentities(engine, STAGE_TABLE, identifiers, `import ${kind} ${source.shortName}`);
    settings.onStep?.("writing");
    if (spec && conflicts.replaced > 0) await replaceStored(engine, spec);
    const counts = await load(engine, kind, plan, traits.typed, accepted - conflicts.dropped, keyring, {
      ...conflicts,
      storedFacts: stored,
    });
    if (kind === "order-lines" && conflicts.replaced > 0) await rederiveOrders(engine);
    await dropConflicts(engine);
    // Rows that replaced a stored version were inserted, but are counted as conflicts, not as new facts; identical
    // copies of them are conflicts too (each has the stored key with other content).
    const added = counts.inserted - conflicts.replaced;
    const present = counts.alreadyPresent - (conflicts.replacing - conflicts.replaced);
    // Segments re-evaluate these people at the next (incremental) refresh.
    // `since`: the earliest time the new facts touch (a refresh adds what lies after its last as-of and re-reads
    // the history of the others); NULL when only a profile changed.
    // (An accounts import marked the members of the accounts it changed as it loaded them.)
    const d = engine.dialect;
    const since = plan.fields.has("timestamp") ? sql`min(timestamp)` : d.cast(sql`NULL`, "timestamp");
    if (kind !== "accounts")
      await engine.run(
        sql`INSERT INTO segment_dirty (customer_id, marked_at, since)
            SELECT _customer_id, ${d.now()}, ${since} FROM ${VALID_ROWS} WHERE _customer_id IS NOT NULL GROUP BY _customer_id`,
      );
    const notes = [...traitOptions.notes, ...(await notesOn(engine, kind, plan, source))];
    await engine.run(
      sql`INSERT INTO import_log (kind, file, read, accepted, rejected, already_present, imported_at)
            VALUES (${kind}, ${source.logName}, ${read}, ${added}, ${rejected}, ${present}, ${d.now()})`,
    );
    await dropResolution(engine);
    await engine.run(sql`DROP TABLE ${STAGE_TABLE}`);
    await source.close();
    return {
      kind,
      file: source.label,
      read,
      accepted: added,
      rejected,
      alreadyPresent: present,
      conflicts: conflicts.rows,
      onConflict,
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
function emptySummary(kind: ImportKind, file: string, onConflict: ConflictPolicy): ImportSummary {
  return {
    kind,
    file,
    read: 0,
    accepted: 0,
    rejected: 0,
    alreadyPresent: 0,
    conflicts: 0,
    onConflict,
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
  keyring: Keyring | null,
  conflicts: Conflicts & KnownKeys,
): Promise<LoadCounts> {
  if (kind === "customers") return loadCustomers(engine, traits, valid, keyring);
  if (kind === "accounts") return loadAccounts(engine, traits, valid);
  return loadFacts(engine, kind, plan, valid, conflicts);
}
