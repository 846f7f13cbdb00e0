/**
 * Connecting to a Keel deployment: signing and query clients of every contract from a deployment
 * record and a mnemonic, with the options this project's chains want.
 */
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";

import type { Deployment } from "./deployment";
import { Cw20BaseClient, Cw20BaseQueryClient } from "./generated/Cw20Base.client";
import { KeelLiquidatorClient, KeelLiquidatorQueryClient } from "./generated/KeelLiquidator.client";
import { KeelMarketClient, KeelMarketQueryClient } from "./generated/KeelMarket.client";
import { KeelOracleClient, KeelOracleQueryClient } from "./generated/KeelOracle.client";

/**
 * How often CosmJS polls for a broadcast transaction's inclusion (ms). Its default, 3 s, is ten
 * blocks of the local chain (0.22 s blocks); 300 ms halves the time of a transaction there.
 */
export const BROADCAST_POLL_INTERVAL_MS = 300;

/** Options of {@link connectSigner}. */
export interface SignerOptions {
  /** RPC endpoint; default the deployment's. */
  rpc?: string;
  /** Gas price, e.g. `0.025ustake`; default the deployment's. */
  gasPrice?: string;
  /** Bech32 prefix; default the deployment's. */
  prefix?: string;
  /** Seconds to wait for a transaction's inclusion before giving up (default 60). */
  broadcastTimeoutSeconds?: number;
}

/** Signing clients of every Keel contract for one account. */
export interface KeelSigner {
  /** The account's address (the sender of every message). */
  address: string;
  /** The CosmJS client underneath (bank sends, balances, raw executes). */
  client: SigningCosmWasmClient;
  market: KeelMarketClient;
  oracle: KeelOracleClient;
  liquidator: KeelLiquidatorClient;
  /** MOET (cw20-base). */
  moet: Cw20BaseClient;
  /** A client of any cw20-base token (e.g. a cw20 collateral) for this account. */
  cw20(address: string): Cw20BaseClient;
}

/** Query clients of every Keel contract. */
export interface KeelReader {
  client: CosmWasmClient;
  market: KeelMarketQueryClient;
  oracle: KeelOracleQueryClient;
  liquidator: KeelLiquidatorQueryClient;
  moet: Cw20BaseQueryClient;
  cw20(address: string): Cw20BaseQueryClient;
}

/** A wallet for `mnemonic` with the chain's prefix (HD path `m/44'/118'/0'/0/0`). */
export async function walletFromMnemonic(mnemonic: string, prefix: string): Promise<DirectSecp256k1HdWallet> {
  try {
    return await DirectSecp256k1HdWallet.fromMnemonic(mnemonic.trim(), { prefix });
  } catch (e) {
    // never echo the mnemonic itself
    throw new Error(`invalid mnemonic: ${(e as Error).message}`);
  }
}

/** Connects a signing client for `mnemonic` to the deployment's chain. */
export async function connectSigner(deployment: Deployment, mnemonic: string, options: SignerOptions = {}): Promise<KeelSigner> {
  const prefix = options.prefix ?? deployment.bech32_prefix;
  const wallet = await walletFromMnemonic(mnemonic, prefix);
  const [{ address }] = await wallet.getAccounts();
  const rpc = options.rpc ?? deployment.rpc;
  const client = await SigningCosmWasmClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString(options.gasPrice ?? deployment.gas_price),
    broadcastPollIntervalMs: BROADCAST_POLL_INTERVAL_MS,
    broadcastTimeoutMs: (options.broadcastTimeoutSeconds ?? 60) * 1000,
  });
  const c = deployment.contracts;
  return {
    address,
    client,
    market: new KeelMarketClient(client, address, c.market),
    oracle: new KeelOracleClient(client, address, c.oracle),
    liquidator: new KeelLiquidatorClient(client, address, c.liquidator),
    moet: new Cw20BaseClient(client, address, c.moet),
    cw20: (token: string) => new Cw20BaseClient(client, address, token),
  };
}

/** Connects query clients to the deployment's chain. */
export async function connectReader(deployment: Deployment, rpc: string = deployment.rpc): Promise<KeelReader> {
  const client = await CosmWasmClient.connect(rpc);
  const c = deployment.contracts;
  return {
    client,
    market: new KeelMarketQueryClient(client, c.market),
    oracle: new KeelOracleQueryClient(client, c.oracle),
    liquidator: new KeelLiquidatorQueryClient(client, c.liquidator),
    moet: new Cw20BaseQueryClient(client, c.moet),
    cw20: (token: string) => new Cw20BaseQueryClient(client, token),
  };
}
