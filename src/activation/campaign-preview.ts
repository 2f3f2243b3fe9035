import { UserError } from "../errors.js";
import type { LeftOut } from "../privacy/consent-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { audienceNamed, withAudiencePeople } from "./audiences.js";
import { STAGED, withStagedPeople } from "./campaign-send.js";
import { type Campaign, campaignRecipients, compileCampaign } from "./campaigns.js";
import { withMessageFields } from "./message-fields.js";
import { renderMessage } from "./templates.js";

/** One rendered example of a preview. */
export interface PreviewExample {
  readonly customerId: string;
  /** Whether a send now would hold them out, or cap them (they would get nothing). */
  readonly heldOut: boolean;
  readonly capped: boolean;
  /** Whether they have a working address on the channel (email, sms). */
  readonly reachable: boolean;
  readonly scheduledAt: string;
  readonly subject?: string;
  readonly body?: string;
  /** What the template lacks for them (a send would be refused), or why it could not render. */
  readonly missing?: readonly string[];
  readonly error?: string;
}

/**
 * Renders a campaign's message for a few of its audience's consented members now — those a stable hash of the
 * campaign and their id puts first, or the one named (who must be among them: anyone else is refused, without
 * saying whether they exist or why they are not) — whatever the holdout and the cap would do with them.
 */
export async function previewCampaign(
  engine: Engine,
  campaign: Campaign,
  opts: { customer?: string; limit: number; at?: Date },
): Promise<{ examples: PreviewExample[]; leftOut: LeftOut; purpose: string }> {
  const at = opts.at ?? new Date();
  const audience = await audienceNamed(engine, campaign.audience, "audience");
  const compiled = await compileCampaign(engine, campaign);
  const d = engine.dialect;
  return withAudiencePeople(engine, audience, async (people) => {
    const recipients = campaignRecipients(engine, campaign, people.sql);
    const chosen = opts.customer
      ? sql`SELECT customer_id FROM (${recipients}) p WHERE customer_id = ${opts.customer}`
      : sql`SELECT customer_id FROM (${recipients}) p
             ORDER BY ${d.hash(sql`concat(${campaign.id}, customer_id)`)}, customer_id
             LIMIT ${sql.param(opts.limit, "integer")}`;
    const ids = (await engine.query(chosen)).column("customer_id") as string[];
    if (opts.customer && ids.length === 0)
      throw new UserError(
        "not-in-audience",
        `${opts.customer} is not among the consented members of audience ${audience.id} now (not in its segments, or without consent to ${audience.purpose} by ${audience.channel})${campaign.treats ? `, or not in variant ${campaign.treats.variant} of experiment ${campaign.treats.experiment}` : ""}`,
        "customer",
      );
    ids.sort();
    return withStagedPeople(engine, campaign, ids, chosen, at, (_candidates, status) =>
      // Every example is rendered, held out or capped too: a preview shows the message, not the send.
      withMessageFields(engine, campaign, compiled, STAGED, at, async (fields) => {
        const examples: PreviewExample[] = [];
        for (let i = 0; i < fields.count; i++) {
          const customerId = fields.customerId(i);
          const s = status[ids.indexOf(customerId)];
          const scope = fields.scope(i);
          const body = renderMessage(compiled.body, scope);
          const subject = compiled.subject ? renderMessage(compiled.subject, scope) : null;
          const failed = [body, subject].find((r) => r !== null && !r.ok);
          const missing = [body, subject].flatMap((r) => (r && !r.ok && r.missing ? r.missing : []));
          examples.push({
            customerId,
            heldOut: s === "held-out",
            capped: s === "capped",
            reachable:
              fields.address(i) !== null || campaign.channel === "push" || campaign.channel === "webhook",
            scheduledAt: fields.scheduledAt(i).toISOString(),
            ...(subject?.ok ? { subject: subject.text } : {}),
            ...(body.ok ? { body: body.text } : {}),
            ...(missing.length ? { missing: [...new Set(missing)] } : {}),
            ...(failed && !failed.ok && failed.error ? { error: failed.error } : {}),
          });
        }
        return { examples, leftOut: people.leftOut, purpose: audience.purpose };
      }),
    );
  });
}
