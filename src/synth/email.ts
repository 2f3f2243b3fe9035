/**
 * Marketing e-mail events: weekly campaigns sent only while e-mail consent is granted.
 *
 * Each campaign has a theme category; people open more when it is their favourite, some open
 * mails lead to clicks and a web session arriving through the "email" channel, a few opens end
 * in an unsubscribe (which ends the consent), and a small share of addresses hard-bounce at the
 * first send, after which nothing more is sent to them.
 */
import { CATEGORIES } from "./catalog.js";
import type { ConsentPlan } from "./consents.js";
import { type ActivityContext, webSession } from "./events.js";
import { CAMPAIGN_EVERY_DAYS, CAMPAIGN_HOUR_UTC, CAMPAIGN_SEND_SHARE, HARD_BOUNCE_RATE } from "./model.js";
import { draw, secondOfDay } from "./population.js";
import { hash32 } from "./random.js";
import { SECONDS_PER_DAY, type TimestampFormatter } from "./timestamps.js";

/** The campaign calendar of a run (the same for every customer). */
export interface Campaign {
  readonly at: number;
  readonly id: string;
  readonly category: number;
}

/** One campaign every CAMPAIGN_EVERY_DAYS days, from the third day of the period on. */
export function campaignCalendar(
  seed: number,
  periodStart: number,
  periodEnd: number,
  fmt: TimestampFormatter,
): Campaign[] {
  const out: Campaign[] = [];
  for (let k = 0; ; k++) {
    const at = periodStart + (2 + k * CAMPAIGN_EVERY_DAYS) * SECONDS_PER_DAY + CAMPAIGN_HOUR_UTC * 3600;
    if (at >= periodEnd) break;
    const category = (hash32(seed, k, 0x5eed) >>> 0) % CATEGORIES.length;
    out.push({ at, id: `cmp-${fmt.date(at)}-${CATEGORIES[category]}`, category });
  }
  return out;
}

/** Result of a customer's e-mail activity. */
export interface EmailOutcome {
  events: number;
  bounced: boolean;
}

/** Writes a customer's e-mail events (and the web sessions that clicks lead to). */
export function emailActivity(
  ctx: ActivityContext,
  campaigns: readonly Campaign[],
  consent: ConsentPlan,
  signup: number,
  inactiveFrom: number,
): EmailOutcome {
  const { rng, profile, sink } = ctx;
  const outcome: EmailOutcome = { events: 0, bounced: false };
  if (Number.isNaN(consent.emailFrom)) return outcome;
  const bounces = rng.chance(HARD_BOUNCE_RATE);
  const def = profile.persona.def;
  for (const c of campaigns) {
    if (c.at < consent.emailFrom || c.at < signup) continue;
    if (c.at >= consent.emailUntil) break;
    if (!rng.chance(CAMPAIGN_SEND_SHARE)) continue;
    const sentAt = c.at + rng.int(1800);
    if (sentAt >= consent.emailUntil) break;
    const cat = CATEGORIES[c.category];
    const base = `{"channel":"email","campaign":"${c.id}"`;
    sink.emit(sentAt, "track", "Email Sent", profile.id, "", `${base},"category":"${cat}"}`);
    outcome.events++;
    if (bounces) {
      sink.emit(
        sentAt + 5 + rng.int(120),
        "track",
        "Email Bounced",
        profile.id,
        "",
        `${base},"bounce":"hard"}`,
      );
      outcome.events++;
      outcome.bounced = true;
      return outcome;
    }
    const favourite = c.category === profile.favourite;
    const interest = (favourite ? 1.6 : 1) * (sentAt >= inactiveFrom ? 0.3 : 1);
    if (!rng.chance(def.emailOpen * interest)) continue;

    // Opened at the customer's usual time of day, within the next two days.
    const sentDay = Math.floor((sentAt - ctx.periodStart) / SECONDS_PER_DAY);
    let openAt = ctx.periodStart + (sentDay + rng.int(3)) * SECONDS_PER_DAY + secondOfDay(rng, profile);
    if (openAt <= sentAt) openAt += SECONDS_PER_DAY;
    if (openAt >= ctx.periodEnd) continue;
    const kind = rng.chance(0.75) ? profile.primaryDevice : draw(rng, profile.persona.devices);
    const known = ctx.devices.find((d) => d.kind === kind);
    const os = known?.os ?? (kind === "desktop" ? "windows" : "android");
    const seen = `${base},"device":"${kind}","os":"${os}"`;
    sink.emit(openAt, "track", "Email Opened", profile.id, "", `${seen}}`);
    outcome.events++;

    if (rng.chance(0.012)) {
      consent.unsubscribe(openAt + 20 + rng.int(60));
      continue;
    }
    if (!rng.chance(0.16 * (favourite ? 2 : 1))) continue;
    const clickAt = openAt + 10 + rng.int(290);
    if (clickAt >= ctx.periodEnd) continue;
    sink.emit(
      clickAt,
      "track",
      "Email Clicked",
      profile.id,
      "",
      `${seen},"url":"/c/${cat}","category":"${cat}"}`,
    );
    outcome.events++;
    outcome.events += webSession(ctx, {
      start: clickAt + 3 + rng.int(10),
      channel: "email",
      landing: c.category,
    });
  }
  return outcome;
}
