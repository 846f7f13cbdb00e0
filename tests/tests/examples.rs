//! Every JSON example in docs/EXAMPLES.md is checked twice: it parses into the Rust type the
//! contract reads (or writes), and it validates against the JSON schema in `schema/` that wallets,
//! bots and the TypeScript client are generated from (draft-07, with `boon`). The examples cover
//! every message, cw20 hook and query response of the market, the oracle and the liquidator
//! (checked from the schema itself, so a new variant without an example fails here), and the
//! MOET (cw20-base) messages Keel's users send. A MOET `send` to the market or the liquidator
//! carries a base64 hook: it is decoded and validated as that contract's `ReceiveMsg` too.
//!
//! An example is a ```json block preceded by a comment naming what it is:
//! `<!-- market::ExecuteMsg -->`, `<!-- oracle::response_to_prices -->`, ... (the contract, then
//! the schema file of `schema/<contract>/raw/` without `.json`, or the message's name).
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use boon::{Compiler, Format, SchemaIndex, Schemas};
use keel_types::{liquidator, market, oracle};
use serde::de::DeserializeOwned;
use serde_json::Value;

const DOC: &str = include_str!("../../docs/EXAMPLES.md");

/// The contracts whose whole interface the examples must cover.
const KEEL: [&str; 3] = ["market", "oracle", "liquidator"];

/// MOET (cw20-base): the messages and queries of Keel's users, wallets and bots.
const MOET_EXECUTE: [&str; 7] = [
    "transfer",
    "send",
    "burn",
    "increase_allowance",
    "decrease_allowance",
    "transfer_from",
    "mint",
];
const MOET_QUERY: [&str; 4] = ["balance", "token_info", "minter", "allowance"];

fn parse<T: DeserializeOwned>(json: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(json.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Parses `json` into the Rust type of `contract::name` (a message or `response_to_<query>`).
fn parse_as(contract: &str, name: &str, json: &Value) -> Result<(), String> {
    use cw20_base::msg as cw20_msg;
    match (contract, name) {
        ("market", "InstantiateMsg") => parse::<market::InstantiateMsg>(json),
        ("market", "ExecuteMsg") => parse::<market::ExecuteMsg>(json),
        ("market", "ReceiveMsg") => parse::<market::ReceiveMsg>(json),
        ("market", "QueryMsg") => parse::<market::QueryMsg>(json),
        ("market", "MigrateMsg") => parse::<market::MigrateMsg>(json),
        ("market", "response_to_config") => parse::<market::ConfigResponse>(json),
        ("market", "response_to_asset") => parse::<market::AssetResponse>(json),
        ("market", "response_to_assets") => parse::<Vec<market::AssetResponse>>(json),
        ("market", "response_to_position" | "response_to_simulate") => {
            parse::<market::PositionResponse>(json)
        }
        ("market", "response_to_positions") => parse::<Vec<market::PositionResponse>>(json),
        ("market", "response_to_liquidatable_positions") => {
            parse::<market::LiquidatablePositionsResponse>(json)
        }
        ("market", "response_to_max_borrow") => parse::<market::MaxBorrowResponse>(json),
        ("market", "response_to_redemption_quote") => {
            parse::<market::RedemptionQuoteResponse>(json)
        }
        ("market", "response_to_redeemable_positions") => {
            parse::<market::RedeemablePositionsResponse>(json)
        }
        ("market", "response_to_top_up_consent") => parse::<market::TopUpConsentResponse>(json),
        ("market", "response_to_liquidation_quote") | ("liquidator", "response_to_quote") => {
            parse::<liquidator::QuoteResponse>(json)
        }
        ("oracle", "InstantiateMsg") => parse::<oracle::InstantiateMsg>(json),
        ("oracle", "ExecuteMsg") => parse::<oracle::ExecuteMsg>(json),
        ("oracle", "QueryMsg") => parse::<oracle::QueryMsg>(json),
        ("oracle", "MigrateMsg") => parse::<oracle::MigrateMsg>(json),
        ("oracle", "response_to_config") => parse::<oracle::ConfigResponse>(json),
        ("oracle", "response_to_price") => parse::<oracle::PriceResponse>(json),
        ("oracle", "response_to_prices") => parse::<Vec<oracle::PriceResponse>>(json),
        ("oracle", "response_to_price_sources") => parse::<Vec<oracle::PriceSourcesResponse>>(json),
        ("oracle", "response_to_feeders") => parse::<Vec<String>>(json),
        ("liquidator", "InstantiateMsg") => parse::<liquidator::InstantiateMsg>(json),
        ("liquidator", "ExecuteMsg") => parse::<liquidator::ExecuteMsg>(json),
        ("liquidator", "ReceiveMsg") => parse::<liquidator::ReceiveMsg>(json),
        ("liquidator", "QueryMsg") => parse::<liquidator::QueryMsg>(json),
        ("liquidator", "MigrateMsg") => parse::<liquidator::MigrateMsg>(json),
        ("liquidator", "response_to_config") => parse::<liquidator::ConfigResponse>(json),
        ("moet", "InstantiateMsg") => parse::<cw20_msg::InstantiateMsg>(json),
        ("moet", "ExecuteMsg") => parse::<cw20_msg::ExecuteMsg>(json),
        ("moet", "QueryMsg") => parse::<cw20_msg::QueryMsg>(json),
        ("moet", "response_to_balance") => parse::<cw20::BalanceResponse>(json),
        ("moet", "response_to_token_info") => parse::<cw20::TokenInfoResponse>(json),
        ("moet", "response_to_minter") => parse::<cw20::MinterResponse>(json),
        ("moet", "response_to_allowance") => parse::<cw20::AllowanceResponse>(json),
        _ => Err(format!("no Rust type for {contract}::{name}")),
    }
}

/// The schema file of `contract::name` under `schema/<contract>/raw/`.
fn schema_file(name: &str) -> String {
    let file = match name {
        "InstantiateMsg" => "instantiate",
        "ExecuteMsg" => "execute",
        "QueryMsg" => "query",
        "MigrateMsg" => "migrate",
        "ReceiveMsg" => "receive_msg",
        response => response,
    };
    format!("{file}.json")
}

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

/// schemars writes `format: uint8/uint32/uint64` for Rust's unsigned integers: checked too.
fn unsigned(v: &Value, max: u64) -> Result<(), Box<dyn std::error::Error>> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(n) if n <= max => Ok(()),
            _ => Err(format!("{n} is not an unsigned integer up to {max}").into()),
        },
        _ => Ok(()),
    }
}

