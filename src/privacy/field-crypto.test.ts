import { createHash, createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import {
  blindIndex,
  isSealed,
  keyringFromEnvironment,
  makeKeyring,
  newDataKey,
  open,
  openPersonal,
  openRaw,
  seal,
  sealPersonal,
  sealRaw,
  unwrapDataKey,
  wrapDataKey,
} from "./field-crypto.js";

const hex = (s: string) => Buffer.from(s, "hex");
const K1 = hex("11".repeat(32));
const K2 = hex("22".repeat(32));
const ring1 = makeKeyring(new Map([[1, K1]]), 1, 1);
const ring12 = makeKeyring(
  new Map([
    [1, K1],
    [2, K2],
  ]),
  2,
  1,
);

/** HKDF-SHA256 (RFC 5869) written out from the RFC, as the reference for the derived index key. */
function hkdfReference(ikm: Buffer, salt: Buffer, info: string | Buffer, length: number): Buffer {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  let t = Buffer.alloc(0);
  const out: Buffer[] = [];
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac("sha256", prk)
      .update(Buffer.concat([t, typeof info === "string" ? Buffer.from(info) : info, Buffer.from([i])]))
      .digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

describe("field encryption", () => {
  it("is AES-256-GCM: the test cases 13 and 14 of McGrew & Viega's GCM specification", () => {
    const zero = Buffer.alloc(32);
    const iv = Buffer.alloc(12);
    // Our framing is iv ‖ tag ‖ ciphertext.
    expect(sealRaw(zero, iv, Buffer.alloc(0), "").toString("hex")).toBe(
      `${"00".repeat(12)}530f8afbc74536b9a963b4f1c4cb738b`,
    );
    expect(sealRaw(zero, iv, Buffer.alloc(16), "").toString("hex")).toBe(
      `${"00".repeat(12)}d0d1c8a799996bf0265b98b5d48ab919cea7403d4d606b6e074ec5d3baf39d18`,
    );
    expect(openRaw(zero, hex(`${"00".repeat(12)}530f8afbc74536b9a963b4f1c4cb738b`), "")).toEqual(
      Buffer.alloc(0),
    );
  });

  it("seals a value so that its text is not in the sealed form, and opens it back", () => {
    const text = seal(ring1, "ana@example.com", "customers.email");
    expect(isSealed(text)).toBe(true);
    expect(text).toMatch(/^tse1\.1\./);
    expect(text).not.toContain("ana");
    expect(open(ring1, text, "customers.email")).toBe("ana@example.com");
    // A fresh IV each time: the same value seals to two texts (matching goes through the blind index).
    expect(seal(ring1, "ana@example.com", "customers.email")).not.toBe(text);
  });

  it("refuses a changed value, another place, a wrong key or a missing version — never garbage", () => {
    const text = seal(ring1, "+447700900123", "customers.phone");
    const body = Buffer.from(text.slice("tse1.1.".length), "base64url");
    body[body.length - 1] = (body[body.length - 1] as number) ^ 1;
    const changed = `tse1.1.${body.toString("base64url")}`;
    expect(() => open(ring1, changed, "customers.phone")).toThrow(/wrong|changed/);
    expect(() => open(ring1, text, "customers.email")).toThrow(/key version 1/);
    const other = makeKeyring(new Map([[1, K2]]), 1, 1);
    expect(() => open(other, text, "customers.phone")).toThrow(
      expect.objectContaining({ code: "wrong-encryption-key" }),
    );
    const v2only = makeKeyring(new Map([[2, K2]]), 2, 2);
    expect(() => open(v2only, text, "customers.phone")).toThrow(
      /version 1, which the keyring does not hold \(it has 2\)/,
    );
    expect(() => open(ring1, "ana@example.com", "customers.email")).toThrow(
      expect.objectContaining({ code: "not-sealed" }),
    );
  });

  it("rotates: new values take the current version, old ones still open, the blind index does not move", () => {
    const old = seal(ring1, "ana@example.com", "customers.email");
    const fresh = seal(ring12, "ana@example.com", "customers.email");
    expect(fresh).toMatch(/^tse1\.2\./);
    expect(open(ring12, old, "customers.email")).toBe("ana@example.com");
    expect(open(ring12, fresh, "customers.email")).toBe("ana@example.com");
    expect(blindIndex(ring12, "email", "ana@example.com")).toBe(
      blindIndex(ring1, "email", "ana@example.com"),
    );
  });

  it("indexes with SHA256(outer ‖ SHA256(inner ‖ kind:value)) under HKDF-derived keys, written out from the RFCs", () => {
    const keys = hkdfReference(K1, Buffer.from("tessera field encryption v1"), "blind index", 64);
    const [inner, outer] = [keys.subarray(0, 32).toString("hex"), keys.subarray(32).toString("hex")];
    const sha = (t: string) => createHash("sha256").update(t).digest("hex");
    const expected = sha(outer + sha(`${inner}email:ana@example.com`));
    expect(blindIndex(ring1, "email", "ana@example.com")).toBe(expected);
    // The kind is part of the message: the same text as an email and as a user id does not share an index.
    expect(blindIndex(ring1, "user_id", "ana@example.com")).not.toBe(expected);
    // And the reference itself is right: RFC 5869, test case 1.
    const okm = hkdfReference(
      hex("0b".repeat(22)),
      hex("000102030405060708090a0b0c"),
      hex("f0f1f2f3f4f5f6f7f8f9"),
      42,
    );
    expect(okm.toString("hex")).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
  });

  it("seals under a person's own key, which the keyring wraps: without it the values are gone", () => {
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(ring1, dataKey, "c-42");
    const email = sealPersonal(dataKey, "ana@example.com", "customers.email");
    expect(isSealed(email)).toBe(true);
    expect(openPersonal(unwrapDataKey(ring1, wrapped, "c-42"), email, "customers.email")).toBe(
      "ana@example.com",
    );
    // A wrapped key belongs to its person: another id does not open it.
    expect(() => unwrapDataKey(ring1, wrapped, "c-43")).toThrow(/wrong|changed/);
    expect(() => openPersonal(newDataKey(), email, "customers.email")).toThrow(
      expect.objectContaining({ code: "wrong-encryption-key" }),
    );
  });

  it("takes its keys from the environment or a key file, and names what is wrong", () => {
    expect(keyringFromEnvironment({})).toBeNull();
    const r = keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY: K1.toString("base64") });
    expect(r?.current).toBe(1);
    expect(open(r as never, seal(ring1, "x", "t.c"), "t.c")).toBe("x");
    expect(keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY: K1.toString("hex") })?.versions).toEqual([1]);
    expect(() => keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY: "secret" })).toThrow(
      /TESSERA_ENCRYPTION_KEY: not a 256-bit key/,
    );
    expect(() =>
      keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY: Buffer.alloc(16).toString("base64") }),
    ).toThrow(/not a 256-bit key/);
    const dir = tempDir("tessera-keys-");
    const file = join(dir, "keys.json");
    writeFileSync(
      file,
      JSON.stringify({ current: 2, index: 1, keys: { 1: K1.toString("base64"), 2: K2.toString("hex") } }),
    );
    const ring = keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY_FILE: file });
    expect([ring?.current, ring?.index, ring?.versions]).toEqual([2, 1, [1, 2]]);
    expect(open(ring as never, seal(ring1, "x", "t.c"), "t.c")).toBe("x");
    writeFileSync(file, JSON.stringify({ current: 3, keys: { 1: K1.toString("base64") } }));
    expect(() => keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY_FILE: file })).toThrow(`${file}: current`);
    writeFileSync(file, JSON.stringify({ keys: { one: K1.toString("base64") } }));
    expect(() => keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY_FILE: file })).toThrow(`${file}: keys.one`);
    writeFileSync(file, "{");
    expect(() => keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY_FILE: file })).toThrow(/not JSON/);
    expect(() => keyringFromEnvironment({ TESSERA_ENCRYPTION_KEY_FILE: join(dir, "none.json") })).toThrow(
      /no such key file/,
    );
  });
});
