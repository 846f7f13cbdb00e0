/**
 * Structured logs: one JSON object per line on stdout, `{"ts", "level", "service", "msg", ...fields}`,
 * so that a log shipper (journald, Loki, CloudWatch) can index the fields without parsing text.
 */

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

export type Fields = Record<string, unknown>;

/** Anything with a `write(line)`; stdout in the services, an array in the unit tests. */
export interface LineSink {
  write(line: string): unknown;
}

export class Logger {
  private readonly threshold: number;

  constructor(
    readonly service: string,
    readonly level: Level = "info",
    private readonly sink: LineSink = process.stdout,
    private readonly fixed: Fields = {},
  ) {
    this.threshold = LEVELS.indexOf(level);
  }

  /** A logger that adds `fields` to every line (e.g. the position a step works on). */
  child(fields: Fields): Logger {
    return new Logger(this.service, this.level, this.sink, { ...this.fixed, ...fields });
  }

  debug(msg: string, fields: Fields = {}): void {
    this.emit("debug", msg, fields);
  }
  info(msg: string, fields: Fields = {}): void {
    this.emit("info", msg, fields);
  }
  warn(msg: string, fields: Fields = {}): void {
    this.emit("warn", msg, fields);
  }
  error(msg: string, fields: Fields = {}): void {
    this.emit("error", msg, fields);
  }

  private emit(level: Level, msg: string, fields: Fields): void {
    if (LEVELS.indexOf(level) < this.threshold) return;
    const record = { ts: new Date().toISOString(), level, service: this.service, msg, ...this.fixed, ...fields };
    this.sink.write(JSON.stringify(record, jsonValue) + "\n");
  }
}

/** bigint as a decimal string, Error as its message: JSON.stringify knows neither. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

/**
 * The message of anything thrown, with its cause when it has one (Node's fetch says only "fetch
 * failed"; its cause says "connect ECONNREFUSED 127.0.0.1:26657").
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && !error.message.includes(cause.message) ? `${error.message} (${cause.message})` : error.message;
}
