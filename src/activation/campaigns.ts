import { z } from "zod";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import { variantPeopleSql } from "../experiments/assignment.js";
import { experimentNamed } from "../experiments/experiments.js";
import { HOLDOUT_VARIANT } from "../experiments/variants.js";
import { BUILT_IN_TRAITS, type ValueType } from "../segments/schema-context.js";
import { type ComputedValue, listComputed } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { listTraits } from "../store/trait-registry.js";
import { AUDIENCE_ID, type Audience, audienceNamed } from "./audiences.js";
import { type FrequencyCap, parseFrequencyCap } from "./frequency-cap.js";
import { checkHoldout, parseHoldout } from "./holdout.js";
import { type SavedTable, savedRow, savedRows } from "./saved-definitions.js";
import { parseSendWindow } from "./send-times.js";
import {
  checkVariables,
  compileTemplate,
  MAX_TEMPLATE_CHARS,
  type MessageTemplate,
  type TemplateVocabulary,
} from "./templates.js";

/**
 * Campaigns (issue 18, item 3): a message (a Liquid template, src/activation/templates.ts), an offer, a channel
 * and a timing for an audience. Saved in `campaigns` (migration 14) with the template's text, so that every send
 * renders what was checked when it was created; sends are src/activation/campaign-send.ts.
 */

/** The channels a campaign sends on; it must be its audience's (the one its people consented to). */
export const CAMPAIGN_CHANNELS = ["email", "sms", "push", "webhook"] as const;
export type CampaignChannel = (typeof CAMPAIGN_CHANNELS)[number];

/** The customers column holding each channel's address; push and webhook reach people by their customer id. */
export const ADDRESS_COLUMN: Readonly<Record<CampaignChannel, string | null>> = {
  email: "email",
  sms: "phone",
  push: null,
  webhook: null,
};

/** A named offer carried into the message as `offer`: its name and text values (`{name, code, discount}`). */
export type Offer = Readonly<Record<string, string>> & { readonly name: string };

const OFFER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const OFFER_KEY = /^[a-z_][a-z0-9_]{0,63}$/;
const MAX_OFFER_KEYS = 20;
const MAX_OFFER_VALUE = 500;

/** Checks an offer given as an object (the API's form): a name, and at most 20 keys of text. */
function checkOffer(o: Record<string, unknown>, where: string): Offer {
  const name = o.name;
  if (typeof name !== "string" || !OFFER_NAME.test(name))
    throw new UserError(
      "bad-offer",
      "an offer's name is letters, digits, - and _ (at most 64), starting with a letter or digit",
      where,
    );
  const keys = Object.keys(o).filter((k) => k !== "name");
  if (keys.length > MAX_OFFER_KEYS)
    throw new UserError("bad-offer", `an offer has at most ${MAX_OFFER_KEYS} keys besides its name`, where);
  for (const k of keys) {
    if (!OFFER_KEY.test(k))
      throw new UserError(
        "bad-offer",
        `offer key "${k}": lower-case letters, digits and _, starting with a letter or _ (a template reads it as offer.${k})`,
        where,
      );
    const v = o[k];
    if (typeof v !== "string" || v.length > MAX_OFFER_VALUE || /\p{Cc}/u.test(v))
      throw new UserError(
        "bad-offer",
        `offer key "${k}": a text of at most ${MAX_OFFER_VALUE} characters without control characters`,
        where,
      );
  }
  return Object.fromEntries([["name", name], ...keys.map((k) => [k, o[k] as string])]) as Offer;
}

/**
 * Reads `--offer`: a name (`winback10`), or a name with values its message reads (`winback10:code=WB10,discount=10%`
 * → `offer.code`, `offer.discount`). Values hold no commas (the API takes the offer as an object instead).
 */
export function parseOffer(text: string, where = "--offer"): Offer {
  const colon = text.indexOf(":");
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const o: Record<string, string> = { name };
  if (colon >= 0)
    for (const pair of text.slice(colon + 1).split(",")) {
      const eq = pair.indexOf("=");
      if (eq < 0)
        throw new UserError(
          "bad-offer",
          `"${pair.trim()}" is not key=value: write NAME or NAME:key=value,key=value (e.g. winback10:code=WB10,discount=10%)`,
          where,
        );
      const key = pair.slice(0, eq).trim();
      if (key === "name" || key in o)
        throw new UserError(
          "bad-offer",
          `offer key "${key}" is given twice (the name is the part before :)`,
          where,
        );
      o[key] = pair.slice(eq + 1).trim();
    }
  return checkOffer(o, where);
}

