/**
 * Counters and gauges in the Prometheus text exposition format (version 0.0.4), served on
 * `http://<host>:<port>/metrics`. Written by hand rather than with prom-client: a service that
 * holds a signing key keeps its dependencies to CosmJS and Keel's own client.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
}

abstract class Metric {
  protected readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    private readonly labelNames: readonly string[],
  ) {}

  protected entry(labels: Labels): Series {
    for (const key of Object.keys(labels)) {
      if (!this.labelNames.includes(key)) throw new Error(`metric ${this.name} has no label ${key}`);
    }
    const key = this.labelNames.map((n) => `${n}=${labels[n] ?? ""}`).join(",");
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  /** The current value of one series (0 when never touched). */
  get(labels: Labels = {}): number {
    return this.entry(labels).value;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${this.name} ${this.type}`];
    // a metric without labels is always exposed (0 before the first event), so that dashboards
    // and alerts see it from the start
    if (this.series.size === 0 && this.labelNames.length === 0) this.entry({});
    for (const s of this.series.values()) lines.push(`${this.name}${renderLabels(s.labels)} ${renderValue(s.value)}`);
    return lines.join("\n");
  }
}

export class Counter extends Metric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "counter", labelNames);
  }
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new Error(`counter ${this.name} cannot grow by ${by}`);
    this.entry(labels).value += by;
  }
}

export class Gauge extends Metric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "gauge", labelNames);
  }
  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }
  /** Drops a series (a denom no longer fed, a position no longer tracked). */
  remove(labels: Labels): void {
    for (const [key, s] of this.series) {
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) this.series.delete(key);
    }
  }
}

function renderLabels(labels: Labels): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function renderValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

export class Registry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }
  private add<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return this.metrics.map((m) => m.render()).join("\n") + "\n";
  }
}

/**
 * Serves `registry` on `http://host:port/metrics` (port 0: any free port). Resolves with the
 * server and the port it listens on, or rejects when the port cannot be bound.
 */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(registry.render());
    } else if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found: GET /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot serve metrics on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
