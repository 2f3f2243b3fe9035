import { spawn } from "node:child_process";
import { appendFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { WriteAheadLog } from "./wal.js";

const texts = (wal: WriteAheadLog) => [...wal.replay()].map((r) => r.text);

describe("the write-ahead log", () => {
  it("replays what was appended, in order, across a reopen; concurrent appends share syncs", async () => {
    const dir = tempDir();
    const wal = await WriteAheadLog.open(dir);
    // 100 appends made at once: one group (or a few), not 100 syncs.
    const seqs = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append([`{"n":${i}}`])));
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(wal.syncs).toBeLessThanOrEqual(2);
    expect(await wal.append(["a", "b\nwith a line break", "ü"])).toBe(103);
    await wal.close();
    const again = await WriteAheadLog.open(dir);
    expect(texts(again)).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `{"n":${i}}`),
      "a",
      "b\nwith a line break",
      "ü",
    ]);
    expect(await again.append(["next"])).toBe(104);
    await again.close();
  });

  it("drops a torn tail (a crash mid-write) and appends after the last whole record", async () => {
    const dir = tempDir();
    const wal = await WriteAheadLog.open(dir);
    await wal.append(["one", "two"]);
    await wal.close();
    const [segment] = readdirSync(dir).filter((f) => f.startsWith("wal-"));
    // Half a record, then one whose checksum is wrong.
    appendFileSync(join(dir, segment as string), "3 5 123\thal");
    const reopened = await WriteAheadLog.open(dir);
    expect(texts(reopened)).toEqual(["one", "two"]);
    expect(await reopened.append(["three"])).toBe(3);
    await reopened.close();
    const last = await WriteAheadLog.open(dir);
    expect(texts(last)).toEqual(["one", "two", "three"]);
    await last.close();
    // A record with a wrong checksum ends the log there.
    appendFileSync(join(dir, segment as string), "4 4 1\tfour\n");
    const checked = await WriteAheadLog.open(dir);
    expect(texts(checked)).toEqual(["one", "two", "three"]);
    await checked.close();
  });

  it("replays only after the checkpoint, and deletes the segments before it", async () => {
    const dir = tempDir();
    const wal = await WriteAheadLog.open(dir, { segmentBytes: 64 });
    for (let i = 1; i <= 20; i++) await wal.append([`record ${i} padded to fill a segment quickly`]);
    const before = readdirSync(dir).filter((f) => f.startsWith("wal-")).length;
    expect(before).toBeGreaterThan(5);
    wal.checkpoint(15);
    expect([...wal.replay()].map((r) => r.seq)).toEqual([16, 17, 18, 19, 20]);
    expect(readdirSync(dir).filter((f) => f.startsWith("wal-")).length).toBeLessThan(before);
    await wal.close();
    const again = await WriteAheadLog.open(dir, { segmentBytes: 64 });
    expect(again.loaded).toBe(15);
    expect([...again.replay()].map((r) => r.text)).toEqual(
      [16, 17, 18, 19, 20].map((i) => `record ${i} padded to fill a segment quickly`),
    );
    expect(await again.append(["21"])).toBe(21);
    await again.close();
  });

  it("loses no acknowledged record when its process is killed (kill -9) at any moment, again and again", async () => {
    const dir = tempDir();
    // A writer with 8 concurrent clients; it prints a record's id once its append has resolved (acknowledged).
    const script = join(tempDir(), "writer.mjs");
    const wal = join(import.meta.dirname, "..", "..", "dist", "src", "server", "wal.js");
    writeFileSync(
      script,
      `import { WriteAheadLog } from ${JSON.stringify(wal)};
       const [dir, run] = process.argv.slice(2);
       const log = await WriteAheadLog.open(dir, { segmentBytes: 4096 });
       let n = 0;
       const client = async (c) => { for (;;) { const id = run + "-" + c + "-" + n++; await log.append([JSON.stringify({ id })]); process.stdout.write(id + "\\n"); } };
       for (let c = 0; c < 8; c++) void client(c);`,
    );
    const acknowledged: string[] = [];
    for (let run = 0; run < 6; run++) {
      const child = spawn(process.execPath, [script, dir, String(run)]);
      let out = "";
      await new Promise<void>((resolve) => {
        child.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          // Killed at a different moment each run: after 50 to 300 acknowledgements.
          if (out.split("\n").length > 50 + run * 50) child.kill("SIGKILL");
        });
        child.on("exit", () => resolve());
      });
      acknowledged.push(...out.split("\n").filter((l) => l !== ""));
    }
    const log = await WriteAheadLog.open(dir, { segmentBytes: 4096 });
    const stored = [...log.replay()].map((r) => (JSON.parse(r.text) as { id: string }).id);
    await log.close();
    // Every acknowledged record is there, once; sequences only grow.
    expect(acknowledged.length).toBeGreaterThan(300);
    const seen = new Set(stored);
    expect(seen.size).toBe(stored.length);
    expect(acknowledged.filter((id) => !seen.has(id))).toEqual([]);
  }, 60_000);
});
