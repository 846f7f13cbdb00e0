//! Oracle integration tests (SPEC section 2): the contract is driven through its JSON messages in
//! cw-multi-test. Instantiated as in the spec: `max_age` 300 s, `max_deviation` 0.1,
//! `twap_window` 1800 s.

use std::str::FromStr;

use cosmwasm_std::{Addr, Binary, Decimal, Empty, Response, StdError, StdResult};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use keel_types::oracle::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, PriceInput, PriceResponse, PriceSource,
    PriceSourceKind, PriceSourcesResponse, QueryMsg,
};
use serde_json::{json, Value};

const MAX_AGE: u64 = 300;
const WINDOW: u64 = 1800;

fn oracle_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            keel_oracle::contract::execute,
            keel_oracle::contract::instantiate,
            keel_oracle::contract::query,
        )
        .with_migrate(keel_oracle::contract::migrate),
    )
}

fn d(value: &str) -> Decimal {
    Decimal::from_str(value).unwrap()
}

fn feed() -> PriceSource {
    PriceSource::Feed {}
}

fn twap() -> PriceSource {
    PriceSource::Twap {}
}

fn fixed(price: &str) -> PriceSource {
    PriceSource::Fixed { price: d(price) }
}

/// Asserts that `result` failed with an error whose text contains every one of `needles`.
fn assert_err<T: std::fmt::Debug>(result: AnyResult<T>, needles: &[&str]) {
    let err = result.expect_err("expected an error");
    let text = format!("{err:#}");
    for needle in needles {
        assert!(text.contains(needle), "error `{text}` lacks `{needle}`");
    }
}

fn assert_query_err<T: std::fmt::Debug>(result: Result<T, StdError>, needles: &[&str]) {
    let err = result.expect_err("expected an error");
    let text = err.to_string();
    for needle in needles {
        assert!(text.contains(needle), "error `{text}` lacks `{needle}`");
    }
}

/// The `status` attribute of each `oracle_price` event of a push, in order.
fn statuses(response: &AppResponse) -> Vec<String> {
    response
        .events
        .iter()
        .filter(|event| event.ty == "wasm-oracle_price")
        .flat_map(|event| event.attributes.iter())
        .filter(|attribute| attribute.key == "status")
        .map(|attribute| attribute.value.clone())
        .collect()
}

struct Suite {
    app: App,
    code_id: u64,
    oracle: Addr,
    owner: Addr,
    /// Two authorised feeders.
    f1: Addr,
    f2: Addr,
    stranger: Addr,
}

impl Suite {
    fn new() -> Self {
        let mut app = App::default();
        let owner = app.api().addr_make("owner");
        let f1 = app.api().addr_make("feeder1");
        let f2 = app.api().addr_make("feeder2");
        let stranger = app.api().addr_make("stranger");
        let code_id = app.store_code(oracle_contract());
        let oracle = app
            .instantiate_contract(
                code_id,
                owner.clone(),
                &json!({
                    "owner": owner, "base_denom": "moet", "max_age": MAX_AGE,
                    "max_deviation": "0.1", "twap_window": WINDOW
                }),
                &[],
                "oracle",
                Some(owner.to_string()),
            )
            .unwrap();
        let mut suite = Suite {
            app,
            code_id,
            oracle,
            owner,
            f1,
            f2,
            stranger,
        };
        let (owner, f1, f2) = (suite.owner.clone(), suite.f1.clone(), suite.f2.clone());
        suite
            .execute(
                &owner,
                &ExecuteMsg::SetFeeders {
                    add: vec![f1.to_string(), f2.to_string()],
                    remove: vec![],
                },
            )
            .unwrap();
        suite
    }

    fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    fn advance(&mut self, seconds: u64) {
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(seconds);
            block.height += 1;
        });
    }

    fn execute(&mut self, sender: &Addr, msg: &ExecuteMsg) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.oracle.clone(), msg, &[])
    }

    fn execute_json(&mut self, sender: &Addr, msg: Value) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.oracle.clone(), &msg, &[])
    }

    fn set_sources(&mut self, denom: &str, sources: Vec<PriceSource>) {
        let owner = self.owner.clone();
        self.execute(
            &owner,
            &ExecuteMsg::SetPriceSources {
                denom: denom.to_string(),
                sources,
                max_age: None,
                max_deviation: None,
            },
        )
        .unwrap();
    }

    fn push(&mut self, feeder: &Addr, prices: &[(&str, &str)]) -> AnyResult<AppResponse> {
        let prices = prices
            .iter()
            .map(|(denom, price)| PriceInput {
                denom: denom.to_string(),
                price: d(price),
            })
            .collect();
        self.execute(feeder, &ExecuteMsg::PushPrices { prices })
    }

    /// Pushes one price and returns its status (`accepted`, `pending`, ...).
    fn push_one(&mut self, feeder: &Addr, denom: &str, price: &str) -> String {
        let response = self.push(feeder, &[(denom, price)]).unwrap();
        statuses(&response).pop().unwrap()
    }

    fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> Result<T, StdError> {
        self.app.wrap().query_wasm_smart(&self.oracle, msg)
    }

    fn query_json(&self, msg: Value) -> Result<Value, StdError> {
        self.app.wrap().query_wasm_smart(&self.oracle, &msg)
    }

    fn price(&self, denom: &str) -> Result<PriceResponse, StdError> {
        self.query(&QueryMsg::Price {
            denom: denom.to_string(),
        })
    }

    fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {}).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_json_round_trip_config_price_and_sources() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let f1 = s.f1.clone();

    let config = s.query_json(json!({"config": {}})).unwrap();
    assert_eq!(
        config,
        json!({"owner": owner, "pending_owner": null, "base_denom": "moet", "max_age": 300,
               "max_deviation": "0.1", "twap_window": 1800})
    );

    // optional overrides omitted
    s.execute_json(
        &owner,
        json!({"set_price_sources": {"denom": "uatom",
            "sources": [{"feed": {}}, {"twap": {}}, {"fixed": {"price": "7.5"}}]}}),
    )
    .unwrap();
    s.execute_json(
        &owner,
        json!({"set_price_sources": {"denom": "moet", "sources": [{"fixed": {"price": "1"}}],
            "max_age": null, "max_deviation": null}}),
    )
    .unwrap();
    s.execute_json(
        &f1,
        json!({"push_prices": {"prices": [{"denom": "uatom", "price": "10.25"}]}}),
    )
    .unwrap();
    let now = s.now();

    let price = s.query_json(json!({"price": {"denom": "uatom"}})).unwrap();
    assert_eq!(
        price,
        json!({"denom": "uatom", "price": "10.25", "twap": null, "source": "feed",
               "updated_at": now, "pending": false})
    );
    let prices = s
        .query_json(json!({"prices": {"denoms": ["moet", "uatom"]}}))
        .unwrap();
    assert_eq!(
        prices,
        json!([
            {"denom": "moet", "price": "1", "twap": null, "source": "fixed", "updated_at": now,
             "pending": false},
            {"denom": "uatom", "price": "10.25", "twap": null, "source": "feed", "updated_at": now,
             "pending": false}
        ])
    );
    let sources = s
        .query_json(json!({"price_sources": {"start_after": null, "limit": null}}))
        .unwrap();
    assert_eq!(
        sources,
        json!([
            {"denom": "moet", "sources": [{"fixed": {"price": "1"}}], "max_age": null,
             "max_deviation": null},
            {"denom": "uatom", "sources": [{"feed": {}}, {"twap": {}}, {"fixed": {"price": "7.5"}}],
             "max_age": null, "max_deviation": null}
        ])
    );
    let feeders = s.query_json(json!({"feeders": {}})).unwrap();
    let mut expected = vec![s.f1.to_string(), s.f2.to_string()];
    expected.sort();
    assert_eq!(feeders, json!(expected));
}

