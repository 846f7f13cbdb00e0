#!/usr/bin/env node
/**
 * keel-ops: Keel's operators' services. `keel-ops feeder | keeper | liquidator [options]`; see
 * `keel-ops --help` and docs/OPERATORS.md.
 */
import type { Server } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";

import type { Deployment } from "@keel/client";

import { type Chain, connectChain, loadDeployment, loadMnemonic, UnreachableError } from "./chain";
import { ConfigError, COMMON_SCHEMA, describeKeys, type LoadedConfig, loadConfig, type ServiceConfigs, type ServiceName, SERVICES } from "./config";
import { createFeeder } from "./feeder/feeder";
import { createKeeper } from "./keeper/keeper";
import { createLiquidationBot } from "./liquidator/bot";
import { errorText, Logger } from "./log";
import { Registry, serveMetrics } from "./metrics";
import { backoffMs, type Context, EXIT, runLoop, type Service, serviceMetrics, sleep } from "./runner";

const USAGE = `usage: keel-ops <service> [options]
       keel-ops keys [service]        every config key: environment variable, kind, default, meaning

services:
  feeder       pushes oracle prices from a source (random_walk, scripted, file, http)
  keeper       rebalances automated positions that left their health band
  liquidator   liquidates positions through the liquidator contract when the bonus pays for gas

options (a flag wins over its KEEL_* environment variable, which wins over the config file):
  --config FILE        the JSON config (KEEL_OPS_CONFIG); keys: docs/OPERATORS.md or keel-ops keys
  --once               run one round, then exit: 0 done, 1 the round or one of its transactions
                       failed, 2 bad config, 3 RPC unreachable at start
  --deployment FILE    the deployment record (KEEL_DEPLOYMENT; default deployments/keel-local.json)
  --rpc URL            CometBFT RPC (KEEL_RPC; default the record's)
  --account NAME       sign with this account of the accounts file (public test keys only);
                       otherwise <service>.mnemonic_file or the environment variable KEEL_MNEMONIC
  --metrics-port N     Prometheus metrics on 127.0.0.1:N/metrics (0: any free port; "null": none)
  --log-level LEVEL    debug, info, warn, error
  --set KEY=VALUE      any key, e.g. --set feeder.heartbeat_seconds=30 (repeatable)
  --print-config       print the effective config (with where each value came from) and exit
  -h, --help           this text

Stops on SIGINT or SIGTERM after the current round (exit 0); a second signal exits at once.
Logs are JSON lines on stdout.`;

class UsageError extends Error {}

/** Builds a service once connected: each module's `create*`. */
const FACTORIES: { [S in ServiceName]: (ctx: Context, section: ServiceConfigs[S]) => Promise<Service> } = {
  feeder: createFeeder,
  keeper: createKeeper,
  liquidator: createLiquidationBot,
};

function parse(argv: string[]): { service: ServiceName | "keys"; values: Record<string, unknown>; keysFor: string | null } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      once: { type: "boolean" },
      deployment: { type: "string" },
      rpc: { type: "string" },
      account: { type: "string" },
      "metrics-port": { type: "string" },
      "log-level": { type: "string" },
      set: { type: "string", multiple: true },
      "print-config": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    process.exit(EXIT.OK);
  }
  const [service, ...rest] = positionals;
  if (service === "keys") {
    if (rest.length > 1 || (rest[0] && !(SERVICES as readonly string[]).includes(rest[0]))) throw new UsageError(`keel-ops keys [${SERVICES.join(" | ")}]`);
    return { service: "keys", values, keysFor: rest[0] ?? null };
  }
  if (!service) throw new UsageError(`no service given (${SERVICES.join(", ")})`);
  if (!(SERVICES as readonly string[]).includes(service)) throw new UsageError(`unknown service "${service}" (${SERVICES.join(", ")})`);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return { service: service as ServiceName, values, keysFor: null };
}

