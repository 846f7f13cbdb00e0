//! Automation (SPEC 3.5): auto-borrow to the target health, keeper rebalancing (draw-down to a
//! sink, top-up from a source), self-repaying MOET debt. Every expected figure is worked out by
//! hand in the comment next to it; MOET has 6 decimals, so `x MOET` below is `x * 10^6` units.
use anyhow::Result as AnyResult;
use cosmwasm_std::{coins, to_json_binary, Addr, Binary, Decimal256, Empty, Uint128};
use cw20::{Cw20ExecuteMsg, Cw20QueryMsg, TokenInfoResponse};
use cw_multi_test::{AppResponse, Executor};
use keel_math::HealthBounds;
use keel_tests::sink::{sink_contract, Received, SinkQueryMsg};
use keel_tests::*;
use keel_types::market::{Automation, ConfigUpdate, DrawDownSink, ExecuteMsg, ReceiveMsg};

const YEAR: u64 = 31_536_000;

// ---------------------------------------------------------------------------------------------
// helpers

fn setup() -> Suite {
    Suite::with_eth_and_usdc()
}

fn bounds(min: &str, target: &str, max: &str) -> HealthBounds {
    HealthBounds {
        min: dec(min),
        target: dec(target),
        max: dec(max),
    }
}

fn plain_sink(to: &Addr) -> Option<DrawDownSink> {
    Some(DrawDownSink {
        address: to.to_string(),
        msg: None,
    })
}

fn auto(sink: Option<DrawDownSink>, source: Option<&Addr>, self_repay: bool) -> Automation {
    Automation {
        draw_down_sink: sink,
        top_up_source: source.map(|a| a.to_string()),
        health: Some(bounds("1.1", "1.3", "1.5")),
        self_repay,
    }
}

/// Opens a position for `who` (funded with `amount` of `denom`) with `automation`.
fn open_auto(
    s: &mut Suite,
    who: &Addr,
    amount: u128,
    denom: &str,
    automation: Option<Automation>,
    push: bool,
) -> AnyResult<(u64, AppResponse)> {
    s.fund(who, amount, denom);
    let res = s.exec_market(
        who,
        &ExecuteMsg::OpenPosition {
            automation,
            push_to_draw_down_sink: push,
        },
        &coins(amount, denom),
    )?;
    Ok((position_id_of(&res)?, res))
}

/// A deposit of `amount` ETH into position `id`, with or without the push to the sink.
fn deposit_eth(
    s: &mut Suite,
    from: &Addr,
    id: u64,
    amount: u128,
    push: bool,
) -> AnyResult<AppResponse> {
    s.exec_market(
        from,
        &ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: push,
        },
        &coins(amount, ETH),
    )
}

fn moet_supply(s: &Suite) -> Uint128 {
    let info: TokenInfoResponse = s.query(&s.moet, &Cw20QueryMsg::TokenInfo {}).unwrap();
    info.total_supply
}

fn moet_debt(s: &Suite, id: u64) -> u128 {
    debt_of(&s.position(id), &s.moet_denom()).u128()
}

fn moet_balance(s: &Suite, who: &Addr) -> u128 {
    s.balance(who, &s.moet_denom()).u128()
}

fn hf(s: &Suite, id: u64) -> Option<Decimal256> {
    s.position(id).health.unwrap().health_factor
}

fn assert_close(actual: Decimal256, expected: &str, tol: &str) {
    let expected = d256(expected);
    let diff = if actual > expected {
        actual - expected
    } else {
        expected - actual
    };
    assert!(
        diff <= d256(tol),
        "{actual} is not within {tol} of {expected}"
    );
}

fn assert_within(actual: u128, expected: u128, tol: u128) {
    assert!(
        actual.abs_diff(expected) <= tol,
        "{actual} is not within {tol} of {expected}"
    );
}

/// The value of attribute `key` in the market's wasm event.
fn attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

fn rebalance(s: &mut Suite, id: u64) -> AnyResult<AppResponse> {
    let keeper = s.addr("keeper");
    s.exec_market(&keeper, &ExecuteMsg::Rebalance { position_id: id }, &[])
}

/// Gives `who` `amount` MOET from the bot's initial balance.
fn give_moet(s: &mut Suite, who: &Addr, amount: u128) {
    let (bot, moet) = (s.addr("bot"), s.moet.clone());
    s.exec(
        &bot,
        &moet,
        &Cw20ExecuteMsg::Transfer {
            recipient: who.to_string(),
            amount: Uint128::new(amount),
        },
        &[],
    )
    .unwrap();
}

/// `who` lets the market pull `amount` MOET (cw20 IncreaseAllowance).
fn allow(s: &mut Suite, who: &Addr, amount: u128) {
    let (market, moet) = (s.market.clone(), s.moet.clone());
    s.exec(
        who,
        &moet,
        &Cw20ExecuteMsg::IncreaseAllowance {
            spender: market.to_string(),
            amount: Uint128::new(amount),
            expires: None,
        },
        &[],
    )
    .unwrap();
}

/// `who` consents to back position `id` as its top-up source with up to `amount` MOET.
fn consent(s: &mut Suite, who: &Addr, id: u64, amount: u128) {
    s.exec_market(
        who,
        &ExecuteMsg::AllowTopUp {
            position_id: id,
            amount: Uint128::new(amount),
        },
        &[],
    )
    .unwrap();
}

fn allowance(s: &Suite, who: &Addr) -> u128 {
    let r: cw20::AllowanceResponse = s
        .query(
            &s.moet,
            &Cw20QueryMsg::Allowance {
                owner: who.to_string(),
                spender: s.market.to_string(),
            },
        )
        .unwrap();
    r.allowance.u128()
}

/// 1 ETH at 2000 (C = 1600) auto-borrowed to HF 1.3: floor(1600 / 1.3) = 1230.769230 MOET.
const OPEN_DEBT: u128 = 1_230_769_230;

/// A position of 1 ETH with a plain sink and a top-up source, auto-borrowed to the target.
fn open_balanced(s: &mut Suite) -> (u64, Addr, Addr) {
    let (owner, sink, source) = (s.addr("alice"), s.addr("sink"), s.addr("source"));
    let automation = auto(plain_sink(&sink), Some(&source), false);
    let (id, _) = open_auto(s, &owner, eth(1), ETH, Some(automation), true).unwrap();
    assert_eq!(moet_debt(s, id), OPEN_DEBT);
    consent(s, &source, id, usdc(1_000_000));
    (id, sink, source)
}

// ---------------------------------------------------------------------------------------------
// auto-borrow on open and deposit

