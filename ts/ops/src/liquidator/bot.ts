/**
 * The liquidation bot. A round:
 *
 * 1. reads its inventory: the balance of every debt asset it repays with (native bank balances,
 *    cw20 balances such as MOET) and of the fee token;
 * 2. pages through the market's `liquidatable_positions` (resuming where the last round stopped
 *    when the market has more pages than `scan_pages_per_round`);
 * 3. for each liquidatable position, asks the liquidator's `quote` for every (debt it can repay,
 *    collateral the position holds) pair, offering what its inventory holds (the contract clamps
 *    to the close factor), and keeps the pair with the largest `bonus_value`;
 * 4. most valuable first: simulates the liquidation (native funds to `liquidate`, or the debt
 *    token's cw20 `send` with the liquidator's hook), values the fee (gas limit x gas price, in
 *    MOET at the fee token's price) and sends it only when `bonus_value - fee >= min_profit`, with
 *    `min_collateral_out` = the quoted collateral less `slippage`.
 *
 * Races: a position repaid or liquidated by someone else meanwhile quotes `liquidatable: false`
 * (skipped) or fails its simulation (never broadcast); a position that fails `max_attempts` times
 * in a row is set aside for `quarantine_seconds`, so nothing is retried forever. The collateral
 * it earns stays in the account: selling it is the operator's business (docs/OPERATORS.md).
 */
import type { Deployment } from "@keel/client";
import { Cw20BaseMsgComposer, cw20AddressOf, KeelLiquidatorHooks, KeelLiquidatorMsgComposer, type LiquidatorTypes, type MarketTypes } from "@keel/client";
import type { EncodeObject } from "@cosmjs/proto-signing";

import { type Chain, type ChainEvent, contractError, isContractError, sendTx, simulateGas, TxFailedError, withTimeout } from "../chain";
import { ConfigError, type LiquidatorConfig } from "../config";
import { decimalValue, reduceBy } from "../decimal";
import type { Logger } from "../log";
import type { Counter, Gauge, Registry } from "../metrics";
import type { Context, RoundResult, Service, ServiceMetrics } from "../runner";

/** One liquidation to send. */
export interface Plan {
  positionId: number;
  debtDenom: string;
  collateralDenom: string;
  repay: bigint;
  minCollateralOut: bigint;
}

/** What the market's `seize` event says a liquidation did. */
export interface Seized {
  repay: bigint;
  collateral: bigint;
  debtPrice: number;
  collateralPrice: number;
}

/** What the bot reads and sends (the chain's in `chainBotPort`, a model in the unit tests). */
export interface BotPort {
  scan(startAfter: number | null, limit: number): Promise<MarketTypes.LiquidatablePositionsResponse>;
  quote(positionId: number, debtDenom: string, collateralDenom: string, repay: bigint): Promise<LiquidatorTypes.QuoteResponse>;
  balance(denom: string): Promise<bigint>;
  /** MOET per whole fee token from the oracle, or null when it has none. */
  oracleFeeTokenPrice(): Promise<number | null>;
  /** The gas limit of the liquidation (throws the contract's error when it would fail). */
  simulate(plan: Plan): Promise<number>;
  liquidate(plan: Plan, gasLimit: number): Promise<{ hash: string; height: number; gasUsed: number; fee: bigint; seized: Seized | null }>;
  /** Fee of `gasLimit` in fee-denom base units. */
  feeOf(gasLimit: number): bigint;
}

/** The market's `seize` event of a liquidation transaction. */
export function seizedOf(events: readonly ChainEvent[], market: string): Seized | null {
  for (const e of events) {
    if (e.type !== "wasm-seize") continue;
    const attr = (k: string): string | undefined => e.attributes.find((a) => a.key === k)?.value;
    if (attr("_contract_address") !== market) continue;
    const repay = attr("repay_amount");
    const collateral = attr("collateral_amount");
    if (repay === undefined || collateral === undefined) continue;
    return { repay: BigInt(repay), collateral: BigInt(collateral), debtPrice: Number(attr("debt_price") ?? "NaN"), collateralPrice: Number(attr("collateral_price") ?? "NaN") };
  }
  return null;
}

