import type { Command } from "commander";
import { UserError } from "../../errors.js";
import {
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentOverlapOperation,
} from "../../operations/segment-coverage-operations.js";
import {
  segmentAddOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentListOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentRemoveOperation,
  segmentShowOperation,
} from "../../operations/segment-operations.js";
import {
  segmentHistoryOperation,
  segmentMembersOperation,
} from "../../operations/segment-people-operations.js";
import { GUARD_DEFAULTS, MECE_PREFIX } from "../../segments/membership-reports.js";
import { readDefinitionFile } from "../../segments/read-definition.js";
import { parseCondition } from "../../segments/text/parse.js";
import { printCondition } from "../../segments/text/print.js";
import { SegmentError } from "../../segments/validate.js";
import type { Cli } from "../context.js";
import { dateOption, intOption, numberOption } from "../parse.js";
import { formatCount, table } from "../table.js";
import { leftOutLine } from "./consent-text.js";
import { deliverAfterRefresh } from "./destination.js";
import { registerSegmentChannels } from "./segment-channels.js";
import { addUseOptions, useOptions } from "./use-options.js";
import { gatedCount, gatedText } from "./value-options.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The line that says which segments a report over current memberships left out, if any. */
const leftOut = (ids: readonly string[]) =>
  ids.length ? `left out, saved since the last refresh and not evaluated yet: ${ids.join(", ")}\n` : "";

/**
 * Warnings about a definition (a property or value never seen), on stderr whether or not --json is given: the
 * JSON document on stdout carries them too.
 */
function warn(cli: Cli, warnings: readonly { path: string; message: string }[]): void {
  for (const w of warnings) cli.io.err(`warning: ${w.path}: ${w.message}\n`);
}

/** The condition of `--where`, parsed; its errors (line and column) are prefixed with the option's name. */
function whereOption(text: string): unknown {
  try {
    return parseCondition(text);
  } catch (e) {
    if (e instanceof SegmentError) throw new SegmentError(e.issues, "--where");
    throw e;
  }
}

/**
 * The definition a command works on, and where it came from (errors name it): a file (JSON or the text form; reading
 * it is the front door's job), or --id/--name/--where in the text form.
 */
function definitionFrom(
  file: string | undefined,
  opts: { id?: string; name?: string; where?: string; description?: string },
): { definition: unknown; source: string } {
  if (file) return { definition: readDefinitionFile(file), source: file };
  if (!opts.where)
    throw new UserError("no-definition", "give a definition file, or --id, --name and --where", "segment");
  return {
    definition: {
      id: opts.id,
      name: opts.name ?? opts.id,
      ...(opts.description ? { description: opts.description } : {}),
      where: whereOption(opts.where),
    },
    source: "--where",
  };
}

const asOfOption = [
  "--as-of <time>",
  "evaluate as of this time (ISO 8601; default: the last refresh's, else the end of the data's last day)",
] as const;

