/**
 * The services' configuration: a JSON file, then `KEEL_*` environment variables, then command-line
 * flags, each overriding the one before, over the defaults below. Every key is declared once here
 * with its kind, default and meaning; the loader checks types and ranges and refuses unknown keys
 * (a typo in a bot's config must not silently fall back to a default). docs/OPERATORS.md lists them.
 *
 * Why JSON and not TOML or YAML: it is the format of the deployment config and record the services
 * read anyway, Node parses it without a dependency (a process holding a signing key should pull in
 * as little code as possible), and every key is documented in docs/OPERATORS.md instead of in
 * comments.
 *
 * The file: `{"deployment": ..., "rpc": ..., "feeder": {...}, "keeper": {...}, "liquidator": {...}}`;
 * one file may configure all three services (each process reads the common keys and its section).
 * Environment: `KEEL_<KEY>` for a common key (KEEL_RPC, KEEL_GAS_PRICE, KEEL_DEPLOYMENT...) and
 * `KEEL_<SERVICE>_<KEY>` for a service's key (KEEL_FEEDER_HEARTBEAT_SECONDS...). Flags: `--set
 * <key>=<value>` with `<key>` as `rpc` or `feeder.threshold`, and shorthands (cli.ts).
 * Relative paths are relative to the config file's folder when they come from the file, to the
 * working directory otherwise.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

export const SERVICES = ["feeder", "keeper", "liquidator"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A configuration the services refuse to start with; the CLI prints it and exits 2. */
export class ConfigError extends Error {}

type Kind = "string" | "path" | "number" | "integer" | "boolean" | "decimal" | "strings" | "json" | "choice";

interface FieldSpec {
  kind: Kind;
  default: unknown;
  nullable?: boolean;
  /** Inclusive bounds of a number, integer or decimal. */
  min?: number;
  max?: number;
  /** A bound the value must stay strictly above. */
  above?: number;
  choices?: readonly string[];
  doc: string;
}

type Schema<T> = { [K in keyof T]-?: FieldSpec };

/** Keys every service reads (the file's top level). */
export interface CommonConfig {
  deployment: string;
  rpc: string | null;
  gas_price: string | null;
  accounts_file: string | null;
  log_level: "debug" | "info" | "warn" | "error";
  rpc_timeout_seconds: number;
  startup_timeout_seconds: number;
  backoff_initial_seconds: number;
  backoff_max_seconds: number;
}

export const COMMON_SCHEMA: Schema<CommonConfig> = {
  deployment: { kind: "path", default: "deployments/keel-local.json", doc: "the deployment record (contracts, chain id, assets; docs/DEPLOY.md)" },
  rpc: { kind: "string", default: null, nullable: true, doc: "CometBFT RPC URL; null: the record's" },
  gas_price: { kind: "string", default: null, nullable: true, doc: "gas price, e.g. 0.025ustake; null: the record's" },
  accounts_file: { kind: "path", default: null, nullable: true, doc: "accounts file [{name, address, mnemonic}] for `account` (test chains only); null: the record's" },
  log_level: { kind: "choice", choices: ["debug", "info", "warn", "error"], default: "info", doc: "lowest level logged" },
  rpc_timeout_seconds: { kind: "number", default: 10, above: 0, doc: "timeout of one RPC request" },
  startup_timeout_seconds: { kind: "number", default: 60, min: 0, doc: "how long the start waits for the RPC (with backoff) before exiting 3" },
  backoff_initial_seconds: { kind: "number", default: 1, above: 0, doc: "first wait after a failed round; doubles per failure, with jitter" },
  backoff_max_seconds: { kind: "number", default: 60, above: 0, doc: "longest wait after failed rounds" },
};

/** Keys of every service's section. */
export interface ServiceCommonConfig {
  account: string | null;
  mnemonic_file: string | null;
  metrics_port: number | null;
  metrics_host: string;
  poll_seconds: number;
  gas_multiplier: number;
}

