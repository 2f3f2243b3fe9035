import { useState } from "preact/hooks";
import { get } from "../api";
import type { Column } from "../components/data-table";
import { Card } from "../components/status";
import { formatCount, formatTime } from "../format";
import { useLoad } from "../hooks";
import { useCan, useMe } from "../me";
import { AuditEntries } from "./privacy/audit-entries";
import { Coverage } from "./privacy/coverage";
import { EraseForm } from "./privacy/erase-form";
import { RetentionPeriods, Settings } from "./privacy/settings";
import type { AuditEntry, ConsentCoverage, PrivacySettings, Retention } from "./privacy/types";
import "./privacy.css";

/** The audit log's actions that are people's requests, and what the view calls them. */
const REQUESTS: Record<string, string> = { "privacy.erase": "Erasure", "privacy.export": "Access request" };

const when: Column<AuditEntry> = {
  label: "When",
  value: (e) => (
    <time dateTime={e.at} class="nowrap">
      {formatTime(e.at)}
    </time>
  ),
};
const who: Column<AuditEntry> = { label: "Who", value: (e) => e.who };
const people: Column<AuditEntry> = { label: "People", value: (e) => formatCount(e.people), numeric: true };

/** Erasures and access requests as the audit log recorded them: when, who, how many people — never whom. */
function Requests({ version }: { version: number }) {
  return (
    <Card title="Requests: erasure and access" id="requests">
      <AuditEntries
        id="requests"
        caption="Erasures and access requests, newest first"
        actions={Object.keys(REQUESTS)}
        pageSize={10}
        version={version}
        columns={[
          when,
          who,
          { label: "Request", value: (e) => REQUESTS[e.action ?? ""] ?? e.action },
          people,
        ]}
      />
    </Card>
  );
}

function AuditLog({ version }: { version: number }) {
  return (
    <Card title="Audit log" id="audit-log" wide>
      <p class="muted">
        Every sensitive action — reads of person-level data, exports, erasures, setting changes —
        hash-chained; it names callers and actions, never customers.
      </p>
      <AuditEntries
        id="audit-log"
        caption="Audit log entries, newest first"
        choose
        pageSize={20}
        version={version}
        columns={[
          { label: "#", value: (e) => (e.seq === null ? "—" : String(e.seq)), numeric: true },
          when,
          who,
          { label: "What", value: (e) => <code>{e.what}</code> },
          people,
        ]}
      />
    </Card>
  );
}

/** What a role without privacy administration is told instead of being shown (nothing of it is asked for). */
function NotAdministered({ role }: { role: string }) {
  return (
    <Card title="Privacy administration" id="administration">
      <p data-figure="not-administered">
        Requests (erasure and access), the audit log, the retention periods and erasing a person are privacy
        administration: they need the <code>manage:privacy</code> permission, which only admins have. Your
        key's role ({role}) does not, so they are not shown here.
      </p>
    </Card>
  );
}

/**
 * Privacy: consent coverage for every role that reads reports; for privacy administrators (manage:privacy) also
 * the requests, the erase form, retention and the audit log. A route the role may not call is never asked.
 */
export default function PrivacyView() {
  const can = useCan();
  const me = useMe();
  const admin = can("manage:privacy");
  const aggregates = can("read:aggregates");
  // Moves on after an erasure: what it changed (coverage, requests, the log) is read again.
  const [version, setVersion] = useState(0);
  const coverage = useLoad(
    (signal) =>
      aggregates ? get<ConsentCoverage>("/api/privacy/consent-coverage", undefined, signal) : null,
    [aggregates, version],
  );
  // Under differential privacy an analyst is answered only noised reports, which the settings are not: for an
  // analyst the coverage (asked first) says whether noise applies, and the settings are not asked then (nor after
  // a refusal). Other roles are never answered with noise.
  const noised = coverage.data?.noise != null;
  const wantSettings = aggregates && (me.role !== "analyst" || (coverage.data !== undefined && !noised));
  const settings = useLoad(
    (signal) => (wantSettings ? get<PrivacySettings>("/api/privacy/settings", undefined, signal) : null),
    [wantSettings],
  );
  const retention = useLoad(
    (signal) => (admin ? get<Retention>("/api/privacy/retention", undefined, signal) : null),
    [admin],
  );
  return (
    <>
      <h1>Privacy</h1>
      {aggregates ? <Coverage coverage={coverage} /> : null}
      {admin ? (
        <>
          <Requests version={version} />
          <Card title="Erase a person" id="erase">
            <EraseForm onErased={() => setVersion((v) => v + 1)} />
          </Card>
        </>
      ) : null}
      {wantSettings ? (
        <Settings settings={settings} />
      ) : noised ? (
        <Card title="Privacy settings" id="settings">
          <p class="muted">
            Not shown while differential privacy applies to your role: only noised reports are released to it.
          </p>
        </Card>
      ) : null}
      {admin ? (
        <>
          <RetentionPeriods retention={retention} />
          <AuditLog version={version} />
        </>
      ) : (
        <NotAdministered role={me.role} />
      )}
    </>
  );
}
