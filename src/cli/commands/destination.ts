import type { Command } from "commander";
import { UserError } from "../../errors.js";
import {
  type DestinationView,
  destinationAddOperation,
  destinationAttachOperation,
  destinationDeliveriesOperation,
  destinationDetachOperation,
  destinationListOperation,
  destinationRemoveOperation,
  destinationShowOperation,
  destinationSyncOperation,
  type SyncResult,
} from "../../operations/destination-operations.js";
import type { Cli } from "../context.js";
import { intOption, numberOption, optionFile } from "../parse.js";
import { formatCount, table } from "../table.js";

/**
 * `tessera destination add|list|show|remove|attach|detach|deliveries|sync`: webhook destinations (Standard
 * Webhooks) that receive audiences as differences — who entered and who left since the last delivery.
 */
export function registerDestination(program: Command, cli: Cli): void {
  const dest = program
    .command("destination")
    .description(
      "webhook destinations: audiences sent as who entered and left (add, list, show, remove, attach, detach, deliveries, sync)",
    );
  dest
    .command("add <id>")
    .description(destinationAddOperation.summary)
    .option("--url <url>", "the receiver: an http(s) URL (required)")
    .option("--secret <secret>", "the signing secret: whsec_ and 24 to 64 random bytes in base64")
    .option("--secret-file <file>", "read the secret from a file instead (kept out of the shell's history)")
    .option("--audience <id>", "an audience it receives (repeat for more)", collect, [])
    .option("--allow-private", "allow a private, loopback or link-local address (a receiver on your network)")
    .action(async (id: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, destinationAddOperation, {
        id,
        url: required(opts.url, "--url", "the receiver's http(s) URL"),
        secret: secretOption(opts.secret, opts.secretFile),
        audiences: opts.audience,
        ...(opts.allowPrivate ? { allowPrivate: true } : {}),
      });
      const d = r.destination;
      cli.print(
        cmd,
        r,
        () =>
          `added destination ${d.id}: ${d.url}${d.audiences.length ? `, receiving ${d.audiences.join(", ")}` : ""}\n` +
          `secret ${d.secret} stored ${d.secretSealed ? "sealed with the database's key" : "in clear (the database has no encryption key)"}\n` +
          (d.audiences.length
            ? `nothing sent yet: \`tessera destination sync ${d.id}\` (or the next segment refresh) sends each audience's people as entered\n`
            : `no audience yet: \`tessera destination attach ${d.id} --audience ID\`\n`),
      );
    });
  dest
    .command("list")
    .description(destinationListOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, destinationListOperation, {});
      cli.print(cmd, r, () =>
        r.destinations.length
          ? table(
              ["destination", "url", "audiences", "pending", "delivered", "failed", "last delivered"],
              r.destinations.map((d) => [
                d.id,
                d.url,
                d.audiences.join(", "),
                d.pending,
                d.delivered,
                d.failed,
                d.lastDeliveredAt ?? "",
              ]),
            )
          : "no destinations (tessera destination add ID --url … --secret … --audience …)\n",
      );
    });
  dest
    .command("show <id>")
    .description(destinationShowOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, destinationShowOperation, { id });
      cli.print(cmd, r, () => showText(r.destination));
    });
  dest
    .command("remove <id>")
    .description(destinationRemoveOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, destinationRemoveOperation, { id });
      cli.print(
        cmd,
        r,
        () =>
          `removed destination ${r.removed}${r.pendingDropped ? ` (${counted(r.pendingDropped, "pending delivery", "pending deliveries")} dropped, never sent)` : ""}\n`,
      );
    });
  dest
    .command("attach <id>")
    .description(destinationAttachOperation.summary)
    .option("--audience <id>", "the audience (required)")
    .action(async (id: string, opts, cmd: Command) => {
      const audience = required(opts.audience, "--audience", "the audience");
      const r = await cli.run(cmd, destinationAttachOperation, { id, audience });
      cli.print(cmd, r, () =>
        r.attached
          ? `destination ${r.destination} receives audience ${r.audience}: its people are sent as entered at the next sync\n`
          : `destination ${r.destination} already receives audience ${r.audience}\n`,
      );
    });
  dest
    .command("detach <id>")
    .description(destinationDetachOperation.summary)
    .option("--audience <id>", "the audience (required)")
    .action(async (id: string, opts, cmd: Command) => {
      const audience = required(opts.audience, "--audience", "the audience");
      const r = await cli.run(cmd, destinationDetachOperation, { id, audience });
      cli.print(
        cmd,
        r,
        () =>
          `destination ${r.destination} no longer receives audience ${r.audience}${r.cancelled ? ` (${counted(r.cancelled, "pending delivery", "pending deliveries")} cancelled)` : ""}\n`,
      );
    });
  dest
    .command("deliveries <id>")
    .description(destinationDeliveriesOperation.summary)
    .option("--limit <n>", "at most this many, newest first (default 100)")
    .option("--status <status>", "only pending, delivered, failed or cancelled ones")
    .action(async (id: string, opts, cmd: Command) => {
      const limit = intOption(opts.limit, "--limit", 1);
      const r = await cli.run(cmd, destinationDeliveriesOperation, {
        id,
        ...(limit !== undefined ? { limit } : {}),
        ...(opts.status !== undefined ? { status: opts.status } : {}),
      });
      cli.print(cmd, r, () =>
        r.deliveries.length
          ? table(
              [
                "delivery (webhook-id)",
                "created",
                "audience / campaign",
                "status",
                "attempts",
                "last",
                "entered",
                "exited",
                "messages",
              ],
              r.deliveries.map((x) => [
                x.id,
                x.createdAt,
                x.campaign !== null
                  ? `campaign ${x.campaign} #${x.sequence}`
                  : `${x.audience} #${x.sequence}`,
                x.status === "pending" && x.nextAttemptAt ? `pending (next ${x.nextAttemptAt})` : x.status,
                x.attempts,
                x.lastError ?? x.lastStatus ?? "",
                x.campaign !== null ? "" : x.entered,
                x.campaign !== null ? "" : x.exited,
                x.messages === null ? "" : `${x.messages}${x.withheld ? ` (${x.withheld} withheld)` : ""}`,
              ]),
            )
          : `no deliveries to ${r.destination} yet\n`,
      );
    });
  dest
    .command("sync [id]")
    .description(destinationSyncOperation.summary)
    .option("--timeout <seconds>", "start no delivery after this many seconds (default 30)")
    .action(async (id: string | undefined, opts, cmd: Command) => {
      const seconds = numberOption(opts.timeout, "--timeout", 0, 600);
      const r = await cli.run(cmd, destinationSyncOperation, {
        ...(id !== undefined ? { id } : {}),
        ...(seconds !== undefined ? { budgetMs: Math.round(seconds * 1000) } : {}),
      });
      cli.print(cmd, r, () => syncText(r));
    });
}