/** Runs a parser of text inside a zod transform: its UserError becomes the field's issue. */
function viaParser<T>(parse: (text: string, where: string) => T, field: string) {
  return (v: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(v, field);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      ctx.addIssue({ code: "custom", message: e.reason });
      return z.NEVER;
    }
  };
}

export const CAMPAIGN_ID = AUDIENCE_ID;

export const CampaignSchema = z.strictObject({
  id: z
    .string()
    .regex(CAMPAIGN_ID, "lower-case letters, digits, - and _ (at most 64), starting with a letter or digit"),
  /** The audience it sends to. */
  audience: z.string({ error: "an audience is required" }),
  /** Default: the audience's channel (which it must be). */
  channel: z
    .enum(CAMPAIGN_CHANNELS, { error: `a channel is one of ${CAMPAIGN_CHANNELS.join(", ")}` })
    .optional(),
  /** The message: a Liquid template's text. */
  template: z
    .string({ error: "a template is required" })
    .min(1, "the template is empty")
    .max(
      MAX_TEMPLATE_CHARS,
      `a template is at most ${MAX_TEMPLATE_CHARS.toLocaleString("en-US")} characters`,
    ),
  /** The template's file name, to name it in errors and `campaign show`. */
  templateName: z.string().min(1).max(200).optional(),
  /** The subject line (a Liquid template too): required for email, a title for push, none for SMS. */
  subject: z
    .string()
    .min(1, "the subject is empty")
    .max(2000, "a subject is at most 2,000 characters")
    .optional(),
  /** `NAME` or `NAME:key=value,…`, or `{name, key: value…}`. */
  offer: z
    .union([z.string().transform(viaParser(parseOffer, "offer")), z.record(z.string(), z.unknown())])
    .transform((v, ctx) => {
      try {
        return checkOffer(v, "offer");
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        ctx.addIssue({ code: "custom", message: e.reason });
        return z.NEVER;
      }
    })
    .optional(),
  /** A share held out, as `10%` or a number from 0 up to (not including) 1. */
  holdout: z
    .union([
      z.string().transform(viaParser(parseHoldout, "holdout")),
      z.number().transform((n, ctx) => viaParser((_: string, w) => checkHoldout(n, w), "holdout")("", ctx)),
    ])
    .optional(),
  /** At most N messages per person per period on the channel, across campaigns: `2/7d`. */
  frequencyCap: z.string().transform(viaParser(parseFrequencyCap, "frequencyCap")).optional(),
  /** Each person at their best hour within this window: `24h`. */
  sendWindow: z.string().transform(viaParser(parseSendWindow, "sendWindow")).optional(),
  /**
   * An experiment's treatment: the campaign goes only to the audience's people assigned to `variant` of
   * `experiment` (issue 20); both or neither.
   */
  experiment: z.string().min(1).optional(),
  variant: z.string().min(1).optional(),
});
export type CampaignDefinition = z.output<typeof CampaignSchema>;

/** The variant of an experiment a campaign treats. */
export interface Treatment {
  readonly experiment: string;
  readonly variant: string;
}

