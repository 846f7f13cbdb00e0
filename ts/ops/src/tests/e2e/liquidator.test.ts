/**
 * The liquidation bot on a chain. Three positions open at FLOW = 2; a 15% drop, beyond the
 * deviation guard, is pushed by two feeder services (feeder1 then feeder2, `--once` each: the
 * second confirms the first's pending move), which makes all three liquidatable. A live bot,
 * valuing gas at 1 ustake a unit (40 times the chain's minimum) and 1 MOET per STAKE:
 *
 * - liquidates the two large positions (a USDC debt with native funds, a MOET debt through the
 *   MOET token's cw20 send) within a few blocks of the confirmation, and earns their bonus;
 * - skips the small one: its whole debt (7.4 MOET, dust) would earn a 0.22 MOET bonus, less than
 *   the ~0.6 MOET of gas at that price. At the chain's gas price the same bot liquidates it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { openedPositionId } from "@keel/client";

import { BASE_PRICES, debtOf, disconnectAll, FLOW, height, KFL, linesWith, MOET, moetBalance, position, pushBoth, runOps, serviceConfig, signer, startOps, units, USDC, workDir } from "./harness";

const work = workDir();
const ids = { bigUsdc: 0, bigMoet: 0, tiny: 0 };

before(async () => {
  await pushBoth(BASE_PRICES);
});

after(async () => {
  await pushBoth(BASE_PRICES);
  disconnectAll();
  work.cleanup();
});

async function open(owner: string, flow: number, debtDenom: string, debt: string): Promise<number> {
  const s = await signer(owner);
  const id = openedPositionId(await s.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: units(flow) }]));
  await s.market.borrow({ positionId: id, denom: debtDenom, amount: units(debt) });
  return id;
}

function liquidatedLine(lines: { msg: string; position?: unknown }[], id: number): { height?: unknown; bonus_realized?: unknown } | undefined {
  return lines.find((l) => l.msg === "liquidated" && l.position === id) as { height?: unknown; bonus_realized?: unknown } | undefined;
}

describe("liquidation bot", () => {
  it("opens three positions that a 15% FLOW drop makes liquidatable", async () => {
    ids.bigUsdc = await open("user1", 1000, USDC, "1400"); // LHF at 1.7: 1360 / 1400 = 0.971
    ids.bigMoet = await open("user2", 1000, MOET, "1380"); // 1360 / 1380 = 0.986
    ids.tiny = await open("user3", 5, MOET, "7.4"); // 6.8 / 7.4 = 0.919, a dust debt
    for (const id of Object.values(ids)) assert.ok(Number((await position(id)).health?.liquidation_health_factor) > 1);
  });

  it("liquidates the profitable ones within a few blocks of a drop confirmed by a second feeder, and skips the unprofitable one", async () => {
    const botConfig = work.write("bot.json", {
      ...serviceConfig("liquidator", "liquidator", { debt_denoms: ["USDC", "MOET"], fee_token_price: "1", slippage: "0.01" }),
      gas_price: "1ustake",
    });
    const bot = startOps(["liquidator", "--config", botConfig]);
    try {
      await bot.waitForLine((l) => l.msg === "round done (--once)" || l.msg === "liquidation bot started", 20_000, "the bot's start");
      const liq = await signer("liquidator");
      const before = {
        flow: BigInt((await liq.client.getBalance(liq.address, FLOW)).amount),
        usdc: BigInt((await liq.client.getBalance(liq.address, USDC)).amount),
        moet: await moetBalance(liq.address),
      };

      // the drop, through the feeder service run by two feeders
      const prices = work.write("drop.json", { prices: { FLOW: "1.7", KFL: "0.5", USDC: "1" } });
      const first = await runOps(["feeder", "--once", "--config", work.write("f1.json", serviceConfig("feeder", "feeder1", { source: "file", source_path: prices }))]);
      assert.equal(first.code, 0, first.raw.join("\n"));
      assert.equal((linesWith(first.lines, "pushed prices")[0].prices as Record<string, string>).FLOW, "1.7 pending");
      assert.equal((await liq.oracle.price({ denom: FLOW })).price, "2", "the oracle still serves the old price");
      const second = await runOps(["feeder", "--once", "--config", work.write("f2.json", serviceConfig("feeder", "feeder2", { source: "file", source_path: prices }))]);
      assert.equal(second.code, 0, second.raw.join("\n"));
      const confirmation = linesWith(second.lines, "pushed prices")[0];
      assert.equal((confirmation.prices as Record<string, string>).FLOW, "1.7 confirmed");
      assert.equal(linesWith(second.lines, "another feeder's pending move confirmed").length, 1);
      const confirmedAt = Number(confirmation.height);

      await bot.waitForLine((l) => liquidatedLine([l], ids.bigUsdc) !== undefined, 30_000, `the liquidation of position ${ids.bigUsdc}`);
      await bot.waitForLine((l) => liquidatedLine([l], ids.bigMoet) !== undefined, 30_000, `the liquidation of position ${ids.bigMoet}`);
      const usdcLine = liquidatedLine(bot.lines, ids.bigUsdc);
      const moetLine = liquidatedLine(bot.lines, ids.bigMoet);
      const delays = [Number(usdcLine?.height) - confirmedAt, Number(moetLine?.height) - confirmedAt];
      console.log(`# liquidations ${delays.join(" and ")} blocks after the confirming push (height ${confirmedAt})`);
      for (const d of delays) assert.ok(d > 0 && d <= 15, `liquidated ${d} blocks after the confirmation`);

      // the small one: seen, valued, skipped; a few more rounds do not change that
      await bot.waitForLine((l) => l.msg === "liquidatable position skipped: unprofitable" && l.position === ids.tiny, 10_000, "the unprofitable skip");
      const skip = bot.lines.find((l) => l.msg === "liquidatable position skipped: unprofitable" && l.position === ids.tiny);
      assert.ok(Number(skip?.bonus_value) > 0.2 && Number(skip?.bonus_value) < Number(skip?.gas_cost_moet), `bonus ${skip?.bonus_value} below gas ${skip?.gas_cost_moet}`);
      const heightAtSkip = await height();
      while ((await height()) < heightAtSkip + 8) await new Promise((r) => setTimeout(r, 250));
      assert.equal(debtOf(await position(ids.tiny), MOET), 7_400000n, "the unprofitable position is untouched");
      assert.equal(liquidatedLine(bot.lines, ids.tiny), undefined);

      const metrics = await bot.metrics();
      assert.equal(await bot.stop(), 0);

      // what the bot earned: collateral worth the repayment plus the bonus
      const after = {
        flow: BigInt((await liq.client.getBalance(liq.address, FLOW)).amount),
        usdc: BigInt((await liq.client.getBalance(liq.address, USDC)).amount),
        moet: await moetBalance(liq.address),
      };
      const paidUsdc = before.usdc - after.usdc;
      const paidMoet = before.moet - after.moet;
      const gotFlow = after.flow - before.flow;
      assert.ok(paidUsdc >= 280_000000n && paidUsdc <= 280_000100n, `USDC repaid: ${paidUsdc}`); // close factor 0.2 of 1400 (+interest)
      assert.equal(paidMoet, 276_000000n); // 0.2 of 1380 MOET
      const repaidValue = Number(paidUsdc + paidMoet) / 1e6;
      const receivedValue = (Number(gotFlow) / 1e6) * 1.7;
      assert.ok(Math.abs(receivedValue - repaidValue * 1.03) < 0.01, `received ${receivedValue} MOET of FLOW for ${repaidValue} repaid`);
      const bonus = Number(usdcLine?.bonus_realized) + Number(moetLine?.bonus_realized);
      assert.ok(Math.abs(bonus - repaidValue * 0.03) < 0.01, `bonus ${bonus}`);
      for (const id of [ids.bigUsdc, ids.bigMoet]) assert.ok(Number((await position(id)).health?.liquidation_health_factor) >= 1, `position ${id} healthy again`);

      assert.ok((metrics.get("keel_liquidator_bonus_moet_total") ?? 0) >= bonus - 1e-9);
      assert.ok((metrics.get(`keel_liquidator_liquidations_total{debt_denom="${USDC}",collateral_denom="${FLOW}"}`) ?? 0) >= 1);
      assert.ok((metrics.get(`keel_liquidator_liquidations_total{debt_denom="${MOET}",collateral_denom="${FLOW}"}`) ?? 0) >= 1);
      assert.ok((metrics.get('keel_liquidator_skipped_total{reason="unprofitable"}') ?? 0) >= 1);
      assert.equal(metrics.get("keel_liquidator_txs_failed_total"), 0);
      assert.ok((metrics.get(`keel_liquidator_inventory{denom="${USDC}"}`) ?? 0) > 0);
    } finally {
      await bot.stop();
    }
  });

  it("at the chain's own gas price the small liquidation pays for its gas (--once)", async () => {
    const config = work.write("bot-cheap.json", serviceConfig("liquidator", "liquidator", { debt_denoms: ["MOET"], fee_token_price: "1" }));
    const r = await runOps(["liquidator", "--once", "--config", config]);
    assert.equal(r.code, 0, r.raw.join("\n"));
    const line = liquidatedLine(r.lines as { msg: string; position?: unknown }[], ids.tiny);
    assert.ok(line, `liquidated: ${r.raw.join("\n")}`);
    assert.equal(debtOf(await position(ids.tiny), MOET), 0n, "the dust debt is repaid in full");
    assert.ok(Number(line.bonus_realized) > 0.2);
  });
});