/// Every schema file of `schema/<contract>/raw/`, compiled once.
struct Validator {
    schemas: Schemas,
    compiled: BTreeMap<String, SchemaIndex>,
}

impl Validator {
    fn new() -> Self {
        let mut compiler = Compiler::new();
        compiler.enable_format_assertions();
        compiler.register_format(Format {
            name: "uint8",
            func: |v| unsigned(v, u8::MAX.into()),
        });
        compiler.register_format(Format {
            name: "uint32",
            func: |v| unsigned(v, u32::MAX.into()),
        });
        compiler.register_format(Format {
            name: "uint64",
            func: |v| unsigned(v, u64::MAX),
        });
        let mut schemas = Schemas::new();
        let mut compiled = BTreeMap::new();
        for contract in KEEL.iter().chain(&["moet"]) {
            let dir = schema_dir().join(contract).join("raw");
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.expect("a schema file").path())
                .collect();
            files.sort();
            for path in files {
                let file = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("a file name")
                    .to_string();
                let text = std::fs::read_to_string(&path).expect("a schema file");
                let json: Value = serde_json::from_str(&text).expect("schema JSON");
                let url = format!("file:///{contract}/{file}");
                compiler
                    .add_resource(&url, json)
                    .unwrap_or_else(|e| panic!("{url}: {e}"));
                let index = compiler
                    .compile(&url, &mut schemas)
                    .unwrap_or_else(|e| panic!("{url}: {e:#}"));
                compiled.insert(format!("{contract}/{file}"), index);
            }
        }
        Validator { schemas, compiled }
    }

    fn validate(&self, contract: &str, name: &str, json: &Value) -> Result<(), String> {
        let key = format!("{contract}/{}", schema_file(name));
        let index = self
            .compiled
            .get(&key)
            .ok_or_else(|| format!("no schema file {key}"))?;
        self.schemas
            .validate(json, *index)
            .map_err(|e| format!("{key}: {e:#}"))
    }

    /// The schema files of `contract` (`execute.json`, `response_to_config.json`, ...).
    fn files(&self, contract: &str) -> Vec<String> {
        let prefix = format!("{contract}/");
        self.compiled
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }
}

