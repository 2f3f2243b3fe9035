/** Where a command writes: injectable so tests run the CLI in-process and read what it printed. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Progress is drawn only on a terminal, and never with --json. */
  readonly interactive: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  interactive: Boolean(process.stderr.isTTY),
};

/** Collects output in memory (tests). */
export function memoryIo(): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    interactive: false,
    stdout: () => out,
    stderr: () => err,
  };
}
