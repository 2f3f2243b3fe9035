import * as Plot from "@observablehq/plot";
import { useRef, useState } from "preact/hooks";
import { post } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, Loading, NotPermitted } from "../../components/status";
import { formatCount, formatNumber, formatTime } from "../../format";
import { useCan } from "../../me";
import { BAD, INK, VALUE_FILL } from "../chart-colors";
import { FieldError, FormError, invalidIf } from "./field-error";
import { ClusterSizes } from "./sizes";
import type { ClusterInput, ClusterReport, KScore } from "./types";

/** The form's fields as typed (text), and what the API takes from them: empty is the default. */
interface Fields {
  features: string;
  kMin: string;
  kMax: string;
  seed: string;
}

function inputOf(f: Fields): ClusterInput {
  const number = (s: string) => (s.trim() === "" ? undefined : Number(s));
  const features = f.features
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return {
    k: "auto",
    ...(features.length ? { features } : {}),
    ...(number(f.kMin) === undefined ? {} : { kMin: number(f.kMin) }),
    ...(number(f.kMax) === undefined ? {} : { kMax: number(f.kMax) }),
    ...(number(f.seed) === undefined ? {} : { seed: number(f.seed) }),
  };
}

const FIND_FIELDS = ["features", "kMin", "kMax", "seed"] as const;

/** The choice of k: each k's silhouette (higher is better), the chosen k marked. */
function KChoice({ report }: { report: ClusterReport }) {
  const scores = report.scores ?? [];
  const chosen = scores.find((s) => s.k === report.k);
  const label = `Line chart of the silhouette for k from ${scores[0]?.k} to ${scores.at(-1)?.k}: k = ${report.k} scores highest, ${chosen?.silhouette.toFixed(3)}.`;
  return (
    <Chart
      id="k-choice"
      label={label}
      deps={[report]}
      draw={(width) =>
        Plot.plot({
          width,
          height: 240,
          marginLeft: 52,
          x: { label: "k (clusters)", ticks: scores.map((s) => s.k), tickFormat: "d", labelArrow: "none" },
          y: { label: "Silhouette (higher is better)", grid: true, labelArrow: "none" },
          marks: [
            Plot.line(scores, { x: "k", y: "silhouette", stroke: VALUE_FILL, strokeWidth: 2 }),
            Plot.dot(
              scores.filter((s) => s !== chosen),
              { x: "k", y: "silhouette", r: 4, fill: "white", stroke: VALUE_FILL, strokeWidth: 2 },
            ),
            Plot.dot(chosen ? [chosen] : [], { x: "k", y: "silhouette", r: 7, fill: BAD }),
            Plot.text(chosen ? [chosen] : [], {
              x: "k",
              y: "silhouette",
              text: (s: KScore) => `k = ${s.k}: best silhouette`,
              // Kept inside the chart when the chosen k is at either end of the range.
              textAnchor: chosen === scores[0] ? "start" : chosen === scores.at(-1) ? "end" : "middle",
              dy: -16,
              fill: INK,
              fontWeight: 600,
            }),
          ],
        })
      }
    >
      <DataTable
        caption="Each k tried: silhouette (chooses k), Davies–Bouldin (lower is better), Calinski–Harabasz (higher is better) and stability (agreement of two runs with other seeds, 1 = the same clusters)"
        id="k-scores"
        rows={scores}
        columns={[
          { label: "k", value: (s) => (s.k === report.k ? `${s.k} (chosen)` : String(s.k)) },
          { label: "Silhouette", value: (s) => s.silhouette.toFixed(3), numeric: true },
          { label: "Davies–Bouldin", value: (s) => s.daviesBouldin.toFixed(3), numeric: true },
          { label: "Calinski–Harabasz", value: (s) => formatNumber(s.calinskiHarabasz), numeric: true },
          { label: "Stability", value: (s) => s.stability.toFixed(2), numeric: true },
        ]}
      />
    </Chart>
  );
}

/** The clusters' centres in the features' own units, feature by feature. */
function Centres({ report }: { report: ClusterReport }) {
  const features = Object.keys(report.clusters.find((c) => c.centroid)?.centroid ?? {});
  const show = (v: number | string | null | undefined) =>
    typeof v === "number" ? formatNumber(v) : v === null || v === undefined ? "—" : v;
  return (
    <details>
      <summary>The clusters' centres (means in each feature's own units)</summary>
      <DataTable
        caption={`Each cluster's mean of each feature (a category's most frequent value); clusters under ${report.minGroup} customers are not described`}
        id="centres"
        minGroup={report.minGroup}
        rows={features}
        columns={[
          { label: "Feature", value: (f) => f },
          ...report.clusters.map((c) => ({
            label: `Cluster ${c.id}`,
            value: (f: string) => show(c.centroid?.[f]),
            suppressed: () => c.suppressed,
            numeric: true,
          })),
        ]}
      />
    </details>
  );
}

