/** The feeder's sources and its decisions, against a model of the oracle's deviation guard. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { Feeder, type FeederPort, type PushStatus, pushStatuses } from "../../feeder/feeder";
import { FileSource, parsePriceDocument, type PriceSource, RandomWalkSource, ScriptedSource, SourceError } from "../../feeder/sources";
import { Logger } from "../../log";
import { Registry } from "../../metrics";
import { serviceMetrics } from "../../runner";

const dir = mkdtempSync(path.join(tmpdir(), "keel-ops-feeder-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const identity = (k: string): string => k;

describe("sources", () => {
  it("random walk: the same seed gives the same path; each step stays within max_step; it stays near its anchor", () => {
    const make = (seed: number): RandomWalkSource =>
      new RandomWalkSource({ seed, volatility: 0.02, maxStep: 0.03, meanReversion: 0.05, anchors: new Map([["uflow", 2], ["uusdc", 1]]) });
    const a = make(7);
    const b = make(7);
    const c = make(8);
    let prev = a.step(0);
    b.step(0);
    c.step(0);
    let differs = false;
    let capped = 0;
    let maxDistance = 0;
    for (let i = 1; i <= 20000; i++) {
      const pa = a.step(i);
      const pb = b.step(i);
      assert.deepEqual(pa, pb);
      if (c.step(i).get("uflow") !== pa.get("uflow")) differs = true;
      for (const d of ["uflow", "uusdc"]) {
        const move = Math.abs((pa.get(d) as number) / (prev.get(d) as number) - 1);
        assert.ok(move <= 0.03 + 1e-12, `step ${i} of ${d} moved ${move}`);
        if (move > 0.0299) capped += 1;
      }
      maxDistance = Math.max(maxDistance, Math.abs(Math.log((pa.get("uflow") as number) / 2)));
      prev = pa;
    }
    assert.ok(differs, "another seed, another path");
    assert.ok(capped > 0, "the volatility is high enough for the cap to matter");
    assert.ok(maxDistance < Math.log(2), `mean reversion keeps FLOW within a factor 2 of its anchor (max log distance ${maxDistance})`);
  });

  it("random walk: a shock moves the price and its anchor once, at its time", () => {
    const w = new RandomWalkSource({ seed: 1, volatility: 0, maxStep: 0.01, meanReversion: 0.5, anchors: new Map([["uflow", 2]]), shocks: [{ atSeconds: 10, denom: "uflow", move: -0.15 }] });
    assert.equal(w.step(5).get("uflow"), 2);
    assert.ok(Math.abs((w.step(10).get("uflow") as number) - 1.7) < 1e-12);
    assert.ok(Math.abs((w.step(11).get("uflow") as number) - 1.7) < 1e-12, "the anchor moved too: no reversion back to 2");
    assert.throws(() => new RandomWalkSource({ seed: 1, volatility: 0, maxStep: 0.01, meanReversion: 0, anchors: new Map([["uflow", 2]]), shocks: [{ atSeconds: 1, denom: "uatom", move: 0.1 }] }), /not a denom of the walk/);
    assert.throws(() => new RandomWalkSource({ seed: 1, volatility: 0, maxStep: 1.5, meanReversion: 0, anchors: new Map([["uflow", 2]]) }), /max_step must be in \(0, 1\)/);
  });

  it("scripted: each denom holds the price of its last step", async () => {
    const file = path.join(dir, "path.json");
    writeFileSync(file, JSON.stringify({ steps: [{ at_seconds: 10, prices: { uflow: "1.8" } }, { at_seconds: 0, prices: { uflow: "2", uusdc: "1" } }] }));
    const s = new ScriptedSource(file, identity);
    assert.deepEqual([...(await s.read(0))], [["uflow", "2"], ["uusdc", "1"]]);
    assert.deepEqual([...(await s.read(12))], [["uflow", "1.8"], ["uusdc", "1"]]);
  });

  it("file and http documents: prices by denom or symbol, stale data refused", async () => {
    const resolve = (k: string): string => ({ FLOW: "uflow", uflow: "uflow" })[k] ?? (() => { throw new Error(`unknown ${k}`); })();
    assert.deepEqual([...parsePriceDocument({ FLOW: 2 }, "x", resolve, 1000, 60)], [["uflow", 2]]);
    assert.deepEqual([...parsePriceDocument({ prices: { uflow: "2" }, timestamp: 950 }, "x", resolve, 1000, 60)], [["uflow", "2"]]);
    assert.throws(() => parsePriceDocument({ prices: { uflow: "2" }, timestamp: 900 }, "x", resolve, 1000, 60), /100 s old/);
    assert.throws(() => parsePriceDocument({ prices: { ATOM: "2" } }, "x", resolve, 1000, 60), /unknown ATOM/);
    assert.throws(() => parsePriceDocument([1], "x", resolve, 1000, 60), SourceError);
    const file = path.join(dir, "prices.json");
    writeFileSync(file, "{ not json");
    await assert.rejects(new FileSource(file, 60, resolve).read(0, 0), /is not JSON/);
    await assert.rejects(new FileSource(path.join(dir, "none.json"), 60, resolve).read(0, 0), /cannot read/);
  });
});

/**
 * The oracle's guard for one feeder (ORACLE.md): each push is in its own block; the reference is
 * the accepted price; within 10%: accepted; within 10% of this feeder's pending price pushed 60 s
 * or more earlier: confirmed; else pending (keeping the time of a pending price it is within 10% of).
 */
