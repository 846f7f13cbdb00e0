/** Small helpers around the generated clients: cw20 denoms, events and contract errors. */
import type { ExecuteResult } from "@cosmjs/cosmwasm-stargate";

/** The market's denom of a cw20 token: `cw20:<address>` (SPEC 1). */
export function cw20Denom(address: string): string {
  return `cw20:${address}`;
}

/** The token address of a `cw20:<address>` denom, or null for a native denom. */
export function cw20AddressOf(denom: string): string | null {
  return denom.startsWith("cw20:") ? denom.slice("cw20:".length) : null;
}

/** Every value of attribute `key` in events of type `type` (e.g. `wasm`) of a transaction. */
export function eventAttributes(result: Pick<ExecuteResult, "events">, type: string, key: string): string[] {
  const values: string[] = [];
  for (const event of result.events) {
    if (event.type !== type) continue;
    for (const attr of event.attributes) if (attr.key === key) values.push(attr.value);
  }
  return values;
}

/** The id of the position an `open_position` transaction created (its `position_id` attribute). */
export function openedPositionId(result: Pick<ExecuteResult, "events">): number {
  const ids = eventAttributes(result, "wasm", "position_id");
  if (ids.length === 0) throw new Error("no position_id attribute in the transaction's wasm events");
  const id = Number(ids[0]);
  if (!Number.isSafeInteger(id)) throw new Error(`position_id ${ids[0]} is not an integer`);
  return id;
}

/**
 * The contract's own error out of a failed transaction or simulation, as CosmJS reports it
 * (`... failed to execute message; message index: 0: <the ContractError text>: execute wasm
 * contract failed ...`); the whole message when it has no such part.
 */
export function contractError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const match = /message index: \d+: (.*?): (?:execute|instantiate|migrate) wasm contract failed/s.exec(text);
  return match ? match[1] : text;
}
