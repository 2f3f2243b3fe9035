import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UserError } from "../errors.js";
import { isGloballyHeldOut, readGlobalHoldout } from "../experiments/global-holdout.js";
import type { LeftOut } from "../privacy/consent-gate.js";
import { gated, reportMinGroup, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { audienceNamed, withAudiencePeople } from "./audiences.js";
import { DestinationOutbox, type OutboxMessage } from "./campaign-outbox.js";
import { type Campaign, type CompiledCampaign, campaignRecipients, compileCampaign } from "./campaigns.js";
import { destinationNamed } from "./destinations.js";
import { cappedPeople } from "./frequency-cap.js";
import { isHeldOut } from "./holdout.js";
import { type MessageFields, withMessageFields } from "./message-fields.js";
import { type MessageTemplate, type Rendered, renderMessage } from "./templates.js";

/**
 * Sending a campaign (issue 18, item 3): its audience's people now, through the consent gate
 * (`withAudiencePeople`: whoever withdrew consent is in no send), each either held out (holdout.ts), capped
 * (frequency-cap.ts), unreachable (no working address on the channel) or sent a message rendered for them. The
 * messages go to an outbox — a file of one JSON message per line, or a webhook destination's persistent outbox
 * (campaign-outbox.ts), for the provider that delivers them; sending email or SMS is the provider's job — and
 * `campaign_sends` records who got what, when, and who did not and why.
 *
 * All or nothing: every message is rendered before anything is written; any problem (a value the template needs
 * and a person lacks, a message over the render limits) refuses the whole send, naming the variables, how many
 * people and a few of them. Then the outbox is written to a temporary file beside the target and renamed into
 * place, or recorded as a destination's deliveries, inside the transaction that records the sends.
 */

/** The people staged for a send or a preview: id, and `candidate` or the reason they get nothing. */
const PEOPLE = "_campaign_people";
/** The staged people (all of them), valid inside `withStagedPeople`. */
export const STAGED = sql`SELECT customer_id FROM ${sql.temp(PEOPLE)}`;
const UNREACHABLE = "_campaign_unreachable";
/** At most this many example ids in an error. */
const EXAMPLES = 3;

/** What a template could not render, over the people it failed for. */
interface Problems {
  people: number;
  readonly byVariable: Map<string, { people: number; examples: string[] }>;
  readonly byError: Map<string, { people: number; examples: string[] }>;
}

function noteProblem(
  map: Map<string, { people: number; examples: string[] }>,
  key: string,
  customerId: string,
): void {
  const p = map.get(key) ?? { people: 0, examples: [] };
  p.people++;
  if (p.examples.length < EXAMPLES) p.examples.push(customerId);
  map.set(key, p);
}

/** Renders one person's subject and body; their problems are noted, and null returned, when either fails. */
function renderFor(
  compiled: CompiledCampaign,
  fields: MessageFields,
  i: number,
  problems: Problems,
): { subject?: string; body: string } | null {
  const scope = fields.scope(i);
  const parts: [MessageTemplate, Rendered][] = [[compiled.body, renderMessage(compiled.body, scope)]];
  if (compiled.subject) parts.push([compiled.subject, renderMessage(compiled.subject, scope)]);
  let failed = false;
  for (const [t, r] of parts) {
    if (r.ok) continue;
    failed = true;
    const id = fields.customerId(i);
    if (r.missing) for (const v of r.missing) noteProblem(problems.byVariable, `${v} (${t.source})`, id);
    else noteProblem(problems.byError, `${t.source}: ${r.error}`, id);
  }
  if (failed) {
    problems.people++;
    return null;
  }
  const body = parts[0]?.[1] as { text: string };
  const subject = parts[1]?.[1] as { text: string } | undefined;
  return { ...(subject ? { subject: subject.text } : {}), body: body.text };
}

const n = (x: number, what: string) => `${x.toLocaleString("en-US")} ${what}${x === 1 ? "" : "s"}`;

/** The refusal of a send whose messages could not all be rendered. */
function problemsError(campaign: Campaign, p: Problems): UserError {
  const list = (m: Map<string, { people: number; examples: string[] }>) =>
    [...m]
      .sort((a, b) => b[1].people - a[1].people || a[0].localeCompare(b[0]))
      .map(([k, v]) => `${k} for ${n(v.people, "customer")} (e.g. ${v.examples.join(", ")})`);
  const parts: string[] = [];
  if (p.byVariable.size)
    parts.push(
      `missing values the template needs and gives no default for: ${list(p.byVariable).join("; ")} — add a default (\`{{ first_name | default: "there" }}\`) or a condition (\`{% if … %}\`), or leave them out of the audience`,
    );
  if (p.byError.size) parts.push(`messages that could not be rendered: ${list(p.byError).join("; ")}`);
  return new UserError(
    "campaign-not-renderable",
    `${n(p.people, "customer")} cannot be sent this campaign's message, so nothing was sent: ${parts.join(". ")}`,
    `campaign ${campaign.id}`,
  );
}

/** The outbox file: written to a temporary file beside it, renamed into place when the send is recorded. */
class OutboxFile {
  private readonly fd: number;
  private readonly temp: string;
  private buffer: string[] = [];
  private size = 0;

  constructor(readonly path: string) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.tessera-partial`);
    this.fd = openSync(this.temp, "w", 0o600);
  }

  write(message: OutboxMessage): void {
    const line = `${JSON.stringify(message)}\n`;
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buffer.length) writeSync(this.fd, this.buffer.join(""));
    this.buffer = [];
    this.size = 0;
  }

  /** Closes the file and puts it in place. */
  commit(): void {
    this.flush();
    // On disk before it takes the target's name: a crash leaves the old file or the whole new one.
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by a failed commit.
    }
    rmSync(this.temp, { force: true });
  }
}

/** Where a send's messages go: a file, or a destination's outbox. */
type Outbox = OutboxFile | DestinationOutbox;

/** Checks where the outbox goes before any work: a file not there yet (or `force`), in a folder that is. */
function checkOutbox(out: string, force: boolean): void {
  const dir = dirname(out);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError("bad-output", `no folder ${dir} to write the outbox in`, "--out");
  if (existsSync(out)) {
    if (statSync(out).isDirectory())
      throw new UserError("bad-output", `${out} is a folder: name the outbox file`, "--out");
    if (!force) throw new UserError("would-replace", `${out} exists: add --force to replace it`, "--out");
  }
}

/** A send's id: the campaign's and the time, unique among its sends. */
async function newSendId(engine: Engine, campaign: Campaign, at: Date): Promise<string> {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const base = `${campaign.id}-${stamp}`;
  const r = await engine.query(
    sql`SELECT DISTINCT send_id FROM campaign_sends WHERE campaign_id = ${campaign.id}`,
  );
  const taken = new Set(r.column("send_id") as string[]);
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
  return id;
}

/** A send's counts by status, as they may leave: sent exactly (the outbox holds them), the others k-gated. */
export interface SendCounts {
  readonly sent: number;
  readonly heldOut: number | null;
  readonly capped: number | null;
  readonly unreachable: number | null;
  /** In the global holdout (src/experiments/global-holdout.ts): sent nothing, recorded as `global-holdout`. */
  readonly globalHoldout: number | null;
  /** Whether the k-gate hid a count. */
  readonly suppressed: boolean;
}

async function gatedCounts(
  engine: Engine,
  c: { sent: number; heldOut: number; capped: number; unreachable: number; globalHoldout: number },
): Promise<SendCounts> {
  // Who got nothing, by why: cells adding up to what the audience less the sent gives away.
  const cells = [c.heldOut, c.capped, c.unreachable, c.globalHoldout];
  const { hidden } = suppressPartition(cells, await reportMinGroup(engine));
  return {
    sent: c.sent,
    heldOut: gated(c.heldOut, hidden[0] === true),
    capped: gated(c.capped, hidden[1] === true),
    unreachable: gated(c.unreachable, hidden[2] === true),
    globalHoldout: gated(c.globalHoldout, hidden[3] === true),
    suppressed: hidden.some(Boolean),
  };
}

export interface SendResult extends SendCounts {
  readonly campaign: string;
  readonly audience: string;
  readonly purpose: string;
  readonly channel: string;
  /** Null for a dry run (nothing recorded). */
  readonly sendId: string | null;
  /** The outbox: a file, or a webhook destination (null for a dry run that named neither). */
  readonly out: string | null;
  readonly destination: string | null;
  /** The destination's deliveries recorded (their webhook-ids, in batch order); empty for a file. */
  readonly deliveries: readonly string[];
  readonly dryRun: boolean;
  /** The send's time, and the first and last scheduled deliveries (null when nothing is sent). */
  readonly at: string;
  readonly firstScheduled: string | null;
  readonly lastScheduled: string | null;
  /** The audience's members the consent gate left out (k-gated). */
  readonly leftOut: LeftOut;
}

/**
 * Stages the people of a send or a preview (`ids`, in id order) with their status — held out, capped, or a
 * candidate for a message — in a session temporary table, and runs `work` with a query of the candidates.
 */
export async function withStagedPeople<T>(
  engine: Engine,
  campaign: Campaign,
  ids: readonly string[],
  people: Sql,
  at: Date,
  work: (candidates: Sql, status: readonly string[]) => Promise<T>,
): Promise<T> {
  const capped = campaign.frequencyCap
    ? await cappedPeople(engine, people, campaign.channel, campaign.frequencyCap, at)
    : new Set<string>();
  // The holdouts first: who is held out depends on nothing but the person (and the campaign), never on a cap. The
  // global holdout (src/experiments/global-holdout.ts) stays out of every campaign.
  const global = (await readGlobalHoldout(engine)).share;
  const status = ids.map((id) =>
    isGloballyHeldOut(id, global)
      ? "global-holdout"
      : isHeldOut(campaign.id, id, campaign.holdout)
        ? "held-out"
        : capped.has(id)
          ? "capped"
          : "candidate",
  );
  await engine.appendTemp(PEOPLE, [
    { name: "customer_id", type: "string", values: ids },
    { name: "status", type: "string", values: status },
  ]);
  try {
    return await work(sql`SELECT customer_id FROM ${sql.temp(PEOPLE)} WHERE status = 'candidate'`, status);
  } finally {
    await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(PEOPLE)}`);
  }
}

