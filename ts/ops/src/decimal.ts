/**
 * Prices and amounts at the edge of the contracts' JSON: `Decimal` strings (at most 18 decimals,
 * no exponent) and `Uint128` base units. Decisions (a move above the threshold, a bonus above the
 * gas cost) are taken on floating-point numbers; what is sent to a contract is always exact text.
 */

const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(\.[0-9]{1,18})?$/;

/** The SPEC's precision range of a price (SPEC 1: 1e-12 to 1e12 MOET per whole token). */
export const MIN_PRICE = 1e-12;
export const MAX_PRICE = 1e12;

/** A price a feeder may push: its exact text and its value. */
export interface Price {
  text: string;
  value: number;
}

/** Plain decimal text of a positive finite number: 15 significant digits, at most 18 decimals, no exponent. */
export function formatDecimal(x: number): string {
  if (!Number.isFinite(x) || x < 0) throw new Error(`not a non-negative finite number: ${x}`);
  if (x === 0) return "0";
  const [mantissa, expText] = x.toPrecision(15).split("e");
  const exp = expText === undefined ? 0 : Number(expText);
  const [intPart, fracPart = ""] = mantissa.split(".");
  let digits = intPart + fracPart;
  let point = intPart.length + exp; // position of the decimal point in `digits`
  if (point <= 0) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits = digits + "0".repeat(point - digits.length);
  }
  const int = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const frac = digits.slice(point, point + 18).replace(/0+$/, "");
  return frac ? `${int}.${frac}` : int;
}

/**
 * A price out of a source: a JSON number or decimal string, checked to be a finite positive price
 * within the SPEC's range. Throws with the reason otherwise (the feeder never pushes such a price).
 */
export function toPrice(raw: unknown): Price {
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) throw new Error(`not a finite number: ${raw}`);
    if (raw <= 0) throw new Error(`not positive: ${raw}`);
    if (raw < MIN_PRICE || raw > MAX_PRICE) throw new Error(`outside ${MIN_PRICE}..${MAX_PRICE}: ${raw}`);
    return { text: formatDecimal(raw), value: raw };
  }
  if (typeof raw === "string") {
    const text = raw.trim();
    if (text.startsWith("-")) throw new Error(`not positive: ${raw}`);
    if (!DECIMAL_TEXT.test(text)) throw new Error(`not a decimal with at most 18 decimals: ${JSON.stringify(raw)}`);
    const value = Number(text);
    if (!(value > 0)) throw new Error(`not positive: ${raw}`);
    if (value < MIN_PRICE || value > MAX_PRICE) throw new Error(`outside ${MIN_PRICE}..${MAX_PRICE}: ${raw}`);
    return { text: text.includes(".") ? text.replace(/\.?0+$/, "") : text, value };
  }
  throw new Error(`not a number: ${JSON.stringify(raw)}`);
}

/** A contract's Decimal / Decimal256 string as a number (for decisions and metrics only). */
export function decimalValue(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** `amount` base units of a token with `decimals` as whole tokens (a number, for decisions). */
export function wholeTokens(amount: bigint, decimals: number): number {
  return Number(amount) / 10 ** decimals;
}

/** floor(amount * (1 - fraction)) for a decimal `fraction` in [0, 1] given as text, exactly. */
export function reduceBy(amount: bigint, fraction: string): bigint {
  const [i, f = ""] = fraction.split(".");
  const scale = 10n ** 18n;
  const frac = BigInt(i) * scale + BigInt((f + "0".repeat(18)).slice(0, 18));
  if (frac > scale) throw new Error(`fraction ${fraction} above 1`);
  return (amount * (scale - frac)) / scale;
}
