export function fmt(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio to two decimals, rounded down: a target shown as reached is reached. */
export function fmtRatio(n: number): string {
  return fmt(Math.floor(n * 100 + 1e-9) / 100, 2);
}
