/**
 * Deploys Keel in the order of SPEC 3.0 (oracle, market, MOET with the market as minter, MOET
 * listed as the minted asset, the other assets, the liquidator, `update_config {liquidator}`)
 * and writes the deployment record. Idempotent: stored code is found by checksum, contracts by
 * label and creator, listed assets by an `asset` query; what exists is checked and kept, what
 * differs from the config (asset params, price sources, liquidator factors) is updated.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { ExecuteInstruction, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import {
  type Account,
  cw20Denom,
  type DeployedAsset,
  type Deployment,
  DEPLOYMENT_FORMAT,
  type MarketTypes,
  type OracleTypes,
} from "@keel/client";

import { type DeployConfig, resolveAddress } from "./config";

/** The four artifacts, by their key in the record. */
export const ARTIFACTS = {
  oracle: "keel_oracle.wasm",
  market: "keel_market.wasm",
  liquidator: "keel_liquidator.wasm",
  moet: "keel_moet.wasm",
} as const;
export type CodeKey = keyof typeof ARTIFACTS;

export interface DeployContext {
  client: SigningCosmWasmClient;
  /** The deployer's address: owner and admin of everything deployed. */
  deployer: string;
  chainId: string;
  rpc: string;
  gasPrice: string;
  prefix: string;
  config: DeployConfig;
  /** Folder of the wasm artifacts and checksums.txt. */
  artifacts: string;
  /** Accounts file for `@name` addresses, or null. */
  accounts: Account[] | null;
  /** Path of the accounts file published next to the record, or null. */
  accountsFile: string | null;
  log: (line: string) => void;
}

/** sha256 hex of every artifact, checked against artifacts/checksums.txt. */
export function verifiedArtifacts(dir: string): Record<CodeKey, { file: string; wasm: Uint8Array; checksum: string }> {
  const sums = path.join(dir, "checksums.txt");
  if (!existsSync(sums)) throw new Error(`no ${sums}: scripts/build-wasm.sh builds the artifacts and writes it`);
  const expected = new Map<string, string>();
  for (const line of readFileSync(sums, "utf8").split("\n")) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m) expected.set(m[2], m[1]);
  }
  const out = {} as Record<CodeKey, { file: string; wasm: Uint8Array; checksum: string }>;
  for (const [key, name] of Object.entries(ARTIFACTS) as [CodeKey, string][]) {
    const file = path.join(dir, name);
    if (!existsSync(file)) throw new Error(`no ${file}: scripts/build-wasm.sh builds it`);
    const wasm = readFileSync(file);
    const checksum = createHash("sha256").update(wasm).digest("hex");
    const want = expected.get(name);
    if (!want) throw new Error(`${sums} has no line for ${name}: rebuild with scripts/build-wasm.sh`);
    if (want !== checksum) {
      throw new Error(`${file} has sha256 ${checksum}, but ${sums} says ${want}: the artifact changed after the build; rebuild with scripts/build-wasm.sh`);
    }
    out[key] = { file, wasm: new Uint8Array(wasm), checksum };
  }
  return out;
}

