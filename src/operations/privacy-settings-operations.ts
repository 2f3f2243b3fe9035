import { z } from "zod";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import {
  MIN_GROUP_FLOOR,
  type PrivacySettings,
  readSettingRows,
  type SettingName,
  type SettingRow,
  writeSetting,
} from "../privacy/settings.js";
import { defineOperation } from "./operation.js";

/** `privacy.settings`: the privacy settings in force, each with its default and when it was last set. */
export const privacySettingsOperation = defineOperation({
  name: "privacy.settings",
  summary: "the privacy settings: smallest group (k), differential privacy and its budget",
  input: z.object({}).strict(),
  access: "read",
  run: async (session): Promise<{ settings: SettingRow[]; minGroupFloor: number }> => ({
    settings: await readSettingRows(session),
    minGroupFloor: MIN_GROUP_FLOOR,
  }),
});

export const PrivacySettingsSetInput = z
  .object({
    name: z.string(),
    /** Text as typed at the command line, or a number or a boolean from the API. */
    value: z.union([z.string(), z.number(), z.boolean()]),
  })
  .strict();

/**
 * `privacy.settings.set`: changes one setting (checked: `min_group` below the floor of 5 is refused with the reason)
 * and records the change in the audit log. Every cached report is read again: the k changes what they show.
 */
export const privacySettingsSetOperation = defineOperation({
  name: "privacy.settings.set",
  summary: "change a privacy setting (recorded in the audit log)",
  input: PrivacySettingsSetInput,
  access: "write",
  changes: ["privacy"],
  run: async (
    session,
    { name, value },
    _emit,
    caller,
  ): Promise<{
    name: SettingName;
    value: PrivacySettings[SettingName];
    previous: PrivacySettings[SettingName];
  }> => {
    const set = await writeSetting(session, name, value, caller.who);
    await recordSensitiveAction(session, {
      who: caller.who,
      action: "privacy.settings.set",
      subject: `setting=${set.name} ${String(set.previous)} -> ${String(set.value)}`,
      people: 0,
    });
    return set;
  },
});
