import type { ArmFigure, ExperimentAnalysis, MetricResult } from "../../experiments/analysis.js";
import { formatP, signedPercent } from "../../experiments/verdict-words.js";
import { table } from "../table.js";

/**
 * The results people read (issue 20, item 6): a table per metric — variant, n, value, effect with interval, p (or
 * chance to win), verdict — then what each verdict says in a sentence, the split, the economics and the notes.
 * Suppressed figures (the k-gate) show as `<k`.
 */
export function analysisText(r: ExperimentAnalysis): string {
  const out: string[] = [];
  out.push(
    `experiment ${r.experiment} (${r.name}) as of ${r.as_of.slice(0, 16).replace("T", " ")} — ${r.engine}` +
      `${r.sequential ? ", sequential" : ""}, alpha ${r.alpha}` +
      `${r.adjustment === "none" ? "" : `, ${r.adjustment === "holm" ? "Holm" : "Benjamini–Hochberg"} across variants and metrics`}`,
  );
  const k = `<${r.k}`;
  out.push(
    `assigned: ${r.assigned.map((a) => `${a.variant} ${a.people === null ? k : a.people.toLocaleString("en-US")}${a.planned === null ? "" : ` (planned ${pct(a.planned)})`}`).join(", ")}`,
  );
  if (r.srm)
    out.push(
      `sample-ratio check: chi2 ${r.srm.chi2.toFixed(2)}, p = ${r.srm.p.toPrecision(3)}${r.srm.mismatch ? " — MISMATCH: do not trust these results" : " (the split matches the plan)"}`,
    );
  for (const m of r.metrics) out.push("", ...metricText(m, r));
  if (r.economics.length > 0) {
    out.push("", "economics (cost per person from the experiment):");
    out.push(
      tableText(
        [
          "variant",
          "cost/person",
          "cost",
          "conversions",
          "acquisition cost",
          "revenue",
          "ROI",
          "incremental revenue",
          "incremental ROI",
        ],
        r.economics.map((e) => [
          e.variant,
          e.cost_per_person,
          e.cost === null ? k : round(e.cost),
          e.conversions ?? "–",
          e.acquisition_cost === null ? "–" : round(e.acquisition_cost),
          e.revenue === null ? "–" : round(e.revenue),
          e.roi === null ? "–" : signedPercent(e.roi),
          e.incremental_revenue === null ? "–" : round(e.incremental_revenue),
          e.incremental_roi === null ? "–" : signedPercent(e.incremental_roi),
        ]),
      ),
    );
  }
  for (const s of r.segments) {
    out.push("", `segment ${s.segment}:`);
    for (const m of s.metrics)
      out.push(...metricText(m, r, r.segment_adjustment).flatMap((l) => l.split("\n").map((x) => `  ${x}`)));
  }
  if (r.notes.length > 0) out.push("", ...r.notes.map((n) => `note: ${n}`));
  return `${out.join("\n")}\n`;
}

function metricText(m: MetricResult, r: ExperimentAnalysis, adjustment = r.adjustment): string[] {
  const bayes = r.engine === "bayesian";
  const level = `${Math.round((1 - r.alpha) * 100)}%`;
  const k = `<${r.k}`;
  const rows = m.arms.map((a: ArmFigure, i) => {
    const c = i === 0 ? null : m.comparisons.find((x) => x.variant === a.variant);
    const ok = c?.computable === true ? c : null;
    return [
      i === 0 ? `${a.variant} (control)` : a.variant,
      a.n ?? k,
      a.value === null ? (a.suppressed ? k : "–") : value(a.value, m),
      ok ? signedPercent(ok.effect) : i === 0 ? "" : "–",
      ok ? `${signedPercent(ok.ci[0])} to ${signedPercent(ok.ci[1])}` : "",
      ok
        ? bayes
          ? `${(100 * (ok.chance_to_win ?? 0)).toFixed(1)}%`
          : formatP(ok.p_adjusted ?? ok.p ?? 1)
        : "",
      c ? c.verdict : "",
    ];
  });
  const head = `${m.metric}${m.cuped ? ` (CUPED θ = ${m.cuped_theta === undefined ? "–" : Number(m.cuped_theta.toPrecision(3))})` : ""} — ${m.statistic}`;
  return [
    head,
    tableText(
      [
        "variant",
        "n",
        "value",
        "effect",
        `${level} ${bayes ? "credible" : r.sequential ? "sequence" : "interval"}`,
        bayes ? "chance to win" : adjustment === "none" ? "p" : "p (adj.)",
        "verdict",
      ],
      rows,
    ),
    ...m.comparisons.map((c) => `  ${c.says}`),
    ...m.notes.filter((n) => !n.startsWith("CUPED:")).map((n) => `  (${n})`),
    ...(m.bandit ? banditLines(m.bandit, m) : []),
  ];
}

/** A bandit's period-stratified comparisons: the figures to read instead of the pooled ones above. */
function banditLines(b: NonNullable<MetricResult["bandit"]>, m: MetricResult): string[] {
  // Differences of rates are in percentage points; of means, in the metric's unit.
  const diff = (x: number) =>
    m.statistic === "proportion"
      ? `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} points`
      : `${x >= 0 ? "+" : ""}${round(x)}`;
  return [
    `  bandit, stratified by allocation period (${b.periods} periods; read these, not the pooled figures):`,
    ...b.comparisons.map((c) =>
      c.computable
        ? `    ${c.variant}: ${diff(c.effect)} [${diff(c.ci[0])}, ${diff(c.ci[1])}], p = ${formatP(c.p)} (${c.periods_used} periods)`
        : `    ${c.variant}: not computable (${c.reason})`,
    ),
    ...(b.note ? [`    (${b.note})`] : []),
  ];
}

function value(x: number, m: MetricResult): string {
  return m.statistic === "proportion" ? `${(100 * x).toFixed(2)}%` : String(round(x));
}

const round = (x: number) => Number(x.toFixed(Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 1 ? 2 : 4));
const pct = (x: number) => `${Number((100 * x).toFixed(2))}%`;

/** A table without its final newline: lines are joined here. */
function tableText(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return table(headers, rows).trimEnd();
}
