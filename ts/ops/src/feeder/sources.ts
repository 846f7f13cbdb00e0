/**
 * Where the feeder's prices come from. A source answers `read(elapsedSeconds)` with raw values per
 * denom (numbers or decimal strings, checked by the feeder before anything is pushed):
 *
 * - `file`: a JSON file read at every round (another process writes it: an exchange poller, a
 *   script);
 * - `http`: the same JSON from a GET endpoint;
 * - `random_walk`: a seeded, mean-reverting random walk (local chains), each step capped below the
 *   oracle's deviation guard, with optional scripted shocks;
 * - `scripted`: a path from a file, `{"steps": [{"at_seconds", "prices"}]}`, held between steps.
 *
 * The file and http JSON: `{"prices": {"<denom or symbol>": "2.01", ...}, "timestamp": <unix s>}`
 * (`timestamp` optional; data older than `source_max_age_seconds` is refused), or a bare
 * `{"<denom>": price}` map.
 */
import { readFileSync } from "node:fs";

export type RawPrices = Map<string, unknown>;

export interface PriceSource {
  /** What the logs call it (`file /path`, `random_walk seed 1`...). */
  readonly description: string;
  read(elapsedSeconds: number, nowSeconds: number): Promise<RawPrices>;
}

/** A source that cannot answer this round (unreadable, stale, malformed); the feeder skips the push. */
export class SourceError extends Error {}

/** Maps a source's key (a denom or an asset's symbol) to the denom; throws on an unknown one. */
export type DenomResolver = (key: string) => string;

/** The `{"prices": {...}, "timestamp"}` or bare-map JSON of the file and http sources. */
export function parsePriceDocument(value: unknown, what: string, resolve: DenomResolver, nowSeconds: number, maxAgeSeconds: number): RawPrices {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new SourceError(`${what}: not a JSON object`);
  const doc = value as Record<string, unknown>;
  let map: Record<string, unknown> = doc;
  if ("prices" in doc) {
    if (typeof doc.prices !== "object" || doc.prices === null || Array.isArray(doc.prices)) throw new SourceError(`${what}: "prices" is not an object`);
    map = doc.prices as Record<string, unknown>;
    if (doc.timestamp !== undefined && doc.timestamp !== null) {
      const ts = Number(doc.timestamp);
      if (!Number.isFinite(ts)) throw new SourceError(`${what}: "timestamp" is not a number of seconds`);
      const age = nowSeconds - ts;
      if (age > maxAgeSeconds) throw new SourceError(`${what}: its data is ${Math.round(age)} s old (timestamp ${ts}), more than source_max_age_seconds ${maxAgeSeconds}: not pushed`);
    }
  }
  const out: RawPrices = new Map();
  for (const [key, raw] of Object.entries(map)) {
    let denom: string;
    try {
      denom = resolve(key);
    } catch (e) {
      throw new SourceError(`${what}: ${(e as Error).message}`);
    }
    out.set(denom, raw);
  }
  return out;
}

