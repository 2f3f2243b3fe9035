import "./experiments.css";
import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { ErrorBox, Loading } from "../components/status";
import { useLoad } from "../hooks";
import { navigate } from "../router";
import { AnalysisDetail } from "./experiments/analysis-detail";
import { ExperimentList } from "./experiments/experiment-list";
import type { ExperimentView } from "./experiments/types";

/** The experiment the page's address names (`?experiment=ID`). */
const asked = () => new URLSearchParams(window.location.search).get("experiment") ?? undefined;

/**
 * Experiments (issue 20 through the dashboard): the saved experiments, and one of them read — the sample-ratio
 * check, effects with their intervals per metric and variant, the economics, and sequential results over time.
 * Everything here is aggregates through the k-gate (`read:aggregates`): no route of this view lists people.
 */
export default function ExperimentsView() {
  const list = useLoad(
    (signal) => get<{ experiments: ExperimentView[] }>("/api/experiments", undefined, signal),
    [],
  );
  const [selected, setSelected] = useState(asked);
  // Back and forward move between the experiments read (each has an address of its own).
  useEffect(() => {
    const follow = () => setSelected(asked());
    window.addEventListener("popstate", follow);
    return () => window.removeEventListener("popstate", follow);
  }, []);
  const experiments = list.data?.experiments ?? [];
  const chosen = experiments.find((e) => e.id === selected) ?? experiments[0];
  return (
    <>
      <h1>Experiments</h1>
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !list.data ? (
        <Loading what="the experiments" />
      ) : (
        <>
          <ExperimentList
            experiments={experiments}
            chosen={chosen?.id}
            onChoose={(id) => {
              setSelected(id);
              navigate(`/experiments?experiment=${encodeURIComponent(id)}`);
            }}
          />
          {chosen ? <AnalysisDetail e={chosen} key={chosen.id} /> : null}
        </>
      )}
    </>
  );
}
