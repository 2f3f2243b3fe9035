/**
 * The files a budget plan reads (issue 19, item 4): channel costs and per-segment bounds, each a small CSV a
 * marketer writes by hand. Parsed here so every error names the file, the line and the field; the operation
 * takes the parsed values (an API body gives the same objects as JSON).
 *
 *   channel,cost          segment,min,max        (first column: segment, audience or key;
 *   email,0.02            vip,500,               a blank min is 0, a blank max unbounded)
 *   sms,0.08              lapsed,,2000
 */
import { CAMPAIGN_CHANNELS, type CampaignChannel } from "../activation/campaigns.js";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";

/** Cost of one contact on each channel, in the currency of the orders. */
export type ChannelCosts = Partial<Record<CampaignChannel, number>>;

/**
 * What one contact costs when no file says (a placeholder for a plan to start from, said in every plan's notes):
 * an email or webhook message 0.10, an SMS 0.20, a push notification 0.05 — creative and delivery together.
 */
export const DEFAULT_CHANNEL_COSTS: Readonly<Record<CampaignChannel, number>> = {
  email: 0.1,
  sms: 0.2,
  push: 0.05,
  webhook: 0.1,
};

/** Bounds on one segment's spend. */
export interface SpendBounds {
  readonly min?: number;
  readonly max?: number;
}

interface Row {
  readonly line: number;
  readonly fields: string[];
}

/** Lines of a small CSV: header first, blank lines skipped, fields trimmed and unquoted. */
function rows(text: string): { header: string[]; body: Row[] } {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const split = (l: string) =>
    l.split(",").map((f) => f.trim().replace(/^"(.*)"$/, (_quoted, inner: string) => inner));
  const out: Row[] = [];
  let header: string[] | null = null;
  for (const [i, l] of lines.entries()) {
    if (l.trim() === "") continue;
    if (header === null) header = split(l).map((h) => h.toLowerCase());
    else out.push({ line: i + 1, fields: split(l) });
  }
  return { header: header ?? [], body: out };
}

/** A non-negative (or positive) number in a field, else an error naming the file, line and field. */
function numberField(text: string, where: string, positive: boolean): number {
  const n = text === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(n) || n < 0 || (positive && n === 0))
    throw new UserError(
      "bad-file",
      `expected a ${positive ? "positive" : "non-negative"} number, got "${text}"`,
      where,
    );
  return n;
}

/**
 * Reads a channel-costs file (`channel,cost`; `cost_per_contact` is accepted for the second header). Each channel
 * once, each one a campaign channel, each cost a positive number; channels it does not name keep their defaults.
 */
export function parseChannelCosts(text: string, file: string): ChannelCosts {
  const { header, body } = rows(text);
  const costAt = header.findIndex((h) => h === "cost" || h === "cost_per_contact");
  if (header[0] !== "channel" || costAt < 0)
    throw new UserError(
      "bad-file",
      `expected a header line "channel,cost", got "${header.join(",")}"`,
      `${file}, line 1`,
    );
  if (body.length === 0) throw new UserError("bad-file", "no channel costs after the header", file);
  const out: Record<string, number> = {};
  for (const { line, fields } of body) {
    const channel = (fields[0] ?? "").toLowerCase();
    if (!(CAMPAIGN_CHANNELS as readonly string[]).includes(channel))
      throw new UserError(
        "unknown-channel",
        `no channel "${fields[0] ?? ""}": a campaign channel is one of ${CAMPAIGN_CHANNELS.join(", ")}${didYouMean(channel, CAMPAIGN_CHANNELS)}`,
        `${file}, line ${line}, field channel`,
      );
    if (channel in out)
      throw new UserError(
        "bad-file",
        `channel "${channel}" is given twice`,
        `${file}, line ${line}, field channel`,
      );
    out[channel] = numberField(fields[costAt] ?? "", `${file}, line ${line}, field ${header[costAt]}`, true);
  }
  return out as ChannelCosts;
}

/**
 * Reads a bounds file (`segment,min,max`; the first header may be segment, audience or key). Each key once; a blank
 * min is 0, a blank max unbounded; min ≤ max. Whether each key is a segment (or audience) is the plan's check.
 */
export function parseBounds(text: string, file: string): Record<string, SpendBounds> {
  const { header, body } = rows(text);
  const minAt = header.indexOf("min");
  const maxAt = header.indexOf("max");
  if (!["segment", "audience", "key"].includes(header[0] ?? "") || (minAt < 0 && maxAt < 0))
    throw new UserError(
      "bad-file",
      `expected a header line "segment,min,max", got "${header.join(",")}"`,
      `${file}, line 1`,
    );
  const out: Record<string, SpendBounds> = {};
  for (const { line, fields } of body) {
    const key = fields[0] ?? "";
    if (key === "")
      throw new UserError("bad-file", "no segment named", `${file}, line ${line}, field ${header[0]}`);
    if (key in out)
      throw new UserError("bad-file", `"${key}" is given twice`, `${file}, line ${line}, field ${header[0]}`);
    const at = (i: number, name: string) => {
      const t = i < 0 ? "" : (fields[i] ?? "");
      return t === "" ? undefined : numberField(t, `${file}, line ${line}, field ${name}`, false);
    };
    const min = at(minAt, "min");
    const max = at(maxAt, "max");
    if (min !== undefined && max !== undefined && min > max)
      throw new UserError("bad-file", `min ${min} is above max ${max}`, `${file}, line ${line}`);
    out[key] = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  }
  return out;
}