function sets(service: ServiceName, values: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const shorthand: [string, string][] = [
    ["deployment", "deployment"],
    ["rpc", "rpc"],
    ["log-level", "log_level"],
    ["account", `${service}.account`],
    ["metrics-port", `${service}.metrics_port`],
  ];
  for (const [flag, key] of shorthand) if (typeof values[flag] === "string") out.push([key, values[flag] as string]);
  for (const s of (values.set as string[] | undefined) ?? []) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set ${s}: expected KEY=VALUE`);
    out.push([s.slice(0, eq), s.slice(eq + 1)]);
  }
  return out;
}

function printKeys(service: string | null): void {
  const groups: (ServiceName | null)[] = service ? [null, service as ServiceName] : [null, ...SERVICES];
  for (const g of groups) {
    process.stdout.write(`\n${g ?? "common (top level)"}:\n`);
    for (const k of describeKeys(g)) process.stdout.write(`  ${k.key.padEnd(38)} ${k.env.padEnd(42)} ${k.kind.padEnd(10)} default ${k.default}\n      ${k.doc}\n`);
  }
  process.stdout.write(`\n  (the signing key may also come from the environment variable KEEL_MNEMONIC; ${Object.keys(COMMON_SCHEMA).length} common keys)\n`);
}

/** Connects, retrying with backoff until `startup_timeout_seconds`; UnreachableError after it. */
async function connectWithRetry(loaded: LoadedConfig<ServiceName>, log: Logger, mnemonic: string, deployment: Deployment, signal: AbortSignal): Promise<Chain> {
  const { common, section } = loaded;
  const deadline = Date.now() + common.startup_timeout_seconds * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectChain({ deployment, rpc: common.rpc, gasPrice: common.gas_price, mnemonic, timeoutSeconds: common.rpc_timeout_seconds, gasMultiplier: section.gas_multiplier });
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      const wait = backoffMs(attempt, common.backoff_initial_seconds, common.backoff_max_seconds);
      if (Date.now() + wait > deadline || signal.aborted) throw e;
      log.warn("RPC unreachable at start: retrying", { error: e.message, attempt, retry_in_ms: wait });
      await sleep(wait, signal);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`keel-ops: ${errorText(e)}\n\n${USAGE}\n`);
    return EXIT.CONFIG;
  }
  if (parsed.service === "keys") {
    printKeys(parsed.keysFor);
    return EXIT.OK;
  }
  const service = parsed.service;
  const { values } = parsed;

  let loaded: LoadedConfig<ServiceName>;
  try {
    loaded = loadConfig(service, { file: (values.config as string | undefined) ?? process.env.KEEL_OPS_CONFIG ?? null, sets: sets(service, values) });
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof UsageError)) throw e;
    new Logger(service).error("bad configuration", { error: e.message, exit_code: EXIT.CONFIG });
    process.stderr.write(`keel-ops ${service}: ${e.message}\n`);
    return EXIT.CONFIG;
  }
  if (values["print-config"]) {
    process.stdout.write(JSON.stringify({ file: loaded.file, common: loaded.common, [service]: loaded.section, origins: loaded.origins }, null, 2) + "\n");
    return EXIT.OK;
  }
  const log = new Logger(service, loaded.common.log_level);
  const registry = new Registry();
  const metrics = serviceMetrics(registry, service);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string): void => {
    signals += 1;
    if (signals > 1) {
      log.warn("second stop signal: exiting now", { signal: name });
      process.exit(130);
    }
    log.info("stop requested: finishing the current round", { signal: name });
    controller.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  let server: Server | null = null;
  let chain: Chain | null = null;
  try {
    const deploymentFile = loaded.common.deployment;
    const deployment = loadDeployment(deploymentFile);
    const mnemonic = loadMnemonic(loaded.common, loaded.section, deployment, deploymentFile);
    const section = loaded.section;
    if (section.metrics_port !== null) {
      const served = await serveMetrics(registry, section.metrics_host, section.metrics_port);
      server = served.server;
      log.info("metrics served", { url: `http://${section.metrics_host}:${served.port}/metrics`, port: served.port });
    }
    chain = await connectWithRetry(loaded, log, mnemonic, deployment, controller.signal);
    log.info("connected", { rpc: chain.rpc, chain_id: chain.chainId, address: chain.address, deployment: path.relative(process.cwd(), deploymentFile) || deploymentFile, gas_price: `${chain.gasPrice.amount.toString()}${chain.feeDenom}` });
    const ctx: Context = { chain, log, registry, metrics, rpcTimeoutSeconds: loaded.common.rpc_timeout_seconds, now: () => Math.floor(Date.now() / 1000) };
    const factory = FACTORIES[service] as (ctx: Context, section: ServiceConfigs[ServiceName]) => Promise<Service>;
    const svc = await factory(ctx, section);
    await svc.start();
    return await runLoop(svc, {
      once: values.once === true,
      pollSeconds: section.poll_seconds,
      backoffInitialSeconds: loaded.common.backoff_initial_seconds,
      backoffMaxSeconds: loaded.common.backoff_max_seconds,
      signal: controller.signal,
      log,
      metrics,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error("bad configuration", { error: e.message, exit_code: EXIT.CONFIG });
      process.stderr.write(`keel-ops ${service}: ${e.message}\n`);
      return EXIT.CONFIG;
    }
    log.error("cannot start", { error: errorText(e), exit_code: EXIT.UNREACHABLE });
    process.stderr.write(`keel-ops ${service}: ${errorText(e)}\n`);
    return EXIT.UNREACHABLE;
  } finally {
    chain?.disconnect();
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`keel-ops: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = EXIT.ROUND_FAILED;
  },
);
