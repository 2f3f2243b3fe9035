/** Levenshtein distance (small strings: names in a registry). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The known name closest to `name`, when close enough to be a likely typo (case-insensitive). */
export function nearest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  const within = Math.max(2, Math.floor(name.length / 3));
  for (const k of known) {
    // The distance is at least the difference in length: a name far longer than any known one (a megabyte sent to
    // the API) is no typo, and is not compared letter by letter (that took seconds a request).
    const other = k.toLowerCase();
    if (Math.abs(other.length - lower.length) > within) continue;
    const d = editDistance(lower, other);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= within ? best : undefined;
}

export function didYouMean(name: string, known: Iterable<string>): string {
  const n = nearest(name, known);
  return n === undefined ? "" : ` (did you mean "${n}"?)`;
}

/**
 * The name a message suggests (`… (did you mean "country"?)`, as `didYouMean` and the definition warnings write it),
 * for a front door to offer it as a fix; undefined when the message suggests none.
 */
export function suggestionIn(message: string): string | undefined {
  const m = /\(did you mean ("(?:[^"\\]|\\.)*"|"[\s\S]*?")\?\)/.exec(message);
  if (!m) return undefined;
  const quoted = m[1] as string;
  try {
    return JSON.parse(quoted) as string;
  } catch {
    // Written as "name" without escaping (didYouMean): a name holding a backslash is not valid JSON.
    return quoted.slice(1, -1);
  }
}
