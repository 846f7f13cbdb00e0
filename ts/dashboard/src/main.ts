/**
 * The dashboard's shell: connects to the deployment named by the page's query string (chain.ts),
 * routes on the hash (`#/markets`, `#/position/<id>`, `#/owner/<address>`, `#/liquidations`,
 * `#/actions`), and refreshes the current page every few seconds from a new snapshot. After each
 * refresh `<main data-route data-height>` hold the route shown and the height its data was read
 * at (or after), which the browser tests wait on.
 */
import "./style.css";

import type { App, Page } from "./app";
import { connect, type Connection, pageConfig, readSnapshot } from "./chain";
import type { DevKeys } from "./dev-keys";
import { actionsPage } from "./pages/actions";
import { liquidationsPage } from "./pages/liquidations";
import { marketsPage } from "./pages/markets";
import { ownerPage, positionPage } from "./pages/position";
import { message } from "./ui/bits";
import { fill, h } from "./ui/dom";

const config = pageConfig(window.location);
const main = h("main", { "data-testid": "main" });
const status = h("div", { class: "status", "data-testid": "status" }, "connecting…");
const lookup = h("input", { placeholder: "position id or owner address", "data-testid": "lookup", size: 34 });
const nav = h("nav");

function route(): { name: string; arg: string; query: URLSearchParams } {
  const [path, query = ""] = window.location.hash.replace(/^#\/?/, "").split("?");
  const [name = "markets", ...rest] = path.split("/");
  return { name: name || "markets", arg: decodeURIComponent(rest.join("/")), query: new URLSearchParams(query) };
}

function pageFor(r: ReturnType<typeof route>): Page | string {
  switch (r.name) {
    case "markets":
      return marketsPage();
    case "position": {
      const id = Number(r.arg);
      return Number.isSafeInteger(id) && id > 0 ? positionPage(id) : `not a position id: "${r.arg}"`;
    }
    case "owner":
      return r.arg ? ownerPage(r.arg) : "no owner address given";
    case "liquidations":
      return liquidationsPage();
    case "actions":
      return actionsPage(r.query);
    default:
      return `no page "${r.name}"`;
  }
}

function renderNav(current: string): void {
  const link = (name: string, label: string) => h("a", { href: `#/${name}`, class: current === name ? "current" : null, "data-testid": `nav-${name}` }, label);
  fill(nav, link("markets", "Markets"), link("liquidations", "Liquidations"), link("actions", "Actions"));
}

async function start(): Promise<void> {
  document.body.append(
    h("header", { class: "top" }, h("h1", null, h("a", { href: "#/markets" }, "Keel")), nav, h("form", { class: "lookup", onsubmit: onLookup }, lookup, h("button", { type: "submit" }, "Go")), status),
    main,
  );
  let conn: Connection;
  try {
    conn = await connect(config);
  } catch (e) {
    fill(status, message("error", (e as Error).message, "connect-error"));
    return;
  }
  let dev: DevKeys | null = null;
  if (__KEEL_DEV_KEYS__) {
    try {
      const { loadDevKeys } = await import("./dev-keys");
      dev = await loadDevKeys(conn, window.location);
    } catch (e) {
      fill(main, message("error", (e as Error).message));
    }
  }
  let app: App;
  try {
    app = { conn, snapshot: await readSnapshot(conn), dev, go: (r) => (window.location.hash = r) };
  } catch (e) {
    fill(status, message("error", conn.explain(e), "connect-error"));
    return;
  }
  document.title = `Keel · ${conn.deployment.chain_id}`;

  let page: Page | null = null;
  let timer: number | undefined;
  // Each page shown gets a generation: a refresh of an older one (still in flight when the route
  // changed) neither marks the page nor schedules another, so exactly one refresh loop runs.
  let generation = 0;
  let shownRoute = "";
  const tick = async (gen: number, fresh: boolean) => {
    if (gen !== generation) return;
    const shown = page;
    try {
      if (fresh) app.snapshot = await readSnapshot(conn);
      if (shown) await shown.update(app);
      if (gen === generation) {
        main.dataset.route = shownRoute;
        main.dataset.height = String(app.snapshot.height);
        fill(status, `${conn.deployment.chain_id} · height ${app.snapshot.height} · ${new Date(app.snapshot.time * 1000).toLocaleTimeString()} · RPC ${conn.rpc}${dev ? " · development mode" : ""}`);
        status.classList.remove("stale");
      }
    } catch (e) {
      if (gen === generation) {
        fill(status, `${conn.deployment.chain_id} · not refreshed: ${conn.explain(e)}`);
        status.classList.add("stale");
      }
    } finally {
      if (gen === generation && config.refreshSeconds > 0) timer = window.setTimeout(() => void tick(gen, true), config.refreshSeconds * 1000);
    }
  };
  const show = () => {
    generation += 1;
    window.clearTimeout(timer);
    const r = route();
    renderNav(r.name);
    const p = pageFor(r);
    shownRoute = window.location.hash;
    delete main.dataset.height;
    delete main.dataset.route;
    if (typeof p === "string") {
      page = null;
      fill(main, message("error", p));
      return;
    }
    page = p;
    fill(main, p.root);
    void tick(generation, false);
  };
  window.addEventListener("hashchange", show);
  show();
}

function onLookup(event: Event): void {
  event.preventDefault();
  const text = lookup.value.trim();
  if (!text) return;
  window.location.hash = /^\d+$/.test(text) ? `#/position/${text}` : `#/owner/${text}`;
}

void start();
