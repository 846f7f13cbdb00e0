/**
 * The dashboard's view of one Keel deployment: where the record and the RPC are (the page's
 * query string), the query clients, and a snapshot of the markets read in one go.
 *
 * Query parameters (all optional):
 * - `deployment`: URL of the deployment record (`deployments/<chain-id>.json`); default
 *   `keel/deployment.json`, which `scripts/dashboard.sh` serves from the file it was given;
 * - `rpc`: a CometBFT RPC endpoint to use instead of the record's `rpc` (a relative URL is taken
 *   relative to this page; the record's own `rpc` is `/rpc` when served with --proxy-rpc);
 * - `refresh`: seconds between refreshes (default 3; 0 stops them).
 */
import {
  connectReader,
  type DeployedAsset,
  type Deployment,
  type KeelReader,
  type LiquidatorTypes,
  type MarketTypes,
  type OracleTypes,
  parseDeployment,
} from "@keel/client/browser";

import { parseDecimal, WAD } from "./lib/decimal";
import { explainError, type SymbolTable, symbolTable } from "./lib/errors";
import type { AssetPricing } from "./lib/health";

export interface PageConfig {
  deploymentUrl: string;
  rpcOverride: string | null;
  refreshSeconds: number;
}

export function pageConfig(location: Location): PageConfig {
  const q = new URLSearchParams(location.search);
  const refresh = Number(q.get("refresh") ?? "3");
  return {
    deploymentUrl: new URL(q.get("deployment") ?? "keel/deployment.json", location.href).href,
    rpcOverride: q.get("rpc") ? new URL(q.get("rpc") as string, location.href).href.replace(/\/$/, "") : null,
    refreshSeconds: Number.isFinite(refresh) && refresh >= 0 ? refresh : 3,
  };
}

/** A connected deployment. */
export interface Connection {
  deployment: Deployment;
  rpc: string;
  reader: KeelReader;
  symbols: SymbolTable;
  /** The record's entry of a denom (symbol, decimals, cw20 address), if listed there. */
  recordAsset(denom: string): DeployedAsset | undefined;
  /** A short name of a denom: its symbol, else the denom shortened. */
  symbol(denom: string): string;
  /** An error in words, with symbols and this RPC. */
  explain(error: unknown): string;
}

