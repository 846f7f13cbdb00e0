/**
 * Position: balances with values, HF and LHF, the band on a health gauge with the position's
 * min / target / max, borrow limit used, `max_borrow` at target and at floor, automation; a
 * "what if" panel through the market's `simulate` query, and a price-shock slider computed here
 * (lib/health.ts, the market's own formulas) at a hypothetical price.
 */
import type { MarketTypes } from "@keel/client/browser";

import type { App, Page } from "../app";
import { positionsOf, type Snapshot } from "../chain";
import { formatAtomics, toNumber } from "../lib/decimal";
import { formatAmount, formatDecimal, formatDecimalPercent, formatHealth, parseAmount, shockedPrice } from "../lib/format";
import { bandOf, boundsOf, type Health, positionHealth } from "../lib/health";
import { bandBadge, kv, message, section, table } from "../ui/bits";
import { healthGauge } from "../ui/charts";
import { fill, h, select } from "../ui/dom";

type Position = MarketTypes.PositionResponse;

const num = (d: string | null | undefined) => (d === null || d === undefined ? null : toNumber(d));
const atomsToNum = (a: bigint | null) => (a === null ? null : toNumber(a));

/** The gauge of a position's health, with an optional hypothetical marker. */
function gaugeOf(position: Position, snap: Snapshot, ghost?: { hf: number | null; band: MarketTypes.Band } | null): SVGSVGElement | null {
  const health = position.health;
  if (!health) return null;
  const b = boundsOf(position, snap.config);
  return healthGauge({
    min: toNumber(b.min),
    target: toNumber(b.target),
    max: toNumber(b.max),
    floor: toNumber(snap.config.borrow_health_floor),
    hf: num(health.health_factor),
    band: health.band,
    ghost,
  });
}

/** A position's balances as a table: amount, price, value and the factors that weigh it. */
function balances(position: Position, snap: Snapshot, app: App, kind: "collateral" | "debt"): HTMLElement {
  const list = kind === "collateral" ? position.collateral : position.debt;
  if (list.length === 0) return h("p", { class: "muted" }, kind === "collateral" ? "No collateral." : "No debt.");
  return table(
    ["Asset", ["Amount", "num"], ["Price", "num"], ["Value (MOET)", "num"], kind === "collateral" ? ["CF · LT", "num"] : ["BF", "num"]],
    list.map((b) => {
      const a = snap.asset(b.denom);
      const p = a?.state.params;
      return [
        app.conn.symbol(b.denom),
        h("span", { "data-testid": `${kind}-amount-${app.conn.symbol(b.denom)}` }, formatAmount(b.amount, a?.decimals ?? 0)),
        a?.priceAtomics != null ? formatDecimal(a.priceAtomics, 6) : "no price",
        b.value ? formatDecimal(b.value, 4) : "–",
        kind === "collateral" ? `${p?.collateral_enabled ? (p.collateral_factor ?? "0") : "0 (disabled)"} · ${p?.liquidation_threshold ?? "0"}` : (p?.borrow_factor ?? "1"),
      ];
    }),
    { "data-testid": `${kind}-table` },
  );
}

function healthFigures(position: Position): HTMLElement {
  const hlt = position.health;
  if (!hlt) return message("error", `No health: ${position.price_error ? `price unavailable for ${position.price_error}` : "a price is unavailable"}.`, "price-error");
  return kv(
    [
      ["Health factor (HF = C / D)", h("strong", null, formatHealth(hlt.health_factor)), "hf"],
      ["Liquidation health (LHF = L / D)", formatHealth(hlt.liquidation_health_factor), "lhf"],
      ["Borrow limit used (D / C)", formatDecimalPercent(hlt.borrow_limit_used), "blu"],
      ["Effective collateral C", `${formatDecimal(hlt.effective_collateral, 4)} MOET`, "effective-collateral"],
      ["Liquidation limit L", `${formatDecimal(hlt.liquidation_limit, 4)} MOET`, "liquidation-limit"],
      ["Effective debt D", `${formatDecimal(hlt.effective_debt, 4)} MOET`, "effective-debt"],
    ],
    "kv figures",
  );
}