export class FileSource implements PriceSource {
  readonly description: string;
  constructor(
    private readonly file: string,
    private readonly maxAgeSeconds: number,
    private readonly resolve: DenomResolver,
  ) {
    this.description = `file ${file}`;
  }
  async read(_elapsed: number, nowSeconds: number): Promise<RawPrices> {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      throw new SourceError(`cannot read ${this.file}: ${(e as Error).message}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new SourceError(`${this.file} is not JSON: ${(e as Error).message}`);
    }
    return parsePriceDocument(value, this.file, this.resolve, nowSeconds, this.maxAgeSeconds);
  }
}

export class HttpSource implements PriceSource {
  readonly description: string;
  constructor(
    private readonly url: string,
    private readonly timeoutSeconds: number,
    private readonly maxAgeSeconds: number,
    private readonly resolve: DenomResolver,
  ) {
    this.description = `http ${url}`;
  }
  async read(_elapsed: number, nowSeconds: number): Promise<RawPrices> {
    let value: unknown;
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutSeconds * 1000), headers: { accept: "application/json" } });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      value = await res.json();
    } catch (e) {
      throw new SourceError(`GET ${this.url}: ${(e as Error).message}`);
    }
    return parsePriceDocument(value, this.url, this.resolve, nowSeconds, this.maxAgeSeconds);
  }
}

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Shock {
  atSeconds: number;
  denom: string;
  /** Relative move, e.g. -0.15. */
  move: number;
}

/**
 * A geometric random walk per denom that reverts to an anchor price: each read is one step,
 * `log p += mean_reversion * (log anchor - log p) + volatility * N(0, 1)`, the step's move capped
 * at `max_step` either way (so a feeder pushing every step never trips the oracle's deviation
 * guard). Denoms step in sorted order from one seeded generator: the same seed, anchors and
 * number of reads give the same path. A shock multiplies a denom's price and anchor by `1 + move`
 * at the first read at or after `at_seconds` (a scripted crash on a simulated market; it may go
 * beyond the guard on purpose).
 */
export class RandomWalkSource implements PriceSource {
  readonly description: string;
  private readonly random: () => number;
  private readonly logPrices = new Map<string, number>();
  private readonly logAnchors = new Map<string, number>();
  private readonly pendingShocks: Shock[];
  private spare: number | null = null;
  private readonly volatility: number;
  private readonly meanReversion: number;
  /** log(1 + max_step) and log(1 - max_step): the bounds of one step's log-move. */
  private readonly upCap: number;
  private readonly downCap: number;

  constructor(
    opts: { seed: number; volatility: number; maxStep: number; meanReversion: number; anchors: Map<string, number>; start?: Map<string, number>; shocks?: Shock[] },
  ) {
    if (!(opts.maxStep > 0 && opts.maxStep < 1)) throw new Error(`max_step must be in (0, 1), got ${opts.maxStep}`);
    this.description = `random_walk seed ${opts.seed}`;
    this.random = seededRandom(opts.seed);
    this.volatility = opts.volatility;
    this.meanReversion = opts.meanReversion;
    this.upCap = Math.log(1 + opts.maxStep);
    this.downCap = Math.log(1 - opts.maxStep);
    for (const [denom, anchor] of [...opts.anchors].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!(anchor > 0) || !Number.isFinite(anchor)) throw new Error(`anchor price of ${denom} must be positive, got ${anchor}`);
      this.logAnchors.set(denom, Math.log(anchor));
      const start = opts.start?.get(denom) ?? anchor;
      this.logPrices.set(denom, Math.log(start > 0 && Number.isFinite(start) ? start : anchor));
    }
    this.pendingShocks = [...(opts.shocks ?? [])].sort((a, b) => a.atSeconds - b.atSeconds);
    for (const s of this.pendingShocks) {
      if (!this.logAnchors.has(s.denom)) throw new Error(`shock of ${s.denom}: not a denom of the walk (${[...this.logAnchors.keys()].join(", ")})`);
      if (!(1 + s.move > 0)) throw new Error(`shock of ${s.denom}: move ${s.move} would make the price non-positive`);
    }
  }

  /** A standard normal draw (Box-Muller, both values used). */
  private normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = Math.max(this.random(), Number.MIN_VALUE);
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  async read(elapsedSeconds: number): Promise<RawPrices> {
    return this.step(elapsedSeconds);
  }

  /** One step of every denom (synchronous: the unit tests walk thousands of steps). */
  step(elapsedSeconds: number): RawPrices {
    for (const [denom, logP] of this.logPrices) {
      const anchor = this.logAnchors.get(denom) as number;
      const drift = this.meanReversion * (anchor - logP);
      const move = Math.min(this.upCap, Math.max(this.downCap, drift + this.volatility * this.normal()));
      this.logPrices.set(denom, logP + move);
    }
    while (this.pendingShocks.length > 0 && this.pendingShocks[0].atSeconds <= elapsedSeconds) {
      const s = this.pendingShocks.shift() as Shock;
      const m = Math.log(1 + s.move);
      this.logPrices.set(s.denom, (this.logPrices.get(s.denom) as number) + m);
      this.logAnchors.set(s.denom, (this.logAnchors.get(s.denom) as number) + m);
    }
    const out: RawPrices = new Map();
    for (const [denom, logP] of this.logPrices) out.set(denom, Math.exp(logP));
    return out;
  }
}

/**
 * A scripted path: `{"steps": [{"at_seconds": 0, "prices": {"FLOW": "2"}}, {"at_seconds": 30,
 * "prices": {"FLOW": "1.6"}}]}`; at a time `t` after the start each denom has the price of the last
 * step at or before `t` that names it. The file is read once, at start.
 */
export class ScriptedSource implements PriceSource {
  readonly description: string;
  private readonly steps: { atSeconds: number; prices: RawPrices }[];

  constructor(file: string, resolve: DenomResolver) {
    this.description = `scripted ${file}`;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new Error(`scripted source ${file}: ${(e as Error).message}`);
    }
    const steps = (doc as { steps?: unknown })?.steps;
    if (!Array.isArray(steps) || steps.length === 0) throw new Error(`scripted source ${file}: expected {"steps": [{"at_seconds", "prices"}, ...]}`);
    this.steps = steps.map((s, i) => {
      const at = Number((s as { at_seconds?: unknown }).at_seconds);
      const prices = (s as { prices?: unknown }).prices;
      if (!Number.isFinite(at) || at < 0) throw new Error(`scripted source ${file}: steps[${i}].at_seconds must be a number >= 0`);
      if (typeof prices !== "object" || prices === null) throw new Error(`scripted source ${file}: steps[${i}].prices must be an object`);
      const map: RawPrices = new Map();
      for (const [k, v] of Object.entries(prices)) map.set(resolve(k), v);
      return { atSeconds: at, prices: map };
    });
    this.steps.sort((a, b) => a.atSeconds - b.atSeconds);
  }

  async read(elapsedSeconds: number): Promise<RawPrices> {
    const out: RawPrices = new Map();
    for (const step of this.steps) {
      if (step.atSeconds > elapsedSeconds) break;
      for (const [d, v] of step.prices) out.set(d, v);
    }
    if (out.size === 0) throw new SourceError(`${this.description}: no step at or before ${elapsedSeconds} s`);
    return out;
  }
}
