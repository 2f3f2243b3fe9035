import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { get } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import {
  formatCount,
  formatMoney,
  formatNumber,
  formatShare,
  formatTime,
  suppressedText,
} from "../../format";
import { useLoad } from "../../hooks";
import { INK, MUTED, VALUE_FILL } from "../chart-colors";
import type { ClvBin, ClvDistribution, CohortPeriod, CohortReport, Stored } from "./types";

/** A bin's range as the table and the screen reader say it: `20–40`, the last `400 and more`. */
const rangeOf = (b: ClvBin) =>
  b.to === null ? `${formatNumber(b.from)} and more` : `${formatNumber(b.from)}–${formatNumber(b.to)}`;

/** Nothing stored yet: how to store it. */
function NotStored({ what, how }: { what: string; how: string }) {
  return (
    <p class="muted">
      No {what} stored yet: <code>{how}</code> stores them (an admin's or analyst's command).
    </p>
  );
}

function Histogram({ d }: { d: ClvDistribution }) {
  const k = d.minGroup;
  const shown = d.bins.filter((b) => !b.suppressed);
  const hidden = d.bins.filter((b) => b.suppressed);
  // The open last bin is drawn one width wide and labelled as open.
  const x2 = (b: ClvBin) => b.to ?? b.from + d.width;
  const last = d.bins.at(-1);
  const peak = shown.reduce<ClvBin | null>(
    (a, b) => ((b.customers ?? 0) > (a?.customers ?? -1) ? b : a),
    null,
  );
  const label = `Histogram of predicted ${d.horizon.months}-month lifetime value over ${d.customers === null ? "a suppressed number of" : formatCount(d.customers)} customers, in bins ${formatNumber(d.width)} wide${peak ? `; the most customers, ${formatCount(peak.customers ?? 0)}, are in ${rangeOf(peak)}` : ""}; mean ${d.meanClv === null ? "suppressed" : formatMoney(d.meanClv)}; ${hidden.length} bins suppressed.`;
  return (
    <Chart
      id="clv-histogram"
      label={label}
      deps={[d]}
      draw={(width) =>
        Plot.plot({
          width,
          height: 280,
          marginLeft: 52,
          x: { label: `Predicted CLV, next ${d.horizon.months} months`, labelArrow: "none" },
          y: { label: "Customers", grid: true, labelArrow: "none" },
          marks: [
            Plot.rectY(shown, {
              x1: "from",
              x2,
              y: "customers",
              fill: VALUE_FILL,
              insetLeft: 0.5,
              insetRight: 0.5,
            }),
            Plot.text(hidden, {
              x: (b: ClvBin) => (b.from + x2(b)) / 2,
              y: 0,
              text: () => suppressedText(k),
              dy: -8,
              fontSize: 9,
              fill: MUTED,
              fontStyle: "italic",
            }),
            ...(last && !last.suppressed
              ? [
                  Plot.text([last], {
                    x: (b: ClvBin) => (b.from + x2(b)) / 2,
                    y: "customers",
                    text: (b: ClvBin) => `${formatNumber(b.from)}+`,
                    dy: -8,
                    fontSize: 10,
                    fill: INK,
                  }),
                ]
              : []),
            ...(d.meanClv === null
              ? []
              : [
                  Plot.ruleX([d.meanClv], { stroke: INK, strokeDasharray: "4 3" }),
                  Plot.text([d.meanClv], {
                    x: (m: number) => m,
                    frameAnchor: "top",
                    text: (m: number) => `mean ${formatMoney(m)}`,
                    textAnchor: "start",
                    dx: 4,
                    dy: 4,
                    fill: INK,
                  }),
                ]),
            Plot.ruleY([0]),
          ],
        })
      }
    >
      <DataTable
        caption={`Customers per CLV bin (fewer than ${k}: suppressed, with as many others as keep them hidden)`}
        id="clv-bins"
        minGroup={k}
        rows={d.bins}
        columns={[
          { label: "Predicted CLV", value: rangeOf },
          {
            label: "Customers",
            value: (b) => formatCount(b.customers ?? 0),
            suppressed: (b) => b.suppressed,
            numeric: true,
          },
          {
            label: "Share",
            value: (b) => formatShare(b.share ?? 0),
            suppressed: (b) => b.suppressed,
            numeric: true,
          },
        ]}
      />
    </Chart>
  );
}

/** The distribution of the stored lifetime values (`clv predict`'s), aggregated by the server. */
export function ClvCard() {
  const dist = useLoad(
    (signal) => get<Stored<ClvDistribution>>("/api/clv/distribution", undefined, signal),
    [],
  );
  const d = dist.data;
  return (
    <Card title="Lifetime value (CLV) distribution" id="clv">
      {dist.error ? (
        <ErrorBox error={dist.error} />
      ) : !d ? (
        <Loading what="the CLV distribution" />
      ) : !d.stored ? (
        <NotStored what="lifetime-value predictions" how="tessera clv fit && tessera clv predict" />
      ) : d.suppressed ? (
        <p class="suppressed">Fewer than {d.minGroup} customers with a prediction: suppressed.</p>
      ) : (
        <>
          <dl class="value-facts">
            <div>
              <dt>Customers with a prediction</dt>
              <dd data-figure="clv-customers">{formatCount(d.customers ?? 0)}</dd>
            </div>
            <div>
              <dt>Mean CLV</dt>
              <dd data-figure="clv-mean">{formatMoney(d.meanClv ?? 0)}</dd>
            </div>
            <div>
              <dt>Total CLV</dt>
              <dd data-figure="clv-total">{formatMoney(d.totalClv ?? 0)}</dd>
            </div>
          </dl>
          <p class="muted">
            Predicted {formatTime(d.scoredAt)} · {d.horizon.months}-month horizon, monthly discount{" "}
            {formatShare(d.horizon.discount)}, margin {formatShare(d.horizon.margin, 0)}
          </p>
          <Histogram d={d} />
        </>
      )}
    </Card>
  );
}

