import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import { registerComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { Centroid } from "./centroids.js";
import type { ClusteringResult } from "./clustering-result.js";
import { extractFeatures, type FeatureTable, featureSchema } from "./feature-matrix.js";
import { resolveFeatures } from "./feature-spec.js";
import { assignNearest } from "./kmeans.js";
import { assignPrototypes } from "./kprototypes.js";
import { applyPreprocessing, type Preprocessing } from "./preprocess.js";

/** Names of saved clusterings: they become a view `cluster_<name>` and the computed value `cluster.<name>`. */
export const CLUSTERING_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** What a saved clustering keeps besides its centres (the `spec` JSON column). */
interface StoredSpec {
  readonly features: readonly string[];
  /** Levels of mixes and categorical columns at fit time: new customers are encoded with the same ones. */
  readonly levels: Readonly<Record<string, readonly string[]>>;
  readonly preprocessing: Preprocessing;
  readonly modes: readonly number[];
  readonly gamma: number;
  readonly includeAnonymous: boolean;
  readonly clusters: readonly { id: number; size: number; centroid: Centroid }[];
}

/** A saved clustering as listed. */
export interface SavedClustering {
  readonly name: string;
  readonly k: number;
  readonly model: string;
  readonly features: readonly string[];
  readonly customers: number;
  readonly inertia: number;
  readonly silhouette: number | null;
  readonly createdAt: Date;
  readonly assignedAt: Date;
}

export function checkClusteringName(name: string, where = "--save-as"): void {
  if (!CLUSTERING_NAME.test(name))
    throw new UserError(
      "bad-clustering-name",
      `"${name}": lower-case letters, digits and _, starting with a letter (at most 40)`,
      where,
    );
}

/** The view that holds a clustering's assignments (one row per customer), for the computed registry. */
export function assignmentView(name: string): string {
  return `cluster_${name}`;
}

/** Session temporary tables that carry assignments and centres into the stored tables. */
const ASSIGN = "_cluster_assign";
const CENTROIDS = "_cluster_centroids";

/** The stored tables of clusterings and the column that names the clustering in each. */
const STORED_TABLES = [
  ["clusterings", "name"],
  ["clustering_centroids", "clustering"],
  ["cluster_assignments", "clustering"],
] as const;

/** Levels of each mix and categorical feature of a table, by feature id. */
function levelsOf(table: FeatureTable): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of table.columns) {
    if (c.levels) out[c.feature] = [...c.levels];
    else if (c.name !== c.feature && c.role === "share") {
      out[c.feature] = [...(out[c.feature] ?? []), c.name.slice(c.name.lastIndexOf(":") + 1)];
    }
  }
  return out;
}

/**
 * Stores a clustering under `name` (replacing one of the same name): the model, its preprocessing and centres,
 * and every customer's cluster, exposed as the computed value `cluster.<name>` so that segment definitions can
 * use {"computed": "cluster.<name>", "eq": 3}.
 */