#[test]
fn open_with_push_borrows_to_target_and_mints_to_the_sink() {
    let mut s = setup();
    let (owner, sink) = (s.addr("alice"), s.addr("sink"));
    let supply = moet_supply(&s);
    let automation = auto(plain_sink(&sink), None, false);
    let (id, res) = open_auto(&mut s, &owner, eth(1), ETH, Some(automation.clone()), true).unwrap();
    // C = 1 * 2000 * 0.8 = 1600, D = 0: x = floor((1600 / 1.3 - 0) / (1 * 1)) = 1230.769230.
    assert_eq!(moet_debt(&s, id), 1_230_769_230);
    assert_eq!(moet_balance(&s, &sink), 1_230_769_230);
    assert_eq!(moet_balance(&s, &owner), 0);
    assert_eq!(moet_supply(&s), supply + Uint128::new(1_230_769_230));
    // HF = 1600 / 1230.769230 = 1.30000000024...
    assert_close(hf(&s, id).unwrap(), "1.3", "0.000001");
    assert!(hf(&s, id).unwrap() >= d256("1.3"));
    assert_eq!(attr(&res, "drawn_down").as_deref(), Some("1230769230"));
    assert_eq!(s.position(id).automation, Some(automation));
}

#[test]
fn open_with_push_and_no_sink_pays_the_owner() {
    let mut s = setup();
    let owner = s.addr("alice");
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, true).unwrap();
    // Same figures as above; the default bounds (1.1 / 1.3 / 1.5) give target 1.3.
    assert_eq!(moet_debt(&s, id), 1_230_769_230);
    assert_eq!(moet_balance(&s, &owner), 1_230_769_230);
    // An automation without sink also pays the owner.
    let bob = s.addr("bob");
    let (id, _) = open_auto(
        &mut s,
        &bob,
        eth(1),
        ETH,
        Some(auto(None, None, false)),
        true,
    )
    .unwrap();
    assert_eq!(moet_debt(&s, id), 1_230_769_230);
    assert_eq!(moet_balance(&s, &bob), 1_230_769_230);
}

#[test]
fn open_without_push_borrows_nothing() {
    let mut s = setup();
    let (owner, sink) = (s.addr("alice"), s.addr("sink"));
    let supply = moet_supply(&s);
    let automation = auto(plain_sink(&sink), None, false);
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, Some(automation), false).unwrap();
    assert_eq!(moet_debt(&s, id), 0);
    assert_eq!(hf(&s, id), None);
    assert_eq!(moet_balance(&s, &sink), 0);
    assert_eq!(moet_supply(&s), supply);
}

#[test]
fn auto_borrow_uses_the_positions_own_target() {
    let mut s = setup();
    let owner = s.addr("alice");
    let automation = Automation {
        health: Some(bounds("1.2", "1.6", "2")),
        ..auto(None, None, false)
    };
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, Some(automation), true).unwrap();
    // floor(1600 / 1.6) = 1000 MOET exactly; HF = 1.6.
    assert_eq!(moet_debt(&s, id), 1_000_000_000);
    assert_eq!(hf(&s, id), Some(d256("1.6")));
}

#[test]
fn auto_borrow_tops_up_existing_debt_to_target() {
    let mut s = setup();
    let owner = s.addr("alice");
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, true).unwrap();
    assert_eq!(moet_debt(&s, id), OPEN_DEBT);
    // Deposit 0.5 ETH with push: C = 2400, D = 1230.769230:
    // x = floor(2400 / 1.3 - 1230.769230) = floor(1846.153846153.. - 1230.769230) = 615.384616.
    s.fund(&owner, eth(1) / 2, ETH);
    deposit_eth(&mut s, &owner, id, eth(1) / 2, true).unwrap();
    assert_eq!(moet_debt(&s, id), 1_846_153_846);
    assert_eq!(moet_balance(&s, &owner), 1_846_153_846);
    // HF = 2400 / 1846.153846 = 1.30000000013
    assert_close(hf(&s, id).unwrap(), "1.3", "0.000001");
}

#[test]
fn auto_borrow_below_target_borrows_nothing() {
    let mut s = setup();
    let owner = s.addr("alice");
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, false).unwrap();
    s.borrow(&owner, id, &s.moet_denom(), usdc(1400)).unwrap();
    // HF = 1600 / 1400 = 1.142857 < 1.3: a push borrows nothing, the deposit goes through.
    s.fund(&owner, 1_000, ETH);
    let res = deposit_eth(&mut s, &owner, id, 1_000, true).unwrap();
    assert_eq!(attr(&res, "drawn_down").as_deref(), Some("0"));
    assert_eq!(moet_debt(&s, id), usdc(1400));
}

#[test]
fn deposit_with_push_borrows_to_target_for_the_owner_only() {
    let mut s = setup();
    let (owner, other, sink) = (s.addr("alice"), s.addr("mallory"), s.addr("sink"));
    let automation = auto(plain_sink(&sink), None, false);
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, Some(automation), false).unwrap();

    // A non-owner asking for the push: Unauthorized, nothing changes, funds go back.
    s.fund(&other, eth(1), ETH);
    let err = deposit_eth(&mut s, &other, id, eth(1), true).unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
    assert_eq!(s.balance(&other, ETH).u128(), eth(1));
    assert_eq!(collateral_of(&s.position(id), ETH).u128(), eth(1));

    // A non-owner deposit without push is fine (and borrows nothing).
    deposit_eth(&mut s, &other, id, eth(1), false).unwrap();
    assert_eq!(collateral_of(&s.position(id), ETH).u128(), eth(2));
    assert_eq!(moet_debt(&s, id), 0);

    // The owner's deposit with push: C = 3 ETH * 2000 * 0.8 = 4800 -> floor(4800 / 1.3) =
    // 3692.307692 MOET, to the sink.
    s.fund(&owner, eth(1), ETH);
    deposit_eth(&mut s, &owner, id, eth(1), true).unwrap();
    assert_eq!(moet_debt(&s, id), 3_692_307_692);
    assert_eq!(moet_balance(&s, &sink), 3_692_307_692);
    assert_close(hf(&s, id).unwrap(), "1.3", "0.000001");
}

#[test]
fn cw20_deposit_with_push_borrows_to_target() {
    let mut s = setup();
    let owner = s.addr("alice");
    let (token, _) = s.list_cw20("WBTC", 8, &[(&owner, 100_000_000)], "30000");
    let market = s.market.clone();
    // 1 WBTC at 30000: C = 24000 -> floor(24000 / 1.3) = 18461.538461 MOET.
    let res = s
        .cw20_send(
            &owner,
            &token,
            &market,
            100_000_000,
            &ReceiveMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: true,
            },
        )
        .unwrap();
    let id = position_id_of(&res).unwrap();
    assert_eq!(moet_debt(&s, id), 18_461_538_461);
    assert_eq!(moet_balance(&s, &owner), 18_461_538_461);
}

