import * as Plot from "@observablehq/plot";
import { get } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatShare, formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { hiddenNotes, MIN_BARS_WIDTH, type PartsOf, shownParts } from "./stacked-parts";
import type { Campaign, CampaignShow, SendSummary } from "./types";

const OUTCOMES = [
  { key: "sent", label: "Sent", colour: "#1f5fbf" },
  { key: "heldOut", label: "Held out", colour: "#8a94a6" },
  { key: "capped", label: "Capped", colour: "#c9a227" },
  { key: "unreachable", label: "Unreachable", colour: "#b42318" },
] as const;

/** A send as a row of the chart and its table: the campaign it belongs to, and its counts. */
interface SendRow extends SendSummary {
  readonly campaign: string;
  readonly label: string;
}

function offerText(c: Campaign): string {
  if (!c.offer) return "—";
  const { name, ...keys } = c.offer;
  const pairs = Object.entries(keys).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? `${name} (${pairs.join(", ")})` : name;
}

/** The campaigns with their past sends: each send's counts by outcome, through the k-gate (campaign.show). */
export function Campaigns({ campaigns }: { campaigns: readonly Campaign[] }) {
  const shown = useLoad(
    (signal) =>
      Promise.all(
        campaigns.map((c) =>
          get<CampaignShow>(`/api/campaigns/${encodeURIComponent(c.id)}`, undefined, signal),
        ),
      ),
    [campaigns],
  );
  if (campaigns.length === 0)
    return (
      <Card title="Campaigns" id="campaigns" wide>
        <p class="muted">
          No campaign yet: <code>tessera campaign create</code> makes one for an audience.
        </p>
      </Card>
    );
  if (shown.error)
    return (
      <Card title="Campaigns" id="campaigns" wide>
        <ErrorBox error={shown.error} />
      </Card>
    );
  if (!shown.data)
    return (
      <Card title="Campaigns" id="campaigns" wide>
        <Loading what="the campaigns' sends" />
      </Card>
    );
  const k = shown.data[0]?.minGroup ?? 10;
  const sends: SendRow[] = shown.data.flatMap((s) =>
    s.sends.map((x) => ({ ...x, campaign: s.campaign.id, label: `${s.campaign.id} · ${formatTime(x.at)}` })),
  );
  const parts: PartsOf<SendRow> = OUTCOMES.map((o) => ({ label: o.label, count: (s) => s[o.key] }));
  const bars = shownParts(sends, (s) => s.label, parts);
  const hidden = hiddenNotes(sends, (s) => s.label, parts, k);
  const sendsOf = (id: string) => sends.filter((s) => s.campaign === id).length;
  // Room for the sends' names on the left and, when a count is hidden, for its note on the right.
  const margins = { marginLeft: 220, marginRight: hidden.length ? 260 : 20 };
  return (
    <Card title="Campaigns" id="campaigns" wide>
      <DataTable
        caption="Campaigns: their audience, channel, offer and timing, and how many sends they made"
        id="campaigns"
        rows={shown.data.map((s) => s.campaign)}
        columns={[
          { label: "Campaign", value: (c) => <code>{c.id}</code> },
          { label: "Audience", value: (c) => <code>{c.audience}</code> },
          { label: "Channel", value: (c) => c.channel },
          { label: "Template", value: (c) => c.templateName },
          { label: "Offer", value: offerText },
          { label: "Holdout", value: (c) => formatShare(c.holdout, 0), numeric: true },
          { label: "Frequency cap", value: (c) => c.frequencyCap?.text ?? "—" },
          {
            label: "Send window",
            value: (c) => (c.sendWindowHours === null ? "at once" : `${c.sendWindowHours} h`),
          },
          {
            label: "Treats",
            value: (c) => (c.treats ? `${c.treats.experiment}: ${c.treats.variant}` : "—"),
          },
          { label: "Sends", value: (c) => formatCount(sendsOf(c.id)), numeric: true },
        ]}
      />
      <h3>Sends by outcome</h3>
      {sends.length === 0 ? (
        <p class="muted">Nothing sent yet.</p>
      ) : (
        <Chart
          id="send-outcomes"
          label={`Each send's people by outcome: ${sends
            .map((s) =>
              s.suppressed && s.sent === null
                ? `${s.label} counts suppressed`
                : `${s.label} ${formatCount(s.sent ?? 0)} sent`,
            )
            .join("; ")}`}
          deps={[shown.data]}
          minWidth={margins.marginLeft + margins.marginRight + MIN_BARS_WIDTH}
          draw={(width) =>
            Plot.plot({
              width,
              height: 40 + 34 * sends.length,
              ...margins,
              x: { label: "People", grid: true },
              y: { label: null, domain: sends.map((s) => s.label) },
              color: {
                legend: true,
                domain: OUTCOMES.map((o) => o.label),
                range: OUTCOMES.map((o) => o.colour),
              },
              marks: [
                Plot.barX(bars, {
                  y: "bar",
                  x: "count",
                  fill: "part",
                  order: OUTCOMES.map((o) => o.label),
                }),
                Plot.text(hidden, {
                  y: "bar",
                  x: "end",
                  text: "text",
                  textAnchor: "start",
                  dx: 4,
                  fill: "#5a6472",
                }),
                Plot.ruleX([0]),
              ],
            })
          }
        >
          <DataTable
            caption={`Each send's people by outcome (fewer than ${k} people, or a count that would give one away: suppressed)`}
            id="sends"
            minGroup={k}
            rows={sends}
            columns={[
              { label: "Send", value: (s) => <code>{s.sendId}</code> },
              { label: "At", value: (s) => formatTime(s.at) },
              ...OUTCOMES.map((o) => ({
                label: o.label,
                value: (s: SendRow) => formatCount(s[o.key] ?? 0),
                suppressed: (s: SendRow) => s[o.key] === null,
                numeric: true,
              })),
            ]}
          />
        </Chart>
      )}
    </Card>
  );
}
