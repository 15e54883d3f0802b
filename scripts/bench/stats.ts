export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const ms = (n: number) => `${Math.round(n)} ms`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