/// One example of the doc: `<!-- contract::name -->` and its JSON.
struct Example {
    contract: String,
    name: String,
    json: Value,
    text: String,
}

fn examples() -> Vec<Example> {
    let mut out = vec![];
    let mut pending: Option<String> = None;
    let mut block: Option<String> = None;
    for line in DOC.lines() {
        if let Some(b) = block.as_mut() {
            if line.trim() == "```" {
                let label = pending
                    .take()
                    .expect("a type comment before each json block");
                let (contract, name) = label
                    .split_once("::")
                    .unwrap_or_else(|| panic!("`{label}`: expected contract::name"));
                let json: Value = serde_json::from_str(b)
                    .unwrap_or_else(|e| panic!("{label}: not JSON: {e}\n{b}"));
                out.push(Example {
                    contract: contract.to_string(),
                    name: name.to_string(),
                    json,
                    text: b.clone(),
                });
                block = None;
            } else {
                b.push_str(line);
                b.push('\n');
            }
        } else if let Some(label) = line
            .trim()
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        {
            pending = Some(label.to_string());
        } else if line.trim() == "```json" {
            assert!(pending.is_some(), "a json block without a type comment");
            block = Some(String::new());
        }
    }
    out
}

/// The variant of an externally tagged enum value: its one key.
fn variant(json: &Value) -> Option<String> {
    match json {
        Value::Object(map) if map.len() == 1 => map.keys().next().cloned(),
        _ => None,
    }
}

