/**
 * @keel/client for Node: everything of the browser-safe entry (browser.ts: the generated clients,
 * hooks, deployment record types and checks, connect helpers) and the file readers of node.ts.
 */
export * from "./browser";
export * from "./node";
