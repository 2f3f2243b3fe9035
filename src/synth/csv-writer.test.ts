import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BufferedWriter, csvField, csvLine } from "./csv-writer.js";

describe("csvField", () => {
  it("quotes only when needed (RFC 4180)", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("")).toBe("");
    expect(csvLine(["x", "y,z", ""])).toBe('x,"y,z",\n');
  });
});

describe("BufferedWriter", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("writes everything in order across chunk boundaries, multibyte text included", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tessera-csv-"));
    dirs.push(dir);
    const path = join(dir, "out.csv");
    const w = new BufferedWriter(path, 64);
    let expected = "";
    for (let i = 0; i < 2_000; i++) {
      const line = `${i},Zürich,Tromsø,${"x".repeat(i % 50)}\n`;
      expected += line;
      w.write(line);
      if (i % 100 === 0) await w.drain();
    }
    const big = `${"é".repeat(500)}\n`; // larger than a chunk on its own
    expected += big;
    w.write(big);
    await w.close();
    expect(await readFile(path, "utf8")).toBe(expected);
    expect(w.written).toBe(Buffer.byteLength(expected));
  });
});
