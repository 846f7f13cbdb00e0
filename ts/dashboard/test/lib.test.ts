/**
 * Unit tests of the dashboard's own computations: fixed point and values (the vectors of
 * keel-math's value.rs tests), health and band (keel-math's health.rs tests), rates, amounts as
 * people type and read them, and contract errors as CosmJS reports them (strings captured from
 * wasmd v0.60.8 through CosmJS 0.38).
 */
import assert from "node:assert/strict";
import test from "node:test";

import type { MarketTypes } from "@keel/client";

import { DECIMAL256_MAX, formatAtomics, parseDecimal, toNumber, valueDown, valueUp, WAD } from "../src/lib/decimal";
import { explainError, symbolTable } from "../src/lib/errors";
import { formatAge, formatAmount, formatDecimal, formatHealth, parseAmount, shockedPrice } from "../src/lib/format";
import { bandOf, type Bounds, computeHealth, type Health, positionHealth } from "../src/lib/health";
import { apyOf, curvePoints, rateAt } from "../src/lib/rates";

const d = parseDecimal;

test("decimals parse to 18-digit atomics and print as the contracts print them", () => {
  assert.equal(d("1"), WAD);
  assert.equal(d("0.75"), 750_000_000_000_000_000n);
  assert.equal(d("0.000000000000000001"), 1n);
  assert.throws(() => d("0.0000000000000000001"), /more than 18 decimals/);
  assert.throws(() => d("-1"), /not a decimal/);
  assert.throws(() => d("1e3"), /not a decimal/);
  assert.equal(formatAtomics(d("1.500")), "1.5");
  assert.equal(formatAtomics(d("0.833333333333333334")), "0.833333333333333334");
  assert.equal(formatAtomics(5n * WAD), "5");
  assert.equal(toNumber("1234567.5"), 1234567.5);
});

test("values round as keel-math's value_down / value_up", () => {
  // 1.5 ETH (18 decimals) at 2000
  assert.equal(valueDown(1_500_000_000_000_000_000n, 18, d("2000")), d("3000"));
  // one base unit (6 decimals) at 1e-12 is 1e-18 MOET, kept exactly
  assert.equal(valueDown(1n, 6, 1_000_000n), 1n);
  assert.equal(valueDown(1_500_000n, 6, 1_000_000n), d("0.0000000000015"));
  // one wei at 1e-12 is 1e-30 MOET: 0 down, 1e-18 up
  assert.equal(valueDown(1n, 18, 1_000_000n), 0n);
  assert.equal(valueUp(1n, 18, 1_000_000n), 1n);
  // u128::MAX base units at 1e12 does not overflow
  const max = (1n << 128n) - 1n;
  assert.equal(valueUp(max, 6, d("1000000000000")), max * 10n ** 24n);
});

/** A collateral of `value` (decimals 0, amount 1: the value is the price) with CF and LT. */
const coll = (value: string, cf: string, lt: string) => ({ amount: 1n, decimals: 0, price: d(value), collateralFactor: d(cf), liquidationThreshold: d(lt) });
const debt = (value: string, bf: string) => ({ amount: 1n, decimals: 0, price: d(value), borrowFactor: d(bf) });
const bounds: Bounds = { min: d("1.1"), target: d("1.3"), max: d("1.5") };

test("health: keel-math's eth_against_moet and several_assets_and_borrow_factor", () => {
  const h = computeHealth([coll("3000", "0.8", "0.85")], [debt("2000", "1")]);
  assert.equal(h.effectiveCollateral, d("2400"));
  assert.equal(h.liquidationLimit, d("2550"));
  assert.equal(h.effectiveDebt, d("2000"));
  assert.equal(h.healthFactor, d("1.2"));
  assert.equal(h.liquidationHealthFactor, d("1.275"));
  assert.equal(h.borrowLimitUsed, d("0.833333333333333334"));
  assert.equal(bandOf(h, bounds), "below_target");

  const h2 = computeHealth([coll("3000", "0.8", "0.85"), coll("1000", "0.5", "0.6")], [debt("1000", "1"), debt("500", "1.2")]);
  assert.equal(h2.effectiveCollateral, d("2900"));
  assert.equal(h2.liquidationLimit, d("3150"));
  assert.equal(h2.effectiveDebt, d("1600"));
  assert.equal(h2.healthFactor, d("1.8125"));
  assert.equal(h2.liquidationHealthFactor, d("1.96875"));
  assert.equal(bandOf(h2, bounds), "overcollateralized");
});

