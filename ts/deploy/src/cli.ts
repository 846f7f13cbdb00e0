#!/usr/bin/env node
/**
 * keel-deploy: deploys Keel to a CosmWasm chain and writes deployments/<chain-id>.json.
 * See `keel-deploy --help` and docs/DEPLOY.md.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { type Account, type Deployment, readAccounts, readDeployment } from "@keel/client";

import { connect } from "./chain";
import { type DeployConfig, readConfig } from "./config";
import { deploy } from "./deploy";
import { pushPrices, seed } from "./seed";

const ROOT = path.resolve(__dirname, "../../..");

const USAGE = `usage: keel-deploy <command> [options]

commands:
  deploy   upload the artifacts (those not stored yet), instantiate what is missing in the
           SPEC 3.0 order, list the assets, wire the liquidator, write the deployment record
  seed     (local chains) push the config's initial prices from its feeders, supply the pools,
           give MOET to the accounts that need it; needs --accounts and an existing record
  prices   push prices from the config's seed feeders: DENOM=PRICE arguments, or without
           arguments the config's initial prices again (they go stale after max_age)

options (a flag wins over its environment variable, which wins over the config file):
  --config FILE          deployment config (KEEL_DEPLOY_CONFIG; default deployments/config/<chain-id>.json)
  --rpc URL              CometBFT RPC endpoint (KEEL_RPC)
  --chain-id ID          the chain expected at the RPC; anything else is refused (KEEL_CHAIN_ID)
  --gas-price PRICE      e.g. 0.025ustake (KEEL_GAS_PRICE)
  --artifacts DIR        the wasm artifacts and checksums.txt (KEEL_ARTIFACTS; default artifacts/)
  --out FILE             the deployment record (default deployments/<chain-id>.json)
  --accounts FILE        accounts file [{name, address, mnemonic}] for @name addresses and seeding (KEEL_ACCOUNTS)
  --deployer NAME        take the deployer's mnemonic from the accounts file (test chains only);
                         otherwise it is read from KEEL_DEPLOYER_MNEMONIC, never from a flag
  --publish-accounts     write the accounts file next to the record (<chain-id>.accounts.json)
  --seed                 deploy, then seed (one run)
  -h, --help             this text`;

class UsageError extends Error {}

function log(line: string): void {
  process.stderr.write(`[deploy] ${line}\n`);
}

function writeJsonAtomically(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  renameSync(tmp, file);
}

function initialPrices(config: DeployConfig, deployment: Deployment): Map<string, string> {
  const prices = new Map<string, string>();
  config.assets.forEach((a, i) => {
    if (!a.initial_price) return;
    const denom = a.token ? deployment.tokens[a.token]?.address && `cw20:${deployment.tokens[a.token].address}` : a.denom;
    if (!denom) throw new Error(`assets[${i}]: token ${a.token} is not in the deployment record`);
    prices.set(denom, a.initial_price);
  });
  return prices;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      rpc: { type: "string" },
      "chain-id": { type: "string" },
      "gas-price": { type: "string" },
      artifacts: { type: "string" },
      out: { type: "string" },
      accounts: { type: "string" },
      deployer: { type: "string" },
      "publish-accounts": { type: "boolean" },
      seed: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (!command || !["deploy", "seed", "prices"].includes(command)) throw new UsageError(command ? `unknown command "${command}"` : "no command");
  if (command !== "prices" && rest.length) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
  const env = process.env;

  const chainIdHint = values["chain-id"] ?? env.KEEL_CHAIN_ID;
  const configFile = values.config ?? env.KEEL_DEPLOY_CONFIG ?? (chainIdHint ? path.join(ROOT, "deployments/config", `${chainIdHint}.json`) : undefined);
  if (!configFile) throw new UsageError("no deployment config: --config FILE (or --chain-id to use deployments/config/<chain-id>.json)");
  const config = readConfig(configFile);
  const chainId = values["chain-id"] ?? env.KEEL_CHAIN_ID ?? config.chain_id;
  const rpc = values.rpc ?? env.KEEL_RPC ?? config.rpc;
  const gasPrice = values["gas-price"] ?? env.KEEL_GAS_PRICE ?? config.gas_price;
  if (!chainId) throw new UsageError("no chain id: --chain-id, KEEL_CHAIN_ID or the config's chain_id");
  if (!rpc) throw new UsageError("no RPC endpoint: --rpc, KEEL_RPC or the config's rpc");
  if (!gasPrice) throw new UsageError("no gas price: --gas-price, KEEL_GAS_PRICE or the config's gas_price");
  const prefix = config.bech32_prefix ?? "wasm";
  const out = path.resolve(values.out ?? path.join(ROOT, "deployments", `${chainId}.json`));
  const accountsFile = values.accounts ?? env.KEEL_ACCOUNTS;
  const accounts: Account[] | null = accountsFile ? readAccounts(accountsFile) : null;

  if (command === "seed" || command === "prices") {
    if (!accounts) throw new UsageError(`${command} needs the accounts file (--accounts or KEEL_ACCOUNTS)`);
    if (!config.seed) throw new Error(`${configFile} has no "seed" section`);
    const deployment = readDeployment(out);
    if (deployment.chain_id !== chainId) throw new Error(`${out} is a deployment on ${deployment.chain_id}, not ${chainId}`);
    const overrides = { rpc, gasPrice };
    const d: Deployment = { ...deployment, rpc: overrides.rpc, gas_price: overrides.gasPrice };
    if (command === "seed") {
      await seed(d, config.seed, accounts, initialPrices(config, deployment), log);
    } else {
      const prices = rest.length ? new Map<string, string>() : initialPrices(config, deployment);
      for (const arg of rest) {
        const m = /^([^=]+)=([0-9]+(?:\.[0-9]+)?)$/.exec(arg);
        if (!m) throw new UsageError(`"${arg}" is not DENOM=PRICE (e.g. uflow=2.5)`);
        const asset = deployment.assets.find((a) => a.denom === m[1] || a.symbol === m[1]);
        if (!asset) throw new Error(`no asset ${m[1]} in ${out}`);
        prices.set(asset.denom, m[2]);
      }
      await pushPrices(d, accounts, config.seed.feeders, prices, log);
    }
    return;
  }

  let mnemonic: string | undefined;
  if (values.deployer) {
    if (!accounts) throw new UsageError("--deployer NAME reads the accounts file: give --accounts (or KEEL_ACCOUNTS)");
    const found = accounts.find((a) => a.name === values.deployer);
    if (!found) throw new UsageError(`no account "${values.deployer}" in ${accountsFile}`);
    mnemonic = found.mnemonic;
  } else {
    mnemonic = env.KEEL_DEPLOYER_MNEMONIC;
  }
  if (!mnemonic) throw new UsageError("no deployer key: set KEEL_DEPLOYER_MNEMONIC (or --deployer NAME with --accounts on a test chain)");

  const t0 = Date.now();
  log(`deploying to ${chainId} at ${rpc} (config ${path.relative(process.cwd(), configFile) || configFile})`);
  const { client, address } = await connect({ rpc, mnemonic, prefix, gasPrice, expectedChainId: chainId });
  let deployment: Deployment;
  try {
    const published = values["publish-accounts"] ? path.join(path.dirname(out), `${chainId}.accounts.json`) : null;
    if (published && !accounts) throw new UsageError("--publish-accounts needs the accounts file (--accounts)");
    deployment = await deploy({
      client,
      deployer: address,
      chainId,
      rpc,
      gasPrice,
      prefix,
      config,
      artifacts: path.resolve(values.artifacts ?? env.KEEL_ARTIFACTS ?? path.join(ROOT, "artifacts")),
      accounts,
      accountsFile: published ? path.basename(published) : null,
      log,
    });
    writeJsonAtomically(out, deployment);
    log(`wrote ${path.relative(process.cwd(), out) || out}`);
    if (published && accounts) {
      writeJsonAtomically(
        published,
        accounts.map((a) => ({ name: a.name, address: a.address, mnemonic: a.mnemonic })),
      );
      log(`wrote ${path.relative(process.cwd(), published) || published} (TEST-ONLY keys)`);
    }
  } finally {
    client.disconnect();
  }
  if (values.seed) {
    if (!accounts) throw new UsageError("--seed needs the accounts file (--accounts)");
    if (!config.seed) throw new Error(`${configFile} has no "seed" section`);
    await seed(deployment, config.seed, accounts, initialPrices(config, deployment), log);
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  printSummary(deployment, out);
}

function printSummary(d: Deployment, out: string): void {
  const lines = [
    `Keel is deployed on ${d.chain_id}`,
    `  RPC         ${d.rpc}   (gas price ${d.gas_price})`,
    `  market      ${d.contracts.market}`,
    `  oracle      ${d.contracts.oracle}`,
    `  liquidator  ${d.contracts.liquidator}`,
    `  MOET        ${d.contracts.moet}   (denom ${d.moet_denom})`,
    "  assets",
    ...d.assets.map((a) => `    ${a.symbol.padEnd(6)} ${a.kind.padEnd(6)} ${a.denom}`),
    `  record      ${path.relative(process.cwd(), out) || out}`,
  ];
  if (d.accounts_file) lines.push(`  accounts    ${path.join(path.relative(process.cwd(), path.dirname(out)) || ".", d.accounts_file)}   (TEST-ONLY mnemonics)`);
  console.log(lines.join("\n"));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`keel-deploy: ${e.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`[deploy] ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
