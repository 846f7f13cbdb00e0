/**
 * The services' connection to the chain: one CometBFT client (with a request timeout, which
 * CosmJS's own `connect` does not set) shared by a query client and, when the service signs, a
 * signing client; the RPC's chain id checked against the deployment record; transactions sent with
 * a simulated gas limit, their events returned, and errors sorted into those of the contract (the
 * chain refused this message: skip it) and those of the transport (retry later).
 */
import { readFileSync } from "node:fs";

import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, type StdFee } from "@cosmjs/stargate";
import { Comet1Client, Comet38Client, type CometClient, HttpClient, Tendermint37Client } from "@cosmjs/tendermint-rpc";
import {
  account as accountNamed,
  accountsFileOf,
  BROADCAST_POLL_INTERVAL_MS,
  contractError,
  type Deployment,
  KeelLiquidatorQueryClient,
  KeelMarketQueryClient,
  KeelOracleQueryClient,
  readAccounts,
  readDeployment,
  walletFromMnemonic,
} from "@keel/client";

import type { CommonConfig, ServiceCommonConfig } from "./config";
import { ConfigError } from "./config";
import { errorText } from "./log";

/** A chain event as CosmJS and CometBFT report it. */
export interface ChainEvent {
  readonly type: string;
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
}

/** The chain could not be reached at start (exit code 3). */
export class UnreachableError extends Error {}

/** Rejects after `seconds` with "`what`: no answer within ... s". */
export function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether `error` is the chain refusing the message itself (a contract error, in a simulation or
 * in a block), as opposed to the RPC failing. A contract error is about this message: retrying the
 * same message unchanged fails the same way.
 */
export function isContractError(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /execute wasm contract failed|failed to execute message|query wasm contract failed/.test(text);
}

/** The contract's own words out of a contract error (else the whole message). */
export { contractError };

/** What a sent transaction did. */
export interface SentTx {
  hash: string;
  height: number;
  gasUsed: number;
  gasWanted: number;
  /** The fee paid, in fee-denom base units. */
  fee: bigint;
  events: readonly ChainEvent[];
}

/** A transaction included in a block that failed there (its fee was charged). */
export class TxFailedError extends Error {
  constructor(
    message: string,
    readonly hash: string,
    readonly height: number,
    readonly gasUsed: number,
  ) {
    super(message);
  }
}

export interface Chain {
  deployment: Deployment;
  rpc: string;
  chainId: string;
  comet: CometClient;
  query: CosmWasmClient;
  market: KeelMarketQueryClient;
  oracle: KeelOracleQueryClient;
  liquidator: KeelLiquidatorQueryClient;
  gasPrice: GasPrice;
  /** The fee denom (of the gas price). */
  feeDenom: string;
  /** The signer's address and client; null for a read-only connection. */
  address: string | null;
  signer: SigningCosmWasmClient | null;
  gasMultiplier: number;
  disconnect(): void;
}

/** The mnemonic of the service's key: the accounts file's `account`, `mnemonic_file`, or KEEL_MNEMONIC. */
export function loadMnemonic(common: CommonConfig, section: ServiceCommonConfig, deployment: Deployment, deploymentFile: string, env: NodeJS.ProcessEnv = process.env): string {
  const sources = [section.account !== null, section.mnemonic_file !== null, !!env.KEEL_MNEMONIC].filter(Boolean).length;
  if (sources > 1) throw new ConfigError("the key is given more than once: set only one of account, mnemonic_file and the environment variable KEEL_MNEMONIC");
  if (section.account !== null) {
    const file = common.accounts_file ?? accountsFileOf(deployment, deploymentFile);
    if (!file) throw new ConfigError(`account "${section.account}" needs an accounts file: set accounts_file (KEEL_ACCOUNTS); ${deploymentFile} names none`);
    try {
      return accountNamed(readAccounts(file), section.account).mnemonic;
    } catch (e) {
      throw new ConfigError(`account "${section.account}": ${(e as Error).message}`);
    }
  }
  if (section.mnemonic_file !== null) {
    let text: string;
    try {
      text = readFileSync(section.mnemonic_file, "utf8").trim();
    } catch (e) {
      throw new ConfigError(`cannot read mnemonic_file ${section.mnemonic_file}: ${(e as Error).message}`);
    }
    if (!text) throw new ConfigError(`mnemonic_file ${section.mnemonic_file} is empty`);
    return text;
  }
  if (env.KEEL_MNEMONIC) return env.KEEL_MNEMONIC;
  throw new ConfigError("no signing key: set account (test chains), mnemonic_file, or the environment variable KEEL_MNEMONIC");
}

/** Reads the deployment record, with a ConfigError naming the key when it cannot. */
export function loadDeployment(file: string): Deployment {
  try {
    return readDeployment(file);
  } catch (e) {
    throw new ConfigError(`deployment: ${(e as Error).message}`);
  }
}

/** A CometBFT client for the node's version (as CosmJS's connectComet), with a request timeout. */
async function cometClient(rpc: string, timeoutSeconds: number): Promise<CometClient> {
  const http = new HttpClient(rpc, timeoutSeconds * 1000);
  const probe = Tendermint37Client.create(http);
  const version = (await probe.status()).nodeInfo.version;
  if (version.startsWith("0.38.")) return Comet38Client.create(http);
  if (version.startsWith("1.")) return Comet1Client.create(http);
  return probe;
}

/**
 * Connects to the deployment's chain (`rpc` or the record's), checks its chain id, and with a
 * mnemonic builds the signing client. Throws UnreachableError when the RPC does not answer.
 */
