/**
 * Fixed-point arithmetic on the contracts' `Decimal` / `Decimal256` strings (18 fractional
 * digits), in BigInt atomics, so that the dashboard's own health computation (the price-shock
 * panel) rounds exactly as keel-math does. Floating point is only used for drawing.
 */

/** `10^18`: the atomics of one `Decimal`. */
export const WAD = 10n ** 18n;

/** `Decimal256::MAX` atomics: keel-math saturates a ratio here rather than failing. */
export const DECIMAL256_MAX = (1n << 256n) - 1n;

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/**
 * The atomics (value × 10^18) of a decimal string such as `"0.75"` or `"2"`. Digits beyond the
 * 18th are refused rather than rounded: the contracts never write them, and a price typed by a
 * person with more digits is a mistake worth saying.
 */
export function parseDecimal(text: string): bigint {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m) throw new Error(`not a decimal number: "${text}"`);
  const frac = m[2] ?? "";
  if (frac.length > 18) throw new Error(`more than 18 decimals: "${text}"`);
  return BigInt(m[1]) * WAD + BigInt(frac.padEnd(18, "0"));
}

/** The decimal string of `atomics` (18 fractional digits), without trailing zeros, as the contracts print. */
export function formatAtomics(atomics: bigint): string {
  const sign = atomics < 0n ? "-" : "";
  const abs = atomics < 0n ? -atomics : atomics;
  const int = abs / WAD;
  const frac = (abs % WAD).toString().padStart(18, "0").replace(/0+$/, "");
  return `${sign}${int}${frac ? "." + frac : ""}`;
}

/** `10^n` as a BigInt. */
export function pow10(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 77) throw new Error(`decimals out of range: ${n}`);
  return 10n ** BigInt(n);
}

/** `floor(a * b / c)` for non-negative integers. */
export function mulDivFloor(a: bigint, b: bigint, c: bigint): bigint {
  if (c === 0n) throw new Error("division by zero");
  return (a * b) / c;
}

/** `ceil(a * b / c)` for non-negative integers. */
export function mulDivCeil(a: bigint, b: bigint, c: bigint): bigint {
  if (c === 0n) throw new Error("division by zero");
  const n = a * b;
  return n % c === 0n ? n / c : n / c + 1n;
}

/**
 * keel-math `value_down`: the value of `amount` base units of an asset with `decimals` at
 * `price` (atomics), in MOET atomics, rounded down. For collateral.
 */
export function valueDown(amount: bigint, decimals: number, price: bigint): bigint {
  return mulDivFloor(amount, price, pow10(decimals));
}

/** keel-math `value_up`: as {@link valueDown}, rounded up. For debt. */
export function valueUp(amount: bigint, decimals: number, price: bigint): bigint {
  return mulDivCeil(amount, price, pow10(decimals));
}

/** A decimal string (or atomics) as a JavaScript number: for display and drawing only. */
export function toNumber(value: string | bigint): number {
  const atomics = typeof value === "bigint" ? value : parseDecimal(value);
  // split so that large values keep their fractional digits
  return Number(atomics / WAD) + Number(atomics % WAD) / 1e18;
}