#[test]
fn auto_borrow_never_goes_below_the_conservative_floor() {
    let mut s = setup();
    let owner = s.addr("alice");
    // A borrow health floor of 1.5 above the target 1.3 caps the borrow:
    // at_target = floor(1600 / 1.3) = 1230.769230, at_floor = floor(1600 / 1.5) = 1066.666666.
    s.update_config(ConfigUpdate {
        borrow_health_floor: Some(dec("1.5")),
        ..Default::default()
    });
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, true).unwrap();
    assert_eq!(moet_debt(&s, id), 1_066_666_666);
    assert_close(hf(&s, id).unwrap(), "1.5", "0.000001");
}

#[test]
fn auto_borrow_values_collateral_at_the_twap_for_the_floor() {
    let mut s = setup();
    let owner = s.addr("alice");
    // ETH held at 2000 for 1200 s (fresh pushes), then jumps to 3000 (confirmed by both
    // feeders). TWAP over the last 1800 s covers 1200 s >= 900 s, all of it at 2000: 2000.
    s.advance(250);
    s.set_price(ETH, "2000");
    s.advance(250);
    s.set_price(ETH, "2000");
    s.advance(250);
    s.set_price(ETH, "2000");
    s.advance(250);
    s.set_price(ETH, "2000");
    s.advance(200);
    s.set_price(ETH, "3000");
    // Spot: C = 2400 -> at_target = floor(2400 / 1.3) = 1846.153846.
    // Conservative: C = 1600 at floor 1.0 -> at_floor = 1600. The borrow is 1600 MOET,
    // leaving HF 2400 / 1600 = 1.5 at spot.
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, true).unwrap();
    assert_eq!(moet_debt(&s, id), 1_600_000_000);
    assert_eq!(hf(&s, id), Some(d256("1.5")));
}

#[test]
fn sink_with_msg_receives_moet_through_cw20_send() {
    let mut s = setup();
    let owner = s.addr("alice");
    let code = s.app.store_code(sink_contract());
    let sink = s
        .app
        .instantiate_contract(code, owner.clone(), &Empty {}, &[], "sink", None)
        .unwrap();
    let hook: Binary = to_json_binary(&serde_json::json!({"stake": {"pool": 7}})).unwrap();
    let automation = auto(
        Some(DrawDownSink {
            address: sink.to_string(),
            msg: Some(hook.clone()),
        }),
        None,
        false,
    );
    let supply = moet_supply(&s);
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, Some(automation), true).unwrap();
    let received: Vec<Received> = s.query(&sink, &SinkQueryMsg::Received {}).unwrap();
    assert_eq!(
        received,
        vec![Received {
            token: s.moet.clone(),
            sender: s.market.to_string(),
            amount: Uint128::new(1_230_769_230),
            msg: hook.clone(),
        }]
    );
    assert_eq!(moet_balance(&s, &sink), 1_230_769_230);
    assert_eq!(moet_balance(&s, &s.market.clone()), 0);
    assert_eq!(moet_supply(&s), supply + Uint128::new(1_230_769_230));
    assert_eq!(moet_debt(&s, id), 1_230_769_230);

    // A rebalance draw-down goes the same way: ETH 2000 -> 2400, C = 1920,
    // x = floor(1920 / 1.3 - 1230.769230) = 246.153846.
    s.set_price(ETH, "2400");
    rebalance(&mut s, id).unwrap();
    let received: Vec<Received> = s.query(&sink, &SinkQueryMsg::Received {}).unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].amount, Uint128::new(246_153_846));
    assert_eq!(received[1].msg, hook);
    assert_eq!(received[1].sender, s.market.to_string());
}

// ---------------------------------------------------------------------------------------------
// validation and set_automation

#[test]
fn invalid_health_bounds_are_rejected() {
    let mut s = setup();
    let owner = s.addr("alice");
    for (min, target, max) in [
        ("1", "1.3", "1.5"),
        ("0.9", "1.3", "1.5"),
        ("1.3", "1.3", "1.5"),
        ("1.4", "1.3", "1.5"),
        ("1.1", "1.5", "1.5"),
        ("1.1", "1.6", "1.5"),
    ] {
        let automation = Automation {
            health: Some(bounds(min, target, max)),
            ..auto(None, None, false)
        };
        let err =
            open_auto(&mut s, &owner, eth(1), ETH, Some(automation.clone()), true).unwrap_err();
        assert!(
            err_text(err).contains("invalid automation"),
            "{min}/{target}/{max}"
        );
        // set_automation checks the same.
        let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, false).unwrap();
        let err = s
            .exec_market(
                &owner,
                &ExecuteMsg::SetAutomation {
                    position_id: id,
                    automation: Some(automation),
                },
                &[],
            )
            .unwrap_err();
        assert!(err_text(err).contains("invalid automation"));
        assert_eq!(s.position(id).automation, None);
    }
}

#[test]
fn bad_sink_or_source_addresses_are_rejected() {
    let mut s = setup();
    let owner = s.addr("alice");
    let bad_sink = auto(
        Some(DrawDownSink {
            address: "not-an-address".to_string(),
            msg: None,
        }),
        None,
        false,
    );
    assert!(open_auto(&mut s, &owner, eth(1), ETH, Some(bad_sink), false).is_err());
    let bad_source = Automation {
        top_up_source: Some("Not An Address".to_string()),
        ..auto(None, None, false)
    };
    assert!(open_auto(&mut s, &owner, eth(1), ETH, Some(bad_source.clone()), false).is_err());
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, false).unwrap();
    assert!(s
        .exec_market(
            &owner,
            &ExecuteMsg::SetAutomation {
                position_id: id,
                automation: Some(bad_source),
            },
            &[],
        )
        .is_err());
}

#[test]
fn set_automation_is_owner_only_and_null_clears_it() {
    let mut s = setup();
    let (owner, other, sink) = (s.addr("alice"), s.addr("mallory"), s.addr("sink"));
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, false).unwrap();
    let automation = auto(plain_sink(&sink), Some(&owner), true);
    let err = s
        .exec_market(
            &other,
            &ExecuteMsg::SetAutomation {
                position_id: id,
                automation: Some(automation.clone()),
            },
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
    assert_eq!(s.position(id).automation, None);

    s.exec_market(
        &owner,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(automation.clone()),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.position(id).automation, Some(automation));

    // Non-owner cannot clear it either; the owner can.
    assert!(s
        .exec_market(
            &other,
            &ExecuteMsg::SetAutomation {
                position_id: id,
                automation: None,
            },
            &[],
        )
        .is_err());
    s.exec_market(
        &owner,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.position(id).automation, None);
    // Without automation a rebalance is a no-op even far above max (HF infinite).
    let supply = moet_supply(&s);
    rebalance(&mut s, id).unwrap();
    assert_eq!(moet_supply(&s), supply);
    assert_eq!(moet_debt(&s, id), 0);
}

