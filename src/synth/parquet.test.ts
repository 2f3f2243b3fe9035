import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BufferedWriter } from "./csv-writer.js";
import { EVENT_COLUMNS, EventConversion } from "./parquet.js";
import { FileReader } from "./test-helpers.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tessera-parquet-"));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const ROWS = 50_000;

async function convert(pipe: boolean, name: string): Promise<{ path: string; streaming: boolean }> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const path = join(dir, "events.parquet");
  const conversion = await EventConversion.start(dir, ".tmp-events", path, pipe);
  const out = new BufferedWriter(await conversion.openInput());
  for (let i = 0; i < ROWS; i++) {
    const anonymous = i % 3 === 0;
    out.write(
      `m${i}\t${1_751_328_000 + i * 60}\t${anonymous ? "page" : "track"}\t${anonymous ? "Page Viewed" : "Product Viewed"}\t${anonymous ? "" : `C${i % 97}`}\tanon-${i % 13}\t{"device":"mobile","n":${i}}\n`,
    );
    if (i % 5_000 === 0) await out.drain();
  }
  await out.close();
  await conversion.finish();
  expect(await readdir(dir)).toEqual(["events.parquet"]);
  return { path, streaming: conversion.streaming };
}

describe("EventConversion", () => {
  it("gives the same Parquet bytes through a pipe and through a temporary file", async () => {
    const piped = await convert(true, "piped");
    const filed = await convert(false, "filed");
    expect(filed.streaming).toBe(false);
    const hash = async (p: string): Promise<string> =>
      createHash("sha256")
        .update(await readFile(p))
        .digest("hex");
    expect(await hash(piped.path)).toBe(await hash(filed.path));

    const db = await FileReader.open();
    try {
      expect(await db.columns(`read_parquet('${piped.path}')`)).toEqual([...EVENT_COLUMNS]);
      const [row] = await db.rows(`SELECT count(*) AS n, count(user_id) AS users, count(event) AS events,
        strftime(min(timestamp), '%Y-%m-%dT%H:%M:%SZ') AS first, typeof(min(timestamp)) AS type,
        max(json_extract(properties, '$.n')::INT) AS last
        FROM read_parquet('${piped.path}')`);
      expect(row).toEqual({
        n: ROWS,
        users: ROWS - Math.ceil(ROWS / 3),
        events: ROWS,
        first: "2025-07-01T00:00:00Z",
        type: "TIMESTAMP",
        last: ROWS - 1,
      });
    } finally {
      db.close();
    }
  });
});
