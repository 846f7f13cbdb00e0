/**
 * The price feeder: reads its source every round and pushes one batched `push_prices` with every
 * fed denom when one of these holds:
 *
 * - it has not pushed yet (the first round always pushes);
 * - `heartbeat_seconds` have passed since its last push (keeps every price fresh: the heartbeat is
 *   at most a third of the oracle's `max_age`, checked at start);
 * - a denom's source price moved more than `threshold` from the price last pushed for it;
 * - a denom's price on chain is older than half its `max_age` (its last push was lost, or the
 *   chain was restarted), unless this feeder's own move of it is pending;
 * - a move it pushed is held as pending by the deviation guard and `self_confirm_delay_seconds`
 *   have passed since (the oracle confirms a feeder's own pending price 60 s after it first pushed
 *   it; another feeder pushing the same move confirms it earlier, and this feeder then simply sees
 *   its price accepted).
 *
 * Every source value is checked first: zero, negative, non-finite or out-of-range prices are never
 * pushed (that denom is left out of the batch and counted). The oracle's `oracle_price` events say
 * what became of each price (accepted, confirmed, pending, awaiting_confirmation).
 */
import { type Deployment, KeelOracleMsgComposer, type OracleTypes } from "@keel/client";

import { type Chain, type ChainEvent, contractError, isContractError, latestBlock, sendTx, type SentTx, withTimeout } from "../chain";
import { ConfigError, type FeederConfig } from "../config";
import { type Price, toPrice } from "../decimal";
import { errorText, type Logger } from "../log";
import type { Counter, Gauge, Registry } from "../metrics";
import type { Context, RoundResult, Service, ServiceMetrics } from "../runner";
import { FileSource, HttpSource, type PriceSource, RandomWalkSource, ScriptedSource, type Shock, SourceError } from "./sources";

/** What the oracle answers for a fed denom (null when it has no valid price). */
export interface ObservedPrice {
  price: number;
  updatedAt: number;
  pending: boolean;
}

/** The status the oracle gives each pushed price (its `oracle_price` event). */
export type PushStatus = "accepted" | "confirmed" | "pending" | "awaiting_confirmation";

export interface PushOutcome {
  tx: Pick<SentTx, "hash" | "height" | "gasUsed" | "fee">;
  statuses: Map<string, { status: PushStatus; price: string }>;
}

/** The feeder's view of the chain (the real one in `chainFeederPort`, a model in the unit tests). */
export interface FeederPort {
  observe(denoms: readonly string[]): Promise<{ blockTime: number; prices: Map<string, ObservedPrice | null> }>;
  push(prices: readonly { denom: string; price: string }[]): Promise<PushOutcome>;
}

/** The statuses of a `push_prices` transaction's `oracle_price` events. */
export function pushStatuses(events: readonly ChainEvent[], oracle: string): Map<string, { status: PushStatus; price: string }> {
  const out = new Map<string, { status: PushStatus; price: string }>();
  for (const e of events) {
    if (e.type !== "wasm-oracle_price") continue;
    const attr = (k: string): string | undefined => e.attributes.find((a) => a.key === k)?.value;
    if (attr("_contract_address") !== oracle) continue;
    const denom = attr("denom");
    const status = attr("status");
    const price = attr("price");
    if (denom && price && (status === "accepted" || status === "confirmed" || status === "pending" || status === "awaiting_confirmation")) {
      out.set(denom, { status, price });
    }
  }
  return out;
}

export function chainFeederPort(chain: Chain, timeoutSeconds: number): FeederPort {
  const oracle = chain.deployment.contracts.oracle;
  return {
    async observe(denoms) {
      const [block, answers] = await Promise.all([
        latestBlock(chain, timeoutSeconds),
        Promise.all(
          denoms.map(async (denom) => {
            try {
              const p = await withTimeout(chain.oracle.price({ denom }), timeoutSeconds, `oracle price of ${denom}`);
              return [denom, { price: Number(p.price), updatedAt: p.updated_at, pending: p.pending ?? false }] as const;
            } catch (e) {
              // a stale or missing price is an answer (age unknown), not an RPC failure
              if (isContractError(e)) return [denom, null] as const;
              throw e;
            }
          }),
        ),
      ]);
      return { blockTime: block.time, prices: new Map(answers) };
    },
    async push(prices) {
      if (!chain.address) throw new Error("the feeder has no signing key");
      const msg = new KeelOracleMsgComposer(chain.address, oracle).pushPrices({ prices: [...prices] });
      const tx = await sendTx(chain, [msg]);
      return { tx, statuses: pushStatuses(tx.events, oracle) };
    },
  };
}

