import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatTime } from "../../format";
import type { Loaded } from "../../hooks";
import type { PrivacySettings, Retention } from "./types";

const shown = (v: string | number | boolean | null) =>
  v === null ? "—" : typeof v === "boolean" ? (v ? "on" : "off") : String(v);

const setBy = (at: string | null, by: string | null) =>
  at === null ? <span class="muted">default</span> : `${formatTime(at)} by ${by ?? "—"}`;

/** The privacy settings in force (`GET /api/privacy/settings`): k and differential privacy, read-only. */
export function Settings({ settings }: { settings: Loaded<PrivacySettings> }) {
  const s = settings.data;
  return (
    <Card title="Privacy settings" id="settings">
      {settings.error ? (
        <ErrorBox error={settings.error} />
      ) : !s ? (
        <Loading what="the privacy settings" />
      ) : (
        <>
          <DataTable
            caption="In force; an admin changes them with tessera privacy settings set"
            id="settings"
            rows={s.settings}
            columns={[
              {
                label: "Setting",
                value: (x) => (
                  <>
                    <code>{x.name}</code>
                    <span class="setting-meaning">{x.description}</span>
                  </>
                ),
              },
              { label: "Value", value: (x) => shown(x.value) },
              { label: "Default", value: (x) => shown(x.default) },
              { label: "Last set", value: (x) => setBy(x.updatedAt, x.updatedBy) },
            ]}
          />
          <p class="muted">k is never below {s.minGroupFloor}.</p>
        </>
      )}
    </Card>
  );
}

/** How long each kind of data is kept (`GET /api/privacy/retention`), read-only. */
export function RetentionPeriods({ retention }: { retention: Loaded<Retention> }) {
  const r = retention.data;
  return (
    <Card title="Retention periods" id="retention">
      {retention.error ? (
        <ErrorBox error={retention.error} />
      ) : !r ? (
        <Loading what="the retention periods" />
      ) : (
        <DataTable
          caption="How long each kind of data is kept; the server removes what has expired once a day"
          id="retention"
          rows={r.periods}
          columns={[
            { label: "Kind", value: (p) => p.kind },
            { label: "Kept for", value: (p) => p.period ?? "ever" },
            { label: "Last set", value: (p) => setBy(p.updatedAt, p.updatedBy) },
          ]}
        />
      )}
    </Card>
  );
}
