/**
 * The consent ledger of a customer: choices at signup, later opt-outs and re-opt-ins.
 *
 * The plan is drawn before activity because marketing e-mails may only be sent while e-mail
 * consent is granted; an unsubscribe link clicked in a mail can end it earlier, which the
 * activity reports back through `unsubscribe`.
 */
import type { BufferedWriter } from "./csv-writer.js";
import type { Profile } from "./population.js";
import type { Random } from "./random.js";
import { SECONDS_PER_DAY, SECONDS_PER_WEEK, type TimestampFormatter } from "./timestamps.js";

interface ConsentRow {
  readonly purpose: string;
  readonly channel: string;
  readonly status: "granted" | "denied" | "withdrawn";
  readonly at: number;
  readonly source: string;
}

/** A customer's consent history and the e-mail marketing window it implies. */
export class ConsentPlan {
  readonly rows: ConsentRow[] = [];
  /** E-mail marketing allowed in [emailFrom, emailUntil); NaN when never granted. */
  emailFrom = Number.NaN;
  emailUntil = Number.POSITIVE_INFINITY;
  private emailWithdrawal = -1;

  /** Draws the plan of a customer who signs up at `signup`. */
  constructor(rng: Random, profile: Profile, signup: number, periodEnd: number) {
    const c = profile.persona.def.consent;
    const later = (from: number, meanWeeks: number): number =>
      Math.floor(from + 1 + rng.exponential(1 / meanWeeks) * SECONDS_PER_WEEK);
    const add = (row: ConsentRow): void => {
      if (row.at < periodEnd) this.rows.push(row);
    };

    // Cookie banner on the first visit.
    const analytics = rng.chance(c.analytics);
    add({
      purpose: "analytics",
      channel: "",
      status: analytics ? "granted" : "denied",
      at: signup,
      source: "cookie_banner",
    });
    if (analytics && rng.chance(0.1)) {
      add({
        purpose: "analytics",
        channel: "",
        status: "withdrawn",
        at: later(signup, 30),
        source: "cookie_settings",
      });
    }
    const personalization = rng.chance(c.personalization);
    add({
      purpose: "personalization",
      channel: "",
      status: personalization ? "granted" : "denied",
      at: signup,
      source: "cookie_banner",
    });

    // Marketing by e-mail: asked on the signup form.
    const email = rng.chance(c.email);
    const formAt = signup + 60 + rng.int(240);
    add({
      purpose: "marketing",
      channel: "email",
      status: email ? "granted" : "denied",
      at: formAt,
      source: "signup_form",
    });
    if (email && formAt < periodEnd) {
      this.emailFrom = formAt;
      const withdrawAt = later(formAt, 80);
      if (withdrawAt < periodEnd) {
        this.emailUntil = withdrawAt;
        this.emailWithdrawal = this.rows.length;
        this.rows.push({
          purpose: "marketing",
          channel: "email",
          status: "withdrawn",
          at: withdrawAt,
          source: "preference_center",
        });
      }
    }

    // SMS only for some, with opt-outs (STOP replies) and some coming back.
    if (rng.chance(0.5)) {
      const sms = rng.chance(Math.min(1, c.sms * 2));
      add({
        purpose: "marketing",
        channel: "sms",
        status: sms ? "granted" : "denied",
        at: formAt,
        source: "signup_form",
      });
      if (sms) {
        const stop = later(formAt, 40);
        add({ purpose: "marketing", channel: "sms", status: "withdrawn", at: stop, source: "sms_stop" });
        if (rng.chance(0.3)) {
          const back = later(stop, 10);
          add({
            purpose: "marketing",
            channel: "sms",
            status: "granted",
            at: back,
            source: "preference_center",
          });
        }
      }
    }

    // Push only for people whose main device is a phone (the app asks).
    if (profile.primaryDevice === "mobile") {
      const push = rng.chance(c.push);
      const asked = signup + rng.int(3 * SECONDS_PER_DAY);
      add({
        purpose: "marketing",
        channel: "push",
        status: push ? "granted" : "denied",
        at: asked,
        source: "app",
      });
      if (push && rng.chance(0.25)) {
        add({
          purpose: "marketing",
          channel: "push",
          status: "withdrawn",
          at: later(asked, 30),
          source: "app_settings",
        });
      }
    }
  }

  /** An unsubscribe link was used at `at`: e-mail consent ends there (if it was still on). */
  unsubscribe(at: number): void {
    if (!(at < this.emailUntil)) return;
    this.emailUntil = at;
    const row: ConsentRow = {
      purpose: "marketing",
      channel: "email",
      status: "withdrawn",
      at,
      source: "unsubscribe_link",
    };
    if (this.emailWithdrawal >= 0) this.rows[this.emailWithdrawal] = row;
    else {
      this.emailWithdrawal = this.rows.length;
      this.rows.push(row);
    }
  }

  /** Writes the ledger rows in time order; returns how many. */
  write(out: BufferedWriter, customerId: string, fmt: TimestampFormatter): number {
    this.rows.sort((x, y) => x.at - y.at);
    let text = "";
    for (const r of this.rows) {
      text += `${customerId},${r.purpose},${r.channel},${r.status},${fmt.iso(r.at)},${r.source}\n`;
    }
    out.write(text);
    return this.rows.length;
  }
}
