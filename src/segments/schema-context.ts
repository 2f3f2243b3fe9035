import { isEncrypted, personalColumns } from "../privacy/encryption.js";
import { listAccountTraits } from "../store/accounts.js";
import { listComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { listTraits } from "../store/trait-registry.js";
import type { SegmentDefinition } from "./definition.js";

export type ValueType = "string" | "integer" | "number" | "boolean" | "date" | "timestamp";

/**
 * What a definition may name: traits, account traits and computed values with their types, event names, saved
 * segments.
 */
export interface SchemaContext {
  readonly traits: ReadonlyMap<string, ValueType>;
  /** Account traits (`{"account": name}`), the account's id among them. */
  readonly accounts: ReadonlyMap<string, ValueType>;
  readonly computed: ReadonlyMap<string, { type: ValueType; table: string; column: string }>;
  /**
   * Known event names, as many as were asked for (`loadSchemaContext`'s `events`): every one, none, or those of
   * the names asked about that occur (every one when some do not, for suggestions).
   */
  readonly events: ReadonlySet<string>;
  /**
   * Saved segments (latest versions) as stored, checked when they were saved: what they name may have gone since
   * (`validateSaved` checks them again before they are evaluated).
   */
  readonly segments: ReadonlyMap<string, SegmentDefinition>;
  /**
   * Traits stored sealed (an encrypted database's personal columns: src/privacy/encryption.ts): the engine sees
   * only ciphertext, so only whether they are set can be asked of them. Absent: none.
   */
  readonly sealed?: ReadonlySet<string>;
}

/** Built-in customer columns a definition may compare like traits. */
export const BUILT_IN_TRAITS: ReadonlyMap<string, ValueType> = new Map([
  ["email", "string"],
  ["phone", "string"],
  ["first_name", "string"],
  ["last_name", "string"],
  ["first_seen", "timestamp"],
  ["last_seen", "timestamp"],
]);

/**
 * Account columns a definition may compare like account traits: the id (`account.account_id = "acme"`: the
 * members of one account), read from the group events, so that it names members of an account no file or call
 * has given traits yet.
 */
export const BUILT_IN_ACCOUNT_TRAITS: ReadonlyMap<string, ValueType> = new Map([["account_id", "string"]]);

/**
 * Loads what definitions may name. Event names, by `events`:
 * - a list of names (what validating a definition needs: `validateWithDatabase`): which of them occur, each by an
 *   existence check that stops at its first row (no scan of every event while the names are known); when one does not occur, every known
 *   name instead (one scan of the names), so that the refusal can suggest the nearest;
 * - `false` (evaluation, which never looks at them): none;
 * - `true`, the default: every known name, a scan of every event's name (tools and tests that want the list).
 */
export async function loadSchemaContext(
  engine: Engine,
  opts: { events?: boolean | Iterable<string> } = {},
): Promise<SchemaContext> {
  const traits = new Map<string, ValueType>(BUILT_IN_TRAITS);
  for (const t of await listTraits(engine)) traits.set(t.name, t.type);
  const accounts = new Map<string, ValueType>(BUILT_IN_ACCOUNT_TRAITS);
  for (const t of await listAccountTraits(engine)) accounts.set(t.name, t.type);
  const computed = new Map<string, { type: ValueType; table: string; column: string }>();
  for (const c of await listComputed(engine))
    computed.set(c.name, { type: c.type, table: c.table, column: c.column });
  const asked = opts.events ?? true;
  const events =
    asked === false
      ? new Set<string>()
      : asked === true
        ? await allEventNames(engine)
        : await eventNames(engine, asked);
  const segs = await engine.query(
    sql`SELECT v.segment_id, ${engine.dialect.toText(sql`v.definition`)} AS definition FROM segment_versions v
       JOIN segments s ON s.segment_id = v.segment_id AND s.latest_version = v.version ORDER BY v.segment_id`,
  );
  const segments = new Map<string, SegmentDefinition>();
  for (const r of segs.rows<{ segment_id: string; definition: string }>()) {
    segments.set(r.segment_id, JSON.parse(r.definition) as SegmentDefinition);
  }
  const sealed = (await isEncrypted(engine)) ? new Set(await personalColumns(engine)) : new Set<string>();
  return { traits, accounts, computed, events, segments, sealed };
}

/** Every event name that occurs: one scan of the events' names. */
async function allEventNames(engine: Engine): Promise<Set<string>> {
  const r = await engine.query("SELECT DISTINCT event FROM events WHERE event IS NOT NULL");
  return new Set(r.column("event") as string[]);
}

/**
 * Which of `names` occur in events, all in one query of one `EXISTS` per name: each stops at the name's first row,
 * so a known name costs a few row groups, whatever the number of events. Only an unknown name is looked for in
 * every row; then every known name is returned (`allEventNames`) for the suggestion.
 */
async function eventNames(engine: Engine, names: Iterable<string>): Promise<Set<string>> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return new Set();
  const checks = wanted.map(
    (name, i) =>
      // Cast: EXISTS is a boolean on one engine, 0 or 1 on another.
      sql`${engine.dialect.cast(sql`EXISTS (SELECT 1 FROM events WHERE event = ${sql.param(name, "string")})`, "boolean")} AS ${sql.raw(`e${i}`)}`,
  );
  const r = await engine.query(sql`SELECT ${sql.join(checks)}`);
  const found = wanted.filter((_, i) => r.column(`e${i}`)[0] === true);
  return found.length === wanted.length ? new Set(found) : allEventNames(engine);
}
