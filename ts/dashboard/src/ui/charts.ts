/** The two pictures of the dashboard, plain SVG: an asset's rate curve and a position's health gauge. */
import type { Band } from "../lib/health";
import { type CurvePoint, rateAt } from "../lib/rates";
import { s } from "./dom";

const pct = (x: number, digits = 0) => `${(x * 100).toFixed(digits)}%`;

/**
 * The borrow rate against utilization, with the current utilization marked (a dashed line and
 * a dot on the curve). `utilization` null: no marker (a minted asset's fixed rate does not
 * depend on it).
 */
export function rateCurve(points: CurvePoint[], utilization: number | null, title: string): SVGSVGElement {
  const w = 300;
  const hgt = 150;
  const pad = { l: 40, r: 10, t: 10, b: 28 };
  const top = Math.max(0.01, ...points.map((p) => p.rate));
  const x = (u: number) => pad.l + u * (w - pad.l - pad.r);
  const y = (r: number) => hgt - pad.b - (r / top) * (hgt - pad.t - pad.b);
  const line = points.map((p) => `${x(p.utilization).toFixed(1)},${y(p.rate).toFixed(1)}`).join(" ");
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const svg = s(
    "svg",
    { viewBox: `0 0 ${w} ${hgt}`, class: "curve", role: "img", "aria-label": title, "data-testid": "rate-curve" },
    s("title", null, title),
    s("line", { x1: pad.l, y1: y(0), x2: w - pad.r, y2: y(0), class: "axis" }),
    s("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: y(0), class: "axis" }),
    ticks.map((u) => [
      s("line", { x1: x(u), y1: y(0), x2: x(u), y2: y(0) + 4, class: "axis" }),
      s("text", { x: x(u), y: hgt - pad.b + 16, class: "tick", "text-anchor": "middle" }, pct(u)),
    ]),
    s("text", { x: pad.l - 4, y: y(top) + 4, class: "tick", "text-anchor": "end" }, pct(top)),
    s("text", { x: pad.l - 4, y: y(0), class: "tick", "text-anchor": "end" }, "0%"),
    s("text", { x: (pad.l + w - pad.r) / 2, y: hgt - 1, class: "tick", "text-anchor": "middle" }, "utilization → borrow APR"),
    s("polyline", { points: line, class: "curve-line" }),
  );
  if (utilization !== null) {
    const r = rateAt(points, utilization);
    svg.append(
      s("line", { x1: x(utilization), y1: pad.t, x2: x(utilization), y2: y(0), class: "marker-line", "data-testid": "utilization-marker", "data-utilization": utilization.toFixed(6) }),
      s("circle", { cx: x(utilization), cy: y(r), r: 4, class: "marker-dot" }),
      s("text", { x: Math.min(x(utilization) + 6, w - 90), y: pad.t + 10, class: "marker-label" }, `now ${pct(utilization, 1)} → ${pct(r, 2)}`),
    );
  }
  return svg;
}

/** What the gauge shows: the bounds, the borrow floor, and one or two health factors. */
export interface GaugeInput {
  min: number;
  target: number;
  max: number;
  floor: number;
  /** The health factor now; null is infinite (no debt). */
  hf: number | null;
  band: Band;
  /** A hypothetical health factor (what-if, price shock), drawn as a hollow marker. */
  ghost?: { hf: number | null; band: Band } | null;
}

/**
 * A horizontal health scale: zones at_risk (below min), below_target, healthy (target..max) and
 * overcollateralized (above max), ticks for the floor, min, target and max, and a marker at the
 * health factor, coloured by band. Health factors beyond the scale sit at its end with an arrow.
 */
export function healthGauge(g: GaugeInput): SVGSVGElement {
  const w = 520;
  const hgt = 86;
  const lo = Math.min(0.8, g.floor - 0.2);
  const hi = g.max + (g.max - g.min);
  const left = 16;
  const right = w - 16;
  const barY = 30;
  const barH = 16;
  const x = (hf: number) => left + ((Math.min(hi, Math.max(lo, hf)) - lo) / (hi - lo)) * (right - left);
  const zone = (from: number, to: number, cls: string) => s("rect", { x: x(from), y: barY, width: Math.max(0, x(to) - x(from)), height: barH, class: `zone ${cls}` });
  // the floor's label goes on a second row: it is often 0.1 from min
  const tick = (at: number, label: string, cls: string, testid: string, row = 0) => [
    s("line", { x1: x(at), y1: barY - 4, x2: x(at), y2: barY + barH + 4 + row * 14, class: `tick-line ${cls}`, "data-testid": testid, "data-value": String(at) }),
    s("text", { x: x(at), y: barY + barH + 18 + row * 14, class: "tick", "text-anchor": "middle" }, label),
  ];
  const marker = (hf: number | null, band: Band, hollow: boolean) => {
    const at = hf === null ? hi : hf;
    const off = hf === null || hf > hi ? " ▸" : hf < lo ? " ◂" : "";
    const label = `${hollow ? "if " : ""}${hf === null ? "∞" : hf.toFixed(3)}${off}`;
    return s(
      "g",
      { class: `marker band-${band}${hollow ? " ghost" : ""}`, "data-testid": hollow ? "gauge-ghost" : "gauge-marker", "data-band": band, "data-hf": hf === null ? "inf" : String(hf) },
      s("path", { d: `M ${x(at) - 7} ${barY - 14} L ${x(at) + 7} ${barY - 14} L ${x(at)} ${barY - 2} Z` }),
      s("text", { x: x(at), y: barY - 17, "text-anchor": x(at) > right - 30 ? "end" : x(at) < left + 30 ? "start" : "middle", class: "marker-text" }, label),
    );
  };
  return s(
    "svg",
    { viewBox: `0 0 ${w} ${hgt}`, class: "gauge", role: "img", "aria-label": `health factor ${g.hf === null ? "infinite" : g.hf.toFixed(3)}, band ${g.band}`, "data-testid": "health-gauge" },
    zone(lo, g.min, "band-at_risk"),
    zone(g.min, g.target, "band-below_target"),
    zone(g.target, g.max, "band-healthy"),
    zone(g.max, hi, "band-overcollateralized"),
    tick(g.floor, `floor ${g.floor}`, "floor", "gauge-floor", 1),
    tick(g.min, `min ${g.min}`, "min", "gauge-min"),
    tick(g.target, `target ${g.target}`, "target", "gauge-target"),
    tick(g.max, `max ${g.max}`, "max", "gauge-max"),
    g.ghost ? marker(g.ghost.hf, g.ghost.band, true) : null,
    marker(g.hf, g.band, false),
  );
}
