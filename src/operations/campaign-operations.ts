import { z } from "zod";
import { audienceNamed } from "../activation/audiences.js";
import { cancelCampaignDeliveries } from "../activation/campaign-outbox.js";
import type { PreviewExample } from "../activation/campaign-preview.js";
import { previewCampaign } from "../activation/campaign-preview.js";
import {
  campaignSends,
  SEND_STATUSES,
  type SendRecord,
  type SendSummary,
  sendSummaries,
} from "../activation/campaign-records.js";
import { type SendResult, sendCampaign } from "../activation/campaign-send.js";
import {
  type Campaign,
  CampaignSchema,
  campaignNamed,
  listCampaigns,
  removeCampaign,
  saveCampaign,
} from "../activation/campaigns.js";
import type { LeftOut } from "../privacy/consent-gate.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { sql } from "../store/sql.js";
import { defineOperation } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

/**
 * The `campaign` operations (issue 18, item 3): define, list, show and remove campaigns; preview their message on
 * real members of their audience; send them (an outbox file or a webhook destination's outbox, and a record of who
 * got what); list who got what.
 * People only through the audience's consent gate; what names people is recorded in the audit log with the
 * audience's purpose and channel.
 */

export const CampaignCreateInput = CampaignSchema;

/** `campaign.create`: saves a campaign after checking its audience, channel, templates and offer. */
export const campaignCreateOperation = defineOperation({
  name: "campaign.create",
  summary: "define a campaign: a message template, offer, channel and timing for an audience",
  input: CampaignCreateInput,
  access: "write",
  changes: ["activation"],
  run: async (session, input, _emit, caller): Promise<{ campaign: Campaign }> => ({
    campaign: await saveCampaign(session, input, caller.who),
  }),
});

export const CampaignListInput = z.object({}).strict();

/** `campaign.list`: the saved campaigns. */
export const campaignListOperation = defineOperation({
  name: "campaign.list",
  summary: "list campaigns: audience, channel, offer, holdout, cap and window",
  input: CampaignListInput,
  access: "read",
  run: async (session): Promise<{ campaigns: Campaign[] }> => ({ campaigns: await listCampaigns(session) }),
});

export const CampaignIdInput = z.object({ id: z.string() }).strict();

/** `campaign.show`: one campaign, its template, and its past sends with their counts (k-gated). */
export const campaignShowOperation = defineOperation({
  name: "campaign.show",
  summary: "a campaign: its template, offer, timing and past sends",
  input: CampaignIdInput,
  access: "read",
  run: async (session, { id }): Promise<{ campaign: Campaign; sends: SendSummary[]; minGroup: number }> => {
    const campaign = await campaignNamed(session, id);
    return { campaign, sends: await sendSummaries(session, id), minGroup: await reportMinGroup(session) };
  },
});

/**
 * `campaign.remove`: removes a campaign; what it sent stays recorded (caps count it). Its messages still waiting in a
 * destination's outbox are cancelled (never sent; their people's records become `undelivered`).
 */
export const campaignRemoveOperation = defineOperation({
  name: "campaign.remove",
  summary: "remove a campaign (what it sent stays recorded; messages not yet delivered are cancelled)",
  input: CampaignIdInput,
  access: "write",
  changes: ["activation"],
  run: async (session, { id }): Promise<{ removed: string; cancelled: number }> =>
    session.transaction(async () => {
      await campaignNamed(session, id);
      const cancelled = await cancelCampaignDeliveries(
        session,
        sql`campaign_id = ${id}`,
        `cancelled: campaign ${id} was removed`,
      );
      await removeCampaign(session, id);
      return { removed: id, cancelled };
    }),
});

export const CampaignPreviewInput = z
  .object({
    id: z.string(),
    /** One member to render for (they must be in the audience's consented members); default a few. */
    customer: z.string().min(1).optional(),
    /** How many members to render for (default 3). */
    limit: wholeNumber(1).max(50, "at most 50 examples").optional(),
  })
  .strict();

export interface CampaignPreview {
  readonly campaign: string;
  readonly audience: string;
  readonly purpose: string;
  readonly channel: string;
  readonly examples: PreviewExample[];
  readonly leftOut: LeftOut;
}

