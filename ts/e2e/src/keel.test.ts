/**
 * Keel end to end on a running wasmd chain, through @keel/client only: the sample deployment of
 * deployments/config/keel-local.json (FLOW native collateral at 2 MOET, KFL cw20 collateral at
 * 0.5, USDC pool asset at 1, MOET minted). The tests run in order and build on each other's
 * positions; each one checks balances and positions as the chain reports them. Every
 * transaction's gas goes into the gas record (harness.ts) for docs/GAS.md.
 *
 * Run: scripts/e2e.sh (or, with the chain up and deployed: cd ts && npx tsc -b && npm run e2e).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { KeelLiquidatorHooks, KeelMarketHooks, type KeelSigner, type MarketTypes, openedPositionId } from "@keel/client";

import {
  amounts,
  balances,
  deployment,
  diff,
  disconnectAll,
  expectFailure,
  FEE_DENOM,
  FLOW,
  KFL,
  MOET,
  num,
  pushPrices,
  recordGas,
  signer,
  tx,
  units,
  USDC,
  writeGasRecord,
} from "./harness";

const market = deployment.contracts.market;
const liquidatorContract = deployment.contracts.liquidator;
const KFL_TOKEN = KFL.cw20 as string;
const BASE_PRICES = { [FLOW]: "2", [KFL.denom]: "0.5", [USDC]: "1" };

let user1: KeelSigner;
let user2: KeelSigner;
let user3: KeelSigner;
let keeper: KeelSigner;
let liquidator: KeelSigner;

/** Positions the tests create, by role. */
const ids = {
  main: 0, // user1: FLOW + KFL collateral, USDC and MOET debt
  cw20Opened: 0, // user2: opened through a KFL `send`
  noDebt: 0, // user2: FLOW only
  automated: 0, // user3: automation with a sink and a top-up source (user2)
  victimNative: 0, // user2: FLOW collateral, USDC debt
  victimMoet: 0, // user1: FLOW collateral, MOET debt
};

async function position(id: number): Promise<MarketTypes.PositionResponse> {
  return user1.market.position({ positionId: id });
}
function debtOf(p: MarketTypes.PositionResponse, denom: string): bigint {
  return BigInt(p.debt.find((d) => d.denom === denom)?.amount ?? "0");
}
function collateralOf(p: MarketTypes.PositionResponse, denom: string): bigint {
  return BigInt(p.collateral.find((c) => c.denom === denom)?.amount ?? "0");
}
async function moetSupply(): Promise<bigint> {
  return BigInt((await user1.moet.tokenInfo()).total_supply);
}
function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} +- ${tolerance}`);
}

before(async () => {
  [user1, user2, user3, keeper, liquidator] = await Promise.all(["user1", "user2", "user3", "keeper", "liquidator"].map(signer));
  // fresh prices (they go stale after max_age), from both feeders as a confirmed move
  await pushPrices(BASE_PRICES, "oracle push_prices (3 denoms)");
  // An account's first transaction also stores its public key (~13,000 gas once): each test
  // account signs one before anything is measured.
  for (const s of [user1, user2, user3, keeper, liquidator]) {
    const first = await s.client.sendTokens(s.address, deployment.deployer, [{ denom: USDC, amount: "1" }], "auto");
    await recordGas("bank send (an account's first transaction: stores its public key)", null, s.client, first);
  }
  // the per-transaction cost of the chain itself, to read the table against
  const send = await user1.client.sendTokens(user1.address, user2.address, [{ denom: USDC, amount: "1" }], "auto");
  await recordGas("bank send (no contract: the chain's own cost of a transaction)", null, user1.client, send);
});

after(() => {
  const file = writeGasRecord();
  console.log(`# gas record: ${file}`);
  disconnectAll();
});

