/** Small pieces the pages share: band badges, key-value lists, tables, messages. */
import type { Band } from "../lib/health";
import { type Child, h } from "./dom";

const BAND_LABELS: Record<Band, string> = {
  liquidatable: "liquidatable",
  at_risk: "at risk",
  below_target: "below target",
  healthy: "healthy",
  overcollateralized: "overcollateralized",
};

/** A coloured badge naming a band; `data-band` carries the contract's name of it. */
export function bandBadge(band: Band | null | undefined, testid = "band"): HTMLElement {
  if (!band) return h("span", { class: "badge", "data-testid": testid, "data-band": "unknown" }, "unknown (no price)");
  return h("span", { class: `badge band-${band}`, "data-testid": testid, "data-band": band }, BAND_LABELS[band]);
}

/** A `<dl>` of label / value rows; a row whose value is null is left out. */
export function kv(rows: ReadonlyArray<readonly [label: Child, value: Child, testid?: string]>, cls = "kv"): HTMLDListElement {
  return h(
    "dl",
    { class: cls },
    rows.filter(([, value]) => value !== null).map(([label, value, testid]) => [h("dt", null, label), h("dd", { "data-testid": testid ?? null }, value)]),
  );
}

/** A table with a header row; cells given as nodes or text (a `num` class right-aligns a column). */
export function table(headers: ReadonlyArray<string | readonly [string, string]>, rows: Child[][], attrs: Record<string, string> = {}): HTMLTableElement {
  const cls = (i: number) => {
    const head = headers[i];
    return typeof head === "string" ? null : head[1];
  };
  return h(
    "table",
    attrs,
    h("thead", null, h("tr", null, headers.map((head) => h("th", { class: typeof head === "string" ? null : head[1] }, typeof head === "string" ? head : head[0])))),
    h("tbody", null, rows.map((row) => h("tr", null, row.map((cell, i) => h("td", { class: cls(i) }, cell))))),
  );
}

/** A message box: `error` for refusals and failures (the contract's words), `ok` for success. */
export function message(kind: "error" | "ok" | "info", text: Child, testid?: string): HTMLElement {
  return h("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": testid ?? null }, text);
}

/** A section with a heading. */
export function section(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "panel" }, h("h3", null, title), ...children);
}