test("health: rounding directions, sums rounded once, saturation", () => {
  let h = computeHealth([coll("0.000000000000000001", "0.5", "0.5")], [debt("0.000000000000000001", "1.5")]);
  assert.equal(h.effectiveCollateral, 0n);
  assert.equal(h.effectiveDebt, 2n);
  const c = coll("0.000000000000000001", "0.5", "0.5");
  h = computeHealth([c, c, c], [debt("3", "1")]);
  assert.equal(h.effectiveCollateral, 1n, "3 × 0.5e-18 summed before rounding");
  assert.equal(computeHealth([coll("3", "1", "1")], [debt("2", "1")]).healthFactor, d("1.5"));
  assert.equal(computeHealth([coll("3", "1", "1")], [debt("1", "1")]).borrowLimitUsed, d("0.333333333333333334"));
  assert.equal(computeHealth([coll("2", "1", "1")], [debt("3", "1")]).healthFactor, d("0.666666666666666666"));
  const huge = computeHealth([{ amount: 1n, decimals: 0, price: DECIMAL256_MAX, collateralFactor: WAD, liquidationThreshold: WAD }], [debt("0.000000000000000001", "1")]);
  assert.equal(huge.healthFactor, DECIMAL256_MAX);
  assert.equal(huge.borrowLimitUsed, 1n);
});

test("health: no debt, no collateral", () => {
  let h = computeHealth([coll("100", "0.8", "0.9")], []);
  assert.equal(h.healthFactor, null);
  assert.equal(h.liquidationHealthFactor, null);
  assert.equal(h.borrowLimitUsed, 0n);
  assert.equal(bandOf(h, bounds), "overcollateralized");
  h = computeHealth([], [debt("5", "1")]);
  assert.equal(h.healthFactor, 0n);
  assert.equal(h.borrowLimitUsed, null);
  assert.equal(bandOf(h, bounds), "liquidatable");
  assert.equal(computeHealth([], [debt("0", "1")]).healthFactor, null, "a debt worth zero counts as none");
});

test("band: first match, as keel-math's bands_first_match", () => {
  const hf = (x: string | null, l: string | null): Health => ({
    effectiveCollateral: 0n,
    liquidationLimit: 0n,
    effectiveDebt: 0n,
    healthFactor: x === null ? null : d(x),
    liquidationHealthFactor: l === null ? null : d(l),
    borrowLimitUsed: null,
  });
  assert.equal(bandOf(hf("2", "0.99"), bounds), "liquidatable");
  assert.equal(bandOf(hf("1.05", "1"), bounds), "at_risk");
  assert.equal(bandOf(hf("1.1", "1.2"), bounds), "below_target");
  assert.equal(bandOf(hf("1.29", "1.4"), bounds), "below_target");
  assert.equal(bandOf(hf("1.3", "1.4"), bounds), "healthy");
  assert.equal(bandOf(hf("1.5", "1.6"), bounds), "healthy");
  assert.equal(bandOf(hf("1.500000000000000001", "1.6"), bounds), "overcollateralized");
  assert.equal(bandOf(hf(null, null), bounds), "overcollateralized");
});

const params = (over: Partial<MarketTypes.AssetParams>): MarketTypes.AssetParams => ({
  decimals: 6,
  kind: "pool",
  collateral_factor: "0.75",
  liquidation_threshold: "0.8",
  borrow_factor: "1",
  collateral_enabled: true,
  ...over,
});

test("a position's health from its response, with a shocked price", () => {
  const position: MarketTypes.PositionResponse = {
    position_id: 4,
    owner: "wasm1owner",
    collateral: [{ denom: "uflow", amount: "1000000000", value: "2000" }],
    debt: [{ denom: "moet", amount: "1000000000", value: "1000" }],
    automation: null,
    health: null,
    price_error: null,
  };
  const pricing = (flow: bigint) => (denom: string) =>
    denom === "uflow" ? { params: params({}), price: flow } : denom === "moet" ? { params: params({ kind: "minted", collateral_factor: "0", liquidation_threshold: "0" }), price: WAD } : undefined;
  const h = positionHealth(position, pricing(d("2")));
  assert.equal(h.healthFactor, d("1.5"));
  assert.equal(h.liquidationHealthFactor, d("1.6"));
  assert.equal(bandOf(h, bounds), "healthy");
  // FLOW -30%: 1000 × 1.4 × 0.75 / 1000
  const shocked = positionHealth(position, pricing(shockedPrice(d("2"), -30)));
  assert.equal(shocked.healthFactor, d("1.05"));
  assert.equal(shocked.liquidationHealthFactor, d("1.12"));
  assert.equal(bandOf(shocked, bounds), "at_risk");
  // -40%: LHF 0.96 < 1
  assert.equal(bandOf(positionHealth(position, pricing(shockedPrice(d("2"), -40))), bounds), "liquidatable");
  // collateral_enabled false: no credit (CF 0), the LT still counts
  const disabled = positionHealth(position, (denom) => (denom === "uflow" ? { params: params({ collateral_enabled: false }), price: d("2") } : pricing(d("2"))(denom)));
  assert.equal(disabled.healthFactor, 0n);
  assert.equal(disabled.liquidationHealthFactor, d("1.6"));
  assert.throws(() => positionHealth(position, (denom) => (denom === "uflow" ? { params: params({}), price: null } : pricing(d("2"))(denom))), /price unavailable for uflow/);
});

