/**
 * README.md read as a script: the shell examples of its ```sh / ```bash / ```console blocks, in document order,
 * turned into steps that test/readme.test.ts runs. What counts as an example:
 *
 * - a command line (`\` continues it; an unquoted `#` starts a comment; in a ```console block, only a line after
 *   a `$ ` prompt, the others being output), with leading `NAME=value` assignments as its environment;
 *   `npx tessera …`, `tessera …` and `node bin/tessera.js …` are run, anything else must match {@link SKIPPED}
 *   (it is then reported as skipped, with the reason) or the test fails;
 * - a comment that says `exits N` makes N the expected exit code (an error shown on purpose); else 0;
 * - a heredoc (`cat > FILE <<'EOF'` … `EOF`) writes the file, as the shell would;
 * - a fenced block whose info string names a file after its language (```json lapsed.json) is a file the
 *   reader saves: its text is written to that file at that point.
 *
 * Shell syntax beyond that (pipes, redirections, `$VAR`, `&&`) and placeholders (`…`, `[--option]`) are
 * refused with the line number: an example a reader cannot paste as it stands is a README bug.
 */

/** Commands the test does not run, each with the reason. Keep this list tiny: every other command is run. */
export const SKIPPED: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern: /^npm (install|ci)\b/,
    reason: "installs packages: the test runs inside an installed clone",
  },
  {
    pattern: /^npm (start|test|run)\b/,
    reason:
      "an npm script: `npm test` runs this suite (it is what .ci/run runs), `npm start` builds, runs `tessera demo` " +
      "on 50,000 customers (test/demo-cli.test.ts runs the demo on small bases) and serves the dashboard until " +
      "stopped (test/dashboard/ drives it in Chromium), typecheck, lint " +
      "and the benchmarks are developer tools outside `npm test`",
  },
  {
    pattern: /^(npx )?tessera serve\b/,
    reason:
      "the HTTP API: `serve` runs until stopped; test/server-api.test.ts starts the server, makes the README's " +
      "requests (its curl lines are a text block) and stops the command with SIGTERM",
  },
  {
    pattern: /--db (chdb|clickhouses?):/,
    reason:
      "a ClickHouse engine: test/engine-readme.test.ts runs the engine section's commands on chdb and on DuckDB",
  },
];

export const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console"]);

export type Step =
  | { kind: "run"; line: number; text: string; env: Record<string, string>; args: string[]; exit: number }
  | { kind: "file"; line: number; path: string; content: string }
  /** `args`: a skipped tessera command's arguments (test/engine-readme.test.ts runs the ClickHouse ones). */
  | { kind: "skip"; line: number; text: string; reason: string; args?: string[] }
  | { kind: "invalid"; line: number; text: string; reason: string };

const TESSERA = [["npx", "tessera"], ["tessera"], ["node", "bin/tessera.js"]];
const HEREDOC = /^cat\s*>\s*(\S+)\s*<<-?\s*(['"]?)(\w+)\2\s*$/;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** The README's steps, in document order. */
export function readmeSteps(readme: string): Step[] {
  const lines = readme.split("\n");
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(.*)$/.exec(lines[i] ?? "");
    if (!fence) continue;
    const [language = "", file = ""] = (fence[1] ?? "").trim().split(/\s+/);
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] ?? "").startsWith("```")) end++;
    const body = lines.slice(start, end);
    if (language === "console") {
      // A transcript: commands follow a prompt; the other lines are what they printed (blanked, keeping numbers).
      const commands = body.map((l) => (l.startsWith("$ ") ? l.slice(2) : ""));
      steps.push(...shellSteps(commands, start + 1));
    } else if (SHELL_LANGUAGES.has(language)) steps.push(...shellSteps(body, start + 1));
    else if (/^[\w./-]+$/.test(file))
      steps.push({ kind: "file", line: start, path: file, content: `${body.join("\n")}\n` });
    i = end;
  }
  return steps;
}

/** The steps of one shell block; `firstLine` is the README line number (1-based) of its first line. */
function shellSteps(body: string[], firstLine: number): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < body.length; i++) {
    const line = firstLine + i;
    let text = body[i] ?? "";
    const heredoc = HEREDOC.exec(text.trim());
    if (heredoc) {
      const [, path = "", , delimiter = ""] = heredoc;
      const end = body.indexOf(delimiter, i + 1);
      if (end < 0) {
        steps.push({ kind: "invalid", line, text, reason: `no line ${delimiter} ends the heredoc` });
        break;
      }
      steps.push({ kind: "file", line, path, content: `${body.slice(i + 1, end).join("\n")}\n` });
      i = end;
      continue;
    }
    while (text.endsWith("\\") && i + 1 < body.length) text = `${text.slice(0, -1)} ${body[++i] ?? ""}`;
    const parsed = words(text);
    if (typeof parsed === "string") {
      steps.push({ kind: "invalid", line, text, reason: parsed });
      continue;
    }
    const { words: all, comment } = parsed;
    if (all.length === 0) continue;
    const env: Record<string, string> = {};
    let w = 0;
    for (let m = ASSIGNMENT.exec(all[w] ?? ""); m; m = ASSIGNMENT.exec(all[++w] ?? ""))
      env[m[1] ?? ""] = m[2] ?? "";
    const command = all.slice(w);
    const shown = command.join(" ");
    const skipped = SKIPPED.find((s) => s.pattern.test(shown));
    const prefix = TESSERA.find((p) => p.every((word, k) => command[k] === word));
    const args = prefix ? command.slice(prefix.length) : undefined;
    if (skipped)
      steps.push({ kind: "skip", line, text: shown, reason: skipped.reason, ...(args && { args }) });
    else if (!args) {
      steps.push({ kind: "invalid", line, text, reason: "not a tessera command, and not in SKIPPED" });
    } else {
      const placeholder = args.find((a) => a.includes("…") || a.startsWith("["));
      const exit = Number(/\bexits (\d)\b/.exec(comment)?.[1] ?? 0);
      if (placeholder) steps.push({ kind: "invalid", line, text, reason: `a placeholder: ${placeholder}` });
      else steps.push({ kind: "run", line, text: shown, env, args, exit });
    }
  }
  return steps;
}

/**
 * A command line split into words as a POSIX shell would for the syntax READMEs use: single quotes (literal),
 * double quotes (with `\"`, `\\` and `\$` escapes), backslash escapes, and `#` at the start of a word beginning
 * a comment (returned). Returns the reason instead when the line needs more of a shell than that.
 */
export function words(line: string): { words: string[]; comment: string } | string {
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === " " || c === "\t") {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      return { words: out, comment: line.slice(i + 1).trim() };
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return "an unclosed single quote";
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && /["\\$`]/.test(line[j + 1] ?? "")) j++;
        else if (line[j] === "$" || line[j] === "`") return "an expansion inside double quotes";
        text += line[j];
      }
      if (j >= line.length) return "an unclosed double quote";
      word = (word ?? "") + text;
      i = j;
    } else if (c === "\\") {
      word = (word ?? "") + (line[++i] ?? "");
    } else if (/[|&;<>$`()]/.test(c)) {
      return `shell syntax this test does not run: ${c}`;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) out.push(word);
  return { words: out, comment: "" };
}
