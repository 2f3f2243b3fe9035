import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { post } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { drawable, formatP, signedPercent, VERDICTS } from "./numbers";
import type { ExperimentTimeline, MetricComparison } from "./types";

/**
 * The variant as a category of the colour scale, always: a variant named like a colour ("green") would otherwise
 * be taken as its own paint.
 */
const byVariant = { value: "variant", scale: "color" } as const;
const VARIANT_COLOURS = ["#1f5fbf", "#c9a227", "#8a3ffc", "#1a7f37", "#b42318", "#5a6472"];

/** A look's comparison of one variant, with the people behind it. */
interface LookRow {
  readonly t: Date;
  readonly asOf: string;
  readonly variant: string;
  readonly n: number | null;
  readonly controlN: number | null;
  readonly comparison: MetricComparison;
}

/**
 * Sequential results over time (POST /api/experiments/{id}/timeline): one metric read at several looks with
 * always-valid confidence sequences, so the band may be read at every look — it narrows as people's windows end,
 * and a verdict reached at any look stands.
 */
export function Timeline({ id, metrics, asOf }: { id: string; metrics: readonly string[]; asOf: string }) {
  const [metric, setMetric] = useState(metrics[0] ?? "");
  const chosen = metrics.includes(metric) ? metric : (metrics[0] ?? "");
  const timeline = useLoad(
    (signal) =>
      chosen
        ? post<ExperimentTimeline>(
            `/api/experiments/${encodeURIComponent(id)}/timeline`,
            { metric: chosen, asOf, points: 8 },
            signal,
          )
        : null,
    [id, chosen, asOf],
  );
  const t = timeline.data;
  const rows: LookRow[] = (t?.looks ?? []).flatMap((look) => {
    const control = look.arms[0];
    return look.comparisons.map((c) => ({
      t: new Date(look.as_of),
      asOf: look.as_of,
      variant: c.variant,
      n: look.arms.find((x) => x.variant === c.variant)?.n ?? null,
      controlN: control?.n ?? null,
      comparison: c,
    }));
  });
  const drawn = rows.flatMap((r) =>
    drawable(r.comparison)
      ? [
          {
            t: r.t,
            variant: r.variant,
            effect: r.comparison.effect,
            lo: r.comparison.ci[0],
            hi: r.comparison.ci[1],
          },
        ]
      : [],
  );
  const level = t ? `${Math.round((1 - t.alpha) * 100)}%` : "";
  // The first looks' sequences can be many times wider than the last ones': the scale is set by the later half
  // (and zero), and wider bands are cut at the chart's edges (their figures are in the table).
  const later = drawn.slice(Math.floor(drawn.length / 2));
  const lo = Math.min(0, ...later.map((d) => d.lo));
  const hi = Math.max(0, ...later.map((d) => d.hi));
  const pad = (hi - lo) * 0.25;
  const cut = drawn.some((d) => d.lo < lo - pad || d.hi > hi + pad);
  const variants = [...new Set(drawn.map((d) => d.variant))];
  const broken = t?.looks.filter((l) => l.srm?.mismatch).length ?? 0;
  return (
    <Card title="Sequential results over time" id="timeline" wide>
      <div class="controls">
        <div>
          <label for="timeline-metric">Metric</label>
          <select
            id="timeline-metric"
            value={chosen}
            onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}
          >
            {metrics.map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </div>
      </div>
      {timeline.error ? (
        <ErrorBox error={timeline.error} />
      ) : timeline.loading || !t ? (
        <Loading what="the looks" />
      ) : (
        <>
          <p class="muted">
            {t.text} read at {t.looks.length} looks from {formatTime(t.looks[0]?.as_of)} to{" "}
            {formatTime(t.as_of)}, each with its {level} always-valid confidence sequence (frequentist,
            sequential)
            {t.ended_at_data_end ? ": the looks end where the data end" : ""}.
            {cut ? " The earliest looks' sequences are wider than the chart: they are cut at its edges." : ""}
          </p>
          {broken ? (
            <p class="srm-alert" role="alert">
              <strong>
                Sample-ratio mismatch at {broken} of the {t.looks.length} looks:
              </strong>{" "}
              the split is not the planned one there; no effect below can be trusted.
            </p>
          ) : null}
          {drawn.length === 0 ? (
            <p class="muted">No variant could be compared with the control at any look yet.</p>
          ) : (
            <Chart
              id="timeline"
              label={`Effect on ${t.text} over time with its always-valid ${level} confidence sequence: ${rows
                .filter((r) => r.asOf === t.looks.at(-1)?.as_of)
                .map((r) =>
                  drawable(r.comparison)
                    ? `${r.variant} at the last look ${signedPercent(r.comparison.effect)} (${signedPercent(r.comparison.ci[0])} to ${signedPercent(r.comparison.ci[1])})`
                    : `${r.variant}: not computable`,
                )
                .join("; ")}`}
              deps={[t]}
              draw={(width) =>
                Plot.plot({
                  width,
                  height: 300,
                  marginLeft: 60,
                  x: { label: "Look (as of)", type: "utc" },
                  y: {
                    label: `Effect on the control (relative), ${level} confidence sequence`,
                    percent: true,
                    grid: true,
                    // In percent: the scale multiplies the values by 100 before the domain applies.
                    domain: [(lo - pad) * 100, (hi + pad) * 100],
                  },
                  clip: true,
                  color: { legend: true, type: "categorical", domain: variants, range: VARIANT_COLOURS },
                  marks: [
                    Plot.areaY(drawn, { x: "t", y1: "lo", y2: "hi", fill: byVariant, fillOpacity: 0.14 }),
                    Plot.ruleX(drawn, { x: "t", y1: "lo", y2: "hi", stroke: byVariant, strokeOpacity: 0.6 }),
                    Plot.ruleY([0], { stroke: "#1c2430", strokeDasharray: "3 3" }),
                    Plot.line(drawn, { x: "t", y: "effect", stroke: byVariant, strokeWidth: 2 }),
                    Plot.dot(drawn, { x: "t", y: "effect", fill: byVariant, r: 4, stroke: "white" }),
                  ],
                })
              }
            >
              <LooksTable rows={rows} k={t.k} />
            </Chart>
          )}
          {drawn.length === 0 ? <LooksTable rows={rows} k={t.k} /> : null}
          <ul class="says">
            {t.notes.map((n) => (
              <li>{n}</li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
}

function LooksTable({ rows, k }: { rows: readonly LookRow[]; k: number }) {
  const c = (r: LookRow) => (r.comparison.computable ? r.comparison : undefined);
  return (
    <DataTable
      caption={`Each look: the variant against the control, with its always-valid confidence sequence and p-value (under ${k} people: suppressed)`}
      id="timeline"
      minGroup={k}
      rows={rows}
      columns={[
        { label: "Look (as of)", value: (r) => formatTime(r.asOf) },
        { label: "Variant", value: (r) => r.variant },
        {
          label: "People",
          value: (r) => formatCount(r.n ?? 0),
          suppressed: (r) => r.n === null,
          numeric: true,
        },
        {
          label: "Control's people",
          value: (r) => formatCount(r.controlN ?? 0),
          suppressed: (r) => r.controlN === null,
          numeric: true,
        },
        { label: "Effect", value: (r) => (c(r) ? signedPercent(c(r)?.effect ?? 0) : ""), numeric: true },
        {
          label: "Sequence from",
          value: (r) => (c(r) ? signedPercent(c(r)?.ci[0] ?? null) : ""),
          numeric: true,
        },
        { label: "to", value: (r) => (c(r) ? signedPercent(c(r)?.ci[1] ?? null) : ""), numeric: true },
        {
          label: "p (always valid, adjusted)",
          value: (r) => (c(r) ? formatP(c(r)?.p_adjusted) : ""),
          numeric: true,
        },
        {
          label: "Verdict",
          value: (r) =>
            r.comparison.computable
              ? VERDICTS[r.comparison.verdict].words
              : `${VERDICTS[r.comparison.verdict].words}: ${r.comparison.reason}`,
        },
      ]}
    />
  );
}