class ModelOracle implements FeederPort {
  accepted = new Map<string, { price: number; at: number }>();
  pending = new Map<string, { price: number; at: number }>();
  pushes: { denom: string; price: string }[][] = [];
  failNext: Error | null = null;
  constructor(public clock: { now: number }) {}
  async observe(denoms: readonly string[]) {
    return { blockTime: this.clock.now, prices: new Map(denoms.map((d) => [d, this.accepted.has(d) ? { price: this.accepted.get(d)!.price, updatedAt: this.accepted.get(d)!.at, pending: this.pending.has(d) } : null] as const)) };
  }
  async push(prices: readonly { denom: string; price: string }[]) {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.pushes.push([...prices]);
    const statuses = new Map<string, { status: PushStatus; price: string }>();
    const near = (a: number, b: number): boolean => Math.abs(a - b) <= 0.1 * b;
    for (const { denom, price } of prices) {
      const p = Number(price);
      const ref = this.accepted.get(denom);
      const pend = this.pending.get(denom);
      let status: PushStatus;
      if (!ref || this.clock.now - ref.at > 300 || near(p, ref.price)) status = "accepted";
      else if (pend && this.clock.now - pend.at >= 60 && near(p, pend.price)) status = "confirmed";
      else status = pend && near(p, pend.price) ? "awaiting_confirmation" : "pending";
      if (status === "accepted" || status === "confirmed") {
        this.accepted.set(denom, { price: p, at: this.clock.now });
        this.pending.delete(denom);
      } else {
        this.pending.set(denom, { price: p, at: status === "pending" ? this.clock.now : (pend as { at: number }).at });
      }
      statuses.set(denom, { status, price });
    }
    return { tx: { hash: "AB", height: this.pushes.length, gasUsed: 140000, fee: 3500n }, statuses };
  }
}

class ValueSource implements PriceSource {
  description = "test values";
  constructor(public values: Map<string, unknown>) {}
  async read() {
    return new Map(this.values);
  }
}

function feederWith(values: Record<string, unknown>, clock: { now: number }, heartbeatSeconds = 60) {
  const oracle = new ModelOracle(clock);
  const source = new ValueSource(new Map(Object.entries(values)));
  const registry = new Registry();
  const lines: Record<string, unknown>[] = [];
  const log = new Logger("feeder", "debug", { write: (l: string) => lines.push(JSON.parse(l)) });
  const states = Object.keys(values).map((denom) => ({ denom, symbol: denom.toUpperCase(), maxAge: 300, lastPushed: null, pending: null }));
  const feeder = new Feeder(oracle, source, states, { heartbeat_seconds: heartbeatSeconds, threshold: "0.005", self_confirm_delay_seconds: 62 }, log, registry, serviceMetrics(registry, "feeder"), () => clock.now, "ustake");
  return { feeder, oracle, source, registry, lines };
}

