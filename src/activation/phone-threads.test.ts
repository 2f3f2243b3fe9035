import { describe, expect, it } from "vitest";
import { normalisePhone } from "./contact-normalisation.js";
import { phonesInProcess, phonesThreaded, phoneWorkers, THREADED_MIN_PHONES } from "./phone-threads.js";

/** Numbers of every kind the exports meet: with and without country codes, formatted, invalid, missing. */
function numbers(n: number): { phones: (string | null)[]; countries: (string | null)[] } {
  const forms = [
    (i: number) => [`+44 20 7946 ${String(i % 10_000).padStart(4, "0")}`, null],
    (i: number) => [`(201) 555-${String(i % 10_000).padStart(4, "0")}`, "US"],
    (i: number) => [`030 ${1_000_000 + i}`, "de"],
    (i: number) => [String(i), "GB"],
    () => [null, "FR"],
    (i: number) => [`+1 ${i}`, null],
  ];
  const phones: (string | null)[] = [];
  const countries: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const [p, c] = (forms[i % forms.length] as (i: number) => (string | null)[])(i);
    phones.push(p ?? null);
    countries.push(c ?? null);
  }
  return { phones, countries };
}

describe("phone numbers normalised in worker threads", () => {
  it("give exactly normalisePhone's answers, in order, whatever the number of threads", async () => {
    const { phones, countries } = numbers(3_001);
    const expected = phones.map((p, i) => normalisePhone(p, countries[i]));
    // The check is not empty: some numbers normalise, some do not.
    expect(expected.filter((x) => x !== null).length).toBeGreaterThan(1_000);
    expect(expected.filter((x) => x === null).length).toBeGreaterThan(1_000);
    for (const [make, threads] of [
      [() => phonesInProcess(), 0],
      [() => phonesThreaded(1), 1],
      [() => phonesThreaded(3), 3],
    ] as const) {
      const normaliser = make();
      try {
        expect(normaliser.threads).toBe(threads);
        expect(await normaliser.normalise(phones, countries)).toEqual(expected);
        // Several calls at once (an export's pipeline) each get their own answers.
        const [a, b] = await Promise.all([
          normaliser.normalise(phones.slice(0, 100), countries.slice(0, 100)),
          normaliser.normalise(phones.slice(100, 250), countries.slice(100, 250)),
        ]);
        expect([...a, ...b]).toEqual(expected.slice(0, 250));
      } finally {
        await normaliser.close();
      }
    }
  });

  it("uses no thread for a few numbers, and honours TESSERA_THREADS", () => {
    expect(phoneWorkers(THREADED_MIN_PHONES - 1)).toBe(0);
    const saved = process.env.TESSERA_THREADS;
    try {
      process.env.TESSERA_THREADS = "none";
      expect(() => phoneWorkers(10)).toThrow(/TESSERA_THREADS/);
    } finally {
      if (saved === undefined) delete process.env.TESSERA_THREADS;
      else process.env.TESSERA_THREADS = saved;
    }
  });
});
