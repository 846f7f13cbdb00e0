/**
 * Liquidations: the positions the market's `liquidatable_positions` scan finds (LHF < 1), each
 * with the liquidator's `quote` for every pair of its debts and collaterals: what a liquidation
 * would repay, seize and earn now. Below them, the positions MOET can be redeemed against
 * (`redeemable_positions`, SPEC 3.6a) with the market's `redemption_quote` for each collateral.
 */
import type { LiquidatorTypes, MarketTypes } from "@keel/client/browser";

import type { App, Page } from "../app";
import { liquidatablePositions, redeemablePositions } from "../chain";
import { formatAmount, formatDecimal, formatHealth } from "../lib/format";
import { bandBadge, message, section, table } from "../ui/bits";
import { fill, h } from "../ui/dom";

interface Quote {
  debt: string;
  collateral: string;
  quote: LiquidatorTypes.QuoteResponse | string;
}

async function quotes(app: App, p: MarketTypes.PositionResponse): Promise<Quote[]> {
  const pairs = p.debt.flatMap((d) => p.collateral.map((c) => ({ debt: d.denom, collateral: c.denom })));
  return Promise.all(
    pairs.map(async ({ debt, collateral }) => {
      try {
        return { debt, collateral, quote: await app.conn.reader.liquidator.quote({ positionId: p.position_id, debtDenom: debt, collateralDenom: collateral }) };
      } catch (e) {
        return { debt, collateral, quote: app.conn.explain(e) };
      }
    }),
  );
}

function positionBlock(app: App, p: MarketTypes.PositionResponse, qs: Quote[]): HTMLElement {
  const dec = (denom: string) => app.snapshot.asset(denom)?.decimals ?? 0;
  const sym = (denom: string) => app.conn.symbol(denom);
  const list = (bs: MarketTypes.PositionBalance[]) => bs.map((b) => `${formatAmount(b.amount, dec(b.denom), 2)} ${sym(b.denom)}`).join(", ") || "–";
  return h(
    "article",
    { class: "card liquidatable", "data-testid": `liquidatable-${p.position_id}` },
    h(
      "header",
      null,
      h("h3", null, h("a", { href: `#/position/${p.position_id}` }, `Position #${p.position_id}`)),
      bandBadge(p.health?.band, `band-${p.position_id}`),
      h("span", { class: "muted" }, " LHF ", h("strong", { "data-testid": `lhf-${p.position_id}` }, formatHealth(p.health?.liquidation_health_factor)), " · HF ", formatHealth(p.health?.health_factor)),
    ),
    h("p", { class: "muted" }, `collateral ${list(p.collateral)} · debt ${list(p.debt)} · owner ${p.owner}`),
    table(
      ["Repay", "Seize", ["Max repay", "num"], ["Repay now", "num"], ["Collateral out", "num"], ["Bonus (MOET)", "num"], ["LHF before → after", "num"]],
      qs.map(({ debt, collateral, quote }) => {
        if (typeof quote === "string") return [sym(debt), sym(collateral), h("span", { class: "muted" }, quote), "", "", "", ""];
        return [
          sym(debt),
          sym(collateral),
          `${formatAmount(quote.max_repay, dec(debt), 4)} ${sym(debt)}`,
          h("span", { "data-testid": `quote-repay-${p.position_id}-${sym(debt)}-${sym(collateral)}` }, `${formatAmount(quote.repay_amount, dec(debt), 4)} ${sym(debt)}`),
          h("span", { "data-testid": `quote-out-${p.position_id}-${sym(debt)}-${sym(collateral)}` }, `${formatAmount(quote.collateral_out, dec(collateral), 4)} ${sym(collateral)}`),
          formatDecimal(quote.bonus_value, 4),
          quote.liquidatable ? `${formatHealth(quote.health_before)} → ${formatHealth(quote.health_after)}` : "not liquidatable now",
        ];
      }),
      { class: "quotes" },
    ),
  );
}

/** Redemptions shown at most: each costs a position query and a quote per collateral. */
const REDEEMABLE_SHOWN = 50;

