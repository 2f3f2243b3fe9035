import { describe, expect, it } from "vitest";
import { parseOffer } from "./campaigns.js";

describe("offers", () => {
  it("reads a name, or a name with the values a message reads", () => {
    expect(parseOffer("winback10")).toEqual({ name: "winback10" });
    expect(parseOffer("winback10: code = WB10 , discount=10%,url=https://x.example/a?b=c")).toEqual({
      name: "winback10",
      code: "WB10",
      discount: "10%",
      url: "https://x.example/a?b=c",
    });
  });

  it("refuses what a template could not read, naming the option", () => {
    for (const [text, message] of [
      ["", "--offer: an offer's name is letters, digits, - and _"],
      ["bad name", "--offer: an offer's name is letters"],
      ["o:code", '--offer: "code" is not key=value'],
      ["o:Code=1", 'offer key "Code": lower-case letters, digits and _'],
      ["o:code=1,code=2", 'offer key "code" is given twice'],
      ["o:name=x", 'offer key "name" is given twice (the name is the part before :)'],
      [`o:${Array.from({ length: 21 }, (_, i) => `k${i}=v`).join(",")}`, "at most 20 keys"],
      [`o:code=${"x".repeat(501)}`, "a text of at most 500 characters"],
    ] as const)
      expect(() => parseOffer(text), text).toThrow(message);
  });
});
