/**
 * The identifiers a search for a person needs (erasure's row finding, its checks in SQL and in bytes): those that
 * hold no other. A text that contains "anon:anon-9b67…" contains "anon-9b67…" too, so whether any identifier is in
 * a text is answered by the shorter alone — one pass less over every row or byte searched (each is a pass: 0.4–1 s
 * over 35M events' properties). Text and bytes alike: UTF-8 text contains another exactly where its bytes do.
 */
export function shortestNeedles<T extends string | Buffer>(needles: readonly T[]): T[] {
  const unique = [
    ...new Map(needles.map((n) => [typeof n === "string" ? n : n.toString("hex"), n])).values(),
  ];
  const holds = (n: T, m: T) =>
    typeof n === "string" ? n.includes(m as string) : (n as Buffer).includes(m as Buffer);
  // Distinct values: one that contains another is the longer.
  return unique.filter((n) => !unique.some((m) => m !== n && holds(n, m)));
}

/** For each character, the share of `values` holding it (0 for any character when there are none). */
export function charShares(values: readonly string[]): (ch: string) => number {
  const holding = new Map<string, number>();
  for (const v of values) for (const ch of new Set(v)) holding.set(ch, (holding.get(ch) ?? 0) + 1);
  return (ch) => (values.length === 0 ? 0 : (holding.get(ch) ?? 0) / values.length);
}

/**
 * Where to start looking for a needle in texts like those `share` was measured on: its longest tail that begins
 * with the character the fewest texts hold, at least `keep` characters long (the whole needle when it is no
 * longer). A text holding the needle holds the tail, so texts without any tail are done with; only the others are
 * searched for the needle. Why it pays: DuckDB's `contains` first jumps to the needle's first character in a text
 * (memchr), so a character most texts lack skips them whole, where the "a" of "anon-…" stops in nearly every JSON
 * text (35M events' properties, one person's six identifiers: 4.8 s; their tails: 2.7 s).
 */
export function rareTail(needle: string, share: (ch: string) => number, keep: number): string {
  const chars = Array.from(needle);
  if (chars.length <= keep) return needle;
  let best = 0;
  for (let i = 1; i + keep <= chars.length; i++)
    if (share(chars[i] as string) < share(chars[best] as string)) best = i;
  return chars.slice(best).join("");
}
