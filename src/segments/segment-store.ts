import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import { loadPrivacySettings, minGroupOf, minGroupSql } from "../privacy/settings.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { canonicalDefinition, type SegmentDefinition } from "./definition.js";
import { customerCount } from "./evaluate.js";
import { definitionWarnings } from "./hints.js";
import { loadSchemaContext } from "./schema-context.js";
import { refsOf, type SegmentIssue, validateWithDatabase } from "./validate.js";

export interface SavedSegment {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly latestVersion: number;
  readonly updatedAt: Date;
}

export interface SegmentVersion {
  readonly version: number;
  readonly definition: SegmentDefinition;
  readonly createdAt: Date;
}

/**
 * Saves a definition as the segment's next version (validated against the database first). Saving the same
 * definition again changes nothing: "the same" is the canonical form (`canonicalDefinition`), so neither the order
 * of keys nor a default spelled out makes a new version. A version is stored as written, defaults included.
 */
export async function saveSegment(
  engine: Engine,
  input: unknown,
  where?: string,
): Promise<{ id: string; version: number; changed: boolean; warnings: SegmentIssue[] }> {
  const { def, schema } = await validateWithDatabase(engine, input, where);
  const d = engine.dialect;
  // Read before the write: what in the definition likely matches nobody by mistake (saved all the same).
  const warnings = await definitionWarnings(engine, def, schema);
  const saved = await engine.transaction(async () => {
    const current = await engine.query(sql`SELECT latest_version FROM segments WHERE segment_id = ${def.id}`);
    const latest = current.rowCount ? Number(current.column("latest_version")[0]) : 0;
    if (latest > 0) {
      const prev = schema.segments.get(def.id);
      if (prev && canonicalDefinition(prev) === canonicalDefinition(def))
        return { id: def.id, version: latest, changed: false };
    }
    const version = latest + 1;
    await engine.run(
      sql`INSERT INTO segment_versions (segment_id, version, definition, created_at)
          VALUES (${def.id}, ${version}, ${JSON.stringify(def)}, ${d.now()})`,
    );
    const description = sql.param(def.description ?? null, "string");
    if (latest === 0) {
      await engine.run(
        sql`INSERT INTO segments (segment_id, name, description, latest_version, created_at, updated_at)
            VALUES (${def.id}, ${def.name}, ${description}, 1, ${d.now()}, ${d.now()})`,
      );
    } else {
      await engine.run(
        d.updateWhere(
          "segments",
          sql`name = ${def.name}, description = ${description}, latest_version = ${version}, updated_at = ${d.now()}`,
          sql`segment_id = ${def.id}`,
        ),
      );
    }
    return { id: def.id, version, changed: true };
  });
  return { ...saved, warnings };
}

/**
 * SQL that holds for a row `alias` of `segments` when a stored refresh has evaluated its latest version: one ran
 * since it was saved (against the latest refresh, not a subquery per segment: not every engine runs correlated
 * ones). Never NULL (no refresh yet: false).
 */
const evaluatedSql = (alias: string) =>
  sql`coalesce(${sql.raw(alias)}.updated_at <= (SELECT max(refreshed_at) FROM segment_refreshes), false)`;

/**
 * SQL of a relation (customer_id, segment_id, segment_name): the current members of every segment whose latest
 * version a stored refresh has evaluated, one row per customer and segment they are in (segments overlap: a
 * customer may be in several rows); segment_name is the segment's name (its id should it have none). Segments
 * saved since the last refresh are left out: their open stays, if any, are an earlier version's, so their members
 * are not known (`notEvaluated` lists them). A fragment: use it as a subquery (`FROM (…) m`).
 */
export function currentMembershipSql(): Sql {
  return sql`SELECT m.customer_id, m.segment_id, coalesce(s.name, s.segment_id) AS segment_name
            FROM segment_membership m JOIN segments s ON s.segment_id = m.segment_id
           WHERE m.exited_at IS NULL AND ${evaluatedSql("s")}`;
}

/**
 * Segments whose latest version was saved after the last stored refresh: their stays, if any, belong to an earlier
 * version, so their membership is not known until the next refresh.
 */
export async function notEvaluated(engine: Engine): Promise<Set<string>> {
  const r = await engine.query(sql`SELECT segment_id FROM segments s WHERE NOT ${evaluatedSql("s")}`);
  return new Set(r.column("segment_id") as string[]);
}

/**
 * Every saved segment, by id (the order the k-gate breaks ties in, the same in every report), with its size at the
 * last refresh (null when its latest version is not evaluated yet), the number of customers and the database's
 * `min_group`: what `segment list` shows and gates, read in one query since a dashboard polls it.
 */