describe("the deployment", () => {
  it("is wired as SPEC 3.0 says, with fresh prices", async () => {
    const config = await user1.market.config();
    assert.equal(config.oracle, deployment.contracts.oracle);
    assert.equal(config.liquidator, liquidatorContract);
    assert.equal(config.moet_denom, MOET);
    const liqConfig = await user1.liquidator.config();
    assert.equal(liqConfig.market, market);
    assert.equal(liqConfig.close_factor, "0.2");
    assert.equal(liqConfig.liquidation_bonus, "0.03");
    assert.equal((await user1.moet.minter())?.minter, market);
    const assets = await user1.market.assets({ limit: 100 });
    assert.deepEqual(assets.map((a) => a.denom).sort(), deployment.assets.map((a) => a.denom).sort());
    const prices = await user1.oracle.prices({ denoms: [FLOW, KFL.denom, USDC] });
    assert.deepEqual(prices.map((p) => [p.denom, p.price, p.source, p.pending ?? false]), [
      [FLOW, "2", "feed", false],
      [KFL.denom, "0.5", "feed", false],
      [USDC, "1", "feed", false],
    ]);
  });
});

describe("open and deposit", () => {
  it("opens a position with native funds", async () => {
    const b0 = await balances(user1.client, user1.address);
    const r = await tx("open_position (native)", "open_position (native)", user1, () =>
      user1.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: units(1000) }]),
    );
    ids.main = openedPositionId(r);
    const p = await position(ids.main);
    assert.equal(p.owner, user1.address);
    assert.deepEqual(amounts(p.collateral), { [FLOW]: 1000_000000n });
    assert.deepEqual(p.debt, []);
    assert.equal(p.health?.health_factor, null);
    assert.equal(p.health?.band, "overcollateralized");
    const d = diff(b0, await balances(user1.client, user1.address));
    assert.equal(d[FLOW], -1000_000000n);
  });

  it("deposits native funds and a cw20 through send", async () => {
    const b0 = await balances(user1.client, user1.address);
    await tx("deposit (native)", "deposit (native)", user1, () =>
      user1.market.deposit({ positionId: ids.main }, "auto", undefined, [{ denom: FLOW, amount: units(500) }]),
    );
    await tx("deposit (cw20 send)", "deposit (cw20)", user1, () =>
      user1.cw20(KFL_TOKEN).send({ contract: market, amount: units(1000), msg: KeelMarketHooks.deposit({ positionId: ids.main }) }),
    );
    const p = await position(ids.main);
    assert.deepEqual(amounts(p.collateral), { [FLOW]: 1500_000000n, [KFL.denom]: 1000_000000n });
    // C = 1500 * 2 * 0.75 + 1000 * 0.5 * 0.6 = 2550; L = 1500 * 2 * 0.8 + 1000 * 0.5 * 0.7 = 2750
    assert.equal(p.health?.effective_collateral, "2550");
    assert.equal(p.health?.liquidation_limit, "2750");
    const d = diff(b0, await balances(user1.client, user1.address));
    assert.equal(d[FLOW], -500_000000n);
    assert.equal(d[KFL.denom], -1000_000000n);
  });

  it("opens a position through a cw20 send, owned by the sender", async () => {
    const b0 = await balances(user2.client, user2.address);
    const r = await tx("open_position (cw20 send)", null, user2, () =>
      user2.cw20(KFL_TOKEN).send({ contract: market, amount: units(400), msg: KeelMarketHooks.openPosition() }),
    );
    ids.cw20Opened = openedPositionId(r);
    const p = await position(ids.cw20Opened);
    assert.equal(p.owner, user2.address);
    assert.deepEqual(amounts(p.collateral), { [KFL.denom]: 400_000000n });
    assert.equal(diff(b0, await balances(user2.client, user2.address))[KFL.denom], -400_000000n);
  });
});

