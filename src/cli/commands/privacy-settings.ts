import type { Command } from "commander";
import {
  privacySettingsOperation,
  privacySettingsSetOperation,
} from "../../operations/privacy-settings-operations.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

/** `tessera privacy settings [set NAME VALUE]`: the smallest group (k) and differential privacy. */
export function registerPrivacySettings(privacy: Command, cli: Cli): void {
  const settings = privacy
    .command("settings")
    .description(privacySettingsOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, privacySettingsOperation, {});
      cli.print(cmd, r, () =>
        table(
          ["setting", "value", "default", "set", "by", "meaning"],
          r.settings.map((s) => [
            s.name,
            show(s.value),
            show(s.default),
            s.updatedAt?.slice(0, 19) ?? "",
            s.updatedBy ?? "",
            s.description,
          ]),
        ),
      );
    });
  settings
    .command("set <name> <value>")
    .description(privacySettingsSetOperation.summary)
    .action(async (name: string, value: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, privacySettingsSetOperation, { name, value });
      cli.print(cmd, r, () => `${r.name} = ${show(r.value)} (was ${show(r.previous)})\n`);
    });
}

function show(v: unknown): string {
  return typeof v === "boolean" ? (v ? "on" : "off") : String(v);
}