test("shocked prices round down to 18 decimals", () => {
  assert.equal(shockedPrice(d("2"), -30), d("1.4"));
  assert.equal(shockedPrice(d("2"), 0), d("2"));
  assert.equal(shockedPrice(d("0.000000000000000003"), -50), 1n);
  assert.throws(() => shockedPrice(d("2"), -100), /out of range/);
  assert.throws(() => shockedPrice(d("2"), 2.5), /out of range/);
});

test("APY of a continuously compounded APR, and the rate curve", () => {
  assert.equal(apyOf(0), 0);
  // SPEC 3.2: a year at a fixed 5% turns 1000 into 1051.27
  assert.equal((1000 * (1 + apyOf(0.05))).toFixed(2), "1051.27");
  assert.ok(Math.abs(apyOf(1) - (Math.E - 1)) < 1e-15);
  const points = curvePoints({ piecewise: { points: [{ utilization: "0", rate: "0" }, { utilization: "0.8", rate: "0.1" }, { utilization: "1", rate: "1" }] } });
  assert.equal(rateAt(points, 0.4), 0.05);
  assert.equal(rateAt(points, 0.8), 0.1);
  assert.ok(Math.abs(rateAt(points, 0.9) - 0.55) < 1e-12);
  assert.equal(rateAt(points, 1.2), 1, "utilization is capped at 1");
  assert.deepEqual(curvePoints({ fixed: { rate: "0.05" } }), [{ utilization: 0, rate: 0.05 }, { utilization: 1, rate: 0.05 }]);
  assert.deepEqual(curvePoints(undefined), [{ utilization: 0, rate: 0 }, { utilization: 1, rate: 0 }]);
});

test("amounts: typed by a person exactly, shown truncated and grouped", () => {
  assert.equal(parseAmount("12.5", 6), 12_500_000n);
  assert.equal(parseAmount("1,000", 6), 1_000_000_000n);
  assert.equal(parseAmount("7", 0), 7n);
  assert.throws(() => parseAmount("0.0000001", 6), /more than 6 decimals/);
  assert.throws(() => parseAmount("abc", 6), /not an amount/);
  assert.throws(() => parseAmount("-1", 6), /not an amount/);
  assert.equal(formatAmount("1234567891", 6), "1,234.567891");
  assert.equal(formatAmount("1234567891", 6, 2), "1,234.56", "truncated, never rounded up");
  assert.equal(formatAmount("1000000000000000", 6), "1,000,000,000");
  assert.equal(formatAmount("5", 0), "5");
  assert.equal(formatDecimal("65384.615384615384615384", 4), "65,384.6153");
  assert.equal(formatHealth(null), "∞");
  assert.equal(formatHealth("1.049999999999999999"), "1.0499");
  assert.equal(formatAge(42), "42 s");
  assert.equal(formatAge(200), "3 min 20 s");
  assert.equal(formatAge(7500), "2 h 5 min");
});

test("contract errors in words, from what CosmJS reports", () => {
  const symbols = symbolTable([
    { denom: "cw20:wasm1zwv6feuzhy6a9wekh96cd57lsarmqlwxdypdsplw6zhfncqw6ftqm3x37s", symbol: "MOET" },
    { denom: "uflow", symbol: "FLOW" },
  ]);
  // the fee simulation of a borrow the market refuses ("auto" fee: refused before broadcast)
  const simulated = new Error(
    "Query failed with (6): rpc error: code = Unknown desc = failed to execute message; message index: 0: health factor 0.3 of position 4 would be below the floor 1: execute wasm contract failed [CosmWasm/wasmd/x/wasm/keeper/keeper.go:444] with gas used: '169861': unknown request",
  );
  assert.equal(explainError(simulated, symbols), "health factor 0.3 of position 4 would be below the floor 1");
  // a transaction that failed in its block
  const broadcast = new Error(
    "Error when broadcasting tx 89796E24A0E9A7FD3BB3372E74E8BF05196E06DC02386D543B2B6366302DBF9A at height 397. Code: 5; Raw log: failed to execute message; message index: 0: insufficient liquidity of cw20:wasm1zwv6feuzhy6a9wekh96cd57lsarmqlwxdypdsplw6zhfncqw6ftqm3x37s: 5 requested, 0 available: execute wasm contract failed",
  );
  assert.equal(explainError(broadcast, symbols), "insufficient liquidity of MOET: 5 requested, 0 available");
  // a smart query
  const query = new Error("Query failed with (6): position 999 not found: query wasm contract failed: unknown request");
  assert.equal(explainError(query, symbols), "position 999 not found");
  assert.equal(explainError(new Error("Price unavailable for uflow: no valid source"), symbols), "Price unavailable for FLOW: no valid source");
  assert.match(explainError(new TypeError("Failed to fetch"), symbols, "http://127.0.0.1:26657"), /cannot reach the chain's RPC at http:\/\/127\.0\.0\.1:26657/);
});