describe("borrow", () => {
  it("borrows from a pool (paid out) and MOET (minted)", async () => {
    const b0 = await balances(user1.client, user1.address);
    const supply0 = await moetSupply();
    await tx("borrow (pool, native out)", "borrow (pool, native out)", user1, () =>
      user1.market.borrow({ positionId: ids.main, denom: USDC, amount: units(100) }),
    );
    await tx("borrow (MOET, mint)", "borrow (MOET, mint)", user1, () =>
      user1.market.borrow({ positionId: ids.main, denom: MOET, amount: units(200) }),
    );
    const d = diff(b0, await balances(user1.client, user1.address));
    assert.equal(d[USDC], 100_000000n);
    assert.equal(d[MOET], 200_000000n);
    assert.equal((await moetSupply()) - supply0, 200_000000n);
    const p = await position(ids.main);
    assert.ok(debtOf(p, USDC) >= 100_000000n && debtOf(p, USDC) <= 100_000010n, `USDC debt ${debtOf(p, USDC)}`);
    assert.equal(debtOf(p, MOET), 200_000000n);
    // HF = C / D = 2550 / 300 = 8.5 (within the USDC debt's few seconds of interest)
    assertClose(num(p.health?.health_factor), 8.5, 1e-4, "health factor");
  });

  it("answers max_borrow to the target and to the floor", async () => {
    const m = await user1.market.maxBorrow({ positionId: ids.main, denom: MOET });
    // at the default target 1.3: 2550 / 1.3 - 300 = 1661.538...; at the floor 1.0: 2550 - 300 = 2250
    assertClose(Number(m.at_target) / 1e6, 2550 / 1.3 - 300, 1e-3, "at_target");
    assertClose(Number(m.at_floor) / 1e6, 2250, 1e-3, "at_floor");
  });
});

describe("repay", () => {
  it("repays a pool debt with a refund of the excess", async () => {
    const debt = debtOf(await position(ids.main), USDC);
    const b0 = await balances(user1.client, user1.address);
    await tx("repay (native, with refund)", "repay (native)", user1, () =>
      user1.market.repay({ positionId: ids.main }, "auto", undefined, [{ denom: USDC, amount: units(150) }]),
    );
    const paid = -diff(b0, await balances(user1.client, user1.address))[USDC];
    // the debt as it stood (plus the interest of the blocks since the query), the rest refunded
    assert.ok(paid >= debt && paid <= debt + 10n, `paid ${paid} for a debt of ${debt}`);
    assert.equal(debtOf(await position(ids.main), USDC), 0n);
  });

  it("repays MOET through a cw20 send, which burns it", async () => {
    const supply0 = await moetSupply();
    const b0 = await balances(user1.client, user1.address);
    await tx("repay (MOET, cw20 send + burn)", "repay (MOET, cw20 + burn)", user1, () =>
      user1.moet.send({ contract: market, amount: units(50), msg: KeelMarketHooks.repay({ positionId: ids.main }) }),
    );
    assert.equal(debtOf(await position(ids.main), MOET), 150_000000n);
    assert.equal(diff(b0, await balances(user1.client, user1.address))[MOET], -50_000000n);
    assert.equal(supply0 - (await moetSupply()), 50_000000n);
  });
});

describe("withdraw", () => {
  it("withdraws collateral with a debt (health checked)", async () => {
    const b0 = await balances(user1.client, user1.address);
    await tx("withdraw (with health check)", "withdraw (with health check)", user1, () =>
      user1.market.withdraw({ positionId: ids.main, denom: FLOW, amount: units(100) }),
    );
    assert.equal(diff(b0, await balances(user1.client, user1.address))[FLOW], 100_000000n);
    assert.equal(collateralOf(await position(ids.main), FLOW), 1400_000000n);
  });

  it("withdraws without a debt, and everything of a cw20 (amount null)", async () => {
    const r = await tx("open_position (native)", "open_position (native)", user2, () =>
      user2.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: units(500) }]),
    );
    ids.noDebt = openedPositionId(r);
    const b0 = await balances(user2.client, user2.address);
    await tx("withdraw (no debt)", "withdraw (no debt)", user2, () =>
      user2.market.withdraw({ positionId: ids.noDebt, denom: FLOW, amount: units(200) }),
    );
    await tx("withdraw (cw20 out, all)", null, user2, () => user2.market.withdraw({ positionId: ids.cw20Opened, denom: KFL.denom }));
    const d = diff(b0, await balances(user2.client, user2.address));
    assert.equal(d[FLOW], 200_000000n);
    assert.equal(d[KFL.denom], 400_000000n);
    assert.deepEqual((await position(ids.cw20Opened)).collateral, []);
  });
});

