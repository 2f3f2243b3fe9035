import * as Plot from "@observablehq/plot";
import { post } from "../../api";
import { Chart } from "../../components/chart";
import { type Column, DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, suppressedText } from "../../format";
import { useLoad } from "../../hooks";

interface Overlap {
  readonly ids: readonly string[];
  readonly notEvaluated: readonly string[];
  readonly counts: readonly (readonly (number | null)[])[];
  readonly jaccard: readonly (readonly (number | null)[])[];
  readonly suppressed: readonly (readonly boolean[])[];
  readonly minGroup: number;
}

interface Pair {
  readonly row: string;
  readonly column: string;
  readonly count: number | null;
  readonly jaccard: number | null;
  readonly suppressed: boolean;
}

/**
 * How the segment's members overlap with every other evaluated segment's (POST /api/segments/overlap), as a heat
 * map of the Jaccard index (shared over either) with the people in both written in each cell; a cell the k-gate
 * hides is grey and reads `<k`. The segment's own row is marked.
 */
export function OverlapCard({ id, epoch }: { id: string; epoch: number }) {
  const r = useLoad((signal) => post<Overlap>("/api/segments/overlap", {}, signal), [epoch]);
  const o = r.data;
  const k = o?.minGroup ?? 10;
  const pairs: Pair[] = (o?.ids ?? []).flatMap((row, i) =>
    (o?.ids ?? []).map((column, j) => ({
      row,
      column,
      count: o?.counts[i]?.[j] ?? null,
      jaccard: o?.jaccard[i]?.[j] ?? null,
      suppressed: o?.suppressed[i]?.[j] ?? false,
    })),
  );
  const shown = pairs.filter((p) => !p.suppressed);
  const hidden = pairs.filter((p) => p.suppressed);
  const label = (p: Pair) => (p.suppressed ? suppressedText(k) : formatCount(p.count ?? 0));
  const columns: Column<string>[] = [
    { label: "Segment", value: (row) => (row === id ? <strong>{row}</strong> : row) },
    ...(o?.ids ?? []).map(
      (column, j): Column<string> => ({
        label: column,
        value: (row) => formatCount(o?.counts[o.ids.indexOf(row)]?.[j] ?? 0),
        suppressed: (row) => o?.suppressed[o.ids.indexOf(row)]?.[j] ?? false,
        numeric: true,
      }),
    ),
  ];
  return (
    <Card title="Overlap with other segments" id="overlap" wide>
      {r.error ? (
        <ErrorBox error={r.error} />
      ) : !o ? (
        <Loading what="the overlap" />
      ) : !o.ids.includes(id) ? (
        <p class="muted">Not evaluated at a refresh yet: its overlap with the others is not known.</p>
      ) : (
        <>
          {o.notEvaluated.length ? (
            <p class="muted">Left out, saved since the last refresh: {o.notEvaluated.join(", ")}.</p>
          ) : null}
          <Chart
            id="overlap"
            label={`Heat map of the overlap between ${o.ids.length} segments: the darker, the more members they share; ${hidden.length} cells suppressed`}
            deps={[o]}
            draw={(width) =>
              Plot.plot({
                width: Math.min(width, 140 + 110 * o.ids.length),
                height: 60 + 44 * o.ids.length,
                marginLeft: 140,
                marginBottom: 70,
                padding: 0.04,
                x: { label: null, domain: o.ids, tickRotate: -25 },
                // This segment's row is marked.
                y: { label: null, domain: o.ids, tickFormat: (d: string) => (d === id ? `▸ ${d}` : d) },
                color: {
                  type: "linear",
                  domain: [0, 1],
                  range: ["#eef3fb", "#1f4f99"],
                  label: "Jaccard index",
                  legend: true,
                },
                marks: [
                  Plot.cell(shown, { x: "column", y: "row", fill: "jaccard", inset: 0.5 }),
                  Plot.cell(hidden, { x: "column", y: "row", fill: "#d9dee5", inset: 0.5 }),
                  Plot.text(pairs, {
                    x: "column",
                    y: "row",
                    text: label,
                    fill: (p: Pair) => (!p.suppressed && (p.jaccard ?? 0) > 0.5 ? "#fff" : "#1c2430"),
                  }),
                ],
              })
            }
          >
            <DataTable
              caption={`People in both segments, row and column (fewer than ${k}: suppressed)`}
              id="overlap"
              minGroup={k}
              rows={o.ids}
              columns={columns}
            />
          </Chart>
        </>
      )}
    </Card>
  );
}
