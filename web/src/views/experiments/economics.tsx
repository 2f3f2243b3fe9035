import { DataTable } from "../../components/data-table";
import { Card } from "../../components/status";
import { formatCount, formatMoney } from "../../format";
import { signedPercent } from "./numbers";
import type { ExperimentAnalysis, VariantEconomics } from "./types";

const money = (v: number | null) => (v === null ? "—" : formatMoney(v));

/** What each variant cost and brought, from its cost per person: the figure to decide on is incremental ROI. */
export function Economics({ a }: { a: ExperimentAnalysis }) {
  if (!a.economics.some((e) => e.cost_per_person > 0)) return null;
  const hidden = (e: VariantEconomics) => e.cost === null && e.revenue === null && e.conversions === null;
  return (
    <Card title="Economics" id="economics" wide>
      <DataTable
        caption="Per variant: cost from its cost per person, acquisition cost, ROI and, against the control, incremental revenue and ROI"
        id="economics"
        minGroup={a.k}
        rows={a.economics}
        columns={[
          { label: "Variant", value: (e) => e.variant },
          { label: "Cost per person", value: (e) => formatMoney(e.cost_per_person), numeric: true },
          { label: "Cost", value: (e) => money(e.cost), suppressed: hidden, numeric: true },
          {
            label: "Conversions",
            value: (e) => (e.conversions === null ? "—" : formatCount(e.conversions)),
            suppressed: hidden,
            numeric: true,
          },
          {
            label: "Acquisition cost",
            value: (e) => money(e.acquisition_cost),
            suppressed: hidden,
            numeric: true,
          },
          { label: "Revenue", value: (e) => money(e.revenue), suppressed: hidden, numeric: true },
          { label: "ROI", value: (e) => (e.roi === null ? "—" : signedPercent(e.roi)), numeric: true },
          { label: "Incremental revenue", value: (e) => money(e.incremental_revenue), numeric: true },
          {
            label: "Incremental ROI",
            value: (e) => (e.incremental_roi === null ? "—" : signedPercent(e.incremental_roi)),
            numeric: true,
          },
        ]}
      />
    </Card>
  );
}
