// "Did you mean …?" for check ids, config keys and plugin names: the closest candidates by edit
// distance, and those that contain (or are contained in) what was typed.

/** Levenshtein distance. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Up to `max` candidates close to `input`, best first. */
export function suggest(input: string, candidates: readonly string[], max = 3): string[] {
  const q = input.toLowerCase();
  const scored = [...new Set(candidates)]
    .map((c) => {
      const l = c.toLowerCase();
      const d = distance(q, l);
      const contains = q.length >= 3 && (l.includes(q) || q.includes(l));
      return { c, score: contains ? Math.min(d, 2) : d, ok: contains || d <= Math.max(2, Math.floor(q.length / 3)) };
    })
    .filter((x) => x.ok)
    .sort((a, b) => a.score - b.score || a.c.localeCompare(b.c));
  // Only the closest: a near miss, not every name that shares a word.
  const best = scored[0]?.score;
  return scored.filter((x) => x.score === best).slice(0, max).map((x) => x.c);
}

/** " (did you mean a, b?)" or "" — for the end of a message or a hint. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const near = suggest(input, candidates);
  return near.length ? `did you mean ${near.join(', ')}?` : '';
}
