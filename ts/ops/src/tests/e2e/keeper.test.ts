/**
 * The rebalancing keeper on a chain. A live keeper starts (cold scan), then three automated
 * positions are opened, which it must find by following the market's transactions:
 *
 * | position | owner | band (min/target/max) | sink | top-up source |
 * |---|---|---|---|---|
 * | A | user3 | 1.25 / 1.3 / 1.35 | user3 | user2, consenting, with an allowance |
 * | B | user1 | 1.25 / 1.3 / 1.35 | none | none |
 * | C | user1 | 1.3 / 1.35 / 1.45 | none | user2, without consent for C |
 *
 * FLOW +9% (a feeder push): A is drawn down to its target; B is above max without a sink, and is
 * skipped without a transaction. FLOW back -9%: A is topped up from user2; C is below min, its
 * source has not consented, skipped. Then user3 withdraws from A (a touch, no price move): topped
 * up again. The keeper sends a transaction only for the rebalances it logs, none for B or C (its
 * account's sequence says so).
 * Its index is saved; a `--once` run resumes from it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { type MarketTypes, openedPositionId } from "@keel/client";

import { BASE_PRICES, debtOf, deployment, disconnectAll, FLOW, hf, type LiveService, linesWith, MOET, moetBalance, position, pushBoth, runOps, sequenceOf, serviceConfig, signer, startOps, units, waitFor, workDir } from "./harness";

const work = workDir();
const stateFile = path.join(work.dir, "keeper-state.json");
const ids = { a: 0, b: 0, c: 0 };
let keeper: LiveService;

const BAND = { min: "1.25", target: "1.3", max: "1.35" };

before(async () => {
  await pushBoth(BASE_PRICES);
});

after(async () => {
  await keeper?.stop();
  await pushBoth(BASE_PRICES);
  disconnectAll();
  work.cleanup();
});

/** Pushes FLOW from feeder1 through the feeder service (a move within the guard: accepted at once). */
async function flowTo(price: string): Promise<void> {
  const file = work.write(`flow-${price}.json`, { prices: { FLOW: price } });
  const r = await runOps(["feeder", "--once", "--config", work.write(`feeder-${price}.json`, serviceConfig("feeder", "feeder1", { source: "file", source_path: file, denoms: ["FLOW"] }))]);
  assert.equal(r.code, 0, r.raw.join("\n"));
  assert.equal((linesWith(r.lines, "pushed prices")[0].prices as Record<string, string>).FLOW, `${price} accepted`);
}

/** The keeper's transactions since `seq0` are exactly its "rebalanced" log lines since `from`, none of them for B or C. */
async function assertOnlyLoggedRebalances(seq0: number, from: number): Promise<void> {
  const logged = keeper.lines.slice(from).filter((l) => l.msg === "rebalanced");
  assert.ok(!logged.some((l) => l.position === ids.b || l.position === ids.c), "no rebalance of B or C");
  assert.equal(await sequenceOf((await signer("keeper")).address), seq0 + logged.length, "one transaction per logged rebalance");
}

function rebalanced(id: number, direction: string): (l: { msg: string; position?: unknown; rebalanced?: unknown }) => boolean {
  return (l) => l.msg === "rebalanced" && l.position === id && l.rebalanced === direction;
}

