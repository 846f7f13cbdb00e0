/**
 * What the end-to-end tests share: the deployment under test, signers of the test accounts,
 * balances, the gas record of every transaction, and failing transactions put on chain.
 *
 * Environment: KEEL_DEPLOYMENT (the record; default deployments/keel-local.json),
 * KEEL_DEPLOYMENT_ACCOUNTS (default: the record's accounts file), KEEL_E2E_GAS_OUT (the gas
 * record; default target/e2e-gas.json).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { ExecuteResult, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { StdFee } from "@cosmjs/stargate";
import {
  type Account,
  account,
  accountsFileOf,
  assetOf,
  connectSigner,
  contractError,
  type Deployment,
  type KeelSigner,
  type MarketTypes,
  readAccounts,
  readDeployment,
} from "@keel/client";

export const ROOT = path.resolve(__dirname, "../../..");

export const deploymentFile = path.resolve(process.env.KEEL_DEPLOYMENT ?? path.join(ROOT, "deployments/keel-local.json"));
export const deployment: Deployment = readDeployment(deploymentFile);
const accountsFile = process.env.KEEL_DEPLOYMENT_ACCOUNTS ?? accountsFileOf(deployment, deploymentFile);
if (!accountsFile) throw new Error(`${deploymentFile} names no accounts file: set KEEL_DEPLOYMENT_ACCOUNTS`);
export const accounts: Account[] = readAccounts(accountsFile);

/** Denoms of the sample deployment (deployments/config/keel-local.json). */
export const FLOW = assetOf(deployment, "FLOW").denom;
export const USDC = assetOf(deployment, "USDC").denom;
export const KFL = assetOf(deployment, "KFL");
export const MOET = deployment.moet_denom;
export const FEE_DENOM = deployment.gas_price.replace(/^[0-9.]+/, "");

/** Whole tokens to base units (6 decimals, as every asset of the sample). */
export function units(whole: number | string): string {
  const [i, f = ""] = String(whole).split(".");
  return (BigInt(i) * 1_000_000n + BigInt((f + "000000").slice(0, 6))).toString();
}

const signers = new Map<string, KeelSigner>();
/** A signer of the test account `name` (connected once). */
export async function signer(name: string): Promise<KeelSigner> {
  let s = signers.get(name);
  if (!s) {
    s = await connectSigner(deployment, account(accounts, name).mnemonic);
    signers.set(name, s);
  }
  return s;
}
export function disconnectAll(): void {
  for (const s of signers.values()) s.client.disconnect();
  signers.clear();
}

/** An account's balances: the native denoms, MOET and KFL, in base units. */
export interface Balances {
  [denom: string]: bigint;
}
export async function balances(client: SigningCosmWasmClient, address: string): Promise<Balances> {
  const out: Balances = {};
  for (const denom of [FEE_DENOM, FLOW, USDC]) out[denom] = BigInt((await client.getBalance(address, denom)).amount);
  for (const asset of [MOET, KFL.denom]) {
    const token = asset.slice("cw20:".length);
    const r = (await client.queryContractSmart(token, { balance: { address } })) as { balance: string };
    out[asset] = BigInt(r.balance);
  }
  return out;
}
/** `after - before` per denom (non-zero ones). */
export function diff(before: Balances, after: Balances): Record<string, bigint> {
  const d: Record<string, bigint> = {};
  for (const k of Object.keys(after)) if (after[k] !== before[k]) d[k] = after[k] - before[k];
  return d;
}

/** One transaction of the gas record. */
export interface GasEntry {
  /** The message as the gas table names it. */
  message: string;
  /** The bench's row for the same message (docs/GAS.md), when there is one. */
  bench: string | null;
  gas_used: number;
  gas_wanted: number;
  height: number;
  tx: string;
  /** Bytes of the signed transaction (the chain charges 10 gas a byte). */
  tx_bytes: number | null;
  /** A transaction that failed in its block (a bad-input test): its gas was charged all the same. */
  failed: boolean;
}
const gasRecord: GasEntry[] = [];

/** Records a successful transaction's gas under `message` (and the bench row it compares with). */
export async function recordGas(message: string, bench: string | null, client: SigningCosmWasmClient, result: ExecuteResult | { transactionHash: string; gasUsed: bigint; gasWanted: bigint; height: number }): Promise<void> {
  const tx = await client.getTx(result.transactionHash);
  gasRecord.push({
    message,
    bench,
    gas_used: Number(result.gasUsed),
    gas_wanted: Number(result.gasWanted),
    height: result.height,
    tx: result.transactionHash,
    tx_bytes: tx ? tx.tx.length : null,
    failed: false,
  });
}