function serviceCommonSchema(metricsPort: number, pollSeconds: number): Schema<ServiceCommonConfig> {
  return {
    account: { kind: "string", default: null, nullable: true, doc: "the signing key: a name of the accounts file (public test keys: local chains only)" },
    mnemonic_file: { kind: "path", default: null, nullable: true, doc: "the signing key: a file holding the mnemonic (else the environment variable KEEL_MNEMONIC)" },
    metrics_port: { kind: "integer", default: metricsPort, nullable: true, min: 0, max: 65535, doc: "Prometheus metrics on http://metrics_host:port/metrics; 0: any free port (logged); null: none" },
    metrics_host: { kind: "string", default: "127.0.0.1", doc: "address the metrics server binds" },
    poll_seconds: { kind: "number", default: pollSeconds, above: 0, doc: "time between the starts of two rounds" },
    gas_multiplier: { kind: "number", default: 1.4, min: 1, doc: "gas limit = simulated gas x this" },
  };
}

export interface FeederConfig extends ServiceCommonConfig {
  heartbeat_seconds: number;
  threshold: string;
  denoms: string[] | null;
  self_confirm_delay_seconds: number;
  source: "random_walk" | "scripted" | "file" | "http";
  source_path: string | null;
  source_url: string | null;
  source_max_age_seconds: number;
  source_timeout_seconds: number;
  seed: number;
  volatility: string;
  max_step: string;
  mean_reversion: string;
  anchor_prices: Record<string, string | number> | null;
  shocks: { at_seconds: number; denom: string; move: string | number }[];
}

export const FEEDER_SCHEMA: Schema<FeederConfig> = {
  ...serviceCommonSchema(9464, 2),
  heartbeat_seconds: { kind: "number", default: 60, above: 0, doc: "push every denom at least this often (must stay well inside the oracle's max_age: at most a third of it)" },
  threshold: { kind: "decimal", default: "0.005", doc: "push at once when a denom's source price moved more than this (relative) from the price last pushed" },
  denoms: { kind: "strings", default: null, nullable: true, doc: "denoms or symbols to feed; null: every asset whose oracle sources include a feed" },
  self_confirm_delay_seconds: { kind: "number", default: 62, min: 60, doc: "a move the deviation guard holds as pending is re-pushed this long after its first push (the oracle confirms a feeder's own pending price after 60 s; the rest is a margin for block times), unless another feeder confirmed it first" },
  source: { kind: "choice", choices: ["random_walk", "scripted", "file", "http"], default: "random_walk", doc: "where prices come from" },
  source_path: { kind: "path", default: null, nullable: true, doc: "file and scripted sources: the JSON file" },
  source_url: { kind: "string", default: null, nullable: true, doc: "http source: the URL (GET, JSON)" },
  source_max_age_seconds: { kind: "number", default: 120, above: 0, doc: "file and http sources: data whose `timestamp` is older is not pushed" },
  source_timeout_seconds: { kind: "number", default: 5, above: 0, doc: "http source: request timeout" },
  seed: { kind: "integer", default: 1, doc: "random_walk: seed of the path (the same seed gives the same path)" },
  volatility: { kind: "decimal", default: "0.002", doc: "random_walk: standard deviation of one step's log-return" },
  max_step: { kind: "decimal", default: "0.01", doc: "random_walk: largest relative move of one step (keep it below the oracle's max_deviation)" },
  mean_reversion: { kind: "decimal", default: "0.02", max: 1, doc: "random_walk: share of the distance to the anchor price closed per step (keeps the path near it)" },
  anchor_prices: { kind: "json", default: null, nullable: true, doc: "random_walk: {denom or symbol: price} the path reverts to; null: the oracle's prices at start (the path starts at the oracle's fresh price, else at the anchor)" },
  shocks: { kind: "json", default: [], doc: "random_walk: [{at_seconds, denom, move}]: at that time after the start, multiply a denom's price (and its anchor) by 1 + move" },
};

export interface KeeperConfig extends ServiceCommonConfig {
  events: "tx_search" | "block_results";
  state_file: string | null;
  refresh_seconds: number;
  margin: string;
  scan_page_size: number;
  scan_pages_per_round: number;
  max_blocks_per_round: number;
  max_rebalances_per_round: number;
}

