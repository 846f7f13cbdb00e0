/**
 * The rebalancing keeper: keeps an index of the market's automated positions and calls
 * `rebalance` on those whose health left their `[min, max]` band, when the rebalance would do
 * something (a sink to draw down to, or a consenting top-up source with an allowance and MOET).
 *
 * A round:
 * 1. follows the market's transactions since the last round (discovery.ts): positions touched are
 *    marked for a fresh look, positions opened or given automation are looked up;
 * 2. during a cold start, scans a bounded number of `positions` pages (the only full scan, once);
 * 3. reads every listed asset's price (one oracle query);
 * 4. looks again (one `position` query each) only at positions touched, newly automated, due for
 *    their periodic refresh (interest accrues, allowances change), or whose assets' prices moved
 *    so that their health, estimated from their last balances, is near or outside their band;
 * 5. decides (decide.ts) and sends `rebalance` for those that would act, after a simulation (a
 *    rebalance the market would refuse, e.g. a source unable to save a liquidatable position, is
 *    never broadcast).
 */
import { type Cw20Types, KeelMarketMsgComposer, type MarketTypes } from "@keel/client";

import { type Chain, contractAttributes, contractError, isContractError, latestBlock, sendTx, simulateGas, TxFailedError, withTimeout } from "../chain";
import { ConfigError, type KeeperConfig } from "../config";
import { errorText, type Logger } from "../log";
import type { Counter, Gauge, Registry } from "../metrics";
import type { Context, RoundResult, Service, ServiceMetrics } from "../runner";
import { type AssetFactors, type Bounds, boundsOf, decide, estimateHealth, nearOrOutsideBand, type Snapshot, snapshotOf, type TopUpCapacity } from "./decide";
import { type ActivityReader, BlockResultsReader, loadIndex, saveIndex, TxSearchReader } from "./discovery";

/** What the keeper reads and sends (the chain's in `chainKeeperPort`, a model in the unit tests). */
export interface KeeperPort {
  latest(): Promise<{ height: number; time: number; earliestHeight: number }>;
  activity: ActivityReader;
  marketConfig(): Promise<MarketTypes.ConfigResponse>;
  assets(): Promise<MarketTypes.AssetResponse[]>;
  positionsPage(startAfter: number | null, limit: number): Promise<MarketTypes.PositionResponse[]>;
  position(id: number): Promise<MarketTypes.PositionResponse | null>;
  /** Oracle prices of `denoms`; a denom without a valid price is left out. */
  prices(denoms: readonly string[]): Promise<Map<string, number>>;
  capacity(positionId: number, owner: string, source: string, now: { height: number; time: number }): Promise<TopUpCapacity>;
  /** The gas limit of `rebalance` (throws the market's error when it would fail). */
  simulateRebalance(id: number): Promise<number>;
  rebalance(id: number, gasLimit: number): Promise<{ hash: string; height: number; gasUsed: number; fee: bigint; attributes: Record<string, string> }>;
}

/** Oracle prices of `denoms` in one query; per denom when one of them has no valid price. */
export async function oraclePrices(chain: Chain, denoms: readonly string[], timeout: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (denoms.length === 0) return out;
  try {
    const all = await withTimeout(chain.oracle.prices({ denoms: [...denoms], skipTwap: true }), timeout, "oracle prices");
    for (const p of all) out.set(p.denom, Number(p.price));
    return out;
  } catch (e) {
    if (!isContractError(e)) throw e;
  }
  await Promise.all(
    denoms.map(async (denom) => {
      try {
        const p = await withTimeout(chain.oracle.price({ denom }), timeout, `oracle price of ${denom}`);
        out.set(denom, Number(p.price));
      } catch (e) {
        if (!isContractError(e)) throw e;
      }
    }),
  );
  return out;
}

/** A cw20 allowance still usable at `now` (0 once expired). */
export function usableAllowance(a: Cw20Types.AllowanceResponse, now: { height: number; time: number }): bigint {
  const expires = a.expires as { at_height?: number; at_time?: string; never?: object };
  if (expires.at_height !== undefined && now.height >= expires.at_height) return 0n;
  if (expires.at_time !== undefined && BigInt(now.time) * 1_000_000_000n >= BigInt(expires.at_time)) return 0n;
  return BigInt(a.allowance);
}

