/**
 * The price feeder on a chain: its exit codes, its sources (a file with invalid entries, stale
 * data, an HTTP endpoint), and a live feeder keeping every price fresh for longer than the
 * oracle's max_age while a scripted crash beyond the deviation guard waits 60 s for its own
 * confirmation.
 *
 * The live test lowers the oracle's max_age to 90 s (the deployer owns the oracle) so that it
 * lasts 95 s instead of more than 300: 90 s still leaves room for the 60 s self-confirmation
 * inside max_age (with less, the old price would go stale first and the next push be accepted
 * for that reason, not by confirmation). max_age 300 and the sample's prices are restored after.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";

import { BASE_PRICES, deployment, disconnectAll, FLOW, height, KFL, linesWith, pushBoth, runOps, serviceConfig, signer, startOps, USDC, workDir } from "./harness";

const work = workDir();
const LIVE_MAX_AGE = 90;

before(async () => {
  await pushBoth(BASE_PRICES);
});

after(async () => {
  const deployer = await signer("deployer");
  await deployer.oracle.updateConfig({ maxAge: 300 });
  await pushBoth(BASE_PRICES);
  disconnectAll();
  work.cleanup();
});

describe("feeder: configuration and sources", () => {
  it("refuses a bad config (exit 2) and an unreachable RPC (exit 3), naming the problem", async () => {
    const bad = work.write("bad.json", serviceConfig("feeder", "feeder1", { threshold: "a lot" }));
    let r = await runOps(["feeder", "--once", "--config", bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /feeder\.threshold .*expected a non-negative decimal/);

    const typo = work.write("typo.json", serviceConfig("feeder", "feeder1", { heartbeat: 10 }));
    r = await runOps(["feeder", "--once", "--config", typo]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /feeder\.heartbeat .*unknown key/);

    // the heartbeat must stay well inside max_age (300 s): at most a third of it
    const slow = work.write("slow.json", serviceConfig("feeder", "feeder1", { heartbeat_seconds: 200 }));
    r = await runOps(["feeder", "--once", "--config", slow]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /heartbeat_seconds 200 is more than a third of the oracle's max_age 300/);

    // a simulated market whose steps could trip the 10% guard
    const wild = work.write("wild.json", serviceConfig("feeder", "feeder1", { max_step: "0.095" }));
    r = await runOps(["feeder", "--once", "--config", wild]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /max_step 0\.095 \+ feeder\.threshold 0\.005 reach the oracle's max_deviation 0\.1/);

    const notFeeder = work.write("not-feeder.json", serviceConfig("feeder", "user1"));
    r = await runOps(["feeder", "--once", "--config", notFeeder]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a feeder of the oracle/);

    const ok = work.write("ok.json", { ...serviceConfig("feeder", "feeder1"), startup_timeout_seconds: 0 });
    r = await runOps(["feeder", "--once", "--config", ok, "--rpc", "http://127.0.0.1:2"]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot reach the chain's RPC at http:\/\/127\.0\.0\.1:2: fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:2\)/);
    assert.ok(linesWith(r.lines, "cannot start").length === 1, "one structured line says why");
  });

  it("--once pushes a file's valid prices and never zero, negative or malformed ones", async () => {
    const prices = work.write("prices.json", { prices: { FLOW: "2.02", KFL: "0", USDC: "-1" } });
    const config = work.write("file.json", serviceConfig("feeder", "feeder1", { source: "file", source_path: prices }));
    const r = await runOps(["feeder", "--once", "--config", config]);
    assert.equal(r.code, 0, r.raw.join("\n"));
    const pushed = linesWith(r.lines, "pushed prices");
    assert.equal(pushed.length, 1);
    assert.deepEqual(pushed[0].prices, { FLOW: "2.02 accepted" });
    const invalid = linesWith(r.lines, "invalid source price: left out of the push").map((l) => [l.symbol, l.error]);
    assert.deepEqual(invalid, [
      ["KFL", "not positive: 0"],
      ["USDC", "not positive: -1"],
    ]);
    const reader = await signer("user1");
    assert.equal((await reader.oracle.price({ denom: FLOW })).price, "2.02");
    assert.equal((await reader.oracle.price({ denom: KFL })).price, "0.5");
  });

  it("--once refuses stale source data (exit 1, nothing pushed)", async () => {
    const old = Math.floor(Date.now() / 1000) - 600;
    const prices = work.write("stale.json", { prices: { FLOW: "2.5", KFL: "0.5", USDC: "1" }, timestamp: old });
    const config = work.write("stale-config.json", serviceConfig("feeder", "feeder1", { source: "file", source_path: prices }));
    const before = await (await signer("user1")).oracle.price({ denom: FLOW });
    const r = await runOps(["feeder", "--once", "--config", config]);
    assert.equal(r.code, 1);
    assert.match(String(linesWith(r.lines, "source unreadable: nothing pushed this round")[0]?.error), /is 6\d\d s old .* more than source_max_age_seconds 120: not pushed/);
    assert.equal(linesWith(r.lines, "pushed prices").length, 0);
    assert.equal((await (await signer("user1")).oracle.price({ denom: FLOW })).updated_at, before.updated_at);
  });

  it("--once reads an HTTP endpoint", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ prices: { [FLOW]: 2, [KFL]: 0.5, [USDC]: "1.001" }, timestamp: Math.floor(Date.now() / 1000) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prices`;
      const config = work.write("http.json", serviceConfig("feeder", "feeder1", { source: "http", source_url: url }));
      const r = await runOps(["feeder", "--once", "--config", config]);
      assert.equal(r.code, 0, r.raw.join("\n"));
      assert.deepEqual(linesWith(r.lines, "pushed prices")[0].prices, { FLOW: "2 accepted", KFL: "0.5 accepted", USDC: "1.001 accepted" });
    } finally {
      server.close();
    }
  });
});

describe("feeder: live", () => {
  it(`keeps every price fresh for longer than max_age (${LIVE_MAX_AGE} s) and self-confirms a crash beyond the guard after 60 s`, async () => {
    const deployer = await signer("deployer");
    await deployer.oracle.updateConfig({ maxAge: LIVE_MAX_AGE });
    await pushBoth(BASE_PRICES);
    const reader = await signer("user1");
    const config = work.write(
      "live.json",
      serviceConfig("feeder", "feeder1", {
        heartbeat_seconds: 25,
        seed: 7,
        volatility: "0.001",
        max_step: "0.005",
        anchor_prices: { FLOW: "2", KFL: "0.5", USDC: "1" },
        // FLOW -15% five seconds in: beyond the 10% guard, so pending until confirmed
        shocks: [{ at_seconds: 5, denom: "FLOW", move: "-0.15" }],
      }),
    );
    const started = Date.now();
    const feeder = startOps(["feeder", "--config", config]);
    try {
      await feeder.waitForLine((l) => l.msg === "pushed prices", 20_000, "the first push");
      const samples: { t: number; ages: number[]; flow: string; pending: boolean }[] = [];
      // sample the chain every 2 s for 95 s (longer than max_age): `prices` fails as a whole when
      // any price is stale, and each age is checked against max_age
      while (Date.now() - started < (LIVE_MAX_AGE + 5) * 1000) {
        const [prices, block] = await Promise.all([reader.oracle.prices({ denoms: [FLOW, KFL, USDC] }), reader.client.getBlock()]);
        const now = Math.floor(new Date(block.header.time).getTime() / 1000);
        const ages = prices.map((p) => now - p.updated_at);
        for (const [i, age] of ages.entries()) assert.ok(age <= LIVE_MAX_AGE, `${prices[i].denom} is ${age} s old at ${(Date.now() - started) / 1000} s`);
        samples.push({ t: (Date.now() - started) / 1000, ages, flow: prices[0].price, pending: prices[0].pending ?? false });
        await new Promise((r) => setTimeout(r, 2000));
      }
      const metrics = await feeder.metrics();
      const code = await feeder.stop();
      assert.equal(code, 0, "SIGTERM: the round finishes and the feeder exits 0");
      assert.ok(linesWith(feeder.lines, "stop requested: finishing the current round").length === 1);
      assert.ok(linesWith(feeder.lines, "feeder stopped").length === 1);

      // the crash: held pending, then confirmed by the feeder's own re-push 60 s or more later
      const held = linesWith(feeder.lines, "move held as pending by the deviation guard: awaiting confirmation").filter((l) => l.denom === FLOW);
      assert.equal(held.length, 1, "one pending move of FLOW");
      const confirmed = linesWith(feeder.lines, "own pending move confirmed").filter((l) => l.denom === FLOW);
      assert.equal(confirmed.length, 1, `FLOW confirmed once; samples: ${JSON.stringify(samples.map((s) => [s.t, s.flow, s.pending]))}`);
      // the oracle's rule, in block time (whole seconds, as env.block.time.seconds()): the
      // confirming push at least 60 s after the pending one. Any push of FLOW from then on
      // confirms it: the scheduled re-push, or a heartbeat or threshold push that came first.
      const pushes = linesWith(feeder.lines, "pushed prices");
      const statusOf = (l: (typeof pushes)[number]): string => String((l.prices as Record<string, string>).FLOW ?? "");
      const pendingPush = pushes.find((l) => statusOf(l).endsWith(" pending"));
      const confirmingPush = pushes.find((l) => statusOf(l).endsWith(" confirmed"));
      assert.ok(pendingPush && confirmingPush, `pushes: ${JSON.stringify(pushes.map((l) => l.prices))}`);
      const blockTime = async (h: unknown): Promise<number> => Math.floor(Date.parse((await reader.client.getBlock(Number(h))).header.time) / 1000);
      const waited = (await blockTime(confirmingPush.height)) - (await blockTime(pendingPush.height));
      assert.ok(waited >= 60 && waited < 75, `confirmed ${waited} s (block time) after the pending push`);
      assert.ok(samples.some((s) => s.pending && Number(s.flow) > 1.9), "while pending, the oracle kept serving the old FLOW price");
      const last = samples[samples.length - 1];
      assert.ok(!last.pending && Number(last.flow) < 1.8 && Number(last.flow) > 1.6, `FLOW after the confirmation: ${last.flow}`);

      assert.equal(metrics.get(`keel_feeder_confirmations_total{denom="${FLOW}",by="self"}`), 1);
      assert.equal(metrics.get("keel_feeder_round_errors_total"), 0);
      assert.ok((metrics.get("keel_feeder_pushes_total") ?? 0) >= 4, `pushes: ${metrics.get("keel_feeder_pushes_total")}`);
      assert.ok((metrics.get("keel_feeder_rounds_total") ?? 0) >= 60);
      for (const d of [FLOW, KFL, USDC]) {
        const age = metrics.get(`keel_feeder_price_age_seconds{denom="${d}"}`);
        assert.ok(age !== undefined && age >= 0 && age <= LIVE_MAX_AGE, `age gauge of ${d}: ${age}`);
        assert.equal(metrics.get(`keel_feeder_max_age_seconds{denom="${d}"}`), LIVE_MAX_AGE);
      }
      console.log(`# live feeder: ${samples.length} samples over ${last.t.toFixed(0)} s, max age ${Math.max(...samples.flatMap((s) => s.ages))} s, ${metrics.get("keel_feeder_pushes_total")} pushes, FLOW confirmed ${waited} s after its pending push, height ${await height()} (${deployment.chain_id})`);
    } finally {
      await feeder.stop();
    }
  });
});