function messagesOf(chain: Chain, plan: Plan): EncodeObject[] {
  if (!chain.address) throw new Error("the liquidation bot has no signing key");
  const liquidator = chain.deployment.contracts.liquidator;
  const hook = { positionId: plan.positionId, debtDenom: plan.debtDenom, collateralDenom: plan.collateralDenom, minCollateralOut: plan.minCollateralOut.toString() };
  const token = cw20AddressOf(plan.debtDenom);
  if (token) {
    return [new Cw20BaseMsgComposer(chain.address, token).send({ contract: liquidator, amount: plan.repay.toString(), msg: KeelLiquidatorHooks.liquidate(hook) })];
  }
  return [new KeelLiquidatorMsgComposer(chain.address, liquidator).liquidate(hook, [{ denom: plan.debtDenom, amount: plan.repay.toString() }])];
}

export function chainBotPort(chain: Chain, timeout: number): BotPort {
  const t = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, timeout, what);
  const market = chain.deployment.contracts.market;
  return {
    scan: (startAfter, limit) => t(chain.market.liquidatablePositions({ startAfter: startAfter ?? undefined, limit }), "liquidatable_positions"),
    quote: (positionId, debtDenom, collateralDenom, repay) =>
      t(chain.liquidator.quote({ positionId, debtDenom, collateralDenom, repayAmount: repay.toString() }), `quote ${positionId} ${debtDenom}/${collateralDenom}`),
    async balance(denom) {
      if (!chain.address) throw new Error("the liquidation bot has no signing key");
      const token = cw20AddressOf(denom);
      if (token) {
        const r = (await t(chain.query.queryContractSmart(token, { balance: { address: chain.address } }), `balance of ${denom}`)) as { balance: string };
        return BigInt(r.balance);
      }
      return BigInt((await t(chain.query.getBalance(chain.address, denom), `balance of ${denom}`)).amount);
    },
    async oracleFeeTokenPrice() {
      try {
        return Number((await t(chain.oracle.price({ denom: chain.feeDenom }), `oracle price of ${chain.feeDenom}`)).price);
      } catch (e) {
        if (isContractError(e)) return null;
        throw e;
      }
    },
    simulate: async (plan) => (await simulateGas(chain, messagesOf(chain, plan))).gasLimit,
    async liquidate(plan, gasLimit) {
      const tx = await sendTx(chain, messagesOf(chain, plan), gasLimit);
      return { hash: tx.hash, height: tx.height, gasUsed: tx.gasUsed, fee: tx.fee, seized: seizedOf(tx.events, market) };
    },
    feeOf: (gasLimit) => BigInt(Math.ceil(gasLimit * chain.gasPrice.amount.toFloatApproximation())),
  };
}

interface BotMetrics {
  scanPages: Counter;
  liquidatableSeen: Counter;
  liquidations: Counter;
  bonus: Counter;
  gasCost: Counter;
  repaid: Counter;
  seized: Counter;
  skipped: Counter;
  quarantined: Gauge;
  inventory: Gauge;
}

function botMetrics(registry: Registry): BotMetrics {
  return {
    scanPages: registry.counter("keel_liquidator_scan_pages_total", "liquidatable_positions pages queried."),
    liquidatableSeen: registry.counter("keel_liquidator_liquidatable_seen_total", "Liquidatable positions found by the scans (a position found in several rounds counts each time)."),
    liquidations: registry.counter("keel_liquidator_liquidations_total", "Liquidations sent and settled, by debt and collateral denom.", ["debt_denom", "collateral_denom"]),
    bonus: registry.counter("keel_liquidator_bonus_moet_total", "Bonus earned, in whole MOET at the prices of the market's seize event (collateral value - repay value)."),
    gasCost: registry.counter("keel_liquidator_gas_cost_moet_total", "Fees of the liquidation transactions, in whole MOET at the fee token's price."),
    repaid: registry.counter("keel_liquidator_repaid_total", "Debt repaid, in base units of each denom.", ["denom"]),
    seized: registry.counter("keel_liquidator_seized_total", "Collateral received, in base units of each denom.", ["denom"]),
    skipped: registry.counter("keel_liquidator_skipped_total", "Liquidatable positions not liquidated, by reason.", ["reason"]),
    quarantined: registry.gauge("keel_liquidator_quarantined_positions", "Positions set aside after max_attempts consecutive failures."),
    inventory: registry.gauge("keel_liquidator_inventory", "Balance of each debt asset and of the fee token, in base units.", ["denom"]),
  };
}