export function chainKeeperPort(chain: Chain, config: KeeperConfig, timeout: number): KeeperPort {
  const market = chain.deployment.contracts.market;
  const moet = chain.deployment.contracts.moet;
  const followed = { market, moet };
  const t = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, timeout, what);
  return {
    latest: () => latestBlock(chain, timeout),
    activity: config.events === "tx_search" ? new TxSearchReader(chain.comet, followed, timeout) : new BlockResultsReader(chain.comet, followed, timeout),
    marketConfig: () => t(chain.market.config(), "market config"),
    async assets() {
      const out: MarketTypes.AssetResponse[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page: MarketTypes.AssetResponse[] = await t(chain.market.assets({ startAfter, limit: 100 }), "market assets");
        out.push(...page);
        if (page.length < 100) return out;
        startAfter = page[page.length - 1].denom;
      }
    },
    positionsPage: (startAfter, limit) => t(chain.market.positions({ startAfter: startAfter ?? undefined, limit }), "market positions"),
    async position(id) {
      try {
        return await t(chain.market.position({ positionId: id }), `position ${id}`);
      } catch (e) {
        if (isContractError(e) && /not found/i.test(errorText(e))) return null;
        throw e;
      }
    },
    prices: (denoms) => oraclePrices(chain, denoms, timeout),
    async capacity(positionId, owner, source, now) {
      const [consent, allowance, balance] = await Promise.all([
        source === owner ? Promise.resolve(null) : t(chain.market.topUpConsent({ positionId, source }), `top_up_consent ${positionId}`).then((r) => BigInt(r.amount)),
        t(chain.query.queryContractSmart(moet, { allowance: { owner: source, spender: market } }) as Promise<Cw20Types.AllowanceResponse>, "MOET allowance"),
        t(chain.query.queryContractSmart(moet, { balance: { address: source } }) as Promise<Cw20Types.BalanceResponse>, "MOET balance"),
      ]);
      return { consent, allowance: usableAllowance(allowance, now), balance: BigInt(balance.balance) };
    },
    async simulateRebalance(id) {
      if (!chain.address) throw new Error("the keeper has no signing key");
      const msg = new KeelMarketMsgComposer(chain.address, market).rebalance({ positionId: id });
      return (await simulateGas(chain, [msg])).gasLimit;
    },
    async rebalance(id, gasLimit) {
      if (!chain.address) throw new Error("the keeper has no signing key");
      const msg = new KeelMarketMsgComposer(chain.address, market).rebalance({ positionId: id });
      const tx = await sendTx(chain, [msg], gasLimit);
      const attributes: Record<string, string> = {};
      for (const key of ["rebalanced", "reason", "health_before", "health_after", "drawn_down", "sink", "topped_up", "source"]) {
        const v = contractAttributes(tx.events, "wasm", market, key);
        if (v.length) attributes[key] = v[v.length - 1];
      }
      return { hash: tx.hash, height: tx.height, gasUsed: tx.gasUsed, fee: tx.fee, attributes };
    },
  };
}

interface Tracked {
  id: number;
  owner: string;
  automation: MarketTypes.Automation;
  bounds: Bounds;
  snapshot: Snapshot;
  /** The prices the snapshot was taken at (to tell whether its assets moved since). */
  prices: Map<string, number>;
  checkedAt: number;
  /** Touched on chain since its last check. */
  dirty: boolean;
  /** The last decision's outcome (logged when it changes). */
  outcome: string | null;
}

interface KeeperMetrics {
  automated: Gauge;
  followedHeight: Gauge;
  marketTxs: Counter;
  queries: Counter;
  rebalances: Counter;
  skipped: Counter;
  scanPages: Counter;
  scanDone: Gauge;
}

