import * as Plot from "@observablehq/plot";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { formatCount, formatShare } from "../../format";
import { BAR_FILL, INK } from "../chart-colors";

/** A cluster as the sizes chart takes it (a found cluster's or a saved clustering's persona). */
export interface Sized {
  id: string;
  name: string;
  size: number | null;
  share: number | null;
  suppressed: boolean;
  /** Flagged as smaller than the clustering's minimum size. */
  small?: boolean;
}

/** Each cluster's customers as a bar, named, with the table of sizes and shares (suppressed ones as `<k`). */
export function ClusterSizes({
  clusters,
  minGroup,
  id,
}: {
  clusters: Sized[];
  minGroup: number;
  id: string;
}) {
  const shown = clusters.filter((c) => !c.suppressed);
  const label = `Bar chart of cluster sizes: ${shown.map((c) => `cluster ${c.id}, ${formatCount(c.size ?? 0)} customers`).join("; ")}${shown.length < clusters.length ? `; ${clusters.length - shown.length} suppressed` : ""}.`;
  const ids = clusters.map((c) => `Cluster ${c.id}`);
  return (
    <Chart
      id={id}
      label={label}
      deps={[clusters]}
      draw={(width) =>
        Plot.plot({
          width,
          height: 36 + clusters.length * 30,
          marginLeft: 78,
          marginRight: 16,
          y: { domain: ids, label: null },
          x: { label: "Customers", grid: true, labelArrow: "none" },
          marks: [
            Plot.barX(shown, {
              y: (c: Sized) => `Cluster ${c.id}`,
              x: "size",
              fill: BAR_FILL,
              insetTop: 3,
              insetBottom: 3,
            }),
            Plot.text(shown, {
              y: (c: Sized) => `Cluster ${c.id}`,
              x: 0,
              text: (c: Sized) => `${formatCount(c.size ?? 0)} · ${c.name}`,
              textAnchor: "start",
              dx: 6,
              fill: INK,
            }),
            Plot.ruleX([0], { stroke: INK }),
          ],
        })
      }
    >
      <DataTable
        caption={`Clusters and their sizes (fewer than ${minGroup} customers: suppressed)`}
        id={id}
        minGroup={minGroup}
        rows={clusters}
        columns={[
          { label: "Cluster", value: (c) => c.id },
          { label: "Name", value: (c) => (c.suppressed ? "(too small to describe)" : c.name) },
          {
            label: "Customers",
            value: (c) => `${formatCount(c.size ?? 0)}${c.small ? " (small)" : ""}`,
            suppressed: (c) => c.suppressed,
            numeric: true,
          },
          {
            label: "Share",
            value: (c) => formatShare(c.share ?? 0),
            suppressed: (c) => c.suppressed,
            numeric: true,
          },
        ]}
      />
    </Chart>
  );
}
