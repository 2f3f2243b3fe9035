import { readFileSync, rmSync, writeFileSync } from "node:fs";

/**
 * A note beside a database that a server holds open (`tessera serve`): its address and process. A command that
 * finds the database locked by that process names the server instead of the lock (issue 16, item 6). The note is
 * written when the server starts listening and removed when it stops; one left by a server that was killed
 * names a process that no longer holds the lock, and is then ignored.
 */
export interface ServedBy {
  readonly url: string;
  readonly pid: number;
}

/** Where the note of a database lives: beside a file; nowhere for a server URL. */
function notePath(location: string): string | null {
  if (/^clickhouses?:\/\//.test(location)) return null;
  return `${location.replace(/^(duckdb|chdb):/, "")}.served-by.json`;
}

export function writeServedBy(location: string, note: ServedBy): void {
  const path = notePath(location);
  if (path) writeFileSync(path, `${JSON.stringify(note)}\n`);
}

export function removeServedBy(location: string): void {
  const path = notePath(location);
  if (path) rmSync(path, { force: true });
}

export function readServedBy(location: string): ServedBy | null {
  const path = notePath(location);
  if (!path) return null;
  try {
    const note = JSON.parse(readFileSync(path, "utf8")) as Partial<ServedBy>;
    return typeof note.url === "string" && typeof note.pid === "number"
      ? { url: note.url, pid: note.pid }
      : null;
  } catch {
    return null;
  }
}