describe("automation", () => {
  it("auto-borrows MOET to the draw-down sink on open", async () => {
    const sink0 = await balances(user2.client, user2.address);
    const r = await tx("open_position (auto-borrow to a sink)", null, user3, () =>
      user3.market.openPosition(
        {
          automation: {
            draw_down_sink: { address: user2.address, msg: null },
            top_up_source: user2.address,
            health: { min: "1.1", target: "1.3", max: "1.5" },
            self_repay: false,
          },
          pushToDrawDownSink: true,
        },
        "auto",
        undefined,
        [{ denom: FLOW, amount: units(1000) }],
      ),
    );
    ids.automated = openedPositionId(r);
    const p = await position(ids.automated);
    const debt = debtOf(p, MOET);
    // C = 1000 * 2 * 0.75 = 1500; borrowed to HF = 1.3: floor(1500 / 1.3) MOET
    assert.equal(debt, 1153_846153n);
    assert.equal(diff(sink0, await balances(user2.client, user2.address))[MOET], debt);
    assertClose(num(p.health?.health_factor), 1.3, 1e-6, "health factor after auto-borrow");
  });

  it("set_automation replaces the settings", async () => {
    const automation: MarketTypes.Automation = {
      draw_down_sink: { address: user2.address, msg: null },
      top_up_source: user2.address,
      health: { min: "1.15", target: "1.3", max: "1.5" },
      self_repay: false,
    };
    await tx("set_automation", null, user3, () => user3.market.setAutomation({ positionId: ids.automated, automation }));
    assert.deepEqual((await position(ids.automated)).automation, automation);
  });

  it("rebalance above max borrows MOET to the sink, back to the target", async () => {
    await tx("deposit (native)", "deposit (native)", user3, () =>
      user3.market.deposit({ positionId: ids.automated }, "auto", undefined, [{ denom: FLOW, amount: units(1000) }]),
    );
    const before = await position(ids.automated);
    assertClose(num(before.health?.health_factor), 3000 / (1153.846153 * 1), 1e-4, "health factor above max");
    assert.equal(before.health?.band, "overcollateralized");
    const sink0 = await balances(user2.client, user2.address);
    await tx("rebalance (draw down to the sink)", "rebalance (draw down to sink)", keeper, () => keeper.market.rebalance({ positionId: ids.automated }));
    const after = await position(ids.automated);
    const borrowed = debtOf(after, MOET) - debtOf(before, MOET);
    assert.equal(debtOf(after, MOET), 2307_692307n); // floor(3000 / 1.3)
    assert.equal(diff(sink0, await balances(user2.client, user2.address))[MOET], borrowed);
    assertClose(num(after.health?.health_factor), 1.3, 1e-6, "health factor after the draw-down");
  });

  it("rebalance below min pulls MOET from the consenting top-up source and burns it", async () => {
    // to HF ~1.05 (below min 1.15, above the floor 1.0): keep 1616 FLOW
    await tx("withdraw (with health check)", "withdraw (with health check)", user3, () =>
      user3.market.withdraw({ positionId: ids.automated, denom: FLOW, amount: units(384) }),
    );
    const before = await position(ids.automated);
    assertClose(num(before.health?.health_factor), 2424 / 2307.692307, 1e-4, "health factor below min");
    assert.equal(before.health?.band, "at_risk");
    // without consent a rebalance pulls nothing (a no-op that succeeds)
    await tx("rebalance (below min, no consent: pulls nothing)", null, keeper, () => keeper.market.rebalance({ positionId: ids.automated }));
    assert.equal(debtOf(await position(ids.automated), MOET), debtOf(before, MOET));
    // the source consents and grants the market a cw20 allowance
    await tx("allow_top_up", null, user2, () => user2.market.allowTopUp({ positionId: ids.automated, amount: units(1000) }));
    await tx("increase_allowance (MOET, to the market)", null, user2, () => user2.moet.increaseAllowance({ spender: market, amount: units(1000) }));
    const source0 = await balances(user2.client, user2.address);
    const supply0 = await moetSupply();
    await tx("rebalance (top up from the source)", "rebalance (top up from source)", keeper, () => keeper.market.rebalance({ positionId: ids.automated }));
    const after = await position(ids.automated);
    const repaid = debtOf(before, MOET) - debtOf(after, MOET);
    // ceil(D - C / 1.3) = 2307.692307 - 2424 / 1.3 = 443.076923 MOET (rounded up so HF reaches 1.3)
    assert.ok(repaid >= 443_076923n && repaid <= 443_076925n, `repaid ${repaid}`);
    assert.equal(diff(source0, await balances(user2.client, user2.address))[MOET], -repaid);
    assert.equal(supply0 - (await moetSupply()), repaid);
    const hf = num(after.health?.health_factor);
    assert.ok(hf >= 1.3 && hf < 1.3 + 1e-6, `health factor after the top-up: ${hf}`);
    const consent = await user2.market.topUpConsent({ positionId: ids.automated, source: user2.address });
    assert.equal(BigInt(consent.amount), 1000_000000n - repaid);
  });
});

