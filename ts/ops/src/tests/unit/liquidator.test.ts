/** The liquidation bot's choices against a model market: best pair, profit, inventory, races. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { Deployment, LiquidatorTypes, MarketTypes } from "@keel/client";

import type { LiquidatorConfig } from "../../config";
import { Logger } from "../../log";
import { Registry } from "../../metrics";
import { type BotPort, LiquidationBot, type Plan, seizedOf } from "../../liquidator/bot";
import { serviceMetrics } from "../../runner";

const MOET = "cw20:moet";
const FLOW = "uflow";
const KFL = "cw20:kfl";
const USDC = "uusdc";

const deployment = {
  assets: [MOET, FLOW, KFL, USDC].map((denom) => ({ denom, symbol: denom, decimals: 6 })),
} as unknown as Deployment;

function positionOf(id: number, debts: string[], collaterals: string[]): MarketTypes.PositionResponse {
  return {
    position_id: id,
    owner: "owner",
    collateral: collaterals.map((denom) => ({ denom, amount: "1000000000", value: null })),
    debt: debts.map((denom) => ({ denom, amount: "500000000", value: null })),
    health: null,
    automation: null,
    price_error: null,
  };
}

/** Quotes are given per (position, debt, collateral) as the bonus value; the repay is what was offered, up to 100 whole. */
class ModelChain implements BotPort {
  pages: MarketTypes.PositionResponse[][] = [];
  bonus = new Map<string, number>();
  balances = new Map<string, bigint>([[USDC, 1_000_000000n], [MOET, 1_000_000000n], ["ustake", 10_000000n]]);
  scans: (number | null)[] = [];
  quotes: string[] = [];
  simulations: Plan[] = [];
  sent: Plan[] = [];
  /** Positions gone since the scan (repaid or liquidated by someone else): the simulation fails. */
  gone = new Set<number>();
  /** Positions the quote now says are healthy. */
  healthy = new Set<number>();
  gasLimit = 500_000;
  rpcDown = false;

  async scan(startAfter: number | null) {
    if (this.rpcDown) throw new Error("fetch failed");
    this.scans.push(startAfter);
    const i = startAfter === null ? 0 : startAfter;
    const page = this.pages[i] ?? [];
    return { positions: page, last_scanned: i < this.pages.length ? i + 1 : null };
  }
  async quote(id: number, debt: string, coll: string, repay: bigint): Promise<LiquidatorTypes.QuoteResponse> {
    this.quotes.push(`${id} ${debt}/${coll}`);
    const bonus = this.healthy.has(id) ? undefined : this.bonus.get(`${id} ${debt}/${coll}`);
    if (bonus === undefined) return { liquidatable: false, max_repay: "0", repay_amount: "0", collateral_out: "0", bonus_value: "0", health_before: "1.1", health_after: "1.1" };
    const amount = repay < 100_000000n ? repay : 100_000000n;
    return { liquidatable: true, max_repay: "100000000", repay_amount: amount.toString(), collateral_out: "60000000", bonus_value: String(bonus), health_before: "0.95", health_after: "0.97" };
  }
  async balance(denom: string) {
    return this.balances.get(denom) ?? 0n;
  }
  async oracleFeeTokenPrice() {
    return null;
  }
  async simulate(plan: Plan) {
    this.simulations.push(plan);
    if (this.gone.has(plan.positionId)) throw new Error("failed to execute message; message index: 0: position 7 is not liquidatable: execute wasm contract failed");
    return this.gasLimit;
  }
  async liquidate(plan: Plan) {
    this.sent.push(plan);
    return { hash: "TX", height: 10, gasUsed: 400_000, fee: 12500n, seized: { repay: plan.repay, collateral: 60_000000n, debtPrice: 1, collateralPrice: 1.75 } };
  }
  feeOf(gasLimit: number) {
    return BigInt(Math.ceil(gasLimit * 0.025));
  }
}

function config(over: Partial<LiquidatorConfig> = {}): LiquidatorConfig {
  return {
    account: null, mnemonic_file: null, metrics_port: null, metrics_host: "127.0.0.1", poll_seconds: 1, gas_multiplier: 1.4,
    debt_denoms: null, min_profit: "0", fee_token_price: "1", fee_token_decimals: 6, slippage: "0.005", fee_reserve: 1000000,
    scan_page_size: 100, scan_pages_per_round: 100, max_liquidations_per_round: 10, max_attempts: 3, quarantine_seconds: 600,
    ...over,
  };
}