describe("keeper", () => {
  it("starts with a cold scan, then finds new automated positions in the market's transactions", async () => {
    keeper = startOps(["keeper", "--config", work.write("keeper.json", serviceConfig("keeper", "keeper", { state_file: stateFile }))]);
    await keeper.waitForLine((l) => l.msg === "cold-start scan done", 30_000, "the cold-start scan");

    const user1 = await signer("user1");
    const user2 = await signer("user2");
    const user3 = await signer("user3");
    const automation = (a: Partial<MarketTypes.Automation>): MarketTypes.Automation => ({ draw_down_sink: null, top_up_source: null, health: BAND, self_repay: false, ...a });
    // A: borrowed to its target at once, to its own sink
    ids.a = openedPositionId(
      await user3.market.openPosition({ automation: automation({ draw_down_sink: { address: user3.address, msg: null }, top_up_source: user2.address }), pushToDrawDownSink: true }, "auto", undefined, [
        { denom: FLOW, amount: units(1000) },
      ]),
    );
    ids.b = openedPositionId(await user1.market.openPosition({ automation: automation({}) }, "auto", undefined, [{ denom: FLOW, amount: units(1000) }]));
    await user1.market.borrow({ positionId: ids.b, denom: MOET, amount: units(1153) });
    ids.c = openedPositionId(
      await user1.market.openPosition({ automation: automation({ top_up_source: user2.address, health: { min: "1.3", target: "1.35", max: "1.45" } }) }, "auto", undefined, [{ denom: FLOW, amount: units(1000) }]),
    );
    await user1.market.borrow({ positionId: ids.c, denom: MOET, amount: units(1153) });
    // user2 backs A only: MOET of its own, consent for A, an allowance to the market
    const reserve = openedPositionId(await user2.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: units(10000) }]));
    await user2.market.borrow({ positionId: reserve, denom: MOET, amount: units(3000) });
    await user2.market.allowTopUp({ positionId: ids.a, amount: units(2000) });
    await user2.moet.increaseAllowance({ spender: deployment.contracts.market, amount: units(2000) });

    for (const id of Object.values(ids)) {
      await keeper.waitForLine((l) => l.msg === "automated position indexed" && l.position === id, 15_000, `position ${id} indexed`);
      assert.ok(Math.abs(hf(await position(id)) - 1.3) < 0.002, `position ${id} starts at HF 1.3`);
    }
  });

  it("draws A down when FLOW rises, and leaves B (no sink) alone", async () => {
    const seq0 = await sequenceOf((await signer("keeper")).address);
    const from = keeper.lines.length;
    const sink0 = await moetBalance((await signer("user3")).address);
    const debt0 = debtOf(await position(ids.a), MOET);
    await flowTo("2.18");
    await keeper.waitForLine(rebalanced(ids.a, "draw_down"), 15_000, "A's draw-down");
    const a = await position(ids.a);
    assert.ok(Math.abs(hf(a) - 1.3) < 1e-4, `A back at its target: ${hf(a)}`);
    const drawn = debtOf(a, MOET) - debt0;
    assert.ok(drawn > 90_000000n, `A borrowed ${drawn}`); // 1500 * 1.09 / 1.3 - 1153.8 = 103.8 MOET
    assert.equal((await moetBalance((await signer("user3")).address)) - sink0, drawn, "to its sink");
    await keeper.waitForLine((l) => l.msg === "outside its band but a rebalance would be a no-op: skipped" && l.position === ids.b && l.reason === "no draw-down sink", 10_000, "B skipped");
    assert.ok(hf(await position(ids.b)) > 1.35, "B stays above its max");
    await assertOnlyLoggedRebalances(seq0, from);
  });

  it("tops A up from its consenting source when FLOW falls, and leaves C (no consent) alone", async () => {
    const seq0 = await sequenceOf((await signer("keeper")).address);
    const from = keeper.lines.length;
    const user2 = await signer("user2");
    const source0 = await moetBalance(user2.address);
    const debt0 = debtOf(await position(ids.a), MOET);
    await flowTo("1.98");
    await keeper.waitForLine(rebalanced(ids.a, "top_up"), 15_000, "A's top-up");
    const a = await position(ids.a);
    const h = hf(a);
    assert.ok(h >= 1.3 && h < 1.3001, `A back at its target: ${h}`);
    const repaid = debt0 - debtOf(a, MOET);
    assert.equal(source0 - (await moetBalance(user2.address)), repaid, "pulled from the source");
    const consent = await user2.market.topUpConsent({ positionId: ids.a, source: user2.address });
    assert.equal(BigInt(consent.amount), 2000_000000n - repaid);
    await keeper.waitForLine((l) => l.msg === "outside its band but a rebalance would be a no-op: skipped" && l.position === ids.c && l.reason === "no consent", 10_000, "C skipped");
    assert.ok(hf(await position(ids.c)) < 1.3, "C stays below its min");
    await assertOnlyLoggedRebalances(seq0, from);
  });

  it("tops A up again after its owner withdraws (a touch, prices unchanged)", async () => {
    const user3 = await signer("user3");
    await user3.market.withdraw({ positionId: ids.a, denom: FLOW, amount: units(50) }); // HF 1.3 -> 1.235
    const from = keeper.lines.length;
    await keeper.waitForLine((l) => keeper.lines.indexOf(l) >= from && rebalanced(ids.a, "top_up")(l), 15_000, "A's second top-up");
    assert.ok(Math.abs(hf(await position(ids.a)) - 1.3) < 1e-4);

    const metrics = await keeper.metrics();
    assert.equal(await keeper.stop(), 0);
    assert.equal(metrics.get('keel_keeper_rebalances_total{direction="draw_down"}'), 1);
    assert.equal(metrics.get('keel_keeper_rebalances_total{direction="top_up"}'), 2);
    assert.ok((metrics.get('keel_keeper_skipped_total{reason="no draw-down sink"}') ?? 0) >= 1);
    assert.ok((metrics.get('keel_keeper_skipped_total{reason="no consent"}') ?? 0) >= 1);
    assert.ok((metrics.get("keel_keeper_automated_positions") ?? 0) >= 3);
    assert.ok((metrics.get('keel_keeper_position_queries_total{why="touched"}') ?? 0) >= 1);
    assert.ok((metrics.get('keel_keeper_position_queries_total{why="price"}') ?? 0) >= 1);
    assert.equal(metrics.get("keel_keeper_txs_failed_total"), 0);
    assert.equal(metrics.get("keel_keeper_scan_done"), 1);
  });

  it("saves its index, and a restart resumes from it instead of scanning (--once)", async () => {
    assert.ok(existsSync(stateFile));
    const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { height: number; automated: number[]; chain_id: string };
    assert.equal(saved.chain_id, deployment.chain_id);
    for (const id of Object.values(ids)) assert.ok(saved.automated.includes(id), `position ${id} in the saved index`);
    const r = await runOps(["keeper", "--once", "--config", work.write("keeper-once.json", serviceConfig("keeper", "keeper", { state_file: stateFile }))]);
    assert.equal(r.code, 0, r.raw.join("\n"));
    const started = linesWith(r.lines, "keeper started from its saved index")[0];
    assert.ok(started, r.raw.join("\n"));
    assert.equal(started.followed_from, saved.height + 1);
    assert.equal(linesWith(r.lines, "cold-start scan done").length, 0);
    assert.equal(linesWith(r.lines, "rebalanced").length, 0, "nothing left to rebalance");
    await waitFor(async () => (JSON.parse(readFileSync(stateFile, "utf8")).height > saved.height ? true : undefined), 5_000, "the state file's height to move on");
  });
});