describe("liquidation through the liquidator after a price push", () => {
  it("opens two positions near the edge", async () => {
    let r = await tx("open_position (native)", "open_position (native)", user2, () =>
      user2.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: units(1000) }]),
    );
    ids.victimNative = openedPositionId(r);
    await tx("borrow (pool, native out)", "borrow (pool, native out)", user2, () =>
      user2.market.borrow({ positionId: ids.victimNative, denom: USDC, amount: units(1400) }),
    );
    r = await tx("open_position (native)", "open_position (native)", user1, () =>
      user1.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: units(1000) }]),
    );
    ids.victimMoet = openedPositionId(r);
    await tx("borrow (MOET, mint)", "borrow (MOET, mint)", user1, () => user1.market.borrow({ positionId: ids.victimMoet, denom: MOET, amount: units(1400) }));
    // LHF = 1000 * 2 * 0.8 / 1400 = 1.142...: not liquidatable
    const q = await liquidator.liquidator.quote({ positionId: ids.victimNative, debtDenom: USDC, collateralDenom: FLOW });
    assert.deepEqual(q, { liquidatable: false, max_repay: "0", repay_amount: "0", collateral_out: "0", bonus_value: "0", health_before: q.health_before, health_after: q.health_after });
    assertClose(num((await position(ids.victimNative)).health?.liquidation_health_factor), 1600 / 1400, 1e-4, "LHF before the drop");
  });

  it("a drop beyond the deviation guard waits for the second feeder", async () => {
    const f1 = await signer("feeder1");
    await tx("oracle push_prices (1 denom, beyond the guard: pending)", null, f1, () => f1.oracle.pushPrices({ prices: [{ denom: FLOW, price: "1.7" }] }));
    let price = await user1.oracle.price({ denom: FLOW });
    assert.equal(price.price, "2"); // -15% is beyond max_deviation 0.1: pending
    assert.equal(price.pending, true);
    const f2 = await signer("feeder2");
    const r = await f2.oracle.pushPrices({ prices: [{ denom: FLOW, price: "1.7" }] });
    await recordGas("oracle push_prices (1 denom, a confirmation)", "oracle push_prices (1 denom)", f2.client, r);
    price = await user1.oracle.price({ denom: FLOW });
    assert.equal(price.price, "1.7");
    assert.equal(price.pending ?? false, false);
    const scan = await user1.market.liquidatablePositions({ startAfter: ids.victimNative - 1, limit: 100 });
    const found = scan.positions.map((p) => p.position_id);
    assert.ok(found.includes(ids.victimNative) && found.includes(ids.victimMoet), `liquidatable: ${found.join(", ")}`);
    assert.equal((await position(ids.victimNative)).health?.band, "liquidatable");
  });

  it("liquidates a pool debt with native funds, as quoted, refunding the excess", async () => {
    const q = await liquidator.liquidator.quote({ positionId: ids.victimNative, debtDenom: USDC, collateralDenom: FLOW });
    assert.equal(q.liquidatable, true);
    const debt = debtOf(await position(ids.victimNative), USDC);
    assert.equal(BigInt(q.max_repay), (debt * 2n) / 10n); // close factor 0.2
    assert.equal(q.repay_amount, q.max_repay);
    // seize = floor(repay * 1 * 1.03 / 1.7)
    assert.equal(BigInt(q.collateral_out), (BigInt(q.repay_amount) * 1030n) / 1700n);
    const b0 = await balances(liquidator.client, liquidator.address);
    const sent = BigInt(q.max_repay) + 10_000000n;
    await tx("liquidate (native debt, with refund)", "liquidate (native debt)", liquidator, () =>
      liquidator.liquidator.liquidate({ positionId: ids.victimNative, debtDenom: USDC, collateralDenom: FLOW, minCollateralOut: q.collateral_out }, "auto", undefined, [
        { denom: USDC, amount: sent.toString() },
      ]),
    );
    const d = diff(b0, await balances(liquidator.client, liquidator.address));
    // a block later the debt has a few units more interest at most: the quote holds to the unit
    assert.ok(-d[USDC] >= BigInt(q.repay_amount) && -d[USDC] <= BigInt(q.repay_amount) + 2n, `paid ${-d[USDC]}, quoted ${q.repay_amount}`);
    assert.ok(d[FLOW] >= BigInt(q.collateral_out) && d[FLOW] <= BigInt(q.collateral_out) + 2n, `received ${d[FLOW]}, quoted ${q.collateral_out}`);
    const p = await position(ids.victimNative);
    assert.equal(collateralOf(p, FLOW), 1000_000000n - d[FLOW]);
    assert.ok(debt - debtOf(p, USDC) >= BigInt(q.repay_amount) - 2n);
  });

  it("liquidates a MOET debt through a cw20 send to the liquidator (burnt)", async () => {
    const q = await liquidator.liquidator.quote({ positionId: ids.victimMoet, debtDenom: MOET, collateralDenom: FLOW });
    assert.equal(q.liquidatable, true);
    assert.equal(q.max_repay, "280000000"); // 1400 MOET * 0.2 (MOET has no interest here)
    assert.equal(q.collateral_out, ((280_000000n * 1030n) / 1700n).toString());
    const b0 = await balances(liquidator.client, liquidator.address);
    const supply0 = await moetSupply();
    await tx("liquidate (MOET debt, cw20 send)", "liquidate (MOET debt, cw20)", liquidator, () =>
      liquidator.moet.send({
        contract: liquidatorContract,
        amount: units(300),
        msg: KeelLiquidatorHooks.liquidate({ positionId: ids.victimMoet, debtDenom: MOET, collateralDenom: FLOW }),
      }),
    );
    const d = diff(b0, await balances(liquidator.client, liquidator.address));
    assert.equal(d[MOET], -280_000000n); // 300 sent, 20 refunded
    assert.equal(d[FLOW], BigInt(q.collateral_out));
    assert.equal(supply0 - (await moetSupply()), 280_000000n);
    const p = await position(ids.victimMoet);
    assert.equal(debtOf(p, MOET), 1120_000000n);
    assertClose(num(p.health?.liquidation_health_factor), num(q.health_after), 1e-9, "LHF as quoted");
  });

  after(async () => {
    await pushPrices(BASE_PRICES, "oracle push_prices (3 denoms)");
  });
});