/** Decimal strings without trailing zeros, so that "0.80" and "0.8" compare equal. */
function canonical(value: unknown): unknown {
  if (typeof value === "string" && /^\d+\.\d+$/.test(value)) return value.replace(/\.?0+$/, "");
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Asset params with the market's defaults filled in (SPEC 3.1), as an `asset` query reports them. */
function withDefaults(p: MarketTypes.AssetParams): MarketTypes.AssetParams {
  return {
    collateral_factor: "0",
    liquidation_threshold: "0",
    borrow_factor: "1",
    reserve_factor: "0",
    rate_model: { fixed: { rate: "0" } },
    supply_cap: null,
    borrow_cap: null,
    deposit_enabled: false,
    borrow_enabled: false,
    collateral_enabled: false,
    ...p,
  };
}

function gas(result: { gasUsed: bigint | number }): string {
  return `gas ${Number(result.gasUsed).toLocaleString("en-US")}`;
}

/** Stored codes: one per artifact, found by checksum or uploaded. */
async function storeCodes(ctx: DeployContext): Promise<{ ids: Record<CodeKey, number>; checksums: Record<CodeKey, string> }> {
  const artifacts = verifiedArtifacts(ctx.artifacts);
  ctx.log(`artifacts verified against ${path.join(ctx.artifacts, "checksums.txt")}`);
  const codes = await ctx.client.getCodes();
  const ids = {} as Record<CodeKey, number>;
  const checksums = {} as Record<CodeKey, string>;
  for (const key of Object.keys(ARTIFACTS) as CodeKey[]) {
    const { file, wasm, checksum } = artifacts[key];
    checksums[key] = checksum;
    // the same bytes are the same code, whoever stored them; prefer the deployer's, then the oldest
    const found = codes
      .filter((c) => c.checksum.toLowerCase() === checksum)
      .sort((a, b) => Number(b.creator === ctx.deployer) - Number(a.creator === ctx.deployer) || a.id - b.id)[0];
    if (found) {
      ids[key] = found.id;
      ctx.log(`code ${key}: found, code id ${found.id} (sha256 ${checksum.slice(0, 12)}...)`);
      continue;
    }
    ctx.log(`code ${key}: uploading ${path.basename(file)} (${wasm.length.toLocaleString("en-US")} bytes)`);
    const result = await ctx.client.upload(ctx.deployer, wasm, "auto", "keel-deploy");
    if (result.checksum.toLowerCase() !== checksum) {
      throw new Error(`the chain stored ${key} with checksum ${result.checksum}, not ${checksum}`);
    }
    ids[key] = result.codeId;
    ctx.log(`code ${key}: stored, code id ${result.codeId} (${gas(result)})`);
  }
  return { ids, checksums };
}

interface Existing {
  address: string;
  codeId: number;
  label: string;
}

/** Every contract the deployer instantiated, from codes the deployer or anyone stored, by label. */
async function contractsByLabel(ctx: DeployContext, codeIds: number[]): Promise<Map<string, Existing[]>> {
  const codes = await ctx.client.getCodes();
  const scan = new Set<number>([...codeIds, ...codes.filter((c) => c.creator === ctx.deployer).map((c) => c.id)]);
  const byLabel = new Map<string, Existing[]>();
  for (const codeId of scan) {
    for (const address of await ctx.client.getContracts(codeId)) {
      const info = await ctx.client.getContract(address);
      if (info.creator !== ctx.deployer) continue;
      const list = byLabel.get(info.label) ?? [];
      list.push({ address, codeId, label: info.label });
      byLabel.set(info.label, list);
    }
  }
  return byLabel;
}

/** The deployer's contract labelled `label` on `codeId`, instantiated with `msg` when missing. */
async function ensureContract(
  ctx: DeployContext,
  existing: Map<string, Existing[]>,
  what: string,
  label: string,
  codeId: number,
  msg: Record<string, unknown>,
): Promise<{ address: string; created: boolean }> {
  const found = existing.get(label) ?? [];
  if (found.length > 1) {
    throw new Error(`${found.length} contracts labelled "${label}" by ${ctx.deployer} (${found.map((f) => f.address).join(", ")}): cannot tell which is the deployment's; use another label_prefix`);
  }
  if (found.length === 1) {
    const [f] = found;
    if (f.codeId !== codeId) {
      throw new Error(
        `${what} "${label}" exists at ${f.address} on code ${f.codeId}, but the artifacts are code ${codeId}: ` +
          "migrating a deployment is not this tool's job; deploy under another label_prefix, or on a local chain `scripts/localnet.sh reset`",
      );
    }
    ctx.log(`${what}: found ${f.address} ("${label}", code ${codeId})`);
    return { address: f.address, created: false };
  }
  ctx.log(`${what}: instantiating code ${codeId} as "${label}"`);
  const result = await ctx.client.instantiate(ctx.deployer, codeId, msg, label, "auto", { admin: ctx.deployer });
  ctx.log(`${what}: ${result.contractAddress} (${gas(result)})`);
  return { address: result.contractAddress, created: true };
}

async function executeAll(ctx: DeployContext, what: string, instructions: ExecuteInstruction[]): Promise<void> {
  if (instructions.length === 0) return;
  const result = await ctx.client.executeMultiple(ctx.deployer, instructions, "auto", `keel-deploy: ${what}`);
  ctx.log(`${what}: ${instructions.length} message(s) in tx ${result.transactionHash.slice(0, 12)}... (${gas(result)})`);
}

/** Runs the whole deployment and returns the record (the caller writes it). */
export async function deploy(ctx: DeployContext): Promise<Deployment> {
  const { config: cfg, client } = ctx;
  const prefix = cfg.label_prefix ?? "keel";
  const addr = (value: string, where: string) => resolveAddress(value, ctx.accounts, where);

  const feeDenom = ctx.gasPrice.replace(/^[0-9.]+/, "");
  const balance = await client.getBalance(ctx.deployer, feeDenom);
  if (BigInt(balance.amount) === 0n) throw new Error(`the deployer ${ctx.deployer} holds no ${feeDenom} to pay fees on ${ctx.chainId}`);
  ctx.log(`deployer ${ctx.deployer} (${BigInt(balance.amount).toLocaleString("en-US")} ${feeDenom})`);

  // 0. code
  const { ids: codeIds, checksums } = await storeCodes(ctx);
  const existing = await contractsByLabel(ctx, Object.values(codeIds));

  // 1. oracle, with its feeders
  const oracle = await ensureContract(ctx, existing, "oracle", `${prefix}-oracle`, codeIds.oracle, {
    owner: ctx.deployer,
    ...cfg.oracle,
  });
  const feeders = cfg.feeders.map((f, i) => addr(f, `feeders[${i}]`));
  const current = (await client.queryContractSmart(oracle.address, { feeders: {} })) as string[];
  const missingFeeders = feeders.filter((f) => !current.includes(f));
  await executeAll(
    ctx,
    "oracle feeders",
    missingFeeders.length ? [{ contractAddress: oracle.address, msg: { set_feeders: { add: missingFeeders, remove: [] } } }] : [],
  );

  // 2. market
  const market = await ensureContract(ctx, existing, "market", `${prefix}-market`, codeIds.market, {
    owner: ctx.deployer,
    oracle: oracle.address,
    ...(cfg.market ?? {}),
  });
  const marketConfig = (await client.queryContractSmart(market.address, { config: {} })) as MarketTypes.ConfigResponse;
  if (marketConfig.oracle !== oracle.address) {
    throw new Error(`the market ${market.address} uses oracle ${marketConfig.oracle}, not ${oracle.address}: not this deployment's`);
  }

  // 3. MOET, minted by the market
  const moet = await ensureContract(ctx, existing, "moet", `${prefix}-moet`, codeIds.moet, {
    name: cfg.moet.name,
    symbol: cfg.moet.symbol,
    decimals: cfg.moet.decimals,
    initial_balances: [],
    mint: { minter: market.address },
  });
  const minter = (await client.queryContractSmart(moet.address, { minter: {} })) as { minter: string } | null;
  if (minter?.minter !== market.address) {
    throw new Error(`MOET ${moet.address} is minted by ${minter?.minter ?? "nobody"}, not the market ${market.address}`);
  }

  // other cw20 tokens of the config (cw20-base, MOET's code)
  const tokens: Deployment["tokens"] = {};
  for (const token of cfg.tokens ?? []) {
    const t = await ensureContract(ctx, existing, `token ${token.id}`, `${prefix}-token-${token.id}`, codeIds.moet, {
      name: token.name,
      symbol: token.symbol,
      decimals: token.decimals,
      initial_balances: token.initial_balances.map((b, i) => ({ address: addr(b.address, `tokens.${token.id}.initial_balances[${i}]`), amount: b.amount })),
      mint: null,
    });
    tokens[token.id] = { address: t.address, symbol: token.symbol, decimals: token.decimals };
  }

  // 4. assets: MOET first (the minted asset), then the others with their price sources
  const moetDenom = cw20Denom(moet.address);
  const wanted: { denom: string; symbol: string; params: MarketTypes.AssetParams; sources: OracleTypes.PriceSource[] | null; cw20: string | null }[] = [
    { denom: moetDenom, symbol: cfg.moet.symbol, params: cfg.moet.params, sources: null, cw20: moet.address },
  ];
  for (const a of cfg.assets) {
    const token = a.token ? tokens[a.token] : null;
    const denom = token ? cw20Denom(token.address) : (a.denom as string);
    wanted.push({ denom, symbol: a.symbol ?? token?.symbol ?? denom, params: a.params, sources: a.oracle_sources, cw20: token?.address ?? null });
  }
  const oracleSources = new Map<string, OracleTypes.PriceSourcesResponse>();
  for (let after: string | undefined; ; ) {
    const page = (await client.queryContractSmart(oracle.address, { price_sources: { start_after: after ?? null, limit: 100 } })) as OracleTypes.PriceSourcesResponse[];
    page.forEach((p) => oracleSources.set(p.denom, p));
    if (page.length < 100) break;
    after = page[page.length - 1].denom;
  }
  const sourceMsgs: ExecuteInstruction[] = [];
  for (const w of wanted) {
    if (!w.sources) continue;
    const have = oracleSources.get(w.denom);
    if (have && same(have.sources, w.sources) && have.max_age == null && have.max_deviation == null) continue;
    ctx.log(`oracle: ${have ? "updating" : "setting"} the price sources of ${w.symbol} (${w.denom})`);
    sourceMsgs.push({ contractAddress: oracle.address, msg: { set_price_sources: { denom: w.denom, sources: w.sources, max_age: null, max_deviation: null } } });
  }
  await executeAll(ctx, "oracle price sources", sourceMsgs);

  const listMsgs: ExecuteInstruction[] = [];
  for (const w of wanted) {
    let listed: MarketTypes.AssetResponse | null = null;
    try {
      listed = (await client.queryContractSmart(market.address, { asset: { denom: w.denom } })) as MarketTypes.AssetResponse;
    } catch (e) {
      if (!/is not listed/.test((e as Error).message)) throw e;
    }
    if (!listed) {
      ctx.log(`market: listing ${w.symbol} (${w.denom}, ${w.params.kind})`);
      listMsgs.push({ contractAddress: market.address, msg: { list_asset: { denom: w.denom, params: w.params } } });
    } else if (!same(listed.params, withDefaults(w.params))) {
      ctx.log(`market: ${w.symbol} is listed with other params: update_asset`);
      listMsgs.push({ contractAddress: market.address, msg: { update_asset: { denom: w.denom, params: w.params } } });
    } else {
      ctx.log(`market: ${w.symbol} already listed`);
    }
  }
  await executeAll(ctx, "market assets", listMsgs);

  // 5. liquidator, 6. wired into the market
  const liquidator = await ensureContract(ctx, existing, "liquidator", `${prefix}-liquidator`, codeIds.liquidator, {
    owner: ctx.deployer,
    market: market.address,
    close_factor: cfg.liquidator.close_factor,
    liquidation_bonus: cfg.liquidator.liquidation_bonus,
  });
  const liqConfig = (await client.queryContractSmart(liquidator.address, { config: {} })) as { market: string; close_factor: string; liquidation_bonus: string };
  if (liqConfig.market !== market.address) throw new Error(`the liquidator ${liquidator.address} serves market ${liqConfig.market}, not ${market.address}`);
  const wiring: ExecuteInstruction[] = [];
  if (!same([liqConfig.close_factor, liqConfig.liquidation_bonus], [cfg.liquidator.close_factor, cfg.liquidator.liquidation_bonus])) {
    ctx.log("liquidator: updating close factor and bonus");
    wiring.push({
      contractAddress: liquidator.address,
      msg: { update_config: { market: null, close_factor: cfg.liquidator.close_factor, liquidation_bonus: cfg.liquidator.liquidation_bonus } },
    });
  }
  const config = (await client.queryContractSmart(market.address, { config: {} })) as MarketTypes.ConfigResponse;
  if (config.liquidator !== liquidator.address) {
    ctx.log(`market: update_config {liquidator: ${liquidator.address}}`);
    wiring.push({ contractAddress: market.address, msg: { update_config: { liquidator: liquidator.address } } });
  } else {
    ctx.log("market: liquidator already wired");
  }
  await executeAll(ctx, "liquidator wiring", wiring);

  // the record, from what the chain reports now
  const assets: DeployedAsset[] = [];
  for (const w of wanted) {
    const listed = (await client.queryContractSmart(market.address, { asset: { denom: w.denom } })) as MarketTypes.AssetResponse;
    assets.push({
      denom: w.denom,
      symbol: w.symbol,
      kind: listed.params.kind,
      decimals: listed.params.decimals,
      cw20: w.cw20,
      oracle_sources: w.sources,
      params: listed.params,
    });
  }
  return {
    format: DEPLOYMENT_FORMAT,
    chain_id: ctx.chainId,
    rpc: ctx.rpc,
    gas_price: ctx.gasPrice,
    bech32_prefix: ctx.prefix,
    deployer: ctx.deployer,
    code_ids: codeIds,
    checksums,
    contracts: { market: market.address, oracle: oracle.address, liquidator: liquidator.address, moet: moet.address },
    moet_denom: moetDenom,
    assets,
    feeders: (await client.queryContractSmart(oracle.address, { feeders: {} })) as string[],
    tokens,
    accounts_file: ctx.accountsFile,
  };
}