export async function saveClustering(engine: Engine, name: string, result: ClusteringResult): Promise<void> {
  checkClusteringName(name);
  const f = result.fitted;
  const { x, cat } = applyPreprocessing(f.table, f.preprocessing);
  const distances = new Float64Array(x.n);
  const d = x.d;
  for (let i = 0; i < x.n; i++) {
    let s = 0;
    const a = f.labels[i] as number;
    for (let t = 0; t < d; t++) s += ((x.data[i * d + t] as number) - (f.centers[a * d + t] as number)) ** 2;
    for (let t = 0; t < cat.q; t++) if (cat.codes[i * cat.q + t] !== f.modes[a * cat.q + t]) s += f.gamma;
    distances[i] = s;
  }
  const spec: StoredSpec = {
    features: result.features,
    levels: levelsOf(f.table),
    preprocessing: f.preprocessing,
    modes: [...f.modes],
    gamma: f.gamma,
    includeAnonymous: f.includeAnonymous,
    clusters: result.clusters.map((c) => ({ id: c.id, size: c.size, centroid: c.centroid })),
  };
  const dialect = engine.dialect;
  await engine.appendTemp(ASSIGN, [
    { name: "customer_id", type: "string", values: f.table.ids },
    { name: "cluster", type: "integer", values: f.labels },
    { name: "distance", type: "number", values: distances },
  ]);
  await engine.transaction(async () => {
    for (const [t, key] of STORED_TABLES) {
      await engine.run(dialect.deleteWhere(t, sql`${sql.ident(key)} = ${name}`));
    }
    const values = [
      name,
      result.k,
      result.model,
      sql.param(JSON.stringify(result.features), "json"),
      sql.param(JSON.stringify(spec), "json"),
      result.seed,
      result.inertia,
      sql.param(result.silhouette, "number"),
      result.customers,
      sql.param(result.asOf, "timestamp"),
      dialect.now(),
      dialect.now(),
    ];
    await engine.run(
      sql`INSERT INTO clusterings (name, k, model, features, spec, seed, inertia, silhouette, customers, as_of, created_at, assigned_at)
       VALUES (${sql.join(values)})`,
    );
    const columns = f.preprocessing.columns.map((c) => c.name);
    const clusterCol: number[] = [];
    const nameCol: string[] = [];
    const valueCol: number[] = [];
    for (let j = 0; j < result.k; j++) {
      columns.forEach((c, t) => {
        clusterCol.push(j);
        nameCol.push(c);
        valueCol.push(f.centers[j * d + t] as number);
      });
    }
    await engine.appendTemp(CENTROIDS, [
      { name: "cluster", type: "integer", values: clusterCol },
      { name: "column_name", type: "string", values: nameCol },
      { name: "value", type: "number", values: valueCol },
    ]);
    await engine.run(
      sql`INSERT INTO clustering_centroids (clustering, cluster, column_name, value)
          SELECT ${name}, cluster, column_name, value FROM ${sql.temp(CENTROIDS)}`,
    );
    await insertAssignments(engine, name);
    await createView(engine, name);
  });
  await engine.run([
    sql`DROP TABLE IF EXISTS ${sql.temp(ASSIGN)}`,
    sql`DROP TABLE IF EXISTS ${sql.temp(CENTROIDS)}`,
  ]);
  await registerComputed(engine, [
    {
      name: `cluster.${name}`,
      type: "integer",
      table: assignmentView(name),
      column: "cluster",
      producer: "cluster",
      description: `cluster (0–${result.k - 1}, largest first) of the ${result.model} clustering "${name}" on ${result.features.join(", ")}`,
    },
  ]);
}

/** Copies the assignments of the session's temporary table into `cluster_assignments` under `name`. */
async function insertAssignments(engine: Engine, name: string): Promise<void> {
  await engine.run(
    sql`INSERT INTO cluster_assignments (clustering, customer_id, cluster, distance)
        SELECT ${name}, customer_id, cluster, distance FROM ${sql.temp(ASSIGN)}`,
  );
}

/**
 * One row per customer even after identity merges moved two customers' rows onto one: the nearer centre wins.
 * A view holds no bound values, so the name is a literal (checked against `CLUSTERING_NAME` before).
 */
async function createView(engine: Engine, name: string): Promise<void> {
  const d = engine.dialect;
  checkClusteringName(name);
  await engine.run(
    d.createView(
      assignmentView(name),
      sql`SELECT customer_id, ${d.argMin(sql.raw("cluster"), sql.raw("distance"))} AS cluster, min(distance) AS distance
            FROM cluster_assignments WHERE clustering = ${sql.raw(d.literal(name))} GROUP BY customer_id`,
    ),
  );
}

export async function listClusterings(engine: Engine): Promise<SavedClustering[]> {
  const features = engine.dialect.toText(sql.raw("features"));
  const r = await engine.query(
    sql`SELECT name, k, model, ${features} AS features, customers, inertia, silhouette, created_at, assigned_at
          FROM clusterings ORDER BY name`,
  );
  return r.rows<Record<string, unknown>>().map((x) => ({
    name: x.name as string,
    k: Number(x.k),
    model: x.model as string,
    features: JSON.parse(x.features as string) as string[],
    customers: Number(x.customers),
    inertia: Number(x.inertia),
    silhouette: x.silhouette === null ? null : Number(x.silhouette),
    createdAt: x.created_at as Date,
    assignedAt: x.assigned_at as Date,
  }));
}

