/**
 * A segment per cluster of a clustering saved earlier (`cluster --save-as NAME --no-segments`, or one whose
 * segments were removed): what `--save-as` does at once, for whoever may save segments but not fit models.
 */
import type { Engine } from "../store/engine.js";
import { saveClusterSegments } from "./cluster-segments.js";
import { personas } from "./personas.js";
import { loadClustering } from "./saved-clusterings.js";

/**
 * Saves (or replaces) the segments `cluster-<name>-<j>` of saved clustering `name`, named after each cluster's
 * persona as of `asOf` — a cluster too small to describe (under `minGroup`) is named as such, and one with no
 * member now says so — with the sizes found when the clustering was fitted. Returns the segment ids.
 */
export async function saveSegmentsOfClustering(
  engine: Engine,
  name: string,
  opts: { readonly asOf: Date; readonly minGroup: number },
): Promise<string[]> {
  const { spec } = await loadClustering(engine, name, "name");
  const report = await personas(
    engine,
    { clustering: name },
    { asOf: opts.asOf, minGroup: opts.minGroup, top: 1 },
  );
  const names = new Map(report.personas.map((p) => [p.group, p.name]));
  return saveClusterSegments(
    engine,
    name,
    spec.clusters.map((c) => ({
      id: c.id,
      size: c.size,
      name: names.get(String(c.id)) ?? "(no members now)",
    })),
  );
}
