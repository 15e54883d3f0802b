/**
 * Ridge regression by the normal equations: (XᵀX + λI) w = Xᵀy, intercept unpenalized.
 * Feature counts here are tiny (≤ 44), so a direct solve is exact and instant.
 */
export function fitRidge(rows: readonly (readonly number[])[], targets: readonly number[], lambda: number): { weights: number[]; intercept: number } {
  const p = rows[0]!.length + 1; // last column: intercept
  const a = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  rows.forEach((row, r) => {
    const x = [...row, 1];
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) a[i]![j]! += x[i]! * x[j]!;
      a[i]![p]! += x[i]! * targets[r]!;
    }
  });
  for (let i = 0; i < p - 1; i++) a[i]![i]! += lambda;
  const solution = solve(a);
  return { weights: solution.slice(0, p - 1), intercept: solution[p - 1]! };
}

/** Gauss–Jordan elimination with partial pivoting on an augmented matrix [A | b]. */
function solve(m: number[][]): number[] {
  const n = m.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const lead = m[col]![col]!;
    for (let c = col; c <= n; c++) m[col]![c]! /= lead;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]!;
      if (f !== 0) for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row) => row[n]!);
}
