import { basename } from "node:path";
import type { Command } from "commander";
import { SEND_STATUSES, type SendSummary } from "../../activation/campaign-records.js";
import type { SendResult } from "../../activation/campaign-send.js";
import type { Campaign } from "../../activation/campaigns.js";
import { parseOffer } from "../../activation/campaigns.js";
import { parseFrequencyCap } from "../../activation/frequency-cap.js";
import { holdoutText, parseHoldout } from "../../activation/holdout.js";
import { parseSendWindow } from "../../activation/send-times.js";
import { UserError } from "../../errors.js";
import {
  type CampaignPreview,
  campaignCreateOperation,
  campaignListOperation,
  campaignPreviewOperation,
  campaignRemoveOperation,
  campaignSendOperation,
  campaignSendsOperation,
  campaignShowOperation,
} from "../../operations/campaign-operations.js";
import { destinationSyncOperation, type SyncResult } from "../../operations/destination-operations.js";
import type { Cli } from "../context.js";
import { intOption, numberOption, optionFile } from "../parse.js";
import { table } from "../table.js";
import { leftOutLine } from "./consent-text.js";
import { choiceOption, gatedCount } from "./value-options.js";

/**
 * `tessera campaign create|list|show|remove|preview|send|sends`: a message (a Liquid template file), an offer, a
 * channel and a timing for an audience; its preview on real members; its send to an outbox file or a webhook
 * destination (then delivered at once, within a time budget; the rest by `destination sync` or a server); who got
 * what.
 * Options are read here (naming the option in errors); the operations check everything again.
 */
