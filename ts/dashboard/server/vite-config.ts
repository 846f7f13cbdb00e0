/**
 * The dashboard's Vite configuration, in one place for the build, the preview server and the dev
 * server (serve.ts uses Vite's JavaScript API with it; there is no vite.config file).
 *
 * The server side of the dashboard is small: it serves the built page, plus
 * - `keel/deployment.json`: the deployment record it was given, read from disk at every request
 *   (a re-deploy is seen on the next page load); with `proxyRpc`, its `rpc` says `/rpc`, a path
 *   of this server that forwards to the record's RPC (for an RPC that does not allow the page's
 *   origin: CORS);
 * - `keel/accounts.json`: the local chain's test keys, in development mode only (`devKeys`).
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

import type { InlineConfig, Plugin } from "vite";

export const DASHBOARD_ROOT = path.resolve(__dirname, "../..");

export interface DashboardOptions {
  /** The deployment record to serve (`deployments/<chain-id>.json`). */
  deployment: string;
  /** The accounts file (test keys) to serve; only with `devKeys`. */
  accounts: string | null;
  /** A development build: the Actions page signs with the accounts file's keys. */
  devKeys: boolean;
  /** Forward `rpc/` to the record's RPC and point the served record there. */
  proxyRpc: boolean;
  host: string;
  port: number;
}

/** Where a build goes: production and development builds never share a folder. */
export function outDir(devKeys: boolean): string {
  return path.join(DASHBOARD_ROOT, devKeys ? "dist-dev" : "dist");
}

function readRecord(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Cache-Control", "no-store");
  res.end(JSON.stringify(body, null, 2));
}

/** Serves the record (and in development mode the accounts file) under `keel/`. */
function deploymentFiles(options: DashboardOptions): Plugin {
  const handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const url = (req.url ?? "").split("?")[0];
    try {
      if (url === "/keel/deployment.json") {
        const record = readRecord(options.deployment);
        if (options.proxyRpc) record.rpc = "/rpc";
        return sendJson(res, 200, record);
      }
      if (url === "/keel/accounts.json") {
        if (!options.devKeys || !options.accounts) return sendJson(res, 404, { error: "no test accounts: the dashboard was not started in development mode (--dev)" });
        return sendJson(res, 200, JSON.parse(readFileSync(options.accounts, "utf8")));
      }
    } catch (e) {
      return sendJson(res, 500, { error: (e as Error).message });
    }
    next();
  };
  return {
    name: "keel-deployment-files",
    configureServer: (server) => void server.middlewares.use(handler),
    configurePreviewServer: (server) => void server.middlewares.use(handler),
  };
}

export function viteConfig(options: DashboardOptions): InlineConfig {
  let rpcTarget: string | null = null;
  if (options.proxyRpc) {
    const rpc = readRecord(options.deployment).rpc;
    if (typeof rpc !== "string") throw new Error(`${options.deployment} has no "rpc"`);
    rpcTarget = rpc;
  }
  const proxy = rpcTarget ? { "/rpc": { target: rpcTarget, changeOrigin: true, rewrite: (p: string) => p.replace(/^\/rpc/, "") || "/" } } : undefined;
  return {
    configFile: false,
    root: DASHBOARD_ROOT,
    // relative asset URLs: the build works from any folder it is served from
    base: "./",
    logLevel: "warn",
    clearScreen: false,
    define: { __KEEL_DEV_KEYS__: JSON.stringify(options.devKeys) },
    // @keel/client is a workspace package compiled to CommonJS: the dev server must pre-bundle it
    // (and CosmJS with it) into ES modules; the production build converts it itself
    optimizeDeps: { include: ["@keel/client/browser"] },
    build: { outDir: outDir(options.devKeys), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
    plugins: [deploymentFiles(options)],
    server: { host: options.host, port: options.port, strictPort: true, proxy },
    preview: { host: options.host, port: options.port, strictPort: true, proxy },
  };
}