#[test]
fn set_automation_json_matches_the_spec() {
    let mut s = setup();
    let (owner, sink) = (s.addr("alice"), s.addr("sink"));
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, false).unwrap();
    let msg = serde_json::json!({"set_automation": {"position_id": id, "automation": {
        "draw_down_sink": {"address": sink.to_string(), "msg": null},
        "top_up_source": null,
        "health": {"min": "1.1", "target": "1.3", "max": "1.5"},
        "self_repay": false}}});
    let market = s.market.clone();
    s.app
        .execute_contract(owner.clone(), market, &msg, &[])
        .unwrap();
    let p: serde_json::Value = s
        .query(
            &s.market,
            &serde_json::json!({"position": {"position_id": id}}),
        )
        .unwrap();
    assert_eq!(
        p["automation"],
        serde_json::json!({
            "draw_down_sink": {"address": sink.to_string(), "msg": null},
            "top_up_source": null,
            "health": {"min": "1.1", "target": "1.3", "max": "1.5"},
            "self_repay": false})
    );
}

// ---------------------------------------------------------------------------------------------
// rebalance

#[test]
fn rebalance_above_max_borrows_back_to_target_and_pushes_to_the_sink() {
    let mut s = setup();
    let (id, sink, _) = open_balanced(&mut s);
    // ETH 2000 -> 2400: C = 1920, HF = 1920 / 1230.769230 = 1.56 > 1.5.
    s.set_price(ETH, "2400");
    let supply = moet_supply(&s);
    let res = rebalance(&mut s, id).unwrap();
    // x = floor(1920 / 1.3 - 1230.769230) = floor(1476.923076923.. - 1230.769230) = 246.153846
    assert_eq!(moet_debt(&s, id), OPEN_DEBT + 246_153_846);
    assert_eq!(moet_balance(&s, &sink), OPEN_DEBT + 246_153_846);
    assert_eq!(moet_supply(&s), supply + Uint128::new(246_153_846));
    // HF = 1920 / 1476.923076 = 1.3000000008
    assert_close(hf(&s, id).unwrap(), "1.3", "0.000001");
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("draw_down"));
    assert_eq!(attr(&res, "drawn_down").as_deref(), Some("246153846"));
    assert_eq!(
        attr(&res, "health_before")
            .unwrap()
            .parse::<Decimal256>()
            .unwrap(),
        // 1920 / 1230.769230 = 1.560000000975000000609375.. rounded down
        d256("1.560000000975000000")
    );
    let after = attr(&res, "health_after")
        .unwrap()
        .parse::<Decimal256>()
        .unwrap();
    assert_eq!(Some(after), hf(&s, id));
}

#[test]
fn rebalance_inside_the_band_does_nothing() {
    let mut s = setup();
    let (id, sink, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(1000));
    for price in ["2200", "1800", "2000"] {
        // 2200: HF = 1760 / 1230.769230 = 1.43; 1800: 1440 / 1230.769230 = 1.17.
        s.set_price(ETH, price);
        let supply = moet_supply(&s);
        let before = s.position(id);
        let res = rebalance(&mut s, id).unwrap();
        assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
        assert_eq!(s.position(id), before);
        assert_eq!(moet_supply(&s), supply);
        assert_eq!(moet_balance(&s, &sink), OPEN_DEBT);
        assert_eq!(moet_balance(&s, &source), usdc(1000));
    }
}

#[test]
fn rebalance_below_min_pulls_from_the_source_and_burns_it() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(1000));
    // ETH 2000 -> 1650: C = 1320, HF = 1320 / 1230.769230 = 1.0725 < 1.1 (LHF 1.1395).
    s.set_price(ETH, "1650");
    let supply = moet_supply(&s);
    let res = rebalance(&mut s, id).unwrap();
    // pull = ceil(1230.769230 - 1320 / 1.3) = ceil(1230.769230 - 1015.384615384..) = 215.384615
    let pull = 215_384_615;
    assert_eq!(moet_balance(&s, &source), usdc(1000) - pull);
    assert_eq!(allowance(&s, &source), usdc(1000) - pull);
    assert_eq!(moet_supply(&s), supply - Uint128::new(pull));
    assert_eq!(moet_debt(&s, id), OPEN_DEBT - pull);
    assert_eq!(moet_balance(&s, &s.market.clone()), 0);
    // HF = 1320 / 1015.384615 = 1.3000000004 >= 1.3
    let h = hf(&s, id).unwrap();
    assert!(h >= d256("1.3"));
    assert_close(h, "1.3", "0.000001");
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("top_up"));
    assert_eq!(attr(&res, "topped_up").as_deref(), Some("215384615"));
    assert_eq!(attr(&res, "source"), Some(source.to_string()));
}

#[test]
fn top_up_pulls_at_most_the_allowance() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(100));
    s.set_price(ETH, "1650");
    rebalance(&mut s, id).unwrap();
    // Needed 215.384615 but only 100 allowed: D = 1130.769230, HF = 1320 / 1130.769230 =
    // 1.1673 (LHF 1.2403: not liquidatable, so partial help is taken).
    assert_eq!(moet_debt(&s, id), OPEN_DEBT - usdc(100));
    assert_eq!(moet_balance(&s, &source), usdc(900));
    assert_eq!(allowance(&s, &source), 0);
    assert_close(hf(&s, id).unwrap(), "1.167346939", "0.000001");
}

#[test]
fn top_up_pulls_at_most_the_balance() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(50));
    allow(&mut s, &source, usdc(1000));
    s.set_price(ETH, "1650");
    rebalance(&mut s, id).unwrap();
    // Only 50 held: D = 1180.769230, HF = 1320 / 1180.769230 = 1.1179.
    assert_eq!(moet_debt(&s, id), OPEN_DEBT - usdc(50));
    assert_eq!(moet_balance(&s, &source), 0);
    assert_eq!(allowance(&s, &source), usdc(950));
    assert_close(hf(&s, id).unwrap(), "1.117915309", "0.000001");
}