/** Where a send goes: a file (replaced only with `force`) or a webhook destination's outbox, exactly one. */
export interface SendTarget {
  readonly out?: string;
  readonly force?: boolean;
  readonly destination?: string;
  /** At most this many messages per delivery to a destination (default `CAMPAIGN_BATCH`; tests). */
  readonly batchSize?: number;
}

/** Checks a send's target before any work; gives back the destination's id when it is one. */
async function checkTarget(engine: Engine, t: SendTarget, dryRun: boolean): Promise<string | null> {
  if (t.out !== undefined && t.destination !== undefined)
    throw new UserError(
      "bad-input",
      "one outbox per send: a file (out) or a webhook destination (destination), not both",
      "destination",
    );
  if (t.destination !== undefined) {
    if (t.force)
      throw new UserError("bad-input", "force replaces an outbox file: not with a destination", "force");
    return (await destinationNamed(engine, t.destination, "destination")).id;
  }
  if (t.out !== undefined) checkOutbox(t.out, t.force === true);
  else if (!dryRun)
    throw new UserError(
      "bad-input",
      "where the messages go: out (a file of one JSON message per line, for the provider) or destination (a webhook destination)",
      "out",
    );
  return null;
}

/**
 * Sends a campaign to its audience now (`at`): renders every message, then (unless `dryRun`) writes them to the
 * outbox — the file `out`, or the webhook destination `destination`'s deliveries — and records every person's
 * outcome in `campaign_sends`, in one transaction. Any problem refuses the whole send: no file, no delivery, no
 * record.
 */