// ---------------------------------------------------------------------------------------------
// Config, ownership, feeders, sources
// ---------------------------------------------------------------------------------------------

#[test]
fn instantiate_rejects_invalid_config() {
    let mut app = App::default();
    let owner = app.api().addr_make("owner");
    let code_id = app.store_code(oracle_contract());
    let valid = InstantiateMsg {
        owner: owner.to_string(),
        base_denom: "moet".to_string(),
        max_age: 300,
        max_deviation: d("0.1"),
        twap_window: 1800,
    };
    let cases = [
        (
            InstantiateMsg {
                max_age: 0,
                ..valid.clone()
            },
            "max_age",
        ),
        (
            InstantiateMsg {
                max_deviation: Decimal::zero(),
                ..valid.clone()
            },
            "max_deviation",
        ),
        (
            InstantiateMsg {
                twap_window: 0,
                ..valid.clone()
            },
            "twap_window",
        ),
        (
            InstantiateMsg {
                base_denom: String::new(),
                ..valid.clone()
            },
            "base_denom",
        ),
    ];
    for (msg, field) in cases {
        let result = app.instantiate_contract(code_id, owner.clone(), &msg, &[], "oracle", None);
        assert_err(result, &["Invalid config", field]);
    }
    app.instantiate_contract(code_id, owner, &valid, &[], "oracle", None)
        .unwrap();
}

#[test]
fn update_config_is_owner_only_validated_and_partial() {
    let mut s = Suite::new();
    let (owner, stranger) = (s.owner.clone(), s.stranger.clone());
    let update = |max_age: Option<u64>| ExecuteMsg::UpdateConfig {
        base_denom: None,
        max_age,
        max_deviation: None,
        twap_window: None,
    };
    assert_err(s.execute(&stranger, &update(Some(60))), &["Unauthorized"]);

    for (msg, field) in [
        (json!({"update_config": {"max_age": 0}}), "max_age"),
        (
            json!({"update_config": {"max_deviation": "0"}}),
            "max_deviation",
        ),
        (json!({"update_config": {"twap_window": 0}}), "twap_window"),
        (json!({"update_config": {"base_denom": ""}}), "base_denom"),
    ] {
        assert_err(s.execute_json(&owner, msg), &["Invalid config", field]);
    }
    assert_eq!(s.config().max_age, 300, "failed updates change nothing");

    s.execute_json(
        &owner,
        json!({"update_config": {"max_age": 60, "twap_window": 600}}),
    )
    .unwrap();
    let config = s.config();
    assert_eq!(config.max_age, 60);
    assert_eq!(config.twap_window, 600);
    assert_eq!(config.max_deviation, d("0.1"), "omitted fields are kept");
    assert_eq!(config.base_denom, "moet");
}

#[test]
fn ownership_transfer_takes_two_steps() {
    let mut s = Suite::new();
    let (owner, stranger) = (s.owner.clone(), s.stranger.clone());
    let new_owner = s.app.api().addr_make("new_owner");

    assert_err(
        s.execute(&new_owner, &ExecuteMsg::AcceptOwnership {}),
        &["No ownership transfer is pending"],
    );
    assert_err(
        s.execute(
            &stranger,
            &ExecuteMsg::TransferOwnership {
                new_owner: stranger.to_string(),
            },
        ),
        &["Unauthorized", stranger.as_str()],
    );
    s.execute(
        &owner,
        &ExecuteMsg::TransferOwnership {
            new_owner: new_owner.to_string(),
        },
    )
    .unwrap();
    let config = s.config();
    assert_eq!(config.owner, owner.to_string(), "not transferred yet");
    assert_eq!(config.pending_owner, Some(new_owner.to_string()));

    assert_err(
        s.execute(&stranger, &ExecuteMsg::AcceptOwnership {}),
        &["Unauthorized", "pending owner"],
    );
    s.execute(&new_owner, &ExecuteMsg::AcceptOwnership {})
        .unwrap();
    let config = s.config();
    assert_eq!(config.owner, new_owner.to_string());
    assert_eq!(config.pending_owner, None);

    // the old owner lost its rights, the new one has them
    let set = |owner: &Addr| ExecuteMsg::SetFeeders {
        add: vec![owner.to_string()],
        remove: vec![],
    };
    assert_err(s.execute(&owner, &set(&owner)), &["Unauthorized"]);
    s.execute(&new_owner, &set(&new_owner)).unwrap();
}

#[test]
fn a_later_ownership_proposal_replaces_an_earlier_one() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let first = s.app.api().addr_make("first");
    let second = s.app.api().addr_make("second");
    for proposed in [&first, &second] {
        s.execute(
            &owner,
            &ExecuteMsg::TransferOwnership {
                new_owner: proposed.to_string(),
            },
        )
        .unwrap();
    }
    assert_eq!(s.config().pending_owner, Some(second.to_string()));
    assert_err(
        s.execute(&first, &ExecuteMsg::AcceptOwnership {}),
        &["Unauthorized", first.as_str(), "pending owner"],
    );
    s.execute(&second, &ExecuteMsg::AcceptOwnership {}).unwrap();
    assert_eq!(s.config().owner, second.to_string());
    assert_eq!(s.config().pending_owner, None);
}

#[test]
fn set_feeders_adds_removes_and_is_owner_only() {
    let mut s = Suite::new();
    let (owner, f1, f2, stranger) = (
        s.owner.clone(),
        s.f1.clone(),
        s.f2.clone(),
        s.stranger.clone(),
    );
    s.set_sources("uatom", vec![feed()]);

    assert_err(
        s.execute_json(&stranger, json!({"set_feeders": {"add": [stranger]}})),
        &["Unauthorized"],
    );
    assert_err(
        s.execute_json(
            &owner,
            json!({"set_feeders": {"add": [f1], "remove": [f1]}}),
        ),
        &["both added and removed"],
    );
    assert_err(
        s.execute_json(&owner, json!({"set_feeders": {"add": ["not an address"]}})),
        &[],
    );

    // `remove` alone (`add` omitted)
    s.execute_json(&owner, json!({"set_feeders": {"remove": [f1]}}))
        .unwrap();
    let feeders: Vec<String> = s.query(&QueryMsg::Feeders {}).unwrap();
    assert_eq!(feeders, vec![f2.to_string()]);
    assert_err(
        s.push(&f1, &[("uatom", "1")]),
        &["Unauthorized", "not a feeder"],
    );

    // `add` alone, adding twice is harmless
    s.execute_json(&owner, json!({"set_feeders": {"add": [f1, f1]}}))
        .unwrap();
    let feeders: Vec<String> = s.query(&QueryMsg::Feeders {}).unwrap();
    assert_eq!(feeders.len(), 2);
    s.push(&f1, &[("uatom", "1")]).unwrap();
}