export async function connect(config: PageConfig): Promise<Connection> {
  let response: Response;
  try {
    response = await fetch(config.deploymentUrl, { cache: "no-store" });
  } catch (e) {
    throw new Error(`cannot fetch the deployment record ${config.deploymentUrl}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new Error(`cannot fetch the deployment record ${config.deploymentUrl}: HTTP ${response.status}`);
  const deployment = parseDeployment(await response.json(), config.deploymentUrl);
  // a relative `rpc` (a record served with --proxy-rpc) is a path of the page's own server
  const rpc = config.rpcOverride ?? new URL(deployment.rpc, config.deploymentUrl).href.replace(/\/$/, "");
  let reader: KeelReader;
  try {
    reader = await connectReader(deployment, rpc);
  } catch (e) {
    throw new Error(explainError(e, [], rpc));
  }
  const byDenom = new Map(deployment.assets.map((a) => [a.denom, a]));
  const symbols = symbolTable(deployment.assets);
  return {
    deployment,
    rpc,
    reader,
    symbols,
    recordAsset: (denom) => byDenom.get(denom),
    symbol: (denom) => byDenom.get(denom)?.symbol ?? (denom.length > 16 ? `${denom.slice(0, 10)}…${denom.slice(-4)}` : denom),
    explain: (error) => explainError(error, symbols, rpc),
  };
}

/** One listed asset as the markets page shows it. */
export interface AssetView {
  denom: string;
  symbol: string;
  decimals: number;
  state: MarketTypes.AssetResponse;
  /** The oracle's answer; null for the minted asset (MOET: 1 by definition) and when unavailable. */
  price: OracleTypes.PriceResponse | null;
  /** Why there is no price (the oracle's error), for a pool asset without one. */
  priceError: string | null;
  /** Price atomics as the market uses them (MOET: 1), null when unavailable. */
  priceAtomics: bigint | null;
}

/** Everything the pages share, read at one height. */
export interface Snapshot {
  height: number;
  /** The block's time, seconds: ages are measured against the chain's clock, not the browser's. */
  time: number;
  config: MarketTypes.ConfigResponse;
  oracle: OracleTypes.ConfigResponse;
  liquidator: LiquidatorTypes.ConfigResponse;
  assets: AssetView[];
  /** Params and price per denom, for the health computation. */
  pricing(denom: string): AssetPricing | undefined;
  asset(denom: string): AssetView | undefined;
}

/** Every listed asset (the `assets` query pages through them, 100 at a time). */
async function allAssets(reader: KeelReader): Promise<MarketTypes.AssetResponse[]> {
  const out: MarketTypes.AssetResponse[] = [];
  for (;;) {
    const page = await reader.market.assets({ startAfter: out.at(-1)?.denom, limit: 100 });
    out.push(...page);
    if (page.length < 100) return out;
  }
}

/**
 * Prices of `denoms`: one `prices` query; when it fails (it fails as a whole when one denom has
 * no valid price) each denom alone, so that the others still show and the failing one says why.
 */
async function pricesOf(conn: Connection, denoms: string[]): Promise<Map<string, OracleTypes.PriceResponse | string>> {
  const out = new Map<string, OracleTypes.PriceResponse | string>();
  if (denoms.length === 0) return out;
  try {
    for (const p of await conn.reader.oracle.prices({ denoms })) out.set(p.denom, p);
  } catch {
    await Promise.all(
      denoms.map(async (denom) => {
        try {
          out.set(denom, await conn.reader.oracle.price({ denom }));
        } catch (e) {
          out.set(denom, conn.explain(e));
        }
      }),
    );
  }
  return out;
}

/** The block time of a CometBFT header (RFC 3339 with nanoseconds) in seconds. */
function headerSeconds(time: string): number {
  // Date.parse takes at most milliseconds
  return Math.floor(Date.parse(time.replace(/(\.\d{3})\d*/, "$1")) / 1000);
}

export async function readSnapshot(conn: Connection): Promise<Snapshot> {
  const block = await conn.reader.client.getBlock();
  const [config, oracle, liquidator, assetStates] = await Promise.all([
    conn.reader.market.config(),
    conn.reader.oracle.config(),
    conn.reader.liquidator.config(),
    allAssets(conn.reader),
  ]);
  const minted = assetStates.filter((a) => a.params.kind === "minted").map((a) => a.denom);
  const prices = await pricesOf(
    conn,
    assetStates.map((a) => a.denom).filter((d) => !minted.includes(d)),
  );
  const assets = assetStates.map((state): AssetView => {
    const p = prices.get(state.denom);
    const isMinted = minted.includes(state.denom);
    const price = typeof p === "object" ? p : null;
    return {
      denom: state.denom,
      symbol: conn.symbol(state.denom),
      decimals: state.params.decimals,
      state,
      price,
      priceError: isMinted ? null : typeof p === "string" ? p : price ? null : "no price",
      priceAtomics: isMinted ? WAD : price ? parseDecimal(price.price) : null,
    };
  });
  // the record's order (MOET first, then as the config lists them); assets listed since, after
  const order = (denom: string) => {
    const i = conn.deployment.assets.findIndex((a) => a.denom === denom);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  assets.sort((a, b) => order(a.denom) - order(b.denom));
  const byDenom = new Map(assets.map((a) => [a.denom, a]));
  return {
    height: block.header.height,
    time: headerSeconds(block.header.time),
    config,
    oracle,
    liquidator,
    assets,
    pricing: (denom) => {
      const a = byDenom.get(denom);
      return a ? { params: a.state.params, price: a.priceAtomics } : undefined;
    },
    asset: (denom) => byDenom.get(denom),
  };
}

/** Every position of `owner` (the `positions` query pages through them, 100 at a time). */
export async function positionsOf(conn: Connection, owner: string): Promise<MarketTypes.PositionResponse[]> {
  const out: MarketTypes.PositionResponse[] = [];
  for (;;) {
    const page = await conn.reader.market.positions({ owner, startAfter: out.at(-1)?.position_id, limit: 100 });
    out.push(...page);
    if (page.length < 100) return out;
  }
}

/** Scans positions for liquidatable ones; stops after `maxPages` pages of 100 (a bound on one refresh). */
export async function liquidatablePositions(conn: Connection, maxPages = 20): Promise<{ positions: MarketTypes.PositionResponse[]; lastScanned: number | null; complete: boolean }> {
  const positions: MarketTypes.PositionResponse[] = [];
  let startAfter: number | null = null;
  for (let page = 0; page < maxPages; page++) {
    const r: MarketTypes.LiquidatablePositionsResponse = await conn.reader.market.liquidatablePositions({ startAfter: startAfter ?? undefined, limit: 100 });
    positions.push(...r.positions);
    if (r.last_scanned === null || r.last_scanned === undefined || r.last_scanned === startAfter) {
      return { positions, lastScanned: startAfter, complete: true };
    }
    startAfter = r.last_scanned;
  }
  return { positions, lastScanned: startAfter, complete: false };
}

/** Scans positions for redeemable ones (SPEC 3.6a); bounded as {@link liquidatablePositions}. */
export async function redeemablePositions(conn: Connection, maxPages = 20): Promise<{ positions: MarketTypes.RedeemablePosition[]; complete: boolean }> {
  const positions: MarketTypes.RedeemablePosition[] = [];
  let startAfter: number | null = null;
  for (let page = 0; page < maxPages; page++) {
    const r: MarketTypes.RedeemablePositionsResponse = await conn.reader.market.redeemablePositions({ startAfter: startAfter ?? undefined, limit: 100 });
    positions.push(...r.positions);
    if (r.last_scanned === null || r.last_scanned === undefined || r.last_scanned === startAfter) return { positions, complete: true };
    startAfter = r.last_scanned;
  }
  return { positions, complete: false };
}
