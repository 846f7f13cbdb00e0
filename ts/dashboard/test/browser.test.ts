/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against a running chain with Keel deployed and seeded (scripts/dashboard-test.sh starts a fresh
 * one). The tests share one chain and run in order:
 *
 * 1. the production build signs nothing: no test-key code in its bundle, no accounts served, a
 *    read-only Actions page; served with --proxy-rpc it reaches the chain through its server;
 * 2. the markets page loads with live prices (the oracle's, with source and age) and the rates
 *    as APR and APY;
 * 3. a position opened through the UI (Actions, a test key) shows its band on its page, with the
 *    default bounds and then with its own (set automation through the UI); the what-if and
 *    price-shock panels agree with the chain;
 * 4. prices pushed by the feeder service (keel-ops feeder, one round as each of the two feeders:
 *    a confirmed move beyond the deviation guard) move the band on screen without a reload, to
 *    what the price-shock panel predicted; the position
 *    then shows on the liquidations page with the liquidator's quote, and among the redeemable
 *    positions with the market's redemption quote;
 * 5. a refused borrow shows the contract's reason in words.
 *
 * Screenshots of each page go to $KEEL_SCREENSHOTS (default target/dashboard-screenshots/).
 *
 * Environment: KEEL_DEPLOYMENT (the record; default deployments/keel-local.json),
 * KEEL_DEPLOYMENT_ACCOUNTS (default the record's accounts file), KEEL_CHROMIUM (default
 * /usr/bin/chromium), KEEL_SCREENSHOTS.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";

import {
  account,
  accountsFileOf,
  assetOf,
  connectReader,
  connectSigner,
  type KeelReader,
  type KeelSigner,
  openedPositionId,
  readAccounts,
  readDeployment,
} from "@keel/client";
import { type Browser, chromium, type Page } from "playwright-core";
import type { PreviewServer } from "vite";

import { formatAmount, formatDecimal, formatHealth, formatPercent } from "../src/lib/format";
import { apyOf } from "../src/lib/rates";
import { DASHBOARD_ROOT, outDir, viteConfig } from "../server/vite-config";

const ROOT = path.resolve(DASHBOARD_ROOT, "../..");
const deploymentFile = path.resolve(process.env.KEEL_DEPLOYMENT ?? path.join(ROOT, "deployments/keel-local.json"));
const deployment = readDeployment(deploymentFile);
const recordAccounts = accountsFileOf(deployment, deploymentFile);
const accountsFile = path.resolve(process.env.KEEL_DEPLOYMENT_ACCOUNTS ?? recordAccounts ?? assert.fail(`${deploymentFile} names no accounts file: set KEEL_DEPLOYMENT_ACCOUNTS`));
const accounts = readAccounts(accountsFile);
const shots = path.resolve(process.env.KEEL_SCREENSHOTS ?? path.join(ROOT, "target/dashboard-screenshots"));
const FLOW = assetOf(deployment, "FLOW").denom;
const USDC = assetOf(deployment, "USDC").denom;
const MOET = deployment.moet_denom;
const execFileAsync = promisify(execFile);

/** Chromium as the machine's notes say: Debian's package, no download, no network of its own. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let browser: Browser;
let page: Page;
let reader: KeelReader;
const servers: PreviewServer[] = [];
const signers = new Map<string, KeelSigner>();
let devUrl = "";
let prodUrl = "";
/** The production build again, served with --proxy-rpc. */
let proxyUrl = "";
/** Errors thrown in the page (uncaught exceptions): any is a failure. */
const pageErrors: string[] = [];
/** The position the tests open through the UI. */
let positionId = 0;
/** The price-shock panel's prediction for FLOW at 1.4 (test 3), checked against the chain in test 4. */
let predicted: { hf: string; band: string } | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Serves one mode of the dashboard, after building it (the tests check what the sources give
 * now) unless `build` is false (a second server of the same build).
 */
async function serve(devKeys: boolean, { proxyRpc = false, build = true } = {}): Promise<string> {
  const vite = await import("vite");
  const port = await freePort();
  const config = viteConfig({ deployment: deploymentFile, accounts: devKeys ? accountsFile : null, devKeys, proxyRpc, host: "127.0.0.1", port });
  if (build) await vite.build(config);
  const server = await vite.preview(config);
  servers.push(server);
  return `http://127.0.0.1:${port}/`;
}

async function signer(name: string): Promise<KeelSigner> {
  let s = signers.get(name);
  if (!s) {
    s = await connectSigner(deployment, account(accounts, name).mnemonic);
    signers.set(name, s);
  }
  return s;
}

/** The operators' services (ts/ops): the feeder pushes the tests' prices, as it does on a chain. */
const OPS_CLI = path.join(ROOT, "ts/ops/dist/cli.js");

/**
 * One round of the price feeder (`keel-ops feeder --once`) signing as `account`, from a file
 * source holding `prices` (symbol -> price) and feeding those denoms only; the height after it.
 */
async function feed(account: "feeder1" | "feeder2", prices: Record<string, string>): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), "keel-dashboard-feed-"));
  try {
    const source = path.join(dir, "prices.json");
    const config = path.join(dir, "ops.json");
    writeFileSync(source, JSON.stringify({ prices, timestamp: Math.floor(Date.now() / 1000) }));
    writeFileSync(config, JSON.stringify({ deployment: deploymentFile, accounts_file: accountsFile, feeder: { source: "file", source_path: source, denoms: Object.keys(prices), metrics_port: null } }));
    try {
      await execFileAsync(process.execPath, [OPS_CLI, "feeder", "--once", "--config", config, "--account", account]);
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      throw new Error(`keel-ops feeder --once as ${account} failed: ${(e as Error).message}\n${stdout ?? ""}${stderr ?? ""}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return reader.client.getHeight();
}

/** A round of feeder1, then of feeder2: the second confirms a move beyond the deviation guard. */
async function feedBoth(prices: Record<string, string>): Promise<number> {
  await feed("feeder1", prices);
  return feed("feeder2", prices);
}

/**
 * Waits until the page shows data read at a height above `height` (the shell's
 * `main[data-height]`), on the route shown now (`main[data-route]`: not the page before a hash
 * change).
 */
async function refreshedAfter(height: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (h) => {
      const main = document.querySelector("main");
      return main?.dataset.route === window.location.hash && Number(main.dataset.height ?? 0) > h;
    },
    height,
    { timeout },
  );
}

/** Opens a route (`markets`, `position/4`) and waits for its data as of now; the page refreshes every second. */
async function goto(route: string, base = devUrl): Promise<void> {
  const height = await reader.client.getHeight();
  await page.goto(`${base}?refresh=1#/${route}`);
  await refreshedAfter(height - 1);
}

async function text(testid: string): Promise<string> {
  return (await page.getByTestId(testid).first().innerText()).trim();
}

async function attr(testid: string, name: string): Promise<string | null> {
  return page.getByTestId(testid).first().getAttribute(name);
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Sets an `<input type=range>` as a person dragging it would (an `input` event). */
async function slide(testid: string, value: number): Promise<void> {
  await page.getByTestId(testid).evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  reader = await connectReader(deployment);
  [devUrl, prodUrl] = await Promise.all([serve(true), serve(false)]);
  proxyUrl = await serve(false, { proxyRpc: true, build: false });
  browser = await chromium.launch({ executablePath: process.env.KEEL_CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20_000);
  // fresh prices (the seed's opening ones; both feeders, so that a chain left elsewhere by an
  // earlier run comes back too), and USDC borrowed up to 40% utilization so that the markets page
  // has rates that are not zero (user2, against three times the value in FLOW)
  await feedBoth({ FLOW: "2", KFL: "0.5", USDC: "1" });
  const usdc = await reader.market.asset({ denom: USDC });
  const need = ((BigInt(usdc.total_supply) + BigInt(usdc.reserves)) * 4n) / 10n - BigInt(usdc.total_debt);
  if (need > 0n) {
    const user2 = await signer("user2");
    const opened = await user2.market.openPosition({}, "auto", undefined, [{ denom: FLOW, amount: (need * 2n).toString() }]);
    await user2.market.borrow({ positionId: openedPositionId(opened), denom: USDC, amount: need.toString() });
  }
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  for (const s of signers.values()) s.client.disconnect();
  reader?.client.disconnect();
});

test("the production build signs nothing: no test-key code, no accounts served, read-only actions", async () => {
  const scripts = (dir: string) => readdirSync(path.join(dir, "assets")).filter((f) => f.endsWith(".js"));
  const bundle = (dir: string) => scripts(dir).map((f) => readFileSync(path.join(dir, "assets", f), "utf8")).join("\n");
  // (assert.ok, not assert.match: a failure would print the whole bundle)
  assert.ok(!bundle(outDir(false)).includes("keel/accounts.json"), "the production bundle holds the test-key loader");
  assert.deepEqual(scripts(outDir(false)).filter((f) => f.startsWith("dev-keys")), [], "the production build has a dev-keys chunk");
  // the same checks on the development build find what they look for (else they would prove nothing)
  assert.ok(bundle(outDir(true)).includes("keel/accounts.json"));
  assert.equal(scripts(outDir(true)).filter((f) => f.startsWith("dev-keys")).length, 1);
  const served = await fetch(`${prodUrl}keel/accounts.json`);
  assert.equal(served.status, 404);
  await goto("actions", prodUrl);
  assert.match(await text("actions-read-only"), /Read-only: this build signs nothing/);
  assert.equal(await page.getByTestId("open-submit").count(), 0);
});

test("with --proxy-rpc the page reaches the chain through its own server", async () => {
  const record = (await (await fetch(`${proxyUrl}keel/deployment.json`)).json()) as { rpc: string };
  assert.equal(record.rpc, "/rpc");
  await goto("markets", proxyUrl);
  assert.match(await text("status"), new RegExp(`RPC ${proxyUrl}rpc`));
  assert.equal((await page.getByTestId("asset-MOET").getByTestId("price").innerText()).trim(), "1");
});

test("the markets page loads with live prices, their source and age, and rates as APR and APY", async () => {
  await goto("markets");
  const oracle = await reader.oracle.prices({ denoms: [FLOW, USDC, assetOf(deployment, "KFL").denom] });
  const maxAge = (await reader.oracle.config()).max_age;
  for (const p of oracle) {
    const card = page.getByTestId(`asset-${assetOf(deployment, p.denom).symbol}`);
    assert.equal((await card.getByTestId("price").innerText()).trim(), formatDecimal(p.price, 6), `price of ${p.denom}`);
    assert.equal((await card.getByTestId("price-source").innerText()).trim(), p.source);
    const age = Number(await card.getByTestId("price-age").getAttribute("data-seconds"));
    // pushed by the tests' setup, seconds ago; a price older than max_age is not served at all
    assert.ok(age >= 0 && age < 60 && age <= maxAge, `age ${age} s of ${p.denom}`);
  }
  assert.equal((await page.getByTestId("asset-MOET").getByTestId("price").innerText()).trim(), "1");
  // USDC: 4M of 10M borrowed. APR is the contract's rate, APY e^r - 1 above it
  const usdc = await reader.market.asset({ denom: USDC });
  const card = page.getByTestId("asset-USDC");
  const r = Number(usdc.borrow_rate);
  assert.ok(r > 0.03, `USDC borrow rate ${r}`);
  assert.equal((await card.getByTestId("borrow-apr").innerText()).trim(), formatPercent(r));
  assert.equal((await card.getByTestId("borrow-apy").innerText()).trim(), formatPercent(apyOf(r)));
  assert.notEqual(formatPercent(r), formatPercent(apyOf(r)), "APR and APY differ at this rate");
  assert.equal((await card.getByTestId("utilization").innerText()).trim(), formatPercent(Number(usdc.utilization)));
  const marker = Number(await card.getByTestId("utilization-marker").getAttribute("data-utilization"));
  assert.ok(Math.abs(marker - Number(usdc.utilization)) < 1e-6, `curve marker at ${marker}, utilization ${usdc.utilization}`);
  await screenshot("markets");
});

test("a position opened through the UI shows its band; what-if and price shock agree with the chain", async () => {
  await goto("actions");
  await page.getByTestId("action-account").selectOption("user1");
  await page.getByTestId("open-asset").selectOption(FLOW);
  await page.getByTestId("open-amount").fill("1000");
  await page.getByTestId("open-submit").click();
  const opened = await page.getByTestId("action-ok").innerText();
  const id = Number(/Opened position #(\d+)/.exec(opened)?.[1]);
  assert.ok(id > 0, `no position id in "${opened}"`);
  positionId = id;
  const user1 = await signer("user1");
  const onChain = await reader.market.position({ positionId: id });
  assert.equal(onChain.owner, user1.address);
  // the new position is the one selected for the next action
  assert.equal(await page.getByTestId("action-position").inputValue(), String(id));
  await page.getByTestId("borrow-asset").selectOption(MOET);
  await page.getByTestId("borrow-amount").fill("1000");
  await page.getByTestId("borrow-submit").click();
  await page.getByText(/Borrow: included at height/).waitFor();

  const opening = await reader.market.position({ positionId: id });
  assert.equal(opening.health?.band, "healthy", "1000 FLOW at 2 (CF 0.75) against 1000 MOET: HF 1.5, within the default 1.1 / 1.3 / 1.5");
  // all of the owner's positions, then the position's own page with the market's default bounds
  await goto(`owner/${user1.address}`);
  assert.equal(await attr(`band-${id}`, "data-band"), "healthy");
  await screenshot("owner");
  await page.getByTestId(`position-link-${id}`).click();
  await refreshedAfter((await reader.client.getHeight()) - 1);
  assert.equal(await attr("band", "data-band"), "healthy");
  const config = await reader.market.config();
  assert.equal(Number(await attr("gauge-min", "data-value")), Number(config.default_health.min));
  assert.equal(Number(await attr("gauge-target", "data-value")), Number(config.default_health.target));
  assert.equal(Number(await attr("gauge-max", "data-value")), Number(config.default_health.max));

  // the position's own bounds, set through the UI: HF 1.5 is below their target
  await page.getByText("act on it").click();
  await refreshedAfter((await reader.client.getHeight()) - 1);
  await page.getByTestId("auto-min").fill("1.2");
  await page.getByTestId("auto-target").fill("1.6");
  await page.getByTestId("auto-max").fill("2");
  await page.getByTestId("auto-submit").click();
  await page.getByText(/Set automation: included at height/).waitFor();
  const position = await reader.market.position({ positionId: id });
  assert.deepEqual(position.automation?.health, { min: "1.2", target: "1.6", max: "2" });
  assert.equal(position.health?.band, "below_target");

  await goto(`position/${id}`);
  assert.equal(await attr("band", "data-band"), "below_target");
  assert.equal(await text("hf"), formatHealth(position.health?.health_factor));
  assert.equal(await text("lhf"), formatHealth(position.health?.liquidation_health_factor));
  assert.equal(await attr("gauge-marker", "data-band"), "below_target");
  assert.deepEqual([await attr("gauge-min", "data-value"), await attr("gauge-target", "data-value"), await attr("gauge-max", "data-value")], ["1.2", "1.6", "2"]);
  assert.match(await text("automation-bounds"), /min 1\.2 · target 1\.6 · max 2 \(own\)/);
  const maxBorrow = await reader.market.maxBorrow({ positionId: id, denom: MOET });
  assert.equal(await text("max-borrow-target-MOET"), formatAmount(maxBorrow.at_target, 6, 4));
  assert.equal(await text("max-borrow-floor-MOET"), formatAmount(maxBorrow.at_floor, 6, 4));

  // what if: repay 500 MOET, through simulate: HF 3, above the own max 2
  await page.getByTestId("whatif-kind").selectOption("repay");
  await page.getByTestId("whatif-asset").selectOption(MOET);
  await page.getByTestId("whatif-amount").fill("500");
  await page.getByTestId("whatif-run").click();
  await page.getByTestId("whatif-band").waitFor();
  const simulated = await reader.market.simulate({ positionId: id, actions: [{ repay: { denom: MOET, amount: "500000000" } }] });
  assert.equal(await text("whatif-hf"), formatHealth(simulated.health?.health_factor));
  assert.equal(await attr("whatif-band", "data-band"), simulated.health?.band);
  assert.equal(simulated.health?.band, "overcollateralized", "1500 / 500 = 3");
  assert.equal((await reader.market.position({ positionId: id })).debt[0].amount, position.debt[0].amount, "simulate changed nothing");

  // price shock: at 0% the page's own computation gives the chain's figures
  assert.equal(await page.getByTestId("shock-asset").inputValue(), FLOW);
  assert.equal(await text("shock-hf"), formatHealth(position.health?.health_factor));
  assert.equal(await attr("shock-band", "data-band"), position.health?.band);
  await slide("shock-slider", -30);
  assert.equal(await text("shock-price"), "1.4");
  predicted = { hf: await text("shock-hf"), band: (await attr("shock-band", "data-band")) ?? "" };
  assert.deepEqual(predicted, { hf: "1.05", band: "at_risk" });
  await screenshot("position");
});

test("prices pushed by the feeder service move the band on screen, as the price shock predicted", async () => {
  assert.ok(positionId > 0 && predicted, "needs the position of the previous test");
  await goto(`position/${positionId}`);
  assert.equal(await attr("band", "data-band"), "below_target");
  // a marker that a reload would lose: the band must move by the page's own refresh
  await page.evaluate(() => ((window as unknown as { keelNoReload: boolean }).keelNoReload = true));

  // FLOW 2 -> 1.4 (-30%, beyond the 10% guard), pushed by the feeder service: feeder1's push
  // waits as pending, feeder2's confirms it
  await feed("feeder1", { FLOW: "1.4" });
  const pending = await reader.oracle.price({ denom: FLOW });
  assert.equal(pending.price, "2", "one feeder alone does not move the price");
  assert.equal(pending.pending, true);
  const pushed = await feed("feeder2", { FLOW: "1.4" });
  assert.equal((await reader.oracle.price({ denom: FLOW })).price, "1.4");

  await refreshedAfter(pushed);
  await page.waitForFunction(() => document.querySelector('[data-testid="band"]')?.getAttribute("data-band") === "at_risk");
  const position = await reader.market.position({ positionId });
  assert.equal(position.health?.band, "at_risk");
  assert.equal(await text("hf"), formatHealth(position.health?.health_factor));
  assert.deepEqual({ hf: await text("hf"), band: await attr("band", "data-band") }, predicted, "the chain's HF and band at 1.4 are what the price-shock panel computed");
  assert.equal(await attr("gauge-marker", "data-band"), "at_risk");
  assert.equal(await page.evaluate(() => (window as unknown as { keelNoReload?: boolean }).keelNoReload), true, "the page was reloaded");

  // FLOW 1.4 -> 1.2: LHF 1000 × 1.2 × 0.8 / 1000 = 0.96, liquidatable
  const pushed2 = await feedBoth({ FLOW: "1.2" });
  await refreshedAfter(pushed2);
  await page.waitForFunction(() => document.querySelector('[data-testid="band"]')?.getAttribute("data-band") === "liquidatable");
  assert.equal(await text("lhf"), "0.96");

  await goto("liquidations");
  const quote = await reader.liquidator.quote({ positionId, debtDenom: MOET, collateralDenom: FLOW });
  assert.equal(quote.liquidatable, true);
  assert.equal(quote.repay_amount, "200000000", "the close factor 0.2 of 1000 MOET");
  const row = page.getByTestId(`liquidatable-${positionId}`);
  await row.waitFor();
  assert.equal(await text(`lhf-${positionId}`), "0.96");
  assert.equal(await text(`quote-repay-${positionId}-MOET-FLOW`), "200 MOET");
  // 200 × 1.03 / 1.2 FLOW, rounded down to base units
  assert.equal(quote.collateral_out, "171666666");
  assert.equal(await text(`quote-out-${positionId}-MOET-FLOW`), "171.6666 FLOW");
  // redemptions value collateral at max(price, TWAP): on a fresh chain (no valid TWAP yet, under
  // half its window of history) the position's HF there is 0.9, below 1.3, and MOET can be
  // redeemed against it; on an older chain the TWAP of the earlier FLOW 2 may lift it above
  const redemption = await reader.market.redemptionQuote({ positionId, collateralDenom: FLOW });
  await page.getByTestId("redeemable-count").or(page.getByTestId("no-redeemable")).waitFor();
  if ((await reader.oracle.price({ denom: FLOW })).twap == null) assert.equal(redemption.redeemable, true);
  if (redemption.redeemable) {
    assert.equal(await text(`redeem-repay-${positionId}-FLOW`), formatAmount(redemption.repay_amount, 6, 4));
    assert.equal(await text(`redeem-out-${positionId}-FLOW`), `${formatAmount(redemption.collateral_out, 6, 4)} FLOW`);
  } else {
    assert.equal(await page.getByTestId(`redeem-repay-${positionId}-FLOW`).count(), 0);
  }
  await screenshot("liquidations");
});

test("a refused borrow shows the contract's reason in words", async () => {
  assert.ok(positionId > 0, "needs the position of the earlier tests");
  const before = await reader.market.position({ positionId });
  await goto(`actions?position=${positionId}`);
  // the page signs as the position's owner, with the position chosen
  assert.equal(await page.getByTestId("action-account").inputValue(), "user1");
  await page.waitForFunction((id) => (document.querySelector('[data-testid="action-position"]') as HTMLSelectElement | null)?.value === String(id), positionId);
  await page.getByTestId("borrow-asset").selectOption(MOET);
  await page.getByTestId("borrow-amount").fill("500");
  await page.getByTestId("borrow-submit").click();
  const error = (await page.getByTestId("action-error").innerText()).trim();
  assert.match(error, new RegExp(`Borrow refused: health factor [0-9.]+ of position ${positionId} would be below the floor 1$`));
  assert.doesNotMatch(error, /wasm contract failed|rpc error|Query failed/, "CosmJS's wrapping is left out");
  const after = await reader.market.position({ positionId });
  assert.deepEqual(after.debt.map((d) => d.amount), before.debt.map((d) => d.amount), "nothing was borrowed");
  // the buttons are usable again after the refusal
  assert.equal(await page.getByTestId("borrow-submit").isEnabled(), true);
  await screenshot("actions");
});

test("no uncaught error in the page during the tests", () => {
  assert.deepEqual(pageErrors, []);
});

