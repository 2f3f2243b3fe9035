import * as Plot from "@observablehq/plot";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatShare, formatTime, suppressedText } from "../../format";
import type { Loaded } from "../../hooks";
import type { ConsentCoverage, CoverageCell } from "./types";

/** The column of a purpose's records whatever their channel. */
const ANY = "any channel";
const channelOf = (c: CoverageCell) => c.channel ?? ANY;

/** Cells this dark or darker get white text (the blues scheme passes mid-blue around here). */
const DARK = 0.5;

/** Room on the left for the longest purpose's name. */
const marginLeftOf = (c: ConsentCoverage) => 16 + 7.5 * Math.max(...c.purposes.map((p) => p.length), 7);
/** The narrowest the heat map is drawn: its purposes' names and a cell of 60 pixels for each channel. */
const minWidthOf = (c: ConsentCoverage) => marginLeftOf(c) + 20 + 60 * (c.channels.length + 1);

/** The heat map: purposes down, channels across, each cell's share as its colour, its count written in it. */
function heatMap(c: ConsentCoverage, width: number): HTMLElement | SVGSVGElement {
  const shown = c.cells.filter((x) => !x.suppressed);
  const hidden = c.cells.filter((x) => x.suppressed);
  const label = (x: CoverageCell) => `${formatCount(x.granted ?? 0)}\n${formatShare(x.share ?? 0)}`;
  const common = { x: channelOf, y: "purpose" } as const;
  return Plot.plot({
    // No wider than cells of 150 pixels: a few channels across a wide page would be bands, not cells.
    width: Math.min(width, marginLeftOf(c) + 20 + 150 * (c.channels.length + 1)),
    height: 80 + 60 * c.purposes.length,
    marginLeft: marginLeftOf(c),
    marginTop: 34,
    x: { domain: [ANY, ...c.channels], axis: "top", label: "Channel", tickSize: 0 },
    y: { domain: [...c.purposes], label: "Purpose", tickSize: 0 },
    color: {
      type: "linear",
      scheme: "blues",
      domain: [0, 100],
      percent: true,
      legend: true,
      label: "Share of all customers with a granted consent (%)",
    },
    marks: [
      Plot.cell(shown, { ...common, fill: "share", inset: 1.5, className: "coverage-shown" }),
      Plot.cell(hidden, { ...common, fill: "#e4e7ec", inset: 1.5, className: "coverage-suppressed" }),
      Plot.text(
        shown.filter((x) => (x.share ?? 0) >= DARK),
        { ...common, text: label, fill: "white", lineHeight: 1.2, fontSize: 12 },
      ),
      Plot.text(
        shown.filter((x) => (x.share ?? 0) < DARK),
        { ...common, text: label, fill: "#1c2430", lineHeight: 1.2, fontSize: 12 },
      ),
      Plot.text(hidden, { ...common, text: () => suppressedText(c.minGroup), fill: "#5a6472", fontSize: 12 }),
    ],
  });
}

/**
 * Consent coverage by purpose and channel (`consent.coverage`): how many customers the consent gate would pass for
 * each use — a heat map with its numbers as a table, every count through the k-gate.
 */
export function Coverage({ coverage }: { coverage: Loaded<ConsentCoverage> }) {
  const c = coverage.data;
  return (
    <Card title="Consent coverage by purpose and channel" id="coverage" wide>
      {coverage.error ? (
        <ErrorBox error={coverage.error} />
      ) : !c ? (
        <Loading what="the consent coverage" />
      ) : c.purposes.length === 0 ? (
        <p class="muted">No consent has been recorded yet.</p>
      ) : (
        <>
          <p>
            Of <strong data-figure="coverage-customers">{formatCount(c.customers)}</strong> customers, how
            many may be reached for each purpose on each channel as of {formatTime(c.asOf)}: their latest
            consent for it is a grant. A record without a channel counts on every channel, and a denial at the
            same instant as a grant wins; <em>{ANY}</em> is the latest record of the purpose whatever its
            channel. The suppression list is not subtracted. Fewer than {c.minGroup} people: suppressed.
          </p>
          {c.noise ? (
            <p class="muted" data-figure="coverage-noise">
              The counts carry differential-privacy noise (ε = {c.noise.epsilon} for the whole report).
            </p>
          ) : null}
          <Chart
            id="coverage"
            label={`Heat map of consent coverage: ${c.purposes.length} purposes by ${c.channels.length + 1} channels (${ANY} included); the table below gives each count`}
            deps={[c]}
            minWidth={minWidthOf(c)}
            draw={(width) => heatMap(c, width)}
          >
            <DataTable
              caption={`Customers whose latest consent is a grant, per purpose and channel (fewer than ${c.minGroup}: suppressed)`}
              id="coverage"
              minGroup={c.minGroup}
              rows={c.cells}
              columns={[
                { label: "Purpose", value: (x) => x.purpose },
                { label: "Channel", value: channelOf },
                {
                  label: "Customers",
                  value: (x) => formatCount(x.granted ?? 0),
                  suppressed: (x) => x.suppressed,
                  numeric: true,
                },
                {
                  label: "Share of customers",
                  value: (x) => formatShare(x.share ?? 0),
                  suppressed: (x) => x.suppressed,
                  numeric: true,
                },
              ]}
            />
          </Chart>
        </>
      )}
    </Card>
  );
}
