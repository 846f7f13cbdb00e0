/**
 * How the keeper learns which positions to look at without scanning every position each round
 * (docs/OPERATORS.md "Keeper: discovery"): it follows the market's own transactions on chain.
 * Every market message emits a `wasm` event with `_contract_address` = the market, an `action` and
 * the `position_id` it touched (open_position, deposit, withdraw, borrow, repay, set_automation,
 * allow_top_up, rebalance, liquidate/seize, redeem...). So the transactions of a block range name
 * every position whose balances or automation changed; prices are watched separately (one oracle
 * query per round). MOET's `increase_allowance` / `decrease_allowance` to the market are followed
 * too: a top-up source that grants an allowance makes its positions worth a fresh look. Two ways to
 * read them:
 *
 * - `tx_search` (default): the node's transaction index, filtered by the market's address, 100
 *   transactions a page: one request per round when the market is quiet;
 * - `block_results`: every block's results, for nodes that run without a transaction index
 *   (`indexer = "null"`): one request per block.
 *
 * The index it keeps (automated positions, the height followed) may be saved to a state file, so a
 * restart catches up on the blocks it missed instead of scanning every position again.
 */
import { renameSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";

import type { CometClient } from "@cosmjs/tendermint-rpc";

import { type ChainEvent, withTimeout } from "../chain";

/** Positions named by the market's transactions in a block range. */
export interface MarketActivity {
  /** Every position a market message touched. */
  touched: Set<number>;
  /** Positions opened or whose automation was set: they may have joined (or left) the automated set. */
  automationChanged: Set<number>;
  /** Addresses whose MOET allowance to the market changed (top-up sources). */
  allowanceOwners: Set<string>;
  /** Market transactions seen. */
  txs: number;
}

export function emptyActivity(): MarketActivity {
  return { touched: new Set(), automationChanged: new Set(), allowanceOwners: new Set(), txs: 0 };
}

/** The contracts whose events the keeper follows. */
export interface Followed {
  market: string;
  moet: string;
}

/** Adds what one successful transaction's events say about the market's positions and MOET allowances to it. */
export function addActivity(events: readonly ChainEvent[], followed: Followed, into: MarketActivity): void {
  let seen = false;
  for (const e of events) {
    if (e.type !== "wasm" && !e.type.startsWith("wasm-")) continue;
    const contract = e.attributes.find((a) => a.key === "_contract_address")?.value;
    if (contract === followed.moet) {
      const action = e.attributes.find((a) => a.key === "action")?.value;
      const spender = e.attributes.find((a) => a.key === "spender")?.value;
      const owner = e.attributes.find((a) => a.key === "owner")?.value;
      if ((action === "increase_allowance" || action === "decrease_allowance") && spender === followed.market && owner) into.allowanceOwners.add(owner);
      continue;
    }
    if (contract !== followed.market) continue;
    seen = true;
    const action = e.attributes.find((a) => a.key === "action")?.value;
    for (const a of e.attributes) {
      if (a.key !== "position_id") continue;
      const id = Number(a.value);
      if (!Number.isSafeInteger(id)) continue;
      into.touched.add(id);
      if (action === "open_position" || action === "set_automation") into.automationChanged.add(id);
    }
  }
  if (seen) into.txs += 1;
}

/** Reads the market's activity of heights `from..to` (inclusive). */
export interface ActivityReader {
  readonly kind: "tx_search" | "block_results";
  read(from: number, to: number): Promise<MarketActivity>;
}

const PER_PAGE = 100;

export class TxSearchReader implements ActivityReader {
  readonly kind = "tx_search";
  constructor(
    private readonly comet: CometClient,
    private readonly followed: Followed,
    private readonly timeoutSeconds: number,
  ) {}

  async read(from: number, to: number): Promise<MarketActivity> {
    const activity = emptyActivity();
    const range = `tx.height>=${from} AND tx.height<=${to}`;
    // CometBFT queries have no OR: one search for the market, one for MOET allowances to it
    await this.search(`wasm._contract_address='${this.followed.market}' AND ${range}`, activity);
    await this.search(`wasm._contract_address='${this.followed.moet}' AND wasm.spender='${this.followed.market}' AND ${range}`, activity);
    return activity;
  }

  private async search(query: string, activity: MarketActivity): Promise<void> {
    for (let page = 1; ; page++) {
      const res = await withTimeout(this.comet.txSearch({ query, page, per_page: PER_PAGE, order_by: "asc" }), this.timeoutSeconds, `tx_search page ${page}`);
      for (const tx of res.txs) if (tx.result.code === 0) addActivity(tx.result.events, this.followed, activity);
      if (res.txs.length < PER_PAGE || page * PER_PAGE >= res.totalCount) return;
    }
  }
}

export class BlockResultsReader implements ActivityReader {
  readonly kind = "block_results";
  constructor(
    private readonly comet: CometClient,
    private readonly followed: Followed,
    private readonly timeoutSeconds: number,
  ) {}

  async read(from: number, to: number): Promise<MarketActivity> {
    const activity = emptyActivity();
    for (let h = from; h <= to; h++) {
      // every CometBFT version's answer has `results` with each transaction's code and events
      const res = await withTimeout(this.comet.blockResults(h) as Promise<{ results: readonly { code: number; events: readonly ChainEvent[] }[] }>, this.timeoutSeconds, `block_results ${h}`);
      for (const tx of res.results) if (tx.code === 0) addActivity(tx.events, this.followed, activity);
    }
    return activity;
  }
}

/** The keeper's state file. */
export interface SavedIndex {
  format: 1;
  chain_id: string;
  market: string;
  /** Events followed through this height. */
  height: number;
  /** The automated positions known (their details are queried again after a restart). */
  automated: number[];
}

/** The saved index, or null when there is none or it is of another chain or market (with the reason). */
export function loadIndex(file: string, chainId: string, market: string): { index: SavedIndex | null; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { index: null, reason: code === "ENOENT" ? `no state file ${file} yet` : `state file ${file} unreadable: ${(e as Error).message}` };
  }
  const s = value as Partial<SavedIndex>;
  if (s?.format !== 1 || typeof s.height !== "number" || !Array.isArray(s.automated)) return { index: null, reason: `state file ${file} is not a keeper index of format 1` };
  if (s.chain_id !== chainId || s.market !== market) return { index: null, reason: `state file ${file} is of chain ${s.chain_id} market ${s.market}, not this one` };
  return { index: s as SavedIndex, reason: "" };
}

/** Writes the index atomically (a crash mid-write leaves the previous file). */
export function saveIndex(file: string, index: SavedIndex): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(index) + "\n");
  renameSync(tmp, file);
}