#[test]
fn set_price_sources_validates_and_is_owner_only() {
    let mut s = Suite::new();
    let (owner, stranger) = (s.owner.clone(), s.stranger.clone());
    let msg = |denom: &str, sources: Vec<PriceSource>, max_age, max_deviation| {
        ExecuteMsg::SetPriceSources {
            denom: denom.to_string(),
            sources,
            max_age,
            max_deviation,
        }
    };
    assert_err(
        s.execute(&stranger, &msg("uatom", vec![feed()], None, None)),
        &["Unauthorized"],
    );
    assert_err(
        s.execute(&owner, &msg("uatom", vec![], None, None)),
        &["uatom", "at least one source"],
    );
    assert_err(
        s.execute(&owner, &msg("uatom", vec![feed(), fixed("0")], None, None)),
        &["uatom", "fixed price"],
    );
    assert_err(
        s.execute(&owner, &msg("uatom", vec![feed(), feed()], None, None)),
        &["uatom", "only once"],
    );
    assert_err(
        s.execute(&owner, &msg("uatom", vec![feed()], Some(0), None)),
        &["uatom", "max_age"],
    );
    assert_err(
        s.execute(
            &owner,
            &msg("uatom", vec![feed()], None, Some(Decimal::zero())),
        ),
        &["uatom", "max_deviation"],
    );
    assert_err(
        s.execute(&owner, &msg("", vec![feed()], None, None)),
        &["denom"],
    );
    let listed: Vec<PriceSourcesResponse> = s
        .query(&QueryMsg::PriceSources {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert!(listed.is_empty(), "nothing stored by rejected calls");

    s.execute(
        &owner,
        &msg("uatom", vec![feed()], Some(60), Some(d("0.05"))),
    )
    .unwrap();
    let listed: Vec<PriceSourcesResponse> = s
        .query(&QueryMsg::PriceSources {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        listed,
        vec![PriceSourcesResponse {
            denom: "uatom".to_string(),
            sources: vec![feed()],
            max_age: Some(60),
            max_deviation: Some(d("0.05")),
        }]
    );
}

#[test]
fn price_sources_paginate_with_default_10_and_max_100() {
    let mut s = Suite::new();
    let denoms: Vec<String> = (0..105).map(|i| format!("denom{i:03}")).collect();
    for denom in &denoms {
        s.set_sources(denom, vec![fixed("1")]);
    }
    let page = |s: &Suite, start_after: Option<&str>, limit: Option<u32>| -> Vec<String> {
        s.query::<Vec<PriceSourcesResponse>>(&QueryMsg::PriceSources {
            start_after: start_after.map(str::to_string),
            limit,
        })
        .unwrap()
        .into_iter()
        .map(|entry| entry.denom)
        .collect()
    };
    assert_eq!(page(&s, None, None), denoms[..10].to_vec());
    assert_eq!(page(&s, Some("denom009"), Some(3)), denoms[10..13].to_vec());
    assert_eq!(page(&s, None, Some(1000)), denoms[..100].to_vec());
    assert_eq!(page(&s, Some("denom100"), Some(50)), denoms[101..].to_vec());
    assert_eq!(page(&s, Some("denom104"), None), Vec::<String>::new());
    // walking the pages visits every denom once
    let mut seen = vec![];
    let mut start: Option<String> = None;
    loop {
        let next = page(&s, start.as_deref(), Some(7));
        if next.is_empty() {
            break;
        }
        start = next.last().cloned();
        seen.extend(next);
    }
    assert_eq!(seen, denoms);
}

// ---------------------------------------------------------------------------------------------
// Pushes: authorisation and rejection
// ---------------------------------------------------------------------------------------------

#[test]
fn push_by_non_feeder_is_unauthorized() {
    let mut s = Suite::new();
    let (owner, stranger) = (s.owner.clone(), s.stranger.clone());
    s.set_sources("uatom", vec![feed()]);
    assert_err(
        s.push(&stranger, &[("uatom", "10")]),
        &["Unauthorized", stranger.as_str()],
    );
    // not even the owner
    assert_err(s.push(&owner, &[("uatom", "10")]), &["Unauthorized"]);
    assert_query_err(s.price("uatom"), &["Price unavailable", "uatom"]);
}

#[test]
fn push_for_denom_without_sources_is_rejected() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    assert_err(
        s.push(&f1, &[("uosmo", "1")]),
        &["No price sources", "uosmo"],
    );
    assert_query_err(s.price("uosmo"), &["Price unavailable", "uosmo"]);
}

#[test]
fn zero_price_is_rejected() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    assert_err(s.push(&f1, &[("uatom", "0")]), &["Invalid price", "uatom"]);
    // negative prices cannot even be expressed
    assert_err(
        s.execute_json(
            &f1,
            json!({"push_prices": {"prices": [{"denom": "uatom", "price": "-1"}]}}),
        ),
        &[],
    );
    assert_query_err(s.price("uatom"), &["Price unavailable"]);
}

#[test]
fn empty_push_is_rejected() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    assert_err(s.push(&f1, &[]), &["no prices"]);
}

#[test]
fn batch_with_one_bad_entry_stores_nothing() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    s.set_sources("uosmo", vec![feed()]);
    s.push(&f1, &[("uatom", "10"), ("uosmo", "1")]).unwrap();
    let before = s.price("uatom").unwrap();
    s.advance(10);

    assert_err(
        s.push(&f1, &[("uatom", "10.5"), ("uosmo", "1.05"), ("ujuno", "2")]),
        &["No price sources", "ujuno"],
    );
    assert_err(
        s.push(&f1, &[("uatom", "10.5"), ("uosmo", "0")]),
        &["Invalid price", "uosmo"],
    );
    // a jump (that would be pending) followed by a bad entry: no pending is stored either
    assert_err(s.push(&f1, &[("uatom", "20"), ("uosmo", "0")]), &["uosmo"]);
    assert_eq!(s.price("uatom").unwrap(), before);
    assert_eq!(s.price("uosmo").unwrap().price, d("1"));
    s.advance(60);
    let f2 = s.f2.clone();
    assert_eq!(
        s.push_one(&f2, "uatom", "20"),
        "pending",
        "no pending price of 20 was stored by the failed batch"
    );
}

#[test]
fn batch_pushes_several_denoms_at_once() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    s.set_sources("uosmo", vec![feed()]);
    let response = s.push(&f1, &[("uatom", "10"), ("uosmo", "0.5")]).unwrap();
    assert_eq!(statuses(&response), vec!["accepted", "accepted"]);
    let prices: Vec<PriceResponse> = s
        .query(&QueryMsg::Prices {
            denoms: vec!["uosmo".to_string(), "uatom".to_string()],
            skip_twap: None,
        })
        .unwrap();
    assert_eq!(
        prices.iter().map(|p| p.price).collect::<Vec<_>>(),
        vec![d("0.5"), d("10")]
    );
}

// ---------------------------------------------------------------------------------------------
// Staleness and fallback
// ---------------------------------------------------------------------------------------------

#[test]
fn feed_is_fresh_at_exactly_max_age_and_stale_one_second_later() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    s.push(&f1, &[("uatom", "10")]).unwrap();
    let pushed_at = s.now();

    s.advance(MAX_AGE);
    let price = s.price("uatom").unwrap();
    assert_eq!(price.price, d("10"));
    assert_eq!(price.source, PriceSourceKind::Feed);
    assert_eq!(price.updated_at, pushed_at);

    s.advance(1);
    assert_query_err(s.price("uatom"), &["Price unavailable", "uatom"]);
}