/** Runs `exec` (a transaction), records its gas and returns it. */
export async function tx<T extends ExecuteResult>(message: string, bench: string | null, who: KeelSigner, exec: () => Promise<T>): Promise<T> {
  const result = await exec();
  await recordGas(message, bench, who.client, result);
  return result;
}

export function writeGasRecord(): string {
  const out = path.resolve(process.env.KEEL_E2E_GAS_OUT ?? path.join(ROOT, "target/e2e-gas.json"));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ chain_id: deployment.chain_id, checksums: deployment.checksums, transactions: gasRecord }, null, 2) + "\n");
  return out;
}

/**
 * A fixed fee, so that a transaction meant to fail is broadcast and fails in its block (with
 * "auto" the simulation would refuse it before it reaches the chain). 2,000,000 gas at the
 * deployment's gas price.
 */
export function failingFee(): StdFee {
  const price = Number(deployment.gas_price.match(/^[0-9.]+/)?.[0] ?? "0");
  return { amount: [{ denom: FEE_DENOM, amount: String(Math.ceil(2_000_000 * price)) }], gas: "2000000" };
}

/**
 * Broadcasts a transaction that must fail in its block with the contract error matching
 * `expected`, and checks that it changed nothing but the fee: every balance of `who` (the fee
 * aside) and of `others`, and `positions` as the market reports them.
 */
export async function expectFailure(
  who: KeelSigner,
  expected: RegExp,
  send: (fee: StdFee) => Promise<unknown>,
  opts: { others?: string[]; positions?: number[] } = {},
): Promise<string> {
  const watched = [who.address, ...(opts.others ?? [])];
  const before = await Promise.all(watched.map((a) => balances(who.client, a)));
  const posBefore = await Promise.all((opts.positions ?? []).map((id) => who.market.position({ positionId: id })));
  const fee = failingFee();
  let error: unknown = null;
  try {
    await send(fee);
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected the transaction to fail with ${expected}, but it succeeded`);
  const message = contractError(error);
  // broadcast and failed in a block (not refused by the node's CheckTx or a simulation)
  assert.match(String((error as Error).message), /Error when broadcasting tx .* at height \d+/s, `not a transaction failed in a block: ${String((error as Error).message)}`);
  assert.match(message, expected);
  const hash = /Error when broadcasting tx ([0-9A-F]{64})/.exec(String((error as Error).message))?.[1];
  const failedTx = hash ? await who.client.getTx(hash) : null;
  if (failedTx) {
    gasRecord.push({
      message: `failing: ${message.slice(0, 80)}`,
      bench: null,
      gas_used: Number(failedTx.gasUsed),
      gas_wanted: Number(failedTx.gasWanted),
      height: failedTx.height,
      tx: failedTx.hash,
      tx_bytes: failedTx.tx.length,
      failed: true,
    });
  }
  const after = await Promise.all(watched.map((a) => balances(who.client, a)));
  const feeAmount = BigInt(fee.amount[0].amount);
  for (let i = 0; i < watched.length; i++) {
    const expectedAfter = { ...before[i] };
    if (i === 0) expectedAfter[FEE_DENOM] -= feeAmount;
    assert.deepEqual(after[i], expectedAfter, `balances of ${watched[i]} changed by ${JSON.stringify(diff(before[i], after[i]), (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
  }
  const posAfter = await Promise.all((opts.positions ?? []).map((id) => who.market.position({ positionId: id })));
  posAfter.forEach((p, i) => {
    assert.deepEqual(amounts(p.collateral), amounts(posBefore[i].collateral), `collateral of position ${p.position_id} changed`);
    assert.deepEqual(p.debt.map((d) => d.denom), posBefore[i].debt.map((d) => d.denom), `debts of position ${p.position_id} changed`);
  });
  return message;
}

/** A position's balances as {denom: amount}. */
export function amounts(list: MarketTypes.PositionBalance[]): Record<string, bigint> {
  return Object.fromEntries(list.map((b) => [b.denom, BigInt(b.amount)]));
}

/** Pushes prices (denom -> price) from feeder1 then feeder2: the second confirms a move beyond the deviation guard. */
export async function pushPrices(prices: Record<string, string>, message: string | null = null): Promise<void> {
  const list = Object.entries(prices).map(([denom, price]) => ({ denom, price }));
  for (const name of ["feeder1", "feeder2"]) {
    const f = await signer(name);
    const result = await f.oracle.pushPrices({ prices: list });
    if (message) await recordGas(message, list.length === 1 ? "oracle push_prices (1 denom)" : null, f.client, result);
  }
}

/** Decimal string to a number (for approximate comparisons of health figures only). */
export function num(d: string | null | undefined): number {
  assert.ok(d != null, "expected a number, got null");
  return Number(d);
}
