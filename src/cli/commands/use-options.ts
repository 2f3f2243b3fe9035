import type { Command } from "commander";
import { UserError } from "../../errors.js";

/**
 * `--purpose P --channel C`: what people are wanted for and how they would be reached, which every command that
 * lists people for a use needs (the consent gate passes only those who consented to it).
 */
export function addUseOptions(cmd: Command, what = "the people listed"): Command {
  return cmd
    .option(
      "--purpose <purpose>",
      `what ${what} are wanted for (required: only those who consented are listed)`,
    )
    .option("--channel <channel>", `how ${what} would be reached: email, sms, push… (required)`);
}

/** The purpose and channel given, each required: a missing one is refused naming its option. */
export function useOptions(opts: { purpose?: string; channel?: string }): {
  purpose: string;
  channel: string;
} {
  for (const [name, value] of [
    ["--purpose", opts.purpose],
    ["--channel", opts.channel],
  ] as const)
    if (value === undefined || value.trim() === "")
      throw new UserError(
        "bad-option",
        `required: people are listed only for a purpose and a channel they consented to`,
        name,
      );
  return { purpose: opts.purpose as string, channel: opts.channel as string };
}