interface DenomState {
  denom: string;
  symbol: string;
  maxAge: number;
  /** The last price this feeder pushed for the denom (accepted or not) and when. */
  lastPushed: { value: number; at: number } | null;
  /** A move of this feeder held as pending by the guard: since its first push (this feeder's clock). */
  pending: { since: number; value: number } | null;
}

interface FeederMetrics {
  pushes: Counter;
  pricesPushed: Counter;
  confirmations: Counter;
  invalidPrices: Counter;
  sourceErrors: Counter;
  priceAge: Gauge;
  maxAge: Gauge;
  pending: Gauge;
  sourcePrice: Gauge;
  lastPush: Gauge;
}

function feederMetrics(registry: Registry): FeederMetrics {
  return {
    pushes: registry.counter("keel_feeder_pushes_total", "push_prices transactions sent (one batch per push)."),
    pricesPushed: registry.counter("keel_feeder_prices_pushed_total", "Prices pushed, by denom and the oracle's status for them.", ["denom", "status"]),
    confirmations: registry.counter("keel_feeder_confirmations_total", "Pending moves confirmed by this feeder's push: `self` (its own, 60 s on), `peer` (another feeder's).", ["denom", "by"]),
    invalidPrices: registry.counter("keel_feeder_invalid_prices_total", "Source values never pushed (zero, negative, non-finite, out of range, missing).", ["denom"]),
    sourceErrors: registry.counter("keel_feeder_source_errors_total", "Rounds whose source could not be read (nothing pushed)."),
    priceAge: registry.gauge("keel_feeder_price_age_seconds", "Age of each fed denom's price on chain (block time - updated_at); +Inf when it has no valid price.", ["denom"]),
    maxAge: registry.gauge("keel_feeder_max_age_seconds", "The oracle's max_age of each fed denom.", ["denom"]),
    pending: registry.gauge("keel_feeder_pending", "1 while a move this feeder pushed awaits confirmation.", ["denom"]),
    sourcePrice: registry.gauge("keel_feeder_source_price", "The source's last valid price of each denom (MOET per whole token).", ["denom"]),
    lastPush: registry.gauge("keel_feeder_last_push_timestamp_seconds", "Unix time of the last successful push."),
  };
}

/** Why this round pushes (empty: it does not). */
export function pushReasons(opts: {
  states: readonly DenomState[];
  now: number;
  lastPushAt: number | null;
  heartbeatSeconds: number;
  threshold: number;
  selfConfirmDelaySeconds: number;
  source: ReadonlyMap<string, Price>;
  observed: { blockTime: number; prices: ReadonlyMap<string, ObservedPrice | null> };
}): string[] {
  const reasons: string[] = [];
  if (opts.lastPushAt === null) return ["first round"];
  if (opts.now - opts.lastPushAt >= opts.heartbeatSeconds) reasons.push("heartbeat");
  for (const s of opts.states) {
    const p = opts.source.get(s.denom);
    // a pending move is measured from the pending price, not from the old accepted one: the
    // source sitting at the new level must not trigger a push every round until it is confirmed
    const reference = s.pending?.value ?? s.lastPushed?.value;
    if (p && reference !== undefined && Math.abs(p.value - reference) / reference > opts.threshold) {
      reasons.push(`${s.symbol} moved ${(((p.value - reference) / reference) * 100).toFixed(2)}%`);
    }
    const o = opts.observed.prices.get(s.denom);
    const age = o ? opts.observed.blockTime - o.updatedAt : Infinity;
    // (not while this feeder's own move of it is pending: more pushes would only await the same
    // confirmation, which comes with the self-confirmation below)
    if (age > s.maxAge / 2 && !s.pending) reasons.push(`${s.symbol} on chain is ${Number.isFinite(age) ? `${age} s old` : "unavailable"}`);
    if (s.pending && opts.now - s.pending.since >= opts.selfConfirmDelaySeconds) reasons.push(`${s.symbol} self-confirmation due`);
  }
  return reasons;
}

export class Feeder implements Service {
  private lastPushAt: number | null = null;
  private readonly startedAt: number;
  private readonly m: FeederMetrics;

  constructor(
    private readonly port: FeederPort,
    private readonly source: PriceSource,
    private readonly states: DenomState[],
    private readonly config: Pick<FeederConfig, "heartbeat_seconds" | "threshold" | "self_confirm_delay_seconds">,
    private readonly log: Logger,
    registry: Registry,
    private readonly metrics: ServiceMetrics,
    private readonly now: () => number,
    private readonly feeDenom: string,
  ) {
    this.startedAt = now();
    this.m = feederMetrics(registry);
    for (const s of states) {
      this.m.maxAge.set({ denom: s.denom }, s.maxAge);
      this.m.pending.set({ denom: s.denom }, 0);
    }
  }

