import * as Plot from "@observablehq/plot";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card } from "../../components/status";
import {
  formatCount,
  formatMoney,
  formatNumber,
  formatShare,
  formatTime,
  suppressedText,
} from "../../format";
import { INK, MUTED, SUPPRESSED_FILL, VALUE_FILL, VALUE_FILL_LIGHT } from "../chart-colors";
import type { RfmCell, RfmReport } from "./types";

const SCORES = [1, 2, 3, 4, 5];

/** How the stored scores were made, in words. */
function howScored(r: RfmReport): string {
  const how = (s: string) => (s === "thresholds" ? "cut points" : "quintiles");
  const { r: rs, f, m } = r.scoring;
  const scores =
    rs === f && f === m ? `scores by ${how(rs)}` : `R by ${how(rs)}, F by ${how(f)}, M by ${how(m)}`;
  return `Scored ${formatTime(r.scoredAt)}: frequency in ${r.frequency === "days" ? "purchase days" : "orders"}, monetary as ${r.monetary} spend, ${scores}.`;
}

/** Scores nobody has (a column or row of zeros), which a reader would otherwise take for an error. */
function emptyScores(r: RfmReport): string | null {
  const none = (scores: number[], of: (c: RfmCell) => number) =>
    scores.filter((s) => r.grid.filter((c) => of(c) === s).every((c) => c.customers === 0));
  const f = none(SCORES, (c) => c.f);
  const rs = none(SCORES, (c) => c.r);
  const named = [...rs.map((s) => `R ${s}`), ...f.map((s) => `F ${s}`)];
  if (named.length === 0) return null;
  return `Nobody scores ${named.join(" or ")}: equal values share a score, so a tie across a quintile's edge (many customers with one order, say) skips the next score.`;
}

/** A cell of the grid as the numbers table and the chart show it. */
const cellOf = (r: RfmReport, rScore: number, f: number): RfmCell | undefined =>
  r.grid.find((c) => c.r === rScore && c.f === f);

/** The R × F grid of customer counts: a heat map, suppressed cells grey and marked `<k`. */
export function RfmGrid({ report }: { report: RfmReport }) {
  const k = report.minGroup;
  const shown = report.grid.filter((c) => !c.suppressed);
  const hidden = report.grid.filter((c) => c.suppressed);
  const most = Math.max(1, ...shown.map((c) => c.customers ?? 0));
  const dark = (c: RfmCell) => (c.customers ?? 0) > most * 0.55;
  const at = { x: "f", y: "r" } as const;
  const biggest = shown.reduce<RfmCell | null>(
    (a, c) => ((c.customers ?? 0) > (a?.customers ?? -1) ? c : a),
    null,
  );
  const label = `Heat map of customers by recency score (rows, 5 most recent at the top) and frequency score (columns): ${shown.length} cells shown, ${hidden.length} suppressed${biggest ? `; the largest is R ${biggest.r}, F ${biggest.f} with ${formatCount(biggest.customers ?? 0)} customers` : ""}.`;
  const perCell = (value: (c: RfmCell) => string) =>
    SCORES.map((f) => ({
      label: `F ${f}`,
      value: (rScore: number) => {
        const c = cellOf(report, rScore, f);
        return c ? value(c) : "—";
      },
      suppressed: (rScore: number) => cellOf(report, rScore, f)?.suppressed ?? false,
      numeric: true,
    }));
  return (
    <Card title="RFM grid" id="rfm-grid">
      <p class="muted">{howScored(report)}</p>
      {emptyScores(report) ? <p class="muted">{emptyScores(report)}</p> : null}
      <Chart
        id="rfm-grid"
        label={label}
        deps={[report]}
        draw={(width) =>
          Plot.plot({
            width: Math.min(width, 520),
            height: 300,
            marginLeft: 56,
            marginBottom: 40,
            x: { domain: SCORES, label: "Frequency score (F) →", labelAnchor: "center", labelArrow: "none" },
            y: {
              domain: [...SCORES].reverse(),
              label: "Recency score (R)",
              labelAnchor: "center",
              labelArrow: "none",
            },
            color: { type: "sqrt", domain: [0, most], range: [VALUE_FILL_LIGHT, VALUE_FILL] },
            marks: [
              Plot.cell(shown, { ...at, fill: "customers", inset: 1.5 }),
              Plot.cell(hidden, { ...at, fill: SUPPRESSED_FILL, inset: 1.5 }),
              Plot.text(shown.filter(dark), {
                ...at,
                text: (c: RfmCell) => formatCount(c.customers ?? 0),
                fill: "white",
                fontSize: 13,
              }),
              Plot.text(
                shown.filter((c) => !dark(c)),
                { ...at, text: (c: RfmCell) => formatCount(c.customers ?? 0), fill: INK, fontSize: 13 },
              ),
              Plot.text(hidden, { ...at, text: () => suppressedText(k), fill: MUTED, fontStyle: "italic" }),
            ],
          })
        }
      >
        <DataTable
          caption={`Customers per cell: recency score (rows) by frequency score (columns); fewer than ${k}: suppressed`}
          id="rfm-grid"
          minGroup={k}
          rows={[...SCORES].reverse()}
          columns={[
            { label: "R score", value: (rScore) => `R ${rScore}` },
            ...perCell((c) => formatCount(c.customers ?? 0)),
          ]}
        />
        <DataTable
          caption="Revenue per cell (the scored customers' purchases up to the as-of time)"
          id="rfm-grid-revenue"
          minGroup={k}
          rows={[...SCORES].reverse()}
          columns={[
            { label: "R score", value: (rScore) => `R ${rScore}` },
            ...perCell((c) => formatMoney(c.revenue ?? 0)),
          ]}
        />
      </Chart>
    </Card>
  );
}

