/** What every page gets: the connection, the latest snapshot, the test keys (development builds). */
import type { Connection, Snapshot } from "./chain";
import type { DevKeys } from "./dev-keys";

export interface App {
  conn: Connection;
  /** The latest snapshot (the shell reads a new one before each refresh of the page). */
  snapshot: Snapshot;
  /** The accounts file's test keys: only in a development build served with them, else null. */
  dev: DevKeys | null;
  /** Goes to a route (`#/position/4`). */
  go(route: string): void;
}

/** A page: its element, filled by `update` on mount and at every refresh. */
export interface Page {
  root: HTMLElement;
  update(app: App): Promise<void>;
}