#[test]
fn per_denom_max_age_overrides_the_global_one() {
    let mut s = Suite::new();
    let (owner, f1) = (s.owner.clone(), s.f1.clone());
    s.execute_json(
        &owner,
        json!({"set_price_sources": {"denom": "uatom", "sources": [{"feed": {}}], "max_age": 60}}),
    )
    .unwrap();
    s.set_sources("uosmo", vec![feed()]);
    s.push(&f1, &[("uatom", "10"), ("uosmo", "1")]).unwrap();
    s.advance(60);
    assert!(s.price("uatom").is_ok());
    s.advance(1);
    assert_query_err(s.price("uatom"), &["uatom"]);
    assert!(
        s.price("uosmo").is_ok(),
        "the global max_age still applies to uosmo"
    );
}

#[test]
fn update_config_reaches_the_denoms_already_listed_but_not_their_overrides() {
    // Each denom's record keeps a copy of the global parameters (a query reads no config):
    // `update_config` must rewrite them all.
    let mut s = Suite::new();
    let (owner, f1) = (s.owner.clone(), s.f1.clone());
    s.set_sources("uosmo", vec![feed()]);
    s.execute_json(
        &owner,
        json!({"set_price_sources": {"denom": "uatom", "sources": [{"feed": {}}], "max_age": 600}}),
    )
    .unwrap();
    s.push(&f1, &[("uatom", "10"), ("uosmo", "1")]).unwrap();
    s.execute_json(
        &owner,
        json!({"update_config": {"max_age": 60, "max_deviation": "0.5"}}),
    )
    .unwrap();
    s.advance(61);
    assert_query_err(s.price("uosmo"), &["uosmo"]);
    assert!(s.price("uatom").is_ok(), "uatom's own max_age of 600 stays");
    // the new global max_deviation: +40% from 1 is accepted at once (0.1 would hold it)
    assert_eq!(s.push_one(&f1, "uosmo", "1.4"), "accepted");
    // a denom listed after the update gets the new parameters too
    s.set_sources("ujuno", vec![feed()]);
    s.push(&f1, &[("ujuno", "2")]).unwrap();
    s.advance(61);
    assert_query_err(s.price("ujuno"), &["ujuno"]);
}

#[test]
fn fallback_feed_then_fixed_when_the_feed_is_stale() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed(), twap(), fixed("7")]);

    // nothing pushed yet: fixed, stamped with the block time
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source, price.twap, price.updated_at),
        (d("7"), PriceSourceKind::Fixed, None, s.now())
    );

    s.push(&f1, &[("uatom", "10")]).unwrap();
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source),
        (d("10"), PriceSourceKind::Feed)
    );

    // the newest push is also the TWAP's: once stale, the TWAP is invalid too
    s.advance(MAX_AGE + 1);
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source, price.twap),
        (d("7"), PriceSourceKind::Fixed, None)
    );
}

#[test]
fn fallback_twap_then_feed_then_fixed_in_list_order() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![twap(), feed(), fixed("7")]);

    // TWAP not yet valid (covers less than half the window): the feed serves, `twap` is null
    s.push(&f1, &[("uatom", "10")]).unwrap();
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source, price.twap),
        (d("10"), PriceSourceKind::Feed, None)
    );

    // keep the feed fresh and move to 11 after 600 s: at 900 s the TWAP is valid and serves
    s.advance(300);
    s.push(&f1, &[("uatom", "10")]).unwrap();
    s.advance(300);
    s.push(&f1, &[("uatom", "11")]).unwrap();
    let newest = s.now();
    s.advance(300);
    let price = s.price("uatom").unwrap();
    // (10 * 600 + 11 * 300) / 900 = 10.333...
    let expected = d("10.333333333333333333");
    assert_eq!(
        price,
        PriceResponse {
            denom: "uatom".to_string(),
            price: expected,
            twap: Some(expected),
            source: PriceSourceKind::Twap,
            updated_at: newest,
            pending: false,
        }
    );

    // stale: TWAP and feed invalid, the fixed price serves
    s.advance(1);
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source, price.twap),
        (d("7"), PriceSourceKind::Fixed, None)
    );
}

#[test]
fn twap_field_is_reported_whichever_source_serves() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("feedfirst", vec![feed()]);
    s.set_sources("pegged", vec![fixed("1")]);
    for _ in 0..3 {
        s.push(&f1, &[("feedfirst", "2"), ("pegged", "1.01")])
            .unwrap();
        s.advance(300);
    }
    let prices: Vec<PriceResponse> = s
        .query(&QueryMsg::Prices {
            denoms: vec!["feedfirst".to_string(), "pegged".to_string()],
            skip_twap: None,
        })
        .unwrap();
    assert_eq!(prices[0].source, PriceSourceKind::Feed);
    assert_eq!(prices[0].twap, Some(d("2")));
    assert_eq!(prices[1].source, PriceSourceKind::Fixed);
    assert_eq!(prices[1].price, d("1"));
    assert_eq!(prices[1].twap, Some(d("1.01")));
}

#[test]
fn skip_twap_leaves_twap_null_unless_a_twap_source_serves() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("feedfirst", vec![feed(), twap()]);
    s.set_sources("twapfirst", vec![twap(), feed()]);
    for price in ["10", "10", "11"] {
        s.push(&f1, &[("feedfirst", price), ("twapfirst", price)])
            .unwrap();
        s.advance(300);
    }
    let query = |skip_twap| QueryMsg::Prices {
        denoms: vec!["feedfirst".to_string(), "twapfirst".to_string()],
        skip_twap,
    };
    let full: Vec<PriceResponse> = s.query(&query(None)).unwrap();
    let expected = d("10.333333333333333333");
    assert_eq!(full[0].twap, Some(expected));
    assert_eq!(full[1].twap, Some(expected));
    assert_eq!(
        s.query::<Vec<PriceResponse>>(&query(Some(false))).unwrap(),
        full
    );

    let spot: Vec<PriceResponse> = s.query(&query(Some(true))).unwrap();
    // the feed serves: same price, no TWAP
    assert_eq!(
        (spot[0].price, spot[0].source, spot[0].twap),
        (d("11"), PriceSourceKind::Feed, None)
    );
    // the TWAP source serves: it is computed anyway, and reported
    assert_eq!(spot[1], full[1]);
    assert_eq!(spot[1].source, PriceSourceKind::Twap);
}

#[test]
fn price_of_unknown_denom_or_denom_without_valid_source_is_unavailable() {
    let mut s = Suite::new();
    s.set_sources("uatom", vec![feed(), twap()]);
    assert_query_err(s.price("uatom"), &["Price unavailable", "uatom"]);
    assert_query_err(s.price("nothing"), &["Price unavailable", "nothing"]);
}

