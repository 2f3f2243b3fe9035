import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { get, post } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading, NotPermitted } from "../../components/status";
import { formatCount, formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { useCan } from "../../me";
import { shownParts } from "./stacked-parts";
import type { Delivery, DestinationView, SyncResult } from "./types";

const STATUS_PARTS = [
  { key: "delivered", label: "Delivered", colour: "#1a7f37" },
  { key: "pending", label: "Pending", colour: "#c9a227" },
  { key: "failed", label: "Failed", colour: "#b42318" },
] as const;

/** What a delivery carries: an audience's changes, or a batch of a campaign's messages. */
function carries(d: Delivery): string {
  return d.kind === "campaign-send"
    ? `campaign ${d.campaign ?? "?"}, batch ${d.sequence}`
    : `audience ${d.audience ?? "?"} #${d.sequence}`;
}

/** Where a delivery stands, in words: pending ones say when they are tried next. */
function standing(d: Delivery): string {
  if (d.status === "pending")
    return d.nextAttemptAt ? `pending (next ${formatTime(d.nextAttemptAt)})` : "pending";
  if (d.status === "delivered") return `delivered ${formatTime(d.deliveredAt)}`;
  return d.status;
}

/** Why the last attempt failed (it names the HTTP status when an answer came), else the status of a success. */
function lastAnswer(d: Delivery): string {
  return d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : "—");
}

/** One destination's deliveries, newest first, and the button that delivers what is pending now. */
function Deliveries({ destination, onSynced }: { destination: DestinationView; onSynced: () => void }) {
  const [tick, setTick] = useState(0);
  const [syncing, setSyncing] = useState(false);
  const [said, setSaid] = useState<{ text: string; failed: boolean } | null>(null);
  const list = useLoad(
    (signal) =>
      get<{ deliveries: Delivery[] }>(
        `/api/destinations/${encodeURIComponent(destination.id)}/deliveries`,
        { limit: 20 },
        signal,
      ),
    [destination.id, tick],
  );
  const sync = async () => {
    setSyncing(true);
    setSaid(null);
    try {
      // A short budget: the write queue is held while receivers answer.
      const r = await post<SyncResult>(`/api/destinations/${encodeURIComponent(destination.id)}/sync`, {
        budgetMs: 5000,
      });
      const recorded = r.recorded.map(
        (x) => `${x.audience}: ${formatCount(x.entered)} entered, ${formatCount(x.exited)} exited`,
      );
      setSaid({
        text: `${recorded.length ? `Recorded ${recorded.join("; ")}. ` : "No audience changed. "}Attempted ${formatCount(r.delivery.attempted)}: ${formatCount(r.delivery.delivered)} delivered, ${formatCount(r.delivery.failedAttempts)} failed, ${formatCount(r.delivery.pending)} still pending.`,
        failed: false,
      });
      setTick((t) => t + 1);
      onSynced();
    } catch (e) {
      setSaid({ text: (e as Error).message, failed: true });
    } finally {
      setSyncing(false);
    }
  };
  const headingId = `deliveries-${destination.id}`;
  return (
    <section class="destination" aria-labelledby={headingId}>
      <div class="destination-head">
        <h3 id={headingId}>
          {destination.id} <span class="muted">· {destination.url}</span>
        </h3>
        <button type="button" class="secondary" onClick={sync} disabled={syncing}>
          {syncing ? "Delivering…" : `Sync and deliver ${destination.id} now`}
        </button>
      </div>
      <p class="sync-said" role="status" aria-live="polite">
        {said ? <span class={said.failed ? "error" : undefined}>{said.text}</span> : null}
      </p>
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !list.data ? (
        <Loading what={`${destination.id}'s deliveries`} />
      ) : (
        <DataTable
          caption={`Deliveries to ${destination.id}, newest first (at most 20)`}
          id={`deliveries-${destination.id}`}
          rows={list.data.deliveries}
          columns={[
            { label: "Delivery (webhook-id)", value: (d) => <code>{d.id}</code> },
            { label: "Carries", value: carries },
            { label: "Created", value: (d) => formatTime(d.createdAt) },
            {
              label: "Status",
              value: (d) => <span class={`delivery-${d.status}`}>{standing(d)}</span>,
            },
            { label: "Attempts", value: (d) => formatCount(d.attempts), numeric: true },
            { label: "Last answer", value: lastAnswer },
            {
              label: "People",
              value: (d) =>
                d.kind === "campaign-send"
                  ? `${formatCount(d.messages ?? 0)} messages`
                  : `${formatCount(d.entered)} entered, ${formatCount(d.exited)} exited`,
              numeric: true,
            },
          ]}
        />
      )}
    </section>
  );
}

