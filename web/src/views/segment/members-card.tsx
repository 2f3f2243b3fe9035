import { useState } from "preact/hooks";
import { ApiError, get } from "../../api";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatCount, suppressedText } from "../../format";
import { useCan, useMe } from "../../me";

interface Members {
  readonly customers: readonly string[];
  readonly leftOut: {
    readonly noConsent: number | null;
    readonly suppressionList: number | null;
    readonly suppressed: boolean;
  };
}

/** How many ids a page of members lists. */
const LIMIT = 200;

/** Purposes of the consent ledger the gate knows by name; any other may be typed. */
const PURPOSES = ["marketing", "personalization", "analytics"];

/**
 * The segment's members, only through the consent gate (GET /api/segments/{id}/members, read:consented-people):
 * those who consented to the purpose chosen on the channel chosen, less the suppression list. Nothing is asked
 * until the purpose and channel are chosen and the button pressed — each answer is recorded in the audit log as
 * people named. A role without the permission (an analyst) is told why, and the page never asks.
 */
export function MembersCard({
  id,
  channels,
  minGroup,
}: {
  id: string;
  channels: readonly string[];
  minGroup: number;
}) {
  const can = useCan();
  const me = useMe();
  const [purpose, setPurpose] = useState("marketing");
  const [channel, setChannel] = useState("");
  const [state, setState] = useState<{ loading?: boolean; data?: Members; error?: Error; asked?: string }>(
    {},
  );
  if (!can("read:consented-people"))
    return (
      <Card title="Members" id="members">
        <p class="muted" data-why-not="members">
          Your key's role ({me.role}) may not see people: members are listed only to a role with
          read:consented-people (a marketer or an admin), and only those who consented to the use chosen.
        </p>
      </Card>
    );
  const chosen = channel || channels[0] || "email";
  /** The API's refusal of a field of the form (its message), shown at the field. */
  const fieldError = (field: string): string | null =>
    state.error instanceof ApiError && state.error.path === field ? state.error.message : null;
  const show = async () => {
    setState({ loading: true });
    try {
      const data = await get<Members>(`/api/segments/${encodeURIComponent(id)}/members`, {
        purpose,
        channel: chosen,
        limit: LIMIT,
      });
      setState({ data, asked: `${purpose} by ${chosen}` });
    } catch (error) {
      setState({ error: error as Error });
    }
  };
  const left = state.data?.leftOut;
  const n = (x: number | null | undefined) =>
    x === null || x === undefined ? suppressedText(minGroup) : formatCount(x);
  return (
    <Card title="Members" id="members">
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void show();
        }}
      >
        <div>
          <label for="members-purpose">Purpose</label>
          <input
            id="members-purpose"
            list="members-purposes"
            value={purpose}
            required
            aria-invalid={fieldError("purpose") !== null}
            aria-describedby={fieldError("purpose") ? "members-purpose-error" : undefined}
            onInput={(e) => setPurpose((e.target as HTMLInputElement).value)}
          />
          <datalist id="members-purposes">
            {PURPOSES.map((p) => (
              <option value={p} />
            ))}
          </datalist>
        </div>
        <div>
          <label for="members-channel">Channel</label>
          <select
            id="members-channel"
            value={chosen}
            onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}
          >
            {(channels.length ? channels : ["email", "sms", "push"]).map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </div>
        <button type="submit">Show members</button>
      </form>
      {fieldError("purpose") ? (
        <p id="members-purpose-error" class="error" role="alert" data-field-error="purpose">
          Purpose: {fieldError("purpose")}
        </p>
      ) : null}
      <p class="muted">
        Only those who consented to the purpose on the channel are listed; each list is recorded in the audit
        log.
      </p>
      {state.loading ? <Loading what="the members" /> : null}
      {state.error && fieldError("purpose") === null ? <ErrorBox error={state.error} /> : null}
      {state.data ? (
        <>
          <p data-figure="members-count">
            {formatCount(state.data.customers.length)}
            {state.data.customers.length === LIMIT ? ` (the first ${LIMIT})` : ""} may be used for{" "}
            {state.asked}; left out: {n(left?.noConsent)} without consent, {n(left?.suppressionList)} on the
            suppression list.
          </p>
          <DataTable
            caption={`Members who may be used for ${state.asked}`}
            id="members"
            rows={state.data.customers}
            columns={[{ label: "Customer", value: (c) => <code>{c}</code> }]}
          />
        </>
      ) : null}
    </Card>
  );
}
