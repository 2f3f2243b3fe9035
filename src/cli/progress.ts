import type { Io } from "./io.js";

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(
  io: Io,
  label: string,
): { update(done: number, total: number): void; done(): void } {
  if (!io.interactive) return { update: () => {}, done: () => {} };
  let last = -1;
  return {
    update(done, total) {
      const pct = total > 0 ? Math.floor((done / total) * 100) : 0;
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      io.err(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${pct}%`);
    },
    done() {
      io.err(`\r${" ".repeat(label.length + 40)}\r`);
    },
  };
}
