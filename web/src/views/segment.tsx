import { useState } from "preact/hooks";
import { get, post } from "../api";
import { Card, ErrorBox, Loading } from "../components/status";
import { formatCount, formatTime, suppressedText } from "../format";
import { useLoad } from "../hooks";
import { useCan } from "../me";
import { ChannelsCard } from "./segment/channels-card";
import { DefinitionCard, type Version } from "./segment/definition-card";
import { HistoryCard } from "./segment/history-card";
import { KpiCard } from "./segment/kpi-card";
import { MembersCard } from "./segment/members-card";
import { OverlapCard } from "./segment/overlap-card";
import { PersonaCard } from "./segment/persona-card";
import "./builder.css";
import "./segment.css";

interface SegmentShow {
  readonly id: string;
  readonly versions: readonly (Version & {
    readonly definition: { readonly name: string; readonly description?: string };
  })[];
  readonly size: number | null;
  readonly suppressed: boolean;
  readonly minGroup: number;
  readonly evaluated: { readonly asOf: string; readonly refreshedAt: string } | null;
}

/** Evaluates the saved segments now (POST /api/segments/refresh), for a role that may (write:segments). */
function RefreshNow({ onDone }: { onDone: () => void }) {
  const can = useCan();
  const [state, setState] = useState<{ running?: boolean; error?: Error }>({});
  if (!can("write:segments"))
    return <p class="muted">A role with write:segments (a marketer or an admin) can refresh the segments.</p>;
  return (
    <p>
      <button
        type="button"
        disabled={state.running}
        onClick={async () => {
          setState({ running: true });
          try {
            await post("/api/segments/refresh", {});
            setState({});
            onDone();
          } catch (error) {
            setState({ error: error as Error });
          }
        }}
      >
        {state.running ? "Refreshing…" : "Refresh segments now"}
      </button>
      {state.error ? <ErrorBox error={state.error} /> : null}
    </p>
  );
}

/**
 * One segment: its size now and over time with who entered and left, what distinguishes it, its KPIs, how it can
 * be reached, how it overlaps with the others, its definition, and its members for a role that may see them. A
 * version saved since the last refresh has no members on record: the reports over members wait for a refresh.
 */
export default function SegmentView({ params }: { params: Record<string, string> }) {
  const id = params.id ?? "";
  const [epoch, setEpoch] = useState(0);
  const [channels, setChannels] = useState<readonly string[]>([]);
  const show = useLoad(
    (signal) => get<SegmentShow>(`/api/segments/${encodeURIComponent(id)}`, undefined, signal),
    [id, epoch],
  );
  if (show.error)
    return (
      <>
        <h1>Segment {id}</h1>
        <ErrorBox error={show.error} />
      </>
    );
  const s = show.data;
  if (!s) return <Loading what={`segment ${id}`} />;
  const def = s.versions[0]?.definition;
  const k = s.minGroup;
  return (
    <>
      <div class="view-head">
        <h1>{def?.name ?? id}</h1>
      </div>
      <Card title="Now" id="now">
        <p class="figure-big" data-figure="size">
          {s.evaluated === null
            ? "—"
            : s.suppressed || s.size === null
              ? suppressedText(k)
              : formatCount(s.size)}
        </p>
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{s.id}</code>
          </dd>
          {def?.description ? (
            <>
              <dt>What it is for</dt>
              <dd>{def.description}</dd>
            </>
          ) : null}
          <dt>Evaluated as of</dt>
          <dd data-figure="evaluated">
            {s.evaluated ? formatTime(s.evaluated.asOf) : "not yet: saved since the last refresh"}
          </dd>
        </dl>
        {s.suppressed ? (
          <p class="suppressed">
            Fewer than {k} people in it or outside it: its size is suppressed (privacy: min_group).
          </p>
        ) : null}
        {s.evaluated === null ? <RefreshNow onDone={() => setEpoch((e) => e + 1)} /> : null}
      </Card>
      <DefinitionCard id={id} versions={s.versions} />
      <HistoryCard id={id} minGroup={k} epoch={epoch} />
      {s.evaluated === null ? (
        <Card title="Members and what sets them apart" id="waiting" wide>
          <p class="muted">
            Persona, KPIs, reach, overlap and members are reports over the members a refresh recorded: they
            are shown once a refresh has evaluated this version.
          </p>
        </Card>
      ) : (
        <>
          <PersonaCard id={id} minGroup={k} epoch={epoch} />
          <KpiCard name={def?.name ?? id} epoch={epoch} />
          <ChannelsCard id={id} epoch={epoch} onChannels={setChannels} />
          <MembersCard id={id} channels={channels} minGroup={k} />
          <OverlapCard id={id} epoch={epoch} />
        </>
      )}
    </>
  );
}
