/** Markets: per asset its price (source, age), totals, utilization, rates, caps, reserves, and rate curve. */
import type { App, Page } from "../app";
import type { AssetView, Snapshot } from "../chain";
import { toNumber, valueDown } from "../lib/decimal";
import { formatAge, formatAmount, formatDecimal, formatPercent } from "../lib/format";
import { apyOf, curvePoints } from "../lib/rates";
import { kv, section } from "../ui/bits";
import { rateCurve } from "../ui/charts";
import { type Child, fill, h } from "../ui/dom";

type Row = readonly [label: string, value: Child, testid: string];

function rateRow(label: string, rate: string, testid: string): Row {
  const r = toNumber(rate);
  return [
    label,
    h("span", null, h("span", { "data-testid": `${testid}-apr` }, formatPercent(r)), " APR · ", h("span", { "data-testid": `${testid}-apy` }, formatPercent(apyOf(r))), " APY"),
    testid,
  ];
}

function priceLine(a: AssetView, snap: Snapshot): HTMLElement {
  if (a.state.params.kind === "minted") {
    return h("div", { class: "price" }, h("span", { class: "big", "data-testid": "price" }, "1"), " MOET ", h("span", { class: "source", "data-testid": "price-source" }, "by definition (unit of account)"));
  }
  if (!a.price) {
    return h("div", { class: "price unavailable" }, h("span", { class: "big", "data-testid": "price" }, "no price"), " ", h("span", { class: "source", "data-testid": "price-source" }, a.priceError ?? ""));
  }
  const age = snap.time - a.price.updated_at;
  return h(
    "div",
    { class: "price" },
    h("span", { class: "big", "data-testid": "price" }, formatDecimal(a.price.price, 6)),
    " MOET ",
    h("span", { class: "source", "data-testid": "price-source", title: "the oracle source that served this price" }, a.price.source),
    " ",
    h("span", { class: "age", "data-testid": "price-age", "data-seconds": String(age), title: `pushed at ${new Date(a.price.updated_at * 1000).toISOString()}; fresh for ${snap.oracle.max_age} s` }, `${formatAge(age)} old`),
    a.price.twap ? h("span", { class: "twap" }, ` · TWAP ${formatDecimal(a.price.twap, 6)}`) : null,
    a.price.pending ? h("span", { class: "badge pending", "data-testid": "price-pending", title: "a feeder's move beyond the deviation guard awaits confirmation" }, "pending") : null,
  );
}

function assetCard(a: AssetView, snap: Snapshot): HTMLElement {
  const p = a.state.params;
  const minted = p.kind === "minted";
  const amount = (x: string) => `${formatAmount(x, a.decimals, 2)} ${a.symbol}`;
  const valued = (x: string) => (a.priceAtomics === null ? amount(x) : `${amount(x)} (${formatDecimal(valueDown(BigInt(x), a.decimals, a.priceAtomics), 2)} MOET)`);
  const cap = (x: string | null | undefined) => (x === null || x === undefined ? "none" : amount(x));
  const u = toNumber(a.state.utilization);
  const flags = [p.deposit_enabled ? "deposit" : null, p.borrow_enabled ? "borrow" : null, p.collateral_enabled ? "collateral" : null].filter(Boolean).join(" · ") || "none";
  return h(
    "article",
    { class: "card asset", "data-testid": `asset-${a.symbol}`, "data-denom": a.denom },
    h("header", null, h("h3", null, a.symbol), h("span", { class: "denom", title: a.denom }, a.denom.length > 20 ? `${a.denom.slice(0, 14)}…${a.denom.slice(-6)}` : a.denom), h("span", { class: "kind" }, p.kind)),
    priceLine(a, snap),
    kv(([
      [minted ? "Supplied" : "Total supply", minted ? "minted on borrow, burnt on repay" : valued(a.state.total_supply), "total-supply"],
      [minted ? "Outstanding" : "Total debt", valued(a.state.total_debt), "total-debt"],
      ["Utilization", minted ? "– (fixed rate)" : formatPercent(u), "utilization"],
      rateRow("Borrow rate", a.state.borrow_rate, "borrow"),
      minted ? null : rateRow("Supply rate", a.state.supply_rate, "supply"),
      ["Supply cap", minted ? null : cap(p.supply_cap), "supply-cap"],
      ["Borrow cap", cap(p.borrow_cap), "borrow-cap"],
      ["Reserves", amount(a.state.reserves), "reserves"],
      ["Deficit", amount(a.state.deficit), "deficit"],
      ["CF · LT · BF", `${p.collateral_factor ?? "0"} · ${p.liquidation_threshold ?? "0"} · ${p.borrow_factor ?? "1"}`, "factors"],
      ["Reserve factor", formatPercent(toNumber(p.reserve_factor ?? "0"), 0), "reserve-factor"],
      ["Enabled", flags, "enabled"],
    ] satisfies (Row | null)[]).filter((row): row is Row => row !== null)),
    rateCurve(curvePoints(p.rate_model), minted ? null : u, `${a.symbol} borrow rate by utilization`),
  );
}

function configPanel(snap: Snapshot): HTMLElement {
  const c = snap.config;
  const d = c.default_health;
  return section(
    "Market settings",
    kv([
      ["Default health bounds", `min ${d.min} · target ${d.target} · max ${d.max}`],
      ["Borrow health floor", c.borrow_health_floor],
      ["Minimum debt", `${c.min_debt_value} MOET`],
      ["Liquidations", `close factor ${snap.liquidator.close_factor} · bonus ${snap.liquidator.liquidation_bonus} (market caps ${c.max_close_factor} · ${c.max_liquidation_bonus}); dust below ${c.dust_debt_value} MOET`],
      ["Redemptions", `${c.redemptions_paused ? "paused" : "open"} below HF ${c.redemption_health}, fee ${c.redemption_fee}`],
      ["Oracle", `fresh for ${snap.oracle.max_age} s · deviation guard ${formatPercent(toNumber(snap.oracle.max_deviation), 0)} · TWAP window ${snap.oracle.twap_window} s`],
    ]),
  );
}

export function marketsPage(): Page {
  const cards = h("div", { class: "cards" });
  const settings = h("div");
  const root = h(
    "div",
    { class: "page", "data-testid": "markets-page" },
    h("h2", null, "Markets"),
    h(
      "p",
      { class: "note" },
      "Rates are yearly rates r compounded continuously (the index grows by e",
      h("sup", null, "r·t"),
      "): APR is r, APY = e",
      h("sup", null, "r"),
      " − 1, what a year at today's rate would give. Prices are MOET per whole token; ages are measured on the chain's clock.",
    ),
    cards,
    settings,
  );
  return {
    root,
    async update(app: App) {
      const snap = app.snapshot;
      fill(cards, snap.assets.map((a) => assetCard(a, snap)));
      fill(settings, configPanel(snap));
    },
  };
}