describe("redemption", () => {
  it("redeems MOET against a position below the redemption health, as quoted", async () => {
    // the MOET victim after its liquidation: HF = 830.35 * 2 * 0.75 / 1120 = 1.11, below 1.3
    // amount null: the most the position can take, r_max (it lifts HF to the redemption health)
    const quote = await liquidator.market.redemptionQuote({ positionId: ids.victimMoet, collateralDenom: FLOW });
    assert.equal(quote.redeemable, true);
    assertClose(num(quote.health_before), (830.352942 * 2 * 0.75) / 1120, 1e-4, "HF before the redemption");
    const repay = BigInt(quote.repay_amount);
    assert.ok(repay > 300_000000n && repay < 400_000000n, `r_max ${repay}`);
    const scan = await liquidator.market.redeemablePositions({ startAfter: ids.victimMoet - 1, limit: 1 });
    assert.deepEqual(scan.positions.map((p) => p.position_id), [ids.victimMoet]);
    const b0 = await balances(liquidator.client, liquidator.address);
    const debt0 = debtOf(await position(ids.victimMoet), MOET);
    const supply0 = await moetSupply();
    await tx("redeem (MOET for collateral)", "redeem (MOET for collateral)", liquidator, () =>
      liquidator.moet.send({
        contract: market,
        amount: (repay + 10_000000n).toString(),
        msg: KeelMarketHooks.redeem({ positionId: ids.victimMoet, collateralDenom: FLOW, minCollateralOut: quote.collateral_out }),
      }),
    );
    const d = diff(b0, await balances(liquidator.client, liquidator.address));
    assert.equal(d[MOET], -repay); // the 10 MOET above r_max refunded
    assert.equal(d[FLOW], BigInt(quote.collateral_out));
    // out = floor(repay * (1 - 0.005) / 2): the fee stays in the position
    assert.equal(BigInt(quote.collateral_out), (repay * 995n) / 2000n);
    assertClose(num((await position(ids.victimMoet)).health?.health_factor), num(quote.health_after), 1e-9, "HF as quoted");
    assert.equal(debt0 - debtOf(await position(ids.victimMoet), MOET), BigInt(quote.repay_amount));
    assert.equal(supply0 - (await moetSupply()), BigInt(quote.repay_amount));
  });
});

