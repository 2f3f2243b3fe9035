import * as Plot from "@observablehq/plot";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card } from "../../components/status";
import { formatCount } from "../../format";
import { hiddenNotes, MIN_BARS_WIDTH, type PartsOf, shownParts } from "./stacked-parts";
import type { AudienceList, SizedAudience } from "./types";

/** The three ways a member of an audience's segments is counted: through the consent gate, or left out and why. */
const GATE_PARTS = [
  { part: "consented", label: "Consented now", colour: "#1f5fbf" },
  { part: "noConsent", label: "No consent", colour: "#c9a227" },
  { part: "suppressionList", label: "On the suppression list", colour: "#b42318" },
] as const;

/**
 * Audiences: segments for a purpose on a channel, each with its size now (its segments' members who pass the
 * consent gate now) and who the gate leaves out, every count through the k-gate.
 */
export function Audiences({ list }: { list: AudienceList }) {
  const k = list.minGroup;
  const parts: PartsOf<SizedAudience> = GATE_PARTS.map((p) => ({
    label: p.label,
    count: (a) => (p.part === "consented" ? a.size : a.leftOut[p.part]),
  }));
  const bars = shownParts(list.audiences, (a) => a.id, parts);
  const hidden = hiddenNotes(list.audiences, (a) => a.id, parts, k);
  // Room for the audiences' names on the left and, when a count is hidden, for its note on the right.
  const margins = { marginLeft: 130, marginRight: hidden.length ? 200 : 20 };
  return (
    <Card title="Audiences" id="audiences" wide>
      {list.audiences.length === 0 ? (
        <p class="muted">
          No audience yet: <code>tessera audience create</code> makes one over saved segments.
        </p>
      ) : (
        <Chart
          id="audience-gate"
          label={`Members of each audience's segments, through the consent gate: ${list.audiences
            .map((a) => `${a.id} ${a.suppressed ? `fewer than ${k}` : formatCount(a.size ?? 0)} consented`)
            .join("; ")}`}
          deps={[list]}
          minWidth={margins.marginLeft + margins.marginRight + MIN_BARS_WIDTH}
          draw={(width) =>
            Plot.plot({
              width,
              height: 40 + 34 * list.audiences.length,
              ...margins,
              x: { label: "People", grid: true },
              y: { label: null, domain: list.audiences.map((a) => a.id) },
              color: {
                legend: true,
                domain: GATE_PARTS.map((p) => p.label),
                range: GATE_PARTS.map((p) => p.colour),
              },
              marks: [
                Plot.barX(bars, {
                  y: "bar",
                  x: "count",
                  fill: "part",
                  order: GATE_PARTS.map((p) => p.label),
                  tip: true,
                }),
                Plot.text(hidden, {
                  y: "bar",
                  x: "end",
                  text: "text",
                  textAnchor: "start",
                  dx: 4,
                  fill: "#5a6472",
                }),
                Plot.ruleX([0]),
              ],
            })
          }
        >
          <DataTable
            caption={`Audiences and their size now: consented members of their segments (fewer than ${k} people: suppressed)`}
            id="audiences"
            minGroup={k}
            rows={list.audiences}
            columns={[
              { label: "Audience", value: (a) => <code>{a.id}</code> },
              { label: "Segments", value: (a) => <code>{a.where}</code> },
              { label: "Purpose", value: (a) => a.purpose },
              { label: "Channel", value: (a) => a.channel },
              {
                label: "Size now",
                value: (a) => formatCount(a.size ?? 0),
                suppressed: (a) => a.suppressed,
                numeric: true,
              },
              {
                label: "No consent",
                value: (a) => formatCount(a.leftOut.noConsent ?? 0),
                suppressed: (a) => a.leftOut.noConsent === null,
                numeric: true,
              },
              {
                label: "On the suppression list",
                value: (a) => formatCount(a.leftOut.suppressionList ?? 0),
                suppressed: (a) => a.leftOut.suppressionList === null,
                numeric: true,
              },
            ]}
          />
        </Chart>
      )}
    </Card>
  );
}