export async function sendCampaign(
  engine: Engine,
  campaign: Campaign,
  opts: SendTarget & { dryRun?: boolean; at?: Date },
): Promise<SendResult> {
  const at = opts.at ?? new Date();
  const dryRun = opts.dryRun === true;
  const destination = await checkTarget(engine, opts, dryRun);
  const audience = await audienceNamed(engine, campaign.audience, "audience");
  const compiled = await compileCampaign(engine, campaign);
  const sendId = dryRun ? null : await newSendId(engine, campaign, at);
  return withAudiencePeople(engine, audience, async (people) => {
    const recipients = campaignRecipients(engine, campaign, people.sql);
    const ids = (await engine.query(sql`${recipients} ORDER BY customer_id`)).column(
      "customer_id",
    ) as string[];
    return withStagedPeople(engine, campaign, ids, recipients, at, (candidates, status) =>
      withMessageFields(engine, campaign, compiled, candidates, at, async (fields) => {
        const outbox: Outbox | null = dryRun
          ? null
          : destination !== null
            ? await DestinationOutbox.open(engine, destination, at, opts.batchSize)
            : new OutboxFile(opts.out as string);
        try {
          const problems: Problems = { people: 0, byVariable: new Map(), byError: new Map() };
          const unreachable: string[] = [];
          let sent = 0;
          let first: Date | null = null;
          let last: Date | null = null;
          for (let i = 0; i < fields.count; i++) {
            const customerId = fields.customerId(i);
            const to = fields.address(i);
            if (to === null && (campaign.channel === "email" || campaign.channel === "sms")) {
              unreachable.push(customerId);
              continue;
            }
            const m = renderFor(compiled, fields, i, problems);
            if (!m || problems.people > 0) continue;
            const scheduled = fields.scheduledAt(i);
            if (!first || scheduled < first) first = scheduled;
            if (!last || scheduled > last) last = scheduled;
            sent++;
            outbox?.write({
              messageId: `${sendId}:${customerId}`,
              sendId: sendId as string,
              campaign: campaign.id,
              customerId,
              channel: campaign.channel,
              to,
              ...m,
              offer: campaign.offer,
              scheduledAt: scheduled.toISOString(),
            });
          }
          if (problems.people > 0) throw problemsError(campaign, problems);
          const heldOut = status.filter((s) => s === "held-out").length;
          const capped = status.filter((s) => s === "capped").length;
          if (outbox && sendId)
            await engine.transaction(async () => {
              await recordSends(engine, campaign, sendId, at, fields.times, unreachable);
              // Last, so that a failed record leaves no file; a failed rename undoes the record. Deliveries: the
              // same transaction (without transactions, ClickHouse: the record first, so nothing is ever delivered
              // that was not recorded).
              if (outbox instanceof OutboxFile) outbox.commit();
              else await outbox.record(engine, campaign.id, sendId);
            });
          const counts = await gatedCounts(engine, {
            sent,
            heldOut,
            capped,
            unreachable: unreachable.length,
            globalHoldout: status.filter((s) => s === "global-holdout").length,
          });
          return {
            campaign: campaign.id,
            audience: audience.id,
            purpose: audience.purpose,
            channel: campaign.channel,
            sendId,
            out: outbox instanceof OutboxFile ? outbox.path : null,
            destination,
            deliveries: outbox instanceof DestinationOutbox ? outbox.deliveries : [],
            dryRun,
            ...counts,
            at: at.toISOString(),
            firstScheduled: first?.toISOString() ?? null,
            lastScheduled: last?.toISOString() ?? null,
            leftOut: people.leftOut,
          };
        } catch (e) {
          if (outbox instanceof OutboxFile) outbox.abort();
          throw e;
        }
      }),
    );
  });
}

