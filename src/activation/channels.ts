import { EMAIL_PATTERN, PHONE_PATTERN, PHONE_SEPARATORS } from "../common/contact-formats.js";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import { type Purpose, useOf, withConsentedPeople } from "../privacy/consent-gate.js";
import { keyringToRead, openProfiles } from "../privacy/encryption.js";
import { gated, isSmall, sizeHidden } from "../privacy/k-gate.js";
import { customerCount } from "../segments/evaluate.js";
import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import { currentMembersSql } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { eventChannelSql, inList, type MessageEvents, messageEvents, timeAt } from "./engagement.js";

/**
 * Channels per segment (issue 18, item 5): for each channel, how many of a segment's people can be reached on it
 * now, how they engaged with it, and which channel to use.
 *
 * - Channels: the contact channels (email, sms, push) and every other channel the consent ledger holds for the
 *   purpose.
 * - Reachable = consented AND addressable. Consented is the consent gate's verdict for the purpose on the channel
 *   (the latest record for it, channel-less records included, granted; not on the suppression list) — the same
 *   gate every send goes through. Addressable: email → an email address that looks real (EMAIL_PATTERN), sms →
 *   a phone number that does (PHONE_PATTERN), push → a phone or tablet seen in the person's events within the
 *   look-back (a `device` property `mobile`/`tablet`, or the tracking API's `context.device` with a push token or
 *   type ios/android); any other channel has no contact field Tessera knows, so it is not checked (addressable is
 *   null and reachable = consented). An encrypted database's contact fields are opened in a session temporary
 *   table for the check, never written.
 * - Engagement rate: of the segment's people sent a message on the channel within the look-back (a `campaign_sends`
 *   row with status `sent` of a campaign on the channel, or a `<Channel> Sent`/`Delivered` event), the share who
 *   opened, clicked or tapped one (a `<Channel> Opened`/`Clicked`/`Tapped` event) in it. People, not messages: it
 *   reads as "of those we reach, how many react", which is what reachable people are multiplied by. The base's rate
 *   (every customer) is given beside it and stands in when the segment's is hidden or unknown.
 * - Suggested channel: the one with the most expected engaged people, reachable × rate (the segment's rate, else
 *   the base's); ties go to the higher rate. With no rate anywhere, the one with the most reachable people.
 * - Every count goes through the k-gate: a count of the segment's people is hidden when it, or the rest of the
 *   segment, is a small group (the segment's size being known); the engaged when they or the sent who did not
 *   engage are (or the sent are hidden: engaged and rate would give them). A rate is hidden when its numerator,
 *   its denominator or their difference is a small group, and shown to 0.1 % (so it does not pin hidden counts
 *   down); the expected count is hidden when either factor is. The suggestion compares exact reach (only the
 *   channel's name leaves) with the rates as shown.
 */

/** Channels reached through a contact field, in the order reports list them. */
export const CONTACT_CHANNELS = ["email", "sms", "push"] as const;

/** How many days of messages and engagement the rates (and push devices) are read over, up to the as-of time. */
export const LOOKBACK_DAYS = 365;

const DAY_MS = 86_400_000;

/** What makes a person addressable on a channel, in words (null: not checked). */
export type Addressing = "email address" | "phone number" | "mobile device seen" | null;

export interface ChannelReach {
  readonly channel: string;
  readonly addressedBy: Addressing;
  /** Members who pass the consent gate for the purpose on the channel. */
  readonly consented: number | null;
  /** Members with the channel's contact (null when not checked, or hidden). */
  readonly addressable: number | null;
  /** Consented and addressable. */
  readonly reachable: number | null;
  /** Members sent a message on the channel within the look-back, and those of them who engaged. */
  readonly sent: number | null;
  readonly engaged: number | null;
  /** engaged / sent (null: hidden, or nobody was sent). */
  readonly engagementRate: number | null;
  /** The same rate over every customer. */
  readonly baseEngagementRate: number | null;
  /** Which rate the expectation uses. */
  readonly rateBasis: "segment" | "base" | null;
  /** reachable × rate, rounded (null: either is unknown or hidden). */
  readonly expectedEngaged: number | null;
  /** Whether the k-gate hid any figure of this channel. */
  readonly suppressed: boolean;
}

export interface SegmentChannels {
  readonly segment: string;
  readonly purpose: string;
  /** The look-back's end (the caller's as-of) and start. */
  readonly asOf: string;
  readonly since: string;
  /** The segment's current members (null when hidden). */
  readonly members: number | null;
  readonly channels: ChannelReach[];
  readonly suggested: {
    readonly channel: string;
    readonly expectedEngaged: number | null;
    readonly basis: "expected-engaged" | "reach";
  } | null;
  /** The suggestion's rule, in words. */
  readonly rule: string;
  readonly minGroup: number;
}