function keeperMetrics(registry: Registry): KeeperMetrics {
  return {
    automated: registry.gauge("keel_keeper_automated_positions", "Automated positions in the keeper's index."),
    followedHeight: registry.gauge("keel_keeper_followed_height", "The market's transactions are followed through this height."),
    marketTxs: registry.counter("keel_keeper_market_txs_total", "Market transactions read while following the chain."),
    queries: registry.counter("keel_keeper_position_queries_total", "Position queries, by why the position was looked at (touched, new, refresh, price, scan).", ["why"]),
    rebalances: registry.counter("keel_keeper_rebalances_total", "rebalance transactions that acted, by direction (draw_down, top_up).", ["direction"]),
    skipped: registry.counter("keel_keeper_skipped_total", "Positions outside their band left alone because a rebalance would be a no-op or refused, by reason.", ["reason"]),
    scanPages: registry.counter("keel_keeper_scan_pages_total", "Pages of the cold-start positions scan."),
    scanDone: registry.gauge("keel_keeper_scan_done", "1 once the cold-start scan (or a saved index) covers every position."),
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export class Keeper implements Service {
  private readonly tracked = new Map<number, Tracked>();
  /** Positions to look up next round whatever their estimate (opened, automation set, from a saved index). */
  private readonly pendingLookups = new Set<number>();
  /** Events are followed through this height. */
  private followed = 0;
  /** The cold-start scan: `start_after` of its next page (0: from the first position), null when not scanning. */
  private scanAfter: number | null = null;
  private assets = new Map<string, AssetFactors>();
  private defaults: MarketTypes.HealthBounds = { min: "1.1", target: "1.3", max: "1.5" };
  private minDebtValue = 1;
  private paramsAt = -Infinity;
  private lastPrices = new Map<string, number>();
  private readonly m: KeeperMetrics;

  constructor(
    private readonly port: KeeperPort,
    private readonly config: KeeperConfig,
    private readonly ids: { chainId: string; market: string; moetDenom: string },
    private readonly log: Logger,
    registry: Registry,
    private readonly metrics: ServiceMetrics,
    private readonly now: () => number,
    private readonly feeDenom: string,
  ) {
    this.m = keeperMetrics(registry);
  }

  async start(): Promise<void> {
    const block = await this.port.latest();
    await this.refreshParams(this.now());
    const saved = this.config.state_file ? loadIndex(this.config.state_file, this.ids.chainId, this.ids.market) : { index: null, reason: "no state_file configured" };
    if (saved.index && saved.index.height + 1 >= block.earliestHeight) {
      this.followed = saved.index.height;
      for (const id of saved.index.automated) this.markNew(id);
      this.m.scanDone.set({}, 1);
      this.log.info("keeper started from its saved index", { state_file: this.config.state_file, automated: saved.index.automated.length, followed_from: this.followed + 1, latest: block.height, events: this.port.activity.kind });
    } else {
      const reason = saved.index ? `the node no longer has blocks after ${saved.index.height} (earliest ${block.earliestHeight})` : saved.reason;
      // everything up to this height is read by the scan itself; events are followed after it
      this.followed = block.height;
      this.scanAfter = 0;
      this.m.scanDone.set({}, 0);
      this.log.info("keeper started with a cold scan: every position once, then the market's transactions", { reason, from_height: block.height + 1, events: this.port.activity.kind, page_size: this.config.scan_page_size, pages_per_round: this.config.scan_pages_per_round });
    }
  }

  async stop(): Promise<void> {
    this.save();
    this.log.info("keeper stopped", { automated: this.tracked.size, followed_height: this.followed });
  }

  /** New or re-configured: looked up in the next round whatever its estimate. */
  private markNew(id: number): void {
    const t = this.tracked.get(id);
    if (t) t.dirty = true;
    else this.pendingLookups.add(id);
  }

  private async refreshParams(now: number): Promise<void> {
    const [config, assets] = await Promise.all([this.port.marketConfig(), this.port.assets()]);
    this.defaults = config.default_health;
    this.minDebtValue = Number(config.min_debt_value);
    this.assets = new Map(
      assets.map((a) => [a.denom, { decimals: a.params.decimals, collateralFactor: Number(a.params.collateral_factor), borrowFactor: Number(a.params.borrow_factor) }]),
    );
    this.paramsAt = now;
  }

  private save(): void {
    // an index saved mid-scan would miss the positions not scanned yet
    if (!this.config.state_file || this.scanAfter !== null) return;
    try {
      saveIndex(this.config.state_file, { format: 1, chain_id: this.ids.chainId, market: this.ids.market, height: this.followed, automated: [...this.tracked.keys(), ...this.pendingLookups].sort((a, b) => a - b) });
    } catch (e) {
      this.log.warn("cannot save the state file", { state_file: this.config.state_file, error: errorText(e) });
    }
  }

  /** Tracks (or drops) a position from a fresh answer; true when it is automated. */
  private record(p: MarketTypes.PositionResponse, now: number): Tracked | null {
    if (!p.automation) {
      if (this.tracked.delete(p.position_id)) this.log.info("automation removed: position dropped from the index", { position: p.position_id });
      return null;
    }
    const prev = this.tracked.get(p.position_id);
    const t: Tracked = {
      id: p.position_id,
      owner: p.owner,
      automation: p.automation,
      bounds: boundsOf(p.automation, this.defaults),
      snapshot: snapshotOf(p, this.assets),
      prices: new Map(this.lastPrices),
      checkedAt: now,
      dirty: false,
      outcome: prev?.outcome ?? null,
    };
    if (!prev) this.log.info("automated position indexed", { position: p.position_id, owner: p.owner, bounds: t.bounds, sink: p.automation.draw_down_sink?.address ?? null, source: p.automation.top_up_source ?? null });
    this.tracked.set(p.position_id, t);
    return t;
  }

  /** Whether its assets' prices moved since its snapshot. */
  private pricesMoved(t: Tracked): boolean {
    for (const b of [...t.snapshot.collateral, ...t.snapshot.debt]) {
      if (b.denom === this.ids.moetDenom) continue;
      if (t.prices.get(b.denom) !== this.lastPrices.get(b.denom)) return true;
    }
    return false;
  }

  async round(): Promise<RoundResult> {
    const now = this.now();
    const block = await this.port.latest();
    if (now - this.paramsAt >= this.config.refresh_seconds) await this.refreshParams(now);

    // 1. the market's transactions since the last round
    const from = this.followed + 1;
    const to = Math.min(block.height, this.followed + this.config.max_blocks_per_round);
    let touched = 0;
    if (to >= from) {
      const activity = await this.port.activity.read(from, to);
      this.followed = to;
      this.m.marketTxs.inc({}, activity.txs);
      for (const id of activity.automationChanged) this.markNew(id);
      for (const t of this.tracked.values()) {
        const source = t.automation.top_up_source;
        const allowanceChanged = source !== null && source !== undefined && activity.allowanceOwners.has(source);
        if ((activity.touched.has(t.id) || allowanceChanged) && !t.dirty) {
          t.dirty = true;
          touched += 1;
        }
      }
      if (to < block.height) this.log.info("catching up on the market's transactions", { followed_through: to, latest: block.height });
    }
    this.m.followedHeight.set({}, this.followed);

    // 2. prices, for the estimates
    const denoms = [...this.assets.keys()].filter((d) => d !== this.ids.moetDenom);
    this.lastPrices = await this.port.prices(denoms);

    const fresh: { p: MarketTypes.PositionResponse; why: string }[] = [];
    // 3. the cold-start scan, a bounded number of pages a round
    if (this.scanAfter !== null) {
      for (let i = 0; i < this.config.scan_pages_per_round && this.scanAfter !== null; i++) {
        const page = await this.port.positionsPage(this.scanAfter, this.config.scan_page_size);
        this.m.scanPages.inc();
        for (const p of page) if (p.automation) fresh.push({ p, why: "scan" });
        this.scanAfter = page.length < this.config.scan_page_size ? null : page[page.length - 1].position_id;
      }
      if (this.scanAfter === null) {
        this.m.scanDone.set({}, 1);
        this.log.info("cold-start scan done", { automated: this.tracked.size + fresh.length });
      } else {
        this.log.info("cold-start scan in progress", { scanned_through: this.scanAfter, automated_so_far: this.tracked.size + fresh.length });
      }
    }

    // 4. who deserves a fresh look
    const lookups: { id: number; why: string }[] = [];
    const scanned = new Set(fresh.map((f) => f.p.position_id));
    for (const id of this.pendingLookups) if (!scanned.has(id)) lookups.push({ id, why: "new" });
    this.pendingLookups.clear();
    for (const t of this.tracked.values()) {
      if (scanned.has(t.id)) continue;
      if (t.dirty) lookups.push({ id: t.id, why: "touched" });
      else if (now - t.checkedAt >= this.config.refresh_seconds) lookups.push({ id: t.id, why: "refresh" });
      else if (this.pricesMoved(t)) {
        const estimate = estimateHealth(t.snapshot, this.lastPrices, this.assets, this.ids.moetDenom);
        if (nearOrOutsideBand(estimate, t.bounds, Number(this.config.margin))) lookups.push({ id: t.id, why: "price" });
        else t.prices = new Map(this.lastPrices); // still well inside: the estimate holds from these prices on
      }
    }
    const answers = await mapLimit(lookups, 8, async (l) => ({ ...l, p: await this.port.position(l.id) }));
    for (const a of answers) {
      this.m.queries.inc({ why: a.why });
      if (a.p === null) {
        this.tracked.delete(a.id);
        continue;
      }
      fresh.push({ p: a.p, why: a.why });
    }

    // 5. decide and act
    let sent = 0;
    let failed = 0;
    const moet = this.assets.get(this.ids.moetDenom);
    for (const { p, why } of fresh) {
      const t = this.record(p, now);
      if (!t) continue;
      const decision = await decide(p, t.bounds, {
        moetDenom: this.ids.moetDenom,
        moetDecimals: moet?.decimals ?? 6,
        minDebtValue: this.minDebtValue,
        moetBorrowFactor: moet?.borrowFactor ?? 1,
        capacity: (source) => this.port.capacity(p.position_id, p.owner, source, block),
      });
      const hf = decision.hf === null ? "none" : decision.hf.toFixed(4);
      if (decision.action === "skip") {
        if (decision.reason !== "inside band") this.m.skipped.inc({ reason: decision.reason });
        const outcome = `skip: ${decision.reason}`;
        if (t.outcome !== outcome) {
          const fields = { position: p.position_id, why, reason: decision.reason, hf, bounds: t.bounds };
          if (decision.reason === "inside band") this.log.debug("inside its band", fields);
          else if (decision.reason === "price unavailable") this.log.warn("a price of the position is unavailable: a rebalance would fail, skipped", { ...fields, price_error: p.price_error ?? null });
          else this.log.info("outside its band but a rebalance would be a no-op: skipped", fields);
        }
        t.outcome = outcome;
        continue;
      }
      if (sent >= this.config.max_rebalances_per_round) {
        t.dirty = true; // next round
        continue;
      }
      const log = this.log.child({ position: p.position_id, direction: decision.action, hf, bounds: t.bounds });
      let gasLimit: number;
      try {
        gasLimit = await this.port.simulateRebalance(p.position_id);
      } catch (e) {
        if (!isContractError(e)) throw e;
        this.m.skipped.inc({ reason: "refused by the market" });
        const outcome = `refused: ${contractError(e)}`;
        if (t.outcome !== outcome) log.warn("rebalance would be refused by the market: skipped", { error: contractError(e) });
        t.outcome = outcome;
        continue;
      }
      try {
        const r = await this.port.rebalance(p.position_id, gasLimit);
        sent += 1;
        this.metrics.txsSent.inc();
        this.metrics.gasUsed.inc({}, r.gasUsed);
        this.metrics.feesPaid.inc({ denom: this.feeDenom }, Number(r.fee));
        t.dirty = true; // look at the result next round
        const did = r.attributes.rebalanced ?? "none";
        if (did === "none") {
          this.m.skipped.inc({ reason: "no-op on chain" });
          log.warn("rebalance was a no-op on chain", { tx: r.hash, height: r.height, reason: r.attributes.reason ?? null });
          t.outcome = `no-op: ${r.attributes.reason ?? ""}`;
        } else {
          this.m.rebalances.inc({ direction: did });
          log.info("rebalanced", { tx: r.hash, height: r.height, gas_used: r.gasUsed, rebalanced: did, ...r.attributes });
          t.outcome = `rebalanced: ${did}`;
        }
      } catch (e) {
        if (e instanceof TxFailedError || isContractError(e)) {
          failed += 1;
          this.metrics.txsFailed.inc();
          t.dirty = true;
          log.error("rebalance failed", { error: contractError(e) });
          continue;
        }
        throw e;
      }
    }
    this.m.automated.set({}, this.tracked.size);
    this.save();
    return { ok: failed === 0, fields: { automated: this.tracked.size, looked_at: fresh.length, touched, rebalanced: sent, failed, followed_height: this.followed } };
  }
}

export async function createKeeper(ctx: Context, config: KeeperConfig): Promise<Keeper> {
  const { chain } = ctx;
  if (!chain.address) throw new ConfigError("the keeper needs a signing key");
  const port = chainKeeperPort(chain, config, ctx.rpcTimeoutSeconds);
  if (config.events === "tx_search") {
    // a node without a transaction index answers tx_search with an error: say so at start
    try {
      const b = await port.latest();
      await port.activity.read(b.height, b.height);
    } catch (e) {
      if (/indexing is disabled|tx indexing/i.test(errorText(e))) {
        throw new ConfigError(`the node at ${chain.rpc} has no transaction index (${errorText(e)}): set keeper.events to block_results`);
      }
      throw e;
    }
  }
  return new Keeper(port, config, { chainId: chain.chainId, market: chain.deployment.contracts.market, moetDenom: chain.deployment.moet_denom }, ctx.log, ctx.registry, ctx.metrics, ctx.now, chain.feeDenom);
}