/**
 * Records every staged person's outcome: held out and capped as staged, the unreachable, and the rest sent at
 * their scheduled time (`times`), in one statement.
 */
async function recordSends(
  engine: Engine,
  campaign: Campaign,
  sendId: string,
  at: Date,
  times: Sql,
  unreachable: readonly string[],
): Promise<void> {
  await engine.appendTemp(UNREACHABLE, [{ name: "customer_id", type: "string", values: unreachable }]);
  try {
    const when = sql.param(at.toISOString(), "timestamp");
    await engine.run(
      sql`INSERT INTO campaign_sends (send_id, campaign_id, customer_id, status, offer, scheduled_at, sent_at, channel)
          SELECT ${sendId}, ${campaign.id}, p.customer_id,
                 CASE WHEN p.status <> 'candidate' THEN p.status
                      WHEN u.customer_id IS NOT NULL THEN 'unreachable' ELSE 'sent' END,
                 ${sql.param(campaign.offer?.name ?? null, "string")},
                 CASE WHEN p.status = 'candidate' AND u.customer_id IS NULL
                      THEN t.send_at END,
                 ${when}, ${campaign.channel}
            FROM ${sql.temp(PEOPLE)} p
            LEFT JOIN ${sql.temp(UNREACHABLE)} u ON u.customer_id = p.customer_id
            LEFT JOIN (${times}) t ON t.customer_id = p.customer_id`,
    );
  } finally {
    await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(UNREACHABLE)}`);
  }
}
