import * as Plot from "@observablehq/plot";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card } from "../../components/status";
import { formatCount, formatShare } from "../../format";
import { drawable, formatP, metricValue, signedPercent, VERDICTS } from "./numbers";
import type { ExperimentAnalysis, MetricComparison, MetricResult } from "./types";

/** A row of a metric's table: an arm, and its comparison with the control (none for the control). */
interface ArmRow {
  readonly variant: string;
  readonly control: boolean;
  readonly n: number | null;
  readonly value: number | null;
  readonly suppressed: boolean;
  readonly comparison: MetricComparison | undefined;
}

const computed = (r: ArmRow) => (r.comparison?.computable ? r.comparison : undefined);

/**
 * One metric: each variant's effect on the control with its interval (a dot on a line; zero marked), coloured by
 * verdict, and the numbers: people, value, effect, interval, p-value (or chance to win), verdict.
 */
function MetricCard({ a, m }: { a: ExperimentAnalysis; m: MetricResult }) {
  const control = m.arms[0]?.variant;
  const rows: ArmRow[] = m.arms.map((arm) => ({
    ...arm,
    control: arm.variant === control,
    comparison: m.comparisons.find((c) => c.variant === arm.variant),
  }));
  const drawn = m.comparisons.filter(drawable);
  const interval =
    a.engine === "bayesian" ? "credible interval" : a.sequential ? "confidence sequence" : "interval";
  const level = `${Math.round((1 - a.alpha) * 100)}%`;
  const bayesian = a.engine === "bayesian";
  return (
    <Card title={`${m.text} — ${m.statistic}`} id={`metric-${m.metric}`} wide>
      {m.cuped && m.cuped_theta !== undefined ? (
        <p class="muted">
          CUPED: adjusted by the same metric before exposure (θ = {m.cuped_theta.toFixed(3)}).
        </p>
      ) : null}
      {drawn.length === 0 ? (
        <p class="muted">No variant can be compared with the control yet: see the numbers below.</p>
      ) : (
        <Chart
          id={`effects-${m.metric}`}
          label={`Effect of each variant on ${m.text} against the control, with its ${level} ${interval}: ${drawn
            .map(
              (c) =>
                `${c.variant} ${signedPercent(c.effect)} (${signedPercent(c.ci[0])} to ${signedPercent(c.ci[1])}), ${VERDICTS[c.verdict].words}`,
            )
            .join("; ")}`}
          deps={[m, a.engine, a.sequential]}
          draw={(width) =>
            Plot.plot({
              width,
              height: 50 + 44 * drawn.length,
              marginLeft: 120,
              x: {
                label: `Effect on the control (relative), ${level} ${interval}`,
                percent: true,
                grid: true,
              },
              y: { label: null, domain: drawn.map((c) => c.variant) },
              color: {
                domain: Object.keys(VERDICTS),
                range: Object.values(VERDICTS).map((v) => v.colour),
              },
              marks: [
                Plot.ruleX([0], { stroke: "#1c2430", strokeDasharray: "3 3" }),
                Plot.ruleY(drawn, {
                  y: "variant",
                  x1: (c: (typeof drawn)[number]) => c.ci[0],
                  x2: (c: (typeof drawn)[number]) => c.ci[1],
                  stroke: "verdict",
                  strokeWidth: 3,
                }),
                Plot.dot(drawn, { y: "variant", x: "effect", fill: "verdict", r: 6, stroke: "white" }),
                Plot.text(drawn, {
                  y: "variant",
                  x: "effect",
                  text: (c: (typeof drawn)[number]) =>
                    `${signedPercent(c.effect)} · ${VERDICTS[c.verdict].words}`,
                  dy: -14,
                  fill: "#1c2430",
                }),
              ],
            })
          }
        >
          <NumbersTable m={m} rows={rows} k={a.k} interval={interval} bayesian={bayesian} />
        </Chart>
      )}
      {drawn.length === 0 ? (
        <NumbersTable m={m} rows={rows} k={a.k} interval={interval} bayesian={bayesian} />
      ) : null}
      <ul class="says">
        {m.comparisons.map((c) => (
          <li>{c.says}</li>
        ))}
      </ul>
    </Card>
  );
}

function NumbersTable({
  m,
  rows,
  k,
  interval,
  bayesian,
}: {
  m: MetricResult;
  rows: readonly ArmRow[];
  k: number;
  interval: string;
  bayesian: boolean;
}) {
  return (
    <DataTable
      caption={`${m.text}: each arm, and each variant against the control (arms under ${k} people: suppressed)`}
      id={`metric-${m.metric}`}
      minGroup={k}
      rows={rows}
      columns={[
        { label: "Variant", value: (r) => (r.control ? `${r.variant} (control)` : r.variant) },
        {
          label: "People",
          value: (r) => formatCount(r.n ?? 0),
          suppressed: (r) => r.n === null,
          numeric: true,
        },
        {
          label: "Value",
          value: (r) => metricValue(m.statistic, r.value),
          suppressed: (r) => r.suppressed,
          numeric: true,
        },
        {
          label: "Effect",
          value: (r) => (computed(r) ? signedPercent(computed(r)?.effect ?? 0) : ""),
          numeric: true,
        },
        {
          label: `${interval} from`,
          value: (r) => (computed(r) ? signedPercent(computed(r)?.ci[0] ?? null) : ""),
          numeric: true,
        },
        {
          label: "to",
          value: (r) => (computed(r) ? signedPercent(computed(r)?.ci[1] ?? null) : ""),
          numeric: true,
        },
        ...(bayesian
          ? [
              {
                label: "Chance to win",
                value: (r: ArmRow) => {
                  const c = computed(r);
                  return c?.chance_to_win === undefined ? "" : formatShare(c.chance_to_win);
                },
                numeric: true,
              },
            ]
          : [
              {
                label: "p",
                value: (r: ArmRow) => (computed(r) ? formatP(computed(r)?.p) : ""),
                numeric: true,
              },
              {
                label: "p (adjusted)",
                value: (r: ArmRow) => (computed(r) ? formatP(computed(r)?.p_adjusted) : ""),
                numeric: true,
              },
            ]),
        {
          label: "Verdict",
          value: (r) => {
            const c = r.comparison;
            if (!c) return r.control ? "control" : "";
            const words = VERDICTS[c.verdict].words;
            return c.computable ? (
              <span class={`verdict verdict-${c.verdict}`}>{words}</span>
            ) : (
              <span class="verdict verdict-not-computable">
                {words}: {c.reason}
              </span>
            );
          },
        },
      ]}
    />
  );
}

/** Every metric of an analysis, each in its card. */
export function MetricResults({ a }: { a: ExperimentAnalysis }) {
  return (
    <>
      {a.metrics.map((m) => (
        <MetricCard a={a} m={m} key={m.metric} />
      ))}
    </>
  );
}
