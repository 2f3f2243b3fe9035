import type { Command } from "commander";
import { privacyFairnessOperation } from "../../operations/fairness-operations.js";
import type { FairnessReport } from "../../privacy/fairness.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";
import { gatedText } from "./value-options.js";

/** `tessera privacy fairness <segment>`: the segment's composition by sensitive traits, disparate impact flagged. */
export function registerPrivacyFairness(privacy: Command, cli: Cli): void {
  privacy
    .command("fairness <segment>")
    .description(privacyFairnessOperation.summary)
    .action(async (segment: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyFairnessOperation, { id: segment });
      cli.print(cmd, r, () => fairnessText(r));
    });
}

const pct = (x: number | null, k: number) => (x === null ? `<${k}` : `${(100 * x).toFixed(1)}%`);

function fairnessText(r: FairnessReport): string {
  const k = r.minGroup;
  const head = `Segment ${r.segment}: ${gatedText(r.members, k)} members of ${r.base.toLocaleString("en-US")} customers. Flagged: a selection rate under ${r.threshold} of the highest (the four-fifths rule).\n`;
  const traits = r.traits.map((t) => {
    const grouping = t.grouping === "values" ? "" : ` (${t.grouping})`;
    const rows = t.groups.map((g) => [
      g.value ?? "(none)",
      pct(g.segmentShare, k),
      pct(g.baseShare, k),
      pct(g.selectionRate, k),
      g.impactRatio === null ? (g.suppressed ? `<${k}` : "") : g.impactRatio.toFixed(2),
      g.flagged ? "FLAGGED" : "",
    ]);
    const verdict =
      t.flagged.length === 0
        ? "no value under the four-fifths rule"
        : `under the four-fifths rule: ${t.flagged.map((v) => v ?? "(none)").join(", ")}`;
    return `\n${t.trait}${grouping}: ${verdict}\n${table(["value", "in segment", "in base", "selection rate", "ratio", ""], rows)}`;
  });
  const skipped = r.skipped.map((s) => `skipped ${s.trait}: ${s.reason}\n`);
  const notes = r.notes.map((n) => `note: ${n}\n`);
  return [head, ...traits, ...skipped, ...notes].join("");
}
