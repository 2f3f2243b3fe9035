import { post } from "../../api";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatMoney, formatNumber, formatShare } from "../../format";
import { useLoad } from "../../hooks";

interface KpiGroup {
  readonly group: string;
  readonly customers: number | null;
  readonly shareOfBase: number | null;
  readonly buyers: number | null;
  readonly orders: number | null;
  readonly revenue: number | null;
  readonly averageOrderValue: number | null;
  readonly purchaseFrequency: number | null;
  readonly averageClv: number | null;
  readonly conversionRate: number | null;
  readonly suppressed: boolean;
}
interface Kpis {
  readonly groups: readonly KpiGroup[];
  readonly minGroup: number;
  readonly clvAvailable: boolean;
}

/** The KPIs a row shows, each with how it is written. */
const ROWS: readonly { label: string; of: (g: KpiGroup) => number | null; show: (n: number) => string }[] = [
  { label: "Customers", of: (g) => g.customers, show: formatCount },
  { label: "Share of all customers", of: (g) => g.shareOfBase, show: (n) => formatShare(n) },
  { label: "Buyers", of: (g) => g.buyers, show: formatCount },
  { label: "Orders", of: (g) => g.orders, show: formatCount },
  { label: "Revenue", of: (g) => g.revenue, show: formatMoney },
  { label: "Average order value", of: (g) => g.averageOrderValue, show: formatMoney },
  { label: "Orders per customer", of: (g) => g.purchaseFrequency, show: formatNumber },
  { label: "Average predicted CLV", of: (g) => g.averageClv, show: formatMoney },
  { label: "Session conversion", of: (g) => g.conversionRate, show: (n) => formatShare(n) },
];

/**
 * The segment's KPIs beside everyone's (POST /api/kpis, grouped by segment and not grouped). The report names its
 * segment groups by name: a segment that shares its name with another is not told apart, and says so.
 */
export function KpiCard({ name, epoch }: { name: string; epoch: number }) {
  const r = useLoad(
    async (signal) => {
      const [bySegment, all] = await Promise.all([
        post<Kpis>("/api/kpis", { by: { kind: "segment" } }, signal),
        post<Kpis>("/api/kpis", {}, signal),
      ]);
      return { bySegment, all };
    },
    [epoch],
  );
  const mine = r.data?.bySegment.groups.filter((g) => g.group === name) ?? [];
  const everyone = r.data?.all.groups[0];
  const k = r.data?.all.minGroup ?? 10;
  const value = (g: KpiGroup | undefined, row: (typeof ROWS)[number]) => {
    const n = g ? row.of(g) : null;
    return n === null ? "—" : row.show(n);
  };
  return (
    <Card title="KPIs" id="kpis">
      {r.error ? (
        <ErrorBox error={r.error} />
      ) : !r.data ? (
        <Loading what="the KPIs" />
      ) : mine.length !== 1 ? (
        <p class="muted">
          {mine.length === 0
            ? "Not in the KPI report: the segment has not been evaluated at a refresh yet."
            : `${mine.length} segments are named "${name}": the KPI report cannot tell them apart.`}
        </p>
      ) : (
        <DataTable
          caption={`This segment's KPIs beside everyone's (fewer than ${k} people: suppressed)`}
          id="kpis"
          minGroup={k}
          rows={ROWS}
          columns={[
            { label: "KPI", value: (row) => row.label },
            {
              label: "This segment",
              value: (row) => value(mine[0], row),
              suppressed: () => mine[0]?.suppressed === true,
              numeric: true,
            },
            { label: "Everyone", value: (row) => value(everyone, row), numeric: true },
          ]}
        />
      )}
    </Card>
  );
}
