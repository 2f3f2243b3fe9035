import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isUserError } from "../errors.js";
import { newMessageId, parseSecret, signature, webhookHeaders } from "./webhook-signing.js";

describe("Standard Webhooks signing", () => {
  it("matches the specification's reference library's published signature", () => {
    // standard-webhooks/libraries/javascript/src/webhook.test.ts, "sign function works".
    const key = parseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    expect(signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it("signs id.timestamp.body with HMAC-SHA256 keyed by the secret's decoded bytes", () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const body = '{"a":1,"é":"ü"}';
    const h = webhookHeaders(parseSecret(secret), "msg_x1", 1700000000, Buffer.from(body));
    const expected = createHmac("sha256", Buffer.alloc(32, 7))
      .update(`msg_x1.1700000000.${body}`)
      .digest("base64");
    expect(h).toEqual({
      "webhook-id": "msg_x1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": `v1,${expected}`,
    });
  });

  it("refuses secrets that are not whsec_ and 24 to 64 bytes of base64, naming the field", () => {
    const bad = [
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // no prefix
      "hunter2",
      "whsec_not base64!!",
      "whsec_abc", // not a multiple of 4
      `whsec_${Buffer.alloc(23).toString("base64")}`, // 23 bytes
      `whsec_${Buffer.alloc(65).toString("base64")}`, // 65 bytes
      "whsec_",
    ];
    for (const s of bad) {
      try {
        parseSecret(s, "--secret");
        expect.unreachable(s);
      } catch (e) {
        expect(isUserError(e) && e.code === "bad-secret" && e.where === "--secret", s).toBe(true);
      }
    }
    expect(parseSecret(`whsec_${Buffer.alloc(24).toString("base64")}`)).toHaveLength(24);
    expect(parseSecret(`whsec_${Buffer.alloc(64).toString("base64")}`)).toHaveLength(64);
  });

  it("makes message ids without dots that sort by time", () => {
    const a = newMessageId(1_700_000_000_000);
    const b = newMessageId(1_700_000_000_001);
    expect(a).toMatch(/^msg_[0-9a-z]+$/);
    expect(a.includes(".")).toBe(false);
    expect(a.slice(0, 12) < b.slice(0, 12)).toBe(true);
    expect(() => webhookHeaders(Buffer.alloc(24), "msg.1", 1, "x")).toThrow();
  });
});
