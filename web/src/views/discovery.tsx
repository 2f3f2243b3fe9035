import { useState } from "preact/hooks";
import { FindClusters } from "./discovery/run";
import { SavedClusterings } from "./discovery/saved";
import "./discovery.css";

/**
 * Discovery: segments found in the data — the saved clusterings with their clusters' sizes and profiles, finding
 * new ones with k chosen automatically, and saving them (the clustering: write:values; its clusters as segments:
 * write:segments). A clustering saved here is shown at once as the one picked.
 */
export default function DiscoveryView() {
  const [reload, setReload] = useState(0);
  const [picked, setPicked] = useState<string | null>(null);
  return (
    <>
      <h1>Discovery</h1>
      <SavedClusterings reload={reload} picked={picked} onPick={setPicked} />
      <FindClusters
        onSaved={(name) => {
          setPicked(name);
          setReload((n) => n + 1);
        }}
      />
    </>
  );
}
