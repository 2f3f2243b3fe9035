import type { Command } from "commander";
import {
  keyCreateOperation,
  keyListOperation,
  keyRevokeOperation,
  ROLES,
  type Role,
} from "../../operations/access-operations.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";
import { choiceOption } from "./value-options.js";

export function registerKeys(program: Command, cli: Cli): void {
  const keys = program.command("keys").description("API keys for tessera serve: make, list, revoke");
  keys
    .command("create")
    .description(keyCreateOperation.summary)
    .requiredOption("--role <role>", `the key's role: ${ROLES.join(", ")}`)
    .option("--name <name>", "what the key is for (shown in lists and the audit log)")
    .action(async (opts, cmd: Command) => {
      const role = choiceOption<Role>(opts.role, "--role", ROLES, "admin");
      const made = await cli.run(cmd, keyCreateOperation, {
        role,
        ...(opts.name !== undefined ? { name: String(opts.name) } : {}),
      });
      cli.print(
        cmd,
        made,
        () =>
          `${made.key}\n\nKey ${made.id} (${made.name}), role ${made.role}. This is the only time it is shown: only its hash is stored.\n` +
          "Send it as: Authorization: Bearer <key>\n",
      );
    });
  keys
    .command("list")
    .description(keyListOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, keyListOperation, {});
      cli.print(cmd, r, () =>
        r.keys.length === 0
          ? "No API keys: make one with tessera keys create --role admin\n"
          : table(
              ["id", "name", "role", "created", "revoked"],
              r.keys.map((k) => [
                k.id,
                k.name,
                k.role,
                k.createdAt.slice(0, 19),
                k.revokedAt?.slice(0, 19) ?? "",
              ]),
            ),
      );
    });
  keys
    .command("revoke <id>")
    .description(keyRevokeOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const k = await cli.run(cmd, keyRevokeOperation, { id });
      cli.print(cmd, k, () => `revoked key ${k.id} (${k.name}) at ${k.revokedAt}\n`);
    });
}
