import type { Command } from "commander";
import { privacyEraseOperation } from "../../operations/privacy-erasure-operations.js";
import type { ErasureResult } from "../../privacy/erasure.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

/** `tessera privacy erase <person>`: erase one person, verified. */
export function registerPrivacyErase(privacy: Command, cli: Cli): void {
  privacy
    .command("erase <person>")
    .description(`${privacyEraseOperation.summary}; <person> is a customer id, user id, email or phone`)
    .action(async (person: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyEraseOperation, { person });
      cli.print(cmd, r, () => erasureText(r));
    });
}

const yesNo = (v: boolean | null, unknown: string): string => (v === null ? unknown : v ? "yes" : "NO");

/** What an erasure removed, and what its checks found. */
export function erasureText(r: ErasureResult): string {
  const v = r.verified;
  const rows = Object.entries(r.tables).filter(([, n]) => n > 0);
  const none = Object.entries(r.tables)
    .filter(([, n]) => n === 0)
    .map(([t]) => t);
  return [
    `Erased person ${r.person.slice(0, 16)}… (erasure ${r.erasure}): ${r.rowsRemoved} rows, ${r.tombstones} identifiers tombstoned.\n`,
    table(
      ["table", "rows removed"],
      rows.map(([t, n]) => [t, String(n)]),
    ),
    none.length > 0 ? `Nothing held in: ${none.join(", ")}.\n` : "",
    `Verified — no table holds them: ${yesNo(v.tables, "?")}; no file's bytes hold them: ${yesNo(v.bytes, "not checked (the files are not on this machine)")}` +
      ` (${v.searched} identifiers searched in ${v.files} files, ${(v.bytesRead / 1048576).toFixed(1)} MiB; ${v.tooShortToSearch} too short to search, checked by equality).\n`,
    ...(v.foundIn.length > 0 ? [`Still found in: ${v.foundIn.join(", ")}\n`] : []),
    ...(v.awaitingCleanup.length > 0
      ? [
          `${v.awaitingCleanup.length} files of storage the engine replaced still hold them until its own cleanup removes them (ClickHouse: old_parts_lifetime, 8 minutes by default).\n`,
        ]
      : []),
  ].join("");
}