#[test]
fn top_up_that_leaves_the_position_liquidatable_fails_and_pulls_nothing() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(10));
    // ETH 1400: C = 1120, L = 1190, D = 1230.769230: LHF = 0.9669 < 1. Reaching LHF 1 needs
    // at least 40.769230 MOET; the source allows 10 -> LHF 1190 / 1220.769230 = 0.9748.
    s.set_price(ETH, "1400");
    let supply = moet_supply(&s);
    let before = s.position(id);
    let err = rebalance(&mut s, id).unwrap_err();
    assert!(
        err_text(err).contains("cannot give enough"),
        "clear error naming the source"
    );
    assert_eq!(s.position(id), before);
    assert_eq!(moet_supply(&s), supply);
    assert_eq!(moet_balance(&s, &source), usdc(1000));
    assert_eq!(allowance(&s, &source), usdc(10));

    // A source that has not consented: a no-op for the top-up direction (SPEC 3.5).
    let (owner, empty) = (s.addr("alice"), s.addr("empty"));
    s.exec_market(
        &owner,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(auto(None, Some(&empty), false)),
        },
        &[],
    )
    .unwrap();
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "reason").as_deref(), Some("no top-up consent"));
    // One that consented but gives nothing at all to a liquidatable position: the same error.
    consent(&mut s, &empty, id, usdc(1000));
    assert!(err_text(rebalance(&mut s, id).unwrap_err()).contains("cannot give enough"));
}

#[test]
fn top_up_rescues_a_liquidatable_position_when_the_source_can() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(1000));
    s.set_price(ETH, "1400");
    assert_eq!(
        s.position(id).health.unwrap().band,
        keel_types::Band::Liquidatable
    );
    rebalance(&mut s, id).unwrap();
    // pull = ceil(1230.769230 - 1120 / 1.3) = ceil(1230.769230 - 861.538461538..) = 369.230769
    assert_eq!(moet_debt(&s, id), OPEN_DEBT - 369_230_769);
    assert_eq!(moet_balance(&s, &source), usdc(1000) - 369_230_769);
    // HF = 1120 / 861.538461 = 1.3000000006
    assert_close(hf(&s, id).unwrap(), "1.3", "0.000001");
    assert_eq!(
        s.position(id).health.unwrap().band,
        keel_types::Band::Healthy
    );
}

#[test]
fn partial_top_up_that_lifts_a_position_out_of_liquidation_is_taken() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(50));
    allow(&mut s, &source, usdc(1000));
    s.set_price(ETH, "1400");
    rebalance(&mut s, id).unwrap();
    // 50 MOET: D = 1180.769230, LHF = 1190 / 1180.769230 = 1.0078 >= 1 (HF 0.9485, still at
    // risk but no longer liquidatable).
    assert_eq!(moet_debt(&s, id), OPEN_DEBT - usdc(50));
    assert_eq!(
        s.position(id).health.unwrap().band,
        keel_types::Band::AtRisk
    );
}

#[test]
fn top_up_ignores_an_expired_allowance() {
    let mut s = setup();
    let (id, _, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(1000));
    let (market, moet) = (s.market.clone(), s.moet.clone());
    let height = s.app.block_info().height;
    s.exec(
        &source,
        &moet,
        &Cw20ExecuteMsg::IncreaseAllowance {
            spender: market.to_string(),
            amount: Uint128::new(usdc(1000)),
            expires: Some(cw_utils_expiration(height + 1)),
        },
        &[],
    )
    .unwrap();
    s.advance(10);
    s.set_price(ETH, "1650");
    // The allowance has expired: the source gives nothing; HF 1.07 is not liquidatable, so it
    // is a no-op success rather than a failing transfer_from.
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(moet_debt(&s, id), OPEN_DEBT);
    assert_eq!(moet_balance(&s, &source), usdc(1000));
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
}

fn cw_utils_expiration(height: u64) -> cw20::Expiration {
    cw20::Expiration::AtHeight(height)
}

#[test]
fn rebalance_without_sink_or_source_for_the_direction_is_a_noop() {
    let mut s = setup();
    let owner = s.addr("alice");
    let (sink, source) = (s.addr("sink"), s.addr("source"));
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(1000));
    // Only a source: above max nothing is borrowed.
    let (a, _) = open_auto(
        &mut s,
        &owner,
        eth(1),
        ETH,
        Some(auto(None, Some(&source), false)),
        true,
    )
    .unwrap();
    consent(&mut s, &source, a, usdc(1000));
    // Only a sink: below min nothing is pulled.
    let (b, _) = open_auto(
        &mut s,
        &owner,
        eth(1),
        ETH,
        Some(auto(plain_sink(&sink), None, false)),
        true,
    )
    .unwrap();
    s.set_price(ETH, "2400");
    let res = rebalance(&mut s, a).unwrap();
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
    assert_eq!(moet_debt(&s, a), OPEN_DEBT);
    s.set_price(ETH, "1650");
    let res = rebalance(&mut s, b).unwrap();
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
    assert_eq!(moet_debt(&s, b), OPEN_DEBT);
    assert_eq!(moet_balance(&s, &source), usdc(1000));
    // Below min without source even when liquidatable: a no-op, not an error.
    s.set_price(ETH, "1400");
    rebalance(&mut s, b).unwrap();
    assert_eq!(moet_debt(&s, b), OPEN_DEBT);
}

#[test]
fn rebalance_with_no_debt_borrows_to_target_when_a_sink_is_set() {
    let mut s = setup();
    let (owner, sink) = (s.addr("alice"), s.addr("sink"));
    // No debt: HF is infinite, above any max.
    let (id, _) = open_auto(
        &mut s,
        &owner,
        eth(1),
        ETH,
        Some(auto(plain_sink(&sink), None, false)),
        false,
    )
    .unwrap();
    assert_eq!(hf(&s, id), None);
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "health_before").as_deref(), Some("infinite"));
    assert_eq!(moet_debt(&s, id), OPEN_DEBT);
    assert_eq!(moet_balance(&s, &sink), OPEN_DEBT);
    // An empty position (nothing to borrow against) is a no-op.
    let (id2, _) = open_auto(
        &mut s,
        &owner,
        eth(1),
        ETH,
        Some(auto(plain_sink(&sink), None, false)),
        false,
    )
    .unwrap();
    s.exec_market(
        &owner,
        &ExecuteMsg::Withdraw {
            position_id: id2,
            denom: ETH.to_string(),
            amount: None,
            recipient: None,
        },
        &[],
    )
    .unwrap();
    let res = rebalance(&mut s, id2).unwrap();
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
    assert_eq!(moet_debt(&s, id2), 0);
}

