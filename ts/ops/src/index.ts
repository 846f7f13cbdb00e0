/**
 * @keel/ops: Keel's operators' services (the `keel-ops` command, cli.ts), exported for embedding
 * and tests: each service is a `Service` built by its `create*` from a connected `Context`.
 */
export * from "./config";
export * from "./chain";
export * from "./decimal";
export * from "./log";
export * from "./metrics";
export * from "./runner";
export { createFeeder, Feeder, type FeederPort, pushReasons, pushStatuses } from "./feeder/feeder";
export * from "./feeder/sources";
export { createKeeper, Keeper, type KeeperPort } from "./keeper/keeper";
export * from "./keeper/decide";
export * from "./keeper/discovery";
export { createLiquidationBot, LiquidationBot, type BotPort, type Plan, seizedOf } from "./liquidator/bot";