export const SUGGESTION_RULE =
  "the channel with the most expected engaged people (reachable × engagement rate: the segment's, else the base's); when no channel has an expectation to show (no rate, or nobody reachable), the one with the most reachable people";

/** Refuses a purpose the consent ledger has never recorded (with the nearest one suggested). */
export async function requireKnownPurpose(
  engine: Engine,
  purpose: Purpose,
  where = "purpose",
): Promise<void> {
  const r = await engine.query(
    "SELECT DISTINCT purpose FROM consents WHERE purpose IS NOT NULL ORDER BY purpose",
  );
  const known = r.column("purpose") as string[];
  if (known.includes(purpose)) return;
  throw new UserError(
    "unknown-purpose",
    known.length === 0
      ? `no consent is recorded yet, for "${purpose}" or any purpose (import consents first)`
      : `no consent record has the purpose "${purpose}"${didYouMean(purpose, known)} (known: ${known.join(", ")})`,
    where,
  );
}

/** The channels reported: the contact channels, then the ledger's other channels for the purpose, by name. */
async function channelsFor(engine: Engine, purpose: string): Promise<string[]> {
  const r = await engine.query(
    sql`SELECT DISTINCT channel FROM consents WHERE purpose = ${purpose} AND channel IS NOT NULL AND channel <> ''
         ORDER BY channel`,
  );
  const ledger = (r.column("channel") as string[]).filter(
    (c) => !(CONTACT_CHANNELS as readonly string[]).includes(c),
  );
  return [...CONTACT_CHANNELS, ...ledger];
}

const MEMBERS = "_channel_members";
const CONTACTS = "_channel_contacts";
const ADDRESS = "_channel_address";
const FACTS = "_channel_facts";

/**
 * SQL: is a push device seen on an events row `e` — a top-level `device` property `mobile`/`tablet`, or the tracking
 * API's `context.device` (kept under the properties) with a push token or type ios/android? The nested path is read
 * only where the text holds a context (most rows have none: parsing it for each would cost a second a million rows).
 */
function pushDeviceSql(engine: Engine): Sql {
  const d = engine.dialect;
  const props = sql`e.properties`;
  const device = d.jsonText(d.jsonText(props, "context"), "device");
  return sql`(lower(coalesce(${d.jsonText(props, "device")}, '')) IN ('mobile', 'tablet')
              OR (${d.contains(d.toText(props), sql`'"context"'`)}
                  AND (lower(coalesce(${d.jsonText(device, "type")}, '')) IN ('ios', 'android')
                       OR coalesce(${d.jsonText(device, "token")}, '') <> '')))`;
}

/**
 * SQL selecting (customer_id, channel, sent, engaged) — 1/0 flags, one row per person and channel — for everyone's
 * messages and reactions in (since, asOf].
 */
function messageFactsSql(
  engine: Engine,
  names: MessageEvents,
  channels: readonly string[],
  since: number,
  asOf: number,
): Sql {
  const from = timeAt(engine, since);
  const to = timeAt(engine, asOf);
  const sent = inList(sql`e.event`, names.sent);
  const engaged = inList(sql`e.event`, names.engaged);
  const flag = (c: Sql) => sql`CASE WHEN ${c} THEN 1 ELSE 0 END`;
  return sql`SELECT customer_id, channel, max(sent) AS sent, max(engaged) AS engaged FROM (
               SELECT e.customer_id AS customer_id, ${eventChannelSql(engine, "e", [...names.sent, ...names.engaged], channels)} AS channel,
                      ${flag(sent)} AS sent, ${flag(engaged)} AS engaged
                 FROM events e
                WHERE e.customer_id IS NOT NULL AND e.type = 'track' AND e.ts > ${from} AND e.ts <= ${to}
                  AND ${inList(sql`e.event`, [...names.sent, ...names.engaged])}
               UNION ALL
               SELECT s.customer_id AS customer_id, lower(c.channel) AS channel, 1 AS sent, 0 AS engaged
                 FROM campaign_sends s JOIN campaigns c ON c.campaign_id = s.campaign_id
                WHERE s.status = 'sent' AND s.customer_id IS NOT NULL
                  AND s.sent_at > ${from} AND s.sent_at <= ${to}
             ) f WHERE channel IS NOT NULL GROUP BY customer_id, channel`;
}

/** Per channel: people sent, and people sent who engaged. */
async function rates(engine: Engine, facts: Sql): Promise<Map<string, { sent: number; engaged: number }>> {
  const r = await engine.query(
    sql`SELECT channel, sum(sent) AS sent, sum(CASE WHEN sent = 1 AND engaged = 1 THEN 1 ELSE 0 END) AS engaged
          FROM (${facts}) f GROUP BY channel`,
  );
  const out = new Map<string, { sent: number; engaged: number }>();
  for (const x of r.rows<{ channel: string; sent: unknown; engaged: unknown }>())
    out.set(x.channel, { sent: Number(x.sent ?? 0), engaged: Number(x.engaged ?? 0) });
  return out;
}

