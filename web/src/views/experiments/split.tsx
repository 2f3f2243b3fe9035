import * as Plot from "@observablehq/plot";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card } from "../../components/status";
import { formatCount, formatShare } from "../../format";
import type { ExperimentAnalysis, SrmCheck } from "./types";

const chi = (s: SrmCheck) =>
  `χ² = ${s.chi2.toFixed(2)}, p = ${s.p < 0.001 ? s.p.toExponential(2) : s.p.toFixed(3)}`;

/**
 * The sample-ratio check, said first and loudly when it fails: a split that is not the planned one means the
 * randomisation is broken, and no effect below can be trusted, however significant.
 */
export function SrmBanner({ a }: { a: ExperimentAnalysis }) {
  if (a.srm?.mismatch)
    return (
      <div class="srm-alert" role="alert" data-figure="srm">
        <strong>Sample-ratio mismatch ({chi(a.srm)} &lt; 0.001).</strong> The people in each variant are not
        in the planned proportions: the assignment is broken (a redirect, a bot filter, a bug in the site's
        test), so every verdict below is SRM-invalid. Find the cause before reading any effect.
      </div>
    );
  const skipped = a.notes.find((n) => n.startsWith("sample-ratio check skipped"));
  return (
    <p class={a.srm ? "srm-ok" : "muted"} data-figure="srm">
      {a.srm
        ? `Sample-ratio check: ${chi(a.srm)}: the split matches the plan.`
        : (skipped ?? "Sample-ratio check: nobody assigned yet.")}
    </p>
  );
}

/** People per variant against the planned split (the holdout apart: it is reported, never compared). */
export function Split({ a, holdout }: { a: ExperimentAnalysis; holdout: number }) {
  const variants = a.assigned.filter((x) => x.planned !== null);
  const total = variants.every((x) => x.people !== null)
    ? variants.reduce((s, x) => s + (x.people ?? 0), 0)
    : null;
  const rows = a.assigned.map((x) => ({
    ...x,
    share: x.planned !== null && x.people !== null && total ? x.people / total : null,
  }));
  const drawn = rows.filter((r) => r.share !== null);
  return (
    <Card title="Who is in it" id="split">
      {drawn.length ? (
        <Chart
          id="split"
          label={`Share of the people in each variant against the plan: ${drawn
            .map((r) => `${r.variant} ${formatShare(r.share ?? 0)} (planned ${formatShare(r.planned ?? 0)})`)
            .join("; ")}`}
          deps={[a]}
          draw={(width) =>
            Plot.plot({
              width,
              height: 40 + 36 * drawn.length,
              marginLeft: 110,
              x: { label: "Share of the variants' people (tick: planned)", percent: true, domain: [0, 100] },
              y: { label: null, domain: drawn.map((r) => r.variant) },
              marks: [
                Plot.barX(drawn, {
                  y: "variant",
                  x: "share",
                  fill: a.srm?.mismatch ? "#b42318" : "#1f5fbf",
                }),
                Plot.tickX(drawn, { y: "variant", x: "planned", stroke: "#1c2430", strokeWidth: 3 }),
              ],
            })
          }
        >
          <SplitTable a={a} rows={rows} holdout={holdout} />
        </Chart>
      ) : (
        <SplitTable a={a} rows={rows} holdout={holdout} />
      )}
    </Card>
  );
}

function SplitTable({
  a,
  rows,
  holdout,
}: {
  a: ExperimentAnalysis;
  rows: readonly { variant: string; people: number | null; planned: number | null; share: number | null }[];
  holdout: number;
}) {
  return (
    <DataTable
      caption={`People assigned by ${a.as_of.slice(0, 10)}, per variant, against the planned split (under ${a.k}: suppressed)`}
      id="split"
      minGroup={a.k}
      rows={rows}
      columns={[
        { label: "Variant", value: (r) => r.variant },
        {
          label: "People",
          value: (r) => formatCount(r.people ?? 0),
          suppressed: (r) => r.people === null,
          numeric: true,
        },
        { label: "Share", value: (r) => (r.share === null ? "—" : formatShare(r.share)), numeric: true },
        {
          label: "Planned",
          value: (r) =>
            r.planned !== null ? formatShare(r.planned) : `${formatShare(holdout, 0)} of everyone (held out)`,
          numeric: true,
        },
      ]}
    />
  );
}
