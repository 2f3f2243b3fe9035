import * as Plot from "@observablehq/plot";
import { get } from "../../api";
import { Chart } from "../../components/chart";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, formatDate } from "../../format";
import { useLoad } from "../../hooks";
import { useCan } from "../../me";

export interface HistoryPoint {
  readonly asOf: string;
  readonly size: number | null;
  readonly entered: number | null;
  readonly exited: number | null;
  readonly suppressed: { readonly size: boolean; readonly entered: boolean; readonly exited: boolean };
}

/** The bars' padding in their band (the sizes' points are placed to match it). */
const BAND_PADDING = 0.3;

/** A refresh's time as a tick reads: `Jan 31, 2026` (UTC). */
const refreshLabel = (iso: string) =>
  new Date(iso).toLocaleDateString("en-US", {
    month: "short",
    day: "numeric",
    year: "numeric",
    timeZone: "UTC",
  });

interface OverviewSegments {
  readonly segments: readonly { readonly id: string; readonly history: readonly HistoryPoint[] }[];
}

/**
 * A segment's size at each stored refresh, with who entered and left. A role that may see people reads the
 * segment's history (GET /api/segments/{id}/history, counts only); any other reads the same gated counts from the
 * overview (GET /api/overview), which gives every segment's history as aggregates — the history route is
 * read:people because it can also list who entered and left.
 */
export function HistoryCard({ id, minGroup, epoch }: { id: string; minGroup: number; epoch: number }) {
  const can = useCan();
  const people = can("read:people");
  const history = useLoad(
    async (signal): Promise<readonly HistoryPoint[]> =>
      people
        ? (
            await get<{ history: HistoryPoint[] }>(
              `/api/segments/${encodeURIComponent(id)}/history`,
              undefined,
              signal,
            )
          ).history
        : ((await get<OverviewSegments>("/api/overview", { points: 1000 }, signal)).segments.find(
            (s) => s.id === id,
          )?.history ?? []),
    [id, people, epoch],
  );
  const points = history.data ?? [];
  const k = minGroup;
  const cell = (n: number | null) => (n === null ? "" : formatCount(n));
  // Both charts put the refreshes at the same places: the bars' bands (padding p) centred where the sizes' points
  // (padding (1 + p) / 2) are. The labels are not ISO dates, which Plot would take for dates in an ordinal scale.
  const when = points.map((p) => refreshLabel(p.asOf));
  const sizes = points.flatMap((p) =>
    p.size === null ? [] : [{ when: refreshLabel(p.asOf), size: p.size }],
  );
  const flows = points.flatMap((p) => [
    ...(p.entered === null ? [] : [{ when: refreshLabel(p.asOf), kind: "entered", n: p.entered }]),
    ...(p.exited === null ? [] : [{ when: refreshLabel(p.asOf), kind: "left", n: -p.exited }]),
  ]);
  const last = sizes.at(-1);
  return (
    <Card title="Size over time" id="history" wide>
      {history.error ? (
        <ErrorBox error={history.error} />
      ) : !history.data ? (
        <Loading what="the history" />
      ) : points.length === 0 ? (
        <p class="muted">
          No stored refresh has evaluated this segment yet (or the privacy settings give no history).
        </p>
      ) : (
        <Chart
          id="history"
          label={`Size at ${points.length} refreshes${last ? `, ${formatCount(last.size)} at the last` : ""}, with the people who entered (above the line) and left (below) at each`}
          deps={[points]}
          draw={(width) => {
            const box = document.createElement("div");
            box.append(
              Plot.plot({
                width,
                height: 200,
                marginLeft: 50,
                x: { label: null, type: "point", domain: when, padding: (1 + BAND_PADDING) / 2 },
                y: { label: "People in the segment", zero: true, grid: true },
                marks: [
                  Plot.line(sizes, { x: "when", y: "size", stroke: "#1f5fbf", strokeWidth: 2 }),
                  Plot.dot(sizes, { x: "when", y: "size", fill: "#1f5fbf", r: 3.5 }),
                ],
              }),
              Plot.plot({
                width,
                height: 170,
                marginLeft: 50,
                x: { label: null, domain: when, padding: BAND_PADDING },
                y: { label: "Entered (+) and left (−)", grid: true },
                color: { domain: ["entered", "left"], range: ["#1a7f37", "#b42318"], legend: true },
                marks: [Plot.barY(flows, { x: "when", y: "n", fill: "kind" }), Plot.ruleY([0])],
              }),
            );
            return box;
          }}
        >
          <DataTable
            caption={`Size, entries and exits at each refresh (fewer than ${k} people: suppressed)`}
            id="history"
            minGroup={k}
            rows={points}
            columns={[
              { label: "As of", value: (p) => formatDate(p.asOf) },
              {
                label: "Size",
                value: (p) => cell(p.size),
                suppressed: (p) => p.size === null,
                numeric: true,
              },
              {
                label: "Entered",
                value: (p) => cell(p.entered),
                suppressed: (p) => p.entered === null,
                numeric: true,
              },
              {
                label: "Left",
                value: (p) => cell(p.exited),
                suppressed: (p) => p.exited === null,
                numeric: true,
              },
            ]}
          />
        </Chart>
      )}
    </Card>
  );
}
