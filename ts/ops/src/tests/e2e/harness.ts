/**
 * What the services' end-to-end tests share: the deployment under test (a fresh chain of
 * scripts/e2e.sh, or any local deployment), signers of its test accounts, and the `keel-ops`
 * command run as operators run it: a child process with a config file, `--once` for one round,
 * or live with its metrics scraped, stopped with SIGTERM.
 *
 * Environment: KEEL_DEPLOYMENT (the record; default deployments/keel-local.json),
 * KEEL_DEPLOYMENT_ACCOUNTS (default: the record's accounts file).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type Account, account, accountsFileOf, assetOf, connectSigner, type Deployment, type KeelSigner, type MarketTypes, readAccounts, readDeployment } from "@keel/client";

export const ROOT = path.resolve(__dirname, "../../../../..");
export const CLI = path.resolve(__dirname, "../../cli.js");

export const deploymentFile = path.resolve(process.env.KEEL_DEPLOYMENT ?? path.join(ROOT, "deployments/keel-local.json"));
export const deployment: Deployment = readDeployment(deploymentFile);
const accountsFile = process.env.KEEL_DEPLOYMENT_ACCOUNTS ?? accountsFileOf(deployment, deploymentFile);
if (!accountsFile) throw new Error(`${deploymentFile} names no accounts file: set KEEL_DEPLOYMENT_ACCOUNTS`);
export const accounts: Account[] = readAccounts(accountsFile);

export const FLOW = assetOf(deployment, "FLOW").denom;
export const USDC = assetOf(deployment, "USDC").denom;
export const KFL = assetOf(deployment, "KFL").denom;
export const MOET = deployment.moet_denom;
export const BASE_PRICES: Record<string, string> = { [FLOW]: "2", [KFL]: "0.5", [USDC]: "1" };

/** Whole tokens to base units (6 decimals, as every asset of the sample). */
export function units(whole: number | string): string {
  const [i, f = ""] = String(whole).split(".");
  return (BigInt(i) * 1_000_000n + BigInt((f + "000000").slice(0, 6))).toString();
}

const signers = new Map<string, KeelSigner>();
export async function signer(name: string): Promise<KeelSigner> {
  let s = signers.get(name);
  if (!s) {
    s = await connectSigner(deployment, account(accounts, name).mnemonic);
    signers.set(name, s);
  }
  return s;
}
export function disconnectAll(): void {
  for (const s of signers.values()) s.client.disconnect();
  signers.clear();
}

/** Pushes prices from feeder1 then feeder2 (the second confirms a move beyond the guard). */
export async function pushBoth(prices: Record<string, string>): Promise<void> {
  const list = Object.entries(prices).map(([denom, price]) => ({ denom, price }));
  for (const name of ["feeder1", "feeder2"]) await (await signer(name)).oracle.pushPrices({ prices: list });
}

export async function position(id: number): Promise<MarketTypes.PositionResponse> {
  return (await signer("user1")).market.position({ positionId: id });
}
export function debtOf(p: MarketTypes.PositionResponse, denom: string): bigint {
  return BigInt(p.debt.find((d) => d.denom === denom)?.amount ?? "0");
}
export function hf(p: MarketTypes.PositionResponse): number {
  const v = p.health?.health_factor;
  assert.ok(v != null, `position ${p.position_id} has no health factor`);
  return Number(v);
}
export async function moetBalance(address: string): Promise<bigint> {
  const r = (await (await signer("user1")).client.queryContractSmart(deployment.contracts.moet, { balance: { address } })) as { balance: string };
  return BigInt(r.balance);
}
/** The account's sequence: how many transactions it has signed (a service that sent none leaves it unchanged). */
export async function sequenceOf(address: string): Promise<number> {
  return (await (await signer("user1")).client.getSequence(address)).sequence;
}
export async function height(): Promise<number> {
  return (await signer("user1")).client.getHeight();
}

/** A folder for one test file's configs and source files, deleted by `cleanup`. */
export function workDir(): { dir: string; write(name: string, value: unknown): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "keel-ops-e2e-"));
  return {
    dir,
    write(name, value) {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A config file for `service` signing as `accountName`, with `section` over the defaults. */
export function serviceConfig(service: "feeder" | "keeper" | "liquidator", accountName: string, section: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deployment: deploymentFile,
    accounts_file: accountsFile,
    startup_timeout_seconds: 5,
    [service]: { account: accountName, metrics_port: 0, poll_seconds: 1, ...section },
  };
}

/** One JSON log line of a service. */
export interface LogLine {
  level: string;
  service: string;
  msg: string;
  [field: string]: unknown;
}

function parseLines(text: string, into: LogLine[], raw: string[]): void {
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    raw.push(line);
    try {
      into.push(JSON.parse(line) as LogLine);
    } catch {
      // a line that is not JSON (a crash's stack) is kept in `raw` for the failure message
    }
  }
}

/** `keel-ops <args>` to completion: its exit code and log lines. */
export function runOps(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number | null; lines: LogLine[]; raw: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...cleanEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const lines: LogLine[] = [];
    const raw: string[] = [];
    let out = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`keel-ops ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${out}\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      parseLines(out, lines, raw);
      resolve({ code, lines, raw, stderr });
    });
  });
}

/**
 * The environment of the services under test: this process's, without the KEEL_* variables a
 * developer's shell or scripts/e2e.sh may hold (the config files say everything).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("KEEL_")) env[k] = v;
  return env;
}

/** A live `keel-ops` process. */
export interface LiveService {
  child: ChildProcess;
  lines: LogLine[];
  raw: string[];
  /** The metrics port it logged. */
  metricsPort(): Promise<number>;
  metrics(): Promise<Map<string, number>>;
  /** Resolves with the first log line matching, waiting up to `timeoutMs`. */
  waitForLine(match: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

export function startOps(args: string[]): LiveService {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  const lines: LogLine[] = [];
  const raw: string[] = [];
  let partial = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    partial += d.toString();
    const cut = partial.lastIndexOf("\n");
    if (cut >= 0) {
      parseLines(partial.slice(0, cut), lines, raw);
      partial = partial.slice(cut + 1);
    }
  });
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const service: LiveService = {
    child,
    lines,
    raw,
    async waitForLine(match, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`keel-ops exited (${child.exitCode}) before ${what}:\n${raw.slice(-20).join("\n")}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; last lines:\n${raw.slice(-20).join("\n")}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async metricsPort() {
      const l = await service.waitForLine((x) => x.msg === "metrics served", 15_000, "metrics server");
      return Number(l.port);
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${await service.metricsPort()}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/plain; version=0\.0\.4/);
      return parseMetrics(await res.text());
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return service;
}

/** Prometheus text to `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1).replace("+Inf", "Infinity")));
  }
  return out;
}

/** Polls `check` until it returns a value (not undefined), up to `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Log lines with message `msg`. */
export function linesWith(lines: readonly LogLine[], msg: string): LogLine[] {
  return lines.filter((l) => l.msg === msg);
}
