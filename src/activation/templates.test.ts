import { describe, expect, it } from "vitest";
import {
  checkVariables,
  compileTemplate,
  fieldsRead,
  type MessageScope,
  renderMessage,
  type TemplateVocabulary,
} from "./templates.js";

const VOCABULARY: TemplateVocabulary = {
  traits: new Set(["customer_id", "first_name", "last_name", "city", "email", "offer"]),
  computed: new Set(["rfm_segment", "clv", "cluster.mall"]),
  offer: ["name", "code"],
};

function scope(values: Record<string, unknown>, computed: Record<string, unknown> = {}): MessageScope {
  return {
    ...values,
    traits: { ...values },
    computed,
    offer: { name: "winback", code: "W10" },
    recommendations: [],
    campaign: { id: "c", channel: "email" },
  };
}

/** The error a call throws, as text. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
}

describe("message templates", () => {
  it("names the line and column of a syntax error, an unknown filter or a file tag", () => {
    expect(errorOf(() => compileTemplate("Hi\n  {{ first_name | upcasse }}", "t.liquid"))).toBe(
      "t.liquid: line 2, column 3: undefined filter: upcasse",
    );
    expect(errorOf(() => compileTemplate("Hi\n\n{% if x %}open", "t.liquid"))).toBe(
      "t.liquid: line 3, column 1: tag {% if x %} not closed",
    );
    expect(errorOf(() => compileTemplate("a {{ first_name ", "subject"))).toMatch(
      /^subject: line 1, column 3: output "\{\{ first_name " not closed/,
    );
    // No file system: include, render and layout are no tags here.
    expect(errorOf(() => compileTemplate("x\n{% include 'secrets.txt' %}", "t.liquid"))).toMatch(
      /^t\.liquid: line 2, column 1: unknown tag "include"/,
    );
    expect(errorOf(() => compileTemplate("x".repeat(256 * 1024 + 1), "t.liquid"))).toMatch(
      /t\.liquid: a template is at most 262,144 characters/,
    );
  });

  it("refuses a variable no customer can have, where it is written, with the nearest name", () => {
    const check = (text: string, offer: readonly string[] | null = VOCABULARY.offer) =>
      errorOf(() => checkVariables(compileTemplate(text, "t.liquid"), { ...VOCABULARY, offer }));
    expect(check("Hi {{ frist_name }}")).toMatch(
      /^t\.liquid: line 1, column 7: unknown variable "frist_name" \(did you mean "first_name"\?\)/,
    );
    expect(check("{{ computed.rfm_segmnt }}")).toMatch(
      /line 1, column 4: no computed value "rfm_segmnt" \(did you mean "rfm_segment"\?\)/,
    );
    expect(check("\n {{ offer.cdoe }}")).toMatch(
      /line 2, column 5: the offer has no "cdoe" \(did you mean "code"\?\) \(it has name, code\)/,
    );
    expect(check("{{ offer.code }}", null)).toMatch(
      /the template reads offer, but the campaign has no --offer/,
    );
    expect(check("{{ campaign.name }}")).toMatch(/campaign has id and channel, not "name"/);
    // Known names pass: traits, computed values (a qualified one too), offer keys, assigned and loop variables.
    expect(
      check(
        "{% assign g = first_name | default: 'you' %}{{ g }} {{ computed.cluster.mall }} {{ offer['code'] }} {% for r in recommendations %}{{ r.name }}{{ forloop.index }}{% endfor %} {{ traits.offer }}",
      ),
    ).toBe("no error");
  });

  it("lists the fields a template reads, each once", () => {
    const t = compileTemplate(
      "{{ first_name }} {{ first_name | upcase }} {{ computed.cluster.mall }} {{ computed.clv }} {{ traits.city }} {{ offer.code }}",
      "t",
    );
    expect(fieldsRead([t], VOCABULARY)).toEqual({
      traits: ["city", "first_name"],
      computed: ["cluster.mall", "clv"],
    });
  });

  it("renders a person's values, and refuses a missing one unless default or a condition covers it", () => {
    const t = compileTemplate(
      "Hi {{ first_name }}, {{ computed.rfm_segment | downcase }}: {{ offer.code }} {{ computed.clv | round: 1 }}",
      "t",
    );
    expect(renderMessage(t, scope({ first_name: "Ann" }, { rfm_segment: "Champions", clv: 12.345 }))).toEqual(
      {
        ok: true,
        text: "Hi Ann, champions: W10 12.3",
      },
    );
    // Every missing variable is named, not only the first.
    expect(renderMessage(t, scope({}, { rfm_segment: "Lost" }))).toEqual({
      ok: false,
      missing: ["first_name", "computed.clv"],
    });
    const guarded = compileTemplate(
      "Hi {{ first_name | default: 'there' }}{% if last_name %} {{ last_name }}{% endif %}{% unless city %}!{% endunless %}",
      "t",
    );
    expect(renderMessage(guarded, scope({}))).toEqual({ ok: true, text: "Hi there!" });
    expect(renderMessage(guarded, scope({ first_name: "Bo", last_name: "Li", city: "Oslo" }))).toEqual({
      ok: true,
      text: "Hi Bo Li",
    });
    // An assign does not launder a missing value into a blank (liquidjs's lenientIf would); a default does.
    const assigned = compileTemplate("{% assign n = first_name %}Hi {{ n }}", "t");
    expect(renderMessage(assigned, scope({}))).toEqual({ ok: false, missing: ["first_name"] });
    const assignedDefault = compileTemplate("{% assign n = first_name | default: 'you' %}Hi {{ n }}", "t");
    expect(renderMessage(assignedDefault, scope({}))).toEqual({ ok: true, text: "Hi you" });
    // Recommendations are an empty list today: a loop over them renders nothing; an item is missing.
    const recs = compileTemplate(
      "{% for r in recommendations %}{{ r.name }}{% endfor %}.{{ recommendations[0].name }}",
      "t",
    );
    expect(renderMessage(recs, scope({}))).toEqual({ ok: false, missing: ["recommendations.0"] });
  });

  it("stops a message over the render limits and says where", () => {
    const loop = compileTemplate("x\n{% for i in (1..100000000) %}{{ i }}{% endfor %}", "t");
    expect(renderMessage(loop, scope({}))).toEqual({
      ok: false,
      error: expect.stringMatching(/limit exceeded/),
    });
    const doubling = compileTemplate(
      "{% assign s = 'xxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}",
      "t",
    );
    expect(renderMessage(doubling, scope({}))).toEqual({
      ok: false,
      error: expect.stringMatching(/^line 1, column \d+: memory alloc limit exceeded/),
    });
    // Nothing but a value's own properties.
    const proto = compileTemplate("{{ first_name.constructor }}", "t");
    expect(renderMessage(proto, scope({ first_name: "Ann" }))).toEqual({
      ok: false,
      missing: ["first_name.constructor"],
    });
  });
});