function automationPanel(position: Position, snap: Snapshot): HTMLElement {
  const a = position.automation;
  const d = snap.config.default_health;
  if (!a) return h("p", { "data-testid": "automation" }, `None: the market's default bounds apply (min ${d.min} · target ${d.target} · max ${d.max}); no auto-borrow, rebalancing or self-repay.`);
  const bounds = a.health ?? d;
  return kv(
    [
      ["Health bounds", `min ${bounds.min} · target ${bounds.target} · max ${bounds.max}${a.health ? " (own)" : " (market default)"}`, "automation-bounds"],
      ["Draw-down sink", a.draw_down_sink ? `${a.draw_down_sink.address}${a.draw_down_sink.msg ? " (cw20 send with a hook)" : ""}` : "none (auto-borrow pays the owner; no draw-down on rebalance)", "automation-sink"],
      ["Top-up source", a.top_up_source ?? "none", "automation-source"],
      ["Self-repay", a.self_repay ? "on: collateral interest repays the MOET debt" : "off", "automation-self-repay"],
    ],
    "kv",
  );
}

/** The "what if" panel: a list of actions run through `simulate`, shown before and after. */
function whatIfPanel(app: App, id: number, current: () => Position | null): HTMLElement {
  const rows = h("div", { class: "whatif-rows" });
  const out = h("div", { "data-testid": "whatif-result" });
  const addRow = () => {
    const snap = app.snapshot;
    const assetOptions = snap.assets.map((a) => [a.denom, a.symbol] as const);
    const row = h(
      "div",
      { class: "row whatif-row" },
      select({ class: "whatif-kind", "data-testid": "whatif-kind" }, [["borrow", "borrow"], ["repay", "repay"], ["deposit", "deposit"], ["withdraw", "withdraw"]], "borrow"),
      select({ class: "whatif-asset", "data-testid": "whatif-asset" }, assetOptions, snap.config.moet_denom ?? undefined),
      h("input", { class: "whatif-amount", "data-testid": "whatif-amount", placeholder: "amount (whole tokens)", inputmode: "decimal" }),
      h("button", { type: "button", class: "link", title: "remove this step", onclick: () => row.remove() }, "✕"),
    );
    rows.append(row);
  };
  const run = async () => {
    const snap = app.snapshot;
    const before = current();
    let actions: MarketTypes.SimulateAction[];
    try {
      actions = [...rows.querySelectorAll(".whatif-row")].map((row) => {
        const kind = (row.querySelector(".whatif-kind") as HTMLSelectElement).value as "borrow" | "repay" | "deposit" | "withdraw";
        const denom = (row.querySelector(".whatif-asset") as HTMLSelectElement).value;
        const a = snap.asset(denom);
        const amount = parseAmount((row.querySelector(".whatif-amount") as HTMLInputElement).value, a?.decimals ?? 0).toString();
        return { [kind]: { denom, amount } } as MarketTypes.SimulateAction;
      });
    } catch (e) {
      fill(out, message("error", (e as Error).message, "whatif-error"));
      return;
    }
    if (actions.length === 0) return;
    fill(out, h("p", { class: "muted" }, "simulating…"));
    try {
      const after = await app.conn.reader.market.simulate({ positionId: id, actions });
      const b = before?.health;
      const a = after.health;
      const line = (label: string, x: string, y: string, testid: string) => [label, x, "→", h("strong", { "data-testid": testid }, y)];
      fill(
        out,
        table(
          ["", ["now", "num"], "", ["after", "num"]],
          [
            line("HF", formatHealth(b?.health_factor), formatHealth(a?.health_factor), "whatif-hf"),
            line("LHF", formatHealth(b?.liquidation_health_factor), formatHealth(a?.liquidation_health_factor), "whatif-lhf"),
            ["band", bandBadge(b?.band, "whatif-band-before"), "→", bandBadge(a?.band, "whatif-band")],
            line("borrow limit used", formatDecimalPercent(b?.borrow_limit_used), formatDecimalPercent(a?.borrow_limit_used), "whatif-blu"),
            line("C (MOET)", formatDecimal(b?.effective_collateral ?? "0", 4), formatDecimal(a?.effective_collateral ?? "0", 4), "whatif-c"),
            line("D (MOET)", formatDecimal(b?.effective_debt ?? "0", 4), formatDecimal(a?.effective_debt ?? "0", 4), "whatif-d"),
          ],
          { class: "compare" },
        ),
        a ? gaugeOf(before ?? after, snap, { hf: num(a.health_factor), band: a.band }) : null,
        h("p", { class: "muted" }, `simulated at height ${snap.height}; nothing was sent. Simulate applies the market's bookkeeping (caps, cash, balances; a withdraw of the whole balance or more takes all) but not two checks of the real messages: HF at or above the floor ${snap.config.borrow_health_floor} at conservative prices (min/max of price and TWAP) after a borrow or withdraw, and no debt below ${snap.config.min_debt_value} MOET.`),
      );
    } catch (e) {
      fill(out, message("error", `Refused: ${app.conn.explain(e)}`, "whatif-error"));
    }
  };
  addRow();
  return section(
    "What if",
    h("p", { class: "note" }, "Deposit, withdraw, borrow or repay through the market's simulate query: the position as it would be, nothing sent."),
    rows,
    h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: addRow }, "+ step"), h("button", { type: "button", "data-testid": "whatif-run", onclick: () => void run() }, "Simulate")),
    out,
  );
}

