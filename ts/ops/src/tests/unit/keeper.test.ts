/** The keeper's decisions and its discovery, against a model market: what it queries, what it sends. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import type { MarketTypes } from "@keel/client";

import { type AssetFactors, decide, estimateHealth, nearOrOutsideBand, snapshotOf, type TopUpCapacity } from "../../keeper/decide";
import { addActivity, emptyActivity, type MarketActivity } from "../../keeper/discovery";
import { Keeper, type KeeperPort, usableAllowance } from "../../keeper/keeper";
import type { KeeperConfig } from "../../config";
import { Logger } from "../../log";
import { Registry } from "../../metrics";
import { serviceMetrics } from "../../runner";

const MOET = "cw20:moet";
const FLOW = "uflow";
const USDC = "uusdc";
const ASSETS = new Map<string, AssetFactors>([
  [MOET, { decimals: 6, collateralFactor: 0, borrowFactor: 1 }],
  [FLOW, { decimals: 6, collateralFactor: 0.75, borrowFactor: 1 }],
  [USDC, { decimals: 6, collateralFactor: 0.85, borrowFactor: 1 }],
]);
const BAND = { min: "1.25", target: "1.3", max: "1.35" };

const dir = mkdtempSync(path.join(tmpdir(), "keel-ops-keeper-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A position of `coll` (whole tokens of one denom) against `moet` whole MOET, valued at `prices`. */
function makePosition(id: number, coll: { denom: string; amount: number }, moet: number, automation: MarketTypes.Automation | null, prices: Map<string, number>): MarketTypes.PositionResponse {
  const a = ASSETS.get(coll.denom) as AssetFactors;
  const c = coll.amount * (prices.get(coll.denom) ?? 0) * a.collateralFactor;
  const hf = moet > 0 ? c / moet : null;
  return {
    position_id: id,
    owner: `owner${id}`,
    collateral: [{ denom: coll.denom, amount: String(Math.round(coll.amount * 1e6)), value: null }],
    debt: moet > 0 ? [{ denom: MOET, amount: String(Math.round(moet * 1e6)), value: null }] : [],
    health: { effective_collateral: String(c), liquidation_limit: String(c), effective_debt: String(moet), health_factor: hf === null ? null : String(hf), liquidation_health_factor: hf === null ? null : String(hf * 1.1), borrow_limit_used: null, band: "healthy" },
    automation,
    price_error: null,
  };
}
function automation(a: Partial<MarketTypes.Automation> = {}): MarketTypes.Automation {
  return { draw_down_sink: { address: "sink", msg: null }, top_up_source: "source", health: BAND, self_repay: false, ...a };
}