export const KEEPER_SCHEMA: Schema<KeeperConfig> = {
  ...serviceCommonSchema(9465, 2),
  events: { kind: "choice", choices: ["tx_search", "block_results"], default: "tx_search", doc: "how the market's transactions are followed: the node's tx index (tx_search), or every block's results (nodes without a tx index)" },
  state_file: { kind: "path", default: null, nullable: true, doc: "where the index of automated positions and the followed height are saved after each round (a restart resumes instead of scanning every position); null: memory only" },
  refresh_seconds: { kind: "number", default: 300, above: 0, doc: "re-query every automated position at least this often (interest accrual, allowances and balances of top-up sources)" },
  margin: { kind: "decimal", default: "0.01", max: 1, doc: "query a position whose estimated HF is within this (relative) of its band's edges" },
  scan_page_size: { kind: "integer", default: 100, min: 1, max: 100, doc: "positions per page of the cold-start scan" },
  scan_pages_per_round: { kind: "integer", default: 20, min: 1, doc: "pages of the cold-start scan per round (a large market is scanned over several rounds)" },
  max_blocks_per_round: { kind: "integer", default: 10000, min: 1, doc: "blocks of events caught up per round" },
  max_rebalances_per_round: { kind: "integer", default: 20, min: 1, doc: "rebalance transactions per round (the rest wait for the next round)" },
};

export interface LiquidatorConfig extends ServiceCommonConfig {
  debt_denoms: string[] | null;
  min_profit: string;
  fee_token_price: string | null;
  fee_token_decimals: number;
  slippage: string;
  fee_reserve: number;
  scan_page_size: number;
  scan_pages_per_round: number;
  max_liquidations_per_round: number;
  max_attempts: number;
  quarantine_seconds: number;
}

export const LIQUIDATOR_SCHEMA: Schema<LiquidatorConfig> = {
  ...serviceCommonSchema(9466, 2),
  debt_denoms: { kind: "strings", default: null, nullable: true, doc: "debts the bot repays from its inventory (denoms or symbols); null: every listed asset it holds" },
  min_profit: { kind: "decimal", default: "0", doc: "whole MOET a liquidation must earn after gas (bonus value - gas cost) to be sent" },
  fee_token_price: { kind: "decimal", default: null, nullable: true, doc: "MOET per whole fee token, to value gas; null: the oracle's price of the fee denom (an error if it has none)" },
  fee_token_decimals: { kind: "integer", default: 6, min: 0, max: 18, doc: "decimals of the fee token" },
  slippage: { kind: "decimal", default: "0.005", max: 1, doc: "min_collateral_out = quoted collateral_out x (1 - slippage)" },
  fee_reserve: { kind: "integer", default: 1000000, min: 0, doc: "fee-denom base units never spent as repayment (kept for gas)" },
  scan_page_size: { kind: "integer", default: 100, min: 1, max: 100, doc: "positions scanned per liquidatable_positions query" },
  scan_pages_per_round: { kind: "integer", default: 100, min: 1, doc: "pages per round; the scan resumes where it stopped in the next round" },
  max_liquidations_per_round: { kind: "integer", default: 10, min: 1, doc: "liquidation transactions per round" },
  max_attempts: { kind: "integer", default: 3, min: 1, doc: "consecutive failures (simulation or transaction) after which a position is set aside" },
  quarantine_seconds: { kind: "number", default: 600, min: 0, doc: "how long a position that failed max_attempts times is set aside" },
};

export const SERVICE_SCHEMAS = { feeder: FEEDER_SCHEMA, keeper: KEEPER_SCHEMA, liquidator: LIQUIDATOR_SCHEMA } as const;
export interface ServiceConfigs {
  feeder: FeederConfig;
  keeper: KeeperConfig;
  liquidator: LiquidatorConfig;
}

export interface LoadedConfig<S extends ServiceName> {
  service: S;
  common: CommonConfig;
  section: ServiceConfigs[S];
  /** The config file read, or null. */
  file: string | null;
  /** Where each key's value came from (`default`, the file, `KEEL_...`, `--set`), for --print-config. */
  origins: Record<string, string>;
}

/** `KEEL_<KEY>` of a common key, `KEEL_<SERVICE>_<KEY>` of a service's. */
export function envName(service: ServiceName | null, key: string): string {
  return ("KEEL_" + (service ? `${service}_` : "") + key).toUpperCase();
}

interface Source {
  /** How the value is named in errors: the file and key, the variable, the flag. */
  label: string;
  /** Folder relative paths are resolved against. */
  baseDir: string;
}

function fail(source: Source, key: string, what: string): never {
  throw new ConfigError(`${key} (${source.label}): ${what}`);
}

