//! Market core through its JSON messages (SPEC 3.0-3.4, 3.7, 3.8).
use cosmwasm_std::{coin, coins, Decimal256, Uint128};
use keel_tests::*;
use keel_types::market::{
    AssetParams, ConfigResponse, ExecuteMsg, MaxBorrowResponse, PositionResponse, QueryMsg,
    SimulateAction,
};
use keel_types::Band;

const ETH: &str = "ueth"; // 18 decimals
const USDC: &str = "uusdc"; // 6 decimals
const YEAR: u64 = 31_536_000;

fn d256(s: &str) -> Decimal256 {
    s.parse().unwrap()
}

/// A suite with ETH (18 decimals, price 2000) and USDC (6 decimals, price 1) listed.
fn setup() -> Suite {
    let mut s = Suite::new();
    s.list_asset(ETH, pool_params(18)).unwrap();
    s.list_asset(USDC, pool_params(6)).unwrap();
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    s
}

fn eth(n: u128) -> u128 {
    n * 10u128.pow(18)
}

fn usdc(n: u128) -> u128 {
    n * 1_000_000
}

fn open_with(s: &mut Suite, who: &str, amount: u128, denom: &str) -> (cosmwasm_std::Addr, u64) {
    let user = s.addr(who);
    s.fund(&user, amount, denom);
    let id = s.open(&user, &coins(amount, denom)).unwrap();
    (user, id)
}

#[test]
fn open_position_credits_funds_and_returns_the_id_as_data_and_attribute() {
    let mut s = setup();
    let user = s.addr("alice");
    s.fund(&user, eth(1), ETH);
    let res = s
        .exec_market(
            &user,
            &ExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
            &coins(eth(1), ETH),
        )
        .unwrap();
    let id = position_id_of(&res).unwrap();
    assert_eq!(id, 1);
    let data: u64 = cosmwasm_std::from_json(res.data.unwrap()).unwrap();
    assert_eq!(data, 1);
    let p = s.position(1);
    assert_eq!(p.owner, user);
    assert_eq!(collateral_of(&p, ETH), Uint128::new(eth(1)));
    assert_eq!(p.collateral[0].value, Some(d256("2000")));
    let h = p.health.unwrap();
    assert_eq!(h.effective_collateral, d256("1600"));
    assert_eq!(h.liquidation_limit, d256("1700"));
    assert_eq!(h.health_factor, None);
    assert_eq!(h.band, Band::Overcollateralized);
    assert_eq!(s.balance(&s.market.clone(), ETH), Uint128::new(eth(1)));
}

#[test]
fn borrowing_moet_mints_it_and_sets_health_factors() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    s.borrow(&user, id, &moet, usdc(1000)).unwrap();
    assert_eq!(s.balance(&user, &moet), Uint128::new(usdc(1000)));
    let p = s.position(id);
    assert_eq!(debt_of(&p, &moet), Uint128::new(usdc(1000)));
    let h = p.health.unwrap();
    assert_eq!(h.health_factor, Some(d256("1.6")));
    assert_eq!(h.liquidation_health_factor, Some(d256("1.7")));
    assert_eq!(h.borrow_limit_used, Some(d256("0.625")));
    assert_eq!(h.band, Band::Overcollateralized);
}

#[test]
fn debt_compounds_continuously_one_year_at_five_percent() {
    let mut s = Suite::new();
    let moet = s.moet_denom();
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: moet.clone(),
            params: moet_params("0.05"),
        },
        &[],
    )
    .unwrap();
    s.list_asset(ETH, pool_params(18)).unwrap();
    s.set_price(ETH, "2000");
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    s.borrow(&user, id, &moet, usdc(1000)).unwrap();
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    let p = s.position(id);
    // 1000 * e^0.05 = 1051.271096376..., debt rounds up.
    assert_eq!(debt_of(&p, &moet), Uint128::new(1_051_271_097));
    let a = s.asset(&moet);
    assert_eq!(a.borrow_rate, dec("0.05"));
    // MOET has no lenders: all interest is reserves.
    assert_eq!(a.reserves, Uint128::new(51_271_096));
}

#[test]
fn utilization_picks_the_rate_on_the_curve_and_interest_splits_by_reserve_factor() {
    let mut s = setup();
    let (_lender, _) = open_with(&mut s, "lender", usdc(1000), USDC);
    let (borrower, id) = open_with(&mut s, "borrower", eth(1), ETH);
    s.borrow(&borrower, id, USDC, usdc(900)).unwrap();
    let a = s.asset(USDC);
    assert_eq!(a.utilization, dec("0.9"));
    // 0.15 + (0.9 - 0.8) / 0.2 * (1.5 - 0.15) = 0.825
    assert_eq!(a.borrow_rate, dec("0.825"));
    assert_eq!(a.total_supply, Uint128::new(usdc(1000)));
    assert_eq!(a.total_debt, Uint128::new(usdc(900)));

    s.advance(YEAR / 12);
    s.set_price(ETH, "2000");
    let after = s.asset(USDC);
    let interest = after.total_debt.u128() - usdc(900);
    // Reserves get 20% of the interest, lenders 80% (each to one base unit of rounding).
    let reserves = after.reserves.u128();
    let lenders = after.total_supply.u128() - usdc(1000);
    assert!(interest > 0);
    assert!(
        reserves.abs_diff(interest / 5) <= 1,
        "{reserves} vs {interest}"
    );
    assert!(
        lenders.abs_diff(interest * 4 / 5) <= 1,
        "{lenders} vs {interest}"
    );
}