interface Candidate {
  positionId: number;
  debtDenom: string;
  collateralDenom: string;
  quote: LiquidatorTypes.QuoteResponse;
  bonus: number;
}

export class LiquidationBot implements Service {
  /** `start_after` of the next scan page (null: from the first position). */
  private cursor: number | null = null;
  private readonly failures = new Map<number, number>();
  private readonly quarantine = new Map<number, number>();
  /** The last reason each position was skipped for (logged when it changes). */
  private readonly skipReasons = new Map<number, string>();
  private readonly m: BotMetrics;
  private readonly decimals: Map<string, number>;

  constructor(
    private readonly port: BotPort,
    private readonly config: LiquidatorConfig,
    private readonly debtDenoms: string[],
    private readonly deployment: Deployment,
    private readonly feeDenom: string,
    private readonly log: Logger,
    registry: Registry,
    private readonly metrics: ServiceMetrics,
    private readonly now: () => number,
  ) {
    this.m = botMetrics(registry);
    this.decimals = new Map(deployment.assets.map((a) => [a.denom, a.decimals]));
  }

  async start(): Promise<void> {
    const price = await this.feeTokenPrice();
    this.log.info("liquidation bot started", {
      debt_denoms: this.debtDenoms,
      min_profit: this.config.min_profit,
      slippage: this.config.slippage,
      fee_token: `${this.feeDenom} at ${price} MOET (${this.config.fee_token_price !== null ? "config" : "oracle"})`,
    });
  }

  async stop(): Promise<void> {
    this.log.info("liquidation bot stopped", { quarantined: this.quarantine.size });
  }

  private async feeTokenPrice(): Promise<number> {
    if (this.config.fee_token_price !== null) return Number(this.config.fee_token_price);
    const p = await this.port.oracleFeeTokenPrice();
    if (p === null) throw new Error(`the oracle has no price for the fee token ${this.feeDenom}: set liquidator.fee_token_price`);
    return p;
  }

  private skip(positionId: number, reason: string, fields: Record<string, unknown> = {}): void {
    this.m.skipped.inc({ reason });
    if (this.skipReasons.get(positionId) !== reason) this.log.info(`liquidatable position skipped: ${reason}`, { position: positionId, ...fields });
    this.skipReasons.set(positionId, reason);
  }

  /** A failure of the position's simulation or transaction; after max_attempts in a row it is set aside. */
  private fail(positionId: number, error: string): void {
    const n = (this.failures.get(positionId) ?? 0) + 1;
    this.failures.set(positionId, n);
    if (n >= this.config.max_attempts) {
      this.quarantine.set(positionId, this.now() + this.config.quarantine_seconds);
      this.failures.delete(positionId);
      this.log.warn("position set aside after consecutive failures", { position: positionId, failures: n, until: this.now() + this.config.quarantine_seconds, error });
    }
  }

  private whole(amount: bigint, denom: string): number {
    return Number(amount) / 10 ** (this.decimals.get(denom) ?? 6);
  }

