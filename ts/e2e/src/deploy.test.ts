/**
 * The deploy tool against the running chain that it deployed: a re-run finds everything and
 * changes nothing; a wrong chain id and tampered artifacts are refused before anything is sent.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import { account } from "@keel/client";
import { ARTIFACTS, connect, deploy, readConfig, verifiedArtifacts } from "@keel/deploy";

import { accounts, deployment, ROOT } from "./harness";

const configFile = process.env.KEEL_DEPLOY_CONFIG ?? path.join(ROOT, "deployments/config/keel-local.json");
const artifacts = process.env.KEEL_ARTIFACTS ?? path.join(ROOT, "artifacts");
const mnemonic = account(accounts, "deployer").mnemonic;

describe("keel-deploy on the deployed chain", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "keel-deploy-test-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("a re-run finds every code, contract and asset, and sends nothing", async () => {
    const { client, address, chainId } = await connect({
      rpc: deployment.rpc,
      mnemonic,
      prefix: deployment.bech32_prefix,
      gasPrice: deployment.gas_price,
      expectedChainId: deployment.chain_id,
    });
    try {
      const sequence = (await client.getSequence(address)).sequence;
      const lines: string[] = [];
      const again = await deploy({
        client,
        deployer: address,
        chainId,
        rpc: deployment.rpc,
        gasPrice: deployment.gas_price,
        prefix: deployment.bech32_prefix,
        config: readConfig(configFile),
        artifacts,
        accounts,
        accountsFile: deployment.accounts_file,
        log: (l) => lines.push(l),
      });
      assert.deepEqual(again.code_ids, deployment.code_ids);
      assert.deepEqual(again.contracts, deployment.contracts);
      assert.deepEqual(
        again.assets.map((a) => a.denom),
        deployment.assets.map((a) => a.denom),
      );
      assert.equal((await client.getSequence(address)).sequence, sequence, `the re-run sent transactions:\n${lines.join("\n")}`);
      assert.ok(lines.some((l) => /market: found/.test(l)) && lines.some((l) => /already listed/.test(l)), lines.join("\n"));
    } finally {
      client.disconnect();
    }
  });

  it("refuses an RPC that serves another chain", async () => {
    await assert.rejects(
      connect({ rpc: deployment.rpc, mnemonic, prefix: deployment.bech32_prefix, gasPrice: deployment.gas_price, expectedChainId: "keel-elsewhere" }),
      new RegExp(`serves chain "${deployment.chain_id}", not "keel-elsewhere": refusing to deploy`),
    );
  });

  it("refuses an artifact whose checksum is not the one in checksums.txt", () => {
    for (const name of Object.values(ARTIFACTS)) copyFileSync(path.join(artifacts, name), path.join(scratch, name));
    const sums = readFileSync(path.join(artifacts, "checksums.txt"), "utf8");
    writeFileSync(path.join(scratch, "checksums.txt"), sums);
    assert.equal(Object.keys(verifiedArtifacts(scratch)).length, 4);
    const market = path.join(scratch, ARTIFACTS.market);
    writeFileSync(market, Buffer.concat([readFileSync(market), Buffer.from([0])]));
    assert.throws(() => verifiedArtifacts(scratch), /keel_market\.wasm has sha256 [0-9a-f]{64}, but .*checksums\.txt says [0-9a-f]{64}/);
  });

  it("refuses an unreachable RPC with a clear error", async () => {
    await assert.rejects(
      connect({ rpc: "http://127.0.0.1:9", mnemonic, prefix: "wasm", gasPrice: deployment.gas_price, expectedChainId: deployment.chain_id }),
      /cannot reach the chain's RPC at http:\/\/127\.0\.0\.1:9/,
    );
  });
});
