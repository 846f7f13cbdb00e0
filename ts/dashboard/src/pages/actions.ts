/**
 * Actions (development mode only): open a position, deposit, withdraw, borrow, repay and set
 * automation, signed in the browser with one of the local chain's public test keys. A refused
 * transaction shows the contract's error in words. Native assets go as the message's funds, cw20
 * assets (MOET, KFL) by the token's `send` with the market's hook.
 */
import { cw20AddressOf, type KeelMarketClient, KeelMarketHooks, type KeelSigner, type MarketTypes, openedPositionId } from "@keel/client/browser";

import type { App, Page } from "../app";
import { positionsOf } from "../chain";
import type { DevKeys } from "../dev-keys";
import { formatAmount, formatHealth, parseAmount } from "../lib/format";
import { bandBadge, message, section, table } from "../ui/bits";
import { fill, h, select } from "../ui/dom";

type Coin = { denom: string; amount: string };
/** What a transaction answers (CosmJS's ExecuteResult, through the generated client's type). */
type ExecuteResultLike = Awaited<ReturnType<KeelMarketClient["borrow"]>>;

/** Sends `amount` of `denom` to the market with `msg` (execute with funds, or a cw20 send with `hook`). */
async function withFunds(
  signer: KeelSigner,
  market: string,
  denom: string,
  amount: bigint,
  native: (funds: Coin[]) => Promise<ExecuteResultLike>,
  hook: () => string,
): Promise<ExecuteResultLike> {
  const token = cw20AddressOf(denom);
  if (token) return signer.cw20(token).send({ contract: market, amount: amount.toString(), msg: hook() });
  return native([{ denom, amount: amount.toString() }]);
}

