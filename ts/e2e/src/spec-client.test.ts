/**
 * The deployment record and the accounts file are enough for a client that knows only the
 * specification's JSON: plain CosmJS, no @keel/client, messages written by hand. A deposit, a
 * borrow, a repay, a price push and a liquidation, as a wallet or a bot written elsewhere would.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";

import { deploymentFile } from "./harness";

interface Record {
  chain_id: string;
  rpc: string;
  gas_price: string;
  bech32_prefix: string;
  contracts: { market: string; oracle: string; liquidator: string; moet: string };
  assets: { denom: string; symbol: string }[];
  accounts_file: string;
}

const record = JSON.parse(readFileSync(deploymentFile, "utf8")) as Record;
const accounts = JSON.parse(readFileSync(path.join(path.dirname(deploymentFile), record.accounts_file), "utf8")) as { name: string; mnemonic: string }[];
const denom = (symbol: string) => record.assets.find((a) => a.symbol === symbol)?.denom as string;

const clients: SigningCosmWasmClient[] = [];
async function wallet(name: string): Promise<{ client: SigningCosmWasmClient; address: string }> {
  const mnemonic = accounts.find((a) => a.name === name)?.mnemonic as string;
  const w = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: record.bech32_prefix });
  const [{ address }] = await w.getAccounts();
  const client = await SigningCosmWasmClient.connectWithSigner(record.rpc, w, { gasPrice: GasPrice.fromString(record.gas_price), broadcastPollIntervalMs: 300 });
  clients.push(client);
  return { client, address };
}

describe("a client written from the specification alone", () => {
  const FLOW = denom("FLOW");
  const USDC = denom("USDC");
  let id = 0;
  let user: { client: SigningCosmWasmClient; address: string };

  async function push(price: string): Promise<void> {
    for (const f of ["feeder1", "feeder2"]) {
      const { client, address } = await wallet(f);
      await client.execute(address, record.contracts.oracle, { push_prices: { prices: [{ denom: FLOW, price }, { denom: USDC, price: "1" }] } }, "auto");
    }
  }

  before(async () => {
    user = await wallet("user3");
    await push("2");
  });
  after(async () => {
    await push("2");
    for (const c of clients) c.disconnect();
  });

  it("deposits, borrows and repays", async () => {
    const opened = await user.client.execute(user.address, record.contracts.market, { open_position: {} }, "auto", undefined, [{ denom: FLOW, amount: "1000000000" }]);
    const attr = opened.events.flatMap((e) => e.attributes).find((a) => a.key === "position_id");
    id = Number(attr?.value);
    assert.ok(id > 0, "a position id");
    await user.client.execute(user.address, record.contracts.market, { borrow: { position_id: id, denom: USDC, amount: "1400000000" } }, "auto");
    await user.client.execute(user.address, record.contracts.market, { repay: { position_id: id } }, "auto", undefined, [{ denom: USDC, amount: "100000000" }]);
    const p = await user.client.queryContractSmart(record.contracts.market, { position: { position_id: id } });
    const debt = BigInt(p.debt.find((d: { denom: string }) => d.denom === USDC).amount);
    assert.ok(debt >= 1300_000000n && debt < 1300_000100n, `debt ${debt}`);
  });

  it("pushes a price drop and liquidates through the liquidator", async () => {
    await push("1.6"); // -20%: feeder2 confirms feeder1's pending price
    const price = await user.client.queryContractSmart(record.contracts.oracle, { price: { denom: FLOW } });
    assert.equal(price.price, "1.6");
    const q = { position_id: id, debt_denom: USDC, collateral_denom: FLOW };
    const quote = await user.client.queryContractSmart(record.contracts.liquidator, { quote: { ...q, repay_amount: null } });
    assert.equal(quote.liquidatable, true);
    const bot = await wallet("liquidator");
    const before = BigInt((await bot.client.getBalance(bot.address, FLOW)).amount);
    await bot.client.execute(bot.address, record.contracts.liquidator, { liquidate: { ...q, min_collateral_out: null } }, "auto", undefined, [{ denom: USDC, amount: quote.max_repay }]);
    const gained = BigInt((await bot.client.getBalance(bot.address, FLOW)).amount) - before;
    // within the blocks between the quote and the liquidation a debt accrues a few units at most
    assert.ok(gained >= BigInt(quote.collateral_out) - 5n && gained <= BigInt(quote.collateral_out) + 5n, `gained ${gained}, quoted ${quote.collateral_out}`);
  });
});
