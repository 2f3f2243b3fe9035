import { listComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { listTraits } from "../store/trait-registry.js";
import type { SegmentDefinition } from "./definition.js";

export type ValueType = "string" | "integer" | "number" | "boolean" | "date" | "timestamp";

/** What a definition may name: traits and computed values with their types, event names, saved segments. */
export interface SchemaContext {
  readonly traits: ReadonlyMap<string, ValueType>;
  readonly computed: ReadonlyMap<string, { type: ValueType; table: string; column: string }>;
  readonly events: ReadonlySet<string>;
  readonly segments: ReadonlyMap<string, SegmentDefinition>;
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
 * Loads what definitions may name. Event names take a scan of the events table: only validation needs them, so
 * evaluation (`events: false`) skips it.
 */
export async function loadSchemaContext(
  engine: Engine,
  opts: { events?: boolean } = {},
): Promise<SchemaContext> {
  const traits = new Map<string, ValueType>(BUILT_IN_TRAITS);
  for (const t of await listTraits(engine)) traits.set(t.name, t.type);
  const computed = new Map<string, { type: ValueType; table: string; column: string }>();
  for (const c of await listComputed(engine))
    computed.set(c.name, { type: c.type, table: c.table, column: c.column });
  const ev =
    opts.events === false
      ? null
      : await engine.query("SELECT DISTINCT event FROM events WHERE event IS NOT NULL");
  const segs = await engine.query(
    `SELECT v.segment_id, v.definition::VARCHAR AS definition FROM segment_versions v
       JOIN segments s ON s.segment_id = v.segment_id AND s.latest_version = v.version`,
  );
  const segments = new Map<string, SegmentDefinition>();
  for (const r of segs.rows<{ segment_id: string; definition: string }>()) {
    segments.set(r.segment_id, JSON.parse(r.definition) as SegmentDefinition);
  }
  return { traits, computed, events: new Set((ev?.column("event") ?? []) as string[]), segments };
}