/**
 * A rate that may leave: engaged of sent, to 0.1 % (a rate to full precision would give its numerator and
 * denominator away where the counts are hidden); hidden when the sent, the engaged or the sent who did not engage
 * are a small group; unknown (null) with nobody sent.
 */
function shownRate(sent: number, engaged: number, k: number): number | null {
  if (sent === 0 || isSmall(sent, k) || isSmall(engaged, k) || isSmall(sent - engaged, k)) return null;
  return Math.round((1000 * engaged) / sent) / 1000;
}

/**
 * Reachability, engagement and a suggested channel for a segment's current members (the last refresh's), for a
 * purpose (see the module's comment). `asOf` ends the look-back (the operation's as-of policy); `k` is the
 * report's minimum group. Unknown segments, segments not evaluated since saved and purposes the ledger does not
 * hold are refused.
 */
export async function segmentChannels(
  engine: Engine,
  segment: string,
  opts: { purpose: Purpose; asOf: Date; k: number },
): Promise<SegmentChannels> {
  await requireSegment(engine, segment);
  await requireEvaluated(engine, [segment], `segment ${segment}`);
  await requireKnownPurpose(engine, opts.purpose, "purpose");
  const { k } = opts;
  const d = engine.dialect;
  const asOf = opts.asOf.getTime();
  const since = asOf - LOOKBACK_DAYS * DAY_MS;
  const channels = await channelsFor(engine, opts.purpose);
  const members = sql`SELECT customer_id FROM ${sql.temp(MEMBERS)}`;
  try {
    await engine.run([
      ...d.createTempAs(MEMBERS, currentMembersSql(segment)),
      ...d.createTempAs(
        CONTACTS,
        sql`SELECT customer_id, email, phone FROM customers WHERE customer_id IN (${members})`,
      ),
    ]);
    const keyring = await keyringToRead(engine);
    if (keyring) await openProfiles(engine, keyring, CONTACTS, ["email", "phone"]);
    const lit = (s: string) => sql.raw(d.literal(s));
    const phone = d.regexReplace(sql`trim(c.phone)`, lit(PHONE_SEPARATORS), sql.raw("''"));
    const flag = (c: Sql) => sql`CASE WHEN ${c} THEN 1 ELSE 0 END`;
    await engine.run(
      d.createTempAs(
        ADDRESS,
        sql`SELECT c.customer_id AS customer_id,
                   ${flag(sql`c.email IS NOT NULL AND ${d.regexMatches(sql`trim(c.email)`, lit(EMAIL_PATTERN))}`)} AS email,
                   ${flag(sql`c.phone IS NOT NULL AND ${d.regexMatches(phone, lit(PHONE_PATTERN))}`)} AS sms,
                   ${flag(sql`c.customer_id IN (SELECT e.customer_id FROM events e
                                                 JOIN ${sql.temp(MEMBERS)} m ON m.customer_id = e.customer_id
                                                 WHERE e.ts > ${timeAt(engine, since)} AND e.ts <= ${timeAt(engine, asOf)}
                                                   AND ${pushDeviceSql(engine)})`)} AS push
              FROM ${sql.temp(CONTACTS)} c`,
      ),
    );
    // One scan of the events for everyone's messages; the segment's are a part of it.
    const names = await messageEvents(engine);
    await engine.run(d.createTempAs(FACTS, messageFactsSql(engine, names, channels, since, asOf)));
    const facts = sql`SELECT * FROM ${sql.temp(FACTS)}`;
    const own = await rates(engine, sql`${facts} WHERE customer_id IN (${members})`);
    const base = await rates(engine, facts);
    const size = Number(
      (await engine.query(sql`SELECT count(*) AS n FROM ${sql.temp(MEMBERS)}`)).column("n")[0],
    );
    const customers = await customerCount(engine);
    const membersHidden = sizeHidden(size, customers, k);

    const out: ChannelReach[] = [];
    // The same channels with their exact reach, for the suggestion alone.
    const exact: Suggestable[] = [];
    for (const channel of channels) {
      const contact = (CONTACT_CHANNELS as readonly string[]).includes(channel) ? channel : null;
      const counts = await withConsentedPeople(
        engine,
        members,
        useOf(opts.purpose, channel),
        async (gate) => {
          if (!contact) return { consented: gate.passed, addressable: null, reachable: gate.passed };
          const col = sql.ident(contact);
          const r = await engine.query(
            sql`SELECT (SELECT count(*) FROM ${sql.temp(ADDRESS)} WHERE ${col} = 1) AS addressable,
                     (SELECT count(*) FROM ${sql.temp(ADDRESS)}
                       WHERE ${col} = 1 AND customer_id IN (${gate.sql})) AS reachable`,
          );
          return {
            consented: gate.passed,
            addressable: Number(r.column("addressable")[0]),
            reachable: Number(r.column("reachable")[0]),
          };
        },
      );
      const part = (n: number) => membersHidden || sizeHidden(n, size, k);
      const m = own.get(channel) ?? { sent: 0, engaged: 0 };
      const sentHidden = part(m.sent);
      const engagedHidden = sentHidden || sizeHidden(m.engaged, m.sent, k);
      const b = base.get(channel) ?? { sent: 0, engaged: 0 };
      const rate = membersHidden ? null : shownRate(m.sent, m.engaged, k);
      const baseRate = shownRate(b.sent, b.engaged, k);
      const reachHidden = part(counts.reachable);
      const use = rate ?? baseRate;
      const hidden = [
        part(counts.consented),
        counts.addressable !== null && part(counts.addressable),
        reachHidden,
        sentHidden,
        engagedHidden,
      ];
      exact.push({
        channel,
        reachable: counts.reachable,
        engagementRate: rate,
        baseEngagementRate: baseRate,
        expectedEngaged: use === null ? null : Math.round(counts.reachable * use),
      });
      out.push({
        channel,
        addressedBy:
          contact === "email"
            ? "email address"
            : contact === "sms"
              ? "phone number"
              : contact === "push"
                ? "mobile device seen"
                : null,
        consented: gated(counts.consented, hidden[0] as boolean),
        addressable: counts.addressable === null ? null : gated(counts.addressable, hidden[1] as boolean),
        reachable: gated(counts.reachable, reachHidden),
        sent: gated(m.sent, sentHidden),
        engaged: gated(m.engaged, engagedHidden),
        engagementRate: rate,
        baseEngagementRate: baseRate,
        rateBasis: rate !== null ? "segment" : baseRate !== null ? "base" : null,
        expectedEngaged: reachHidden || use === null ? null : Math.round(counts.reachable * use),
        suppressed:
          hidden.some(Boolean) || (m.sent > 0 && rate === null) || (b.sent > 0 && baseRate === null),
      });
    }
    return {
      segment,
      purpose: opts.purpose,
      asOf: new Date(asOf).toISOString(),
      since: new Date(since).toISOString(),
      members: gated(size, membersHidden),
      channels: out,
      suggested: suggestion(out, exact, membersHidden),
      rule: SUGGESTION_RULE,
      minGroup: k,
    };
  } finally {
    await engine.run(
      [MEMBERS, CONTACTS, ADDRESS, FACTS].map((t) => sql`DROP TABLE IF EXISTS ${sql.temp(t)}`),
    );
  }
}

