//! The events catalogue (docs/EVENTS.md) against the contracts: one cw-multi-test run sends every
//! message of the oracle, the market and the liquidator (and the cw20 messages of Keel's flows),
//! and every `wasm` / `wasm-*` event they emit is compared with the catalogue's tables, both
//! ways: an attribute emitted that the catalogue does not list for that event and message, a
//! listed attribute marked `always` that is missing, and a listed attribute that no message of
//! the run emitted all fail. No attribute value may combine an amount and a denom (`100ueth`).
use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{coin, to_json_binary, Addr, Event, Uint128, WasmMsg};
use cw_multi_test::{AppResponse, Executor};
use keel_tests::*;
use keel_types::market::{Automation, ConfigUpdate, DrawDownSink, ExecuteMsg, ReceiveMsg};
use keel_types::{liquidator as liq, market, oracle};

const DOC: &str = include_str!("../../docs/EVENTS.md");

/// One row of the catalogue.
struct Row {
    /// `present` is `always`.
    always: bool,
    /// The section whose row it repeats, when its meaning is "as in `<section>`": the same
    /// attribute, written by the same code.
    as_in: Option<String>,
}

/// (contract, section, event type) -> attribute -> row.
type Catalogue = BTreeMap<(String, String, String), BTreeMap<String, Row>>;

/// The tables of EVENTS.md: `## <Contract>` then `### \`<section>\`` then rows
/// `| \`event\` | \`attribute\` | present | meaning |`.
fn catalogue() -> Catalogue {
    let mut out = Catalogue::new();
    let (mut contract, mut section) = (None::<String>, None::<String>);
    let unquote = |s: &str| s.trim().trim_matches('`').to_string();
    for line in DOC.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            contract = match h.split_whitespace().next() {
                Some("Oracle") => Some("oracle".into()),
                Some("Market") => Some("market".into()),
                Some("Liquidator") => Some("liquidator".into()),
                Some("cw20") => Some("cw20".into()),
                _ => None,
            };
            section = None;
        } else if let Some(h) = line.strip_prefix("### ") {
            section = Some(unquote(h));
        } else if let (Some(c), Some(s), Some(row)) = (&contract, &section, line.strip_prefix('|'))
        {
            let cells: Vec<&str> = row.split('|').collect();
            if cells.len() < 4 || !cells[0].trim().starts_with('`') {
                continue;
            }
            let (event, attribute, present) =
                (unquote(cells[0]), unquote(cells[1]), cells[2].trim());
            let as_in = cells[3]
                .trim()
                .strip_prefix("as in `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string);
            let row = Row {
                always: present == "always",
                as_in,
            };
            out.entry((c.clone(), s.clone(), event))
                .or_default()
                .insert(attribute, row);
        }
    }
    out
}

/// Everything the run's messages emitted, with the kind of each contract.
struct Run {
    suite: Suite,
    kinds: BTreeMap<String, &'static str>,
    events: Vec<Event>,
}

impl Run {
    fn record(&mut self, res: AppResponse) -> AppResponse {
        for e in &res.events {
            // a contract instantiated by the message
            if e.ty == "instantiate" {
                if let Some(a) = e.attributes.iter().find(|a| a.key == "_contract_address") {
                    self.kinds.entry(a.value.clone()).or_insert("new");
                }
            }
        }
        self.events.extend(res.events.iter().cloned());
        res
    }

    fn exec<M: serde::Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[cosmwasm_std::Coin],
    ) -> AppResponse {
        let res = self
            .suite
            .exec(sender, contract, msg, funds)
            .unwrap_or_else(|e| panic!("{msg:?}: {}", err_text(e)));
        self.record(res)
    }

    fn market(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[cosmwasm_std::Coin],
    ) -> AppResponse {
        let market = self.suite.market.clone();
        self.exec(sender, &market, msg, funds)
    }

    fn moet_send<M: serde::Serialize>(&mut self, from: &Addr, to: &Addr, amount: u128, hook: &M) {
        let moet = self.suite.moet.clone();
        let res = self
            .suite
            .cw20_send(from, &moet, to, amount, hook)
            .unwrap_or_else(|e| panic!("send: {}", err_text(e)));
        self.record(res);
    }

    /// Instantiates `code` with `msg` as a new contract of `kind`.
    fn instantiate<M: serde::Serialize>(&mut self, code: u64, msg: &M, kind: &'static str) -> Addr {
        let owner = self.suite.owner.clone();
        let res = self
            .suite
            .app
            .execute(
                owner.clone(),
                WasmMsg::Instantiate {
                    admin: Some(owner.to_string()),
                    code_id: code,
                    msg: to_json_binary(msg).expect("json"),
                    funds: vec![],
                    label: kind.to_string(),
                }
                .into(),
            )
            .unwrap_or_else(|e| panic!("instantiate {kind}: {}", err_text(e)));
        let address = res
            .events
            .iter()
            .find(|e| e.ty == "instantiate")
            .and_then(|e| e.attributes.iter().find(|a| a.key == "_contract_address"))
            .map(|a| a.value.clone())
            .expect("an instantiated address");
        self.kinds.insert(address.clone(), kind);
        self.record(res);
        Addr::unchecked(address)
    }

    fn migrate(&mut self, contract: &Addr, code: u64) {
        let owner = self.suite.owner.clone();
        let res = self
            .suite
            .app
            .migrate_contract(owner, contract.clone(), &market::MigrateMsg {}, code)
            .unwrap_or_else(|e| panic!("migrate: {}", err_text(e)));
        self.record(res);
    }
}