export async function connectChain(opts: {
  deployment: Deployment;
  rpc: string | null;
  gasPrice: string | null;
  mnemonic: string | null;
  timeoutSeconds: number;
  gasMultiplier: number;
}): Promise<Chain> {
  const { deployment } = opts;
  const rpc = opts.rpc ?? deployment.rpc;
  let gasPrice: GasPrice;
  try {
    gasPrice = GasPrice.fromString(opts.gasPrice ?? deployment.gas_price);
  } catch (e) {
    throw new ConfigError(`invalid gas price "${opts.gasPrice ?? deployment.gas_price}" (expected e.g. 0.025ustake): ${(e as Error).message}`);
  }
  const wallet = opts.mnemonic !== null ? await walletFromMnemonic(opts.mnemonic, deployment.bech32_prefix) : null;
  let comet: CometClient;
  try {
    comet = await withTimeout(cometClient(rpc, opts.timeoutSeconds), opts.timeoutSeconds, `connecting to ${rpc}`);
  } catch (e) {
    throw new UnreachableError(`cannot reach the chain's RPC at ${rpc}: ${errorText(e)}`);
  }
  const query = CosmWasmClient.create(comet);
  const chainId = await withTimeout(query.getChainId(), opts.timeoutSeconds, `asking ${rpc} for its chain id`).catch((e: Error) => {
    comet.disconnect();
    throw new UnreachableError(`cannot reach the chain's RPC at ${rpc}: ${errorText(e)}`);
  });
  if (chainId !== deployment.chain_id) {
    comet.disconnect();
    throw new ConfigError(`the RPC at ${rpc} serves chain "${chainId}", but the deployment record is of "${deployment.chain_id}" (check rpc / KEEL_RPC and deployment / KEEL_DEPLOYMENT)`);
  }
  let address: string | null = null;
  let signer: SigningCosmWasmClient | null = null;
  if (wallet) {
    [{ address }] = await wallet.getAccounts();
    signer = SigningCosmWasmClient.createWithSigner(comet, wallet, {
      gasPrice,
      broadcastPollIntervalMs: BROADCAST_POLL_INTERVAL_MS,
      broadcastTimeoutMs: 60_000,
    });
  }
  const c = deployment.contracts;
  return {
    deployment,
    rpc,
    chainId,
    comet,
    query,
    market: new KeelMarketQueryClient(query, c.market),
    oracle: new KeelOracleQueryClient(query, c.oracle),
    liquidator: new KeelLiquidatorQueryClient(query, c.liquidator),
    gasPrice,
    feeDenom: gasPrice.denom,
    address,
    signer,
    gasMultiplier: opts.gasMultiplier,
    disconnect: () => comet.disconnect(),
  };
}

/** The fee of `gasLimit` at the chain's gas price. */
export function feeFor(chain: Pick<Chain, "gasPrice">, gasLimit: number): StdFee {
  return calculateFee(gasLimit, chain.gasPrice);
}

/** Simulates `messages` from the service's account; the gas limit to send them with (simulated x multiplier). */
export async function simulateGas(chain: Chain, messages: readonly EncodeObject[]): Promise<{ simulated: number; gasLimit: number }> {
  if (!chain.signer || !chain.address) throw new Error("this connection has no signing key");
  const simulated = await chain.signer.simulate(chain.address, messages, undefined);
  return { simulated, gasLimit: Math.ceil(simulated * chain.gasMultiplier) };
}

/**
 * Signs and broadcasts `messages` with `gasLimit` (simulate first when null), waits for the block,
 * and returns what it did; a transaction that fails in its block throws TxFailedError.
 */
export async function sendTx(chain: Chain, messages: readonly EncodeObject[], gasLimit: number | null = null, memo = "keel-ops"): Promise<SentTx> {
  if (!chain.signer || !chain.address) throw new Error("this connection has no signing key");
  const limit = gasLimit ?? (await simulateGas(chain, messages)).gasLimit;
  const fee = feeFor(chain, limit);
  const result = await chain.signer.signAndBroadcast(chain.address, messages, fee, memo);
  const feePaid = BigInt(fee.amount.find((c) => c.denom === chain.feeDenom)?.amount ?? "0");
  if (result.code !== 0) {
    throw new TxFailedError(
      `transaction ${result.transactionHash} failed at height ${result.height} (code ${result.code}): ${result.rawLog ?? ""}`,
      result.transactionHash,
      result.height,
      Number(result.gasUsed),
    );
  }
  return {
    hash: result.transactionHash,
    height: result.height,
    gasUsed: Number(result.gasUsed),
    gasWanted: Number(result.gasWanted),
    fee: feePaid,
    events: result.events,
  };
}

/** Every value of attribute `key` in events of `type` emitted by `contract` (wasm events carry `_contract_address`). */
export function contractAttributes(events: readonly ChainEvent[], type: string, contract: string, key: string): string[] {
  const values: string[] = [];
  for (const e of events) {
    if (e.type !== type) continue;
    if (!e.attributes.some((a) => a.key === "_contract_address" && a.value === contract)) continue;
    for (const a of e.attributes) if (a.key === key) values.push(a.value);
  }
  return values;
}

/** The latest block's height and time (seconds), from the node's status. */
export async function latestBlock(chain: Chain, timeoutSeconds: number): Promise<{ height: number; time: number; earliestHeight: number }> {
  const status = await withTimeout(chain.comet.status(), timeoutSeconds, `status of ${chain.rpc}`);
  const info = status.syncInfo;
  return {
    height: info.latestBlockHeight,
    time: Math.floor(info.latestBlockTime.getTime() / 1000),
    earliestHeight: info.earliestBlockHeight ?? 1,
  };
}
