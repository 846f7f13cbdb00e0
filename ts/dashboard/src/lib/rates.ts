/**
 * Interest rates as the markets page shows them. The market's rates are yearly rates `r`
 * compounded continuously (SPEC 3.2: `g = exp(r * dt / year)`), so the APR shown is `r` itself
 * and the APY, what a year at that rate gives, is `e^r - 1`.
 */
import type { MarketTypes } from "@keel/client/browser";

import { toNumber } from "./decimal";

/** `e^r - 1`: the yearly yield of the continuously compounded yearly rate `r`. */
export function apyOf(rate: number): number {
  return Math.expm1(rate);
}

/** One point of a rate curve (numbers: for drawing). */
export interface CurvePoint {
  utilization: number;
  rate: number;
}

/**
 * The kinks of a rate model from utilization 0 to 1 (a fixed rate is a flat line); the curve is
 * linear between them (SPEC 3.1). An omitted model is a fixed rate of 0.
 */
export function curvePoints(model: MarketTypes.RateModel | undefined): CurvePoint[] {
  if (!model) return [{ utilization: 0, rate: 0 }, { utilization: 1, rate: 0 }];
  if ("fixed" in model) {
    const rate = toNumber(model.fixed.rate);
    return [{ utilization: 0, rate }, { utilization: 1, rate }];
  }
  return model.piecewise.points.map((p) => ({ utilization: toNumber(p.utilization), rate: toNumber(p.rate) }));
}

/** The curve's rate at `utilization` (linear between kinks, clamped to [0, 1]). */
export function rateAt(points: CurvePoint[], utilization: number): number {
  const u = Math.min(1, Math.max(0, utilization));
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (u <= b.utilization) {
      const span = b.utilization - a.utilization;
      return span === 0 ? b.rate : a.rate + ((u - a.utilization) / span) * (b.rate - a.rate);
    }
  }
  return points[points.length - 1].rate;
}