#[test]
fn prices_fails_as_a_whole_naming_the_first_denom_without_a_valid_source() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    s.set_sources("uosmo", vec![feed()]);
    s.set_sources("moet", vec![fixed("1")]);
    s.push(&f1, &[("uatom", "10"), ("uosmo", "1")]).unwrap();
    s.advance(200);
    s.push(&f1, &[("uatom", "10")]).unwrap();
    s.advance(101); // uosmo is stale, uatom fresh

    let query = |denoms: &[&str]| QueryMsg::Prices {
        denoms: denoms.iter().map(|d| d.to_string()).collect(),
        skip_twap: None,
    };
    let ok: Vec<PriceResponse> = s.query(&query(&["moet", "uatom", "uatom"])).unwrap();
    assert_eq!(
        ok.iter().map(|p| p.denom.as_str()).collect::<Vec<_>>(),
        vec!["moet", "uatom", "uatom"]
    );
    assert_query_err(
        s.query::<Vec<PriceResponse>>(&query(&["uatom", "uosmo", "unknown"])),
        &["Price unavailable", "uosmo"],
    );
    let err = s
        .query::<Vec<PriceResponse>>(&query(&["uatom", "unknown", "uosmo"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown") && !err.contains("uosmo"), "{err}");
    let empty: Vec<PriceResponse> = s.query(&query(&[])).unwrap();
    assert!(empty.is_empty());
}

// ---------------------------------------------------------------------------------------------
// TWAP
// ---------------------------------------------------------------------------------------------

/// Pushes `price` every 300 s (so the feed stays fresh) for `seconds`, starting now; returns
/// with the clock `seconds` later, without a push at that instant.
fn hold(s: &mut Suite, denom: &str, price: &str, seconds: u64) {
    let f1 = s.f1.clone();
    let mut elapsed = 0;
    while elapsed < seconds {
        assert_eq!(s.push_one(&f1, denom, price), "accepted");
        let step = 300.min(seconds - elapsed);
        s.advance(step);
        elapsed += step;
    }
}

#[test]
fn twap_averages_the_step_function_over_the_window() {
    let mut s = Suite::new();
    s.set_sources("uatom", vec![feed()]);
    // 100 for 900 s then 110 for 900 s
    hold(&mut s, "uatom", "100", 900);
    hold(&mut s, "uatom", "110", 900);
    let price = s.price("uatom").unwrap();
    assert_eq!(price.price, d("110"));
    assert_eq!(price.twap, Some(d("105")));

    // 300 s later the window [300, 2100] holds 100 for 600 s and 110 for 1200 s
    hold(&mut s, "uatom", "110", 300);
    assert_eq!(
        s.price("uatom").unwrap().twap,
        Some(d("106.666666666666666666")),
        "rounded down"
    );

    // several steps: the window [600, 2400] holds 100 (300 s), 110 (1200 s), 120 (200 s) and
    // 125 (100 s): (30_000 + 132_000 + 24_000 + 12_500) / 1800 = 110.2777...
    let f1 = s.f1.clone();
    s.advance(0);
    assert_eq!(s.push_one(&f1, "uatom", "120"), "accepted");
    s.advance(200);
    assert_eq!(s.push_one(&f1, "uatom", "125"), "accepted");
    s.advance(100);
    assert_eq!(
        s.price("uatom").unwrap().twap,
        Some(d("110.277777777777777777"))
    );
}

#[test]
fn twap_is_valid_from_half_the_window() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    s.push(&f1, &[("uatom", "100")]).unwrap();
    s.advance(600);
    s.push(&f1, &[("uatom", "104")]).unwrap();
    s.advance(299); // covered: 899 s < 900 s
    assert_eq!(s.price("uatom").unwrap().twap, None);
    s.advance(1); // covered: 900 s, newest push exactly max_age old
    assert_eq!(
        s.price("uatom").unwrap().twap,
        Some(d("101.333333333333333333")) // (100 * 600 + 104 * 300) / 900
    );
    s.advance(1); // newest push older than max_age
    assert_query_err(s.price("uatom"), &["Price unavailable", "uatom"]);
}

#[test]
fn twap_ignores_pending_prices_and_counts_confirmed_ones_from_confirmation() {
    let mut s = Suite::new();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    s.set_sources("uatom", vec![feed()]);
    hold(&mut s, "uatom", "100", 600); // pushes at 0 and 300
    assert_eq!(s.push_one(&f1, "uatom", "100"), "accepted"); // at 600
    s.advance(10);
    assert_eq!(s.push_one(&f1, "uatom", "200"), "pending"); // at 610
    s.advance(20);
    assert_eq!(s.push_one(&f2, "uatom", "200"), "confirmed"); // at 630
    s.advance(270);
    // 100 from 0 to 630 (the pending 200 did not count), 200 from 630 to 900:
    // (100 * 630 + 200 * 270) / 900 = 130
    assert_eq!(s.price("uatom").unwrap().twap, Some(d("130")));
}

#[test]
fn pushes_in_the_same_second_replace_the_last_observation() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    s.push(&f1, &[("uatom", "100")]).unwrap();
    s.push(&f1, &[("uatom", "105")]).unwrap();
    s.push(&f1, &[("uatom", "104"), ("uatom", "106")]).unwrap();
    s.advance(300);
    s.push(&f1, &[("uatom", "106")]).unwrap();
    s.advance(300);
    s.push(&f1, &[("uatom", "106")]).unwrap();
    s.advance(300);
    let price = s.price("uatom").unwrap();
    assert_eq!(price.price, d("106"));
    assert_eq!(
        price.twap,
        Some(d("106")),
        "earlier same-second prices do not count"
    );
}

#[test]
fn twap_ring_stays_bounded_under_frequent_pushes() {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    let key = cw_storage_plus::Map::<&str, ()>::new("s")
        .key("uatom")
        .to_vec();
    // 300 pushes, 10 s apart (3000 s), prices alternating 100 / 101
    for i in 0..300u64 {
        let price = if i % 2 == 0 { "100" } else { "101" };
        s.push(&f1, &[("uatom", price)]).unwrap();
        s.advance(10);
        let record = s
            .app
            .wrap()
            .query_wasm_raw(&s.oracle, key.clone())
            .unwrap()
            .unwrap();
        // the denom's record: its binary header, then the ring
        let ring = keel_oracle::state::DenomStore::decode("uatom", &record)
            .expect("record")
            .observations;
        assert!(ring.len() <= keel_oracle::twap::MAX_OBSERVATIONS);
        assert!(
            record.len() <= 300 + 64 * 21,
            "record of {} bytes",
            record.len()
        );
        if i >= 180 {
            // the window (1800 s) is full: at most 64 observations, merged
            assert_eq!(ring.len(), keel_oracle::twap::MAX_OBSERVATIONS, "push {i}");
        }
    }
    let twap = s.price("uatom").unwrap().twap.expect("TWAP still valid");
    // exact value 100.5: equal time at each price
    assert!(twap.abs_diff(d("100.5")) <= d("0.01"), "{twap}");
}

// ---------------------------------------------------------------------------------------------
// Deviation guard
// ---------------------------------------------------------------------------------------------

/// uatom at 100, accepted, pushed by f1.
fn suite_at_100() -> Suite {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("uatom", vec![feed()]);
    assert_eq!(s.push_one(&f1, "uatom", "100"), "accepted");
    s
}

#[test]
fn move_of_exactly_max_deviation_is_accepted_at_once() {
    let mut s = suite_at_100();
    let f1 = s.f1.clone();
    s.advance(5);
    assert_eq!(s.push_one(&f1, "uatom", "110"), "accepted");
    s.advance(5);
    assert_eq!(s.push_one(&f1, "uatom", "99"), "accepted"); // -10%
    assert_eq!(s.price("uatom").unwrap().price, d("99"));
}