  async round(): Promise<RoundResult> {
    const now = this.now();
    for (const [id, until] of this.quarantine) if (until <= now) this.quarantine.delete(id);
    this.m.quarantined.set({}, this.quarantine.size);

    // 1. inventory
    const inventory = new Map<string, bigint>();
    for (const denom of new Set([...this.debtDenoms, this.feeDenom])) {
      const b = await this.port.balance(denom);
      inventory.set(denom, b);
      this.m.inventory.set({ denom }, Number(b));
    }
    const spendable = (denom: string): bigint => {
      const b = inventory.get(denom) ?? 0n;
      const reserve = denom === this.feeDenom ? BigInt(this.config.fee_reserve) : 0n;
      return b > reserve ? b - reserve : 0n;
    };
    const feePrice = await this.feeTokenPrice();

    // 2. scan
    const found: MarketTypes.PositionResponse[] = [];
    let pages = 0;
    while (pages < this.config.scan_pages_per_round) {
      const page = await this.port.scan(this.cursor, this.config.scan_page_size);
      pages += 1;
      this.m.scanPages.inc();
      found.push(...page.positions);
      if (page.last_scanned === null || page.last_scanned === undefined) {
        this.cursor = null; // a full pass is done: the next round starts over
        break;
      }
      this.cursor = page.last_scanned;
    }
    this.m.liquidatableSeen.inc({}, found.length);

    // 3. the best pair of each position
    const candidates: Candidate[] = [];
    for (const p of found) {
      const id = p.position_id;
      if (this.quarantine.has(id)) {
        this.skip(id, "set aside after failures");
        continue;
      }
      let best: Candidate | null = null;
      for (const debt of p.debt) {
        if (!this.debtDenoms.includes(debt.denom)) continue;
        const offer = spendable(debt.denom);
        if (offer === 0n) continue;
        for (const coll of p.collateral) {
          let quote: LiquidatorTypes.QuoteResponse;
          try {
            quote = await this.port.quote(id, debt.denom, coll.denom, offer);
          } catch (e) {
            if (!isContractError(e)) throw e;
            this.log.debug("quote refused", { position: id, debt_denom: debt.denom, collateral_denom: coll.denom, error: contractError(e) });
            continue;
          }
          if (!quote.liquidatable || quote.repay_amount === "0" || quote.collateral_out === "0") continue;
          const bonus = decimalValue(quote.bonus_value) ?? 0;
          if (!best || bonus > best.bonus) best = { positionId: id, debtDenom: debt.denom, collateralDenom: coll.denom, quote, bonus };
        }
      }
      if (best) candidates.push(best);
      else if (!p.debt.some((d) => this.debtDenoms.includes(d.denom) && spendable(d.denom) > 0n)) this.skip(id, "no inventory of its debts", { debts: p.debt.map((d) => d.denom) });
      else this.skip(id, "not liquidatable any more");
    }
    candidates.sort((a, b) => b.bonus - a.bonus);

    // 4. liquidate the profitable ones, most valuable first
    let sent = 0;
    let failed = 0;
    for (const c of candidates) {
      if (sent >= this.config.max_liquidations_per_round) break;
      const repay = BigInt(c.quote.repay_amount);
      if (spendable(c.debtDenom) < repay) {
        this.skip(c.positionId, "no inventory of its debts", { debt_denom: c.debtDenom, needed: repay, spendable: spendable(c.debtDenom) });
        continue;
      }
      const plan: Plan = {
        positionId: c.positionId,
        debtDenom: c.debtDenom,
        collateralDenom: c.collateralDenom,
        repay,
        minCollateralOut: reduceBy(BigInt(c.quote.collateral_out), this.config.slippage),
      };
      const log = this.log.child({ position: c.positionId, debt_denom: c.debtDenom, collateral_denom: c.collateralDenom });
      let gasLimit: number;
      try {
        gasLimit = await this.port.simulate(plan);
      } catch (e) {
        if (!isContractError(e)) throw e;
        // repaid, liquidated or moved since the quote: not broadcast
        this.skip(c.positionId, "refused in simulation", { error: contractError(e) });
        this.fail(c.positionId, contractError(e));
        continue;
      }
      const fee = this.port.feeOf(gasLimit);
      const gasCost = (Number(fee) / 10 ** this.config.fee_token_decimals) * feePrice;
      const profit = c.bonus - gasCost;
      if (profit < Number(this.config.min_profit)) {
        this.skip(c.positionId, "unprofitable", { bonus_value: c.bonus, gas_cost_moet: gasCost, gas_limit: gasLimit, min_profit: this.config.min_profit });
        continue;
      }
      try {
        const r = await this.port.liquidate(plan, gasLimit);
        sent += 1;
        this.metrics.txsSent.inc();
        this.metrics.gasUsed.inc({}, r.gasUsed);
        this.metrics.feesPaid.inc({ denom: this.feeDenom }, Number(r.fee));
        this.failures.delete(c.positionId);
        this.skipReasons.delete(c.positionId);
        const paid = r.seized?.repay ?? repay;
        inventory.set(c.debtDenom, (inventory.get(c.debtDenom) ?? 0n) - paid);
        inventory.set(this.feeDenom, (inventory.get(this.feeDenom) ?? 0n) - r.fee);
        const realized = r.seized
          ? this.whole(r.seized.collateral, c.collateralDenom) * r.seized.collateralPrice - this.whole(r.seized.repay, c.debtDenom) * r.seized.debtPrice
          : c.bonus;
        this.m.liquidations.inc({ debt_denom: c.debtDenom, collateral_denom: c.collateralDenom });
        if (Number.isFinite(realized) && realized > 0) this.m.bonus.inc({}, realized);
        this.m.gasCost.inc({}, gasCost);
        this.m.repaid.inc({ denom: c.debtDenom }, Number(paid));
        if (r.seized) this.m.seized.inc({ denom: c.collateralDenom }, Number(r.seized.collateral));
        log.info("liquidated", {
          tx: r.hash,
          height: r.height,
          gas_used: r.gasUsed,
          repaid: paid,
          collateral_received: r.seized?.collateral ?? null,
          min_collateral_out: plan.minCollateralOut,
          bonus_quoted: c.bonus,
          bonus_realized: realized,
          gas_cost_moet: gasCost,
          health_before: c.quote.health_before ?? null,
          health_after: c.quote.health_after ?? null,
        });
      } catch (e) {
        if (!(e instanceof TxFailedError || isContractError(e))) throw e;
        failed += 1;
        this.metrics.txsFailed.inc();
        this.fail(c.positionId, contractError(e));
        log.error("liquidation failed", { error: contractError(e) });
      }
    }
    for (const denom of inventory.keys()) this.m.inventory.set({ denom }, Number(inventory.get(denom)));
    return { ok: failed === 0, fields: { liquidatable: found.length, candidates: candidates.length, liquidated: sent, failed, scan_pages: pages } };
  }
}

