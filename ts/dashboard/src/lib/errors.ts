/**
 * A failed query or transaction, told in words: the contract's own error (its `ContractError`
 * text, which names the position, the denom and the limit) without CosmJS's wrapping, with the
 * deployment's denoms replaced by their symbols.
 */
import { contractError } from "@keel/client/browser";

/** A denom -> symbol table, longest denoms first so that no denom is replaced inside another. */
export type SymbolTable = ReadonlyArray<readonly [denom: string, symbol: string]>;

export function symbolTable(assets: ReadonlyArray<{ denom: string; symbol: string }>): SymbolTable {
  return assets.map((a) => [a.denom, a.symbol] as const).sort((a, b) => b[0].length - a[0].length);
}

/** Replaces every denom of `symbols` in `text` by its symbol (`cw20:wasm1...` -> `MOET`). */
export function withSymbols(text: string, symbols: SymbolTable): string {
  let out = text;
  for (const [denom, symbol] of symbols) out = out.split(denom).join(symbol);
  return out;
}

/**
 * What went wrong, in one sentence a person can act on:
 * - a contract refusal (`... message index: 0: <error>: execute wasm contract failed ...`, from a
 *   broadcast or from the fee simulation before it): the contract's error;
 * - a smart query that failed (`Query failed with (6): <error>: query wasm contract failed: ...`):
 *   the contract's error;
 * - an RPC that cannot be reached: says so, with the endpoint;
 * - anything else: the message as it is.
 */
export function explainError(error: unknown, symbols: SymbolTable = [], rpc?: string): string {
  const raw = error instanceof Error ? error.message : String(error);
  if (/Failed to fetch|NetworkError|ECONNREFUSED|fetch failed|Load failed/i.test(raw)) {
    return `cannot reach the chain's RPC${rpc ? ` at ${rpc}` : ""} (is the chain running, and does it allow this page's origin: CORS?)`;
  }
  let text = contractError(error);
  if (text === raw) {
    const query = /Query failed with \(\d+\): (.*?): query wasm contract failed/s.exec(raw);
    if (query) text = query[1];
  }
  text = text.replace(/^(?:Generic error: )?(?:Querier contract error: )?/, "");
  return withSymbols(text.trim(), symbols);
}