export async function savedSegmentSizes(
  engine: Engine,
): Promise<{ segments: SavedSegment[]; sizes: Map<string, number | null>; base: number; minGroup: number }> {
  const r = await engine.query(
    sql`SELECT s.segment_id AS segment_id, s.name AS name, s.description AS description,
               s.latest_version AS latest_version, s.updated_at AS updated_at,
               ${evaluatedSql("s")} AS evaluated, coalesce(m.n, 0) AS n, b.base AS base, g.min_group AS min_group
          FROM segments s
          LEFT JOIN (SELECT segment_id, count(*) AS n FROM segment_membership WHERE exited_at IS NULL
                      GROUP BY segment_id) m ON m.segment_id = s.segment_id
         CROSS JOIN (SELECT count(*) AS base FROM customers) b
         CROSS JOIN (${minGroupSql(engine.dialect)}) g
         ORDER BY s.segment_id`,
  );
  const rows = r.rows<Record<string, unknown>>();
  const first = rows[0];
  return {
    segments: rows.map(savedSegmentOf),
    sizes: new Map(
      rows.map((x) => [
        x.segment_id as string,
        x.evaluated === true || x.evaluated === 1 ? Number(x.n) : null,
      ]),
    ),
    // With no segment saved, no row carries the base and the setting.
    base: first ? Number(first.base) : await customerCount(engine),
    minGroup: first ? minGroupOf(first.min_group) : (await loadPrivacySettings(engine)).min_group,
  };
}

/** Refuses segments whose latest version no refresh has evaluated yet: their members are not known. */
export async function requireEvaluated(engine: Engine, ids: readonly string[], what: string): Promise<void> {
  const stale = await notEvaluated(engine);
  const unknown = ids.filter((id) => stale.has(id));
  if (unknown.length)
    throw new UserError(
      "not-evaluated",
      `${unknown.join(", ")}: saved since the last refresh, not evaluated yet (run tessera segment refresh first)`,
      what,
    );
}

export async function listSegments(engine: Engine): Promise<SavedSegment[]> {
  const r = await engine.query(
    "SELECT segment_id, name, description, latest_version, updated_at FROM segments ORDER BY segment_id",
  );
  return r.rows<Record<string, unknown>>().map(savedSegmentOf);
}

/** A row of `segments` as a saved segment. */
function savedSegmentOf(x: Record<string, unknown>): SavedSegment {
  return {
    id: x.segment_id as string,
    name: x.name as string,
    description: (x.description as string | null) ?? null,
    latestVersion: Number(x.latest_version),
    updatedAt: x.updated_at as Date,
  };
}

/** A saved segment's versions, newest first; a clear error (with a suggestion) for an unknown id. */
export async function segmentVersions(engine: Engine, id: string): Promise<SegmentVersion[]> {
  await requireSegment(engine, id);
  const r = await engine.query(
    sql`SELECT version, ${engine.dialect.toText(sql`definition`)} AS definition, created_at FROM segment_versions
         WHERE segment_id = ${id} ORDER BY version DESC`,
  );
  return r.rows<Record<string, unknown>>().map((x) => ({
    version: Number(x.version),
    definition: JSON.parse(x.definition as string) as SegmentDefinition,
    createdAt: x.created_at as Date,
  }));
}

export async function requireSegment(engine: Engine, id: string): Promise<void> {
  const all = await listSegments(engine);
  if (!all.some((s) => s.id === id)) {
    throw new UserError(
      "unknown-segment",
      `no segment "${id}"${didYouMean(
        id,
        all.map((s) => s.id),
      )}`,
      "segment",
    );
  }
}

/** Removes a segment, its versions and its membership history; refused while other segments refer to it. */
export async function removeSegment(engine: Engine, id: string): Promise<void> {
  await requireSegment(engine, id);
  const schema = await loadSchemaContext(engine, { events: false });
  const users = [...schema.segments]
    .filter(([other, d]) => other !== id && refsOf(d.where).includes(id))
    .map(([o]) => o);
  if (users.length) {
    throw new UserError(
      "segment-in-use",
      `segment "${id}" is used by ${users.join(", ")}: change or remove those first`,
      "segment",
    );
  }
  await engine.transaction(async () => {
    for (const t of ["segment_membership", "segment_versions", "segments"]) {
      await engine.run(engine.dialect.deleteWhere(t, sql`segment_id = ${id}`));
    }
  });
}