/// The variants a message schema accepts: the one required key of each `oneOf` branch.
fn schema_variants(contract: &str, file: &str) -> BTreeSet<String> {
    let path = schema_dir().join(contract).join("raw").join(file);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("JSON");
    schema
        .get("oneOf")
        .and_then(Value::as_array)
        .map(|branches| {
            branches
                .iter()
                .filter_map(|b| b.get("required")?.as_array()?.first()?.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_example_parses_and_matches_the_schema() {
    let validator = Validator::new();
    let examples = examples();
    let mut failures = vec![];
    for e in &examples {
        let label = format!("{}::{}", e.contract, e.name);
        if let Err(err) = parse_as(&e.contract, &e.name, &e.json) {
            failures.push(format!("{label} does not parse: {err}\n{}", e.text));
        }
        if let Err(err) = validator.validate(&e.contract, &e.name, &e.json) {
            failures.push(format!(
                "{label} does not match the schema: {err}\n{}",
                e.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(examples.len() >= 100, "only {} examples", examples.len());
}

#[test]
fn a_cw20_send_to_a_keel_contract_carries_a_valid_hook() {
    let validator = Validator::new();
    let mut hooks = 0;
    for e in examples() {
        let Some(send) = (e.contract == "moet").then(|| e.json.get("send")).flatten() else {
            continue;
        };
        let contract = match send.get("contract").and_then(Value::as_str) {
            Some("keel1market") => "market",
            Some("keel1liquidator") => "liquidator",
            _ => continue,
        };
        let msg = send.get("msg").and_then(Value::as_str).expect("a msg");
        let bytes = cosmwasm_std::Binary::from_base64(msg).expect("base64");
        let hook: Value = serde_json::from_slice(bytes.as_slice()).expect("JSON hook");
        parse_as(contract, "ReceiveMsg", &hook)
            .unwrap_or_else(|err| panic!("hook of {}: {err}", e.text));
        validator
            .validate(contract, "ReceiveMsg", &hook)
            .unwrap_or_else(|err| panic!("hook of {}: {err}", e.text));
        hooks += 1;
    }
    assert!(hooks >= 5, "only {hooks} cw20 sends with a hook");
}

#[test]
fn every_message_variant_and_every_response_has_an_example() {
    let validator = Validator::new();
    let examples = examples();
    let mut missing = vec![];
    for contract in KEEL {
        for file in validator.files(contract) {
            let name = file.trim_end_matches(".json");
            let of_file: Vec<&Example> = examples
                .iter()
                .filter(|e| e.contract == contract && schema_file(&e.name) == file)
                .collect();
            if of_file.is_empty() {
                missing.push(format!("{contract}: {name}"));
                continue;
            }
            let shown: BTreeSet<String> = of_file.iter().filter_map(|e| variant(&e.json)).collect();
            for v in schema_variants(contract, &file) {
                // `receive` is shown as a cw20 `send` of MOET (or another token) with the hook
                if v == "receive" {
                    continue;
                }
                if !shown.contains(&v) {
                    missing.push(format!("{contract}: {name} `{v}`"));
                }
            }
        }
    }
    let shown = |name: &str| -> BTreeSet<String> {
        examples
            .iter()
            .filter(|e| e.contract == "moet" && e.name == name)
            .filter_map(|e| variant(&e.json))
            .collect()
    };
    let (execute, query) = (shown("ExecuteMsg"), shown("QueryMsg"));
    for v in MOET_EXECUTE {
        if !execute.contains(v) {
            missing.push(format!("moet: execute `{v}`"));
        }
    }
    for v in MOET_QUERY {
        if !query.contains(v) {
            missing.push(format!("moet: query `{v}`"));
        }
        let response = format!("response_to_{v}");
        if !examples
            .iter()
            .any(|e| e.contract == "moet" && e.name == response)
        {
            missing.push(format!("moet: {response}"));
        }
    }
    assert!(missing.is_empty(), "no example of:\n{}", missing.join("\n"));
}

#[test]
fn the_schema_check_refuses_what_the_schema_refuses() {
    let validator = Validator::new();
    let refused = [
        // an unknown field (the schema's additionalProperties: false)
        (
            "market",
            "ExecuteMsg",
            r#"{"repay": {"position_id": 1, "amount": "5"}}"#,
        ),
        // a missing required field
        (
            "market",
            "ExecuteMsg",
            r#"{"borrow": {"position_id": 1, "denom": "ueth"}}"#,
        ),
        // an unknown variant
        ("market", "QueryMsg", r#"{"health": {"position_id": 1}}"#),
        // a negative id (format uint64)
        ("market", "QueryMsg", r#"{"position": {"position_id": -1}}"#),
        // an amount as a number, not a string
        (
            "market",
            "response_to_max_borrow",
            r#"{"at_target": 5, "at_floor": "6"}"#,
        ),
        // a band that does not exist
        (
            "market",
            "response_to_position",
            r#"{"position_id": 1, "owner": "a", "collateral": [], "debt": [], "automation": null,
               "price_error": null, "health": {"effective_collateral": "0", "liquidation_limit": "0",
               "effective_debt": "0", "health_factor": null, "liquidation_health_factor": null,
               "borrow_limit_used": null, "band": "fine"}}"#,
        ),
        // a source kind that does not exist
        (
            "oracle",
            "response_to_price",
            r#"{"denom": "a", "price": "1", "twap": null, "source": "spot", "updated_at": 1, "pending": false}"#,
        ),
        // u8 out of range (format uint8)
        (
            "moet",
            "InstantiateMsg",
            r#"{"name": "M", "symbol": "MOET", "decimals": 300, "initial_balances": []}"#,
        ),
    ];
    // The Rust types ignore an unknown field (cosmwasm-schema 2's `#[cw_serde]`): only the
    // schema check catches a misspelled one.
    let misspelled: Value =
        serde_json::from_str(r#"{"withdraw": {"position_id": 1, "denom": "ueth", "amout": "5"}}"#)
            .expect("JSON");
    assert!(parse_as("market", "ExecuteMsg", &misspelled).is_ok());
    assert!(validator
        .validate("market", "ExecuteMsg", &misspelled)
        .is_err());
    for (contract, name, json) in refused {
        let value: Value = serde_json::from_str(json).expect("JSON");
        assert!(
            validator.validate(contract, name, &value).is_err(),
            "{contract}::{name} accepted {json}"
        );
    }
}
