/**
 * A position's health (SPEC 3.3) computed in the browser, for prices the chain does not have:
 * the price-shock panel. It mirrors the market exactly (contracts/market/src/position.rs
 * `health` and keel-math `compute_health` / `band`), so that at the oracle's own prices it gives
 * the very figures the `position` query returns, digit for digit:
 *
 * - each balance is valued from the base-unit `amount` the position query reports (collateral
 *   already rounded down from its scaled balance, debt rounded up): collateral with `value_down`
 *   (`floor(amount * price / 10^decimals)` in 18-decimal atomics), debt with `value_up` (ceil);
 * - a collateral whose asset has `collateral_enabled: false` counts with CF 0 (no borrowing
 *   credit) but keeps its LT;
 * - `C = Σ value·CF` and `L = Σ value·LT` are summed exactly (36 decimals) and rounded down once,
 *   `D = Σ value·BF` likewise rounded up once;
 * - `HF = C/D` and `LHF = L/D` rounded down, `borrow_limit_used = D/C` rounded up, each to 18
 *   decimals and saturating at `Decimal256::MAX`; no debt: HF and LHF null (infinite),
 *   borrow_limit_used 0; collateral 0 with debt: borrow_limit_used null;
 * - the band is the first match of: `liquidatable` if LHF < 1, `at_risk` if HF < min,
 *   `below_target` if HF < target, `healthy` if HF <= max, else `overcollateralized`.
 *
 * MOET is priced at 1 by definition (the market never asks the oracle for it).
 */
import type { MarketTypes } from "@keel/client/browser";

import { DECIMAL256_MAX, parseDecimal, valueDown, valueUp, WAD } from "./decimal";

export type Band = MarketTypes.Band;

/** The bands from worst to best, as the gauge and the tests order them. */
export const BANDS: readonly Band[] = ["liquidatable", "at_risk", "below_target", "healthy", "overcollateralized"];

/** One collateral balance with what valuing it needs (atomics for decimals). */
export interface CollateralInput {
  amount: bigint;
  decimals: number;
  price: bigint;
  collateralFactor: bigint;
  liquidationThreshold: bigint;
}

/** One debt balance with what valuing it needs. */
export interface DebtInput {
  amount: bigint;
  decimals: number;
  price: bigint;
  borrowFactor: bigint;
}

/** The figures of SPEC 3.3 in atomics (18 decimals); null where the contract answers null. */
export interface Health {
  effectiveCollateral: bigint;
  liquidationLimit: bigint;
  effectiveDebt: bigint;
  healthFactor: bigint | null;
  liquidationHealthFactor: bigint | null;
  borrowLimitUsed: bigint | null;
}

/** Health bounds in atomics. */
export interface Bounds {
  min: bigint;
  target: bigint;
  max: bigint;
}

function ceilDiv(n: bigint, d: bigint): bigint {
  return n % d === 0n ? n / d : n / d + 1n;
}

/** `a / b` to 18 decimals, rounded down or up, saturating as keel-math's `ratio`. */
function ratio(a: bigint, b: bigint, up: boolean): bigint {
  const n = a * WAD;
  const q = up ? ceilDiv(n, b) : n / b;
  return q > DECIMAL256_MAX ? DECIMAL256_MAX : q;
}

/** keel-math `compute_health` on balances valued as the market values them. */
export function computeHealth(collateral: CollateralInput[], debt: DebtInput[]): Health {
  let c36 = 0n;
  let l36 = 0n;
  for (const item of collateral) {
    const value = valueDown(item.amount, item.decimals, item.price);
    c36 += value * item.collateralFactor;
    l36 += value * item.liquidationThreshold;
  }
  let d36 = 0n;
  for (const item of debt) {
    d36 += valueUp(item.amount, item.decimals, item.price) * item.borrowFactor;
  }
  const c = c36 / WAD;
  const l = l36 / WAD;
  const d = ceilDiv(d36, WAD);
  if (d === 0n) {
    return { effectiveCollateral: c, liquidationLimit: l, effectiveDebt: d, healthFactor: null, liquidationHealthFactor: null, borrowLimitUsed: 0n };
  }
  return {
    effectiveCollateral: c,
    liquidationLimit: l,
    effectiveDebt: d,
    healthFactor: ratio(c, d, false),
    liquidationHealthFactor: ratio(l, d, false),
    borrowLimitUsed: c === 0n ? null : ratio(d, c, true),
  };
}

/** keel-math `band`: null health factors are infinite, never below anything. */
export function bandOf(health: Health, bounds: Bounds): Band {
  const below = (v: bigint | null, bound: bigint) => v !== null && v < bound;
  if (below(health.liquidationHealthFactor, WAD)) return "liquidatable";
  if (below(health.healthFactor, bounds.min)) return "at_risk";
  if (below(health.healthFactor, bounds.target)) return "below_target";
  if (health.healthFactor !== null && health.healthFactor <= bounds.max) return "healthy";
  return "overcollateralized";
}

/** The position's own bounds (automation.health), else the market's default (SPEC 3.3). */
export function boundsOf(position: MarketTypes.PositionResponse, config: MarketTypes.ConfigResponse): Bounds {
  const b = position.automation?.health ?? config.default_health;
  return { min: parseDecimal(b.min), target: parseDecimal(b.target), max: parseDecimal(b.max) };
}

/** What valuing a position needs of each asset: live params (the `assets` query) and a price. */
export interface AssetPricing {
  params: MarketTypes.AssetParams;
  /** Price atomics (MOET per whole token), or null when the oracle has no valid price. */
  price: bigint | null;
}

/**
 * The health of a position response's balances at the given prices: `pricing(denom)` gives the
 * asset's params and price, which the caller may replace for a hypothetical price. Throws,
 * naming the denom, when an asset is unknown or unpriced (as the position query reports
 * `price_error`).
 */
export function positionHealth(position: MarketTypes.PositionResponse, pricing: (denom: string) => AssetPricing | undefined): Health {
  const priced = (denom: string): { params: MarketTypes.AssetParams; price: bigint } => {
    const p = pricing(denom);
    if (!p) throw new Error(`asset ${denom} is not listed`);
    if (p.price === null) throw new Error(`price unavailable for ${denom}`);
    return { params: p.params, price: p.price };
  };
  const collateral = position.collateral.map((b): CollateralInput => {
    const { params, price } = priced(b.denom);
    return {
      amount: BigInt(b.amount),
      decimals: params.decimals,
      price,
      collateralFactor: params.collateral_enabled ? parseDecimal(params.collateral_factor ?? "0") : 0n,
      liquidationThreshold: parseDecimal(params.liquidation_threshold ?? "0"),
    };
  });
  const debt = position.debt.map((b): DebtInput => {
    const { params, price } = priced(b.denom);
    return { amount: BigInt(b.amount), decimals: params.decimals, price, borrowFactor: parseDecimal(params.borrow_factor ?? "1") };
  });
  return computeHealth(collateral, debt);
}
