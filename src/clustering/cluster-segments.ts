import { UserError } from "../errors.js";
import { loadSchemaContext } from "../segments/schema-context.js";
import { listSegments, removeSegment, saveSegment } from "../segments/segment-store.js";
import { computedNamesOf, refsOf } from "../segments/validate.js";
import type { Engine } from "../store/engine.js";

/** The id of the segment that holds cluster `j` of clustering `name`. */
export function clusterSegmentId(name: string, j: number): string {
  return `cluster-${name}-${j}`;
}

/**
 * Saves each cluster of a saved clustering as a segment ({"computed": "cluster.<name>", "eq": j}), named after
 * its persona, so clusters can be previewed, refreshed, exported and targeted like any segment. Segments of
 * clusters that no longer exist (a re-save with a smaller k) are removed. Returns the segment ids.
 */
export async function saveClusterSegments(
  engine: Engine,
  name: string,
  clusters: readonly { id: number; name: string; size: number }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const c of clusters) {
    const id = clusterSegmentId(name, c.id);
    await saveSegment(
      engine,
      {
        id,
        name: `${name} ${c.id}: ${c.name}`,
        description: `cluster ${c.id} of the saved clustering "${name}" (${c.size} customers when found)`,
        where: { computed: `cluster.${name}`, eq: c.id },
      },
      "--save-as",
    );
    ids.push(id);
  }
  await removeClusterSegments(engine, name, ids);
  return ids;
}

/** Whether a segment id is one `saveClusterSegments` saved for clustering `name`. */
function isClusterSegment(name: string, id: string): boolean {
  const prefix = `cluster-${name}-`;
  return id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length));
}

/**
 * Refuses, naming them, when saved segments other than the clustering's own use it — its computed value
 * `cluster.<name>`, or one of its cluster segments: removing it would leave them unable to be evaluated.
 */
export async function requireUnusedClustering(engine: Engine, name: string): Promise<void> {
  const schema = await loadSchemaContext(engine, { events: false });
  const users = [...schema.segments]
    .filter(([id]) => !isClusterSegment(name, id))
    .filter(
      ([, d]) =>
        computedNamesOf(d.where).includes(`cluster.${name}`) ||
        refsOf(d.where).some((ref) => isClusterSegment(name, ref)),
    )
    .map(([id]) => id)
    .sort();
  if (users.length)
    throw new UserError(
      "clustering-in-use",
      `clustering "${name}" is used by segment${users.length > 1 ? "s" : ""} ${users.join(", ")}: change or remove ${users.length > 1 ? "them" : "it"} first`,
      "clusters --remove",
    );
}

/**
 * Removes the segments `saveClusterSegments` saved for a clustering (all of them, or all but `keep`): a
 * clustering removed or re-saved with a smaller k leaves no segment on a cluster that does not exist.
 */
export async function removeClusterSegments(
  engine: Engine,
  name: string,
  keep: readonly string[] = [],
): Promise<void> {
  for (const s of await listSegments(engine)) {
    if (isClusterSegment(name, s.id) && !keep.includes(s.id)) await removeSegment(engine, s.id);
  }
}
