import { useEffect, useState } from "preact/hooks";
import { ApiError, get } from "../../api";
import { Card, ErrorBox, Loading, NotPermitted } from "../../components/status";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { useCan } from "../../me";
import { navigate } from "../../router";
import type { Campaign, CampaignPreview, PreviewExample, SizedAudience } from "./types";

/** Markup in a message: an element's tag (`<p>`, `</strong>`), not a lone `<` of text. */
const MARKUP = /<\/?[a-z][a-z0-9-]*(\s[^<>]*)?\/?>/i;

/**
 * The page a message's HTML is shown in. The message is rendered from a template anyone with `write:activation`
 * wrote, with customers' data in it: untrusted. It goes only into a sandboxed frame (no scripts, no forms, an
 * origin of its own), whose own policy also refuses every fetch (a tracking pixel, a remote font): no request
 * leaves the machine because of a preview.
 */
function framedHtml(body: string): string {
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    "<style>body{font:15px system-ui,sans-serif;color:#1c2430;margin:10px 12px}</style>",
    `</head><body>${body}</body></html>`,
  ].join("");
}

/** A message's body: HTML in a sandboxed frame, text as text (never as markup in this page). */
function MessageBody({ body, channel, who }: { body: string; channel: string; who: string }) {
  if (channel === "email" && MARKUP.test(body))
    return (
      <iframe
        class="message-frame"
        title={`The message's HTML as rendered for ${who} (sandboxed: no scripts)`}
        sandbox=""
        srcdoc={framedHtml(body)}
      />
    );
  return <pre class="message-text">{body}</pre>;
}

function Example({ e, channel }: { e: PreviewExample; channel: string }) {
  const notes = [
    e.heldOut ? "held out: a send now gives them nothing" : null,
    e.capped ? "over the frequency cap: a send now gives them nothing" : null,
    e.reachable ? null : `no working address on ${channel}: unreachable`,
  ].filter((n): n is string => n !== null);
  const headingId = `example-${e.customerId}`;
  return (
    <article class="message" aria-labelledby={headingId} data-example={e.customerId}>
      <h3 id={headingId}>
        <code>{e.customerId}</code>{" "}
        <span class="muted">
          · {channel} at {formatTime(e.scheduledAt)}
        </span>
      </h3>
      {notes.length ? <p class="message-notes">{notes.join("; ")}</p> : null}
      {e.missing?.length ? (
        <p class="error">
          The template lacks {e.missing.join(", ")} for them: a send would be refused (add a{" "}
          <code>default</code> or a condition).
        </p>
      ) : null}
      {e.error ? <p class="error">{e.error}</p> : null}
      {e.subject !== undefined ? (
        <p class="message-subject">
          <span class="muted">Subject: </span>
          {e.subject}
        </p>
      ) : null}
      {e.body !== undefined ? <MessageBody body={e.body} channel={channel} who={e.customerId} /> : null}
    </article>
  );
}

/** The campaign chosen in the page's address (`?campaign=ID`), else the first. */
function chosenCampaign(campaigns: readonly Campaign[]): string | undefined {
  const asked = new URLSearchParams(window.location.search).get("campaign");
  return campaigns.find((c) => c.id === asked)?.id ?? campaigns[0]?.id;
}

/**
 * A campaign's message rendered for real consented members of its audience — its segments' people for its purpose
 * on its channel — or for one member named. A preview names people: only a role with `read:consented-people` may
 * ask (each is recorded in the audit log).
 */
export function MessagePreview({
  campaigns,
  audiences,
}: {
  campaigns: readonly Campaign[];
  audiences: readonly SizedAudience[];
}) {
  const can = useCan();
  const allowed = can("read:consented-people");
  const [campaign, setCampaign] = useState(() => chosenCampaign(campaigns));
  const [typed, setTyped] = useState("");
  const [customer, setCustomer] = useState<string | undefined>(undefined);
  // Back and forward move between the campaigns chosen (each choice is an address of its own).
  useEffect(() => {
    const follow = () => {
      setCampaign(chosenCampaign(campaigns));
      setCustomer(undefined);
      setTyped("");
    };
    window.addEventListener("popstate", follow);
    return () => window.removeEventListener("popstate", follow);
  }, [campaigns]);
  const preview = useLoad(
    (signal) =>
      allowed && campaign
        ? get<CampaignPreview>(
            `/api/campaigns/${encodeURIComponent(campaign)}/preview`,
            { limit: 3, customer },
            signal,
          )
        : null,
    [allowed, campaign, customer],
  );
  if (!allowed)
    return (
      <Card title="Message preview" id="preview" wide>
        <NotPermitted permission="read:consented-people (a preview renders messages for real, named members)" />
      </Card>
    );
  if (!campaign)
    return (
      <Card title="Message preview" id="preview" wide>
        <p class="muted">No campaign to preview.</p>
      </Card>
    );
  const c = campaigns.find((x) => x.id === campaign);
  const audience = audiences.find((a) => a.id === c?.audience);
  // While the next answer loads, the last one's error no longer stands.
  const error = preview.loading ? undefined : preview.error;
  const fieldError = error instanceof ApiError && error.path === "customer" ? error : null;
  return (
    <Card title="Message preview" id="preview" wide>
      <form
        class="controls"
        onSubmit={(e) => {
          e.preventDefault();
          setCustomer(typed.trim() || undefined);
        }}
      >
        <div>
          <label for="preview-campaign">Campaign</label>
          <select
            id="preview-campaign"
            value={campaign}
            onChange={(e) => {
              const id = (e.target as HTMLSelectElement).value;
              setCampaign(id);
              setCustomer(undefined);
              setTyped("");
              navigate(`/activation?campaign=${encodeURIComponent(id)}`);
            }}
          >
            {campaigns.map((x) => (
              <option value={x.id}>
                {x.id} ({x.channel}, audience {x.audience})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="preview-customer">For one member (customer id)</label>
          <input
            id="preview-customer"
            value={typed}
            placeholder="a few members"
            autocomplete="off"
            spellcheck={false}
            aria-invalid={fieldError ? "true" : undefined}
            aria-describedby={fieldError ? "preview-customer-error" : undefined}
            onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit">Render</button>
      </form>
      {fieldError ? (
        <p class="error field-error" id="preview-customer-error" role="alert">
          {fieldError.message}
        </p>
      ) : null}
      <p class="muted" data-figure="preview-audience">
        Rendered for {customer ? `member ${customer}` : "a few consented members"} of audience{" "}
        <code>{c?.audience}</code>
        {audience ? (
          <>
            {" "}
            — <code>{audience.where}</code>, {audience.purpose} by {audience.channel}
          </>
        ) : null}
        , as a send now would render it.
      </p>
      {error ? (
        fieldError ? null : (
          <ErrorBox error={error} />
        )
      ) : preview.loading || !preview.data ? (
        <Loading what="the preview" />
      ) : preview.data.examples.length === 0 ? (
        <p class="muted">Nobody in the audience can be sent this now (no consented member).</p>
      ) : (
        <div class="messages">
          {preview.data.examples.map((e) => (
            <Example e={e} channel={preview.data?.channel ?? ""} key={e.customerId} />
          ))}
        </div>
      )}
    </Card>
  );
}
