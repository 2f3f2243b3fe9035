/**
 * Connected components of a graph of `n` nodes given as edge lists, by union-find with path halving and
 * union by size. Returns each node's component representative (the smallest node index in it, so the
 * result does not depend on edge order).
 */
export function connectedComponents(n: number, from: Int32Array, to: Int32Array): Int32Array {
  const parent = new Int32Array(n);
  const size = new Int32Array(n).fill(1);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    let v = x;
    while (parent[v] !== v) {
      const p = parent[v] as number;
      const gp = parent[p] as number;
      parent[v] = gp;
      v = gp;
    }
    return v;
  };
  for (let e = 0; e < from.length; e++) {
    let a = find(from[e] as number);
    let b = find(to[e] as number);
    if (a === b) continue;
    if ((size[a] as number) < (size[b] as number)) [a, b] = [b, a];
    parent[b] = a;
    size[a] = (size[a] as number) + (size[b] as number);
  }
  // Relabel every component by its smallest member.
  const smallest = new Int32Array(n).fill(-1);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (smallest[r] === -1) smallest[r] = i;
    out[i] = smallest[r] as number;
  }
  return out;
}
