import { accessSync, closeSync, constants, openSync, readSync, type Stats, statSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../../errors.js";
import { describeFile, FILE_HEAD_BYTES } from "../file-kind.js";
import type { OpenOptions } from "../store.js";

/**
 * A DuckDB file begins with three 4 KiB headers: the main one ("DUCK" at byte 8), then two database headers of
 * which the one with the higher iteration is current. It points to the block holding the catalog (its metadata):
 * a file that ends before that block cannot be read at all. (Its block count is no bound on the file's length:
 * DuckDB trims free blocks at the end of the file and still counts them.) A file cut short further on opens, and
 * fails when a statement reads a missing block: `duckdb-session.ts` says so then.
 */
export const FILE_HEADERS = 3 * 4096;
const MAGIC = "DUCK";

/** Where a path was found wanting, as `stat` sees it; null when it does not exist. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "EACCES")
      throw new UserError(
        "db-unreadable",
        "cannot be read: permission denied (on a folder on the way)",
        path,
      );
    throw e;
  }
}

function readHead(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EACCES")
      throw new UserError("db-unreadable", "cannot be read: permission denied", path);
    throw e;
  }
  try {
    const head = Buffer.alloc(Math.max(FILE_HEADERS, FILE_HEAD_BYTES));
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The length the file needs to hold its catalog, from the current header; null when it does not read as one. */
function neededSize(head: Buffer): number | null {
  if (head.length < FILE_HEADERS) return null;
  // Each database header: checksum (8 bytes), iteration, meta block, free list, block count, block size.
  const at = (offset: number) => ({
    iteration: head.readBigUInt64LE(offset + 8),
    metaBlock: head.readBigUInt64LE(offset + 16),
    blockSize: head.readBigUInt64LE(offset + 40),
  });
  const [a, b] = [at(4096), at(8192)];
  const current = a.iteration >= b.iteration ? a : b;
  // No catalog yet (a new, empty database), or a header this check does not know: left to DuckDB.
  if (current.metaBlock === 0xffffffffffffffffn || current.blockSize === 0n || current.blockSize > 1n << 30n)
    return null;
  // A metadata pointer: the block id in the low 56 bits, the index within the block in the high 8.
  const block = current.metaBlock & ((1n << 56n) - 1n);
  if (block > 1n << 40n) return null;
  return FILE_HEADERS + Number((block + 1n) * current.blockSize);
}

/** `r--r--r--` for a file's permission bits. */
function permissions(mode: number): string {
  return [6, 3, 0]
    .map((shift) => {
      const bits = (mode >> shift) & 7;
      return `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${bits & 1 ? "x" : "-"}`;
    })
    .join("");
}

/** Can this process write the file? Its permission bits are asked too: root may write anything, but a file with no
 * write permission for anyone was made read-only on purpose (as `rm` asks before removing one). */
function writable(path: string, stats: Stats): boolean {
  if ((stats.mode & 0o222) === 0) return false;
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a DuckDB database path before DuckDB opens it, so that whatever is wrong with it is a user error saying
 * what the path holds instead of the engine's text: a missing database for a command that reads (or a missing
 * folder for one that creates), a folder, a file that is not a DuckDB database (DuckDB would open an in-memory
 * database for some, and try to fetch an extension from the network for an SQLite file), a file cut short, and a
 * read-only file for a command that writes.
 */
export function checkDuckDBFile(path: string, options: OpenOptions): void {
  const stats = statOrNull(path);
  if (stats === null) {
    if (!options.create)
      throw new UserError(
        "no-database",
        "no such database (commands that read need an existing one; a command that writes, such as import, creates it)",
        path,
      );
    const folder = dirname(path);
    if (!statOrNull(folder)?.isDirectory())
      throw new UserError("no-folder", `the folder ${folder} does not exist: create it first`, path);
    return;
  }
  if (stats.isDirectory())
    throw new UserError(
      "not-a-database",
      "is a folder, not a DuckDB database file (chdb:DIR opens a folder as a ClickHouse database)",
      path,
    );
  const head = readHead(path);
  if (head.subarray(8, 12).toString("latin1") !== MAGIC)
    throw new UserError("not-a-database", `is ${describeFile(head, path)}, not a DuckDB database`, path);
  const needed = head.length < FILE_HEADERS ? FILE_HEADERS : neededSize(head);
  if (needed !== null && stats.size < needed)
    throw new UserError(
      "damaged-database",
      `is a damaged DuckDB database: ${stats.size} bytes, where its header needs at least ${needed} ` +
        "(cut short by a copy, a download or a full disk?); restore it from a copy",
      path,
    );
  if (options.access === "write" && !writable(path, stats))
    throw new UserError(
      "read-only-database",
      `is read-only (${permissions(stats.mode)}): a command that writes needs write permission on it; ` +
        "commands that only read it (stats, segment list, kpis, …) work as it is; those that show people write the audit log",
      path,
    );
}