const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Checks (and normalises) a value of the file, or one parsed from a string by `parseText`. */
function check(spec: FieldSpec, value: unknown, key: string, source: Source): unknown {
  if (value === null) {
    if (spec.nullable) return null;
    fail(source, key, "may not be null");
  }
  const bounds = (n: number): void => {
    if (spec.min !== undefined && n < spec.min) fail(source, key, `must be at least ${spec.min}, got ${n}`);
    if (spec.max !== undefined && n > spec.max) fail(source, key, `must be at most ${spec.max}, got ${n}`);
    if (spec.above !== undefined && !(n > spec.above)) fail(source, key, `must be above ${spec.above}, got ${n}`);
  };
  switch (spec.kind) {
    case "string":
    case "path": {
      if (typeof value !== "string" || value === "") fail(source, key, `expected a non-empty string, got ${JSON.stringify(value)}`);
      return spec.kind === "path" ? path.resolve(source.baseDir, value) : value;
    }
    case "choice": {
      if (typeof value !== "string" || !spec.choices?.includes(value)) fail(source, key, `expected one of ${spec.choices?.join(", ")}, got ${JSON.stringify(value)}`);
      return value;
    }
    case "number":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) fail(source, key, `expected a number, got ${JSON.stringify(value)}`);
      if (spec.kind === "integer" && !Number.isSafeInteger(value)) fail(source, key, `expected an integer, got ${value}`);
      bounds(value);
      return value;
    }
    case "boolean": {
      if (typeof value !== "boolean") fail(source, key, `expected true or false, got ${JSON.stringify(value)}`);
      return value;
    }
    case "decimal": {
      const text = typeof value === "number" && Number.isFinite(value) && value >= 0 ? String(value) : value;
      if (typeof text !== "string" || !DECIMAL.test(text)) fail(source, key, `expected a non-negative decimal such as "0.5", got ${JSON.stringify(value)}`);
      bounds(Number(text));
      return text;
    }
    case "strings": {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) fail(source, key, `expected a list of strings, got ${JSON.stringify(value)}`);
      return value;
    }
    case "json":
      return value;
  }
}

/** A value of an environment variable or a flag, in the field's kind. */
function parseText(spec: FieldSpec, text: string, key: string, source: Source): unknown {
  const t = text.trim();
  if (spec.nullable && (t === "" || t === "null")) return null;
  switch (spec.kind) {
    case "number":
    case "integer":
      if (t === "" || Number.isNaN(Number(t))) fail(source, key, `expected a number, got "${text}"`);
      return check(spec, Number(t), key, source);
    case "boolean":
      if (/^(true|1|yes|on)$/i.test(t)) return true;
      if (/^(false|0|no|off)$/i.test(t)) return false;
      return fail(source, key, `expected true or false, got "${text}"`);
    case "strings":
      return check(
        spec,
        t.split(",").map((s) => s.trim()).filter((s) => s !== ""),
        key,
        source,
      );
    case "json": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(t);
      } catch (e) {
        return fail(source, key, `expected JSON: ${(e as Error).message}`);
      }
      return check(spec, parsed, key, source);
    }
    default:
      return check(spec, t, key, source);
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read the config file ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`the config file ${file} is not JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigError(`the config file ${file} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Default values of a schema (paths resolved against the working directory). */
function defaults(schema: Record<string, FieldSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    out[key] = spec.kind === "path" && typeof spec.default === "string" ? path.resolve(spec.default) : structuredClone(spec.default);
  }
  return out;
}

/**
 * Loads the configuration of `service`: defaults, then `file` (if any), then `env`, then `sets`
 * (`[key, value]` pairs of the flags, keys `rpc` or `<service>.<key>`). Throws ConfigError.
 */
