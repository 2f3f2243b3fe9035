import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { WriteAheadLog } from "../server/wal.js";
import { trackingLogCodec } from "./encryption.js";
import { makeKeyring } from "./field-crypto.js";

const ring = makeKeyring(new Map([[1, Buffer.alloc(32, 7)]]), 1, 1);
const EVENT = JSON.stringify({
  kind: "customers",
  row: { customer_id: "u1", email: "quentin.private@example.org" },
});

const logBytes = (dir: string) => Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));

describe("the tracking log with a key", () => {
  it("keeps no event text in clear on disk, and gives it back on replay", async () => {
    const dir = tempDir("tessera-wal-");
    const wal = await WriteAheadLog.open(dir, { codec: trackingLogCodec(ring) });
    await wal.append([EVENT, EVENT]);
    await wal.close();
    expect(logBytes(dir).includes("quentin.private")).toBe(false);
    const again = await WriteAheadLog.open(dir, { codec: trackingLogCodec(ring) });
    expect([...again.replay()].map((r) => r.text)).toEqual([EVENT, EVENT]);
    await again.close();
    // Without the key, sealed records are refused with the reason; records from before a key read as they are.
    const keyless = await WriteAheadLog.open(dir, { codec: trackingLogCodec(null) });
    expect(() => [...keyless.replay()]).toThrow(
      /tracking log holds sealed events: set TESSERA_ENCRYPTION_KEY/,
    );
    await keyless.close();
    const plain = tempDir("tessera-wal-");
    const before = await WriteAheadLog.open(plain);
    await before.append([EVENT]);
    await before.close();
    expect(logBytes(plain).includes("quentin.private")).toBe(true);
    const after = await WriteAheadLog.open(plain, { codec: trackingLogCodec(ring) });
    expect([...after.replay()].map((r) => r.text)).toEqual([EVENT]);
    await after.close();
  });
});