/** The price-shock panel: one asset's price moved by the slider, health computed here. */
function shockPanel(app: App, current: () => Position | null): { root: HTMLElement; update(): void } {
  const assetSelect = h("select", { "data-testid": "shock-asset" });
  const slider = h("input", { type: "range", min: "-90", max: "100", step: "1", value: "0", "data-testid": "shock-slider" });
  const out = h("div", { "data-testid": "shock-result" });
  const update = () => {
    const position = current();
    const snap = app.snapshot;
    if (!position) return;
    const denoms = [...new Set([...position.collateral, ...position.debt].map((b) => b.denom))].filter((d) => d !== snap.config.moet_denom);
    const chosen = assetSelect.value;
    if (assetSelect.options.length !== denoms.length || denoms.some((d, i) => assetSelect.options[i]?.value !== d)) {
      fill(assetSelect, denoms.map((d) => h("option", { value: d, selected: d === chosen }, app.conn.symbol(d))));
    }
    const denom = assetSelect.value;
    const asset = snap.asset(denom);
    if (!denom || !asset) {
      fill(out, h("p", { class: "muted" }, "The position holds nothing but MOET, whose price is 1 by definition."));
      return;
    }
    if (asset.priceAtomics === null) {
      fill(out, message("error", `price unavailable for ${asset.symbol}`));
      return;
    }
    const pct = Number(slider.value);
    const price = shockedPrice(asset.priceAtomics, pct);
    let health: Health;
    try {
      health = positionHealth(position, (d) => {
        const p = snap.pricing(d);
        return d === denom && p ? { ...p, price } : p;
      });
    } catch (e) {
      fill(out, message("error", (e as Error).message));
      return;
    }
    const band = bandOf(health, boundsOf(position, snap.config));
    fill(
      out,
      kv(
        [
          [`${asset.symbol} price`, h("span", null, h("span", { "data-testid": "shock-price" }, formatAtomics(price)), ` MOET (${pct >= 0 ? "+" : ""}${pct}% from ${formatAtomics(asset.priceAtomics)})`)],
          ["HF", formatHealth(health.healthFactor), "shock-hf"],
          ["LHF", formatHealth(health.liquidationHealthFactor), "shock-lhf"],
          ["Band", bandBadge(band, "shock-band")],
          ["Borrow limit used", formatDecimalPercent(health.borrowLimitUsed), "shock-blu"],
        ],
        "kv figures",
      ),
      gaugeOf(position, snap, { hf: atomsToNum(health.healthFactor), band }),
    );
  };
  assetSelect.addEventListener("change", update);
  slider.addEventListener("input", update);
  const reset = h("button", { type: "button", class: "secondary", onclick: () => ((slider.value = "0"), update()) }, "reset");
  const root = section(
    "Price shock",
    h("p", { class: "note" }, "Moves one asset's price (−90% to +100%, the others as they are) and computes HF, LHF and band here with the market's formulas and rounding; at 0% they equal the chain's."),
    h("div", { class: "row" }, assetSelect, slider, reset),
    out,
  );
  return { root, update };
}

/** Borrowing power: `max_borrow` of every borrowable asset, to the target and to the floor. */
async function borrowPower(app: App, position: Position): Promise<HTMLElement> {
  const snap = app.snapshot;
  const borrowable = snap.assets.filter((a) => a.state.params.borrow_enabled);
  const answers = await Promise.all(
    borrowable.map(async (a) => {
      try {
        return await app.conn.reader.market.maxBorrow({ positionId: position.position_id, denom: a.denom });
      } catch (e) {
        return app.conn.explain(e);
      }
    }),
  );
  return table(
    ["Asset", ["To target", "num"], ["To floor", "num"]],
    borrowable.map((a, i) => {
      const r = answers[i];
      if (typeof r === "string") return [a.symbol, h("span", { class: "muted" }, r), ""];
      return [
        a.symbol,
        h("span", { "data-testid": `max-borrow-target-${a.symbol}` }, formatAmount(r.at_target, a.decimals, 4)),
        h("span", { "data-testid": `max-borrow-floor-${a.symbol}` }, formatAmount(r.at_floor, a.decimals, 4)),
      ];
    }),
    { "data-testid": "max-borrow" },
  );
}