/** A saved clustering's stored model; a clear error (with a suggestion) for an unknown name. */
export async function loadClustering(
  engine: Engine,
  name: string,
  where = "--clustering",
): Promise<{ k: number; model: string; spec: StoredSpec; centers: Float64Array }> {
  const r = await engine.query(
    sql`SELECT k, model, ${engine.dialect.toText(sql.raw("spec"))} AS spec FROM clusterings WHERE name = ${name}`,
  );
  if (r.rowCount === 0) {
    const known = (await listClusterings(engine)).map((c) => c.name);
    throw new UserError(
      "unknown-clustering",
      `no saved clustering "${name}"${didYouMean(name, known)}${known.length ? "" : " (save one with tessera cluster --save-as NAME)"}`,
      where,
    );
  }
  const k = Number(r.column("k")[0]);
  const spec = JSON.parse(r.column("spec")[0] as string) as StoredSpec;
  const columns = spec.preprocessing.columns.map((c) => c.name);
  const c = await engine.query(
    sql`SELECT cluster, column_name, value FROM clustering_centroids WHERE clustering = ${name}`,
  );
  const index = new Map(columns.map((n, t) => [n, t]));
  const centers = new Float64Array(k * columns.length);
  for (const row of c.rows<{ cluster: number; column_name: string; value: number }>()) {
    centers[Number(row.cluster) * columns.length + (index.get(row.column_name) as number)] = row.value;
  }
  return { k, model: r.column("model")[0] as string, spec, centers };
}

/**
 * Assigns every current customer to the nearest stored centre of clustering `name` (new customers included),
 * with the features computed as of `asOf` and preprocessed exactly as at fit time. Returns how many customers
 * were assigned and how many changed cluster.
 */
export async function assignToClusters(
  engine: Engine,
  name: string,
  opts: { asOf?: Date } = {},
): Promise<{ name: string; customers: number; changed: number; added: number }> {
  const { k, spec, centers } = await loadClustering(engine, name, "clustering");
  const specs = resolveFeatures(spec.features, await featureSchema(engine));
  const table = await extractFeatures(engine, specs, {
    asOf: opts.asOf ?? new Date(),
    includeAnonymous: spec.includeAnonymous,
    levels: new Map(Object.entries(spec.levels)),
  });
  const { x, cat } = applyPreprocessing(table, spec.preprocessing);
  const { labels, distances } =
    cat.q > 0
      ? assignPrototypes(x, cat, centers, Int32Array.from(spec.modes), k, spec.gamma)
      : assignNearest(x, centers);
  await engine.appendTemp(ASSIGN, [
    { name: "customer_id", type: "string", values: table.ids },
    { name: "cluster", type: "integer", values: labels },
    { name: "distance", type: "number", values: distances },
  ]);
  const diff = await engine.query(
    sql`SELECT count(CASE WHEN a.customer_id IS NULL THEN 1 END) AS added,
            count(CASE WHEN a.cluster <> n.cluster THEN 1 END) AS changed
       FROM ${sql.temp(ASSIGN)} n LEFT JOIN ${sql.ident(assignmentView(name))} a ON a.customer_id = n.customer_id`,
  );
  const d = engine.dialect;
  await engine.transaction(async () => {
    await engine.run(d.deleteWhere("cluster_assignments", sql`clustering = ${name}`));
    await insertAssignments(engine, name);
    await engine.run(d.updateWhere("clusterings", sql`assigned_at = ${d.now()}`, sql`name = ${name}`));
  });
  await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(ASSIGN)}`);
  // When the computed value last changed (bookkeeping: the incremental refresh compares the values themselves).
  await engine.run(
    d.updateWhere("computed_registry", sql`updated_at = ${d.now()}`, sql`name = ${`cluster.${name}`}`),
  );
  return {
    name,
    customers: table.n,
    changed: Number(diff.column("changed")[0]),
    added: Number(diff.column("added")[0]),
  };
}

/** Assigns every customer in every saved clustering (the step a refresh runs first, so new customers get a cluster). */
export async function assignAllClusterings(engine: Engine, opts: { asOf?: Date } = {}) {
  const out = [];
  for (const c of await listClusterings(engine)) out.push(await assignToClusters(engine, c.name, opts));
  return out;
}

/** Removes a saved clustering, its assignments, view and computed value. */
export async function removeClustering(engine: Engine, name: string): Promise<void> {
  await loadClustering(engine, name, "clustering");
  await engine.transaction(async () => {
    const d = engine.dialect;
    for (const [t, key] of STORED_TABLES)
      await engine.run(d.deleteWhere(t, sql`${sql.ident(key)} = ${name}`));
    await engine.run(sql`DROP VIEW IF EXISTS ${sql.ident(assignmentView(name))}`);
    await engine.run(d.deleteWhere("computed_registry", sql`name = ${`cluster.${name}`}`));
  });
}
