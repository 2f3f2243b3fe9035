import * as Plot from "@observablehq/plot";
import { get } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatShare, suppressedText } from "../../format";
import { useLoad } from "../../hooks";

export interface ChannelReach {
  readonly channel: string;
  readonly addressedBy: string | null;
  readonly consented: number | null;
  readonly addressable: number | null;
  readonly reachable: number | null;
  readonly sent: number | null;
  readonly engaged: number | null;
  readonly engagementRate: number | null;
  readonly expectedEngaged: number | null;
  readonly suppressed: boolean;
}
export interface SegmentChannels {
  readonly purpose: string;
  readonly members: number | null;
  readonly channels: readonly ChannelReach[];
  readonly suggested: { readonly channel: string; readonly expectedEngaged: number | null } | null;
  readonly rule: string;
  readonly minGroup: number;
  readonly since: string;
  readonly asOf: string;
}

/** Who can be reached on each channel for marketing (GET /api/segments/{id}/channels): consented and addressable. */
export function ChannelsCard({
  id,
  epoch,
  onChannels,
}: {
  id: string;
  epoch: number;
  /** The channels the report knows (the members form offers them). */
  onChannels?: (channels: readonly string[]) => void;
}) {
  const r = useLoad(
    async (signal) => {
      const c = await get<SegmentChannels>(
        `/api/segments/${encodeURIComponent(id)}/channels`,
        undefined,
        signal,
      );
      onChannels?.(c.channels.map((x) => x.channel));
      return c;
    },
    [id, epoch],
  );
  const c = r.data;
  const k = c?.minGroup ?? 10;
  const count = (n: number | null) => (n === null ? "" : formatCount(n));
  const reach = (c?.channels ?? []).filter((x) => x.reachable !== null);
  const hidden = (c?.channels ?? []).filter((x) => x.reachable === null);
  return (
    <Card title="Channel reachability" id="channels">
      {r.error ? (
        <ErrorBox error={r.error} />
      ) : !c ? (
        <Loading what="the channels" />
      ) : (
        <>
          <p>
            Reachable for <strong>{c.purpose}</strong> now
            {c.suggested ? (
              <>
                ; suggested channel: <strong data-figure="suggested-channel">{c.suggested.channel}</strong>
              </>
            ) : null}
            . <span class="muted">{c.rule}.</span>
          </p>
          <Chart
            id="channels"
            label={`People reachable on each channel: ${reach.map((x) => `${x.channel} ${formatCount(x.reachable ?? 0)}`).join(", ") || "none shown"}`}
            deps={[c]}
            draw={(width) =>
              Plot.plot({
                width,
                height: 40 + 34 * Math.max(1, c.channels.length),
                marginLeft: 60,
                x: { label: "People reachable (consented and addressable)", grid: true },
                y: { label: null, domain: c.channels.map((x) => x.channel) },
                marks: [
                  Plot.barX(reach, { y: "channel", x: "reachable", fill: "#1f5fbf" }),
                  Plot.text(reach, {
                    y: "channel",
                    x: "reachable",
                    text: (d: ChannelReach) => formatCount(d.reachable ?? 0),
                    dx: 4,
                    textAnchor: "start",
                  }),
                  // A reach the k-gate hides has no bar: it reads as suppressed, in grey.
                  Plot.text(hidden, {
                    y: "channel",
                    x: 0,
                    text: () => suppressedText(k),
                    dx: 4,
                    textAnchor: "start",
                    fill: "#5a6472",
                    fontStyle: "italic",
                  }),
                  Plot.ruleX([0]),
                ],
              })
            }
          >
            <DataTable
              caption={`Reach and engagement per channel, messages since ${c.since.slice(0, 10)} (fewer than ${k} people: suppressed)`}
              id="channels"
              minGroup={k}
              rows={c.channels}
              columns={[
                { label: "Channel", value: (x) => x.channel },
                {
                  label: "Consented",
                  value: (x) => count(x.consented),
                  suppressed: (x) => x.consented === null,
                  numeric: true,
                },
                {
                  label: "Addressable",
                  value: (x) => (x.addressedBy === null ? "not checked" : count(x.addressable)),
                  suppressed: (x) => x.addressedBy !== null && x.addressable === null,
                  numeric: true,
                },
                {
                  label: "Reachable",
                  value: (x) => count(x.reachable),
                  suppressed: (x) => x.reachable === null,
                  numeric: true,
                },
                {
                  label: "Sent",
                  value: (x) => count(x.sent),
                  suppressed: (x) => x.sent === null,
                  numeric: true,
                },
                {
                  label: "Engagement",
                  value: (x) =>
                    x.sent === 0 || x.engagementRate === null ? "—" : formatShare(x.engagementRate),
                  // Nobody sent a message: no rate to hide; otherwise a missing rate is the gate's.
                  suppressed: (x) => x.sent !== 0 && x.engagementRate === null,
                  numeric: true,
                },
                {
                  label: "Expected engaged",
                  value: (x) => (x.expectedEngaged === null ? "—" : formatCount(x.expectedEngaged)),
                  numeric: true,
                },
              ]}
            />
          </Chart>
        </>
      )}
    </Card>
  );
}