  async start(): Promise<void> {
    this.log.info("feeder started", {
      source: this.source.description,
      denoms: this.states.map((s) => `${s.symbol} ${s.denom} (max_age ${s.maxAge} s)`),
      heartbeat_seconds: this.config.heartbeat_seconds,
      threshold: this.config.threshold,
    });
  }

  async stop(): Promise<void> {
    this.log.info("feeder stopped", { last_push_at: this.lastPushAt });
  }

  /** Source values checked; invalid ones logged, counted and left out. */
  private async readSource(now: number): Promise<Map<string, Price> | null> {
    let raw: Map<string, unknown>;
    try {
      raw = await this.source.read(now - this.startedAt, now);
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      this.m.sourceErrors.inc();
      this.log.warn("source unreadable: nothing pushed this round", { source: this.source.description, error: e.message });
      return null;
    }
    const valid = new Map<string, Price>();
    for (const s of this.states) {
      if (!raw.has(s.denom)) {
        this.m.invalidPrices.inc({ denom: s.denom });
        this.log.warn("source has no price for a fed denom: left out of the push", { denom: s.denom, symbol: s.symbol });
        continue;
      }
      try {
        const p = toPrice(raw.get(s.denom));
        valid.set(s.denom, p);
        this.m.sourcePrice.set({ denom: s.denom }, p.value);
      } catch (e) {
        this.m.invalidPrices.inc({ denom: s.denom });
        this.log.warn("invalid source price: left out of the push", { denom: s.denom, symbol: s.symbol, error: errorText(e) });
      }
    }
    return valid;
  }

  async round(): Promise<RoundResult> {
    const now = this.now();
    const observed = await this.port.observe(this.states.map((s) => s.denom));
    for (const s of this.states) {
      const o = observed.prices.get(s.denom);
      this.m.priceAge.set({ denom: s.denom }, o ? observed.blockTime - o.updatedAt : Infinity);
    }
    const source = await this.readSource(now);
    if (source === null) return { ok: false, fields: { pushed: false, reason: "source unreadable" } };
    if (source.size === 0) return { ok: false, fields: { pushed: false, reason: "no valid source price" } };

    const reasons = pushReasons({
      states: this.states,
      now,
      lastPushAt: this.lastPushAt,
      heartbeatSeconds: this.config.heartbeat_seconds,
      threshold: Number(this.config.threshold),
      selfConfirmDelaySeconds: this.config.self_confirm_delay_seconds,
      source,
      observed,
    });
    if (reasons.length === 0) {
      this.log.debug("nothing to push", { ages: this.ages(observed) });
      return { ok: true, fields: { pushed: false } };
    }

    const batch = this.states.filter((s) => source.has(s.denom)).map((s) => ({ denom: s.denom, price: (source.get(s.denom) as Price).text }));
    let outcome: PushOutcome;
    try {
      outcome = await this.port.push(batch);
    } catch (e) {
      if (!isContractError(e)) throw e; // the RPC: the round fails and is retried after a backoff
      this.metrics.txsFailed.inc();
      this.log.error("push_prices refused by the oracle", { error: contractError(e), prices: Object.fromEntries(batch.map((b) => [b.denom, b.price])) });
      return { ok: false, fields: { pushed: false, reason: contractError(e) } };
    }
    this.lastPushAt = now;
    this.m.pushes.inc();
    this.m.lastPush.set({}, now);
    this.metrics.txsSent.inc();
    this.metrics.gasUsed.inc({}, outcome.tx.gasUsed);
    const statuses: Record<string, string> = {};
    for (const s of this.states) {
      const pushed = source.get(s.denom);
      if (!pushed || !batch.some((b) => b.denom === s.denom)) continue;
      const result = outcome.statuses.get(s.denom);
      const status = result?.status ?? "accepted";
      statuses[s.symbol] = `${pushed.text} ${status}`;
      this.m.pricesPushed.inc({ denom: s.denom, status });
      if (status === "confirmed") {
        const self = s.pending !== null && now - s.pending.since >= 60;
        this.m.confirmations.inc({ denom: s.denom, by: self ? "self" : "peer" });
        this.log.info(self ? "own pending move confirmed" : "another feeder's pending move confirmed", { denom: s.denom, symbol: s.symbol, price: pushed.text, pending_since: s.pending?.since ?? null });
      }
      if (status === "accepted" || status === "confirmed") {
        s.pending = null;
      } else if (status === "pending" || s.pending === null) {
        // `pending`: beyond the guard, its clock starts now; `awaiting_confirmation` keeps the
        // clock of the pending price it is within range of (known unless this process restarted)
        s.pending = { since: now, value: pushed.value };
        this.log.warn("move held as pending by the deviation guard: awaiting confirmation", {
          denom: s.denom,
          symbol: s.symbol,
          price: pushed.text,
          on_chain: observed.prices.get(s.denom)?.price ?? null,
          self_confirm_at: now + this.config.self_confirm_delay_seconds,
        });
      } else {
        s.pending.value = pushed.value;
      }
      s.lastPushed = { value: pushed.value, at: now };
      this.m.pending.set({ denom: s.denom }, s.pending ? 1 : 0);
    }
    this.metrics.feesPaid.inc({ denom: this.feeDenom }, Number(outcome.tx.fee));
    this.log.info("pushed prices", { reasons, height: outcome.tx.height, tx: outcome.tx.hash, gas_used: outcome.tx.gasUsed, prices: statuses, ages_before: this.ages(observed) });
    return { ok: true, fields: { pushed: true, height: outcome.tx.height, prices: statuses } };
  }

