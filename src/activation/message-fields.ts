import { EMAIL_PATTERN } from "../common/contact-formats.js";
import { keyringToRead, openProfiles, personalColumns } from "../privacy/encryption.js";
import type { ValueType } from "../segments/schema-context.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { ADDRESS_COLUMN, type Campaign, type CompiledCampaign } from "./campaigns.js";
import { normalisePhone } from "./contact-normalisation.js";
import { withSendTimes } from "./send-times.js";
import { fieldsRead, type MessageScope, type Recommendation } from "./templates.js";

/**
 * What a campaign's messages are rendered over, read in columns in one query (never a query per person): the
 * traits and computed values its templates read, the channel's address and each person's send time. In an
 * encrypted database the sealed columns among them are opened in a session temporary table (src/privacy/
 * encryption.ts), never written anywhere in clear.
 */

const FIELDS = "_campaign_fields";
/** Columns of the fields table that are not customers columns (customers columns keep their names: sealed values
 * are opened by column name). */
const SEND_AT = "_send_at";
const computedAlias = (i: number) => `_computed_${i}`;

const EMAIL = new RegExp(`^${EMAIL_PATTERN}$`);

/**
 * An address as a provider takes it, or null when there is none that could work: an email trimmed, if it looks
 * like one (EMAIL_PATTERN, as the audit and channel reachability judge it); a phone number in E.164, read in the
 * customer's country when it has no country code (libphonenumber-js, as the exports normalise it).
 */
function addressOn(channel: Campaign["channel"], value: unknown, country: unknown): string | null {
  if (typeof value !== "string") return null;
  const v = value.trim();
  if (channel === "email") return EMAIL.test(v) ? v : null;
  if (channel === "sms") return normalisePhone(v, typeof country === "string" ? country : null);
  return null;
}

/** Recommendations a template reads at most (the first ones by rank). */
const RECOMMENDATIONS_READ = 10;

/**
 * Each person's stored recommendations (`recommend fit`: src/predict/recommend.ts) as `{sku, description, score,
 * price, rank}`, when a template reads `recommendations` and a recommender was fitted; one query for everyone.
 */
async function recommendationsOf(
  engine: Engine,
  compiled: CompiledCampaign,
  people: Sql,
): Promise<Map<string, Recommendation[]>> {
  const out = new Map<string, Recommendation[]>();
  const templates = compiled.subject ? [compiled.body, compiled.subject] : [compiled.body];
  if (!templates.some((t) => t.uses.some((u) => u.path[0] === "recommendations"))) return out;
  if ((await engine.tableColumns("recommendations")).length === 0) return out;
  const r = await engine.query(
    sql`SELECT r.customer_id AS customer_id, r.rank AS rank, r.sku AS sku, i.description AS description,
               i.price AS price, r.score AS score
          FROM recommendations r LEFT JOIN recommend_items i ON i.sku = r.sku
         WHERE r.rank <= ${RECOMMENDATIONS_READ} AND r.customer_id IN (${people})
         ORDER BY r.customer_id, r.rank`,
  );
  const ids = r.column("customer_id");
  const ranks = r.column("rank");
  const skus = r.column("sku");
  const descriptions = r.column("description");
  const prices = r.column("price");
  const scores = r.column("score");
  for (let k = 0; k < ids.length; k++) {
    const id = String(ids[k]);
    const list = out.get(id) ?? [];
    out.set(id, list);
    list.push({
      sku: String(skus[k]),
      description: descriptions[k] == null ? null : String(descriptions[k]),
      price: prices[k] == null ? null : Number(prices[k]),
      score: Number(scores[k]),
      rank: Number(ranks[k]),
    });
  }
  return out;
}

/** One column per field, one row per person, in customer id order. */
export interface MessageFields {
  readonly count: number;
  /** `SELECT customer_id, send_at`: each person's scheduled time (valid inside the callback). */
  readonly times: Sql;
  customerId(i: number): string;
  /**
   * The address on the channel: an email, a phone number in E.164; null when the person has none that works
   * (`addressOn`). Push and webhook reach people by their customer id: null.
   */
  address(i: number): string | null;
  scheduledAt(i: number): Date;
  /** What the templates read for person i (missing values absent). */
  scope(i: number): MessageScope;
}

/** A value as a template sees it: missing (null, or blank text) is undefined; dates and times as ISO text. */
function templateValue(v: unknown, type: ValueType | undefined): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return v.trim() === "" ? undefined : v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return type === "date" ? v.toISOString().slice(0, 10) : v.toISOString();
  return v;
}

