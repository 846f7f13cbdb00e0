/**
 * A local chain's opening state, so that the sample market is usable at once: prices pushed by
 * both feeders, pools supplied by lenders, MOET in the hands of accounts that need it (the
 * liquidator, for MOET-debt liquidations). Idempotent: prices are pushed again (they go stale
 * after the oracle's max_age), positions are opened only when the account has none of the kind.
 */
import {
  type Account,
  account,
  connectSigner,
  cw20AddressOf,
  type Deployment,
  KeelMarketHooks,
  type KeelSigner,
  openedPositionId,
} from "@keel/client";

import type { SeedConfig } from "./config";

/** Pushes `prices` (denom -> MOET per whole token) from each feeder in turn. */
export async function pushPrices(
  deployment: Deployment,
  accounts: Account[],
  feeders: string[],
  prices: Map<string, string>,
  log: (line: string) => void,
): Promise<void> {
  if (prices.size === 0) return;
  const list = Array.from(prices, ([denom, price]) => ({ denom, price }));
  for (const name of feeders) {
    const signer = await connectSigner(deployment, account(accounts, name).mnemonic);
    try {
      const result = await signer.oracle.pushPrices({ prices: list });
      log(`prices: ${name} pushed ${list.map((p) => `${symbolOf(deployment, p.denom)}=${p.price}`).join(" ")} (gas ${result.gasUsed})`);
    } finally {
      signer.client.disconnect();
    }
  }
}

function symbolOf(deployment: Deployment, denom: string): string {
  return deployment.assets.find((a) => a.denom === denom)?.symbol ?? denom;
}

/** Opens a position of `signer` with `amount` of `denom` as collateral (native funds or cw20 send). */
async function openWith(signer: KeelSigner, deployment: Deployment, denom: string, amount: string): Promise<number> {
  const token = cw20AddressOf(denom);
  const result = token
    ? await signer.cw20(token).send({ contract: deployment.contracts.market, amount, msg: KeelMarketHooks.openPosition() })
    : await signer.market.openPosition({}, "auto", undefined, [{ denom, amount }]);
  return openedPositionId(result);
}

/** Seeds the deployment as `seed` says, with the accounts file's keys. */
export async function seed(
  deployment: Deployment,
  seedConfig: SeedConfig,
  accounts: Account[],
  prices: Map<string, string>,
  log: (line: string) => void,
): Promise<void> {
  await pushPrices(deployment, accounts, seedConfig.feeders, prices, log);

  for (const lender of seedConfig.lenders) {
    const signer = await connectSigner(deployment, account(accounts, lender.account).mnemonic);
    try {
      const positions = await signer.market.positions({ owner: signer.address, limit: 100 });
      const supplying = positions.find((p) => p.collateral.some((c) => c.denom === lender.denom));
      if (supplying) {
        log(`lender ${lender.account}: already supplies ${symbolOf(deployment, lender.denom)} (position ${supplying.position_id})`);
        continue;
      }
      const id = await openWith(signer, deployment, lender.denom, lender.amount);
      log(`lender ${lender.account}: position ${id} supplies ${lender.amount} ${symbolOf(deployment, lender.denom)}`);
    } finally {
      signer.client.disconnect();
    }
  }

  for (const holder of seedConfig.moet_holders) {
    const signer = await connectSigner(deployment, account(accounts, holder.account).mnemonic);
    try {
      const positions = await signer.market.positions({ owner: signer.address, limit: 100 });
      const borrowing = positions.find((p) => p.debt.some((d) => d.denom === deployment.moet_denom));
      if (borrowing) {
        log(`${holder.account}: already borrows MOET (position ${borrowing.position_id})`);
        continue;
      }
      const id = await openWith(signer, deployment, holder.collateral.denom, holder.collateral.amount);
      const result = await signer.market.borrow({ positionId: id, denom: deployment.moet_denom, amount: holder.borrow });
      log(`${holder.account}: position ${id} (${holder.collateral.amount} ${symbolOf(deployment, holder.collateral.denom)}) borrowed ${holder.borrow} MOET base units (gas ${result.gasUsed})`);
    } finally {
      signer.client.disconnect();
    }
  }
}