/** `campaign.preview`: the message rendered for real consented members of the audience. */
export const campaignPreviewOperation = defineOperation({
  name: "campaign.preview",
  summary: "render a campaign's message for a few consented members of its audience (or one named)",
  input: CampaignPreviewInput,
  access: "read",
  people: {
    count: (r: CampaignPreview) => r.examples.length,
    subject: (i) => `campaign=${i.id}`,
    use: (r: CampaignPreview) => r,
  },
  run: async (session, { id, customer, limit }): Promise<CampaignPreview> => {
    const campaign = await campaignNamed(session, id);
    const p = await previewCampaign(session, campaign, {
      ...(customer !== undefined ? { customer } : {}),
      limit: limit ?? 3,
    });
    return {
      campaign: id,
      audience: campaign.audience,
      purpose: p.purpose,
      channel: campaign.channel,
      examples: p.examples,
      leftOut: p.leftOut,
    };
  },
});

export const CampaignSendInput = z
  .object({
    id: z.string(),
    /** The outbox: a file of one JSON message per line (NDJSON). */
    out: z.string().min(1).optional(),
    /** Or a webhook destination: the messages go into its outbox, in deliveries of at most 500 messages. */
    destination: z.string().min(1).optional(),
    /** Replace `out` if it exists. */
    force: z.boolean().optional(),
    /** Render and count every message, write and record nothing. */
    dryRun: z.boolean().optional(),
  })
  .strict();

/**
 * `campaign.send`: renders every message, writes the outbox (a file, or a destination's deliveries: delivered
 * afterwards, by `destination.sync` or a server's worker) and records who got what, all or nothing.
 */
export const campaignSendOperation = defineOperation({
  name: "campaign.send",
  summary:
    "send a campaign: each message to an outbox file or a webhook destination, who got what recorded (all or nothing)",
  input: CampaignSendInput,
  access: "write",
  changes: ["activation"],
  people: {
    // The outbox holds the sent people's addresses and messages; a dry run names no one.
    count: (r: SendResult) => (r.dryRun ? 0 : r.sent),
    subject: (i) => `campaign=${i.id}${i.destination !== undefined ? ` destination=${i.destination}` : ""}`,
    use: (r: SendResult) => r,
  },
  run: async (session, { id, out, destination, force, dryRun }): Promise<SendResult> => {
    const campaign = await campaignNamed(session, id);
    return sendCampaign(session, campaign, {
      ...(out !== undefined ? { out } : {}),
      ...(destination !== undefined ? { destination } : {}),
      force: force === true,
      dryRun: dryRun === true,
    });
  },
});

export const CampaignSendsInput = z
  .object({
    id: z.string(),
    /** Only this send's records. */
    send: z.string().min(1).optional(),
    /** Only this outcome. */
    status: z.enum(SEND_STATUSES, { error: `a status is one of ${SEND_STATUSES.join(", ")}` }).optional(),
    /** At most this many records. */
    limit: wholeNumber(1).optional(),
  })
  .strict();

export interface CampaignSends {
  readonly campaign: string;
  readonly purpose: string;
  readonly channel: string;
  readonly sends: SendRecord[];
}

/** `campaign.sends`: who got what — each person's outcome in each send (ids). */
export const campaignSendsOperation = defineOperation({
  name: "campaign.sends",
  summary: "who got what: each person's outcome in a campaign's sends (sent, held-out, capped, unreachable)",
  input: CampaignSendsInput,
  access: "read",
  people: {
    count: (r: CampaignSends) => new Set(r.sends.map((s) => s.customerId)).size,
    subject: (i) => `campaign=${i.id}`,
    use: (r: CampaignSends) => r,
  },
  run: async (session, { id, send, status, limit }): Promise<CampaignSends> => {
    const campaign = await campaignNamed(session, id);
    const audience = await audienceNamed(session, campaign.audience, "audience");
    return {
      campaign: id,
      purpose: audience.purpose,
      channel: campaign.channel,
      sends: await campaignSends(session, id, {
        ...(send !== undefined ? { sendId: send } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(limit !== undefined ? { limit } : {}),
      }),
    };
  },
});