export function actionsPage(route: URLSearchParams): Page {
  const root = h("div", { class: "page", "data-testid": "actions-page" }, h("h2", null, "Actions"));
  let built = false;
  let wantPosition = route.get("position");
  // filled by build()
  let refreshAccount: (app: App) => Promise<void> = async () => {};

  const build = async (app: App, dev: DevKeys) => {
    const snap = app.snapshot;
    const market = app.conn.deployment.contracts.market;
    const names = dev.accounts.map((a) => a.name).sort((a, b) => Number(!a.startsWith("user")) - Number(!b.startsWith("user")) || a.localeCompare(b));
    // `#/actions?position=N` (a position page's "act on it"): sign as its owner when it is a test account
    let owner: string | undefined;
    if (wantPosition) {
      try {
        const position = await app.conn.reader.market.position({ positionId: Number(wantPosition) });
        owner = dev.accounts.find((a) => a.address === position.owner)?.name;
      } catch {
        // not a position: the page opens on the first account and says so when one acts
      }
    }
    const accountSelect = select({ "data-testid": "action-account" }, names.map((n) => [n, n] as const), owner ?? names[0]);
    const accountInfo = h("div", { class: "muted" });
    const positionSelect = h("select", { "data-testid": "action-position" });
    const positionInfo = h("div");
    const result = h("div", { "data-testid": "action-result", "aria-live": "polite" });
    const assetOptions = (filter: (a: MarketTypes.AssetResponse) => boolean) => snap.assets.filter((a) => filter(a.state)).map((a) => [a.denom, a.symbol] as const);
    const depositable = assetOptions((a) => a.params.kind === "pool" && !!a.params.deposit_enabled);
    const borrowable = assetOptions((a) => !!a.params.borrow_enabled);
    const all = assetOptions(() => true);
    const input = (testid: string, placeholder: string) => h("input", { "data-testid": testid, placeholder, "aria-label": placeholder, inputmode: "decimal", size: 14 });

    const signer = () => dev.signer(accountSelect.value);
    const positionId = () => {
      const id = Number(positionSelect.value);
      if (!Number.isSafeInteger(id) || id <= 0) throw new Error("choose a position first (or open one)");
      return id;
    };
    const amountOf = (denom: string, field: HTMLInputElement) => {
      const a = app.snapshot.asset(denom);
      if (!a) throw new Error(`asset ${denom} is not listed`);
      const amount = parseAmount(field.value, a.decimals);
      if (amount === 0n) throw new Error("the amount is zero");
      return amount;
    };

    /** Runs one transaction: disables the form's buttons meanwhile, then says what happened. */
    const send = async (what: string, tx: () => Promise<ExecuteResultLike>, after?: (r: ExecuteResultLike) => string | null) => {
      const buttons = [...root.querySelectorAll("button")];
      buttons.forEach((b) => (b.disabled = true));
      fill(result, message("info", `${what}: signing as ${accountSelect.value} and sending…`, "action-pending"));
      try {
        const r = await tx();
        const extra = after?.(r) ?? null;
        fill(result, message("ok", [`${what}: included at height ${r.height} (tx ${r.transactionHash.slice(0, 12)}…, gas ${r.gasUsed}). `, extra], "action-ok"));
        await refreshAccount(app);
      } catch (e) {
        fill(result, message("error", [h("strong", null, `${what} refused: `), app.conn.explain(e)], "action-error"));
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    };

    // open
    const openAsset = select({ "data-testid": "open-asset" }, depositable, depositable.find(([, s]) => s === "FLOW")?.[0]);
    const openAmount = input("open-amount", "amount");
    const openAutoBorrow = h("input", { type: "checkbox", "data-testid": "open-auto-borrow" });
    const openButton = h("button", { type: "button", "data-testid": "open-submit" }, "Open position");
    openButton.addEventListener("click", () => {
      void send("Open position", async () => {
        const s = await signer();
        const amount = amountOf(openAsset.value, openAmount);
        const push = openAutoBorrow.checked;
        return withFunds(s, market, openAsset.value, amount, (funds) => s.market.openPosition({ pushToDrawDownSink: push }, "auto", undefined, funds), () => KeelMarketHooks.openPosition({ pushToDrawDownSink: push }));
      }, (r) => {
        const id = openedPositionId(r);
        wantPosition = String(id);
        return `Opened position #${id}.`;
      });
    });

    // deposit, withdraw, borrow, repay
    const simple = (kind: "deposit" | "withdraw" | "borrow" | "repay", options: ReadonlyArray<readonly [string, string]>, label: string) => {
      const asset = select({ "data-testid": `${kind}-asset` }, options, options.find(([, s]) => s === (kind === "deposit" || kind === "withdraw" ? "FLOW" : "MOET"))?.[0]);
      const amount = input(`${kind}-amount`, kind === "withdraw" ? "amount (empty: all)" : "amount");
      const button = h("button", { type: "button", "data-testid": `${kind}-submit` }, label);
      button.addEventListener("click", () => {
        void send(label, async () => {
          const s = await signer();
          const id = positionId();
          const denom = asset.value;
          switch (kind) {
            case "deposit":
              return withFunds(s, market, denom, amountOf(denom, amount), (funds) => s.market.deposit({ positionId: id }, "auto", undefined, funds), () => KeelMarketHooks.deposit({ positionId: id }));
            case "repay":
              return withFunds(s, market, denom, amountOf(denom, amount), (funds) => s.market.repay({ positionId: id }, "auto", undefined, funds), () => KeelMarketHooks.repay({ positionId: id }));
            case "borrow":
              return s.market.borrow({ positionId: id, denom, amount: amountOf(denom, amount).toString() });
            case "withdraw":
              return s.market.withdraw({ positionId: id, denom, amount: amount.value.trim() === "" ? undefined : amountOf(denom, amount).toString() });
          }
        });
      });
      return h("div", { class: "row" }, h("span", { class: "label" }, label), asset, amount, button);
    };

    // automation
    const d = snap.config.default_health;
    const minIn = h("input", { "data-testid": "auto-min", value: d.min, size: 6 });
    const targetIn = h("input", { "data-testid": "auto-target", value: d.target, size: 6 });
    const maxIn = h("input", { "data-testid": "auto-max", value: d.max, size: 6 });
    const selfRepay = h("input", { type: "checkbox", "data-testid": "auto-self-repay" });
    const topUp = h("input", { "data-testid": "auto-top-up", placeholder: "top-up source (address; empty: none)", size: 30 });
    const sink = h("input", { "data-testid": "auto-sink", placeholder: "draw-down sink (address; empty: none)", size: 30 });
    const saveAuto = h("button", { type: "button", "data-testid": "auto-submit" }, "Set automation");
    const clearAuto = h("button", { type: "button", class: "secondary", "data-testid": "auto-clear" }, "Remove automation");
    saveAuto.addEventListener("click", () => {
      void send("Set automation", async () => {
        const s = await signer();
        const automation: MarketTypes.Automation = {
          health: { min: minIn.value.trim(), target: targetIn.value.trim(), max: maxIn.value.trim() },
          self_repay: selfRepay.checked,
          top_up_source: topUp.value.trim() || null,
          draw_down_sink: sink.value.trim() ? { address: sink.value.trim(), msg: null } : null,
        };
        return s.market.setAutomation({ positionId: positionId(), automation });
      });
    });
    clearAuto.addEventListener("click", () => {
      void send("Remove automation", async () => (await signer()).market.setAutomation({ positionId: positionId(), automation: undefined }));
    });

    refreshAccount = async (app: App) => {
      const name = accountSelect.value;
      const account = dev.accounts.find((a) => a.name === name);
      if (!account) return;
      const client = app.conn.reader.client;
      const balances = await Promise.all(
        app.snapshot.assets.map(async (a) => {
          const token = cw20AddressOf(a.denom);
          const amount = token ? (await app.conn.reader.cw20(token).balance({ address: account.address })).balance : (await client.getBalance(account.address, a.denom)).amount;
          return `${formatAmount(amount, a.decimals, 2)} ${a.symbol}`;
        }),
      );
      fill(accountInfo, h("code", { "data-testid": "action-address" }, account.address), ` holds ${balances.join(" · ")}`);
      const positions = await positionsOf(app.conn, account.address);
      const chosen = wantPosition ?? positionSelect.value;
      fill(
        positionSelect,
        positions.length === 0 ? h("option", { value: "" }, "no position yet") : null,
        positions.map((p) => h("option", { value: String(p.position_id), selected: String(p.position_id) === chosen }, `#${p.position_id} · HF ${formatHealth(p.health?.health_factor)} · ${p.health?.band ?? "no price"}`)),
      );
      if (wantPosition && positions.some((p) => String(p.position_id) === wantPosition)) wantPosition = null;
      const current = positions.find((p) => String(p.position_id) === positionSelect.value);
      fill(
        positionInfo,
        current
          ? h(
              "p",
              null,
              h("a", { href: `#/position/${current.position_id}`, "data-testid": "action-position-link" }, `Position #${current.position_id}`),
              " ",
              bandBadge(current.health?.band, "action-band"),
              ` HF ${formatHealth(current.health?.health_factor)} · LHF ${formatHealth(current.health?.liquidation_health_factor)}`,
              current.debt.length || current.collateral.length
                ? table(
                    ["", "Holdings"],
                    [
                      ["collateral", current.collateral.map((b) => `${formatAmount(b.amount, app.snapshot.asset(b.denom)?.decimals ?? 0, 4)} ${app.conn.symbol(b.denom)}`).join(", ") || "–"],
                      ["debt", current.debt.map((b) => `${formatAmount(b.amount, app.snapshot.asset(b.denom)?.decimals ?? 0, 4)} ${app.conn.symbol(b.denom)}`).join(", ") || "–"],
                    ],
                  )
                : null,
            )
          : null,
      );
    };
    let shownAccount = accountSelect.value;
    accountSelect.addEventListener("change", () => {
      // another account's positions: forget the position chosen for the previous one
      if (accountSelect.value !== shownAccount) positionSelect.value = "";
      shownAccount = accountSelect.value;
      void refreshAccount(app);
    });
    positionSelect.addEventListener("change", () => void refreshAccount(app));

    root.append(
      h("p", { class: "note warn" }, "Development mode: transactions are signed in this page with the local chain's public test keys (the accounts file). A production build has none of this."),
      section("Account", h("div", { class: "row" }, h("span", { class: "label" }, "Sign as"), accountSelect), accountInfo),
      result,
      h(
        "div",
        { class: "columns" },
        section(
          "Open a position",
          h("div", { class: "row" }, openAsset, openAmount, h("label", null, openAutoBorrow, " auto-borrow MOET to the target HF"), openButton),
        ),
        section("Position", h("div", { class: "row" }, h("span", { class: "label" }, "Act on"), positionSelect), positionInfo),
      ),
      section(
        "Deposit, withdraw, borrow, repay",
        simple("deposit", depositable, "Deposit"),
        simple("withdraw", depositable, "Withdraw"),
        simple("borrow", borrowable, "Borrow"),
        simple("repay", borrowable.length ? borrowable : all, "Repay"),
      ),
      section(
        "Automation",
        h("div", { class: "row" }, h("span", { class: "label" }, "Health"), "min ", minIn, " target ", targetIn, " max ", maxIn, h("label", null, selfRepay, " self-repay")),
        h("div", { class: "row" }, topUp, sink),
        h("div", { class: "row" }, saveAuto, clearAuto),
      ),
    );
  };

  return {
    root,
    async update(app: App) {
      if (!app.dev) {
        if (!built) {
          root.append(
            message(
              "info",
              "Read-only: this build signs nothing. Actions with the local chain's test keys need a development build served with them: scripts/dashboard.sh --dev (scripts/localnet.sh up starts it so).",
              "actions-read-only",
            ),
          );
          built = true;
        }
        return;
      }
      if (!built) {
        built = true;
        await build(app, app.dev);
      }
      await refreshAccount(app);
    },
  };
}
