/**
 * Build-time constant (vite `define`, see server/vite-config.ts): true only in a development
 * build (`scripts/dashboard.sh --dev`), which may sign with the local chain's test keys.
 */
declare const __KEEL_DEV_KEYS__: boolean;

/** Side-effect imports of style sheets, bundled by Vite. */
declare module "*.css";
