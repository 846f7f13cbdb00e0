/** @keel/deploy as a library: the deployment steps the CLI (cli.ts) runs, for tests and tools. */
export * from "./config";
export * from "./chain";
export * from "./deploy";
export * from "./seed";
