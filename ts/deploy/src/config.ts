/**
 * The deployment config (`deployments/config/<name>.json`): what to deploy. Addresses may be
 * written `@name` to name an account of the accounts file (`--accounts`), for local chains whose
 * test accounts are known; a real chain's config uses plain addresses.
 */
import { readFileSync } from "node:fs";

import type { Account, MarketTypes, OracleTypes } from "@keel/client";

/** A cw20-base token the deployment creates besides MOET (e.g. a cw20 collateral for tests). */
export interface TokenConfig {
  /** Name used by assets (`"token": "<id>"`) and in the record's `tokens`. */
  id: string;
  /** cw20 `name` (3-50 characters). */
  name: string;
  /** cw20 `symbol` (3-12 letters or `-`). */
  symbol: string;
  /** cw20 `decimals`. */
  decimals: number;
  /** Balances minted at instantiation (`@name` or an address). */
  initial_balances: { address: string; amount: string }[];
}

/** One asset to list (MOET is listed from `moet`). */
export interface AssetConfig {
  /** A native denom; or leave it out and name a `token`. */
  denom?: string;
  /** The id of a token of `tokens` (listed as `cw20:<address>`). */
  token?: string;
  /** Display name in the record (default: the token's symbol or the denom). */
  symbol?: string;
  /** The market's parameters. */
  params: MarketTypes.AssetParams;
  /** The oracle's sources for the denom, in order (e.g. `[{"feed": {}}, {"twap": {}}]`). */
  oracle_sources: OracleTypes.PriceSource[];
  /** Price pushed by the feeders when seeding a local chain (MOET per whole token). */
  initial_price?: string;
}

/** `deployments/config/<name>.json`. */
export interface DeployConfig {
  /** The chain the config is meant for; the RPC's chain id must match. */
  chain_id?: string;
  /** CometBFT RPC endpoint (KEEL_RPC or --rpc override it). */
  rpc?: string;
  /** Gas price, e.g. `0.025ustake` (KEEL_GAS_PRICE or --gas-price override it). */
  gas_price?: string;
  /** Bech32 prefix of addresses (default `wasm`). */
  bech32_prefix?: string;
  /** Labels are `<label_prefix>-oracle`, `-market`, `-moet`, `-liquidator`, `-token-<id>`. */
  label_prefix?: string;
  /** The oracle's instantiate message, without `owner` (the deployer). */
  oracle: Omit<OracleTypes.InstantiateMsg, "owner">;
  /** Optional fields of the market's instantiate message (`owner`, `oracle` are filled in). */
  market?: Omit<MarketTypes.InstantiateMsg, "owner" | "oracle" | "liquidator">;
  /** The liquidator's factors. */
  liquidator: { close_factor: string; liquidation_bonus: string };
  /** MOET: the cw20 token and its listing (kind `minted`). */
  moet: { name: string; symbol: string; decimals: number; params: MarketTypes.AssetParams };
  /** The oracle's feeders (`@name` or addresses). */
  feeders: string[];
  /** cw20-base tokens to create (deployed with MOET's code). */
  tokens?: TokenConfig[];
  /** The assets listed after MOET, in order. */
  assets: AssetConfig[];
  /** Local chains: what `keel-deploy seed` does after the deployment (see seed.ts). */
  seed?: SeedConfig;
}

/** The sample market's opening state on a local chain. */
export interface SeedConfig {
  /** Accounts that push every `initial_price` (two: the second confirms the first). */
  feeders: string[];
  /** Positions opened to supply the pools (`account`: an accounts-file name). */
  lenders: { account: string; denom: string; amount: string }[];
  /** Accounts that open a position with `collateral` and borrow `borrow` MOET (they hold MOET). */
  moet_holders: { account: string; collateral: { denom: string; amount: string }; borrow: string }[];
}

const ADDRESS_REF = /^@([A-Za-z0-9_-]+)$/;

/** Reads a config file with a clear error for each malformed part. */
export function readConfig(file: string): DeployConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read the deployment config ${file}: ${(e as Error).message}`);
  }
  const c = raw as DeployConfig;
  const bad = (what: string): never => {
    throw new Error(`deployment config ${file}: ${what}`);
  };
  if (typeof c !== "object" || c === null) bad("not a JSON object");
  if (typeof c.oracle !== "object" || c.oracle === null) bad('missing "oracle" (its instantiate message without owner)');
  if (typeof c.liquidator?.close_factor !== "string" || typeof c.liquidator?.liquidation_bonus !== "string") {
    bad('"liquidator" needs close_factor and liquidation_bonus (decimal strings)');
  }
  if (typeof c.moet?.symbol !== "string" || typeof c.moet?.params !== "object") bad('"moet" needs name, symbol, decimals and params');
  if (c.moet.params.kind !== "minted") bad('"moet.params.kind" must be "minted"');
  if (!Array.isArray(c.feeders)) bad('"feeders" must be an array of addresses');
  if (!Array.isArray(c.assets)) bad('"assets" must be an array');
  const tokenIds = new Set((c.tokens ?? []).map((t) => t.id));
  const denoms = new Set<string>();
  c.assets.forEach((a, i) => {
    if (!!a.denom === !!a.token) bad(`assets[${i}] needs exactly one of "denom" (native) or "token" (a tokens id)`);
    if (a.token && !tokenIds.has(a.token)) bad(`assets[${i}] names token "${a.token}", which "tokens" does not define`);
    if (a.denom?.startsWith("cw20:")) bad(`assets[${i}]: write a cw20 asset as {"token": ...}, not denom ${a.denom}`);
    const key = a.denom ?? `token:${a.token}`;
    if (denoms.has(key)) bad(`assets[${i}] lists ${key} twice`);
    denoms.add(key);
    if (typeof a.params !== "object" || a.params === null) bad(`assets[${i}] has no params`);
    if (a.params.kind !== "pool") bad(`assets[${i}]: only MOET is "minted"; this one must be "pool"`);
    if (!Array.isArray(a.oracle_sources) || a.oracle_sources.length === 0) bad(`assets[${i}] needs oracle_sources`);
  });
  return c;
}

/**
 * Replaces every `@name` address of the config by that account's address; an error when a name
 * is used without an accounts file or is not in it.
 */
export function resolveAddress(value: string, accounts: Account[] | null, where: string): string {
  const m = ADDRESS_REF.exec(value);
  if (!m) return value;
  if (!accounts) throw new Error(`${where}: ${value} names an account, but no accounts file was given (--accounts)`);
  const found = accounts.find((a) => a.name === m[1]);
  if (!found) throw new Error(`${where}: no account "${m[1]}" in the accounts file (have: ${accounts.map((a) => a.name).join(", ")})`);
  return found.address;
}