/** A saved campaign. */
export interface Campaign {
  readonly id: string;
  readonly audience: string;
  readonly channel: CampaignChannel;
  readonly template: string;
  readonly templateName: string;
  readonly subject: string | null;
  readonly offer: Offer | null;
  /** The share held out (0 to < 1). */
  readonly holdout: number;
  readonly frequencyCap: FrequencyCap | null;
  /** The send window in hours, or null: everyone at the send's time. */
  readonly sendWindowHours: number | null;
  /** The experiment variant it treats (only its people are sent to), or null: the whole audience. */
  readonly treats: Treatment | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** What templates may read in this database now: traits by type, computed values, and the offer's keys. */
export interface CampaignVocabulary extends TemplateVocabulary {
  readonly traitTypes: ReadonlyMap<string, ValueType>;
  readonly computedValues: ReadonlyMap<string, ComputedValue>;
}

export async function campaignVocabulary(engine: Engine, offer: Offer | null): Promise<CampaignVocabulary> {
  const traitTypes = new Map<string, ValueType>([["customer_id", "string"], ...BUILT_IN_TRAITS]);
  for (const t of await listTraits(engine)) traitTypes.set(t.name, t.type);
  const computedValues = new Map((await listComputed(engine)).map((c) => [c.name, c]));
  return {
    traits: new Set(traitTypes.keys()),
    traitTypes,
    computed: new Set(computedValues.keys()),
    computedValues,
    offer: offer ? Object.keys(offer) : null,
  };
}

/** A campaign's templates, compiled and checked against what the database holds now. */
export interface CompiledCampaign {
  readonly body: MessageTemplate;
  readonly subject: MessageTemplate | null;
  readonly vocabulary: CampaignVocabulary;
}

/** Compiles a campaign's body and subject and checks the variables they read (errors name line and column). */
export async function compileCampaign(
  engine: Engine,
  c: Pick<Campaign, "template" | "templateName" | "subject" | "offer">,
): Promise<CompiledCampaign> {
  const body = compileTemplate(c.template, c.templateName);
  const subject = c.subject === null ? null : compileTemplate(c.subject, "subject");
  const vocabulary = await campaignVocabulary(engine, c.offer);
  checkVariables(body, vocabulary);
  if (subject) checkVariables(subject, vocabulary);
  return { body, subject, vocabulary };
}

/** The channel a campaign sends on: the audience's, which must be one a campaign can send on. */
function campaignChannel(asked: CampaignChannel | undefined, audience: Audience): CampaignChannel {
  const own = audience.channel;
  if (asked !== undefined && asked !== own)
    throw new UserError(
      "channel-mismatch",
      `audience ${audience.id} is for ${audience.purpose} by ${own}: its people consented to ${own}, not ${asked} (create an audience on ${asked})`,
      "channel",
    );
  if (!(CAMPAIGN_CHANNELS as readonly string[]).includes(own))
    throw new UserError(
      "channel-mismatch",
      `audience ${audience.id} is on ${own}: a campaign sends on ${CAMPAIGN_CHANNELS.join(", ")}`,
      "audience",
    );
  return own as CampaignChannel;
}

/**
 * The experiment variant a campaign treats, checked: the experiment exists and the variant is one of its variants
 * (not its holdout, which nobody treats).
 */
async function treatmentOf(engine: Engine, def: CampaignDefinition): Promise<Treatment | null> {
  if (def.experiment === undefined && def.variant === undefined) return null;
  if (def.experiment === undefined || def.variant === undefined)
    throw new UserError(
      "bad-input",
      "a campaign treats one variant of an experiment: give both the experiment and the variant",
      def.experiment === undefined ? "experiment" : "variant",
    );
  const e = await experimentNamed(engine, def.experiment, "experiment");
  const names = e.variants.map((v) => v.name);
  if (!names.includes(def.variant))
    throw new UserError(
      "unknown-variant",
      `experiment ${e.id} has no variant "${def.variant}"${didYouMean(def.variant, names)}: its variants are ${names.join(", ")}${def.variant === HOLDOUT_VARIANT ? " (its holdout is treated by nobody)" : ""}`,
      "variant",
    );
  return { experiment: e.id, variant: def.variant };
}

/**
 * Who of an audience's consented people a campaign reaches: all of them, or, for a campaign that treats a variant of
 * an experiment, those assigned to it.
 */
export function campaignRecipients(engine: Engine, campaign: Campaign, people: Sql): Sql {
  if (campaign.treats === null) return people;
  const variant = variantPeopleSql(engine, campaign.treats.experiment, campaign.treats.variant);
  return sql`SELECT customer_id FROM (${people}) r WHERE customer_id IN (${variant})`;
}

/** Saves a new campaign after checking its audience, channel, templates, offer and the variant it treats. */
export async function saveCampaign(engine: Engine, def: CampaignDefinition, who: string): Promise<Campaign> {
  const audience = await audienceNamed(engine, def.audience, "audience");
  const channel = campaignChannel(def.channel, audience);
  if (channel === "email" && def.subject === undefined)
    throw new UserError("bad-input", "an email needs a subject (--subject, a template too)", "subject");
  if (channel === "sms" && def.subject !== undefined)
    throw new UserError("bad-input", "an SMS has no subject: put everything in the template", "subject");
  const taken = await engine.query(
    sql`SELECT campaign_id FROM campaigns WHERE campaign_id = ${def.id}
        UNION ALL SELECT campaign_id FROM campaign_sends WHERE campaign_id = ${def.id}`,
  );
  if (taken.rowCount)
    throw new UserError(
      "duplicate-campaign",
      `campaign "${def.id}" exists, or was sent and removed (its sends are kept): choose another id`,
      "id",
    );
  const treats = await treatmentOf(engine, def);
  const templateName = def.templateName ?? "template";
  await compileCampaign(engine, {
    template: def.template,
    templateName,
    subject: def.subject ?? null,
    offer: def.offer ?? null,
  });
  const d = engine.dialect;
  const text = (v: string | null | undefined) => sql.param(v ?? null, "string");
  await engine.run(
    sql`INSERT INTO campaigns (campaign_id, audience_id, channel, template, subject, template_name, offer, holdout,
                               frequency_cap, send_window, destination_id, experiment_id, variant, created_at,
                               created_by)
        VALUES (${def.id}, ${audience.id}, ${channel}, ${def.template}, ${text(def.subject)}, ${templateName},
                ${text(def.offer ? JSON.stringify(def.offer) : null)}, ${sql.param(def.holdout ?? 0, "number")},
                ${text(def.frequencyCap?.text)}, ${text(def.sendWindow === undefined ? null : `${def.sendWindow}h`)},
                ${text(null)}, ${text(treats?.experiment)}, ${text(treats?.variant)}, ${d.now()}, ${who})`,
  );
  return campaignNamed(engine, def.id);
}

const COLUMNS = sql`campaign_id, audience_id, channel, template, subject, template_name, offer, holdout,
  frequency_cap, send_window, experiment_id, variant, created_at, created_by`;

function campaignOf(r: Record<string, unknown>): Campaign {
  const offer = r.offer === null || r.offer === undefined ? null : r.offer;
  const at = r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at));
  const window = typeof r.send_window === "string" ? r.send_window : null;
  return {
    id: r.campaign_id as string,
    audience: r.audience_id as string,
    channel: r.channel as CampaignChannel,
    template: r.template as string,
    templateName: (r.template_name as string | null) ?? "template",
    subject: (r.subject as string | null) ?? null,
    offer: offer === null ? null : ((typeof offer === "string" ? JSON.parse(offer) : offer) as Offer),
    holdout: Number(r.holdout ?? 0),
    frequencyCap:
      typeof r.frequency_cap === "string" ? parseFrequencyCap(r.frequency_cap, "frequency_cap") : null,
    sendWindowHours: window ? parseSendWindow(window, "send_window") : null,
    treats:
      typeof r.experiment_id === "string" && typeof r.variant === "string"
        ? { experiment: r.experiment_id, variant: r.variant }
        : null,
    createdAt: at.toISOString(),
    createdBy: r.created_by as string,
  };
}

const SAVED: SavedTable = { table: "campaigns", key: "campaign_id", columns: COLUMNS, noun: "campaign" };

/** Every saved campaign, by id. */
export async function listCampaigns(engine: Engine): Promise<Campaign[]> {
  return (await savedRows(engine, SAVED)).map(campaignOf);
}

/** A saved campaign; an unknown id is refused with the nearest one suggested. */
export async function campaignNamed(engine: Engine, id: string, where = "id"): Promise<Campaign> {
  return campaignOf(await savedRow(engine, SAVED, id, where));
}

/**
 * Removes a campaign. What it sent stays recorded (`campaign_sends`): frequency caps go on counting those
 * messages, and its id is not given to another campaign.
 */
export async function removeCampaign(engine: Engine, id: string): Promise<void> {
  await campaignNamed(engine, id);
  await engine.run(engine.dialect.deleteWhere("campaigns", sql`campaign_id = ${id}`));
}
