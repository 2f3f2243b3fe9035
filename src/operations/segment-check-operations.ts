import { z } from "zod";
import { checkDefinition, type DefinitionCheck } from "../segments/check.js";
import { defineOperation } from "./operation.js";
import { DefinitionInput } from "./segment-operations.js";

export const SegmentCheckInput = z.object({ definition: DefinitionInput }).strict();

/**
 * `segment.check`: a definition checked as it is being written, in either form — its problems as data (each with
 * its line and column in a text, and the name it suggests), its warnings, and its other form (the JSON a text
 * parses to, the text a JSON document prints as). The checks of a save; nothing is evaluated or saved. A definition
 * with problems is an answer, not a refusal: the builder shows them where they are (preview and save refuse it).
 */
export const segmentCheckOperation = defineOperation({
  name: "segment.check",
  summary:
    "check a definition as it is written: problems at their line and column, suggestions, its other form",
  input: SegmentCheckInput,
  access: "read",
  run: (session, { definition }): Promise<DefinitionCheck> => checkDefinition(session, definition),
});