describe("queries", () => {
  it("health figures agree with each other and with the bands", async () => {
    for (const id of [ids.main, ids.automated, ids.victimNative]) {
      const p = await position(id);
      const h = p.health;
      assert.ok(h, `position ${id} has health`);
      assert.equal(p.price_error, null);
      const c = num(h.effective_collateral);
      const l = num(h.liquidation_limit);
      const d = num(h.effective_debt);
      assertClose(num(h.health_factor), c / d, 1e-9 * (c / d), `HF of ${id}`);
      assertClose(num(h.liquidation_health_factor), l / d, 1e-9 * (l / d), `LHF of ${id}`);
      assertClose(num(h.borrow_limit_used), d / c, 1e-9, `borrow limit used of ${id}`);
      const values = p.collateral.reduce((s, b) => s + num(b.value), 0);
      assert.ok(values >= c, `collateral value ${values} >= C ${c}`);
    }
    const sim = await user1.market.simulate({ positionId: ids.main, actions: [{ borrow: { denom: MOET, amount: units(500) } }] });
    assertClose(num(sim.health?.effective_debt), num((await position(ids.main)).health?.effective_debt) + 500, 1e-6, "simulated debt");
    assert.equal(debtOf(await position(ids.main), MOET), 150_000000n); // nothing saved
  });

  it("a healthy position's quote is zeros, not an error", async () => {
    const q = await keeper.liquidator.quote({ positionId: ids.main, debtDenom: MOET, collateralDenom: FLOW });
    assert.equal(q.liquidatable, false);
    assert.equal(q.collateral_out, "0");
  });

  it("lists positions by owner and assets with their totals", async () => {
    const mine = await user1.market.positions({ owner: user1.address, limit: 100 });
    assert.ok(mine.some((p) => p.position_id === ids.main) && mine.every((p) => p.owner === user1.address));
    const usdc = await user1.market.asset({ denom: USDC });
    assert.ok(BigInt(usdc.total_supply) >= 10_000_000_000000n, "the seeded USDC pool");
    assert.ok(num(usdc.utilization) > 0 && num(usdc.utilization) < 1);
  });
});