const MEASURES = ["Share of customers", "Share of revenue"] as const;

/** The named RFM segments: each one's share of the customers beside its share of the revenue. */
export function RfmSegments({ report }: { report: RfmReport }) {
  const k = report.minGroup;
  const shown = report.segments.filter((s) => !s.suppressed);
  const bars = shown.flatMap((s) => [
    { segment: s.name, measure: MEASURES[0], share: s.customerShare ?? 0 },
    { segment: s.name, measure: MEASURES[1], share: s.revenueShare ?? 0 },
  ]);
  const top = [...shown].sort((a, b) => (b.revenueShare ?? 0) - (a.revenueShare ?? 0))[0];
  const label = `Bar chart of the ${shown.length} named RFM segments shown (${report.segments.length - shown.length} suppressed): each segment's share of customers beside its share of revenue${top ? `; ${top.name} bring the most revenue, ${formatShare(top.revenueShare ?? 0)} from ${formatShare(top.customerShare ?? 0)} of customers` : ""}.`;
  const names = report.segments.map((s) => s.name);
  return (
    <Card title="RFM segments" id="rfm-segments">
      <p class="muted">
        {report.customers === null
          ? "Too few customers scored: suppressed."
          : `${formatCount(report.customers)} customers with a purchase, ${formatMoney(report.revenue ?? 0)} revenue.`}
      </p>
      <Chart
        id="rfm-segments"
        label={label}
        deps={[report]}
        draw={(width) =>
          Plot.plot({
            width,
            height: 40 + names.length * 34,
            marginLeft: 132,
            marginRight: 48,
            fy: { domain: names, label: null, axis: "left", padding: 0.2 },
            y: { domain: MEASURES, axis: null },
            x: { percent: true, label: "Share (%)", grid: true, labelArrow: "none" },
            color: { domain: MEASURES, range: [VALUE_FILL_LIGHT, VALUE_FILL], legend: true },
            marks: [
              Plot.barX(bars, { fy: "segment", y: "measure", x: "share", fill: "measure" }),
              Plot.text(bars, {
                fy: "segment",
                y: "measure",
                x: "share",
                text: (b: { share: number }) => formatShare(b.share, 0),
                dx: 4,
                textAnchor: "start",
                fontSize: 10,
                fill: INK,
              }),
              Plot.ruleX([0]),
            ],
          })
        }
      >
        <DataTable
          caption={`The named RFM segments (fewer than ${k} customers: suppressed)`}
          id="rfm-segments"
          minGroup={k}
          rows={report.segments}
          columns={[
            { label: "Segment", value: (s) => s.name },
            {
              label: "Customers",
              value: (s) => formatCount(s.customers ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
            {
              label: "Share of customers",
              value: (s) => formatShare(s.customerShare ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
            {
              label: "Revenue",
              value: (s) => formatMoney(s.revenue ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
            {
              label: "Share of revenue",
              value: (s) => formatShare(s.revenueShare ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
            {
              label: "Mean recency (days)",
              value: (s) => formatNumber(s.meanRecencyDays ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
            {
              label: "Mean frequency",
              value: (s) => formatNumber(s.meanFrequency ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
            {
              label: "Mean monetary",
              value: (s) => formatMoney(s.meanMonetary ?? 0),
              suppressed: (s) => s.suppressed,
              numeric: true,
            },
          ]}
        />
      </Chart>
    </Card>
  );
}
