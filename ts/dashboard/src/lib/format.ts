/** How numbers are written on the dashboard: token amounts, values, ratios, ages. */
import { formatAtomics, parseDecimal, pow10, toNumber, WAD } from "./decimal";

/** Groups the integer digits of a plain decimal string by thousands. */
function group(text: string): string {
  const [int, frac] = text.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac ? `${grouped}.${frac}` : grouped;
}

/** Truncates (never rounds up) a plain decimal string to `digits` fractional digits. */
function truncate(text: string, digits: number): string {
  const [int, frac = ""] = text.split(".");
  const kept = frac.slice(0, digits).replace(/0+$/, "");
  return kept ? `${int}.${kept}` : int;
}

/**
 * `amount` base units of a token with `decimals` as whole tokens, e.g. `1,234.5`; at most
 * `digits` fractional digits (truncated: a balance is never shown larger than it is).
 */
export function formatAmount(amount: string | bigint, decimals: number, digits = 6): string {
  const base = BigInt(amount);
  const scale = pow10(decimals);
  const int = base / scale;
  const frac = decimals > 0 ? (base % scale).toString().padStart(decimals, "0") : "";
  return group(truncate(frac ? `${int}.${frac}` : `${int}`, digits));
}

/** A `Decimal` string (a price, a value in MOET) with at most `digits` fractional digits. */
export function formatDecimal(value: string | bigint, digits = 6): string {
  const text = typeof value === "bigint" ? formatAtomics(value) : formatAtomics(parseDecimal(value));
  return group(truncate(text, digits));
}

/** A health factor: `∞` for null (no debt), else 4 fractional digits (truncated, as the contract rounds down). */
export function formatHealth(value: string | bigint | null | undefined): string {
  if (value === null || value === undefined) return "∞";
  return formatDecimal(value, 4);
}

/** A ratio as a percentage with `digits` fractional digits: `0.8` -> `80.00%`. */
export function formatPercent(ratio: number, digits = 2): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** A ratio given as a `Decimal` string or atomics, as a percentage. */
export function formatDecimalPercent(value: string | bigint | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return "–";
  return formatPercent(toNumber(value), digits);
}

/** An age in seconds: `42 s`, `3 min 20 s`, `2 h 5 min`. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * Whole tokens typed by a person (`"12.5"`) as base units of a token with `decimals`, exactly;
 * refuses more fractional digits than the token has (they would be lost silently otherwise).
 */
export function parseAmount(text: string, decimals: number): bigint {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim().replace(/[,_ ]/g, ""));
  if (!m) throw new Error(`not an amount: "${text}"`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new Error(`"${text}" has more than ${decimals} decimals`);
  return BigInt(m[1]) * pow10(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/**
 * `price × (1 + percent/100)` in atomics, rounded down to 18 decimals: the hypothetical price of
 * the price-shock slider. `percent` is a whole number (the slider's step).
 */
export function shockedPrice(price: bigint, percent: number): bigint {
  if (!Number.isInteger(percent) || percent <= -100) throw new Error(`shock out of range: ${percent}%`);
  return (price * BigInt(100 + percent)) / 100n;
}

/** `1` as atomics: MOET's price by definition. */
export const ONE = WAD;
