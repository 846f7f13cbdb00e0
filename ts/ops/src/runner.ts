/**
 * The life of a service: rounds every `poll_seconds`, a failed round logged and retried after a
 * backoff with jitter (never a crash on an RPC error), a stop signal honoured between rounds (the
 * current round always finishes, then the process exits 0), and `--once`: one round, then an exit
 * code that says how it went.
 */
import type { Chain } from "./chain";
import { errorText, type Fields, type Logger } from "./log";
import type { Counter, Gauge, Registry } from "./metrics";

/** Exit codes of `keel-ops`. */
export const EXIT = {
  /** Stopped by a signal, or `--once` and the round did all it set out to do. */
  OK: 0,
  /** `--once` and the round failed, or some of its transactions failed. */
  ROUND_FAILED: 1,
  /** A bad command line or config. */
  CONFIG: 2,
  /** The RPC did not answer at start (within startup_timeout_seconds). */
  UNREACHABLE: 3,
} as const;

/** What a round reports: `ok` false when something it tried failed (a transaction, a source). */
export interface RoundResult {
  ok: boolean;
  fields?: Fields;
}

export interface Service {
  /** Called once after connecting (reads the chain's parameters, loads saved state). */
  start(): Promise<void>;
  round(): Promise<RoundResult>;
  /** Called once when the loop ends (saves state). */
  stop(): Promise<void>;
}

/** Counters every service exposes, `keel_<service>_...`. */
export interface ServiceMetrics {
  rounds: Counter;
  roundErrors: Counter;
  txsSent: Counter;
  txsFailed: Counter;
  gasUsed: Counter;
  feesPaid: Counter;
  lastRound: Gauge;
}

export function serviceMetrics(registry: Registry, service: string): ServiceMetrics {
  const p = `keel_${service}`;
  return {
    rounds: registry.counter(`${p}_rounds_total`, "Rounds completed."),
    roundErrors: registry.counter(`${p}_round_errors_total`, "Rounds that failed (RPC errors, unreadable sources); each is retried after a backoff."),
    txsSent: registry.counter(`${p}_txs_sent_total`, "Transactions included in a block without error."),
    txsFailed: registry.counter(`${p}_txs_failed_total`, "Transactions that failed (refused at broadcast, or failed in their block)."),
    gasUsed: registry.counter(`${p}_gas_used_total`, "Gas used by the service's transactions."),
    feesPaid: registry.counter(`${p}_fees_paid_total`, "Fees paid, in fee-denom base units.", ["denom"]),
    lastRound: registry.gauge(`${p}_last_round_timestamp_seconds`, "Unix time at the end of the last completed round."),
  };
}

/** Shared by every service: the chain, the log, the metrics. */
export interface Context {
  chain: Chain;
  log: Logger;
  registry: Registry;
  metrics: ServiceMetrics;
  rpcTimeoutSeconds: number;
  /** Unix time in seconds (the unit tests' clock is their own). */
  now(): number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * The wait after the `failures`-th consecutive failure: `initial * 2^(failures-1)` capped at `max`,
 * of which a random half ("equal jitter"), so that bots restarted together do not hammer a
 * recovering node in step.
 */
export function backoffMs(failures: number, initialSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxSeconds, initialSeconds * 2 ** Math.max(0, failures - 1)) * 1000;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `service` until `signal` aborts (exit code 0) or, with `once`, for one round. A round that
 * throws is logged and counted; the next one starts after the backoff.
 */
export async function runLoop(
  service: Service,
  opts: { once: boolean; pollSeconds: number; backoffInitialSeconds: number; backoffMaxSeconds: number; signal: AbortSignal; log: Logger; metrics: ServiceMetrics },
): Promise<number> {
  const { log, metrics, signal } = opts;
  let failures = 0;
  let exitCode: number = EXIT.OK;
  try {
    while (!signal.aborted) {
      const started = Date.now();
      let waitMs: number;
      try {
        const result = await service.round();
        metrics.rounds.inc();
        metrics.lastRound.set({}, Math.floor(Date.now() / 1000));
        failures = 0;
        if (opts.once) {
          exitCode = result.ok ? EXIT.OK : EXIT.ROUND_FAILED;
          log.info("round done (--once)", { ok: result.ok, exit_code: exitCode, ms: Date.now() - started, ...result.fields });
          break;
        }
        waitMs = opts.pollSeconds * 1000 - (Date.now() - started);
      } catch (e) {
        metrics.roundErrors.inc();
        failures += 1;
        if (opts.once) {
          log.error("round failed (--once)", { error: errorText(e), exit_code: EXIT.ROUND_FAILED });
          exitCode = EXIT.ROUND_FAILED;
          break;
        }
        waitMs = backoffMs(failures, opts.backoffInitialSeconds, opts.backoffMaxSeconds);
        log.error("round failed: retrying after a backoff", { error: errorText(e), consecutive_failures: failures, retry_in_ms: waitMs });
      }
      await sleep(waitMs, signal);
    }
  } finally {
    await service.stop();
  }
  return exitCode;
}