/** Sets `computed.cluster.mall` for a qualified name, `computed.clv` for a plain one. */
function setComputed(target: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split(".");
  let node = target;
  for (const p of parts.slice(0, -1)) {
    const next = node[p];
    if (typeof next !== "object" || next === null) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/**
 * Reads the fields of `people` (a query of customer ids) for a campaign and runs `work` over them; the temporary
 * tables are dropped after. With a send window, each person's time is their best hour in it (send-times.ts);
 * without, `at`.
 */
export async function withMessageFields<T>(
  engine: Engine,
  campaign: Campaign,
  compiled: CompiledCampaign,
  people: Sql,
  at: Date,
  work: (fields: MessageFields) => Promise<T>,
): Promise<T> {
  const v = compiled.vocabulary;
  const read = fieldsRead(compiled.subject ? [compiled.body, compiled.subject] : [compiled.body], v);
  const addressColumn = ADDRESS_COLUMN[campaign.channel];
  // An SMS number without a country code is read in the customer's country, when there is such a trait.
  const country = campaign.channel === "sms" && v.traits.has("country") ? "country" : null;
  const traits = [
    ...new Set([...read.traits, ...(addressColumn ? [addressColumn] : []), ...(country ? [country] : [])]),
  ].filter((t) => t !== "customer_id");
  const computed = read.computed.map((name, i) => {
    const c = v.computedValues.get(name);
    if (!c) throw new Error(`computed value ${name} is not registered`);
    return { ...c, alias: computedAlias(i) };
  });
  // One join per producer table (rfm's values share one).
  const tables = [...new Set(computed.map((c) => c.table))];
  const tableAlias = (t: string) => sql.raw(`k${tables.indexOf(t)}`);
  const d = engine.dialect;

  const build = async (times: Sql | null): Promise<T> => {
    await engine.run(
      d.createTempAs(
        FIELDS,
        sql`SELECT p.customer_id AS customer_id
                   ${sql.join(
                     traits.map((t) => sql`, c.${sql.ident(t)} AS ${sql.ident(t)}`),
                     "",
                   )}
                   ${sql.join(
                     computed.map(
                       (x) => sql`, ${tableAlias(x.table)}.${sql.ident(x.column)} AS ${sql.ident(x.alias)}`,
                     ),
                     "",
                   )}
                   , ${times ? sql`coalesce(t.send_at, ${sql.param(at.toISOString(), "timestamp")})` : sql.param(at.toISOString(), "timestamp")} AS ${sql.ident(SEND_AT)}
              FROM (${people}) p
              JOIN customers c ON c.customer_id = p.customer_id
              ${sql.join(
                tables.map(
                  (t) =>
                    sql`LEFT JOIN ${sql.ident(t)} ${tableAlias(t)} ON ${tableAlias(t)}.customer_id = p.customer_id`,
                ),
                " ",
              )}
              ${times ? sql`LEFT JOIN (${times}) t ON t.customer_id = p.customer_id` : sql.empty}`,
      ),
    );
    try {
      // Only what is read is opened, and the key is asked for only when a personal column is read.
      const personal = new Set(await personalColumns(engine));
      const toOpen = traits.filter((t) => personal.has(t));
      const keyring = toOpen.length ? await keyringToRead(engine) : null;
      if (keyring) await openProfiles(engine, keyring, FIELDS, toOpen);
      const r = await engine.query(sql`SELECT * FROM ${sql.temp(FIELDS)} ORDER BY customer_id`);
      const ids = r.column("customer_id") as string[];
      const traitColumns = traits.map((t) => [t, r.column(t), v.traitTypes.get(t)] as const);
      const computedColumns = computed.map((x) => [x.name, r.column(x.alias), x.type as ValueType] as const);
      const address = addressColumn ? r.column(addressColumn) : null;
      const countries = country ? r.column(country) : null;
      const sendAt = r.column(SEND_AT);
      const recommendations = await recommendationsOf(
        engine,
        compiled,
        sql`SELECT customer_id FROM ${sql.temp(FIELDS)}`,
      );
      const base = {
        campaign: { id: campaign.id, channel: campaign.channel },
        ...(campaign.offer ? { offer: campaign.offer } : {}),
      };
      return await work({
        count: ids.length,
        times: sql`SELECT customer_id, ${sql.ident(SEND_AT)} AS send_at FROM ${sql.temp(FIELDS)}`,
        customerId: (i) => ids[i] as string,
        address: (i) => (address ? addressOn(campaign.channel, address[i], countries?.[i]) : null),
        scheduledAt: (i) => {
          const s = sendAt[i];
          return s instanceof Date ? s : s ? new Date(String(s)) : at;
        },
        scope: (i) => {
          const values: Record<string, unknown> = { customer_id: ids[i] };
          for (const [name, column, type] of traitColumns) {
            const x = templateValue(column[i], type);
            if (x !== undefined) values[name] = x;
          }
          const comp: Record<string, unknown> = {};
          for (const [name, column, type] of computedColumns) {
            const x = templateValue(column[i], type);
            if (x !== undefined) setComputed(comp, name, x);
          }
          // Issue 19: each person's stored recommendations (src/predict), read in one query above.
          const recs = recommendations.get(ids[i] as string) ?? [];
          return { ...values, traits: values, computed: comp, recommendations: recs, ...base };
        },
      });
    } finally {
      await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(FIELDS)}`);
    }
  };

  if (campaign.sendWindowHours === null) return build(null);
  return withSendTimes(engine, people, { start: at, windowHours: campaign.sendWindowHours }, build);
}