#[test]
fn rebalance_of_an_unknown_position_fails() {
    let mut s = setup();
    assert!(err_text(rebalance(&mut s, 42).unwrap_err()).contains("not found"));
}

#[test]
fn rebalance_follows_a_price_path_through_the_band() {
    let mut s = setup();
    let (id, sink, source) = open_balanced(&mut s);
    give_moet(&mut s, &source, usdc(10_000));
    allow(&mut s, &source, usdc(10_000));
    // price -> (HF before, action, debt after, HF after), C = 0.8 * price.
    let steps: [(&str, &str, i128, u128, &str); 9] = [
        // 1920 / 1230.769230 = 1.56 > 1.5: push floor(1920/1.3 - 1230.769230) = 246.153846
        ("2400", "draw_down", 246_153_846, 1_476_923_076, "1.3"),
        // 2080 / 1476.923076 = 1.4083: inside
        ("2600", "none", 0, 1_476_923_076, "1.408333334"),
        // 2320 / 1476.923076 = 1.5708: push floor(2320/1.3 - 1476.923076) = 307.692308
        ("2900", "draw_down", 307_692_308, 1_784_615_384, "1.3"),
        // 2000 / 1784.615384 = 1.1207: inside
        ("2500", "none", 0, 1_784_615_384, "1.120689656"),
        // 1720 / 1784.615384 = 0.9638 < 1.1 (LHF 1.024): pull ceil(1784.615384 - 1720/1.3)
        // = ceil(1784.615384 - 1323.076923076..) = 461.538461
        ("2150", "top_up", -461_538_461, 1_323_076_923, "1.3"),
        // 1520 / 1323.076923 = 1.1488: inside
        ("1900", "none", 0, 1_323_076_923, "1.148837209"),
        // 1360 / 1323.076923 = 1.0279: pull ceil(1323.076923 - 1046.153846153..) = 276.923077
        ("1700", "top_up", -276_923_077, 1_046_153_846, "1.3"),
        // 1840 / 1046.153846 = 1.7588: push floor(1415.384615384.. - 1046.153846) = 369.230769
        ("2300", "draw_down", 369_230_769, 1_415_384_615, "1.3"),
        // 2080 / 1415.384615 = 1.4696: inside
        ("2600", "none", 0, 1_415_384_615, "1.469565218"),
    ];
    let mut pushed = OPEN_DEBT;
    let mut pulled = 0u128;
    for (price, action, delta, debt, hf_after) in steps {
        s.set_price(ETH, price);
        let res = rebalance(&mut s, id).unwrap();
        assert_eq!(
            attr(&res, "rebalanced").as_deref(),
            Some(action),
            "at {price}"
        );
        assert_eq!(moet_debt(&s, id), debt, "at {price}");
        assert_close(hf(&s, id).unwrap(), hf_after, "0.000001");
        if delta > 0 {
            pushed += delta as u128;
        } else {
            pulled += (-delta) as u128;
        }
        assert_eq!(moet_balance(&s, &sink), pushed);
        assert_eq!(moet_balance(&s, &source), usdc(10_000) - pulled);
    }
}

// ---------------------------------------------------------------------------------------------
// self-repaying debt

/// Alice: 10,000 USDC collateral, 5,000 MOET debt (`debt` MOET), automation with `self_repay`.
/// Bob: 10 ETH, borrows 8,000 USDC: utilization 0.8, rate 15%.
fn lender_yield_setup(self_repay: bool, debt: u128) -> (Suite, Addr, u64) {
    let mut s = setup();
    let alice = s.addr("alice");
    let automation = Automation {
        health: None,
        ..auto(None, None, self_repay)
    };
    let (id, _) = open_auto(&mut s, &alice, usdc(10_000), USDC, Some(automation), false).unwrap();
    s.borrow(&alice, id, &s.moet_denom(), usdc(debt)).unwrap();
    let bob = s.addr("bob");
    let (bid, _) = open_auto(&mut s, &bob, eth(10), ETH, None, false).unwrap();
    s.borrow(&bob, bid, USDC, usdc(8_000)).unwrap();
    (s, alice, id)
}

fn a_year_later(s: &mut Suite) {
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
}

fn touch_by_deposit(s: &mut Suite, who: &Addr, id: u64, amount: u128) -> AppResponse {
    s.fund(who, amount, USDC);
    s.exec_market(
        who,
        &ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        &coins(amount, USDC),
    )
    .unwrap()
}

// One year at U = 0.8, r = 0.15: g = e^0.15 = 1.161834242728283;
// borrow interest = 8000 * (g - 1) = 1294.673941826; reserves += 0.2 * that = 258.934788365;
// lenders (Alice alone) get 0.8 * that = 1035.739153461, supply index 1.1035739153461.
const YEAR1_INTEREST: u128 = 1_035_739_153;
const YEAR1_RESERVES: u128 = 258_934_788;

#[test]
fn self_repay_writes_off_moet_debt_with_the_collateral_interest() {
    let (mut s, _, id) = lender_yield_setup(true, 5_000);
    a_year_later(&mut s);
    // Before a touch the query already shows the position as of now (SPEC 3.8): the year's
    // interest taken from the collateral and written off the MOET debt, as the next touch will.
    let p = s.position(id);
    assert_within(collateral_of(&p, USDC).u128(), usdc(10_000), 1);
    let shown_debt = debt_of(&p, &s.moet_denom()).u128();
    assert_within(usdc(5_000) - shown_debt, YEAR1_INTEREST, 1);
    let reserves_before = s.asset(USDC).reserves.u128();
    assert_within(reserves_before, YEAR1_RESERVES, 1);

    let res = rebalance(&mut s, id).unwrap();
    // Written off: the interest's value at price 1, 1035.739153 MOET.
    let written: u128 = attr(&res, "self_repaid").unwrap().parse().unwrap();
    assert_within(written, YEAR1_INTEREST, 1);
    let p = s.position(id);
    assert_eq!(debt_of(&p, &s.moet_denom()).u128(), usdc(5_000) - written);
    // The query before the touch showed exactly what the touch did.
    assert_eq!(debt_of(&p, &s.moet_denom()).u128(), shown_debt);
    // The collateral is back to what it was at the last touch (to a base unit).
    assert_within(collateral_of(&p, USDC).u128(), usdc(10_000), 1);
    // The asset's reserves grew by that interest.
    assert_within(
        s.asset(USDC).reserves.u128(),
        reserves_before + YEAR1_INTEREST,
        1,
    );
    // Lenders' total supply is Alice's 10,000 again.
    assert_within(s.asset(USDC).total_supply.u128(), usdc(10_000), 1);

    // A second year: the debt keeps declining by what the collateral earns.
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let debt_before = usdc(5_000) - written;
    let shown_debt = moet_debt(&s, id);
    let alice = s.addr("alice");
    let res = touch_by_deposit(&mut s, &alice, id, 1);
    let written: u128 = attr(&res, "self_repaid").unwrap().parse().unwrap();
    assert_eq!(shown_debt, debt_before - written);
    assert!(written > usdc(1_000));
    assert_eq!(moet_debt(&s, id), debt_before - written);
    assert_within(
        collateral_of(&s.position(id), USDC).u128(),
        usdc(10_000) + 1,
        1,
    );
}

