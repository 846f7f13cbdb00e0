/**
 * The deployment record that `keel-deploy` writes to `deployments/<chain-id>.json`, and the
 * accounts file of a local chain (`deployments/<chain-id>.accounts.json`): everything a wallet,
 * a bot or a frontend needs to use a Keel deployment. Both are plain JSON (snake_case keys, as
 * the contracts' messages), readable without this package; see docs/DEPLOY.md.
 */
import type { AssetParams } from "./generated/KeelMarket.types";
import type { PriceSource } from "./generated/KeelOracle.types";

/** The record's format version: bumped when a field changes meaning or is removed. */
export const DEPLOYMENT_FORMAT = 1;

/** One listed asset of a deployment. */
export interface DeployedAsset {
  /** The market's denom: a native denom, or `cw20:<token address>`. */
  denom: string;
  /** A short display name (e.g. `FLOW`, `MOET`). */
  symbol: string;
  /** `pool` or `minted` (MOET). */
  kind: "pool" | "minted";
  /** Decimals of the token: `amount / 10^decimals` whole tokens. */
  decimals: number;
  /** The cw20 token's address for a cw20 asset, else null. */
  cw20: string | null;
  /** The oracle's sources for the denom, in order; null for MOET (priced at 1 by the market). */
  oracle_sources: PriceSource[] | null;
  /** The parameters listed with `list_asset` (or the last `update_asset`). */
  params: AssetParams;
}

/** `deployments/<chain-id>.json`. */
export interface Deployment {
  /** {@link DEPLOYMENT_FORMAT} of the writer. */
  format: number;
  /** The chain's id (checked against the RPC's on every deploy). */
  chain_id: string;
  /** The CometBFT RPC endpoint the deployment was made through. */
  rpc: string;
  /** Gas price for fees, e.g. `0.025ustake` (CosmJS `GasPrice.fromString`). */
  gas_price: string;
  /** Bech32 prefix of the chain's addresses. */
  bech32_prefix: string;
  /** The deployer: owner of the oracle, the market and the liquidator, admin of every contract. */
  deployer: string;
  /** Stored code ids; `cw20` is the cw20-base code MOET and any other deployed cw20 token use. */
  code_ids: { market: number; oracle: number; liquidator: number; moet: number };
  /** sha256 of each stored code (as `artifacts/checksums.txt` and the chain's `data_hash`). */
  checksums: { market: string; oracle: string; liquidator: string; moet: string };
  /** Contract addresses. */
  contracts: { market: string; oracle: string; liquidator: string; moet: string };
  /** The market's denom of MOET: `cw20:<moet>`. */
  moet_denom: string;
  /** The listed assets, MOET first. */
  assets: DeployedAsset[];
  /** The oracle's feeders. */
  feeders: string[];
  /** cw20-base tokens the deployment created besides MOET (e.g. a cw20 collateral), by id. */
  tokens: Record<string, { address: string; symbol: string; decimals: number }>;
  /** The accounts file next to the record (local chains only: public test keys), or null. */
  accounts_file: string | null;
}

/** One entry of `deployments/<chain-id>.accounts.json` (a local chain's public test keys). */
export interface Account {
  /** Role name: validator, deployer, feeder1, feeder2, keeper, liquidator, user1-3. */
  name: string;
  /** Its bech32 address. */
  address: string;
  /** Its BIP39 mnemonic (coin type 118, `m/44'/118'/0'/0/0`). TEST-ONLY: public. */
  mnemonic: string;
}

function fail(source: string, what: string): never {
  throw new Error(`${source}: ${what}`);
}

/**
 * Checks a parsed deployment record (the fields every user of it relies on); `source` names it in
 * errors (a file name, a URL). Browser-safe: `readDeployment` (node.ts) reads a file with it.
 */
export function parseDeployment(value: unknown, source: string): Deployment {
  const d = value as Partial<Deployment>;
  if (typeof d !== "object" || d === null) fail(source, "not a JSON object");
  if (d.format !== DEPLOYMENT_FORMAT) fail(source, `format ${String(d.format)}, this reader knows ${DEPLOYMENT_FORMAT}`);
  for (const key of ["chain_id", "rpc", "gas_price", "bech32_prefix", "deployer", "moet_denom"] as const) {
    if (typeof d[key] !== "string" || !d[key]) fail(source, `missing "${key}"`);
  }
  for (const c of ["market", "oracle", "liquidator", "moet"] as const) {
    if (typeof d.contracts?.[c] !== "string") fail(source, `missing contracts.${c}`);
    if (typeof d.code_ids?.[c] !== "number") fail(source, `missing code_ids.${c}`);
  }
  if (!Array.isArray(d.assets) || d.assets.length === 0) fail(source, "no assets");
  return d as Deployment;
}

/** Checks a parsed accounts file (`[{name, address, mnemonic}]`). Browser-safe. */
export function parseAccounts(value: unknown, source: string): Account[] {
  if (!Array.isArray(value)) fail(source, "not a JSON array of {name, address, mnemonic}");
  for (const a of value as Account[]) {
    if (typeof a?.name !== "string" || typeof a.address !== "string" || typeof a.mnemonic !== "string") {
      fail(source, `an entry without name, address and mnemonic: ${JSON.stringify(a)}`);
    }
  }
  return value as Account[];
}

/** The account named `name`, or an error naming the file and the names it has. */
export function account(accounts: Account[], name: string): Account {
  const found = accounts.find((a) => a.name === name);
  if (!found) throw new Error(`no account "${name}" (have: ${accounts.map((a) => a.name).join(", ")})`);
  return found;
}

/** The deployed asset of `denom` (or of symbol `denom`), or an error listing the assets. */
export function assetOf(deployment: Deployment, denomOrSymbol: string): DeployedAsset {
  const found = deployment.assets.find((a) => a.denom === denomOrSymbol || a.symbol === denomOrSymbol);
  if (!found) {
    throw new Error(`no asset ${denomOrSymbol} in ${deployment.chain_id} (have: ${deployment.assets.map((a) => a.symbol).join(", ")})`);
  }
  return found;
}
