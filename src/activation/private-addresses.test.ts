import { describe, expect, it } from "vitest";
import { isPrivateAddress } from "./private-addresses.js";

describe("private addresses (the SSRF guard)", () => {
  it("refuses loopback, private, link-local, shared, multicast and reserved ranges in IPv4 and IPv6", () => {
    for (const a of [
      "127.0.0.1",
      "127.255.255.254",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254", // cloud metadata
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "198.18.0.1",
      "::1",
      "::",
      "[::1]",
      "fe80::1",
      "fe80::1%eth0",
      "fc00::1",
      "fd12:3456::1",
      "ff02::1",
      "::ffff:127.0.0.1", // IPv4-mapped, dotted
      "::ffff:7f00:1", // IPv4-mapped, hex
      "::ffff:10.0.0.1",
      "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
      "2002:c0a8:0101::1", // 6to4 of 192.168.1.1
    ])
      expect(isPrivateAddress(a), a).toBe(true);
  });

  it("lets public addresses through, in either family and in IPv6 forms that carry a public IPv4 address", () => {
    for (const a of [
      "8.8.8.8",
      "1.1.1.1",
      "172.32.0.1",
      "100.128.0.1",
      "2606:4700:4700::1111",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
      "2002:0808:0808::1",
    ])
      expect(isPrivateAddress(a), a).toBe(false);
  });
});
