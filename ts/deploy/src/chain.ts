/** Connecting to a chain for the deploy tool, with errors that say what to check. */
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { GasPrice } from "@cosmjs/stargate";
import { BROADCAST_POLL_INTERVAL_MS, walletFromMnemonic } from "@keel/client";

/** Rejects after `seconds` with `what` timed out: CosmJS has no timeout of its own on connect. */
export function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A signing client on `rpc` for `mnemonic`, its address, and the RPC's chain id checked. */
export async function connect(opts: {
  rpc: string;
  mnemonic: string;
  prefix: string;
  gasPrice: string;
  expectedChainId: string;
}): Promise<{ client: SigningCosmWasmClient; address: string; chainId: string }> {
  let gasPrice: GasPrice;
  try {
    gasPrice = GasPrice.fromString(opts.gasPrice);
  } catch (e) {
    throw new Error(`invalid gas price "${opts.gasPrice}" (expected e.g. 0.025ustake): ${(e as Error).message}`);
  }
  const wallet = await walletFromMnemonic(opts.mnemonic, opts.prefix);
  const [{ address }] = await wallet.getAccounts();
  let client: SigningCosmWasmClient;
  try {
    client = await withTimeout(
      SigningCosmWasmClient.connectWithSigner(opts.rpc, wallet, {
        gasPrice,
        broadcastPollIntervalMs: BROADCAST_POLL_INTERVAL_MS,
        broadcastTimeoutMs: 60_000,
      }),
      20,
      `connecting to ${opts.rpc}`,
    );
  } catch (e) {
    throw new Error(
      `cannot reach the chain's RPC at ${opts.rpc}: ${(e as Error).message}. ` +
        "Is the node running (scripts/localnet.sh status) and is this its CometBFT RPC (port 26657 by default)?",
    );
  }
  const chainId = await withTimeout(client.getChainId(), 20, `asking ${opts.rpc} for its chain id`);
  if (chainId !== opts.expectedChainId) {
    client.disconnect();
    throw new Error(
      `the RPC at ${opts.rpc} serves chain "${chainId}", not "${opts.expectedChainId}": refusing to deploy ` +
        "(check --rpc and --chain-id / KEEL_RPC and KEEL_CHAIN_ID)",
    );
  }
  return { client, address, chainId };
}