const PERIODS: { value: CohortPeriod; label: string }[] = [
  { value: "month", label: "Month" },
  { value: "quarter", label: "Quarter" },
  { value: "year", label: "Year" },
];

function CohortChart({ c }: { c: CohortReport }) {
  const k = c.minGroup;
  const shown = c.cohorts.filter((x) => !x.suppressed);
  const hidden = c.cohorts.filter((x) => x.suppressed);
  const first = shown[0];
  const latest = shown.at(-1);
  const label = `Bar chart of mean P(alive) by first-purchase ${c.period}, ${c.cohorts.length} cohorts (${hidden.length} suppressed)${first && latest ? `: from ${formatShare(first.meanPAlive ?? 0)} for ${first.cohort} to ${formatShare(latest.meanPAlive ?? 0)} for ${latest.cohort}` : ""}; overall ${c.meanPAlive === null ? "suppressed" : formatShare(c.meanPAlive)}.`;
  return (
    <Chart
      id="cohorts"
      label={label}
      deps={[c]}
      draw={(width) =>
        Plot.plot({
          width,
          height: 260,
          marginLeft: 48,
          x: {
            domain: c.cohorts.map((x) => x.cohort),
            label: `First purchase (${c.period})`,
            labelArrow: "none",
            tickRotate: c.cohorts.length > 8 ? -35 : 0,
          },
          // Percent: the axis shows the shares × 100, so its domain is in percent too.
          y: { domain: [0, 100], percent: true, label: "Mean P(alive) (%)", grid: true, labelArrow: "none" },
          marks: [
            Plot.barY(shown, { x: "cohort", y: "meanPAlive", fill: VALUE_FILL, inset: 2 }),
            Plot.text(shown, {
              x: "cohort",
              y: "meanPAlive",
              text: (x: { meanPAlive: number }) => formatShare(x.meanPAlive, 0),
              dy: -7,
              fontSize: 10,
              fill: INK,
            }),
            Plot.text(hidden, {
              x: "cohort",
              y: 0,
              text: () => suppressedText(k),
              dy: -8,
              fill: MUTED,
              fontStyle: "italic",
            }),
            ...(c.meanPAlive === null
              ? []
              : [Plot.ruleY([c.meanPAlive], { stroke: INK, strokeDasharray: "4 3" })]),
            Plot.ruleY([0]),
          ],
        })
      }
    >
      <DataTable
        caption={`Customers with a prediction by first-purchase ${c.period} (fewer than ${k}: suppressed)`}
        id="cohorts"
        minGroup={k}
        rows={c.cohorts}
        columns={[
          { label: "Cohort", value: (x) => x.cohort },
          {
            label: "Customers",
            value: (x) => formatCount(x.customers ?? 0),
            suppressed: (x) => x.suppressed,
            numeric: true,
          },
          {
            label: "Mean P(alive)",
            value: (x) => formatShare(x.meanPAlive ?? 0),
            suppressed: (x) => x.suppressed,
            numeric: true,
          },
          {
            label: "Mean CLV",
            value: (x) => formatMoney(x.meanClv ?? 0),
            suppressed: (x) => x.suppressed,
            numeric: true,
          },
          {
            label: "Mean expected purchases",
            value: (x) => formatNumber(x.meanExpectedPurchases ?? 0),
            suppressed: (x) => x.suppressed,
            numeric: true,
          },
        ]}
      />
    </Chart>
  );
}

/** P(alive) by first-purchase cohort, the period chosen by the reader. */
export function CohortCard() {
  const [period, setPeriod] = useState<CohortPeriod>("quarter");
  const cohorts = useLoad(
    (signal) => get<Stored<CohortReport>>("/api/clv/cohorts", { period }, signal),
    [period],
  );
  const c = cohorts.data;
  return (
    <Card title="P(alive) by cohort" id="cohorts">
      <div class="controls">
        <div>
          <label for="cohort-period">Cohorts by first purchase in the same</label>
          <select
            id="cohort-period"
            value={period}
            onChange={(e) => setPeriod((e.target as HTMLSelectElement).value as CohortPeriod)}
          >
            {PERIODS.map((p) => (
              <option value={p.value}>{p.label}</option>
            ))}
          </select>
        </div>
      </div>
      {cohorts.error ? (
        <ErrorBox error={cohorts.error} />
      ) : !c || cohorts.loading ? (
        <Loading what="the cohorts" />
      ) : !c.stored ? (
        <NotStored what="P(alive) predictions" how="tessera clv fit && tessera clv predict" />
      ) : c.suppressed ? (
        <p class="suppressed">Fewer than {c.minGroup} customers with a prediction: suppressed.</p>
      ) : (
        <>
          <p class="muted">
            The probability that a customer is still active (BG/NBD), averaged over the customers whose first
            purchase fell in each {c.period}; the dashed line is the mean over all{" "}
            <span data-figure="p-alive-mean">{formatShare(c.meanPAlive ?? 0)}</span>.
          </p>
          <CohortChart c={c} />
        </>
      )}
    </Card>
  );
}
