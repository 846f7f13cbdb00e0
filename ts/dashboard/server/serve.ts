/**
 * Builds and serves the dashboard (what `scripts/dashboard.sh` runs).
 *
 *   node ts/dashboard/dist-node/server/serve.js [serve|build|dev] --deployment FILE [options]
 *
 * - `serve` (default): builds the page when its sources are newer than the build, then serves it
 *   with Vite's preview server until stopped;
 * - `build`: only builds (into ts/dashboard/dist/, or dist-dev/ with --dev);
 * - `dev`: Vite's dev server (modules compiled on request, reload on change): for working on the
 *   dashboard itself.
 *
 * Options: --deployment FILE (the record; required for serve and dev), --accounts FILE (the test
 * keys; default the record's `accounts_file` next to it; only with --dev), --dev (development
 * mode: the Actions page signs with those keys), --proxy-rpc, --host (default 127.0.0.1),
 * --port (default 5173), --rebuild (build even when up to date).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { type DashboardOptions, DASHBOARD_ROOT, outDir, viteConfig } from "./vite-config";

const USAGE = "usage: serve.js [serve|build|dev] --deployment FILE [--accounts FILE] [--dev] [--proxy-rpc] [--host HOST] [--port PORT] [--rebuild]";

function fail(message: string, code = 1): never {
  console.error(`[dashboard] ${message}`);
  process.exit(code);
}

interface Args extends DashboardOptions {
  command: "serve" | "build" | "dev";
  rebuild: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: "serve", deployment: "", accounts: null, devKeys: false, proxyRpc: false, host: "127.0.0.1", port: 5173, rebuild: false };
  const value = (i: number, flag: string) => argv[i + 1] ?? fail(`${flag} needs a value\n${USAGE}`, 2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (i === 0 && (a === "serve" || a === "build" || a === "dev")) args.command = a;
    else if (a === "--deployment") args.deployment = path.resolve(value(i++, a));
    else if (a === "--accounts") args.accounts = path.resolve(value(i++, a));
    else if (a === "--dev") args.devKeys = true;
    else if (a === "--proxy-rpc") args.proxyRpc = true;
    else if (a === "--host") args.host = value(i++, a);
    else if (a === "--port") args.port = Number(value(i++, a));
    else if (a === "--rebuild") args.rebuild = true;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}\n${USAGE}`, 2);
  }
  if (!Number.isInteger(args.port) || args.port <= 0 || args.port > 65535) fail(`--port must be a port number`, 2);
  if (args.command !== "build") {
    if (!args.deployment) fail(`--deployment FILE is required\n${USAGE}`, 2);
    if (!existsSync(args.deployment)) fail(`no deployment record at ${args.deployment} (scripts/localnet.sh up writes deployments/keel-local.json)`);
    let record: { accounts_file?: unknown };
    try {
      record = JSON.parse(readFileSync(args.deployment, "utf8")) as { accounts_file?: unknown };
    } catch (e) {
      fail(`${args.deployment} is not JSON: ${(e as Error).message}`);
    }
    if (args.devKeys && !args.accounts && typeof record.accounts_file === "string") {
      args.accounts = path.join(path.dirname(args.deployment), record.accounts_file);
    }
    if (args.devKeys && (!args.accounts || !existsSync(args.accounts))) {
      fail(`--dev needs the test accounts file (${args.accounts ?? "the record names none"}): pass --accounts FILE`);
    }
  }
  return args;
}

/** The newest modification time (ms) of the files under `p`. */
function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((name) => newest(path.join(p, name))));
}

/** Whether the build in `dir` is older than anything it is made of. */
function stale(dir: string): boolean {
  const built = path.join(dir, "index.html");
  if (!existsSync(built)) return true;
  const inputs = [
    path.join(DASHBOARD_ROOT, "src"),
    path.join(DASHBOARD_ROOT, "index.html"),
    path.join(DASHBOARD_ROOT, "dist-node/server/vite-config.js"),
    path.join(DASHBOARD_ROOT, "../client/dist"),
    path.join(DASHBOARD_ROOT, "package.json"),
  ];
  return Math.max(...inputs.map(newest)) > statSync(built).mtimeMs;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const vite = await import("vite");
  // `build` alone needs no record: a config with a dummy one (nothing is served)
  const config = viteConfig(args.command === "build" ? { ...args, proxyRpc: false } : args);
  const mode = args.devKeys ? "development mode: test keys" : "read-only";
  if (args.command === "dev") {
    const server = await vite.createServer(config);
    await server.listen();
    console.log(`[dashboard] dev server on http://${args.host}:${args.port}/ (${mode}; deployment ${args.deployment})`);
    return;
  }
  const dir = outDir(args.devKeys);
  if (args.rebuild || args.command === "build" || stale(dir)) {
    const t0 = Date.now();
    await vite.build(config);
    console.log(`[dashboard] built ${path.relative(process.cwd(), dir) || dir} (${mode}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (args.command === "build") return;
  const server = await vite.preview(config);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`[dashboard] http://${args.host}:${args.port}/ (${mode}; deployment ${args.deployment}${args.proxyRpc ? "; RPC proxied at rpc/" : ""})`);
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
