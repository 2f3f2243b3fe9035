import type { Campaign } from "../../src/activation/campaigns.js";
import { compileCampaign } from "../../src/activation/campaigns.js";
import { withMessageFields } from "../../src/activation/message-fields.js";
import { renderMessage } from "../../src/activation/templates.js";
import { openStore } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { FOR_READING } from "../../src/store/store.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database, messages (default 100,000), runs (default 3). Renders a personalised email (subject and body)
 * for the first `messages` customers by id, two ways over the same fields:
 * - ours, as `campaign send` renders: the campaign's templates compiled once (Liquid, limits set), the fields read
 *   in columns by one query (`withMessageFields`: traits, the RFM segment where `tessera rfm` stored it, the
 *   offer), then for each person their scope built and both templates rendered, missing values checked;
 * - plain: a string concatenation of the same fields, read from the same columns.
 * Reports messages per second of each (the fastest run), their ratio, the fields query's seconds, and a check that
 * both made the same text.
 */
const [db, messagesText = "100000", runsText = "3"] = process.argv.slice(2) as [string, string?, string?];
const messages = Number(messagesText);
const store = await openStore(db, FOR_READING);

const result = await store.read(async (engine) => {
  const rfm =
    (await engine.query("SELECT name FROM computed_registry WHERE name = 'rfm_segment'")).rowCount > 0;
  const segment = rfm ? `{{ computed.rfm_segment | default: "valued" | downcase }}` : "valued";
  const campaign: Campaign = {
    id: "bench-render",
    audience: "bench",
    channel: "email",
    template: `Hi {{ first_name | default: "there" }},\n\nAs one of our ${segment} customers in {{ city | default: "your city" }}, here is {{ offer.discount }} off with the code {{ offer.code }}.\n{% if country == "DE" %}Versand kostenlos.{% endif %}\nSee you soon!\n`,
    templateName: "bench.liquid",
    subject: `{{ first_name | default: "Hello" }}, {{ offer.discount }} off for you`,
    offer: { name: "bench10", code: "BENCH10", discount: "10%" },
    holdout: 0,
    frequencyCap: null,
    sendWindowHours: null,
    treats: null,
    createdAt: new Date().toISOString(),
    createdBy: "bench",
  };
  const compiled = await compileCampaign(engine, campaign);
  const people = sql`SELECT customer_id FROM customers ORDER BY customer_id LIMIT ${sql.param(messages, "integer")}`;
  const fetch = startTimer();
  return withMessageFields(engine, campaign, compiled, people, new Date(), async (fields) => {
    const fetched = fetch();
    // The same fields for the plain renderer, as columns (the query is not timed: both read columns).
    const r = await engine.query(
      sql`SELECT c.customer_id, c.first_name, c.city, c.country${rfm ? sql`, k.rfm_segment` : sql.empty}
            FROM (${people}) p JOIN customers c ON c.customer_id = p.customer_id
            ${rfm ? sql`LEFT JOIN customer_rfm k ON k.customer_id = p.customer_id` : sql.empty}
           ORDER BY c.customer_id`,
    );
    const first = r.column("first_name") as (string | null)[];
    const city = r.column("city") as (string | null)[];
    const country = r.column("country") as (string | null)[];
    const seg = rfm ? (r.column("rfm_segment") as (string | null)[]) : null;
    const offer = { code: "BENCH10", discount: "10%" };
    const blank = (v: string | null | undefined) => v === null || v === undefined || v.trim() === "";

    type Run = { seconds: number; cpuSeconds: number; chars: number; sample: string };
    const timed = (stop: ReturnType<typeof startTimer>) => {
      const t = stop();
      return { seconds: t.seconds, cpuSeconds: t.cpuUserSeconds + t.cpuSystemSeconds };
    };
    const ours = (): Run => {
      const stop = startTimer();
      let chars = 0;
      let sample = "";
      for (let i = 0; i < fields.count; i++) {
        const scope = fields.scope(i);
        const body = renderMessage(compiled.body, scope);
        const subject = renderMessage(compiled.subject as NonNullable<typeof compiled.subject>, scope);
        if (!body.ok || !subject.ok) throw new Error(`not rendered for ${fields.customerId(i)}`);
        chars += body.text.length + subject.text.length;
        if (i === 0) sample = subject.text + body.text;
      }
      return { ...timed(stop), chars, sample };
    };
    const plain = (): Run => {
      const stop = startTimer();
      let chars = 0;
      let sample = "";
      for (let i = 0; i < r.rowCount; i++) {
        const f = first[i];
        const s = seg?.[i];
        const subject = `${blank(f) ? "Hello" : f}, ${offer.discount} off for you`;
        const body =
          "Hi " +
          (blank(f) ? "there" : f) +
          ",\n\nAs one of our " +
          (seg ? (blank(s) ? "valued" : (s as string)).toLowerCase() : "valued") +
          " customers in " +
          (blank(city[i]) ? "your city" : city[i]) +
          ", here is " +
          offer.discount +
          " off with the code " +
          offer.code +
          ".\n" +
          (country[i] === "DE" ? "Versand kostenlos." : "") +
          "\nSee you soon!\n";
        chars += body.length + subject.length;
        if (i === 0) sample = subject + body;
      }
      return { ...timed(stop), chars, sample };
    };
    const runs = Number(runsText);
    const oursRuns: Run[] = [];
    const plainRuns: Run[] = [];
    // Alternated, so that neither gets a warmer process.
    for (let k = 0; k < runs; k++) {
      plainRuns.push(plain());
      oursRuns.push(ours());
    }
    const best = (xs: Run[], k: "seconds" | "cpuSeconds" = "seconds") => Math.min(...xs.map((x) => x[k]));
    const o = oursRuns[0] as Run;
    const p = plainRuns[0] as Run;
    return {
      messages: fields.count,
      fetchSeconds: fetched.seconds,
      oursSeconds: best(oursRuns),
      plainSeconds: best(plainRuns),
      oursCpuSeconds: best(oursRuns, "cpuSeconds"),
      plainCpuSeconds: best(plainRuns, "cpuSeconds"),
      sameText: o.chars === p.chars && o.sample === p.sample,
      rfm,
    };
  });
});
await store.close();
const oursPerSecond = Math.round(result.messages / result.oursSeconds);
const plainPerSecond = Math.round(result.messages / result.plainSeconds);
report({
  seconds: result.oursSeconds,
  messages: result.messages,
  oursPerSecond,
  plainPerSecond,
  ratio: Math.round((plainPerSecond / oursPerSecond) * 10) / 10,
  // On a shared machine CPU time varies less than wall time: the same rates per CPU second.
  oursPerCpuSecond: Math.round(result.messages / result.oursCpuSeconds),
  plainPerCpuSecond: Math.round(result.messages / Math.max(result.plainCpuSeconds, 0.001)),
  fetchSeconds: Math.round(result.fetchSeconds * 1000) / 1000,
  oursWithFetchPerSecond: Math.round(result.messages / (result.oursSeconds + result.fetchSeconds)),
  sameText: result.sameText,
  rfmSegment: result.rfm,
});