/**
 * Webhook destinations and how their deliveries stand. Their URLs and records are for those who set them up
 * (`write:activation`): other roles are told so, and the API is not asked.
 */
export function Destinations() {
  const can = useCan();
  const allowed = can("write:activation");
  const list = useLoad(
    (signal) =>
      allowed ? get<{ destinations: DestinationView[] }>("/api/destinations", undefined, signal) : null,
    [allowed],
  );
  if (!allowed)
    return (
      <Card title="Destinations" id="destinations" wide>
        <NotPermitted permission="write:activation (destinations, their addresses and deliveries are for those who set them up)" />
      </Card>
    );
  const destinations = list.data?.destinations ?? [];
  const bars = shownParts(
    destinations,
    (d) => d.id,
    STATUS_PARTS.map((p) => ({ label: p.label, count: (d: DestinationView) => d[p.key] })),
  );
  const most = Math.max(1, ...destinations.map((d) => d.delivered + d.pending + d.failed));
  return (
    <Card title="Destinations" id="destinations" wide>
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !list.data ? (
        <Loading what="the destinations" />
      ) : destinations.length === 0 ? (
        <p class="muted">
          No destination yet: <code>tessera destination add</code> adds a webhook.
        </p>
      ) : (
        <>
          <Chart
            id="delivery-status"
            label={`Deliveries by status: ${destinations
              .map(
                (d) =>
                  `${d.id} ${formatCount(d.delivered)} delivered, ${formatCount(d.pending)} pending, ${formatCount(d.failed)} failed`,
              )
              .join("; ")}`}
            deps={[list.data]}
            draw={(width) =>
              Plot.plot({
                width,
                height: 40 + 34 * destinations.length,
                marginLeft: 90,
                // Whole deliveries: no tick between two counts.
                x: { label: "Deliveries", grid: true, tickFormat: "d", ticks: Math.min(10, most) },
                y: { label: null, domain: destinations.map((d) => d.id) },
                color: {
                  legend: true,
                  domain: STATUS_PARTS.map((p) => p.label),
                  range: STATUS_PARTS.map((p) => p.colour),
                },
                marks: [
                  Plot.barX(bars, {
                    y: "bar",
                    x: "count",
                    fill: "part",
                    order: STATUS_PARTS.map((p) => p.label),
                  }),
                  Plot.ruleX([0]),
                ],
              })
            }
          >
            <DataTable
              caption="Destinations, the audiences they receive, and their deliveries by status"
              id="destinations"
              rows={destinations}
              columns={[
                { label: "Destination", value: (d) => <code>{d.id}</code> },
                { label: "URL", value: (d) => <code>{d.url}</code> },
                {
                  label: "Audiences",
                  value: (d) => (d.audiences.length ? d.audiences.join(", ") : "— (campaign sends only)"),
                },
                { label: "Delivered", value: (d) => formatCount(d.delivered), numeric: true },
                { label: "Pending", value: (d) => formatCount(d.pending), numeric: true },
                { label: "Failed", value: (d) => formatCount(d.failed), numeric: true },
                { label: "Last delivered", value: (d) => formatTime(d.lastDeliveredAt) },
              ]}
            />
          </Chart>
          {destinations.map((d) => (
            <Deliveries destination={d} onSynced={list.reload} key={d.id} />
          ))}
        </>
      )}
    </Card>
  );
}