fn automation(sink: Option<&Addr>, source: Option<&Addr>, self_repay: bool) -> Automation {
    Automation {
        draw_down_sink: sink.map(|s| DrawDownSink {
            address: s.to_string(),
            msg: None,
        }),
        top_up_source: source.map(|s| s.to_string()),
        health: None,
        self_repay,
    }
}

fn open(
    run: &mut Run,
    owner: &Addr,
    funds: &[cosmwasm_std::Coin],
    auto: Option<Automation>,
    push: bool,
) -> u64 {
    let res = run.market(
        owner,
        &ExecuteMsg::OpenPosition {
            automation: auto,
            push_to_draw_down_sink: push,
        },
        funds,
    );
    position_id_of(&res).expect("an id")
}

/// Sends every message of the three contracts, and the cw20 messages of Keel's flows.
fn run_everything() -> Run {
    let suite = Suite::with_eth_and_usdc();
    let mut kinds = BTreeMap::new();
    kinds.insert(suite.oracle.to_string(), "oracle");
    kinds.insert(suite.market.to_string(), "market");
    kinds.insert(suite.liquidator.to_string(), "liquidator");
    kinds.insert(suite.moet.to_string(), "cw20");
    let mut run = Run {
        suite,
        kinds,
        events: vec![],
    };
    let owner = run.suite.owner.clone();
    let moet = run.suite.moet_denom();
    let moet_token = run.suite.moet.clone();
    let (oracle_addr, market_addr, liquidator_addr) = (
        run.suite.oracle.clone(),
        run.suite.market.clone(),
        run.suite.liquidator.clone(),
    );
    let [alice, bob, carol, dave, frank, grace, helen, bot, next, vault, feeder] = [
        "alice", "bob", "carol", "dave", "frank", "grace", "helen", "bot", "next", "vault",
        "feeder3",
    ]
    .map(|n| run.suite.addr(n));

    // --- instantiation, ownership and migration, on fresh instances ---
    let codes = (
        run.suite.app.store_code(oracle_contract()),
        run.suite.app.store_code(market_contract()),
        run.suite.app.store_code(liquidator_contract()),
    );
    let oracle2 = run.instantiate(
        codes.0,
        &oracle::InstantiateMsg {
            owner: owner.to_string(),
            base_denom: "moet".into(),
            max_age: 300,
            max_deviation: dec("0.1"),
            twap_window: 1800,
        },
        "oracle",
    );
    let market2 = run.instantiate(
        codes.1,
        &market::InstantiateMsg {
            owner: owner.to_string(),
            oracle: oracle2.to_string(),
            liquidator: None,
            guardian: None,
            treasury: None,
            default_health: None,
            borrow_health_floor: None,
            min_debt_value: None,
            dust_debt_value: None,
            max_close_factor: None,
            max_liquidation_bonus: None,
            max_position_assets: None,
            redemption_fee: None,
            redemption_health: None,
        },
        "market",
    );
    let liquidator2 = run.instantiate(
        codes.2,
        &liq::InstantiateMsg {
            owner: owner.to_string(),
            market: market2.to_string(),
            close_factor: None,
            liquidation_bonus: None,
        },
        "liquidator",
    );
    for contract in [&oracle2, &market2, &liquidator2] {
        run.exec(
            &owner,
            contract,
            &market::ExecuteMsg::TransferOwnership {
                new_owner: next.to_string(),
            },
            &[],
        );
        run.exec(
            &next,
            contract,
            &market::ExecuteMsg::AcceptOwnership {},
            &[],
        );
    }
    run.exec(
        &next,
        &oracle2,
        &oracle::ExecuteMsg::SetFeeders {
            add: vec![feeder.to_string(), bot.to_string()],
            remove: vec![],
        },
        &[],
    );
    run.exec(
        &next,
        &oracle2,
        &oracle::ExecuteMsg::SetFeeders {
            add: vec![],
            remove: vec![bot.to_string()],
        },
        &[],
    );
    run.exec(
        &next,
        &oracle2,
        &oracle::ExecuteMsg::UpdateConfig {
            base_denom: None,
            max_age: Some(600),
            max_deviation: None,
            twap_window: None,
        },
        &[],
    );
    run.exec(
        &next,
        &liquidator2,
        &liq::ExecuteMsg::UpdateConfig {
            market: None,
            close_factor: Some(dec("0.25")),
            liquidation_bonus: None,
        },
        &[],
    );
    run.migrate(&oracle_addr, codes.0);
    run.migrate(&market_addr, codes.1);
    run.migrate(&liquidator_addr, codes.2);

    // --- the oracle's sources and prices, the market's admin ---
    run.exec(
        &owner,
        &oracle_addr,
        &oracle::ExecuteMsg::SetPriceSources {
            denom: "uatom".into(),
            sources: vec![oracle::PriceSource::Feed {}],
            max_age: None,
            max_deviation: None,
        },
        &[],
    );
    let feeders = run.suite.feeders.clone();
    run.exec(
        &feeders[0],
        &oracle_addr,
        &oracle::ExecuteMsg::PushPrices {
            prices: vec![oracle::PriceInput {
                denom: "uatom".into(),
                price: dec("10"),
            }],
        },
        &[],
    );
    let res = run
        .suite
        .list_asset("uatom", pool_params(6))
        .expect("list uatom");
    run.record(res);
    let mut paused = pool_params(6);
    paused.borrow_enabled = false;
    run.market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: "uatom".into(),
            params: paused,
        },
        &[],
    );
    run.market(
        &owner,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            guardian: Some(next.to_string()),
            ..Default::default()
        }),
        &[],
    );
    for paused in [true, false] {
        run.market(&owner, &ExecuteMsg::SetRedemptionsPaused { paused }, &[]);
    }

    // --- positions ---
    for who in [&alice, &bob, &dave, &frank, &grace, &helen, &bot] {
        run.suite.fund(who, eth(10), ETH);
        run.suite.fund(who, usdc(1_000_000), USDC);
    }
    // a lender, so that USDC can be borrowed
    open(&mut run, &bob, &[coin(usdc(100_000), USDC)], None, false);
    // auto-borrow to the sink at opening
    let a = open(
        &mut run,
        &alice,
        &[coin(eth(1), ETH)],
        Some(automation(Some(&vault), None, false)),
        true,
    );
    // a deposit with the push, at the target already: nothing drawn
    run.market(
        &alice,
        &ExecuteMsg::Deposit {
            position_id: a,
            push_to_draw_down_sink: true,
        },
        &[coin(1, ETH)],
    );
    // inside its bounds: nothing to do
    run.market(&bob, &ExecuteMsg::Rebalance { position_id: a }, &[]);
    let d = open(&mut run, &dave, &[coin(eth(2), ETH)], None, false);
    run.market(
        &bob,
        &ExecuteMsg::Deposit {
            position_id: d,
            push_to_draw_down_sink: false,
        },
        &[coin(eth(1), ETH)],
    );
    run.market(
        &dave,
        &ExecuteMsg::Withdraw {
            position_id: d,
            denom: ETH.into(),
            amount: Some(Uint128::new(eth(1) / 2)),
            recipient: None,
        },
        &[],
    );
    run.market(
        &dave,
        &ExecuteMsg::Borrow {
            position_id: d,
            denom: USDC.into(),
            amount: Uint128::new(usdc(1_000)),
            recipient: Some(bob.to_string()),
            to_collateral: false,
        },
        &[],
    );
    run.market(
        &dave,
        &ExecuteMsg::Borrow {
            position_id: d,
            denom: USDC.into(),
            amount: Uint128::new(usdc(500)),
            recipient: None,
            to_collateral: true,
        },
        &[],
    );
    run.market(
        &dave,
        &ExecuteMsg::Repay { position_id: d },
        &[coin(usdc(2_000), USDC)],
    );
    run.market(
        &dave,
        &ExecuteMsg::SetAutomation {
            position_id: d,
            automation: Some(automation(None, Some(&dave), false)),
        },
        &[],
    );

    // a draw-down by rebalance (no debt: above any max)
    let g = open(
        &mut run,
        &grace,
        &[coin(eth(1), ETH)],
        Some(automation(Some(&vault), None, false)),
        false,
    );
    run.market(&bob, &ExecuteMsg::Rebalance { position_id: g }, &[]);

    // a top-up from a consenting source
    let f = open(
        &mut run,
        &frank,
        &[coin(eth(1), ETH)],
        Some(automation(None, Some(&carol), false)),
        false,
    );
    run.market(
        &frank,
        &ExecuteMsg::Borrow {
            position_id: f,
            denom: moet.clone(),
            amount: Uint128::new(usdc(1_520)),
            recipient: None,
            to_collateral: false,
        },
        &[],
    );
    run.exec(
        &bot,
        &moet_token,
        &cw20::Cw20ExecuteMsg::Transfer {
            recipient: carol.to_string(),
            amount: Uint128::new(usdc(10_000)),
        },
        &[],
    );
    for msg in [
        cw20::Cw20ExecuteMsg::IncreaseAllowance {
            spender: market_addr.to_string(),
            amount: Uint128::new(usdc(2_000)),
            expires: None,
        },
        cw20::Cw20ExecuteMsg::DecreaseAllowance {
            spender: market_addr.to_string(),
            amount: Uint128::new(usdc(1_000)),
            expires: None,
        },
    ] {
        run.exec(&carol, &moet_token, &msg, &[]);
    }
    run.market(
        &carol,
        &ExecuteMsg::AllowTopUp {
            position_id: f,
            amount: Uint128::new(usdc(1_000)),
        },
        &[],
    );
    run.market(&bob, &ExecuteMsg::Rebalance { position_id: f }, &[]);
    run.market(&carol, &ExecuteMsg::DisallowTopUp { position_id: f }, &[]);

    // self-repay: USDC collateral earning interest against a MOET debt
    let h = open(
        &mut run,
        &helen,
        &[coin(usdc(10_000), USDC)],
        Some(automation(None, None, true)),
        false,
    );
    run.market(
        &helen,
        &ExecuteMsg::Borrow {
            position_id: h,
            denom: moet.clone(),
            amount: Uint128::new(usdc(5_000)),
            recipient: None,
            to_collateral: false,
        },
        &[],
    );
    run.market(
        &bob,
        &ExecuteMsg::Borrow {
            position_id: 1,
            denom: USDC.into(),
            amount: Uint128::new(usdc(70_000)),
            recipient: None,
            to_collateral: false,
        },
        &[],
    );
    run.suite.advance(31_536_000);
    run.suite.set_price(ETH, "2000");
    run.suite.set_price(USDC, "1");
    run.market(
        &helen,
        &ExecuteMsg::Deposit {
            position_id: h,
            push_to_draw_down_sink: false,
        },
        &[coin(usdc(1), USDC)],
    );
    // a day later, the prices stale: the self-repay of a deposit is skipped
    run.suite.advance(86_400);
    run.market(
        &helen,
        &ExecuteMsg::Deposit {
            position_id: h,
            push_to_draw_down_sink: false,
        },
        &[coin(usdc(1), USDC)],
    );
    run.suite.set_price(ETH, "2000");
    run.suite.set_price(USDC, "1");
    // a MOET repayment by cw20 `send` (the market burns it)
    run.moet_send(
        &helen,
        &market_addr,
        usdc(10),
        &ReceiveMsg::Repay { position_id: h },
    );
    run.market(
        &owner,
        &ExecuteMsg::WithdrawReserves {
            denom: USDC.into(),
            amount: Uint128::new(1_000),
            recipient: None,
        },
        &[],
    );

    // a redemption, with a refund
    let r = open(&mut run, &grace, &[coin(eth(1), ETH)], None, false);
    run.market(
        &grace,
        &ExecuteMsg::Borrow {
            position_id: r,
            denom: moet.clone(),
            amount: Uint128::new(usdc(1_300)),
            recipient: None,
            to_collateral: false,
        },
        &[],
    );
    run.moet_send(
        &bot,
        &market_addr,
        usdc(500),
        &ReceiveMsg::Redeem {
            position_id: r,
            collateral_denom: ETH.into(),
            min_collateral_out: None,
        },
    );

    // liquidations: ETH falls to 1,100
    let l = open(&mut run, &alice, &[coin(eth(1), ETH)], None, false);
    run.market(
        &alice,
        &ExecuteMsg::Borrow {
            position_id: l,
            denom: moet.clone(),
            amount: Uint128::new(usdc(1_000)),
            recipient: None,
            to_collateral: false,
        },
        &[],
    );
    let n = open(&mut run, &frank, &[coin(eth(1), ETH)], None, false);
    run.market(
        &frank,
        &ExecuteMsg::Borrow {
            position_id: n,
            denom: USDC.into(),
            amount: Uint128::new(usdc(1_500)),
            recipient: None,
            to_collateral: false,
        },
        &[],
    );
    run.suite.set_price(ETH, "1100");
    run.moet_send(
        &bot,
        &liquidator_addr,
        usdc(500),
        &liq::ReceiveMsg::Liquidate {
            position_id: l,
            debt_denom: moet.clone(),
            collateral_denom: ETH.into(),
            min_collateral_out: None,
        },
    );
    // `seize` with explicit amounts, by a liquidator the owner names for it
    run.market(
        &owner,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            liquidator: Some(bot.to_string()),
            ..Default::default()
        }),
        &[],
    );
    run.moet_send(
        &bot,
        &market_addr,
        usdc(100),
        &ReceiveMsg::Seize {
            position_id: l,
            debt_denom: moet.clone(),
            repay_amount: Uint128::new(usdc(100)),
            collateral_denom: ETH.into(),
            collateral_amount: Uint128::new(90_000_000_000_000_000),
            recipient: bot.to_string(),
        },
    );
    run.market(
        &owner,
        &ExecuteMsg::UpdateConfig(ConfigUpdate {
            liquidator: Some(liquidator_addr.to_string()),
            ..Default::default()
        }),
        &[],
    );
    // ETH crashes to 200: a native-debt liquidation takes all the collateral, bad debt
    run.suite.set_price(ETH, "200");
    run.exec(
        &bot,
        &liquidator_addr,
        &liq::ExecuteMsg::Liquidate {
            position_id: n,
            debt_denom: USDC.into(),
            collateral_denom: ETH.into(),
            min_collateral_out: None,
        },
        &[coin(usdc(300), USDC)],
    );
    run
}