describe("feeder rounds", () => {
  it("pushes on the first round, a heartbeat, and a move above the threshold, and not otherwise", async () => {
    const clock = { now: 1000 };
    const { feeder, oracle, source } = feederWith({ uflow: "2", uusdc: "1" }, clock);
    assert.equal((await feeder.round()).fields?.pushed, true);
    assert.equal(oracle.pushes.length, 1);
    clock.now += 10;
    source.values.set("uflow", "2.009"); // 0.45%: below the threshold
    assert.equal((await feeder.round()).fields?.pushed, false);
    clock.now += 10;
    source.values.set("uflow", "2.011"); // 0.55%
    assert.equal((await feeder.round()).fields?.pushed, true);
    assert.deepEqual(oracle.pushes[1], [{ denom: "uflow", price: "2.011" }, { denom: "uusdc", price: "1" }], "one batch with every denom");
    clock.now += 59;
    assert.equal((await feeder.round()).fields?.pushed, false);
    clock.now += 1;
    assert.equal((await feeder.round()).fields?.pushed, true, "heartbeat 60 s after the last push");
    assert.equal(oracle.pushes.length, 3);
  });

  it("a move beyond the guard: pending, not re-pushed every round, confirmed by its own re-push 62 s on", async () => {
    const clock = { now: 1000 };
    // a heartbeat longer than the wait, so that only the self-confirmation re-pushes
    const { feeder, oracle, source, registry, lines } = feederWith({ uflow: "2" }, clock, 100);
    await feeder.round();
    clock.now += 5;
    source.values.set("uflow", "1.7");
    await feeder.round();
    assert.equal(oracle.pending.get("uflow")?.price, 1.7);
    assert.equal(oracle.accepted.get("uflow")?.price, 2);
    const pushesAfterDrop = oracle.pushes.length;
    for (let i = 0; i < 61; i++) {
      clock.now += 1;
      source.values.set("uflow", i % 2 ? "1.701" : "1.699"); // jitter below the threshold
      await feeder.round();
    }
    assert.equal(oracle.pushes.length, pushesAfterDrop, "no push while the source stays at the pending level");
    assert.equal(oracle.accepted.get("uflow")?.price, 2, "not confirmed before 60 s");
    clock.now += 1; // 62 s after the pending push
    await feeder.round();
    assert.equal(oracle.accepted.get("uflow")?.price, 1.699);
    assert.equal(oracle.pending.size, 0);
    assert.match(registry.render(), /keel_feeder_confirmations_total\{denom="uflow",by="self"\} 1/);
    assert.match(registry.render(), /keel_feeder_pending\{denom="uflow"\} 0/);
    assert.ok(lines.some((l) => l.msg === "own pending move confirmed"));
  });

  it("never pushes an invalid value: the denom is left out and counted", async () => {
    const clock = { now: 1000 };
    const { feeder, oracle, registry } = feederWith({ uflow: "2", uusdc: 0, ukfl: Infinity, uatom: "-3" }, clock);
    const r = await feeder.round();
    assert.equal(r.ok, true);
    assert.deepEqual(oracle.pushes[0], [{ denom: "uflow", price: "2" }]);
    for (const d of ["uusdc", "ukfl", "uatom"]) assert.match(registry.render(), new RegExp(`keel_feeder_invalid_prices_total\\{denom="${d}"\\} 1`));
  });

  it("a refused push fails the round without throwing; an RPC error throws (the runner backs off)", async () => {
    const clock = { now: 1000 };
    const { feeder, oracle, registry } = feederWith({ uflow: "2" }, clock);
    oracle.failNext = new Error("Query failed: failed to execute message; message index: 0: Unauthorized: x is not a feeder: execute wasm contract failed");
    const r = await feeder.round();
    assert.equal(r.ok, false);
    assert.match(registry.render(), /keel_feeder_txs_failed_total 1/);
    oracle.failNext = new Error("fetch failed: ECONNREFUSED");
    await assert.rejects(feeder.round(), /ECONNREFUSED/);
    assert.equal((await feeder.round()).fields?.pushed, true, "the first successful push is still 'first round'");
  });

  it("reads the oracle's statuses from the push's events", () => {
    const events = [
      { type: "wasm", attributes: [{ key: "_contract_address", value: "oracle" }, { key: "action", value: "push_prices" }] },
      { type: "wasm-oracle_price", attributes: [{ key: "_contract_address", value: "oracle" }, { key: "denom", value: "uflow" }, { key: "price", value: "1.7" }, { key: "status", value: "pending" }] },
      { type: "wasm-oracle_price", attributes: [{ key: "_contract_address", value: "other" }, { key: "denom", value: "uusdc" }, { key: "price", value: "1" }, { key: "status", value: "accepted" }] },
    ];
    assert.deepEqual([...pushStatuses(events, "oracle")], [["uflow", { status: "pending", price: "1.7" }]]);
  });
});