export function registerCampaign(program: Command, cli: Cli): void {
  const campaign = program
    .command("campaign")
    .description(
      "campaigns: a message, offer, channel and timing per audience (create, preview, send, sends…)",
    );
  campaign
    .command("create <id>")
    .description(campaignCreateOperation.summary)
    .option("--audience <id>", "the audience it sends to (required)")
    .option("--template <file>", "the message: a Liquid template file (required)")
    .option(
      "--subject <text>",
      "the subject line, a Liquid template too (required for email; a title for push)",
    )
    .option("--channel <channel>", "email, sms, push or webhook (default and only: the audience's channel)")
    .option("--offer <offer>", "a named offer the message reads as offer.*: NAME or NAME:key=value,key=value")
    .option("--holdout <share>", "a share of the audience held out, e.g. 10% (the same people on every send)")
    .option("--frequency-cap <cap>", "at most N messages per person per period on the channel, e.g. 2/7d")
    .option("--send-window <window>", "each person at their best hour within it, e.g. 24h (default: at once)")
    .option(
      "--experiment <id>",
      "treat one variant of this experiment: only its people are sent to (with --variant)",
    )
    .option("--variant <name>", "the experiment's variant this campaign is the treatment of")
    .action(async (id: string, opts, cmd: Command) => {
      if (opts.audience === undefined)
        throw new UserError("bad-option", "required: the audience the campaign sends to", "--audience");
      if (opts.template === undefined)
        throw new UserError("bad-option", "required: the message, a Liquid template file", "--template");
      // Each option is read here first, so that its error names the option.
      if (opts.offer !== undefined) parseOffer(opts.offer, "--offer");
      if (opts.holdout !== undefined) parseHoldout(opts.holdout, "--holdout");
      if (opts.frequencyCap !== undefined) parseFrequencyCap(opts.frequencyCap, "--frequency-cap");
      if (opts.sendWindow !== undefined) parseSendWindow(opts.sendWindow, "--send-window");
      const channel = opts.channel === undefined ? undefined : String(opts.channel).toLowerCase();
      const r = await cli.run(cmd, campaignCreateOperation, {
        id,
        audience: opts.audience,
        template: optionFile(opts.template, "--template"),
        templateName: basename(opts.template),
        ...(channel !== undefined ? { channel: channel as "email" } : {}),
        ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
        ...(opts.offer !== undefined ? { offer: opts.offer } : {}),
        ...(opts.holdout !== undefined ? { holdout: opts.holdout } : {}),
        ...(opts.frequencyCap !== undefined ? { frequencyCap: opts.frequencyCap } : {}),
        ...(opts.sendWindow !== undefined ? { sendWindow: opts.sendWindow } : {}),
        ...(opts.experiment !== undefined ? { experiment: opts.experiment } : {}),
        ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
      });
      const c = r.campaign;
      cli.print(
        cmd,
        r,
        () =>
          `created campaign ${c.id}: ${c.templateName} to audience ${c.audience} by ${c.channel}${timing(c)}\n`,
      );
    });
  campaign
    .command("list")
    .description(campaignListOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, campaignListOperation, {});
      cli.print(cmd, r, () =>
        r.campaigns.length
          ? table(
              ["campaign", "audience", "channel", "template", "offer", "holdout", "cap", "window"],
              r.campaigns.map((c) => [
                c.id,
                c.audience,
                c.channel,
                c.templateName,
                c.offer?.name ?? "",
                holdoutText(c.holdout),
                c.frequencyCap?.text ?? "",
                c.sendWindowHours === null ? "" : `${c.sendWindowHours}h`,
              ]),
            )
          : "no campaigns (tessera campaign create ID --audience … --template FILE …)\n",
      );
    });
  campaign
    .command("show <id>")
    .description(campaignShowOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, campaignShowOperation, { id });
      cli.print(cmd, r, () => showText(r.campaign, r.sends, r.minGroup));
    });
  campaign
    .command("remove <id>")
    .description(campaignRemoveOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, campaignRemoveOperation, { id });
      cli.print(
        cmd,
        r,
        () =>
          `removed campaign ${r.removed} (what it sent stays recorded${r.cancelled ? `; ${r.cancelled.toLocaleString("en-US")} pending ${r.cancelled === 1 ? "delivery" : "deliveries"} cancelled, never sent` : ""})\n`,
      );
    });
  campaign
    .command("preview <id>")
    .description(campaignPreviewOperation.summary)
    .option("--customer <id>", "render for this member of the audience (one of its consented members)")
    .option("--limit <n>", "render for this many members (default 3, at most 50)")
    .action(async (id: string, opts, cmd: Command) => {
      const limit = intOption(opts.limit, "--limit", 1);
      const r = await cli.run(cmd, campaignPreviewOperation, {
        id,
        ...(opts.customer !== undefined ? { customer: opts.customer } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      cli.print(cmd, r, () => previewText(r));
    });
  campaign
    .command("send <id>")
    .description(campaignSendOperation.summary)
    .option(
      "--out <file>",
      "the outbox: one JSON message per line (NDJSON), for the provider that delivers them",
    )
    .option(
      "--destination <id>",
      "or a webhook destination: the messages go into its outbox (signed, retried) in deliveries of at most 500",
    )
    .option("--force", "replace --out if it exists")
    .option(
      "--timeout <seconds>",
      "with --destination: deliver for at most this many seconds now (default 30; the rest later)",
    )
    .option("--dry-run", "render and count every message; write and record nothing")
    .action(async (id: string, opts, cmd: Command) => {
      if (opts.out !== undefined && opts.destination !== undefined)
        throw new UserError(
          "bad-option",
          "one outbox per send: a file (--out) or a webhook destination, not both",
          "--destination",
        );
      if (opts.out === undefined && opts.destination === undefined && !opts.dryRun)
        throw new UserError(
          "bad-option",
          "required: where the messages go, a file of one JSON message per line, or --destination DEST (a webhook destination; or --dry-run to check them)",
          "--out",
        );
      if (opts.force && opts.out === undefined)
        throw new UserError(
          "bad-option",
          "--force replaces an --out file: give one, or leave it out",
          "--force",
        );
      if (opts.timeout !== undefined && opts.destination === undefined)
        throw new UserError("bad-option", "--timeout is how long to deliver to a --destination", "--timeout");
      const seconds = numberOption(opts.timeout, "--timeout", 0, 600);
      const r = await cli.run(cmd, campaignSendOperation, {
        id,
        ...(opts.out !== undefined && !opts.dryRun ? { out: opts.out } : {}),
        ...(opts.destination !== undefined ? { destination: opts.destination } : {}),
        force: Boolean(opts.force),
        dryRun: Boolean(opts.dryRun),
      });
      const delivery = r.destination !== null && !r.dryRun ? await deliverNow(cli, cmd, r, seconds) : null;
      cli.print(cmd, { ...r, delivery }, () => sendText(r, delivery));
    });
  campaign
    .command("sends <id>")
    .description(campaignSendsOperation.summary)
    .option("--send <sendId>", "only this send's records")
    .option("--status <status>", `only this outcome: ${SEND_STATUSES.join(", ")}`)
    .option("--limit <n>", "at most this many records")
    .action(async (id: string, opts, cmd: Command) => {
      const limit = intOption(opts.limit, "--limit", 1);
      const status =
        opts.status === undefined ? undefined : choiceOption(opts.status, "--status", SEND_STATUSES, "sent");
      const r = await cli.run(cmd, campaignSendsOperation, {
        id,
        ...(opts.send !== undefined ? { send: opts.send } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      cli.print(cmd, r, () =>
        r.sends.length
          ? table(
              ["send", "customer", "status", "offer", "scheduled"],
              r.sends.map((s) => [s.sendId, s.customerId, s.status, s.offer ?? "", s.scheduledAt ?? ""]),
            )
          : `no sends of campaign ${r.campaign}${status ? ` with status ${status}` : ""}\n`,
      );
    });
}

function timing(c: Campaign): string {
  return [
    c.offer ? `, offer ${c.offer.name}` : "",
    c.holdout > 0 ? `, ${holdoutText(c.holdout)} held out` : "",
    c.frequencyCap ? `, at most ${c.frequencyCap.text}` : "",
    c.sendWindowHours !== null ? `, each at their best hour within ${c.sendWindowHours}h` : "",
    c.treats ? `, treating variant ${c.treats.variant} of experiment ${c.treats.experiment}` : "",
  ].join("");
}

function showText(c: Campaign, sends: SendSummary[], k: number): string {
  const lines = [
    `campaign ${c.id}: audience ${c.audience} by ${c.channel}${timing(c)}`,
    ...(c.offer ? [`offer: ${JSON.stringify(c.offer)}`] : []),
    ...(c.subject !== null ? [`subject: ${c.subject}`] : []),
    `template (${c.templateName}):`,
    ...c.template
      .replace(/\n$/, "")
      .split("\n")
      .map((l) => `  ${l}`),
    `created ${c.createdAt} by ${c.createdBy}`,
  ];
  const past = sends.length
    ? `\nsends:\n${table(
        ["send", "at", "sent", "held out", "capped", "unreachable"],
        sends.map((s) => [
          s.sendId,
          s.at,
          gatedCount(s.sent, k),
          gatedCount(s.heldOut, k),
          gatedCount(s.capped, k),
          gatedCount(s.unreachable, k),
        ]),
      )}`
    : "\nnot sent yet\n";
  return `${lines.join("\n")}\n${past}`;
}

function previewText(r: CampaignPreview): string {
  const blocks = r.examples.map((e) => {
    const notes = [
      e.heldOut ? "held out: a send gives them nothing" : "",
      e.capped ? "capped: a send now gives them nothing" : "",
      e.reachable ? "" : `no working ${r.channel === "sms" ? "phone number" : "address"}: a send skips them`,
    ].filter(Boolean);
    const head = `── ${e.customerId} · ${r.channel} at ${e.scheduledAt}${notes.length ? ` · ${notes.join("; ")}` : ""}`;
    const parts = [
      head,
      ...(e.subject !== undefined ? [`subject: ${e.subject}`] : []),
      ...(e.body !== undefined ? [e.body.replace(/\n$/, "")] : []),
      ...(e.missing ? [`MISSING for them (a send is refused): ${e.missing.join(", ")}`] : []),
      ...(e.error ? [`CANNOT RENDER: ${e.error}`] : []),
    ];
    return parts.join("\n");
  });
  return `${blocks.join("\n\n")}${blocks.length ? "\n" : "no consented members in the audience now\n"}${leftOutLine(r)}\n`;
}

/** How a send's deliveries went right after it: the pass's answer, or why nothing was delivered (they stay pending). */
type DeliveryNow = SyncResult["delivery"] | { readonly error: string };

/**
 * After a send to a destination: delivers that destination's due deliveries for up to `seconds` (default 30).
 * A failure to deliver (a missing key) is said, not the send's: the send is recorded, its deliveries pending.
 */
async function deliverNow(
  cli: Cli,
  cmd: Command,
  r: SendResult,
  seconds: number | undefined,
): Promise<DeliveryNow> {
  try {
    return (
      await cli.run(cmd, destinationSyncOperation, {
        id: r.destination as string,
        record: false,
        dueOnly: true,
        ...(seconds !== undefined ? { budgetMs: Math.round(seconds * 1000) } : {}),
      })
    ).delivery;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { error: e.message };
  }
}

function deliveryLine(r: SendResult, d: DeliveryNow | null): string | null {
  if (d === null) return null;
  if ("error" in d)
    return `deliveries: nothing delivered yet: ${d.error} (tessera destination sync sends them)`;
  const parts = [`${d.delivered.toLocaleString("en-US")} delivered`];
  if (d.failedAttempts)
    parts.push(
      `${d.failedAttempts.toLocaleString("en-US")} failed attempt${d.failedAttempts === 1 ? "" : "s"}`,
    );
  if (d.gaveUp) parts.push(`${d.gaveUp.toLocaleString("en-US")} failed for good`);
  parts.push(`${d.pending.toLocaleString("en-US")} pending`);
  const failures = d.failures.map((f) => `\n  ${f.delivery}: ${f.error}`).join("");
  return `deliveries to ${r.destination}: ${parts.join(", ")}${d.pending ? " (tessera destination sync, or a server, sends the rest)" : ""}${failures}`;
}

function sendText(r: SendResult, delivery: DeliveryNow | null = null): string {
  const k = (n: number | null) => (n === null ? "a few (too few to show)" : n.toLocaleString("en-US"));
  const n = r.deliveries.length;
  const where =
    r.destination !== null
      ? `${n.toLocaleString("en-US")} ${n === 1 ? "delivery" : "deliveries"} to destination ${r.destination}`
      : r.out;
  const what = r.dryRun
    ? `dry run of campaign ${r.campaign}: ${r.sent.toLocaleString("en-US")} messages would be sent (nothing written or recorded)`
    : `sent campaign ${r.campaign} (send ${r.sendId}): ${r.sent.toLocaleString("en-US")} messages in ${where}`;
  const delivered = deliveryLine(r, delivery);
  const window =
    r.firstScheduled && r.lastScheduled && r.firstScheduled !== r.lastScheduled
      ? `scheduled from ${r.firstScheduled} to ${r.lastScheduled}`
      : r.firstScheduled
        ? `scheduled at ${r.firstScheduled}`
        : "";
  return [
    what,
    `held out ${k(r.heldOut)}, capped ${k(r.capped)}, unreachable on ${r.channel} ${k(r.unreachable)}${r.globalHoldout !== 0 ? `, in the global holdout ${k(r.globalHoldout)}` : ""}`,
    ...(window ? [window] : []),
    ...(delivered ? [delivered] : []),
    leftOutLine(r),
  ]
    .join("\n")
    .concat("\n");
}