#[test]
fn every_event_and_attribute_is_in_the_catalogue() {
    let catalogue = catalogue();
    assert!(
        catalogue.len() > 40,
        "the catalogue parsed to {} tables",
        catalogue.len()
    );
    let run = run_everything();
    let mut problems = BTreeSet::new();
    let mut seen: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for e in &run.events {
        if e.ty != "wasm" && !e.ty.starts_with("wasm-") {
            continue;
        }
        let attr = |key: &str| {
            e.attributes
                .iter()
                .find(|a| a.key == key)
                .map(|a| a.value.clone())
        };
        let address = attr("_contract_address").expect("_contract_address first");
        let Some(kind) = run.kinds.get(&address).copied() else {
            // a cw20 collateral token the suite created
            continue;
        };
        let kind = if kind == "new" { "cw20" } else { kind };
        let section = if e.ty == "wasm" {
            attr("action").unwrap_or_else(|| panic!("a {kind} wasm event without action: {e:?}"))
        } else {
            e.ty.clone()
        };
        let key = (kind.to_string(), section.clone(), e.ty.clone());
        let Some(rows) = catalogue.get(&key) else {
            problems.insert(format!(
                "{kind} `{section}`: event {} is not in EVENTS.md",
                e.ty
            ));
            continue;
        };
        for a in &e.attributes {
            if a.key == "_contract_address" {
                continue;
            }
            if !rows.contains_key(&a.key) {
                problems.insert(format!(
                    "{kind} `{section}`: {} attribute `{}` (= {}) is not in EVENTS.md",
                    e.ty, a.key, a.value
                ));
            }
            let digits = a.value.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && a.value[digits..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                problems.insert(format!(
                    "{kind} `{section}`: `{}` = `{}` combines an amount and a denom",
                    a.key, a.value
                ));
            }
            seen.insert((
                kind.to_string(),
                section.clone(),
                e.ty.clone(),
                a.key.clone(),
            ));
        }
        for (name, row) in rows {
            if row.always && attr(name).is_none() {
                problems.insert(format!("{kind} `{section}`: {} lacks `{name}`", e.ty));
            }
        }
    }
    for ((kind, section, ty), rows) in &catalogue {
        for (name, row) in rows {
            let in_section =
                |s: &str| seen.contains(&(kind.clone(), s.to_string(), ty.clone(), name.clone()));
            if !in_section(section) && !row.as_in.as_deref().is_some_and(in_section) {
                problems.insert(format!(
                    "{kind} `{section}`: {ty} `{name}` is in EVENTS.md but no message of the run emitted it"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}