describe("bad input: the transaction fails with the typed error and changes nothing", () => {
  it("open_position with invalid automation, and with an unlisted denom", async () => {
    const automation: MarketTypes.Automation = { draw_down_sink: null, top_up_source: null, health: { min: "1.5", target: "1.3", max: "1.6" }, self_repay: false };
    await expectFailure(user1, /invalid automation: .*target 1.3 must be above min 1.5/, (fee) =>
      user1.market.openPosition({ automation }, fee, undefined, [{ denom: FLOW, amount: units(1) }]),
    );
    await expectFailure(user1, /asset ustake is not listed/, (fee) => user1.market.openPosition({}, fee, undefined, [{ denom: FEE_DENOM, amount: "1000" }]));
  });

  it("deposit of a new denom into someone else's position; a zero cw20 send", async () => {
    await expectFailure(user2, /unauthorized/, (fee) => user2.market.deposit({ positionId: ids.main }, fee, undefined, [{ denom: USDC, amount: units(1) }]), { positions: [ids.main] });
    await expectFailure(user1, /zero amount|Invalid zero amount/i, (fee) => user1.cw20(KFL_TOKEN).send({ contract: market, amount: "0", msg: KeelMarketHooks.deposit({ positionId: ids.main }) }, fee), {
      positions: [ids.main],
    });
  });

  it("borrow below the health floor, and by someone else", async () => {
    await expectFailure(user1, /health factor .* would be below the floor 1/, (fee) => user1.market.borrow({ positionId: ids.main, denom: MOET, amount: units(100000) }, fee), { positions: [ids.main] });
    await expectFailure(user2, /unauthorized/, (fee) => user2.market.borrow({ positionId: ids.main, denom: USDC, amount: units(1) }, fee), { positions: [ids.main] });
  });

  it("repay of a debt the position does not have", async () => {
    await expectFailure(user1, new RegExp(`position ${ids.main} has no debt in uusdc`), (fee) => user1.market.repay({ positionId: ids.main }, fee, undefined, [{ denom: USDC, amount: units(1) }]), {
      positions: [ids.main],
    });
  });

  it("a cw20 repay of a debt the position does not have: the sent MOET stays with the sender", async () => {
    await expectFailure(user1, new RegExp(`position ${ids.noDebt} has no debt in ${MOET}`), (fee) =>
      user1.moet.send({ contract: market, amount: units(1), msg: KeelMarketHooks.repay({ positionId: ids.noDebt }) }, fee),
      { others: [market], positions: [ids.noDebt] },
    );
  });

  it("withdraw of more than the position holds", async () => {
    await expectFailure(user1, /insufficient collateral of uflow/, (fee) => user1.market.withdraw({ positionId: ids.main, denom: FLOW, amount: units(1_000_000) }, fee), { positions: [ids.main] });
  });

  it("set_automation by someone else; rebalance and allow_top_up of a missing position", async () => {
    await expectFailure(user2, /unauthorized/, (fee) => user2.market.setAutomation({ positionId: ids.main }, fee), { positions: [ids.main] });
    await expectFailure(keeper, /position 999999999 not found/, (fee) => keeper.market.rebalance({ positionId: 999999999 }, fee));
    await expectFailure(user2, /position 999999999 not found/, (fee) => user2.market.allowTopUp({ positionId: 999999999, amount: units(1) }, fee));
  });

  it("liquidation of a healthy position", async () => {
    await expectFailure(
      liquidator,
      new RegExp(`position ${ids.victimNative} is not liquidatable`),
      (fee) => liquidator.liquidator.liquidate({ positionId: ids.victimNative, debtDenom: USDC, collateralDenom: FLOW }, fee, undefined, [{ denom: USDC, amount: units(10) }]),
      { positions: [ids.victimNative] },
    );
  });

  it("liquidation of a healthy position with MOET sent through the cw20 hook", async () => {
    await expectFailure(
      liquidator,
      new RegExp(`position ${ids.victimMoet} is not liquidatable`),
      (fee) =>
        liquidator.moet.send(
          { contract: liquidatorContract, amount: units(10), msg: KeelLiquidatorHooks.liquidate({ positionId: ids.victimMoet, debtDenom: MOET, collateralDenom: FLOW }) },
          fee,
        ),
      { others: [liquidatorContract, market], positions: [ids.victimMoet] },
    );
  });

  it("a price push by someone who is not a feeder", async () => {
    await expectFailure(user1, /is not a feeder/, (fee) => user1.oracle.pushPrices({ prices: [{ denom: FLOW, price: "1" }] }, fee));
    assert.equal((await user1.oracle.price({ denom: FLOW })).price, "2");
  });
});
