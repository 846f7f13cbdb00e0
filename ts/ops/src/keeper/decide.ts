/**
 * The keeper's decisions, without I/O: a position's health estimated from the balances it had at
 * its last check and today's prices (to tell which positions need a fresh look), and, from a
 * fresh look, whether `rebalance` would do anything (SPEC 3.5; docs/AUTOMATION.md's table).
 */
import type { MarketTypes } from "@keel/client";

import { decimalValue } from "../decimal";

/** What the keeper needs of a listed asset: its factors and decimals. */
export interface AssetFactors {
  decimals: number;
  collateralFactor: number;
  borrowFactor: number;
}

export interface Bounds {
  min: number;
  target: number;
  max: number;
}

/** A position's balances in whole tokens, as of its last check. */
export interface Snapshot {
  collateral: { denom: string; amount: number }[];
  debt: { denom: string; amount: number }[];
}

export function snapshotOf(p: MarketTypes.PositionResponse, assets: ReadonlyMap<string, AssetFactors>): Snapshot {
  const whole = (b: MarketTypes.PositionBalance): { denom: string; amount: number } => ({
    denom: b.denom,
    amount: Number(b.amount) / 10 ** (assets.get(b.denom)?.decimals ?? 0),
  });
  return { collateral: p.collateral.map(whole), debt: p.debt.map(whole) };
}

export function boundsOf(automation: MarketTypes.Automation, defaults: MarketTypes.HealthBounds): Bounds {
  const h = automation.health ?? defaults;
  return { min: Number(h.min), target: Number(h.target), max: Number(h.max) };
}

/**
 * HF = C / D at `prices` (SPEC 3.3) from the snapshot's balances: Infinity without debt, null when
 * a denom has no price or no factors (then only a fresh query can tell). MOET is priced 1.
 */
export function estimateHealth(s: Snapshot, prices: ReadonlyMap<string, number>, assets: ReadonlyMap<string, AssetFactors>, moetDenom: string): number | null {
  const price = (denom: string): number | undefined => (denom === moetDenom ? 1 : prices.get(denom));
  let c = 0;
  for (const b of s.collateral) {
    const p = price(b.denom);
    const a = assets.get(b.denom);
    if (p === undefined || !a) return null;
    c += b.amount * p * a.collateralFactor;
  }
  let d = 0;
  for (const b of s.debt) {
    const p = price(b.denom);
    const a = assets.get(b.denom);
    if (p === undefined || !a) return null;
    d += b.amount * p * a.borrowFactor;
  }
  return d === 0 ? Infinity : c / d;
}

/**
 * Whether a position deserves a fresh query this round, from its estimate: within `margin` of its
 * band's edges or outside. A position inside the band by more than the margin is left alone.
 */
export function nearOrOutsideBand(hf: number | null, bounds: Bounds, margin: number): boolean {
  if (hf === null) return true;
  return hf < bounds.min * (1 + margin) || hf > bounds.max * (1 - margin);
}

/** What a top-up source can give a position (MOET base units): the least of consent, allowance and balance. */
export interface TopUpCapacity {
  /** null when the source is the owner (no consent needed). */
  consent: bigint | null;
  allowance: bigint;
  balance: bigint;
}

export type Decision =
  | { action: "draw_down"; hf: number | null; bounds: Bounds }
  | { action: "top_up"; hf: number; bounds: Bounds; available: bigint }
  | { action: "skip"; reason: SkipReason; hf: number | null; bounds: Bounds };

export type SkipReason =
  | "inside band"
  | "price unavailable"
  | "no draw-down sink"
  | "nothing to borrow"
  | "no top-up source"
  | "no MOET debt"
  | "no consent"
  | "no allowance"
  | "source has no MOET";

/**
 * Whether `rebalance` would act on `p` now, and how (docs/AUTOMATION.md "Rebalance"): above `max`
 * (or without debt) with a sink, a draw-down that borrows at least what keeps the MOET debt at
 * `min_debt_value`; below `min` with a source that consented (or is the owner), has granted the
 * market an allowance and holds MOET, a top-up. Everything else is a no-op the keeper does not
 * send. `capacity` is asked only for a position below `min` with a source.
 */
export async function decide(
  p: MarketTypes.PositionResponse,
  bounds: Bounds,
  ctx: { moetDenom: string; moetDecimals: number; minDebtValue: number; moetBorrowFactor: number; capacity: (source: string) => Promise<TopUpCapacity> },
): Promise<Decision> {
  const automation = p.automation;
  if (!automation) return { action: "skip", reason: "inside band", hf: null, bounds };
  if (!p.health) return { action: "skip", reason: "price unavailable", hf: null, bounds };
  const hfText = p.health.health_factor;
  const hf = hfText === null || hfText === undefined ? Infinity : (decimalValue(hfText) ?? Infinity);
  const reportHf = Number.isFinite(hf) ? hf : null;
  if (hf > bounds.max) {
    if (!automation.draw_down_sink) return { action: "skip", reason: "no draw-down sink", hf: reportHf, bounds };
    const c = decimalValue(p.health.effective_collateral) ?? 0;
    const d = decimalValue(p.health.effective_debt) ?? 0;
    const borrow = (c / bounds.target - d) / ctx.moetBorrowFactor;
    const moetDebt = Number(p.debt.find((b) => b.denom === ctx.moetDenom)?.amount ?? "0") / 10 ** ctx.moetDecimals;
    // the market skips a draw-down that would leave a MOET debt below min_debt_value (a no-op)
    if (!(borrow > 0) || moetDebt + borrow < ctx.minDebtValue) return { action: "skip", reason: "nothing to borrow", hf: reportHf, bounds };
    return { action: "draw_down", hf: reportHf, bounds };
  }
  if (hf < bounds.min) {
    const source = automation.top_up_source;
    if (!source) return { action: "skip", reason: "no top-up source", hf, bounds };
    if (!p.debt.some((b) => b.denom === ctx.moetDenom && BigInt(b.amount) > 0n)) return { action: "skip", reason: "no MOET debt", hf, bounds };
    const cap = await ctx.capacity(source);
    if (cap.consent !== null && cap.consent === 0n) return { action: "skip", reason: "no consent", hf, bounds };
    if (cap.allowance === 0n) return { action: "skip", reason: "no allowance", hf, bounds };
    if (cap.balance === 0n) return { action: "skip", reason: "source has no MOET", hf, bounds };
    const available = [cap.consent ?? cap.allowance, cap.allowance, cap.balance].reduce((a, b) => (a < b ? a : b));
    return { action: "top_up", hf, bounds, available };
  }
  return { action: "skip", reason: "inside band", hf: reportHf, bounds };
}
