import * as Plot from "@observablehq/plot";
import { post } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatNumber, formatShare } from "../../format";
import { useLoad } from "../../hooks";

interface Persona {
  readonly name: string;
  readonly size: number | null;
  readonly share: number | null;
  readonly suppressed: boolean;
  readonly distinguishing: readonly {
    readonly feature: string;
    readonly label: string;
    readonly group: number;
    readonly base: number;
    readonly difference: number;
  }[];
  readonly traits: readonly {
    readonly feature: string;
    readonly value: string;
    readonly share: number;
    readonly lift: number;
  }[];
  readonly age: { readonly p25: number; readonly median: number; readonly p75: number } | null;
  readonly device: { readonly value: string; readonly share: number } | null;
  readonly channel: { readonly value: string; readonly share: number } | null;
  readonly hours: { readonly daypart: string | null };
}
interface Personas {
  readonly customers: number;
  readonly personas: readonly Persona[];
}

/** What sets the segment apart (POST /api/personas with the segment): its strongest differences from everyone. */
export function PersonaCard({ id, minGroup, epoch }: { id: string; minGroup: number; epoch: number }) {
  const r = useLoad((signal) => post<Personas>("/api/personas", { segment: id }, signal), [id, epoch]);
  const p = r.data?.personas[0];
  return (
    <Card title="Persona" id="persona">
      {r.error ? (
        <ErrorBox error={r.error} />
      ) : !r.data ? (
        <Loading what="the persona" />
      ) : !p || p.suppressed ? (
        <p class="suppressed">Fewer than {minGroup} people: too small to describe (privacy: min_group).</p>
      ) : (
        <>
          <p class="persona-name" data-figure="persona">
            {p.name}
          </p>
          <p class="muted">
            {formatCount(p.size ?? 0)} people, {formatShare(p.share ?? 0)} of {formatCount(r.data.customers)}
            {p.age ? `; aged ${p.age.p25}–${p.age.p75} (median ${p.age.median})` : ""}
            {p.device ? `; ${formatShare(p.device.share, 0)} on ${p.device.value}` : ""}
            {p.channel ? `; mostly from ${p.channel.value}` : ""}
            {p.hours.daypart ? `; ${p.hours.daypart}` : ""}.
          </p>
          <Chart
            id="persona"
            label={`How far the segment is from everyone on its ${p.distinguishing.length} most distinguishing measures, in standard deviations`}
            deps={[p]}
            draw={(width) =>
              Plot.plot({
                width,
                height: 40 + 28 * p.distinguishing.length,
                marginLeft: 130,
                x: { label: "Difference from everyone (standard deviations)", grid: true },
                y: { label: null, domain: p.distinguishing.map((d) => d.label) },
                marks: [
                  Plot.barX(p.distinguishing, {
                    y: "label",
                    x: "difference",
                    fill: (d: { difference: number }) => (d.difference >= 0 ? "#1f5fbf" : "#b42318"),
                  }),
                  Plot.ruleX([0]),
                ],
              })
            }
          >
            <DataTable
              caption="The segment's mean and everyone's, by measure"
              id="persona"
              rows={p.distinguishing}
              columns={[
                { label: "Measure", value: (d) => d.label },
                { label: "Segment", value: (d) => formatNumber(d.group), numeric: true },
                { label: "Everyone", value: (d) => formatNumber(d.base), numeric: true },
                { label: "Difference (sd)", value: (d) => d.difference.toFixed(2), numeric: true },
              ]}
            />
          </Chart>
          {p.traits.length > 0 ? (
            <DataTable
              caption="Trait values more common in the segment than in everyone"
              id="persona-traits"
              rows={p.traits}
              columns={[
                { label: "Trait", value: (t) => `${t.feature.replace(/^trait:/, "")} = ${t.value}` },
                { label: "Share of the segment", value: (t) => formatShare(t.share), numeric: true },
                { label: "Lift", value: (t) => `×${t.lift.toFixed(2)}`, numeric: true },
              ]}
            />
          ) : null}
        </>
      )}
    </Card>
  );
}