/** Saves the clustering just found (write:values), with a segment per cluster where the role may (write:segments). */
function SaveClustering({ input, onSaved }: { input: ClusterInput; onSaved: (name: string) => void }) {
  const can = useCan();
  const withSegments = can("write:segments");
  const [name, setName] = useState("");
  const [segments, setSegments] = useState(withSegments);
  const [state, setState] = useState<{ busy: boolean; error?: Error; saved?: ClusterReport["saved"] }>({
    busy: false,
  });
  if (!can("write:values"))
    return <NotPermitted permission="write:values (saving a clustering stores each customer's cluster)" />;
  const submit = (e: Event) => {
    e.preventDefault();
    setState({ busy: true });
    post<ClusterReport>("/api/clusterings", {
      ...input,
      saveAs: name,
      segments: segments && withSegments,
    }).then(
      (r) => {
        setState({ busy: false, saved: r.saved });
        if (r.saved) onSaved(r.saved.name);
      },
      (error: Error) => setState({ busy: false, error }),
    );
  };
  return (
    <form class="discovery-form" onSubmit={submit} noValidate aria-label="Save this clustering">
      <div>
        <label for="save-as">Save as (lower-case letters, digits and _)</label>
        <input
          id="save-as"
          value={name}
          autocomplete="off"
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
          {...invalidIf(state.error, "saveAs", "save-as")}
        />
        <FieldError error={state.error} field="saveAs" id="save-as" />
      </div>
      <div class="check">
        <input
          id="save-segments"
          type="checkbox"
          checked={segments && withSegments}
          disabled={!withSegments}
          aria-describedby={withSegments ? undefined : "save-segments-why"}
          onChange={(e) => setSegments((e.target as HTMLInputElement).checked)}
        />
        <label for="save-segments">Also save a segment per cluster</label>
        {withSegments ? null : (
          <span id="save-segments-why" class="muted">
            (needs write:segments, which your key's role does not have)
          </span>
        )}
      </div>
      <button type="submit" disabled={state.busy}>
        Save clustering
      </button>
      {state.busy ? <Loading what="saving (the clustering is found again with the same seed)" /> : null}
      <FormError error={state.error} fields={["saveAs"]} />
      {state.saved ? (
        <p role="status" data-figure="saved">
          Saved as <code>{state.saved.name}</code>: segments can use{" "}
          <code>{`{"computed": "${state.saved.computed}", "eq": 0}`}</code>
          {state.saved.segments.length ? `; ${state.saved.segments.length} segments saved` : ""}.
        </p>
      ) : null}
    </form>
  );
}

/** Finding clusters with k chosen by silhouette (POST /api/clusterings/preview: a read), then saving them. */
export function FindClusters({ onSaved }: { onSaved: (name: string) => void }) {
  const [fields, setFields] = useState<Fields>({ features: "", kMin: "2", kMax: "10", seed: "1" });
  const [run, setRun] = useState<{
    input: ClusterInput;
    busy: boolean;
    error?: Error;
    report?: ClusterReport;
  }>();
  // Only the latest run's answer is shown (an earlier one may answer later).
  const latest = useRef(0);
  const submit = (e: Event) => {
    e.preventDefault();
    const input = inputOf(fields);
    const mine = ++latest.current;
    setRun({ input, busy: true });
    post<ClusterReport>("/api/clusterings/preview", input).then(
      (report) => mine === latest.current && setRun({ input, busy: false, report }),
      (error: Error) => mine === latest.current && setRun({ input, busy: false, error }),
    );
  };
  // Features are text; the rest whole numbers (checked by the API, whose error is said at the field).
  const field = (key: keyof Fields, id: string, label: string, hint?: string) => {
    const common = {
      id,
      value: fields[key],
      placeholder: hint,
      autocomplete: "off",
      onInput: (e: Event) => setFields({ ...fields, [key]: (e.target as HTMLInputElement).value }),
      ...invalidIf(run?.error, key, id),
    };
    return (
      <div class={key === "features" ? "grow" : undefined}>
        <label for={id}>{label}</label>
        {key === "features" ? <input type="text" {...common} /> : <input type="number" {...common} />}
        <FieldError error={run?.error} field={key} id={id} />
      </div>
    );
  };
  const report = run?.report;
  return (
    <Card title="Find clusters" id="find" wide>
      <p class="muted">
        k-means on the customers' traits and behaviour, k chosen automatically: every k in the range is fitted
        and the one with the best silhouette (how much closer customers are to their own cluster than to the
        next) wins. The same seed finds the same clusters. Nothing is saved until you save it.
      </p>
      <form class="discovery-form" onSubmit={submit} noValidate aria-label="Find clusters">
        {field(
          "features",
          "cluster-features",
          "Features (comma-separated)",
          "default: numeric traits and behaviour",
        )}
        {field("kMin", "cluster-k-min", "Smallest k")}
        {field("kMax", "cluster-k-max", "Largest k")}
        {field("seed", "cluster-seed", "Seed")}
        <button type="submit" disabled={run?.busy}>
          Find clusters
        </button>
      </form>
      <FormError error={run?.error} fields={FIND_FIELDS} />
      {run?.busy ? <Loading what="clusters (each k is fitted)" /> : null}
      {report && !run?.busy ? (
        <div data-result="clustering">
          <p>
            <strong data-figure="chosen-k">k = {report.k}</strong> clusters of{" "}
            <span data-figure="clustered">{formatCount(report.customers)}</span> customers (seed {report.seed}
            , behaviour as of {formatTime(report.asOf)}), silhouette {report.silhouette?.toFixed(3) ?? "—"}
            {report.stability === null ? "" : `, stability ${report.stability.toFixed(2)}`}.
            {report.skipped.length
              ? ` Left out: ${report.skipped.map((s) => `${s.feature} (${s.reason})`).join("; ")}.`
              : ""}
          </p>
          <div class="discovery-pair">
            <div>
              <h3>The choice of k</h3>
              <KChoice report={report} />
            </div>
            <div>
              <h3>Clusters found</h3>
              <ClusterSizes
                id="found-sizes"
                minGroup={report.minGroup}
                clusters={report.clusters.map((c) => ({
                  id: String(c.id),
                  name: c.name,
                  size: c.size,
                  share: c.share,
                  suppressed: c.suppressed,
                  small: c.small,
                }))}
              />
              <Centres report={report} />
            </div>
          </div>
          <h3>Save it</h3>
          <SaveClustering input={run.input} onSaved={onSaved} key={JSON.stringify(run.input)} />
        </div>
      ) : null}
    </Card>
  );
}