describe("keeper decisions", () => {
  const prices = new Map([[FLOW, 2]]);
  const ctx = (cap: Partial<TopUpCapacity> = {}) => ({
    moetDenom: MOET,
    moetDecimals: 6,
    minDebtValue: 1,
    moetBorrowFactor: 1,
    capacity: async (): Promise<TopUpCapacity> => ({ consent: 1000n, allowance: 1000n, balance: 1000n, ...cap }),
  });
  const bounds = { min: 1.25, target: 1.3, max: 1.35 };
  const at = (moet: number, a: MarketTypes.Automation) => makePosition(1, { denom: FLOW, amount: 1000 }, moet, a, prices); // C = 1500

  it("acts only where rebalance would do something", async () => {
    const cases: [MarketTypes.PositionResponse, ReturnType<typeof ctx>, string][] = [
      [at(1153.8, automation()), ctx(), "skip: inside band"], // HF 1.300
      [at(1000, automation()), ctx(), "draw_down"], // HF 1.5
      [at(1000, automation({ draw_down_sink: null })), ctx(), "skip: no draw-down sink"],
      [at(0, automation()), ctx(), "draw_down"], // no debt: HF infinite, borrows to the target
      [at(0, automation({ draw_down_sink: null })), ctx(), "skip: no draw-down sink"],
      [makePosition(1, { denom: FLOW, amount: 0.5 }, 0, automation(), prices), ctx(), "skip: nothing to borrow"], // C/target = 0.58 MOET < min_debt_value
      [at(1300, automation()), ctx(), "top_up"], // HF 1.154
      [at(1300, automation({ top_up_source: null })), ctx(), "skip: no top-up source"],
      [at(1300, automation()), ctx({ consent: 0n }), "skip: no consent"],
      [at(1300, automation()), ctx({ allowance: 0n }), "skip: no allowance"],
      [at(1300, automation()), ctx({ balance: 0n }), "skip: source has no MOET"],
      [at(1300, automation()), ctx({ consent: null }), "top_up"], // the owner needs no consent
      [{ ...at(1300, automation()), health: null, price_error: FLOW }, ctx(), "skip: price unavailable"],
    ];
    for (const [p, c, expected] of cases) {
      const d = await decide(p, bounds, c);
      assert.equal(d.action === "skip" ? `skip: ${d.reason}` : d.action, expected, `${p.debt[0]?.amount ?? 0} debt, ${JSON.stringify(p.automation)}`);
    }
    const topUp = await decide(at(1300, automation()), bounds, ctx({ consent: 300n, allowance: 200n, balance: 900n }));
    assert.ok(topUp.action === "top_up" && topUp.available === 200n, "what the source can give: the least of consent, allowance, balance");
    const noMoet = makePosition(1, { denom: FLOW, amount: 1000 }, 0, automation(), prices);
    noMoet.debt = [{ denom: USDC, amount: "1300000000", value: null }];
    noMoet.health = { ...(noMoet.health as MarketTypes.HealthResponse), health_factor: "1.15" };
    assert.deepEqual(await decide(noMoet, bounds, ctx()).then((d) => d.action === "skip" && d.reason), "no MOET debt");
  });

  it("estimates health from a snapshot and today's prices", () => {
    const p = makePosition(1, { denom: FLOW, amount: 1000 }, 1153.846, automation(), prices);
    const s = snapshotOf(p, ASSETS);
    assert.ok(Math.abs((estimateHealth(s, new Map([[FLOW, 2]]), ASSETS, MOET) as number) - 1.3) < 1e-6);
    assert.ok(Math.abs((estimateHealth(s, new Map([[FLOW, 2.18]]), ASSETS, MOET) as number) - 1.417) < 1e-3);
    assert.equal(estimateHealth(s, new Map(), ASSETS, MOET), null, "no price: only a query can tell");
    assert.equal(estimateHealth({ collateral: s.collateral, debt: [] }, prices, ASSETS, MOET), Infinity);
    const b = { min: 1.25, target: 1.3, max: 1.35 };
    assert.equal(nearOrOutsideBand(1.3, b, 0.01), false);
    assert.equal(nearOrOutsideBand(1.26, b, 0.01), true, "within 1% of min");
    assert.equal(nearOrOutsideBand(1.34, b, 0.01), true, "within 1% of max");
    assert.equal(nearOrOutsideBand(Infinity, b, 0.01), true);
    assert.equal(nearOrOutsideBand(null, b, 0.01), true);
  });

  it("treats an expired allowance as none", () => {
    assert.equal(usableAllowance({ allowance: "5", expires: { never: {} } }, { height: 10, time: 100 }), 5n);
    assert.equal(usableAllowance({ allowance: "5", expires: { at_height: 10 } }, { height: 10, time: 100 }), 0n);
    assert.equal(usableAllowance({ allowance: "5", expires: { at_time: "100000000000" } }, { height: 10, time: 99 }), 5n);
    assert.equal(usableAllowance({ allowance: "5", expires: { at_time: "100000000000" } }, { height: 10, time: 100 }), 0n);
  });

  it("reads positions and allowance owners out of transactions' events", () => {
    const a = emptyActivity();
    const wasm = (contract: string, attrs: [string, string][]) => ({ type: "wasm", attributes: [["_contract_address", contract], ...attrs].map(([key, value]) => ({ key, value })) });
    addActivity([wasm("market", [["action", "open_position"], ["position_id", "7"]])], { market: "market", moet: "moet" }, a);
    addActivity([wasm("market", [["action", "deposit"], ["position_id", "3"]]), { type: "wasm-deposit", attributes: [{ key: "_contract_address", value: "market" }, { key: "position_id", value: "3" }] }], { market: "market", moet: "moet" }, a);
    addActivity([wasm("other", [["action", "deposit"], ["position_id", "4"]])], { market: "market", moet: "moet" }, a);
    addActivity([wasm("moet", [["action", "increase_allowance"], ["owner", "alice"], ["spender", "market"]])], { market: "market", moet: "moet" }, a);
    addActivity([wasm("moet", [["action", "increase_allowance"], ["owner", "bob"], ["spender", "dex"]])], { market: "market", moet: "moet" }, a);
    assert.deepEqual([...a.touched].sort(), [3, 7]);
    assert.deepEqual([...a.automationChanged], [7]);
    assert.deepEqual([...a.allowanceOwners], ["alice"]);
    assert.equal(a.txs, 2);
  });
});

