import { listSegments, removeSegment, saveSegment } from "../segments/segment-store.js";
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

/**
 * Removes the segments `saveClusterSegments` saved for a clustering (all of them, or all but `keep`): a
 * clustering removed or re-saved with a smaller k leaves no segment on a cluster that does not exist.
 */
export async function removeClusterSegments(
  engine: Engine,
  name: string,
  keep: readonly string[] = [],
): Promise<void> {
  const prefix = `cluster-${name}-`;
  for (const s of await listSegments(engine)) {
    if (s.id.startsWith(prefix) && /^\d+$/.test(s.id.slice(prefix.length)) && !keep.includes(s.id))
      await removeSegment(engine, s.id);
  }
}
