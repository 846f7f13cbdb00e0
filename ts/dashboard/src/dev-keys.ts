/**
 * Development mode: signing with the local chain's public test keys. This module is loaded only
 * by a development build (`__KEEL_DEV_KEYS__`, set by `scripts/dashboard.sh --dev`); a
 * production build leaves it out entirely (the check is a build-time constant, so the bundler
 * drops the import), and its server serves no accounts file.
 *
 * The keys come from the accounts file that the server publishes at `keel/accounts.json`
 * (`deployments/<chain-id>.accounts.json`, local chains only): never from the bundle.
 */
import { type Account, connectSigner, type KeelSigner, parseAccounts } from "@keel/client/browser";

import type { Connection } from "./chain";

export interface DevKeys {
  /** The test accounts, without the validator (it only runs the chain). */
  accounts: Account[];
  /** A signing client for the account `name` (connected once). */
  signer(name: string): Promise<KeelSigner>;
}

export async function loadDevKeys(conn: Connection, location: Location): Promise<DevKeys> {
  const url = new URL(new URLSearchParams(location.search).get("accounts") ?? "keel/accounts.json", location.href).href;
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`development mode: no test accounts at ${url} (HTTP ${response.status})`);
  const accounts = parseAccounts(await response.json(), url).filter((a) => a.name !== "validator");
  const signers = new Map<string, Promise<KeelSigner>>();
  return {
    accounts,
    signer(name) {
      let s = signers.get(name);
      if (!s) {
        const account = accounts.find((a) => a.name === name);
        if (!account) return Promise.reject(new Error(`no test account ${name}`));
        s = connectSigner(conn.deployment, account.mnemonic, { rpc: conn.rpc });
        // a failed connection is not kept: the next action tries again
        s.catch(() => signers.delete(name));
        signers.set(name, s);
      }
      return s;
    },
  };
}