export async function createLiquidationBot(ctx: Context, config: LiquidatorConfig): Promise<LiquidationBot> {
  const { chain } = ctx;
  if (!chain.address) throw new ConfigError("the liquidation bot needs a signing key");
  const deployment = chain.deployment;
  let debtDenoms: string[];
  if (config.debt_denoms) {
    debtDenoms = config.debt_denoms.map((key) => {
      const a = deployment.assets.find((x) => x.denom === key || x.symbol === key);
      if (!a) throw new ConfigError(`liquidator.debt_denoms: unknown denom or symbol "${key}" (assets: ${deployment.assets.map((x) => x.symbol).join(", ")})`);
      return a.denom;
    });
  } else {
    debtDenoms = deployment.assets.map((a) => a.denom);
  }
  const port = chainBotPort(chain, ctx.rpcTimeoutSeconds);
  if (config.fee_token_price === null && (await port.oracleFeeTokenPrice()) === null) {
    throw new ConfigError(`the oracle has no price for the fee token ${chain.feeDenom}, so gas cannot be valued in MOET: set liquidator.fee_token_price (MOET per whole ${chain.feeDenom.replace(/^u/, "").toUpperCase()})`);
  }
  return new LiquidationBot(port, config, debtDenoms, deployment, chain.feeDenom, ctx.log, ctx.registry, ctx.metrics, ctx.now);
}
