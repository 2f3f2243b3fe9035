import type { Command } from "commander";
import { parseSendWindow } from "../../activation/send-times.js";
import {
  type SegmentChannels,
  type SegmentSendTimes,
  segmentChannelsOperation,
  segmentSendTimesOperation,
} from "../../operations/channel-operations.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";
import { gatedCount, gatedText, minGroupOption, parseMinGroup } from "./value-options.js";

/**
 * `tessera segment channels ID` and `tessera segment send-times ID`: which channel reaches a segment best, and
 * when its people would be sent to — aggregates through the k-gate, never a person.
 */
export function registerSegmentChannels(segment: Command, cli: Cli): void {
  minGroupOption(
    segment
      .command("channels <id>")
      .description(segmentChannelsOperation.summary)
      .option("--purpose <purpose>", "the purpose whose consent makes people reachable (default marketing)")
      .option(
        "--as-of <time>",
        "end of the look-back for engagement (ISO 8601; default: the end of the data's last day)",
      ),
  ).action(async (id: string, opts, cmd: Command) => {
    const asOf = dateOption(opts.asOf, "--as-of");
    const r = await cli.run(cmd, segmentChannelsOperation, {
      id,
      ...(opts.purpose !== undefined ? { purpose: opts.purpose } : {}),
      ...(asOf ? { asOf } : {}),
      ...parseMinGroup(opts.minGroup),
    });
    cli.print(cmd, r, () => channelsText(r));
  });

  minGroupOption(
    segment
      .command("send-times <id>")
      .description(segmentSendTimesOperation.summary)
      .option("--start <time>", "the send window's start (ISO 8601; default: the next whole hour)")
      .option("--window <duration>", "the send window: 24h, 2d, 1w (1 hour to 1 week; default 24h)"),
  ).action(async (id: string, opts, cmd: Command) => {
    const start = dateOption(opts.start, "--start");
    // Checked here to name the option in an error; the operation reads the same text.
    if (opts.window !== undefined) parseSendWindow(opts.window, "--window");
    const r = await cli.run(cmd, segmentSendTimesOperation, {
      id,
      ...(opts.window !== undefined ? { window: opts.window } : {}),
      ...(start ? { start } : {}),
      ...parseMinGroup(opts.minGroup),
    });
    cli.print(cmd, r, () => sendTimesText(r));
  });
}

const percent = (x: number | null) => (x === null ? "–" : `${(100 * x).toFixed(1)}%`);

/** A count as this report shows it: the number, or "hidden" (a group under k, or all but under k of the segment). */
const shown = (n: number | null) => (n === null ? "hidden" : n);

function channelsText(r: SegmentChannels & { asOfChoice: { note: string } }): string {
  const k = r.minGroup;
  const rows = r.channels.map((c) => [
    c.channel,
    shown(c.consented),
    c.addressedBy === null ? "not checked" : shown(c.addressable),
    shown(c.reachable),
    shown(c.sent),
    shown(c.engaged),
    c.sent === 0 ? "–" : c.engagementRate === null ? "hidden" : percent(c.engagementRate),
    percent(c.baseEngagementRate),
    c.expectedEngaged === null ? "–" : c.expectedEngaged,
  ]);
  const lines = [
    `segment ${r.segment}: ${gatedText(r.members, k)} people; reachable for ${r.purpose} now; messages and engagement from ${r.since.slice(0, 10)} to ${r.asOf.slice(0, 10)}`,
    table(
      [
        "channel",
        "consented",
        "addressable",
        "reachable",
        "sent",
        "engaged",
        "rate",
        "base rate",
        "expected",
      ],
      rows,
    ).trimEnd(),
    r.suggested
      ? `suggested: ${r.suggested.channel}${r.suggested.basis === "reach" ? " (the most reachable people: no engagement rate to go by)" : r.suggested.expectedEngaged === null ? " (the most people expected to engage; their number is hidden)" : ` (${r.suggested.expectedEngaged.toLocaleString("en-US")} people expected to engage)`}`
      : "suggested: none (nobody in the segment is reachable on any channel)",
    `rule: ${r.rule}`,
    r.asOfChoice.note,
  ];
  if (r.channels.some((c) => c.suppressed))
    lines.push(
      `hidden by the k-gate: a group under ${k} people, or all but under ${k} of the segment (or of the sent)`,
    );
  return `${lines.join("\n")}\n`;
}

function sendTimesText(r: SegmentSendTimes): string {
  const k = r.minGroup;
  const lines = [
    `segment ${r.segment}: ${gatedText(r.people, k)} people, ${gatedText(r.withHistory, k)} with engagement of their own; window ${r.start} + ${r.windowHours} h (UTC)`,
    `without history: ${r.defaultAt}`,
    table(
      ["send at (UTC)", "people"],
      r.slots.map((s) => [s.at.slice(0, 16).replace("T", " "), gatedCount(s.people, k)]),
    ).trimEnd(),
  ];
  if (r.suppressed) lines.push(`<${k}: hidden by the k-gate (groups under ${k} people)`);
  return `${lines.join("\n")}\n`;
}