/** An option the command cannot go without. */
function required(value: string | undefined, option: string, what: string): string {
  if (value === undefined) throw new UserError("bad-option", `required: ${what}`, option);
  return value;
}

/** Repeated options gather into a list. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The secret from `--secret` or `--secret-file` (its first line), exactly one of them. */
function secretOption(secret: string | undefined, file: string | undefined): string {
  if (secret !== undefined && file !== undefined)
    throw new UserError("bad-option", "give the secret once: --secret or --secret-file", "--secret-file");
  if (file === undefined) {
    if (secret === undefined)
      throw new UserError(
        "bad-option",
        "required: the signing secret, whsec_ and 24 to 64 random bytes in base64 (make one with: echo whsec_$(openssl rand -base64 32))",
        "--secret",
      );
    return secret;
  }
  return optionFile(file, "--secret-file").split(/\r?\n/)[0]?.trim() ?? "";
}

function showText(d: DestinationView): string {
  return [
    `destination ${d.id} (${d.kind})`,
    `url: ${d.url}${d.allowPrivate ? " (private addresses allowed)" : ""}`,
    `secret: ${d.secret} (${d.secretSealed ? "sealed with the database's key" : "in clear: the database has no encryption key"})`,
    `audiences: ${d.audiences.join(", ") || "none"}`,
    `deliveries: ${formatCount(d.pending)} pending, ${formatCount(d.delivered)} delivered, ${formatCount(d.failed)} failed${d.lastDeliveredAt ? `; last delivered ${d.lastDeliveredAt}` : ""}`,
    `added ${d.createdAt} by ${d.createdBy}`,
  ]
    .join("\n")
    .concat("\n");
}

/** A count and its noun, singular or plural. */
function counted(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** One line on how a pass over the outbox went. */
function passLine(p: SyncResult["delivery"]): string {
  const parts = [`${formatCount(p.delivered)} delivered`];
  if (p.failedAttempts) parts.push(counted(p.failedAttempts, "failed attempt", "failed attempts"));
  if (p.gaveUp) parts.push(`${formatCount(p.gaveUp)} failed for good`);
  parts.push(`${formatCount(p.pending)} pending`);
  return parts.join(", ");
}

function syncText(r: SyncResult): string {
  const lines = r.recorded.map(
    (s) =>
      `${s.audience} → ${s.destination}: ${formatCount(s.entered)} entered, ${formatCount(s.exited)} exited (${counted(s.deliveries.length, "delivery", "deliveries")})`,
  );
  if (lines.length === 0) lines.push("no changes to record");
  lines.push(`deliveries: ${passLine(r.delivery)}`);
  for (const f of r.delivery.failures) lines.push(`  ${f.delivery}: ${f.error}`);
  return `${lines.join("\n")}\n`;
}

/** How long a `segment refresh` spends delivering what it recorded before it returns (the rest stays pending). */
export const AFTER_REFRESH_BUDGET_MS = 5000;

/**
 * After a command's refresh: delivers what is due, for up to `AFTER_REFRESH_BUDGET_MS`, and says how it went on
 * stderr (stdout keeps the refresh's own answer). Undelivered ones stay pending for `destination sync`, the next
 * refresh or a server. A destination problem (a missing encryption key) is said, not the refresh's failure.
 */
export async function deliverAfterRefresh(cli: Cli, cmd: Command): Promise<void> {
  try {
    const r = await cli.run(cmd, destinationSyncOperation, {
      record: false,
      dueOnly: true,
      budgetMs: AFTER_REFRESH_BUDGET_MS,
    });
    const p = r.delivery;
    if (p.attempted === 0 && p.pending === 0) return;
    cli.io.err(`destinations: ${passLine(p)}${p.pending ? " (tessera destination sync sends them)" : ""}\n`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    cli.io.err(`destinations: nothing delivered: ${e.message}\n`);
  }
}
