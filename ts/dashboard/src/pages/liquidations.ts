/**
 * Liquidations: the positions the market's `liquidatable_positions` scan finds (LHF < 1), each
 * with the liquidator's `quote` for every pair of its debts and collaterals: what a liquidation
 * would repay, seize and earn now.
 */
import type { LiquidatorTypes, MarketTypes } from "@keel/client/browser";

import type { App, Page } from "../app";
import { liquidatablePositions } from "../chain";
import { formatAmount, formatDecimal, formatHealth } from "../lib/format";
import { bandBadge, message, table } from "../ui/bits";
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

export function liquidationsPage(): Page {
  const summary = h("p", { class: "muted" });
  const list = h("div", { class: "cards wide" });
  const root = h(
    "div",
    { class: "page", "data-testid": "liquidations-page" },
    h("h2", null, "Liquidations"),
    h("p", { class: "note" }, "Positions with LHF below 1, found by the market's liquidatable_positions scan, and the liquidator's quote for each debt and collateral: a liquidation repays at most the close factor of the debt (all of it when the rest would be dust) and seizes the repaid value plus the bonus."),
    summary,
    list,
  );
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
    },
  };
}