/**
 * The suggestion for a segment: made from the exact reachable counts (a channel whose reach the k-gate hides because
 * all but a few members are reachable is the best one, not the worst), with the rates as shown (a segment's rate
 * over a small group is not used: the base's stands in); only the channel's name and its shown expectation leave.
 * None for a segment whose size is hidden.
 */
function suggestion(
  shown: readonly ChannelReach[],
  exact: readonly Suggestable[],
  membersHidden: boolean,
): SegmentChannels["suggested"] {
  if (membersHidden) return null;
  const pick = suggest(exact);
  if (!pick) return null;
  const expected = shown.find((c) => c.channel === pick.channel)?.expectedEngaged ?? null;
  return { ...pick, expectedEngaged: expected };
}

/** What a suggestion compares of a channel. */
type Suggestable = Pick<
  ChannelReach,
  "channel" | "reachable" | "engagementRate" | "baseEngagementRate" | "expectedEngaged"
>;

/** The suggested channel (SUGGESTION_RULE); null when no channel reaches anyone. */
export function suggest(channels: readonly Suggestable[]): SegmentChannels["suggested"] {
  let best: Suggestable | null = null;
  for (const c of channels) {
    if (c.expectedEngaged === null || c.expectedEngaged <= 0) continue;
    const rate = c.engagementRate ?? c.baseEngagementRate ?? 0;
    const bestRate = best ? (best.engagementRate ?? best.baseEngagementRate ?? 0) : 0;
    if (
      !best ||
      c.expectedEngaged > (best.expectedEngaged as number) ||
      (c.expectedEngaged === best.expectedEngaged && rate > bestRate)
    )
      best = c;
  }
  if (best)
    return { channel: best.channel, expectedEngaged: best.expectedEngaged, basis: "expected-engaged" };
  for (const c of channels)
    if (c.reachable !== null && c.reachable > 0 && (!best || c.reachable > (best.reachable as number)))
      best = c;
  return best ? { channel: best.channel, expectedEngaged: null, basis: "reach" } : null;
}
