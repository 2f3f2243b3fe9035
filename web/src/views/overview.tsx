import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { get, post } from "../api";
import { Chart } from "../components/chart";
import { DataTable } from "../components/data-table";
import { Card, ErrorBox, Loading } from "../components/status";
import { formatCount, formatShare, formatTime } from "../format";
import { useLoad } from "../hooks";
import { useCan } from "../me";
import { onLinkClick } from "../router";

interface HistoryPoint {
  asOf: string;
  size: number | null;
  entered: number | null;
  exited: number | null;
  suppressed: { size: boolean };
}
interface Overview {
  stats: Record<string, number>;
  data: { last: string | null; future: number };
  refreshed: { asOf: string; refreshedAt: string } | null;
  segments: { id: string; name: string; size: number | null; suppressed: boolean; history: HistoryPoint[] }[];
  minGroup: number;
}
interface AuditRuns {
  latest: {
    auditedAt: string;
    asOf: string;
    score: number;
    findings: {
      check: string;
      title: string;
      table: string;
      severity: string;
      count: number | null;
      suppressed: boolean;
    }[];
  } | null;
  scores: { auditedAt: string; score: number }[];
  minGroup: number;
}
interface Pareto {
  customers: number;
  revenue: number;
  topShare: number | null;
  top: number;
  gini: number | null;
  suppressed: boolean;
  lorenz: { customerShare: number; revenueShare: number }[];
  minGroup: number;
}

/** A segment's trend: its sizes at the stored refreshes, as a small line (suppressed points left out). */
function Trend({ points, name }: { points: HistoryPoint[]; name: string }) {
  const shown = points.filter((p) => p.size !== null).map((p) => ({ t: new Date(p.asOf), size: p.size }));
  if (shown.length < 2) return <span class="muted">{shown.length === 1 ? "one refresh" : "—"}</span>;
  return (
    <Chart
      label={`${name}: size at ${shown.length} refreshes, from ${formatCount(shown[0]?.size ?? 0)} to ${formatCount(shown.at(-1)?.size ?? 0)}`}
      deps={[points]}
      compact
      draw={() =>
        Plot.plot({
          width: 140,
          height: 32,
          margin: 2,
          axis: null,
          y: { zero: true },
          marks: [
            Plot.lineY(shown, { x: "t", y: "size", stroke: "#1f5fbf" }),
            Plot.dotY(shown.slice(-1), { x: "t", y: "size", r: 2, fill: "#1f5fbf" }),
          ],
        })
      }
    />
  );
}

function Counts({ o }: { o: Overview }) {
  return (
    <Card title="Customers" id="customers">
      <p class="figure-big" data-figure="customers">
        {formatCount(o.stats.customers ?? 0)}
      </p>
      <DataTable
        caption="What the store holds"
        id="stats"
        rows={Object.entries(o.stats)}
        columns={[
          { label: "Table", value: ([k]) => k },
          { label: "Rows", value: ([, n]) => formatCount(n), numeric: true },
        ]}
      />
    </Card>
  );
}

function Freshness({ o }: { o: Overview }) {
  return (
    <Card title="Freshness" id="freshness">
      <dl class="facts">
        <dt>Latest order or event</dt>
        <dd data-figure="data-last">{formatTime(o.data.last)}</dd>
        {o.data.future > 0 ? (
          <>
            <dt>Dated after now</dt>
            <dd class="error">{formatCount(o.data.future)} rows (see the audit)</dd>
          </>
        ) : null}
        <dt>Segments evaluated as of</dt>
        <dd data-figure="refreshed-as-of">
          {o.refreshed ? formatTime(o.refreshed.asOf) : "never refreshed"}
        </dd>
        <dt>Last refresh ran</dt>
        <dd>{o.refreshed ? formatTime(o.refreshed.refreshedAt) : "—"}</dd>
      </dl>
    </Card>
  );
}

/** The last recorded audit (`tessera audit --record`): its score, its course, and its top findings. */
function Quality() {
  const can = useCan();
  const runs = useLoad((signal) => get<AuditRuns>("/api/audit/runs", undefined, signal), []);
  const [running, setRunning] = useState<Error | "running" | null>(null);
  const runNow = () => {
    setRunning("running");
    post("/api/audit/runs", {}).then(
      () => {
        setRunning(null);
        runs.reload();
      },
      (e: Error) => setRunning(e),
    );
  };
  const latest = runs.data?.latest;
  return (
    <Card title="Data quality" id="quality">
      {runs.error ? (
        <ErrorBox error={runs.error} />
      ) : !runs.data ? (
        <Loading what="the audit" />
      ) : !latest ? (
        <p class="muted">No audit recorded yet.</p>
      ) : (
        <>
          <p class="figure-big" data-figure="quality-score">
            {latest.score.toFixed(1)}
            <span class="muted"> / 100</span>
          </p>
          <p class="muted">
            Audited {formatTime(latest.auditedAt)}, as of {formatTime(latest.asOf)}.
          </p>
          {runs.data.scores.length > 1 ? (
            <Chart
              id="quality-scores"
              label={`Quality score over ${runs.data.scores.length} recorded audits`}
              deps={[runs.data.scores]}
              draw={(width) =>
                Plot.plot({
                  width,
                  height: 90,
                  y: { label: "score", domain: [0, 100] },
                  x: { label: null },
                  marks: [
                    Plot.lineY(runs.data?.scores ?? [], { x: (d) => new Date(d.auditedAt), y: "score" }),
                    Plot.dotY(runs.data?.scores ?? [], { x: (d) => new Date(d.auditedAt), y: "score", r: 2 }),
                  ],
                })
              }
            />
          ) : null}
          <DataTable
            caption="Top findings, by cases found"
            id="findings"
            minGroup={runs.data.minGroup}
            rows={latest.findings
              .filter((f) => f.suppressed || (f.count ?? 0) > 0)
              .sort((a, b) => (b.count ?? 0) - (a.count ?? 0))
              .slice(0, 5)}
            columns={[
              { label: "Finding", value: (f) => f.title },
              { label: "Severity", value: (f) => f.severity },
              {
                label: "Cases",
                value: (f) => formatCount(f.count ?? 0),
                suppressed: (f) => f.suppressed,
                numeric: true,
              },
            ]}
          />
        </>
      )}
      {can("write:data") ? (
        <p>
          <button type="button" class="secondary" onClick={runNow} disabled={running === "running"}>
            {running === "running" ? "Auditing…" : "Run the audit now"}
          </button>
          {running instanceof Error ? <ErrorBox error={running} /> : null}
        </p>
      ) : null}
    </Card>
  );
}