/** A model market for the Keeper: positions of FLOW or USDC collateral against MOET. */
class ModelMarket implements KeeperPort {
  height = 100;
  price = new Map([[FLOW, 2], [USDC, 1]]);
  holdings = new Map<number, { coll: { denom: string; amount: number }; moet: number; automation: MarketTypes.Automation | null }>();
  queried: number[] = [];
  pagesRead = 0;
  nextActivity: MarketActivity = emptyActivity();
  simulated: number[] = [];
  sent: number[] = [];
  refuse = new Set<number>();
  activity = {
    kind: "tx_search" as const,
    read: async (): Promise<MarketActivity> => {
      const a = this.nextActivity;
      this.nextActivity = emptyActivity();
      return a;
    },
  };
  position_(id: number): MarketTypes.PositionResponse {
    const h = this.holdings.get(id);
    if (!h) throw new Error(`no position ${id}`);
    return makePosition(id, h.coll, h.moet, h.automation, this.price);
  }
  async latest() {
    return { height: this.height, time: 1_000_000, earliestHeight: 1 };
  }
  async marketConfig() {
    return { default_health: BAND, min_debt_value: "1" } as MarketTypes.ConfigResponse;
  }
  async assets() {
    return [...ASSETS].map(([denom, a]) => ({ denom, params: { decimals: a.decimals, collateral_factor: String(a.collateralFactor), borrow_factor: String(a.borrowFactor) } }) as MarketTypes.AssetResponse);
  }
  async positionsPage(startAfter: number | null, limit: number) {
    this.pagesRead += 1;
    return [...this.holdings.keys()].sort((a, b) => a - b).filter((id) => id > (startAfter ?? 0)).slice(0, limit).map((id) => this.position_(id));
  }
  async position(id: number) {
    this.queried.push(id);
    return this.holdings.has(id) ? this.position_(id) : null;
  }
  async prices(denoms: readonly string[]) {
    return new Map(denoms.filter((d) => this.price.has(d)).map((d) => [d, this.price.get(d) as number]));
  }
  async capacity(): Promise<TopUpCapacity> {
    return { consent: 10_000n, allowance: 10_000n, balance: 10_000n };
  }
  async simulateRebalance(id: number) {
    this.simulated.push(id);
    if (this.refuse.has(id)) throw new Error("failed to execute message; message index: 0: top-up source cannot give enough to save position: execute wasm contract failed");
    return 400_000;
  }
  async rebalance(id: number) {
    this.sent.push(id);
    const h = this.holdings.get(id);
    if (!h) throw new Error("gone");
    const c = h.coll.amount * (this.price.get(h.coll.denom) as number) * (ASSETS.get(h.coll.denom) as AssetFactors).collateralFactor;
    const direction = h.moet === 0 || c / h.moet > 1.35 ? "draw_down" : "top_up";
    h.moet = c / 1.3;
    return { hash: "TX", height: this.height, gasUsed: 300_000, fee: 7500n, attributes: { rebalanced: direction } };
  }
}

function keeperConfig(over: Partial<KeeperConfig> = {}): KeeperConfig {
  return {
    account: null, mnemonic_file: null, metrics_port: null, metrics_host: "127.0.0.1", poll_seconds: 1, gas_multiplier: 1.4,
    events: "tx_search", state_file: null, refresh_seconds: 300, margin: "0.01", scan_page_size: 100, scan_pages_per_round: 2, max_blocks_per_round: 10000, max_rebalances_per_round: 20,
    ...over,
  };
}

function keeperOn(market: ModelMarket, config: KeeperConfig, clock: { now: number }) {
  const registry = new Registry();
  const lines: Record<string, unknown>[] = [];
  const keeper = new Keeper(market, config, { chainId: "test-1", market: "market", moetDenom: MOET }, new Logger("keeper", "debug", { write: (l: string) => lines.push(JSON.parse(l)) }), registry, serviceMetrics(registry, "keeper"), () => clock.now, "ustake");
  return { keeper, registry, lines };
}

