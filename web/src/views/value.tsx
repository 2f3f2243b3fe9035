import { get } from "../api";
import { Card, ErrorBox, Loading } from "../components/status";
import { useLoad } from "../hooks";
import { ClvCard, CohortCard } from "./value/clv";
import { RfmGrid, RfmSegments } from "./value/rfm";
import type { RfmReport, Stored } from "./value/types";
import "./value.css";

/** The stored RFM scores' grid and segments (GET /api/rfm: a read, whoever may see aggregates). */
function Rfm() {
  const rfm = useLoad((signal) => get<Stored<RfmReport>>("/api/rfm", undefined, signal), []);
  const r = rfm.data;
  if (rfm.error || !r || !r.stored)
    return (
      <Card title="RFM grid" id="rfm-grid">
        {rfm.error ? (
          <ErrorBox error={rfm.error} />
        ) : !r ? (
          <Loading what="the RFM scores" />
        ) : (
          <p class="muted">
            No RFM scores stored yet: <code>tessera rfm</code> stores them (an admin's or analyst's command).
          </p>
        )}
      </Card>
    );
  return (
    <>
      <RfmGrid report={r} />
      <RfmSegments report={r} />
    </>
  );
}

/**
 * Value: who the customers are worth — the RFM grid and segments of the stored scores, the distribution of the
 * predicted lifetime values, and how likely each first-purchase cohort is still to be active. Every figure is an
 * aggregate through the k-gate, read as stored (nothing is scored again by looking).
 */
export default function ValueView() {
  return (
    <>
      <h1>Value</h1>
      <Rfm />
      <ClvCard />
      <CohortCard />
    </>
  );
}
