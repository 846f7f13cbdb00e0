/** Reading the deployment record and the accounts file from disk (Node only; see deployment.ts). */
import { readFileSync } from "node:fs";
import path from "node:path";

import { type Account, type Deployment, parseAccounts, parseDeployment } from "./deployment";

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
}

/** Reads and checks a deployment record (`deployments/<chain-id>.json`). */
export function readDeployment(file: string): Deployment {
  return parseDeployment(readJson(file), file);
}

/** Reads and checks an accounts file (`deployments/<chain-id>.accounts.json`). */
export function readAccounts(file: string): Account[] {
  return parseAccounts(readJson(file), file);
}

/**
 * The accounts file of the deployment record read from `deploymentFile`: its `accounts_file`,
 * which is relative to the record's folder; null when the record names none (a real chain).
 */
export function accountsFileOf(deployment: Deployment, deploymentFile: string): string | null {
  return deployment.accounts_file ? path.join(path.dirname(deploymentFile), deployment.accounts_file) : null;
}