export function loadConfig<S extends ServiceName>(
  service: S,
  opts: { file?: string | null; env?: NodeJS.ProcessEnv; sets?: [string, string][]; cwd?: string },
): LoadedConfig<S> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const serviceSchema = SERVICE_SCHEMAS[service] as Record<string, FieldSpec>;
  const commonSchema = COMMON_SCHEMA as Record<string, FieldSpec>;
  const common = defaults(commonSchema);
  const section = defaults(serviceSchema);
  const origins: Record<string, string> = {};
  for (const k of Object.keys(common)) origins[k] = "default";
  for (const k of Object.keys(section)) origins[`${service}.${k}`] = "default";

  const file = opts.file ? path.resolve(cwd, opts.file) : null;
  if (file) {
    const data = readConfigFile(file);
    const source: Source = { label: file, baseDir: path.dirname(file) };
    for (const [key, value] of Object.entries(data)) {
      if ((SERVICES as readonly string[]).includes(key)) {
        if (typeof value !== "object" || value === null || Array.isArray(value)) fail(source, key, "expected an object");
        // every section is checked, not only this service's: a typo in another section of a
        // shared file is reported by whichever service starts first
        const schema = SERVICE_SCHEMAS[key as ServiceName] as Record<string, FieldSpec>;
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const spec = schema[k];
          if (!spec) fail(source, `${key}.${k}`, `unknown key (known: ${Object.keys(schema).join(", ")})`);
          const checked = check(spec, v, `${key}.${k}`, source);
          if (key === service) {
            section[k] = checked;
            origins[`${service}.${k}`] = file;
          }
        }
      } else {
        const spec = commonSchema[key];
        if (!spec) fail(source, key, `unknown key (known: ${[...Object.keys(commonSchema), ...SERVICES].join(", ")})`);
        common[key] = check(spec, value, key, source);
        origins[key] = file;
      }
    }
  }

  const envSource = (name: string): Source => ({ label: `environment ${name}`, baseDir: cwd });
  for (const [key, spec] of Object.entries(commonSchema)) {
    const name = envName(null, key);
    const text = env[name];
    if (text !== undefined) {
      common[key] = parseText(spec, text, key, envSource(name));
      origins[key] = name;
    }
  }
  for (const [key, spec] of Object.entries(serviceSchema)) {
    const name = envName(service, key);
    const text = env[name];
    if (text !== undefined) {
      section[key] = parseText(spec, text, `${service}.${key}`, envSource(name));
      origins[`${service}.${key}`] = name;
    }
  }

  for (const [rawKey, text] of opts.sets ?? []) {
    const source: Source = { label: `--set ${rawKey}=${text}`, baseDir: cwd };
    const dot = rawKey.indexOf(".");
    if (dot < 0) {
      const spec = commonSchema[rawKey];
      if (!spec) fail(source, rawKey, `unknown key (common keys: ${Object.keys(commonSchema).join(", ")}; a service's key is <service>.<key>)`);
      common[rawKey] = parseText(spec, text, rawKey, source);
      origins[rawKey] = "flag";
      continue;
    }
    const svc = rawKey.slice(0, dot);
    const key = rawKey.slice(dot + 1);
    if (!(SERVICES as readonly string[]).includes(svc)) fail(source, rawKey, `unknown service ${svc} (${SERVICES.join(", ")})`);
    const schema = SERVICE_SCHEMAS[svc as ServiceName] as Record<string, FieldSpec>;
    const spec = schema[key];
    if (!spec) fail(source, rawKey, `unknown key (known: ${Object.keys(schema).join(", ")})`);
    const value = parseText(spec, text, rawKey, source);
    if (svc === service) {
      section[key] = value;
      origins[rawKey] = "flag";
    }
  }

  if ((common.backoff_max_seconds as number) < (common.backoff_initial_seconds as number)) {
    throw new ConfigError(`backoff_max_seconds (${common.backoff_max_seconds}) is below backoff_initial_seconds (${common.backoff_initial_seconds})`);
  }
  return { service, common: common as unknown as CommonConfig, section: section as unknown as ServiceConfigs[S], file, origins };
}

/** Every key with its default, kind and meaning (for --help and docs/OPERATORS.md). */
export function describeKeys(service: ServiceName | null): { key: string; env: string; kind: string; default: string; doc: string }[] {
  const schema = (service ? SERVICE_SCHEMAS[service] : COMMON_SCHEMA) as Record<string, FieldSpec>;
  return Object.entries(schema).map(([key, spec]) => ({
    key: service ? `${service}.${key}` : key,
    env: envName(service, key),
    kind: spec.kind === "choice" ? spec.choices?.join(" | ") ?? "choice" : spec.kind,
    default: JSON.stringify(spec.default),
    doc: spec.doc,
  }));
}
