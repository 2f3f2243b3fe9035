import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { get, post } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading, NotPermitted } from "../../components/status";
import { formatCount, formatNumber, formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { useCan } from "../../me";
import { onLinkClick } from "../../router";
import { INK } from "../chart-colors";
import { useMinGroup } from "./min-group";
import { ClusterSizes } from "./sizes";
import type { Difference, Persona, PersonaReport, SavedClustering } from "./types";

/** How many features the profile shows: those on which the clusters differ most. */
const PROFILE_FEATURES = 12;

/** A cell of the profile: one cluster's standardised difference on one feature. */
interface ProfileCell extends Difference {
  cluster: string;
}

/** The features on which the shown clusters differ most (the largest |difference| in any), most first. */
function profileCells(personas: Persona[]): { cells: ProfileCell[]; features: string[] } {
  const shown = personas.filter((p) => !p.suppressed);
  const spread = new Map<string, { label: string; most: number }>();
  for (const p of shown)
    for (const d of p.distinguishing) {
      const s = spread.get(d.feature);
      if (!s || Math.abs(d.difference) > s.most)
        spread.set(d.feature, { label: d.label, most: Math.abs(d.difference) });
    }
  const top = [...spread].sort((a, b) => b[1].most - a[1].most).slice(0, PROFILE_FEATURES);
  const features = top.map(([f]) => f);
  const cells = shown.flatMap((p) =>
    features.flatMap((f) => {
      const d = p.distinguishing.find((x) => x.feature === f);
      return d ? [{ ...d, cluster: `Cluster ${p.group}` }] : [];
    }),
  );
  return { cells, features };
}

/** The profile: per cluster, how far its mean lies from everyone's on each feature, in standard deviations. */
function ProfileChart({ personas, minGroup }: { personas: Persona[]; minGroup: number }) {
  const { cells, features } = profileCells(personas);
  const labels = new Map(cells.map((c) => [c.feature, c.label]));
  const most = Math.max(0.5, ...cells.map((c) => Math.abs(c.difference)));
  const strong = (c: ProfileCell) => Math.abs(c.difference) > most * 0.55;
  const at = { x: "cluster", y: (c: ProfileCell) => c.label } as const;
  const signed = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(2)}`;
  const clusters = personas.filter((p) => !p.suppressed).map((p) => `Cluster ${p.group}`);
  const label = `Heat map of the clusters' profiles: for the ${features.length} features on which they differ most, each cluster's mean in standard deviations from everyone's (blue above, red below). ${clusters
    .map((cl) => {
      const mine = cells
        .filter((c) => c.cluster === cl)
        .sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference))[0];
      return mine ? `${cl} stands out most on ${mine.label} (${signed(mine.difference)})` : "";
    })
    .filter(Boolean)
    .join("; ")}.`;
  return (
    <Chart
      id="profile"
      label={label}
      deps={[personas]}
      draw={(width) =>
        Plot.plot({
          width,
          height: 40 + features.length * 28,
          marginLeft: 180,
          x: { domain: clusters, label: null, axis: "top" },
          y: { domain: features.map((f) => labels.get(f) ?? f), label: null },
          color: { type: "diverging", scheme: "RdBu", domain: [-most, most], pivot: 0 },
          marks: [
            Plot.cell(cells, { ...at, fill: "difference", inset: 1 }),
            Plot.text(cells.filter(strong), {
              ...at,
              text: (c: ProfileCell) => signed(c.difference),
              fill: "white",
            }),
            Plot.text(
              cells.filter((c) => !strong(c)),
              { ...at, text: (c: ProfileCell) => signed(c.difference), fill: INK },
            ),
          ],
        })
      }
    >
      <DataTable
        caption={`Each cluster's mean on each feature beside everyone's, and the difference in standard deviations (log scale for counts and money); clusters under ${minGroup} customers are not described`}
        id="profile"
        rows={cells}
        columns={[
          { label: "Cluster", value: (c) => c.cluster },
          { label: "Feature", value: (c) => c.label },
          {
            label: "Cluster mean",
            value: (c) => (c.group === null ? "—" : formatNumber(c.group)),
            numeric: true,
          },
          {
            label: "Everyone's mean",
            value: (c) => (c.base === null ? "—" : formatNumber(c.base)),
            numeric: true,
          },
          { label: "Difference (sd)", value: (c) => signed(c.difference), numeric: true },
        ]}
      />
    </Chart>
  );
}

/** Saves a segment per cluster of a saved clustering (write:segments). */
function SaveSegments({ name }: { name: string }) {
  const can = useCan();
  const [state, setState] = useState<{ busy: boolean; error?: Error; saved?: string[] }>({ busy: false });
  if (!can("write:segments"))
    return <NotPermitted permission="write:segments (saving the clusters as segments)" />;
  const save = () => {
    setState({ busy: true });
    post<{ segments: string[] }>(`/api/clusterings/${encodeURIComponent(name)}/segments`, {}).then(
      (r) => setState({ busy: false, saved: r.segments }),
      (error: Error) => setState({ busy: false, error }),
    );
  };
  return (
    <div class="save-segments">
      <button type="button" onClick={save} disabled={state.busy}>
        Save a segment per cluster of {name}
      </button>
      {state.busy ? <Loading what="saving the segments" /> : null}
      {state.error ? <ErrorBox error={state.error} /> : null}
      {state.saved ? (
        <p role="status" data-figure="saved-segments">
          Saved {state.saved.length} segments:{" "}
          {state.saved.map((id, i) => (
            <>
              {i > 0 ? ", " : ""}
              <a href={`/segments/${encodeURIComponent(id)}`} onClick={onLinkClick}>
                <code>{id}</code>
              </a>
            </>
          ))}
          . They are evaluated at the next refresh.
        </p>
      ) : null}
    </div>
  );
}

/** One saved clustering's clusters: sizes, profile (its personas) and saving them as segments. */
function Profile({ name }: { name: string }) {
  const report = useLoad(
    (signal) => post<PersonaReport>("/api/personas", { clustering: name, top: 100 }, signal),
    [name],
  );
  const minGroup = useMinGroup();
  const r = report.data;
  if (report.error) return <ErrorBox error={report.error} />;
  if (!r || report.loading || minGroup === undefined) return <Loading what={`the profile of ${name}`} />;
  return (
    <>
      <h3>Clusters of {name}</h3>
      <p class="muted">
        {formatCount(r.customers)} customers, described as of {formatTime(r.asOf)}.
      </p>
      <div class="discovery-pair">
        <div>
          <h4>Sizes</h4>
          <ClusterSizes
            id="saved-sizes"
            minGroup={minGroup}
            clusters={r.personas.map((p) => ({
              id: p.group,
              name: p.name,
              size: p.size,
              share: p.share,
              suppressed: p.suppressed,
            }))}
          />
        </div>
        <div>
          <h4>Profiles</h4>
          <ProfileChart personas={r.personas} minGroup={minGroup} />
        </div>
      </div>
      <SaveSegments name={name} />
    </>
  );
}

/** The saved clusterings (GET /api/clusterings), and the one picked's profile. */
export function SavedClusterings({
  reload,
  picked,
  onPick,
}: {
  reload: number;
  picked: string | null;
  onPick: (name: string) => void;
}) {
  const list = useLoad(
    (signal) => get<{ clusterings: SavedClustering[] }>("/api/clusterings", undefined, signal),
    [reload],
  );
  const all = list.data?.clusterings;
  // The one picked, else the newest.
  const newest = all?.length
    ? [...all].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0]?.name
    : undefined;
  const name = picked && all?.some((c) => c.name === picked) ? picked : newest;
  return (
    <Card title="Saved clusterings" id="saved" wide>
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !all ? (
        <Loading what="the saved clusterings" />
      ) : all.length === 0 ? (
        <p class="muted">None saved yet: find clusters below and save them.</p>
      ) : (
        <>
          <DataTable
            caption="Clusterings saved with their model: each customer's cluster is the computed value cluster.<name>"
            id="clusterings"
            rows={all}
            columns={[
              { label: "Name", value: (c) => c.name },
              { label: "k", value: (c) => c.k, numeric: true },
              { label: "Model", value: (c) => c.model },
              { label: "Customers", value: (c) => formatCount(c.customers), numeric: true },
              {
                label: "Silhouette",
                value: (c) => (c.silhouette === null ? "—" : c.silhouette.toFixed(3)),
                numeric: true,
              },
              { label: "Features", value: (c) => c.features.join(", ") },
              { label: "Saved", value: (c) => formatTime(c.createdAt) },
            ]}
          />
          <div class="controls">
            <div>
              <label for="clustering-pick">Show the clusters of</label>
              <select
                id="clustering-pick"
                value={name}
                onChange={(e) => onPick((e.target as HTMLSelectElement).value)}
              >
                {all.map((c) => (
                  <option value={c.name}>{c.name}</option>
                ))}
              </select>
            </div>
          </div>
          {name ? <Profile name={name} key={`${name} ${reload}`} /> : null}
        </>
      )}
    </Card>
  );
}