#[test]
fn without_self_repay_nothing_is_written_off() {
    let (mut s, _, id) = lender_yield_setup(false, 5_000);
    a_year_later(&mut s);
    let reserves_before = s.asset(USDC).reserves.u128();
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "self_repaid"), None);
    let p = s.position(id);
    assert_eq!(debt_of(&p, &s.moet_denom()).u128(), usdc(5_000));
    assert_within(
        collateral_of(&p, USDC).u128(),
        usdc(10_000) + YEAR1_INTEREST,
        1,
    );
    assert_eq!(s.asset(USDC).reserves.u128(), reserves_before);
}

#[test]
fn self_repay_never_writes_off_more_than_the_debt() {
    // 500 MOET of debt against 1035.739153 of interest.
    let (mut s, _, id) = lender_yield_setup(true, 500);
    a_year_later(&mut s);
    let reserves_before = s.asset(USDC).reserves.u128();
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "self_repaid").as_deref(), Some("500000000"));
    let p = s.position(id);
    assert!(p.debt.is_empty());
    // 500 MOET of interest (taken rounded up) goes to reserves; the rest stays:
    // 11035.739153 - 500 = 10535.739153.
    assert_within(
        collateral_of(&p, USDC).u128(),
        usdc(10_000) + YEAR1_INTEREST - usdc(500),
        1,
    );
    assert_within(
        s.asset(USDC).reserves.u128(),
        reserves_before + usdc(500),
        1,
    );
    // With no MOET debt the interest stays with the position from now on.
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let held = collateral_of(&s.position(id), USDC).u128();
    let alice = s.addr("alice");
    let res = touch_by_deposit(&mut s, &alice, id, 1);
    assert_eq!(attr(&res, "self_repaid"), None);
    assert_eq!(collateral_of(&s.position(id), USDC).u128(), held + 1);
}

#[test]
fn self_repay_with_price_unavailable_never_blocks_and_takes_the_interest_later() {
    let (mut s, alice, id) = lender_yield_setup(true, 5_000);
    // A year later, no fresh prices at all: USDC's price is stale.
    s.advance(YEAR);
    // Repay (never blocked) and a deposit of 1000 USDC both go through; nothing written off.
    let market = s.market.clone();
    let moet = s.moet.clone();
    let res = s
        .cw20_send(
            &alice,
            &moet,
            &market,
            usdc(100),
            &ReceiveMsg::Repay { position_id: id },
        )
        .unwrap();
    assert_eq!(
        attr(&res, "self_repay").as_deref(),
        Some("skipped: price unavailable")
    );
    assert_eq!(moet_debt(&s, id), usdc(4_900));
    touch_by_deposit(&mut s, &alice, id, usdc(1_000));
    assert_eq!(moet_debt(&s, id), usdc(4_900));
    // Prices back: the next touch takes the year's interest on the first 10,000 only, not on
    // the 1,000 deposited since.
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let res = rebalance(&mut s, id).unwrap();
    let written: u128 = attr(&res, "self_repaid").unwrap().parse().unwrap();
    assert_within(written, YEAR1_INTEREST, 1);
    assert_eq!(moet_debt(&s, id), usdc(4_900) - written);
    assert_within(collateral_of(&s.position(id), USDC).u128(), usdc(11_000), 2);
}

#[test]
fn set_automation_with_price_unavailable_keeps_the_pending_interest() {
    let (mut s, alice, id) = lender_yield_setup(true, 5_000);
    s.advance(YEAR);
    // Changing the bounds (self-repay stays on) while USDC has no price.
    let automation = Automation {
        health: Some(bounds("1.2", "1.4", "1.6")),
        ..auto(None, None, true)
    };
    s.exec_market(
        &alice,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(automation),
        },
        &[],
    )
    .unwrap();
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let res = rebalance(&mut s, id).unwrap();
    let written: u128 = attr(&res, "self_repaid").unwrap().parse().unwrap();
    assert_within(written, YEAR1_INTEREST, 1);
}

#[test]
fn turning_self_repay_on_later_takes_only_interest_earned_since() {
    let (mut s, alice, id) = lender_yield_setup(false, 5_000);
    a_year_later(&mut s);
    // Turned on after a year: the first year's interest stays with the position.
    s.exec_market(
        &alice,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(auto(None, None, true)),
        },
        &[],
    )
    .unwrap();
    let held = collateral_of(&s.position(id), USDC).u128();
    assert_within(held, usdc(10_000) + YEAR1_INTEREST, 1);
    assert_eq!(moet_debt(&s, id), usdc(5_000));
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "self_repaid"), None);
    assert_eq!(collateral_of(&s.position(id), USDC).u128(), held);
}

#[test]
fn auto_borrow_at_the_floor_with_accrued_moet_interest_does_not_fail() {
    let mut s = setup();
    let (admin, owner) = (s.owner.clone(), s.addr("alice"));
    let moet = s.moet_denom();
    s.exec_market(
        &admin,
        &ExecuteMsg::UpdateAsset {
            denom: moet.clone(),
            params: moet_params("0.05"),
        },
        &[],
    )
    .unwrap();
    s.update_config(ConfigUpdate {
        borrow_health_floor: Some(dec("1.5")),
        ..Default::default()
    });
    let (id, _) = open_auto(&mut s, &owner, eth(1), ETH, None, false).unwrap();
    s.borrow(&owner, id, &moet, usdc(500)).unwrap();
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    // Debt 500 * e^0.05 = 525.635548 (rounded up); MOET's borrow index is no longer 1.
    assert_eq!(moet_debt(&s, id), 525_635_549);
    // The floor 1.5 binds (above the target 1.3): at most 1600 / 1.5 - 525.635549 =
    // 541.031117 MOET, less the 2 units that scaled rounding may add.
    s.fund(&owner, 1, ETH);
    deposit_eth(&mut s, &owner, id, 1, true).unwrap();
    let debt = moet_debt(&s, id);
    assert_within(debt, 1_066_666_666, 3);
    assert!(hf(&s, id).unwrap() >= d256("1.5"));
}