export function registerSegment(program: Command, cli: Cli): void {
  const seg = program.command("segment").description("define, refresh and understand segments");
  const withDefinitionOptions = (c: Command) =>
    c
      .argument("[file]", "a JSON document or a text-form file (id:, name:, where: lines)")
      .option("--id <id>", "segment id (with --where)")
      .option("--name <name>", "segment name (with --where)")
      .option("--description <text>", "what the segment is for (with --where)")
      .option(
        "--where <condition>",
        'the condition in the text form, e.g. \'country in ("DE", "FR") and orders.count() >= 2\'',
      );

  withDefinitionOptions(
    seg.command("add").description("save a segment definition (a new version if it changed)"),
  ).action(async (file: string | undefined, opts, cmd: Command) => {
    const r = await cli.run(cmd, segmentAddOperation, definitionFrom(file, opts));
    warn(cli, r.warnings);
    cli.print(cmd, r, () =>
      r.changed ? `saved ${r.id} (version ${r.version})\n` : `${r.id} unchanged (version ${r.version})\n`,
    );
  });

  seg
    .command("list")
    .description("list saved segments with their size at the last refresh")
    .action(async (_o, cmd: Command) => {
      const result = await cli.run(cmd, segmentListOperation, {});
      const rows = result.segments;
      cli.print(cmd, result, () => {
        if (rows.length === 0) return "No segments yet: tessera segment add <file>\n";
        let out = table(
          ["id", "name", "version", "size"],
          rows.map((s) => [
            s.id,
            s.name,
            s.latestVersion,
            s.suppressed ? gatedText(null, result.minGroup) : (s.size ?? "–"),
          ]),
        );
        if (rows.some((s) => s.size === null && !s.suppressed))
          out += "–: saved since the last refresh, not evaluated yet (tessera segment refresh)\n";
        if (rows.some((s) => s.suppressed))
          out += `<${result.minGroup}: suppressed: fewer than ${result.minGroup} people in it or outside it, or a size that would give such a group away (privacy: min_group)\n`;
        return out;
      });
    });

  seg
    .command("show <id>")
    .description("a segment's size now and its versions, newest first, in the text form and as JSON")
    .action(async (id: string, _o, cmd: Command) => {
      const result = await cli.run(cmd, segmentShowOperation, { id });
      cli.print(
        cmd,
        result,
        () =>
          (result.evaluated === null
            ? "size unknown: not evaluated since it was saved (tessera segment refresh)\n"
            : `size ${gatedText(result.size, result.minGroup)} (as of ${result.evaluated.asOf}, refreshed ${result.evaluated.refreshedAt})\n`) +
          result.versions
            .map(
              (v) =>
                `version ${v.version} (${v.createdAt.toISOString()}): ${v.definition.name}\n  ${printCondition(v.definition.where)}\n`,
            )
            .join(""),
      );
    });

  seg
    .command("remove <id>")
    .description("remove a segment, its versions and its membership history")
    .action(async (id: string, _o, cmd: Command) => {
      const result = await cli.run(cmd, segmentRemoveOperation, { id });
      cli.print(cmd, result, () => `removed ${id}\n`);
    });

  seg
    .command("refresh")
    .description(
      "bring values (RFM, CLV, clusters) and every saved segment to one as-of time; record who entered and left",
    )
    .option(
      "--as-of <time>",
      "evaluate as of this time (ISO 8601; default: the end of the data's last day, at most now)",
    )
    .option("--full", "rebuild every customer's features (default: incremental when possible)")
    .option(
      "--force",
      "record even when the as-of is past the data's end and segments would lose most of their members",
    )
    .option(
      "--min-size <n>",
      "warn about segments with fewer people than this",
      String(GUARD_DEFAULTS.minSize),
    )
    .option(
      "--min-share <percent>",
      "warn about segments under this share of customers",
      String(100 * GUARD_DEFAULTS.minShare),
    )
    .option(
      "--near-copy <jaccard>",
      "warn about pairs of segments at least this similar",
      String(GUARD_DEFAULTS.maxJaccard),
    )
    .action(async (opts, cmd: Command) => {
      // Options are checked before anything runs (each named as given): a typo must not cost a refresh.
      const result = await cli.run(cmd, segmentRefreshOperation, {
        minSize: intOption(opts.minSize, "--min-size", 0),
        minShare: (numberOption(opts.minShare, "--min-share", 0, 100) as number) / 100,
        maxJaccard: numberOption(opts.nearCopy, "--near-copy", 0, 1),
        asOf: dateOption(opts.asOf, "--as-of"),
        full: Boolean(opts.full),
        force: Boolean(opts.force),
      });
      const { warnings } = result;
      cli.print(cmd, result, () => {
        let s = table(
          ["id", "name", "size", "entered", "left"],
          result.segments.map((x) => [
            x.id,
            x.name,
            gatedCount(x.size, result.minGroup),
            gatedCount(x.entered, result.minGroup),
            gatedCount(x.exited, result.minGroup),
          ]),
        );
        const how = result.stored
          ? `${result.mode}, ${result.recomputed.toLocaleString("en-US")} customers' features rebuilt`
          : "backtest before the last refresh: history not changed";
        s += `as of ${result.asOf}: ${result.segments.length} segments, ${result.features} features, ${result.seconds.toFixed(2)} s (${how})\n`;
        s += `${result.asOfChoice.note}\n`;
        for (const w of warnings) s += `warning: ${w.message}\n`;
        return s;
      });
      // What the refresh recorded for destinations goes out now, within a few seconds (activation).
      if (result.stored) await deliverAfterRefresh(cli, cmd);
    });

  addUseOptions(
    seg
      .command("members <id>")
      .description(
        "the customers in a segment now (at the last refresh) who consented to a purpose on a channel",
      ),
    "the members",
  )
    .option("--limit <n>", "at most this many")
    .action(async (id: string, opts, cmd: Command) => {
      const result = await cli.run(cmd, segmentMembersOperation, {
        id,
        ...useOptions(opts),
        limit: intOption(opts.limit, "--limit", 1),
      });
      const { customers } = result;
      cli.print(cmd, result, () => {
        // The ids alone on stdout (for scripts); who was left out on stderr.
        cli.io.err(`${leftOutLine(result)}\n`);
        return `${customers.join("\n")}${customers.length ? "\n" : ""}`;
      });
    });

  seg
    .command("history <id>")
    .description("size over time, and who entered or left at each refresh")
    .option(
      "--ids <n>",
      "list up to n ids that entered and left at each refresh (with --purpose, --channel)",
      "0",
    )
    .option(
      "--purpose <purpose>",
      "with --ids: what those listed are wanted for (only who consented is listed)",
    )
    .option("--channel <channel>", "with --ids: how those listed would be reached")
    .action(async (id: string, opts, cmd: Command) => {
      const withIds = intOption(opts.ids, "--ids", 0) ?? 0;
      const result = await cli.run(cmd, segmentHistoryOperation, {
        id,
        withIds,
        ...(withIds > 0 ? useOptions(opts) : {}),
      });
      const points = result.history;
      cli.print(cmd, result, () =>
        table(
          [
            "as of",
            "size",
            "entered",
            "left",
            ...(points.some((p) => p.enteredIds) ? ["who entered", "who left"] : []),
          ],
          points.map((p) => [
            p.asOf,
            gatedText(p.size, result.minGroup),
            gatedText(p.entered, result.minGroup),
            gatedText(p.exited, result.minGroup),
            ...(p.enteredIds ? [p.enteredIds.join(" "), (p.exitedIds ?? []).join(" ")] : []),
          ]),
        ),
      );
    });

  withDefinitionOptions(
    seg.command("preview").description("size and a few ids of a definition, nothing saved"),
  )
    .option(...asOfOption)
    .action(async (file: string | undefined, opts, cmd: Command) => {
      const p = await cli.run(cmd, segmentPreviewOperation, {
        ...definitionFrom(file, opts),
        asOf: dateOption(opts.asOf, "--as-of"),
      });
      warn(cli, p.warnings);
      cli.print(
        cmd,
        p,
        () =>
          `${p.id}: ${gatedText(p.size, p.minGroup)} of ${formatCount(p.customers)} customers${p.share === null ? "" : ` (${pct(p.share)})`}\ne.g. ${p.sample.join(", ")}\n`,
      );
    });

  withDefinitionOptions(
    seg.command("diff").description("who would enter and leave if the saved segment took this definition"),
  )
    .option(...asOfOption)
    .action(async (file: string | undefined, opts, cmd: Command) => {
      const d = await cli.run(cmd, segmentDiffOperation, {
        ...definitionFrom(file, opts),
        asOf: dateOption(opts.asOf, "--as-of"),
      });
      warn(cli, d.warnings);
      cli.print(
        cmd,
        d,
        () =>
          `${d.id}: ${gatedText(d.currentSize, d.minGroup)} now → ${gatedText(d.newSize, d.minGroup)}; ${gatedText(d.entering, d.minGroup)} would enter (e.g. ${d.enteringSample.join(", ") || "none"}), ${gatedText(d.leaving, d.minGroup)} would leave (e.g. ${d.leavingSample.join(", ") || "none"})\n`,
      );
    });

  seg
    .command("explain <id>")
    .description("the SQL of a segment and how many customers pass each condition, step by step")
    .option(...asOfOption)
    .action(async (id: string, opts, cmd: Command) => {
      const x = await cli.run(cmd, segmentExplainOperation, { id, asOf: dateOption(opts.asOf, "--as-of") });
      warn(cli, x.warnings);
      cli.print(cmd, x, () => {
        const rows = x.steps.map((s) => [
          `${"  ".repeat(s.depth)}${s.condition}`,
          gatedText(s.passing, x.minGroup),
          s.cumulative === undefined ? null : gatedText(s.cumulative, x.minGroup),
        ]);
        return `${table(["condition", "passing alone", "with earlier (all)"], rows)}\n${x.id}: ${gatedText(x.size, x.minGroup)} of ${formatCount(x.customers)} customers\n\nFeature table:\n${x.featureSql}\n\nMembers (f: the feature table's rows with the traits they compare):\n${x.predicateSql}\n`;
      });
    });

  seg
    .command("overlap [ids...]")
    .description("pairwise overlap counts and Jaccard index of current memberships")
    .action(async (ids: string[], _o, cmd: Command) => {
      const o = await cli.run(cmd, segmentOverlapOperation, { ids });
      cli.print(
        cmd,
        o,
        () =>
          `${table(
            ["both", ...o.ids],
            o.ids.map((id, i) => [id, ...(o.counts[i] ?? []).map((c) => gatedText(c, o.minGroup))]),
          )}\n${table(
            ["Jaccard", ...o.ids],
            o.ids.map((id, i) => [
              id,
              ...(o.jaccard[i] ?? []).map((j) => (j === null ? gatedText(null, o.minGroup) : j.toFixed(3))),
            ]),
          )}${leftOut(o.notEvaluated)}`,
      );
    });

  seg
    .command("mece [ids...]")
    .description(
      "coverage and overlap of segments (default: every saved one but earlier exclusive results); --exclusive assigns each customer to the first matching one, in the order given",
    )
    .option(
      "--exclusive",
      "save mutually exclusive, collectively exhaustive segments <prefix><id> and <prefix>other",
    )
    .option("--prefix <p>", "id prefix of the exclusive segments", MECE_PREFIX)
    .option(...asOfOption)
    .action(async (ids: string[], opts, cmd: Command) => {
      // --as-of is checked either way, though only the exclusive segments are evaluated at a time.
      const asOf = dateOption(opts.asOf, "--as-of");
      const m = opts.exclusive
        ? await cli.run(cmd, segmentMeceExclusiveOperation, { ids, prefix: opts.prefix, asOf })
        : await cli.run(cmd, segmentMeceOperation, { ids, prefix: opts.prefix });
      cli.print(cmd, m, () => {
        let s = `coverage: ${gatedText(m.covered, m.minGroup)} of ${formatCount(m.customers)} customers${m.coverage === null ? "" : ` (${pct(m.coverage)})`} are in at least one; ${gatedText(m.overlapping, m.minGroup)} are in two or more\n${leftOut(m.notEvaluated)}`;
        if (m.exclusive)
          s += table(
            ["exclusive segment", "from", "size"],
            m.exclusive.map((x) => [x.id, x.from, gatedText(x.size, m.minGroup)]),
          );
        return s;
      });
    });
  registerSegmentChannels(seg, cli);
}