describe("keeper discovery", () => {
  /** 250 positions: every 10th automated (ids 10, 20... 250), half on FLOW and half on USDC, all at HF 1.3. */
  function populated(): ModelMarket {
    const m = new ModelMarket();
    for (let id = 1; id <= 250; id++) {
      const flow = id % 20 !== 0;
      const coll = flow ? { denom: FLOW, amount: 1000 } : { denom: USDC, amount: 2000 };
      const c = coll.amount * (flow ? 2 * 0.75 : 0.85);
      m.holdings.set(id, { coll, moet: c / 1.3, automation: id % 10 === 0 ? automation() : null });
    }
    return m;
  }

  it("scans every position once, a bounded number of pages a round, then queries nothing while nothing moves", async () => {
    const m = populated();
    const clock = { now: 1000 };
    const { keeper, registry } = keeperOn(m, keeperConfig(), clock);
    await keeper.start();
    await keeper.round();
    assert.equal(m.pagesRead, 2, "2 pages in the first round");
    await keeper.round();
    assert.equal(m.pagesRead, 3, "the third and last page in the second");
    assert.match(registry.render(), /keel_keeper_automated_positions 25\n/);
    assert.match(registry.render(), /keel_keeper_scan_done 1\n/);
    m.queried = [];
    for (let i = 0; i < 5; i++) {
      clock.now += 1;
      m.height += 5;
      await keeper.round();
    }
    assert.deepEqual(m.queried, [], "no position query without a touch, a price move or a refresh");
    assert.equal(m.pagesRead, 3, "never scanned again");
    assert.deepEqual(m.sent, []);
  });

  it("queries only what moved: touched positions, new automations, and positions whose prices brought them near their band", async () => {
    const m = populated();
    const clock = { now: 1000 };
    const { keeper } = keeperOn(m, keeperConfig({ scan_pages_per_round: 10 }), clock);
    await keeper.start();
    await keeper.round();

    // a small FLOW move keeps every estimate well inside the band: nothing queried
    m.queried = [];
    m.price.set(FLOW, 2.01);
    await keeper.round();
    assert.deepEqual(m.queried, []);

    // a touch of an automated position and of a plain one; a new automation
    m.holdings.set(251, { coll: { denom: FLOW, amount: 1000 }, moet: 500, automation: automation() });
    m.nextActivity = { touched: new Set([30, 31, 251]), automationChanged: new Set([251]), allowanceOwners: new Set(), txs: 2 };
    m.height += 3; // the blocks holding those transactions
    await keeper.round();
    assert.deepEqual(m.queried.sort((a, b) => a - b), [30, 251], "the plain position 31 is not looked at");
    assert.deepEqual(m.sent, [251], "the new one is above its band (HF 3): drawn down");

    // FLOW +8%: the automated FLOW positions are above max (HF 1.40): queried and drawn down; the
    // USDC ones (20, 40...) are not looked at
    m.queried = [];
    m.sent = [];
    m.price.set(FLOW, 2.17);
    await keeper.round();
    const flowAutomated = [...m.holdings].filter(([, h]) => h.automation && h.coll.denom === FLOW).map(([id]) => id);
    assert.deepEqual(m.queried.sort((a, b) => a - b), flowAutomated.sort((a, b) => a - b));
    assert.deepEqual(m.sent.sort((a, b) => a - b), flowAutomated.sort((a, b) => a - b), "each is above max (HF 1.40): drawn down");
    assert.ok(m.queried.every((id) => m.holdings.get(id)?.coll.denom === FLOW));

    // after the refresh interval every automated position is looked at again (interest, allowances)
    m.queried = [];
    clock.now += 301;
    await keeper.round();
    assert.equal(m.queried.length, 26);
  });

  it("does not send a rebalance that is a no-op or that the market would refuse", async () => {
    const m = new ModelMarket();
    m.holdings.set(1, { coll: { denom: FLOW, amount: 1000 }, moet: 1000, automation: automation({ draw_down_sink: null }) }); // HF 1.5, no sink
    m.holdings.set(2, { coll: { denom: FLOW, amount: 1000 }, moet: 1400, automation: automation() }); // HF 1.07, refused
    m.holdings.set(3, { coll: { denom: FLOW, amount: 1000 }, moet: 1400, automation: automation() }); // HF 1.07, topped up
    m.refuse.add(2);
    const { keeper, registry } = keeperOn(m, keeperConfig(), { now: 1000 });
    await keeper.start();
    const r = await keeper.round();
    assert.equal(r.ok, true);
    assert.deepEqual(m.simulated, [2, 3], "no simulation for a no-op");
    assert.deepEqual(m.sent, [3]);
    const text = registry.render();
    assert.match(text, /keel_keeper_skipped_total\{reason="no draw-down sink"\} 1/);
    assert.match(text, /keel_keeper_skipped_total\{reason="refused by the market"\} 1/);
    assert.match(text, /keel_keeper_rebalances_total\{direction="top_up"\} 1/);
  });

  it("saves its index and resumes from it without scanning", async () => {
    const m = populated();
    const stateFile = path.join(dir, "state.json");
    const { keeper } = keeperOn(m, keeperConfig({ state_file: stateFile, scan_pages_per_round: 10 }), { now: 1000 });
    await keeper.start();
    await keeper.round();
    await keeper.stop();
    const saved = JSON.parse(readFileSync(stateFile, "utf8"));
    assert.equal(saved.height, 100);
    assert.equal(saved.automated.length, 25);

    m.pagesRead = 0;
    m.height = 150;
    m.queried = [];
    const again = keeperOn(m, keeperConfig({ state_file: stateFile }), { now: 2000 });
    await again.keeper.start();
    await again.keeper.round();
    assert.equal(m.pagesRead, 0, "no scan");
    assert.equal(m.queried.length, 25, "each saved position looked up once");
    assert.ok(again.lines.some((l) => l.msg === "keeper started from its saved index" && l.followed_from === 101));
  });
});