  private ages(observed: { blockTime: number; prices: ReadonlyMap<string, ObservedPrice | null> }): Record<string, number | null> {
    return Object.fromEntries(this.states.map((s) => {
      const o = observed.prices.get(s.denom);
      return [s.symbol, o ? observed.blockTime - o.updatedAt : null];
    }));
  }
}

/** The denom of a denom or an asset's symbol in the deployment; throws naming the assets. */
export function denomResolver(deployment: Deployment): (key: string) => string {
  return (key: string) => {
    const found = deployment.assets.find((a) => a.denom === key || a.symbol === key);
    if (!found) throw new Error(`unknown denom or symbol "${key}" (assets: ${deployment.assets.map((a) => `${a.symbol} ${a.denom}`).join(", ")})`);
    return found.denom;
  };
}

/** Every source of the oracle (all pages), with the denom's overrides. */
async function allPriceSources(chain: Chain, timeoutSeconds: number): Promise<Map<string, { maxAge: number | null; maxDeviation: number | null; feed: boolean }>> {
  const out = new Map<string, { maxAge: number | null; maxDeviation: number | null; feed: boolean }>();
  let startAfter: string | undefined;
  for (;;) {
    const page: OracleTypes.PriceSourcesResponse[] = await withTimeout(chain.oracle.priceSources({ startAfter, limit: 100 }), timeoutSeconds, "oracle price_sources");
    for (const p of page) {
      out.set(p.denom, { maxAge: p.max_age ?? null, maxDeviation: p.max_deviation ? Number(p.max_deviation) : null, feed: p.sources.some((s) => "feed" in s) });
    }
    if (page.length < 100) return out;
    startAfter = page[page.length - 1].denom;
  }
}

/** Builds the feeder from its config: the denoms and their max_age from the oracle, the source, the checks. */
export async function createFeeder(ctx: Context, config: FeederConfig): Promise<Feeder> {
  const { chain, log, rpcTimeoutSeconds: timeout } = ctx;
  const deployment = chain.deployment;
  const resolve = denomResolver(deployment);
  if (!chain.address) throw new ConfigError("the feeder needs a signing key");

  const feeders = await withTimeout(chain.oracle.feeders(), timeout, "oracle feeders");
  if (!feeders.includes(chain.address)) {
    throw new ConfigError(`${chain.address} is not a feeder of the oracle ${deployment.contracts.oracle} (feeders: ${feeders.join(", ") || "none"}): its pushes would be refused`);
  }
  const oracleConfig = await withTimeout(chain.oracle.config(), timeout, "oracle config");
  const sources = await allPriceSources(chain, timeout);

  let denoms: string[];
  if (config.denoms) {
    denoms = config.denoms.map((key) => {
      try {
        return resolve(key);
      } catch (e) {
        throw new ConfigError(`feeder.denoms: ${(e as Error).message}`);
      }
    });
    for (const d of denoms) {
      if (!sources.get(d)?.feed) throw new ConfigError(`feeder.denoms: the oracle has no feed source for ${d}: its pushes would be refused or never used`);
    }
  } else {
    denoms = deployment.assets.filter((a) => sources.get(a.denom)?.feed).map((a) => a.denom);
  }
  if (denoms.length === 0) throw new ConfigError("no denom to feed: the oracle lists no denom with a feed source");

  const states: DenomState[] = denoms.map((denom) => ({
    denom,
    symbol: deployment.assets.find((a) => a.denom === denom)?.symbol ?? denom,
    maxAge: sources.get(denom)?.maxAge ?? oracleConfig.max_age,
    lastPushed: null,
    pending: null,
  }));
  const tightest = Math.min(...states.map((s) => s.maxAge));
  if (config.heartbeat_seconds > tightest / 3) {
    throw new ConfigError(`feeder.heartbeat_seconds ${config.heartbeat_seconds} is more than a third of the oracle's max_age ${tightest} s: prices could go stale between pushes (set it to at most ${Math.floor(tightest / 3)})`);
  }

  if (config.source === "random_walk") {
    // a push moves at most one step past the threshold from the previous push (the threshold
    // triggers the push): keep that inside the guard, or the simulated market would need
    // confirmations (only `shocks` go beyond it on purpose)
    const guard = Math.min(...denoms.map((d) => sources.get(d)?.maxDeviation ?? Number(oracleConfig.max_deviation)));
    if (Number(config.max_step) + Number(config.threshold) >= guard) {
      throw new ConfigError(`feeder.max_step ${config.max_step} + feeder.threshold ${config.threshold} reach the oracle's max_deviation ${guard}: the random walk would trip the deviation guard`);
    }
  }

  const port = chainFeederPort(chain, timeout);
  const source = await buildSource(config, resolve, denoms, port);
  return new Feeder(port, source, states, config, log, ctx.registry, ctx.metrics, ctx.now, chain.feeDenom);
}

