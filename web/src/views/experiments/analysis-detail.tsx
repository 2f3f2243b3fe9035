import { useState } from "preact/hooks";
import { ApiError, post } from "../../api";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { Economics } from "./economics";
import { populationText } from "./experiment-list";
import { MetricResults } from "./metric-results";
import { Split, SrmBanner } from "./split";
import { Timeline } from "./timeline";
import type { ExperimentAnalysis, ExperimentView } from "./types";

interface Settings {
  readonly asOf: string;
  readonly engine: "frequentist" | "bayesian";
  readonly sequential: boolean;
  /** A metric text read instead of the experiment's own ("" for those). */
  readonly metric: string;
}

const DEFAULTS: Settings = { asOf: "", engine: "frequentist", sequential: false, metric: "" };

/** The error of a request field, when the API's answer names it (shown at that field). */
function fieldError(error: Error | undefined, field: string): ApiError | null {
  return error instanceof ApiError && error.path !== null && error.path.split(/[.[]/)[0] === field
    ? error
    : null;
}

/** How to read it: as of when, by which engine, sequentially, by another metric; submitted together. */
function SettingsForm({
  applied,
  error,
  onApply,
}: {
  applied: Settings;
  error: Error | undefined;
  onApply: (s: Settings) => void;
}) {
  const [draft, setDraft] = useState(applied);
  const asOfError = fieldError(error, "asOf");
  const metricError = fieldError(error, "metrics");
  const set = (change: Partial<Settings>) => setDraft((d) => ({ ...d, ...change }));
  return (
    <form
      class="controls analysis-form"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ ...draft, metric: draft.metric.trim() });
      }}
    >
      <div>
        <label for="analysis-as-of">As of (blank: its end, or now)</label>
        <input
          id="analysis-as-of"
          type="date"
          value={draft.asOf}
          aria-invalid={asOfError ? "true" : undefined}
          aria-describedby={asOfError ? "analysis-as-of-error" : undefined}
          onInput={(e) => set({ asOf: (e.target as HTMLInputElement).value })}
        />
        {asOfError ? (
          <p class="error field-error" id="analysis-as-of-error" role="alert">
            {asOfError.message}
          </p>
        ) : null}
      </div>
      <div>
        <label for="analysis-engine">Statistics</label>
        <select
          id="analysis-engine"
          value={draft.engine}
          onChange={(e) => set({ engine: (e.target as HTMLSelectElement).value as Settings["engine"] })}
        >
          <option value="frequentist">frequentist (adjusted p-values)</option>
          <option value="bayesian">Bayesian (chance to win)</option>
        </select>
      </div>
      <div class="check">
        <input
          id="analysis-sequential"
          type="checkbox"
          checked={draft.sequential}
          disabled={draft.engine === "bayesian"}
          onChange={(e) => set({ sequential: (e.target as HTMLInputElement).checked })}
        />
        <label for="analysis-sequential">Sequential (safe to look every day)</label>
      </div>
      <div class="grow">
        <label for="analysis-metric">Read by another metric (blank: the experiment's)</label>
        <input
          id="analysis-metric"
          value={draft.metric}
          placeholder="e.g. conversion:14d, revenue:30d+cuped"
          autocomplete="off"
          spellcheck={false}
          aria-invalid={metricError ? "true" : undefined}
          aria-describedby={metricError ? "analysis-metric-error" : undefined}
          onInput={(e) => set({ metric: (e.target as HTMLInputElement).value })}
        />
        {metricError ? (
          <p class="error field-error" id="analysis-metric-error" role="alert">
            {metricError.message}
          </p>
        ) : null}
      </div>
      <button type="submit">Read it</button>
    </form>
  );
}

/**
 * One experiment read from the data (POST /api/experiments/{id}/analyze): the sample-ratio check first, who is in
 * it, each metric's effects with their intervals, the economics, and the sequential results over time.
 */
export function AnalysisDetail({ e }: { e: ExperimentView }) {
  const [settings, setSettings] = useState(DEFAULTS);
  const analysis = useLoad(
    (signal) =>
      post<ExperimentAnalysis>(
        `/api/experiments/${encodeURIComponent(e.id)}/analyze`,
        {
          engine: settings.engine,
          sequential: settings.sequential && settings.engine === "frequentist",
          ...(settings.asOf ? { asOf: settings.asOf } : {}),
          ...(settings.metric ? { metrics: [settings.metric] } : {}),
        },
        signal,
      ),
    [e.id, settings],
  );
  const error = analysis.loading ? undefined : analysis.error;
  const atField = fieldError(error, "asOf") ?? fieldError(error, "metrics");
  const a = analysis.loading ? undefined : analysis.data;
  return (
    <>
      <Card title={`Reading ${e.id}`} id="reading" wide>
        <p>
          {e.description ? `${e.description} — ` : ""}
          {populationText(e)}; variants {e.variants.map((v) => v.name).join(", ")}
          {e.holdout > 0 ? `, ${Math.round(e.holdout * 100)}% held out` : ""}; {e.phase} (
          {e.end ? `from ${formatTime(e.start)} to ${formatTime(e.end)}` : `since ${formatTime(e.start)}`}).
        </p>
        <SettingsForm applied={settings} error={error} onApply={setSettings} />
        {a ? (
          <p class="muted" data-figure="analysis-as-of">
            As of {formatTime(a.as_of)} — {a.engine}
            {a.sequential ? ", sequential" : ""}, alpha {a.alpha}
            {a.adjustment !== "none" ? `, p-values adjusted by ${a.adjustment}` : ""}.
          </p>
        ) : null}
      </Card>
      {error && !atField ? (
        <ErrorBox error={error} />
      ) : error ? null : !a ? (
        <Loading what={`the analysis of ${e.id}`} />
      ) : (
        <>
          <SrmBanner a={a} />
          <Split a={a} holdout={e.holdout} />
          {a.notes.length ? (
            <Card title="How to read it" id="notes">
              <ul class="says">
                {a.notes.map((n) => (
                  <li>{n}</li>
                ))}
              </ul>
            </Card>
          ) : null}
          <MetricResults a={a} />
          <Economics a={a} />
          <Timeline id={e.id} metrics={a.metrics.map((m) => m.text)} asOf={a.as_of} />
        </>
      )}
    </>
  );
}
