import { readFileSync } from "node:fs";
import { UserError } from "../../errors.js";
import { readServedBy } from "../served-by.js";
import type { OpenOptions } from "../store.js";

/** DuckDB's words for a block it could not read: the file ends before it (cut short after it was written). */
const MISSING_BLOCK = /Could not read enough bytes from file/;

/** A process as `ps` would show it: its command line when this system tells it (Linux's /proc), else nothing. */
function commandLine(pid: number): string | null {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const text = args.join(" ");
    return text === "" ? null : text.length > 160 ? `${text.slice(0, 157)}…` : text;
  } catch {
    return null;
  }
}

/**
 * DuckDB locks a file for the process that opens it: a process that writes excludes every other one, readers
 * included; processes that opened it read-only exclude writers only (its message then says read-only would work).
 */
function lockMessage(path: string, text: string, options: OpenOptions): string | null {
  const m = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(text);
  if (m === null) return null;
  const pid = Number(m[2]);
  const server = readServedBy(path);
  if (server?.pid === pid)
    return (
      `is held by the Tessera server at ${server.url} (process ${pid}): use its API (${server.url}/api/openapi.json ` +
      "lists it), or stop the server first"
    );
  const who = `process ${pid} (${commandLine(pid) ?? m[1]})`;
  const holderReads = /read-only mode/.test(text);
  if (holderReads && options.access === "write")
    return `is open for reading in ${who}: commands that read can run meanwhile, a command that writes cannot until it ends: run it again then`;
  return (
    `is locked by ${who}, which writes to it: while it does, DuckDB lets no other process open the file, ` +
    "not even to read it; run the command again when it has finished"
  );
}

/**
 * Turns the error DuckDB gave when it opened a file into a user error saying what is wrong with the file or its
 * surroundings (these are the user's to fix: a lock, permissions, a damaged or foreign file), or returns it
 * as it is when it is none of those (a bug).
 */
export function explainOpenError(path: string, e: unknown, options: OpenOptions): unknown {
  const text = (e as Error)?.message ?? String(e);
  const locked = lockMessage(path, text, options);
  if (locked !== null) return new UserError("database-locked", locked, path);
  if (/permission denied/i.test(text))
    return new UserError(
      "db-permission",
      "cannot be opened: permission denied (on the file or its folder)",
      path,
    );
  if (/database does not exist/i.test(text)) return new UserError("no-database", "no such database", path);
  if (/not a valid DuckDB database file/i.test(text))
    return new UserError("not-a-database", "is not a DuckDB database", path);
  if (MISSING_BLOCK.test(text) || /checksum|corrupt/i.test(text))
    return new UserError(
      "damaged-database",
      "is a damaged DuckDB database (cut short or overwritten); restore it from a copy",
      path,
    );
  if (/Trying to read a database file with version|database file .* version/i.test(text))
    return new UserError(
      "database-version",
      `was written by a DuckDB this Tessera cannot read (${text.replace(/^IO Error: /, "")})`,
      path,
    );
  if (/^IO Error/.test(text))
    return new UserError("cannot-open", `cannot be opened: ${text.replace(/^IO Error: /, "")}`, path);
  return e;
}

/**
 * An error of a statement, as the user should see it: a file cut short (which opens, since DuckDB reads blocks only
 * when a statement needs them) is theirs to fix, not a bug. Anything else is returned as it is.
 */
export function explainStatementError(path: string, e: unknown): unknown {
  const text = (e as Error)?.message ?? "";
  if (MISSING_BLOCK.test(text))
    return new UserError(
      "damaged-database",
      "is a damaged DuckDB database: part of it is missing (cut short by a copy, a download or a full disk?); " +
        "restore it from a copy",
      path,
    );
  // Found only when DuckDB first writes (its .wal beside the file, or the file at a checkpoint): the transaction
  // is rolled back, and what stands in the way is the user's to clear.
  if (/No space left on device/i.test(text))
    return new UserError(
      "disk-full",
      "cannot be written: the disk is full (the transaction at work was rolled back)",
      path,
    );
  if (/Permission denied/i.test(text))
    return new UserError(
      "db-permission",
      "cannot be written: permission denied on the file or its folder, where DuckDB writes its .wal (the transaction at work was rolled back)",
      path,
    );
  return e;
}
