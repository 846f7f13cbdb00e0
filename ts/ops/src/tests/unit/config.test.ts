import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { ConfigError, describeKeys, envName, loadConfig, SERVICE_SCHEMAS, SERVICES } from "../../config";

const OPERATORS_MD = path.resolve(__dirname, "../../../../../docs/OPERATORS.md");

const dir = mkdtempSync(path.join(tmpdir(), "keel-ops-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, value: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
  return f;
}

describe("config", () => {
  it("defaults, then the file, then KEEL_* variables, then --set: each wins over the one before", () => {
    const f = file("layers.json", { rpc: "http://file:26657", feeder: { heartbeat_seconds: 30, threshold: "0.01", poll_seconds: 3 } });
    const c = loadConfig("feeder", {
      file: f,
      env: { KEEL_FEEDER_HEARTBEAT_SECONDS: "40", KEEL_RPC: "http://env:26657" },
      sets: [["feeder.heartbeat_seconds", "50"]],
      cwd: dir,
    });
    assert.equal(c.section.heartbeat_seconds, 50);
    assert.equal(c.section.threshold, "0.01");
    assert.equal(c.section.poll_seconds, 3);
    assert.equal(c.section.self_confirm_delay_seconds, 62, "a default");
    assert.equal(c.common.rpc, "http://env:26657");
    assert.equal(c.origins["feeder.heartbeat_seconds"], "flag");
    assert.equal(c.origins["feeder.threshold"], f);
    assert.equal(c.origins.rpc, "KEEL_RPC");
    assert.equal(c.origins["feeder.volatility"], "default");
  });

  it("resolves a file's relative paths against its folder, others against the working directory", () => {
    const f = file("paths.json", { deployment: "records/x.json", feeder: { source_path: "p.json" } });
    const c = loadConfig("feeder", { file: f, env: { KEEL_FEEDER_MNEMONIC_FILE: "secret" }, cwd: "/somewhere" });
    assert.equal(c.common.deployment, path.join(dir, "records/x.json"));
    assert.equal(c.section.source_path, path.join(dir, "p.json"));
    assert.equal(c.section.mnemonic_file, "/somewhere/secret");
  });

  it("reads each kind from text: numbers, booleans, lists, JSON, null", () => {
    const c = loadConfig("feeder", {
      env: { KEEL_FEEDER_DENOMS: "FLOW, uusdc", KEEL_FEEDER_SHOCKS: '[{"at_seconds": 5, "denom": "FLOW", "move": -0.2}]', KEEL_FEEDER_METRICS_PORT: "null" },
      sets: [["feeder.seed", "42"]],
    });
    assert.deepEqual(c.section.denoms, ["FLOW", "uusdc"]);
    assert.deepEqual(c.section.shocks, [{ at_seconds: 5, denom: "FLOW", move: -0.2 }]);
    assert.equal(c.section.metrics_port, null);
    assert.equal(c.section.seed, 42);
    const k = loadConfig("keeper", { env: { KEEL_KEEPER_EVENTS: "block_results" } });
    assert.equal(k.section.events, "block_results");
  });

  it("another service's section of a shared file is checked but not applied", () => {
    const f = file("shared.json", { feeder: { poll_seconds: 5 }, keeper: { poll_seconds: 7 }, liquidator: { min_profit: "0.5" } });
    assert.equal(loadConfig("keeper", { file: f }).section.poll_seconds, 7);
    assert.equal(loadConfig("liquidator", { file: f }).section.poll_seconds, 2);
    assert.equal(loadConfig("liquidator", { file: f }).section.min_profit, "0.5");
    const typo = file("typo-other.json", { keeper: { poll_second: 7 } });
    assert.throws(() => loadConfig("feeder", { file: typo }), /keeper\.poll_second .*unknown key/);
  });

  it("refuses what it cannot use, naming the key and where it came from", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => loadConfig("feeder", { file: file("unknown.json", { feeder: { hearbeat_seconds: 3 } }) }), /feeder\.hearbeat_seconds .*unknown key \(known: .*heartbeat_seconds/],
      [() => loadConfig("feeder", { file: file("top.json", { rcp: "x" }) }), /rcp .*unknown key/],
      [() => loadConfig("feeder", { file: file("type.json", { feeder: { poll_seconds: "2" } }) }), /feeder\.poll_seconds .*expected a number, got "2"/],
      [() => loadConfig("feeder", { env: { KEEL_FEEDER_POLL_SECONDS: "0" } }), /feeder\.poll_seconds \(environment KEEL_FEEDER_POLL_SECONDS\): must be above 0/],
      [() => loadConfig("feeder", { sets: [["feeder.threshold", "-1"]] }), /feeder\.threshold \(--set feeder\.threshold=-1\): expected a non-negative decimal/],
      [() => loadConfig("feeder", { sets: [["feeder.source", "exchange"]] }), /expected one of random_walk, scripted, file, http/],
      [() => loadConfig("liquidator", { sets: [["liquidator.slippage", "1.5"]] }), /must be at most 1/],
      [() => loadConfig("feeder", { sets: [["feeder.self_confirm_delay_seconds", "30"]] }), /must be at least 60/],
      [() => loadConfig("keeper", { sets: [["keeper.scan_page_size", "500"]] }), /must be at most 100/],
      [() => loadConfig("feeder", { sets: [["feeder.metrics_port", "80.5"]] }), /expected an integer/],
      [() => loadConfig("feeder", { env: { KEEL_FEEDER_SHOCKS: "[oops" } }), /expected JSON/],
      [() => loadConfig("feeder", { sets: [["miner.rate", "1"]] }), /unknown service miner/],
      [() => loadConfig("feeder", { sets: [["backoff_max_seconds", "0.5"]] }), /backoff_max_seconds \(0\.5\) is below backoff_initial_seconds/],
      [() => loadConfig("feeder", { file: file("notjson.json", "{ feeder: 1 }") }), /is not JSON/],
      [() => loadConfig("feeder", { file: path.join(dir, "missing.json") }), /cannot read the config file/],
      [() => loadConfig("feeder", { file: file("section.json", { feeder: [] }) }), /feeder .*expected an object/],
    ];
    for (const [load, message] of cases) assert.throws(load, (e: unknown) => e instanceof ConfigError && message.test((e as Error).message), String(message));
  });

  it("names every key's variable KEEL_[SERVICE_]KEY, and documents every key", () => {
    assert.equal(envName(null, "gas_price"), "KEEL_GAS_PRICE");
    assert.equal(envName("liquidator", "min_profit"), "KEEL_LIQUIDATOR_MIN_PROFIT");
    for (const s of SERVICES) {
      const keys = describeKeys(s);
      assert.equal(keys.length, Object.keys(SERVICE_SCHEMAS[s]).length);
      for (const k of keys) assert.ok(k.doc.length > 10, `${k.key} has a doc`);
    }
  });

  it("docs/OPERATORS.md lists every key with its variable and default, as `keel-ops keys` does", () => {
    const doc = readFileSync(OPERATORS_MD, "utf8");
    const table = doc.slice(doc.indexOf("<!-- keys:start"), doc.indexOf("<!-- keys:end"));
    const rows = table.split("\n").filter((l) => l.startsWith("| `"));
    const keys = [null, ...SERVICES].flatMap((s) => describeKeys(s));
    assert.equal(rows.length, keys.length, "one row per key");
    for (const k of keys) {
      const row = rows.find((r) => r.startsWith(`| \`${k.key}\` |`));
      assert.ok(row, `no row for ${k.key}`);
      assert.ok(row.includes(`| \`${k.env}\` |`) && row.includes(`| \`${k.default}\` |`), `the row of ${k.key} is stale: ${row}`);
    }
  });
});