#[test]
fn jump_is_held_pending_and_the_old_price_is_served() {
    let mut s = suite_at_100();
    let f1 = s.f1.clone();
    let accepted_at = s.now();
    s.advance(10);
    assert_eq!(
        s.push_one(&f1, "uatom", "110.000000000000000001"),
        "pending"
    );
    let price = s.price("uatom").unwrap();
    assert_eq!(price.price, d("100"));
    assert_eq!(price.updated_at, accepted_at);
    // while pending, the old price still goes stale on time
    s.advance(MAX_AGE - 10);
    assert_eq!(s.price("uatom").unwrap().price, d("100"));
    s.advance(1);
    assert_query_err(s.price("uatom"), &["uatom"]);
}

#[test]
fn pending_jump_is_confirmed_by_another_feeder_at_its_price() {
    let mut s = suite_at_100();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    s.advance(10);
    assert_eq!(s.push_one(&f1, "uatom", "150"), "pending");
    s.advance(1);
    assert_eq!(s.push_one(&f2, "uatom", "140"), "confirmed"); // within 10% of 150
    let price = s.price("uatom").unwrap();
    assert_eq!(
        price.price,
        d("140"),
        "the confirming push's price is accepted"
    );
    assert_eq!(price.updated_at, s.now());
}

#[test]
fn another_feeder_confirms_even_in_the_same_block() {
    let mut s = suite_at_100();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    s.advance(10);
    assert_eq!(s.push_one(&f1, "uatom", "150"), "pending");
    assert_eq!(s.push_one(&f2, "uatom", "150"), "confirmed");
    assert_eq!(s.price("uatom").unwrap().price, d("150"));
}

#[test]
fn confirmation_far_from_the_pending_price_does_not_confirm() {
    let mut s = suite_at_100();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    s.advance(10);
    assert_eq!(s.push_one(&f1, "uatom", "150"), "pending");
    // 134 is more than 10% below 150 and 34% above 100: it replaces the pending
    assert_eq!(s.push_one(&f2, "uatom", "134"), "pending");
    assert_eq!(s.price("uatom").unwrap().price, d("100"));
    // f1 now confirms f2's 134 (150 is not within 10% of 134 but 140 is)
    assert_eq!(s.push_one(&f1, "uatom", "140"), "confirmed");
    assert_eq!(s.price("uatom").unwrap().price, d("140"));
}

#[test]
fn same_feeder_confirms_its_jump_only_60_seconds_later() {
    let mut s = suite_at_100();
    let f1 = s.f1.clone();
    s.advance(10);
    assert_eq!(s.push_one(&f1, "uatom", "150"), "pending");
    s.advance(59);
    assert_eq!(s.push_one(&f1, "uatom", "150"), "awaiting_confirmation");
    assert_eq!(s.price("uatom").unwrap().price, d("100"));
    s.advance(1); // 60 s after the pending push (the repeat did not restart the clock)
    assert_eq!(s.push_one(&f1, "uatom", "151"), "confirmed");
    assert_eq!(s.price("uatom").unwrap().price, d("151"));
}

#[test]
fn an_accepted_push_clears_only_its_own_feeder_s_pending_price() {
    let mut s = suite_at_100();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    s.advance(10);
    assert_eq!(s.push_one(&f2, "uatom", "150"), "pending");
    assert_eq!(s.push_one(&f1, "uatom", "200"), "pending");
    assert_eq!(s.push_one(&f1, "uatom", "101"), "accepted");
    // f1's 200 is forgotten, f2's 150 is not: f1 pushing 150 confirms f2's
    assert_eq!(
        s.push_one(&f1, "uatom", "200"),
        "pending",
        "a new pending price"
    );
    assert_eq!(s.push_one(&f1, "uatom", "150"), "confirmed");
    assert_eq!(s.price("uatom").unwrap().price, d("150"));
}

#[test]
fn jump_is_accepted_at_once_when_the_accepted_price_is_stale() {
    let mut s = suite_at_100();
    let f1 = s.f1.clone();
    s.advance(MAX_AGE);
    assert_eq!(
        s.push_one(&f1, "uatom", "200"),
        "pending",
        "still fresh at max_age"
    );
    s.advance(1);
    assert_eq!(s.push_one(&f1, "uatom", "300"), "accepted");
    let price = s.price("uatom").unwrap();
    assert_eq!((price.price, price.updated_at), (d("300"), s.now()));
}

#[test]
fn per_denom_max_deviation_overrides_the_global_one() {
    let mut s = Suite::new();
    let (owner, f1) = (s.owner.clone(), s.f1.clone());
    s.execute_json(
        &owner,
        json!({"set_price_sources": {"denom": "ustable", "sources": [{"feed": {}}],
               "max_deviation": "0.01"}}),
    )
    .unwrap();
    assert_eq!(s.push_one(&f1, "ustable", "1"), "accepted");
    assert_eq!(s.push_one(&f1, "ustable", "1.01"), "accepted");
    assert_eq!(s.push_one(&f1, "ustable", "1.03"), "pending");
    assert_eq!(s.price("ustable").unwrap().price, d("1.01"));
}

#[test]
fn removing_a_feeder_keeps_prices_it_pushed() {
    let mut s = suite_at_100();
    let (owner, f1) = (s.owner.clone(), s.f1.clone());
    s.execute_json(&owner, json!({"set_feeders": {"remove": [f1]}}))
        .unwrap();
    assert_eq!(s.price("uatom").unwrap().price, d("100"));
}

// ---------------------------------------------------------------------------------------------
// Deviation guard: the block's reference and pending prices per feeder
// ---------------------------------------------------------------------------------------------

/// ETH walked down by 10% steps, each within `max_deviation` of the previous one.
const WALK: [&str; 7] = [
    "1800", "1620", "1458", "1312.2", "1180.98", "1062.882", "1000",
];

/// ueth at 2000, accepted by f1; then 10 s later, in a new block.
fn suite_at_2000() -> Suite {
    let mut s = Suite::new();
    let f1 = s.f1.clone();
    s.set_sources("ueth", vec![feed()]);
    assert_eq!(s.push_one(&f1, "ueth", "2000"), "accepted");
    s.advance(10);
    s
}

/// The walk's statuses when one feeder pushes it against the reference 2000: the first step is
/// exactly `max_deviation` away (accepted), the second becomes the feeder's pending price, which
/// each later step (within `max_deviation` of it) replaces, keeping its time.
fn walk_statuses() -> Vec<&'static str> {
    let mut expected = vec!["accepted", "pending"];
    expected.extend(["awaiting_confirmation"; 5]);
    expected
}

#[test]
fn one_feeder_cannot_walk_the_price_past_the_guard_in_one_batch() {
    let mut s = suite_at_2000();
    let f1 = s.f1.clone();
    let batch: Vec<(&str, &str)> = WALK.iter().map(|price| ("ueth", *price)).collect();
    let response = s.push(&f1, &batch).unwrap();
    assert_eq!(statuses(&response), walk_statuses());
    let price = s.price("ueth").unwrap();
    assert_eq!(
        price.price,
        d("1800"),
        "never further than max_deviation from 2000"
    );
    assert!(price.pending, "the rest of the move is held pending");
    // the same batch again, then the walk's end alone, later in the block: nothing moves further
    let response = s.push(&f1, &batch).unwrap();
    assert_eq!(statuses(&response), walk_statuses());
    assert_eq!(s.push_one(&f1, "ueth", "1000"), "awaiting_confirmation");
    assert_eq!(s.price("ueth").unwrap().price, d("1800"));
    // in the next block the reference is 1800: one more step of 10%, no more
    s.advance(5);
    let response = s.push(&f1, &batch).unwrap();
    assert_eq!(
        statuses(&response),
        [
            "accepted",
            "accepted",
            "pending",
            "awaiting_confirmation",
            "awaiting_confirmation",
            "awaiting_confirmation",
            "awaiting_confirmation"
        ]
    );
    assert_eq!(s.price("ueth").unwrap().price, d("1620"));
}

