import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../../test/helpers.js";
import { filesUnder } from "./clickhouse-session.js";

describe("the storage files erasure searches (chdb)", () => {
  it("lists every file, marks those under replaced parts, and skips a directory gone since it was listed", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "store", "part_1"), { recursive: true });
    mkdirSync(join(dir, "store", "part_0"), { recursive: true });
    writeFileSync(join(dir, "store", "part_1", "data.bin"), "x");
    writeFileSync(join(dir, "store", "part_0", "data.bin"), "y");
    const files = filesUnder(dir, [`${join(dir, "store", "part_0")}/`]);
    expect(files.map((f) => [f.path.slice(dir.length), f.replaced]).sort()).toEqual([
      ["/store/part_0/data.bin", true],
      ["/store/part_1/data.bin", false],
    ]);
    // A merge's temporary directory removed between its parent's listing and its own: nothing, no error.
    expect(filesUnder(join(dir, "tmp_merge_gone"), [])).toEqual([]);
  });
});
