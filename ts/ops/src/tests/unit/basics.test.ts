/** decimal.ts, log.ts, metrics.ts and runner.ts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { decimalValue, formatDecimal, reduceBy, toPrice } from "../../decimal";
import { errorText, Logger } from "../../log";
import { Registry, serveMetrics } from "../../metrics";
import { backoffMs, EXIT, type RoundResult, runLoop, type Service, serviceMetrics } from "../../runner";

describe("decimal", () => {
  it("formats numbers as plain decimals of at most 18 places", () => {
    assert.equal(formatDecimal(2), "2");
    assert.equal(formatDecimal(1.7), "1.7");
    assert.equal(formatDecimal(0.1 + 0.2), "0.3");
    assert.equal(formatDecimal(1.5e-7), "0.00000015");
    assert.equal(formatDecimal(1e-12), "0.000000000001");
    assert.equal(formatDecimal(123456789012.5), "123456789012.5");
    assert.equal(formatDecimal(1e12), "1000000000000");
    assert.equal(formatDecimal(2.0123456789012345), "2.01234567890123");
    assert.throws(() => formatDecimal(NaN));
    assert.throws(() => formatDecimal(-1));
  });

  it("accepts only finite positive prices within the SPEC's range", () => {
    assert.deepEqual(toPrice("2.50"), { text: "2.5", value: 2.5 });
    assert.deepEqual(toPrice("100"), { text: "100", value: 100 });
    assert.deepEqual(toPrice(0.5), { text: "0.5", value: 0.5 });
    const refused: [unknown, RegExp][] = [
      [0, /not positive/],
      ["0", /not positive/],
      ["0.000", /not positive/],
      [-1, /not positive/],
      ["-1", /not positive/],
      [NaN, /not a finite number/],
      [Infinity, /not a finite number/],
      ["1e5", /not a decimal/],
      ["abc", /not a decimal/],
      ["1.0000000000000000001", /not a decimal with at most 18 decimals/],
      [1e13, /outside/],
      ["0.0000000000001", /outside/],
      [null, /not a number/],
      [true, /not a number/],
    ];
    for (const [raw, message] of refused) assert.throws(() => toPrice(raw), message, String(raw));
  });

  it("reduces amounts exactly and reads decimals", () => {
    assert.equal(reduceBy(1000n, "0.005"), 995n);
    assert.equal(reduceBy(187272727272727272n, "0.01"), 185399999999999999n);
    assert.equal(reduceBy(999n, "0"), 999n);
    assert.equal(reduceBy(999n, "1"), 0n);
    assert.throws(() => reduceBy(1n, "1.5"));
    assert.equal(decimalValue("0.935"), 0.935);
    assert.equal(decimalValue(null), null);
  });
});

describe("log", () => {
  it("writes one JSON object per line with level, service, msg and fields, above its level", () => {
    const out: string[] = [];
    const log = new Logger("keeper", "info", { write: (l: string) => out.push(l) });
    log.debug("hidden");
    log.info("rebalanced", { position: 7, amount: 10n });
    log.child({ round: 3 }).error("failed", { error: new Error("boom") });
    assert.equal(out.length, 2);
    const [a, b] = out.map((l) => JSON.parse(l));
    assert.equal(a.level, "info");
    assert.equal(a.service, "keeper");
    assert.equal(a.msg, "rebalanced");
    assert.equal(a.position, 7);
    assert.equal(a.amount, "10");
    assert.ok(!Number.isNaN(Date.parse(a.ts)));
    assert.deepEqual([b.level, b.round, b.error], ["error", 3, "boom"]);
    assert.ok(out.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")));
  });

  it("names an error's cause (fetch's real reason)", () => {
    assert.equal(errorText(new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:26657") })), "fetch failed (connect ECONNREFUSED 127.0.0.1:26657)");
    assert.equal(errorText(new Error("plain")), "plain");
    assert.equal(errorText("text"), "text");
  });
});

describe("metrics", () => {
  it("renders counters and gauges in the Prometheus text format and serves them", async () => {
    const r = new Registry();
    const c = r.counter("keel_test_total", "Things.\nCounted.", ["denom"]);
    const g = r.gauge("keel_test_age_seconds", "Ages.", ["denom"]);
    const plain = r.counter("keel_test_rounds_total", "Rounds.");
    c.inc({ denom: 'a"b\\c' }, 2);
    c.inc({ denom: 'a"b\\c' });
    g.set({ denom: "uflow" }, Infinity);
    assert.throws(() => c.inc({ denom: "x" }, -1), /cannot grow/);
    assert.throws(() => c.inc({ wrong: "x" }), /has no label wrong/);
    assert.throws(() => r.counter("keel_test_total", "again"), /registered twice/);
    const text = r.render();
    assert.match(text, /^# HELP keel_test_total Things\.\\nCounted\.\n# TYPE keel_test_total counter\nkeel_test_total\{denom="a\\"b\\\\c"\} 3\n/);
    assert.match(text, /keel_test_age_seconds\{denom="uflow"\} \+Inf\n/);
    assert.match(text, /# TYPE keel_test_rounds_total counter\nkeel_test_rounds_total 0\n/, "a metric without labels is exposed from the start");
    plain.inc();
    const { server, port } = await serveMetrics(r, "127.0.0.1", 0);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      assert.match(await res.text(), /keel_test_rounds_total 1\n/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
      await assert.rejects(serveMetrics(r, "127.0.0.1", port), /cannot serve metrics on 127\.0\.0\.1:\d+/);
    } finally {
      server.close();
    }
  });
});

describe("runner", () => {
  it("backs off exponentially with jitter, within [ceiling / 2, ceiling]", () => {
    assert.equal(backoffMs(1, 1, 60, () => 0), 500);
    assert.equal(backoffMs(1, 1, 60, () => 1), 1000);
    assert.equal(backoffMs(4, 1, 60, () => 1), 8000);
    assert.equal(backoffMs(20, 1, 60, () => 1), 60000);
    assert.equal(backoffMs(20, 1, 60, () => 0), 30000);
  });

  function scripted(results: (RoundResult | Error)[], onRound: (n: number) => void = () => {}): Service & { rounds: number; stopped: boolean } {
    return {
      rounds: 0,
      stopped: false,
      async start() {},
      async round() {
        const r = results[Math.min(this.rounds, results.length - 1)];
        this.rounds += 1;
        onRound(this.rounds);
        if (r instanceof Error) throw r;
        return r;
      },
      async stop() {
        this.stopped = true;
      },
    };
  }
  const quiet = new Logger("feeder", "error", { write: () => true });

  it("--once: 0 for a good round, 1 for a round with failures or that throws", async () => {
    for (const [results, code] of [
      [[{ ok: true }], EXIT.OK],
      [[{ ok: false }], EXIT.ROUND_FAILED],
      [[new Error("rpc down")], EXIT.ROUND_FAILED],
    ] as [(RoundResult | Error)[], number][]) {
      const svc = scripted(results);
      const code2 = await runLoop(svc, { once: true, pollSeconds: 1, backoffInitialSeconds: 0.01, backoffMaxSeconds: 0.01, signal: new AbortController().signal, log: quiet, metrics: serviceMetrics(new Registry(), "feeder") });
      assert.equal(code2, code);
      assert.equal(svc.rounds, 1);
      assert.ok(svc.stopped, "stop() is called");
    }
  });

  it("keeps going after failed rounds, and a stop request ends it after the current round with 0", async () => {
    const controller = new AbortController();
    const registry = new Registry();
    const metrics = serviceMetrics(registry, "keeper");
    const svc = scripted([new Error("rpc down"), new Error("rpc down"), { ok: true }, { ok: true }], (n) => {
      if (n === 4) controller.abort(); // a signal arriving during round 4
    });
    const code = await runLoop(svc, { once: false, pollSeconds: 0.01, backoffInitialSeconds: 0.01, backoffMaxSeconds: 0.02, signal: controller.signal, log: quiet, metrics });
    assert.equal(code, EXIT.OK);
    assert.equal(svc.rounds, 4, "round 4 finished, no round 5");
    assert.equal(metrics.roundErrors.get(), 2);
    assert.equal(metrics.rounds.get(), 2);
    assert.ok(svc.stopped);
  });
});