#[test]
fn one_feeder_cannot_walk_the_price_past_the_guard_over_several_transactions_in_one_block() {
    let mut s = suite_at_2000();
    let f1 = s.f1.clone();
    let outcomes: Vec<String> = WALK
        .iter()
        .map(|price| s.push_one(&f1, "ueth", price))
        .collect();
    assert_eq!(outcomes, walk_statuses());
    let price = s.price("ueth").unwrap();
    assert_eq!((price.price, price.pending), (d("1800"), true));
}

#[test]
fn feeders_taking_turns_in_one_block_are_judged_against_the_same_reference() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    assert_eq!(s.push_one(&f1, "ueth", "1800"), "accepted");
    // within 10% of 1800, but 19% from the block's reference 2000
    assert_eq!(s.push_one(&f2, "ueth", "1620"), "pending");
    assert_eq!(s.push_one(&f1, "ueth", "1800"), "accepted");
    assert_eq!(s.price("ueth").unwrap().price, d("1800"));
}

#[test]
fn another_feeder_s_in_range_pushes_do_not_discard_a_pending_price() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    // f1 reports a genuine fall; f2 tries to pin the price with in-range pushes every 10 s
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    for _ in 0..6 {
        s.advance(10);
        assert_eq!(s.push_one(&f2, "ueth", "1999"), "accepted");
        assert!(s.price("ueth").unwrap().pending, "f1's price still pending");
    }
    // 60 s after its first push, f1 confirms its own pending price
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "confirmed");
    let price = s.price("ueth").unwrap();
    assert_eq!((price.price, price.pending), (d("1500"), false));
}

#[test]
fn a_pending_price_pinned_against_is_confirmed_by_the_other_feeder() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    s.advance(10);
    assert_eq!(s.push_one(&f2, "ueth", "1999"), "accepted");
    s.advance(10);
    // f2 sees the fall too: its push is within 10% of f1's pending price
    assert_eq!(s.push_one(&f2, "ueth", "1480"), "confirmed");
    let price = s.price("ueth").unwrap();
    assert_eq!((price.price, price.pending), (d("1480"), false));
}

#[test]
fn a_feeder_cannot_restart_another_feeder_s_pending_clock() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    s.advance(30);
    // far from both 2000 and f1's 1500: f2's own pending price, beside f1's
    assert_eq!(s.push_one(&f2, "ueth", "3000"), "pending");
    assert_eq!(s.push_one(&f2, "ueth", "1999"), "accepted");
    s.advance(29);
    assert_eq!(
        s.push_one(&f1, "ueth", "1500"),
        "awaiting_confirmation",
        "59 s"
    );
    s.advance(1);
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "confirmed", "60 s");
}

#[test]
fn a_feeder_alternating_prices_cannot_confirm_its_own_move_early() {
    let mut s = suite_at_2000();
    let f1 = s.f1.clone();
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    // in the same block: a pending price never confirms itself
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "awaiting_confirmation");
    s.advance(20);
    // far from its pending price: a new one, whose clock starts again
    assert_eq!(s.push_one(&f1, "ueth", "1000"), "pending");
    s.advance(20);
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    s.advance(40);
    // 80 s after its first push but 40 s after the current pending price
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "awaiting_confirmation");
    assert_eq!(s.price("ueth").unwrap().price, d("2000"));
    s.advance(20);
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "confirmed");
}

#[test]
fn a_confirmed_price_is_the_reference_for_the_rest_of_the_block() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    assert_eq!(s.push_one(&f2, "ueth", "1500"), "confirmed");
    assert_eq!(
        s.push_one(&f2, "ueth", "1350"),
        "accepted",
        "10% below 1500"
    );
    assert_eq!(s.push_one(&f2, "ueth", "1349"), "pending");
    assert_eq!(s.price("ueth").unwrap().price, d("1350"));
}

#[test]
fn a_stale_price_is_replaced_at_once_and_the_replacement_is_the_block_s_reference() {
    let mut s = suite_at_2000();
    let f1 = s.f1.clone();
    s.advance(MAX_AGE);
    assert_eq!(s.push_one(&f1, "ueth", "500"), "accepted", "stale: at once");
    assert_eq!(s.push_one(&f1, "ueth", "550"), "accepted");
    assert_eq!(
        s.push_one(&f1, "ueth", "551"),
        "pending",
        "over 10% above 500"
    );
    assert_eq!(s.price("ueth").unwrap().price, d("550"));
}

#[test]
fn in_range_pushes_over_successive_blocks_walk_the_price_gradually() {
    let mut s = suite_at_2000();
    let f1 = s.f1.clone();
    for price in WALK {
        assert_eq!(s.push_one(&f1, "ueth", price), "accepted");
        s.advance(5);
    }
    let price = s.price("ueth").unwrap();
    assert_eq!((price.price, price.pending), (d("1000"), false));
}

#[test]
fn price_answers_say_pending_until_the_move_is_confirmed() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    let prices = |s: &Suite| -> Vec<PriceResponse> {
        s.query(&QueryMsg::Prices {
            denoms: vec!["ueth".to_string()],
            skip_twap: None,
        })
        .unwrap()
    };
    assert!(!s.price("ueth").unwrap().pending);
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    let answer = s.query_json(json!({"price": {"denom": "ueth"}})).unwrap();
    assert_eq!(answer["pending"], json!(true));
    assert_eq!(answer["price"], json!("2000"));
    assert!(prices(&s)[0].pending);
    s.advance(5);
    assert_eq!(s.push_one(&f2, "ueth", "1500"), "confirmed");
    assert!(!s.price("ueth").unwrap().pending);
    assert!(!prices(&s)[0].pending);
}

#[test]
fn price_answers_stop_saying_pending_once_the_pending_price_expires() {
    let mut s = suite_at_2000();
    let (f1, f2) = (s.f1.clone(), s.f2.clone());
    assert_eq!(s.push_one(&f1, "ueth", "1500"), "pending");
    s.advance(200);
    assert_eq!(s.push_one(&f2, "ueth", "2000"), "accepted");
    s.advance(MAX_AGE - 200);
    assert!(
        s.price("ueth").unwrap().pending,
        "max_age old: still pending"
    );
    s.advance(1);
    assert!(!s.price("ueth").unwrap().pending);
    // and it confirms nothing any more
    assert_eq!(s.push_one(&f2, "ueth", "1500"), "pending");
}