async function buildSource(config: FeederConfig, resolve: (key: string) => string, denoms: string[], port: FeederPort): Promise<PriceSource> {
  const need = (key: "source_path" | "source_url"): string => {
    const v = config[key];
    if (v === null) throw new ConfigError(`feeder.${key} is required by source ${config.source}`);
    return v;
  };
  switch (config.source) {
    case "file":
      return new FileSource(need("source_path"), config.source_max_age_seconds, resolve);
    case "http":
      return new HttpSource(need("source_url"), config.source_timeout_seconds, config.source_max_age_seconds, resolve);
    case "scripted":
      try {
        return new ScriptedSource(need("source_path"), resolve);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError((e as Error).message);
      }
    case "random_walk": {
      // the walk starts where the market is (the oracle's fresh prices) and reverts to its
      // anchors: the configured ones, else those same prices
      const observed = await port.observe(denoms);
      const start = new Map<string, number>();
      for (const d of denoms) {
        const o = observed.prices.get(d);
        if (o) start.set(d, o.price);
      }
      const anchors = new Map<string, number>();
      if (config.anchor_prices) {
        if (typeof config.anchor_prices !== "object" || Array.isArray(config.anchor_prices)) throw new ConfigError("feeder.anchor_prices must be an object {denom or symbol: price}");
        for (const [key, raw] of Object.entries(config.anchor_prices)) {
          try {
            anchors.set(resolve(key), toPrice(raw).value);
          } catch (e) {
            throw new ConfigError(`feeder.anchor_prices.${key}: ${(e as Error).message}`);
          }
        }
      }
      for (const [d, p] of start) if (!anchors.has(d)) anchors.set(d, p);
      const missing = denoms.filter((d) => !anchors.has(d));
      if (missing.length) throw new ConfigError(`random_walk: no anchor price for ${missing.join(", ")} (the oracle has no valid price for it): set feeder.anchor_prices`);
      const shocks: Shock[] = [];
      if (!Array.isArray(config.shocks)) throw new ConfigError("feeder.shocks must be a list of {at_seconds, denom, move}");
      config.shocks.forEach((s, i) => {
        const at = Number(s?.at_seconds);
        const move = Number(s?.move);
        if (!Number.isFinite(at) || at < 0 || !Number.isFinite(move) || !(move > -1)) throw new ConfigError(`feeder.shocks[${i}]: expected {at_seconds >= 0, denom, move > -1}, got ${JSON.stringify(s)}`);
        try {
          shocks.push({ atSeconds: at, denom: resolve(String(s.denom)), move });
        } catch (e) {
          throw new ConfigError(`feeder.shocks[${i}]: ${(e as Error).message}`);
        }
      });
      try {
        return new RandomWalkSource({
          seed: config.seed,
          volatility: Number(config.volatility),
          maxStep: Number(config.max_step),
          meanReversion: Number(config.mean_reversion),
          anchors,
          start,
          shocks,
        });
      } catch (e) {
        throw new ConfigError(`random_walk: ${(e as Error).message}`);
      }
    }
  }
}