function botOn(chain: ModelChain, cfg: LiquidatorConfig, clock = { now: 1000 }, debtDenoms = [USDC, MOET]) {
  const registry = new Registry();
  const lines: Record<string, unknown>[] = [];
  const bot = new LiquidationBot(chain, cfg, debtDenoms, deployment, "ustake", new Logger("liquidator", "debug", { write: (l: string) => lines.push(JSON.parse(l)) }), registry, serviceMetrics(registry, "liquidator"), () => clock.now);
  return { bot, registry, lines, clock };
}

describe("liquidation bot", () => {
  it("quotes every pair it can repay and liquidates the one with the largest bonus, most valuable position first", async () => {
    const chain = new ModelChain();
    chain.pages = [[positionOf(5, [USDC, MOET, KFL], [FLOW, KFL]), positionOf(9, [MOET], [FLOW])]];
    chain.bonus.set(`5 ${USDC}/${FLOW}`, 2);
    chain.bonus.set(`5 ${USDC}/${KFL}`, 3.5);
    chain.bonus.set(`5 ${MOET}/${FLOW}`, 3);
    chain.bonus.set(`5 ${KFL}/${FLOW}`, 9); // a debt the bot holds none of: never quoted
    chain.bonus.set(`9 ${MOET}/${FLOW}`, 6);
    const { bot, registry } = botOn(chain, config());
    const r = await bot.round();
    assert.equal(r.ok, true);
    assert.ok(!chain.quotes.some((q) => q.includes(KFL + "/")), "no quote of a debt outside its inventory");
    assert.deepEqual(chain.sent.map((p) => [p.positionId, p.debtDenom, p.collateralDenom]), [
      [9, MOET, FLOW],
      [5, USDC, KFL],
    ]);
    assert.equal(chain.sent[0].repay, 100_000000n);
    assert.equal(chain.sent[0].minCollateralOut, 59_700000n, "quoted 60 less 0.5% slippage");
    const text = registry.render();
    assert.match(text, new RegExp(`keel_liquidator_liquidations_total\\{debt_denom="${MOET}",collateral_denom="${FLOW}"\\} 1`));
    // realized: 60 collateral at 1.75 - 100 repaid at 1 = 5, twice
    assert.match(text, /keel_liquidator_bonus_moet_total 10\n/);
  });

  it("skips a liquidation whose bonus does not pay for its gas at the configured gas price", async () => {
    const chain = new ModelChain();
    chain.pages = [[positionOf(1, [USDC], [FLOW]), positionOf(2, [USDC], [FLOW])]];
    chain.bonus.set(`1 ${USDC}/${FLOW}`, 0.01);
    chain.bonus.set(`2 ${USDC}/${FLOW}`, 0.02);
    // fee = 500,000 gas * 0.025 = 12,500 ustake = 0.0125 STAKE at 1 MOET
    const { bot, registry, lines } = botOn(chain, config());
    await bot.round();
    assert.deepEqual(chain.sent.map((p) => p.positionId), [2]);
    const skip = lines.find((l) => l.msg === "liquidatable position skipped: unprofitable");
    assert.equal(skip?.position, 1);
    assert.ok(Math.abs(Number(skip?.gas_cost_moet) - 0.0125) < 1e-12);
    assert.match(registry.render(), /keel_liquidator_skipped_total\{reason="unprofitable"\} 1/);
    // with min_profit 0.01 the second one does not pay either
    const chain2 = new ModelChain();
    chain2.pages = chain.pages;
    chain2.bonus = chain.bonus;
    await botOn(chain2, config({ min_profit: "0.01" })).bot.round();
    assert.deepEqual(chain2.sent, []);
  });

  it("offers only what its inventory holds (less the fee reserve of the fee token)", async () => {
    const chain = new ModelChain();
    chain.balances.set(USDC, 40_000000n);
    chain.pages = [[positionOf(3, [USDC], [FLOW])]];
    chain.bonus.set(`3 ${USDC}/${FLOW}`, 1);
    await botOn(chain, config()).bot.round();
    assert.equal(chain.sent[0].repay, 40_000000n);

    const empty = new ModelChain();
    empty.balances.set(USDC, 0n);
    empty.pages = [[positionOf(3, [USDC], [FLOW])]];
    empty.bonus.set(`3 ${USDC}/${FLOW}`, 1);
    const { bot, registry } = botOn(empty, config());
    await bot.round();
    assert.deepEqual(empty.quotes, []);
    assert.match(registry.render(), /keel_liquidator_skipped_total\{reason="no inventory of its debts"\} 1/);

    const fee = new ModelChain();
    fee.balances.set("ustake", 1_500000n);
    fee.pages = [[positionOf(4, ["ustake"], [FLOW])]];
    fee.bonus.set(`4 ustake/${FLOW}`, 1);
    await botOn(fee, config(), { now: 1000 }, ["ustake"]).bot.round();
    assert.equal(fee.sent[0].repay, 500000n, "1.5 STAKE held, 1 kept for gas");
  });

  it("races: a position gone since the scan is not broadcast, and is set aside after max_attempts", async () => {
    const chain = new ModelChain();
    chain.pages = [[positionOf(7, [USDC], [FLOW]), positionOf(8, [USDC], [FLOW])]];
    chain.bonus.set(`7 ${USDC}/${FLOW}`, 5);
    chain.bonus.set(`8 ${USDC}/${FLOW}`, 4);
    chain.gone.add(7);
    const clock = { now: 1000 };
    const { bot, registry, lines } = botOn(chain, config({ max_attempts: 2, quarantine_seconds: 60 }), clock);
    await bot.round();
    assert.deepEqual(chain.sent.map((p) => p.positionId), [8], "the other one goes through");
    await bot.round();
    assert.equal(chain.simulations.filter((p) => p.positionId === 7).length, 2);
    assert.ok(lines.some((l) => l.msg === "position set aside after consecutive failures" && l.position === 7));
    chain.quotes = [];
    await bot.round();
    assert.ok(!chain.quotes.some((q) => q.startsWith("7 ")), "set aside: not even quoted");
    assert.match(registry.render(), /keel_liquidator_quarantined_positions 1\n/);
    assert.equal(chain.simulations.filter((p) => p.positionId === 7).length, 2);
    clock.now += 61;
    await bot.round();
    assert.equal(chain.simulations.filter((p) => p.positionId === 7).length, 3, "tried again after the quarantine");
    assert.equal(chain.sent.filter((p) => p.positionId === 7).length, 0);
  });

  it("races: a position that quotes healthy again (repaid meanwhile) is skipped without a simulation", async () => {
    const chain = new ModelChain();
    chain.pages = [[positionOf(7, [USDC], [FLOW])]];
    chain.bonus.set(`7 ${USDC}/${FLOW}`, 5);
    chain.healthy.add(7);
    const { bot, registry } = botOn(chain, config());
    await bot.round();
    assert.deepEqual(chain.simulations, []);
    assert.match(registry.render(), /keel_liquidator_skipped_total\{reason="not liquidatable any more"\} 1/);
  });

  it("pages through the scan, resuming where a bounded round stopped", async () => {
    const chain = new ModelChain();
    chain.pages = [[], [], [], [], []];
    const { bot } = botOn(chain, config({ scan_pages_per_round: 2 }));
    await bot.round();
    await bot.round();
    await bot.round();
    await bot.round();
    assert.deepEqual(chain.scans, [null, 1, 2, 3, 4, 5, null, 1]);
  });

  it("an RPC error fails the round (the runner backs off); nothing is sent", async () => {
    const chain = new ModelChain();
    chain.rpcDown = true;
    await assert.rejects(botOn(chain, config()).bot.round(), /fetch failed/);
    assert.deepEqual(chain.sent, []);
  });

  it("reads what a liquidation did from the market's seize event", () => {
    const events = [
      { type: "wasm-seize", attributes: [["_contract_address", "market"], ["repay_amount", "280000000"], ["debt_price", "1"], ["collateral_amount", "169647058"], ["collateral_price", "1.7"]].map(([key, value]) => ({ key, value })) },
    ];
    assert.deepEqual(seizedOf(events, "market"), { repay: 280000000n, collateral: 169647058n, debtPrice: 1, collateralPrice: 1.7 });
    assert.equal(seizedOf(events, "other"), null);
  });
});