#[test]
fn pending_prices_per_denom_are_capped_and_a_push_beyond_stores_nothing() {
    let mut s = suite_at_2000();
    let owner = s.owner.clone();
    let feeders: Vec<Addr> = (0..9)
        .map(|i| s.app.api().addr_make(&format!("extra{i}")))
        .collect();
    s.execute(
        &owner,
        &ExecuteMsg::SetFeeders {
            add: feeders.iter().map(|f| f.to_string()).collect(),
            remove: vec![],
        },
    )
    .unwrap();
    s.set_sources("uatom", vec![feed()]);
    // 100, 200, ...: no two within 10% of each other, none within 10% of 2000
    for (i, feeder) in feeders.iter().take(8).enumerate() {
        let price = format!("{}", 100 * (i + 1));
        assert_eq!(s.push_one(feeder, "ueth", &price), "pending");
    }
    let ninth = feeders[8].clone();
    assert_err(
        s.push(&ninth, &[("uatom", "10"), ("ueth", "5000")]),
        &["Too many pending prices for ueth", "at most 8"],
    );
    assert_query_err(s.price("uatom"), &["Price unavailable", "uatom"]);
    // a feeder already holding one may still replace it
    assert_eq!(s.push_one(&feeders[0], "ueth", "5000"), "pending");
}

#[test]
fn a_price_answer_without_pending_reads_as_not_pending() {
    let answer: PriceResponse = cosmwasm_std::from_json(
        br#"{"denom": "ueth", "price": "2000", "twap": null, "source": "feed", "updated_at": 7}"#,
    )
    .unwrap();
    assert!(!answer.pending);
}

// ---------------------------------------------------------------------------------------------
// Migration
// ---------------------------------------------------------------------------------------------

/// cw2's storage key and record (written raw: the test crate does not depend on cw2).
const CW2_KEY: &[u8] = b"contract_info";

/// A stand-in for an earlier deployment: instantiating it stores the cw2 name and version given
/// in its message, and the raw storage entries `(key, value)` given with them.
fn fake_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        |_, _, _, _: Empty| -> StdResult<Response> { Ok(Response::new()) },
        |deps, _, _, msg: (String, String, Vec<(Binary, Binary)>)| -> StdResult<Response> {
            let info = json!({"contract": msg.0, "version": msg.1});
            deps.storage
                .set(CW2_KEY, &cosmwasm_std::to_json_vec(&info)?);
            for (key, value) in msg.2 {
                deps.storage.set(&key, &value);
            }
            Ok(Response::new())
        },
        |_, _, _: Empty| -> StdResult<Binary> { Ok(Binary::default()) },
    ))
}

/// The config record of version 0.1.0: JSON, with the owner fields.
fn config_of_0_1_0(owner: &Addr, pending_owner: Option<&Addr>) -> (Binary, Binary) {
    let config = json!({"owner": owner, "pending_owner": pending_owner, "base_denom": "moet",
        "max_age": 300, "max_deviation": "0.1", "twap_window": 1800});
    (
        Binary::from(b"c".to_vec()),
        Binary::from(serde_json::to_vec(&config).unwrap()),
    )
}

/// A denom record as 0.1.0 wrote it (no format byte): sources feed, twap and fixed 1.5, the
/// global parameters 300 / 0.1 / 1800, no price yet.
const DENOM_RECORD_OF_0_1_0: &str = "00030001020814d1120d7b16000002012c110101020708";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn denom_key(denom: &str) -> Vec<u8> {
    cw_storage_plus::Map::<&str, ()>::new("s")
        .key(denom)
        .to_vec()
}

fn contract_info(s: &Suite, contract: &Addr) -> Value {
    let raw = s
        .app
        .wrap()
        .query_wasm_raw(contract.to_string(), CW2_KEY.to_vec())
        .unwrap()
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

#[test]
fn migrate_checks_the_contract_name_and_refuses_a_downgrade() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let fake_id = s.app.store_code(fake_contract());
    let deploy = |s: &mut Suite, name: &str, version: &str| {
        s.app
            .instantiate_contract(
                fake_id,
                owner.clone(),
                &(
                    name.to_string(),
                    version.to_string(),
                    vec![config_of_0_1_0(&owner, None)],
                ),
                &[],
                "old",
                Some(owner.to_string()),
            )
            .unwrap()
    };
    let other = deploy(&mut s, "crates.io:someone-else", "0.1.0");
    let newer = deploy(&mut s, "crates.io:keel-oracle", "99.0.0");
    let older = deploy(&mut s, "crates.io:keel-oracle", "0.0.1");
    let code_id = s.code_id;

    assert_err(
        s.app
            .migrate_contract(owner.clone(), other, &MigrateMsg {}, code_id),
        &["crates.io:someone-else"],
    );
    assert_err(
        s.app
            .migrate_contract(owner.clone(), newer, &MigrateMsg {}, code_id),
        &["99.0.0", "down"],
    );
    s.app
        .migrate_contract(owner.clone(), older.clone(), &MigrateMsg {}, code_id)
        .unwrap();
    assert_eq!(
        contract_info(&s, &older),
        json!({"contract": "crates.io:keel-oracle", "version": env!("CARGO_PKG_VERSION")})
    );

    // the live oracle migrates onto its own version and keeps working
    let oracle = s.oracle.clone();
    s.app
        .migrate_contract(owner, oracle, &json!({}), code_id)
        .unwrap();
    assert_eq!(s.config().max_age, MAX_AGE);
}

#[test]
fn migrate_from_0_1_0_moves_the_owners_and_reads_the_old_records() {
    let mut s = Suite::new();
    let (owner, f1) = (s.owner.clone(), s.f1.clone());
    let next = s.app.api().addr_make("next");
    let fake_id = s.app.store_code(fake_contract());
    let entries = vec![
        config_of_0_1_0(&owner, Some(&next)),
        (
            Binary::from(denom_key("uatom")),
            Binary::from(unhex(DENOM_RECORD_OF_0_1_0)),
        ),
    ];
    let old = s
        .app
        .instantiate_contract(
            fake_id,
            owner.clone(),
            &(
                "crates.io:keel-oracle".to_string(),
                "0.1.0".to_string(),
                entries,
            ),
            &[],
            "old",
            Some(owner.to_string()),
        )
        .unwrap();
    let code_id = s.code_id;
    s.app
        .migrate_contract(owner.clone(), old.clone(), &MigrateMsg {}, code_id)
        .unwrap();
    s.oracle = old;

    assert_eq!(
        s.query_json(json!({"config": {}})).unwrap(),
        json!({"owner": owner, "pending_owner": next, "base_denom": "moet", "max_age": 300,
               "max_deviation": "0.1", "twap_window": 1800})
    );
    // the denom record of version 0 reads as it is: no price pushed yet, the fixed source serves
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source),
        (d("1.5"), PriceSourceKind::Fixed)
    );

    // the owner and the pending owner keep their rights
    assert_err(
        s.execute(&f1, &ExecuteMsg::AcceptOwnership {}),
        &["Unauthorized", "pending owner"],
    );
    s.execute(
        &owner,
        &ExecuteMsg::SetFeeders {
            add: vec![f1.to_string()],
            remove: vec![],
        },
    )
    .unwrap();
    s.execute(&next, &ExecuteMsg::AcceptOwnership {}).unwrap();
    assert_eq!(s.config().owner, next.to_string());

    // the next push writes the record in the current version (2)
    let raw = |s: &Suite| {
        s.app
            .wrap()
            .query_wasm_raw(&s.oracle, denom_key("uatom"))
            .unwrap()
            .unwrap()
    };
    assert_eq!(raw(&s)[0], 0x00, "version 0: no format byte");
    assert_eq!(s.push_one(&f1, "uatom", "10"), "accepted");
    assert_eq!(raw(&s)[0], 0x82);
    let price = s.price("uatom").unwrap();
    assert_eq!(
        (price.price, price.source),
        (d("10"), PriceSourceKind::Feed)
    );
}