export function positionPage(id: number): Page {
  let position: Position | null = null;
  const head = h("div", { class: "page-head" });
  const healthBox = h("div");
  const gaugeBox = h("div", { class: "gauge-box" });
  const coll = h("div");
  const debt = h("div");
  const power = h("div");
  const automation = h("div");
  const error = h("div");
  let shock: ReturnType<typeof shockPanel> | null = null;
  let whatIf: HTMLElement | null = null;
  const tools = h("div", { class: "columns" });
  const root = h(
    "div",
    { class: "page", "data-testid": "position-page", "data-position": String(id) },
    head,
    error,
    h(
      "div",
      { class: "columns" },
      section("Health", healthBox, gaugeBox),
      h("div", null, section("Collateral", coll), section("Debt", debt)),
    ),
    h("div", { class: "columns" }, section("Borrowing power (max_borrow)", h("p", { class: "note" }, "What the market would lend now (the max_borrow query): to the position's target HF at oracle prices, and down to the borrow floor at conservative prices (min/max of price and TWAP)."), power), section("Automation", automation)),
    tools,
  );
  return {
    root,
    async update(app: App) {
      const snap = app.snapshot;
      try {
        position = await app.conn.reader.market.position({ positionId: id });
      } catch (e) {
        fill(head, h("h2", null, `Position #${id}`));
        fill(error, message("error", app.conn.explain(e), "position-error"));
        return;
      }
      fill(error);
      const p = position;
      fill(
        head,
        h("h2", null, `Position #${id} `, bandBadge(p.health?.band)),
        h("p", { class: "muted" }, "owner ", h("a", { href: `#/owner/${p.owner}`, "data-testid": "owner" }, p.owner), app.dev ? [" · ", h("a", { href: `#/actions?position=${id}` }, "act on it")] : null),
      );
      fill(healthBox, healthFigures(p));
      fill(gaugeBox, gaugeOf(p, snap));
      fill(coll, balances(p, snap, app, "collateral"));
      fill(debt, balances(p, snap, app, "debt"));
      fill(automation, automationPanel(p, snap));
      fill(power, await borrowPower(app, p));
      if (!shock || !whatIf) {
        shock = shockPanel(app, () => position);
        whatIf = whatIfPanel(app, id, () => position);
        fill(tools, whatIf, shock.root);
      }
      shock.update();
    },
  };
}

/** All of an owner's positions, with their health. */
export function ownerPage(owner: string): Page {
  const body = h("div");
  const root = h("div", { class: "page", "data-testid": "owner-page" }, h("h2", null, "Positions of ", h("code", null, owner)), body);
  return {
    root,
    async update(app: App) {
      let list: Position[];
      try {
        list = await positionsOf(app.conn, owner);
      } catch (e) {
        fill(body, message("error", app.conn.explain(e)));
        return;
      }
      if (list.length === 0) {
        fill(body, h("p", { class: "muted", "data-testid": "no-positions" }, "This address owns no position."));
        return;
      }
      const balancesText = (bs: MarketTypes.PositionBalance[]) =>
        bs.length === 0 ? "–" : bs.map((b) => `${formatAmount(b.amount, app.snapshot.asset(b.denom)?.decimals ?? 0, 2)} ${app.conn.symbol(b.denom)}`).join(", ");
      fill(
        body,
        table(
          ["Position", "Collateral", "Debt", ["C (MOET)", "num"], ["D (MOET)", "num"], ["HF", "num"], ["LHF", "num"], "Band"],
          list.map((p) => [
            h("a", { href: `#/position/${p.position_id}`, "data-testid": `position-link-${p.position_id}` }, `#${p.position_id}`),
            balancesText(p.collateral),
            balancesText(p.debt),
            p.health ? formatDecimal(p.health.effective_collateral, 2) : "–",
            p.health ? formatDecimal(p.health.effective_debt, 2) : "–",
            formatHealth(p.health?.health_factor),
            formatHealth(p.health?.liquidation_health_factor),
            bandBadge(p.health?.band, `band-${p.position_id}`),
          ]),
          { "data-testid": "owner-positions" },
        ),
      );
    },
  };
}