/// A message that touches position 1.
type TouchFn = Box<dyn Fn(&mut Suite) -> AppResponse>;

#[test]
fn every_touch_self_repays() {
    let (mut s, alice, id) = lender_yield_setup(true, 5_000);
    let market = s.market.clone();
    let moet_token = s.moet.clone();
    let touches: Vec<(&str, TouchFn)> = vec![
        (
            "withdraw",
            Box::new(|s: &mut Suite| {
                let alice = s.addr("alice");
                s.exec_market(
                    &alice,
                    &ExecuteMsg::Withdraw {
                        position_id: 1,
                        denom: USDC.to_string(),
                        amount: Some(Uint128::new(1)),
                        recipient: None,
                    },
                    &[],
                )
                .unwrap()
            }),
        ),
        (
            "borrow",
            Box::new(move |s: &mut Suite| {
                let alice = s.addr("alice");
                let moet = s.moet_denom();
                s.borrow(&alice, 1, &moet, 1).unwrap()
            }),
        ),
        (
            "repay",
            Box::new(move |s: &mut Suite| {
                let alice = s.addr("alice");
                s.cw20_send(
                    &alice,
                    &moet_token,
                    &market,
                    1,
                    &ReceiveMsg::Repay { position_id: 1 },
                )
                .unwrap()
            }),
        ),
        (
            "set_automation",
            Box::new(|s: &mut Suite| {
                let alice = s.addr("alice");
                s.exec_market(
                    &alice,
                    &ExecuteMsg::SetAutomation {
                        position_id: 1,
                        automation: Some(Automation {
                            health: None,
                            ..auto(None, None, true)
                        }),
                    },
                    &[],
                )
                .unwrap()
            }),
        ),
    ];
    assert_eq!(id, 1);
    for (name, touch) in touches {
        s.advance(30 * 86_400);
        s.set_price(ETH, "2000");
        s.set_price(USDC, "1");
        // The query shows the position as of now: the pending write-off already applied.
        let shown_debt = moet_debt(&s, id);
        let res = touch(&mut s);
        let written: u128 = attr(&res, "self_repaid")
            .unwrap_or_else(|| panic!("{name} self-repays"))
            .parse()
            .unwrap();
        assert!(written > 0, "{name}");
        let debt_before = shown_debt + written;
        let debt_after = moet_debt(&s, id);
        // borrow adds 1 unit, repay removes 1 unit.
        let adjust: i128 = match name {
            "borrow" => 1,
            "repay" => -1,
            _ => 0,
        };
        assert_eq!(
            debt_after as i128,
            debt_before as i128 - written as i128 + adjust,
            "{name}"
        );
        // Collateral back to 10,000 (withdraw took 1 unit out of the interest's place).
        let back = collateral_of(&s.position(id), USDC).u128();
        let expect = if name == "withdraw" {
            usdc(10_000) - 1
        } else {
            usdc(10_000)
        };
        assert_within(back, expect, 1);
        if name == "withdraw" {
            // Put the unit back so the later steps compare against 10,000 again.
            touch_by_deposit(&mut s, &alice, id, 1);
        }
    }
}

#[test]
fn rebalance_bounds_are_inclusive() {
    let mut s = setup();
    let (owner, sink, source) = (s.addr("alice"), s.addr("sink"), s.addr("source"));
    give_moet(&mut s, &source, usdc(1000));
    allow(&mut s, &source, usdc(1000));
    let moet = s.moet_denom();
    let open = |s: &mut Suite| {
        let (id, _) = open_auto(s, &owner, eth(1), ETH, None, false).unwrap();
        s.borrow(&owner, id, &moet, usdc(1000)).unwrap();
        s.exec_market(
            &owner,
            &ExecuteMsg::SetAutomation {
                position_id: id,
                automation: Some(auto(plain_sink(&sink), Some(&source), false)),
            },
            &[],
        )
        .unwrap();
        consent(s, &source, id, usdc(1000));
        id
    };
    let (a, b) = (open(&mut s), open(&mut s));
    // ETH 1875: C = 1500, HF = 1500 / 1000 = 1.5 = max exactly: nothing to do.
    s.set_price(ETH, "1875");
    let res = rebalance(&mut s, a).unwrap();
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
    assert_eq!(moet_debt(&s, a), usdc(1000));
    // ETH 1876: C = 1500.8, HF 1.5008 > 1.5: floor(1500.8 / 1.3 - 1000) = 154.461538.
    s.set_price(ETH, "1876");
    rebalance(&mut s, a).unwrap();
    assert_eq!(moet_debt(&s, a), 1_154_461_538);
    // ETH 1375: C = 1100, HF = 1.1 = min exactly: nothing to do.
    s.set_price(ETH, "1375");
    let res = rebalance(&mut s, b).unwrap();
    assert_eq!(attr(&res, "rebalanced").as_deref(), Some("none"));
    assert_eq!(moet_debt(&s, b), usdc(1000));
    // ETH 1374: C = 1099.2, HF 1.0992 < 1.1: ceil(1000 - 1099.2 / 1.3) = ceil(154.4615384..)
    // = 154.461539.
    s.set_price(ETH, "1374");
    rebalance(&mut s, b).unwrap();
    assert_eq!(moet_debt(&s, b), usdc(1000) - 154_461_539);
    assert_eq!(moet_balance(&s, &source), usdc(1000) - 154_461_539);
    assert!(hf(&s, b).unwrap() >= d256("1.3"));
}

#[test]
fn self_repay_then_auto_borrow_in_one_deposit() {
    let (mut s, alice, id) = lender_yield_setup(true, 5_000);
    a_year_later(&mut s);
    s.fund(&alice, usdc(1_000), USDC);
    let res = s
        .exec_market(
            &alice,
            &ExecuteMsg::Deposit {
                position_id: id,
                push_to_draw_down_sink: true,
            },
            &coins(usdc(1_000), USDC),
        )
        .unwrap();
    // First the write-off (1035.739153), then the deposit, then the borrow to the target:
    // C = 0.8 * 11,000 = 8800, debt after = floor(8800 / 1.3) = 6769.230769 (to a unit: the
    // collateral is back to 10,000 to a base unit).
    let written: u128 = attr(&res, "self_repaid").unwrap().parse().unwrap();
    assert_within(written, YEAR1_INTEREST, 1);
    let drawn: u128 = attr(&res, "drawn_down").unwrap().parse().unwrap();
    assert_eq!(moet_debt(&s, id), usdc(5_000) - written + drawn);
    assert_within(moet_debt(&s, id), 6_769_230_769, 1);
    assert_close(hf(&s, id).unwrap(), "1.3", "0.000001");
}
