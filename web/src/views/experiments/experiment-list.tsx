import { DataTable } from "../../components/data-table";
import { Card } from "../../components/status";
import { formatShare, formatTime } from "../../format";
import type { ExperimentView } from "./types";

export function populationText(e: ExperimentView): string {
  const p = e.population;
  if ("segment" in p) return `segment ${p.segment}`;
  if ("audience" in p) return `audience ${p.audience}`;
  return `exposures (${p.exposures.event})`;
}

/** The saved experiments; each id opens its results in this view (`/experiments?experiment=ID`). */
export function ExperimentList({
  experiments,
  chosen,
  onChoose,
}: {
  experiments: readonly ExperimentView[];
  chosen: string | undefined;
  onChoose: (id: string) => void;
}) {
  return (
    <Card title="Experiments" id="experiments" wide>
      {experiments.length === 0 ? (
        <p class="muted">
          No experiment yet: <code>tessera experiment create</code> designs one (see the README's
          "Experiments").
        </p>
      ) : (
        <DataTable
          caption="Saved experiments: who is in them, their variants and metrics, and where they stand (choose one to read it)"
          id="experiments"
          rows={experiments}
          columns={[
            {
              label: "Experiment",
              value: (e) => (
                <a
                  href={`/experiments?experiment=${encodeURIComponent(e.id)}`}
                  aria-current={e.id === chosen ? "true" : undefined}
                  onClick={(ev) => {
                    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
                    ev.preventDefault();
                    onChoose(e.id);
                  }}
                >
                  {e.id}
                </a>
              ),
            },
            { label: "Population", value: populationText },
            {
              label: "Variants",
              value: (e) => e.variants.map((v) => `${v.name} ${formatShare(v.weight, 0)}`).join(", "),
            },
            { label: "Holdout", value: (e) => formatShare(e.holdout, 0), numeric: true },
            { label: "Metrics", value: (e) => e.metrics.join("; ") },
            { label: "Phase", value: (e) => (e.bandit ? `${e.phase} (bandit)` : e.phase) },
            { label: "Start", value: (e) => formatTime(e.start) },
            { label: "End", value: (e) => formatTime(e.end) },
          ]}
        />
      )}
    </Card>
  );
}
