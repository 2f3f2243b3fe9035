import { z } from "zod";
import { saveSegmentsOfClustering } from "../clustering/saved-clustering-segments.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime } from "./schema-types.js";

export const ClustersSegmentsInput = z
  .object({
    /** A saved clustering. */
    name: z.string(),
    /** The personas that name the segments are described as of this moment (default: the data's end: as-of.ts). */
    asOf: isoTime.optional(),
  })
  .strict();

/**
 * `clusters.segments`: saves a segment per cluster of a saved clustering ({"computed": "cluster.<name>", "eq": j},
 * id `cluster-<name>-<j>`, replacing those of an earlier save), as `cluster.save` does with `segments`: a write of
 * segments only, for a role that may save segments but not fit models. Segment names describe no cluster under
 * the k of the k-gate.
 */
export const clustersSegmentsOperation = defineOperation({
  name: "clusters.segments",
  summary: "save a segment per cluster of a saved clustering, named after its persona",
  input: ClustersSegmentsInput,
  access: "write",
  changes: ["segments"],
  async run(session, input): Promise<{ clustering: string; segments: string[]; asOfChoice: AsOfChoice }> {
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const minGroup = await reportMinGroup(session);
    // All the segments or none: a refusal of one (a name clash) leaves those saved before it out too.
    const segments = await session.transaction(() =>
      saveSegmentsOfClustering(session, input.name, { asOf, minGroup }),
    );
    return { clustering: input.name, segments, asOfChoice: choice };
  },
});