#[test]
fn borrow_below_the_health_floor_fails_and_changes_nothing() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    let before = s.position(id);
    let err = s.borrow(&user, id, &moet, usdc(1601)).unwrap_err();
    assert!(
        err.root_cause().to_string().contains("below the floor"),
        "{err}"
    );
    assert_eq!(s.position(id), before);
    assert_eq!(s.balance(&user, &moet), Uint128::zero());
    // Exactly at the floor is allowed.
    s.borrow(&user, id, &moet, usdc(1600)).unwrap();
    assert_eq!(
        s.position(id).health.unwrap().health_factor,
        Some(d256("1"))
    );
}

#[test]
fn eighteen_and_six_decimal_assets_value_correctly_in_one_position() {
    let mut s = setup();
    let user = s.addr("alice");
    s.fund(&user, eth(3) / 2, ETH);
    s.fund(&user, usdc(500), USDC);
    let id = s
        .open(&user, &[coin(eth(3) / 2, ETH), coin(usdc(500), USDC)])
        .unwrap();
    let p = s.position(id);
    let values: Vec<_> = p.collateral.iter().map(|b| b.value.unwrap()).collect();
    assert!(values.contains(&d256("3000")));
    assert!(values.contains(&d256("500")));
    assert_eq!(p.health.unwrap().effective_collateral, d256("2800"));
}

#[test]
fn max_borrow_reports_target_and_floor_amounts() {
    let mut s = setup();
    let (_, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    let m: MaxBorrowResponse = s
        .query_market(&QueryMsg::MaxBorrow {
            position_id: id,
            denom: moet,
        })
        .unwrap();
    // C = 1600: to HF 1.3 -> 1230.769230 MOET; to the floor 1.0 -> 1600.
    assert_eq!(m.at_target, Uint128::new(1_230_769_230));
    assert_eq!(m.at_floor, Uint128::new(usdc(1600)));
}

#[test]
fn repay_refunds_the_excess_and_burns_moet() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    s.borrow(&user, id, &moet, usdc(100)).unwrap();
    let bot = s.addr("bot");
    let (market, token) = (s.market.clone(), s.moet.clone());
    let bot_before = s.balance(&bot, &moet);
    s.cw20_send(
        &bot,
        &token,
        &market,
        usdc(150),
        &ExecuteMsg::Repay { position_id: id },
    )
    .unwrap();
    assert_eq!(debt_of(&s.position(id), &moet), Uint128::zero());
    assert_eq!(s.balance(&bot, &moet), bot_before - Uint128::new(usdc(100)));
    assert_eq!(s.balance(&market, &moet), Uint128::zero());
}

#[test]
fn withdraw_all_returns_exactly_what_was_deposited() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", usdc(123), USDC);
    s.exec_market(
        &user,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: USDC.to_string(),
            amount: None,
            recipient: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.balance(&user, USDC), Uint128::new(usdc(123)));
    let p: PositionResponse = s.position(id);
    assert!(p.collateral.is_empty());
}

#[test]
fn simulate_changes_nothing() {
    let mut s = setup();
    let (_, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    let before = s.position(id);
    let sim: PositionResponse = s
        .query_market(&QueryMsg::Simulate {
            position_id: id,
            actions: vec![SimulateAction::Borrow {
                denom: moet.clone(),
                amount: Uint128::new(usdc(800)),
            }],
        })
        .unwrap();
    assert_eq!(sim.health.unwrap().health_factor, Some(d256("2")));
    assert_eq!(s.position(id), before);
}

#[test]
fn config_has_the_spec_defaults() {
    let s = Suite::new();
    let c: ConfigResponse = s.query_market(&QueryMsg::Config {}).unwrap();
    assert_eq!(c.default_health.min, dec("1.1"));
    assert_eq!(c.default_health.target, dec("1.3"));
    assert_eq!(c.default_health.max, dec("1.5"));
    assert_eq!(c.borrow_health_floor, dec("1"));
    assert_eq!(c.min_debt_value, dec("1"));
    assert_eq!(c.dust_debt_value, dec("10"));
    assert_eq!(c.max_close_factor, dec("0.5"));
    assert_eq!(c.max_liquidation_bonus, dec("0.15"));
    assert_eq!(c.max_position_assets, 10);
    assert_eq!(c.moet_denom, Some(s.moet_denom()));
}

#[allow(dead_code)]
fn _unused(_: AssetParams) {}
