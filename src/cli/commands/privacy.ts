import type { Command } from "commander";
import type { Cli } from "../context.js";
import { registerPrivacyAudit } from "./privacy-audit.js";
import { registerPrivacyErase } from "./privacy-erase.js";
import { registerPrivacyExport } from "./privacy-export.js";
import { registerPrivacyFairness } from "./privacy-fairness.js";
import { registerPrivacyRetention } from "./privacy-retention.js";
import { registerPrivacySettings } from "./privacy-settings.js";
import { registerPrivacySuppression } from "./privacy-suppression.js";

/**
 * `tessera privacy …`: erasure, access requests, retention, the audit log, settings and fairness (issue 17). Each
 * subcommand family registers itself from its own module.
 */
export function registerPrivacy(program: Command, _cli: Cli): Command {
  const privacy = program
    .command("privacy")
    .description("privacy: erase or export a person, retention, the audit log, settings, fairness");
  registerPrivacyErase(privacy, _cli);
  registerPrivacyRetention(privacy, _cli);
  registerPrivacySettings(privacy, _cli);
  registerPrivacyAudit(privacy, _cli);
  registerPrivacyFairness(privacy, _cli);
  registerPrivacySuppression(privacy, _cli);
  registerPrivacyExport(privacy, _cli);
  return privacy;
}
