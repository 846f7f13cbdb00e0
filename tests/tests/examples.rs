//! Every JSON example in docs/EXAMPLES.md parses into the type its comment names, so the docs
//! cannot drift from the interface.
use keel_types::{liquidator, market, oracle};
use serde::de::DeserializeOwned;

fn parse<T: DeserializeOwned>(json: &str) -> Result<(), String> {
    serde_json::from_str::<T>(json)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check(type_name: &str, json: &str) -> Result<(), String> {
    match type_name {
        "oracle::InstantiateMsg" => parse::<oracle::InstantiateMsg>(json),
        "oracle::ExecuteMsg" => parse::<oracle::ExecuteMsg>(json),
        "oracle::QueryMsg" => parse::<oracle::QueryMsg>(json),
        "oracle::PriceResponse" => parse::<oracle::PriceResponse>(json),
        "market::InstantiateMsg" => parse::<market::InstantiateMsg>(json),
        "market::ExecuteMsg" => parse::<market::ExecuteMsg>(json),
        "market::QueryMsg" => parse::<market::QueryMsg>(json),
        "market::PositionResponse" => parse::<market::PositionResponse>(json),
        "market::MaxBorrowResponse" => parse::<market::MaxBorrowResponse>(json),
        "liquidator::InstantiateMsg" => parse::<liquidator::InstantiateMsg>(json),
        "liquidator::ExecuteMsg" => parse::<liquidator::ExecuteMsg>(json),
        "liquidator::QueryMsg" => parse::<liquidator::QueryMsg>(json),
        "liquidator::QuoteResponse" => parse::<liquidator::QuoteResponse>(json),
        other => Err(format!("unknown type {other}")),
    }
}

#[test]
fn every_documented_json_example_parses_into_its_type() {
    let doc = include_str!("../../docs/EXAMPLES.md");
    let mut pending: Option<String> = None;
    let mut block: Option<String> = None;
    let mut checked = 0;
    for line in doc.lines() {
        if let Some(b) = block.as_mut() {
            if line.trim() == "```" {
                let name = pending.take().expect("a type comment before each block");
                check(&name, b).unwrap_or_else(|e| panic!("{name}: {e}\n{b}"));
                checked += 1;
                block = None;
            } else {
                b.push_str(line);
                b.push('\n');
            }
        } else if let Some(name) = line
            .trim()
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        {
            pending = Some(name.to_string());
        } else if line.trim() == "```json" {
            block = Some(String::new());
        }
    }
    assert!(checked >= 50, "only {checked} examples checked");
}

#[test]
fn every_market_execute_variant_has_an_example() {
    let doc = include_str!("../../docs/EXAMPLES.md");
    for name in [
        "list_asset",
        "update_asset",
        "update_config",
        "transfer_ownership",
        "accept_ownership",
        "withdraw_reserves",
        "open_position",
        "deposit",
        "withdraw",
        "borrow",
        "repay",
        "set_automation",
        "rebalance",
        "seize",
        "liquidate",
        "quote",
        "push_prices",
        "set_price_sources",
        "set_feeders",
        "simulate",
        "max_borrow",
        "liquidatable_positions",
    ] {
        assert!(
            doc.contains(&format!("{{\"{name}\"")),
            "no example of {name}"
        );
    }
}