async function redemptions(app: App): Promise<HTMLElement> {
  const c = app.snapshot.config;
  const scan = await redeemablePositions(app.conn);
  const note = h(
    "p",
    { class: "note" },
    `MOET can be redeemed at face value for the collateral of positions that owe MOET and whose HF at redemption prices (collateral at max(price, TWAP)) is below ${c.redemption_health}; the redeemer pays the fee ${c.redemption_fee} to the position, and a redemption lifts its HF at most to that level.${c.redemptions_paused ? " Redemptions are paused." : ""}`,
  );
  if (scan.positions.length === 0) return section("Redemptions", note, h("p", { "data-testid": "no-redeemable" }, "No position is redeemable."));
  const shown = scan.positions.slice(0, REDEEMABLE_SHOWN);
  const rows = await Promise.all(
    shown.map(async (r) => {
      const p = await app.conn.reader.market.position({ positionId: r.position_id });
      return Promise.all(
        p.collateral.map(async (b) => {
          try {
            return { r, denom: b.denom, quote: await app.conn.reader.market.redemptionQuote({ positionId: r.position_id, collateralDenom: b.denom }) };
          } catch (e) {
            return { r, denom: b.denom, quote: app.conn.explain(e) };
          }
        }),
      );
    }),
  );
  const dec = (denom: string) => app.snapshot.asset(denom)?.decimals ?? 0;
  const moet = c.moet_denom ?? "";
  return section(
    "Redemptions",
    note,
    h("p", { class: "muted" }, h("span", { "data-testid": "redeemable-count" }, String(scan.positions.length)), ` redeemable position${scan.positions.length === 1 ? "" : "s"}${scan.positions.length > shown.length ? ` (the first ${shown.length} shown)` : ""}${scan.complete ? "" : "; the scan stops at 2,000 a refresh"}`),
    table(
      ["Position", ["HF (redemption prices)", "num"], ["MOET debt", "num"], "Collateral", ["MOET taken", "num"], ["Collateral out", "num"], ["Fee to the position", "num"], ["HF after", "num"]],
      rows.flat().map(({ r, denom, quote }) => {
        const head = [h("a", { href: `#/position/${r.position_id}` }, `#${r.position_id}`), formatHealth(r.health_factor), formatAmount(r.moet_debt, dec(moet), 4), app.conn.symbol(denom)];
        if (typeof quote === "string") return [...head, h("span", { class: "muted" }, quote), "", "", ""];
        if (!quote.redeemable) return [...head, h("span", { class: "muted" }, "not redeemable against this collateral now"), "", "", ""];
        return [
          ...head,
          h("span", { "data-testid": `redeem-repay-${r.position_id}-${app.conn.symbol(denom)}` }, formatAmount(quote.repay_amount, dec(moet), 4)),
          h("span", { "data-testid": `redeem-out-${r.position_id}-${app.conn.symbol(denom)}` }, `${formatAmount(quote.collateral_out, dec(denom), 4)} ${app.conn.symbol(denom)}`),
          `${formatDecimal(quote.fee_value, 4)} MOET`,
          formatHealth(quote.health_after),
        ];
      }),
      { "data-testid": "redeemable" },
    ),
  );
}

export function liquidationsPage(): Page {
  const summary = h("p", { class: "muted" });
  const list = h("div", { class: "cards wide" });
  const root = h(
    "div",
    { class: "page", "data-testid": "liquidations-page" },
    h("h2", null, "Liquidations and redemptions"),
    h("p", { class: "note" }, "Positions with LHF below 1, found by the market's liquidatable_positions scan, and the liquidator's quote for each debt and collateral: a liquidation repays at most the close factor of the debt (all of it when the rest would be dust) and seizes the repaid value plus the bonus."),
    summary,
    list,
  );
  const redeem = h("div");
  root.append(redeem);
  return {
    root,
    async update(app: App) {
      let scan: Awaited<ReturnType<typeof liquidatablePositions>>;
      try {
        scan = await liquidatablePositions(app.conn);
      } catch (e) {
        fill(list, message("error", app.conn.explain(e)));
        return;
      }
      const all = await Promise.all(scan.positions.map(async (p) => ({ p, qs: await quotes(app, p) })));
      const l = app.snapshot.liquidator;
      fill(
        summary,
        h("span", { "data-testid": "liquidatable-count" }, String(scan.positions.length)),
        ` liquidatable position${scan.positions.length === 1 ? "" : "s"}`,
        scan.lastScanned !== null ? ` (positions up to #${scan.lastScanned} scanned${scan.complete ? "" : "; more beyond: the scan stops at 2,000 a refresh"})` : " (no positions)",
        ` · liquidator: close factor ${l.close_factor}, bonus ${l.liquidation_bonus}`,
      );
      fill(list, all.length === 0 ? h("p", { "data-testid": "no-liquidatable" }, "Nothing to liquidate.") : all.map(({ p, qs }) => positionBlock(app, p, qs)));
      try {
        fill(redeem, await redemptions(app));
      } catch (e) {
        fill(redeem, section("Redemptions", message("error", app.conn.explain(e))));
      }
    },
  };
}
