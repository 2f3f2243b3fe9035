import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { makeCli } from "./context.js";
import { memoryIo } from "./io.js";
import { COMMANDS, commandWord, main } from "./main.js";

describe("the command line's commands, each loaded when it runs", () => {
  it("list every top-level command each module registers, once", async () => {
    for (const c of COMMANDS) {
      const p = new Command("tessera");
      (await c.load())(p, makeCli(memoryIo()));
      expect(
        p.commands.map((x) => x.name()),
        c.names.join(", "),
      ).toEqual(c.names);
    }
    const names = COMMANDS.flatMap((c) => c.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it("find the command word past the global options and their values", () => {
    expect(commandWord(["--db", "segment", "stats"])).toBe("stats");
    expect(commandWord(["--json", "--db=./x.duckdb", "segment", "list"])).toBe("segment");
    expect(commandWord(["segment", "list", "--db", "x"])).toBe("segment");
    expect(commandWord(["--help"])).toBeUndefined();
    expect(commandWord([])).toBeUndefined();
  });

  it("show every command in the overall help, and suggest one for a misspelt word", async () => {
    const help = memoryIo();
    expect(await main(["--help"], help)).toBe(0);
    const listed = [...help.stdout().matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]);
    expect(listed).toEqual([...COMMANDS.flatMap((c) => c.names), "help"]);
    const typo = memoryIo();
    expect(await main(["segmnt", "list"], typo)).toBe(1);
    expect(typo.stderr()).toContain("(Did you mean segment?)");
  });

  it("give a command's own help and its errors with only its module loaded", async () => {
    const help = memoryIo();
    expect(await main(["--db", "x.duckdb", "privacy", "--help"], help)).toBe(0);
    expect(help.stdout()).toContain("Usage: tessera privacy");
    const bad = memoryIo();
    expect(await main(["stats", "--nope"], bad)).toBe(1);
    expect(bad.stderr()).toContain("unknown option '--nope'");
  });
});