function Segments({ o }: { o: Overview }) {
  return (
    <Card title="Segments" id="segments" wide>
      <DataTable
        caption={`Saved segments, their size at the last refresh and their trend (fewer than ${o.minGroup} people: suppressed)`}
        id="segments"
        minGroup={o.minGroup}
        rows={o.segments}
        columns={[
          {
            label: "Segment",
            value: (s) => (
              <a href={`/segments/${encodeURIComponent(s.id)}`} onClick={onLinkClick}>
                {s.name}
              </a>
            ),
          },
          { label: "Id", value: (s) => <code>{s.id}</code> },
          {
            label: "Size",
            value: (s) => (s.size === null ? "not evaluated" : formatCount(s.size)),
            suppressed: (s) => s.suppressed,
            numeric: true,
          },
          {
            // Each segment's freshness: as of when its members were last evaluated (its last history point).
            label: "Evaluated as of",
            value: (s) =>
              s.size === null && !s.suppressed
                ? "not yet"
                : formatTime(s.history.at(-1)?.asOf ?? o.refreshed?.asOf ?? null),
          },
          { label: "Trend", value: (s) => <Trend points={s.history} name={s.name} /> },
        ]}
      />
    </Card>
  );
}

function Concentration() {
  const pareto = useLoad((signal) => post<Pareto>("/api/pareto", {}, signal), []);
  if (pareto.error)
    return (
      <Card title="Value concentration" id="pareto">
        <ErrorBox error={pareto.error} />
      </Card>
    );
  const p = pareto.data;
  return (
    <Card title="Value concentration" id="pareto">
      {!p ? (
        <Loading what="the Pareto curve" />
      ) : p.suppressed ? (
        <p class="suppressed">Fewer than {p.minGroup} customers: suppressed.</p>
      ) : (
        <>
          <p>
            The top {formatShare(p.top, 0)} of customers bring{" "}
            <strong data-figure="top-share">{p.topShare === null ? "—" : formatShare(p.topShare)}</strong> of
            revenue (Gini {p.gini === null ? "—" : p.gini.toFixed(2)}).
          </p>
          <Chart
            id="lorenz"
            label={`Lorenz curve of revenue over ${formatCount(p.customers)} customers: the top ${formatShare(p.top, 0)} bring ${p.topShare === null ? "an unknown share" : formatShare(p.topShare)}`}
            deps={[p]}
            draw={(width) =>
              Plot.plot({
                width,
                height: 260,
                x: { label: "Share of customers (least valuable first)", percent: true, domain: [0, 100] },
                y: { label: "Share of revenue", percent: true, domain: [0, 100] },
                marks: [
                  Plot.line(
                    [
                      { customerShare: 0, revenueShare: 0 },
                      { customerShare: 1, revenueShare: 1 },
                    ],
                    { x: "customerShare", y: "revenueShare", stroke: "#9aa4b2", strokeDasharray: "4 3" },
                  ),
                  Plot.line(p.lorenz, {
                    x: "customerShare",
                    y: "revenueShare",
                    stroke: "#1f5fbf",
                    strokeWidth: 2,
                  }),
                  Plot.dot(p.lorenz, { x: "customerShare", y: "revenueShare", fill: "#1f5fbf", r: 2.5 }),
                ],
              })
            }
          >
            <DataTable
              caption="The Lorenz curve's points"
              id="lorenz"
              rows={p.lorenz}
              columns={[
                { label: "Share of customers", value: (r) => formatShare(r.customerShare, 0), numeric: true },
                { label: "Share of revenue", value: (r) => formatShare(r.revenueShare), numeric: true },
              ]}
            />
          </Chart>
        </>
      )}
    </Card>
  );
}

export default function OverviewView() {
  const overview = useLoad((signal) => get<Overview>("/api/overview", undefined, signal), []);
  return (
    <>
      <h1>Overview</h1>
      {overview.error ? (
        <ErrorBox error={overview.error} />
      ) : !overview.data ? (
        <Loading what="the overview" />
      ) : (
        <>
          <Counts o={overview.data} />
          <Freshness o={overview.data} />
          <Quality />
          <Concentration />
          <Segments o={overview.data} />
        </>
      )}
    </>
  );
}
