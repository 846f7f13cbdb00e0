//! Market core through its JSON messages (SPEC 3.0-3.4, 3.7, 3.8).
use cosmwasm_std::{coin, coins, Uint128};
use keel_tests::*;
use keel_types::market::{
    AssetParams, ConfigResponse, ExecuteMsg, MaxBorrowResponse, PositionResponse, QueryMsg,
    SimulateAction,
};
use keel_types::Band;

const YEAR: u64 = 31_536_000;

/// A suite with ETH (18 decimals, price 2000) and USDC (6 decimals, price 1) listed.
fn setup() -> Suite {
    Suite::with_eth_and_usdc()
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

#[test]
fn deposits_of_unlisted_or_disabled_assets_fail_and_refund() {
    let mut s = setup();
    let user = s.addr("alice");
    s.fund(&user, 1000, "udoge");
    let err = s.open(&user, &coins(1000, "udoge")).unwrap_err();
    assert!(err_text(err).contains("udoge is not listed"));
    assert_eq!(s.balance(&user, "udoge"), Uint128::new(1000));

    let mut params = pool_params(6);
    params.deposit_enabled = false;
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: USDC.to_string(),
            params,
        },
        &[],
    )
    .unwrap();
    s.fund(&user, 1000, USDC);
    let err = s.open(&user, &coins(1000, USDC)).unwrap_err();
    assert!(err_text(err).contains("deposits of uusdc are disabled"));
    assert_eq!(s.balance(&user, USDC), Uint128::new(1000));
}

#[test]
fn moet_cannot_be_deposited() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    s.borrow(&user, id, &moet, usdc(100)).unwrap();
    let (token, market) = (s.moet.clone(), s.market.clone());
    let err = s
        .cw20_send(
            &user,
            &token,
            &market,
            usdc(10),
            &ExecuteMsg::Deposit {
                position_id: id,
                push_to_draw_down_sink: false,
            },
        )
        .unwrap_err();
    assert!(err_text(err).contains("cannot be deposited"));
    assert_eq!(s.balance(&user, &moet), Uint128::new(usdc(100)));
}

#[test]
fn only_the_owner_withdraws_borrows_and_sets_automation() {
    let mut s = setup();
    let (_, id) = open_with(&mut s, "alice", eth(1), ETH);
    let mallory = s.addr("mallory");
    let moet = s.moet_denom();
    let before = s.position(id);
    for msg in [
        ExecuteMsg::Withdraw {
            position_id: id,
            denom: ETH.to_string(),
            amount: None,
            recipient: None,
        },
        ExecuteMsg::Borrow {
            position_id: id,
            denom: moet.clone(),
            amount: Uint128::new(1_000_000),
            recipient: None,
            to_collateral: false,
        },
        ExecuteMsg::SetAutomation {
            position_id: id,
            automation: None,
        },
    ] {
        let err = s.exec_market(&mallory, &msg, &[]).unwrap_err();
        assert!(err_text(err).contains("unauthorized"), "{msg:?}");
    }
    assert_eq!(s.position(id), before);
}

#[test]
fn anyone_may_deposit_into_and_repay_a_position() {
    let mut s = setup();
    let (owner, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    s.borrow(&owner, id, &moet, usdc(100)).unwrap();
    let friend = s.addr("friend");
    s.fund(&friend, eth(1), ETH);
    s.exec_market(
        &friend,
        &ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        &coins(eth(1), ETH),
    )
    .unwrap();
    assert_eq!(collateral_of(&s.position(id), ETH), Uint128::new(eth(2)));
    let bot = s.addr("bot");
    let (token, market) = (s.moet.clone(), s.market.clone());
    s.cw20_send(
        &bot,
        &token,
        &market,
        usdc(40),
        &ExecuteMsg::Repay { position_id: id },
    )
    .unwrap();
    assert_eq!(debt_of(&s.position(id), &moet), Uint128::new(usdc(60)));
}

#[test]
fn borrowing_more_than_the_pool_holds_fails_with_insufficient_liquidity() {
    let mut s = setup();
    open_with(&mut s, "lender", usdc(100), USDC);
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let err = s.borrow(&user, id, USDC, usdc(101)).unwrap_err();
    assert!(err_text(err).contains("insufficient liquidity of uusdc"));
    s.borrow(&user, id, USDC, usdc(100)).unwrap();
    assert_eq!(s.balance(&user, USDC), Uint128::new(usdc(100)));
    assert_eq!(s.asset(USDC).utilization, dec("1"));
}

#[test]
fn caps_allow_reaching_the_cap_exactly_but_not_passing_it() {
    let mut s = setup();
    let mut params = pool_params(6);
    params.supply_cap = Some(Uint128::new(usdc(1000)));
    params.borrow_cap = Some(Uint128::new(usdc(500)));
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: USDC.to_string(),
            params,
        },
        &[],
    )
    .unwrap();
    let (lender, _) = open_with(&mut s, "lender", usdc(1000), USDC);
    s.fund(&lender, 1, USDC);
    let err = s.open(&lender, &coins(1, USDC)).unwrap_err();
    assert!(err_text(err).contains("supply cap of uusdc exceeded"));
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let err = s.borrow(&user, id, USDC, usdc(500) + 1).unwrap_err();
    assert!(err_text(err).contains("borrow cap of uusdc exceeded"));
    s.borrow(&user, id, USDC, usdc(500)).unwrap();
}

#[test]
fn debt_below_the_minimum_value_is_refused_unless_zero() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    let err = s.borrow(&user, id, &moet, 999_999).unwrap_err();
    assert!(err_text(err).contains("below the minimum"));
    s.borrow(&user, id, &moet, usdc(2)).unwrap();
    // Repaying down to 0.5 MOET is refused; repaying all of it is fine.
    let bot = s.addr("bot");
    let (token, market) = (s.moet.clone(), s.market.clone());
    let err = s
        .cw20_send(
            &bot,
            &token,
            &market,
            1_500_000,
            &ExecuteMsg::Repay { position_id: id },
        )
        .unwrap_err();
    assert!(err_text(err).contains("below the minimum"));
    s.cw20_send(
        &bot,
        &token,
        &market,
        usdc(2),
        &ExecuteMsg::Repay { position_id: id },
    )
    .unwrap();
    assert!(s.position(id).debt.is_empty());
}

/// A repay of a pool asset needs no oracle call when a message priced that asset in the last
/// hour: the minimum-debt rule uses the price stored with it. Shown with the oracle's price
/// stale: the rule still refuses dust. Past the hour, with the oracle down, the rule cannot be
/// priced and the repay goes through (repay is never pausable).
#[test]
fn a_repay_prices_the_minimum_debt_rule_with_the_stored_price() {
    let mut s = setup();
    let lender = s.addr("lender");
    s.fund(&lender, usdc(1000), USDC);
    s.open(&lender, &coins(usdc(1000), USDC)).unwrap();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    s.borrow(&user, id, USDC, usdc(100)).unwrap();
    s.advance(MAX_AGE + 100); // the oracle's USDC price is stale now
    s.fund(&user, usdc(100), USDC);
    let repay = |s: &mut Suite, amount: u128| {
        s.exec_market(
            &user,
            &ExecuteMsg::Repay { position_id: id },
            &coins(amount, USDC),
        )
    };
    let err = repay(&mut s, 99_500_000).unwrap_err();
    assert!(err_text(err).contains("below the minimum"));
    repay(&mut s, usdc(10)).unwrap();
    s.advance(3_600);
    repay(&mut s, 89_500_000).unwrap();
    // 0.5 USDC and an hour's interest: below the minimum, let through
    let left = debt_of(&s.position(id), USDC).u128();
    assert!((500_000..usdc(1)).contains(&left), "{left}");
}

#[test]
fn a_position_holds_at_most_max_position_assets_denoms() {
    let mut s = setup();
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateConfig(keel_types::market::ConfigUpdate {
            max_position_assets: Some(2),
            ..Default::default()
        }),
        &[],
    )
    .unwrap();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    open_with(&mut s, "lender", usdc(1000), USDC);
    s.borrow(&user, id, USDC, usdc(10)).unwrap();
    let moet = s.moet_denom();
    let err = s.borrow(&user, id, &moet, usdc(10)).unwrap_err();
    assert!(err_text(err).contains("more than 2 assets"));
}

#[test]
fn leverage_loop_with_borrow_factor_stops_where_credit_covers_debt() {
    // DAI: CF 0.9, BF 1.2. 1 ETH at 100 gives C = 80. Borrowing x DAI into the position:
    // C = 80 + 0.9x, D = 1.2x, HF >= 1  <=>  x <= 80 / 0.3 = 266.66...
    let mut s = Suite::new();
    let mut eth_params = pool_params(18);
    eth_params.collateral_factor = dec("0.8");
    s.list_asset(ETH, eth_params).unwrap();
    let mut dai = pool_params(6);
    dai.collateral_factor = dec("0.9");
    dai.liquidation_threshold = dec("0.95");
    dai.borrow_factor = dec("1.2");
    s.list_asset("udai", dai).unwrap();
    s.set_price(ETH, "100");
    s.set_price("udai", "1");
    open_with(&mut s, "lender", usdc(1000), "udai");
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let leverage = |amount: u128| ExecuteMsg::Borrow {
        position_id: id,
        denom: "udai".to_string(),
        amount: Uint128::new(amount),
        recipient: None,
        to_collateral: true,
    };
    let err = s.exec_market(&user, &leverage(usdc(267)), &[]).unwrap_err();
    assert!(err_text(err).contains("below the floor"));
    s.exec_market(&user, &leverage(usdc(266)), &[]).unwrap();
    let p = s.position(id);
    assert_eq!(collateral_of(&p, "udai"), Uint128::new(usdc(266)));
    assert_eq!(debt_of(&p, "udai"), Uint128::new(usdc(266)));
    let h = p.health.unwrap();
    // C = 80 + 239.4 = 319.4, D = 319.2
    assert_eq!(h.effective_collateral, d256("319.4"));
    assert_eq!(h.effective_debt, d256("319.2"));
    // Nothing left the market: the borrowed DAI stayed as collateral.
    assert_eq!(s.balance(&user, "udai"), Uint128::zero());
}

#[test]
fn cw20_collateral_deposits_through_the_receive_hook() {
    let mut s = setup();
    let user = s.addr("alice");
    let (token, denom) = s.list_cw20("WBTC", 8, &[(&user, 100_000_000)], "50000");
    let market = s.market.clone();
    let res = s
        .cw20_send(
            &user,
            &token,
            &market,
            50_000_000,
            &ExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
        )
        .unwrap();
    let id = position_id_of(&res).unwrap();
    let p = s.position(id);
    assert_eq!(p.owner, user);
    assert_eq!(p.collateral[0].value, Some(d256("25000")));
    // Withdrawing pays the cw20 back.
    s.exec_market(
        &user,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: denom.clone(),
            amount: Some(Uint128::new(10_000_000)),
            recipient: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.balance(&user, &denom), Uint128::new(60_000_000));
}

#[test]
fn an_unlisted_cw20_calling_the_hook_is_rejected() {
    let mut s = setup();
    let user = s.addr("alice");
    let fake = s.create_cw20("FAKE", 6, &[(&user, 1_000_000)]);
    let market = s.market.clone();
    let err = s
        .cw20_send(
            &user,
            &fake,
            &market,
            1_000_000,
            &ExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
        )
        .unwrap_err();
    assert!(err_text(err).contains("is not listed"));
    assert_eq!(
        s.balance(&user, &format!("cw20:{fake}")),
        Uint128::new(1_000_000)
    );
}

#[test]
fn round_trips_never_gain_a_base_unit_at_odd_indices() {
    let mut s = setup();
    // Grow both USDC indices to odd values.
    open_with(&mut s, "lender", usdc(1000), USDC);
    let (b, bid) = open_with(&mut s, "borrower", eth(1), ETH);
    s.borrow(&b, bid, USDC, usdc(777)).unwrap();
    s.advance(12_345_678);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    for amount in [1u128, 2, 3, 7, 999, 1_000_001] {
        // deposit -> withdraw all
        s.fund(&user, amount, USDC);
        let before = s.balance(&user, USDC);
        s.exec_market(
            &user,
            &ExecuteMsg::Deposit {
                position_id: id,
                push_to_draw_down_sink: false,
            },
            &coins(amount, USDC),
        )
        .ok();
        let held = collateral_of(&s.position(id), USDC);
        if !held.is_zero() {
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
        }
        assert!(
            s.balance(&user, USDC) <= before,
            "deposit/withdraw of {amount} gained"
        );
    }
    // borrow -> repay all: the borrower pays back at least what was borrowed.
    let moet = s.moet_denom();
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: moet.clone(),
            params: moet_params("0.07"),
        },
        &[],
    )
    .unwrap();
    s.borrow(&user, id, &moet, usdc(5)).unwrap();
    s.advance(1_234_567);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    for amount in [1_000_001u128, 1_234_567, 3_333_333] {
        s.borrow(&user, id, USDC, amount).unwrap();
        let owed = debt_of(&s.position(id), USDC);
        assert!(owed >= Uint128::new(amount));
        s.fund(&user, owed.u128() + 5, USDC);
        s.exec_market(
            &user,
            &ExecuteMsg::Repay { position_id: id },
            &coins(owed.u128() + 5, USDC),
        )
        .unwrap();
        assert_eq!(debt_of(&s.position(id), USDC), Uint128::zero());
    }
}

#[test]
fn positions_query_filters_by_owner_and_paginates() {
    let mut s = setup();
    let (alice, _) = open_with(&mut s, "alice", eth(1), ETH);
    open_with(&mut s, "bob", eth(1), ETH);
    s.fund(&alice, eth(1), ETH);
    s.open(&alice, &coins(eth(1), ETH)).unwrap();
    let all: Vec<PositionResponse> = s
        .query_market(&QueryMsg::Positions {
            owner: None,
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        all.iter().map(|p| p.position_id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let mine: Vec<PositionResponse> = s
        .query_market(&QueryMsg::Positions {
            owner: Some(alice.to_string()),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        mine.iter().map(|p| p.position_id).collect::<Vec<_>>(),
        vec![1, 3]
    );
    let page: Vec<PositionResponse> = s
        .query_market(&QueryMsg::Positions {
            owner: None,
            start_after: Some(1),
            limit: Some(1),
        })
        .unwrap();
    assert_eq!(page[0].position_id, 2);
    assert_eq!(page.len(), 1);
}

#[test]
fn liquidatable_positions_scans_a_bounded_window() {
    let mut s = setup();
    let moet = s.moet_denom();
    for name in ["a", "b", "c"] {
        let (u, id) = open_with(&mut s, name, eth(1), ETH);
        if name != "b" {
            s.borrow(&u, id, &moet, usdc(1500)).unwrap();
        }
    }
    // LHF = 0.85 * 1700 / 1500 < 1 for a and c.
    s.set_price(ETH, "1700");
    let r: keel_types::market::LiquidatablePositionsResponse = s
        .query_market(&QueryMsg::LiquidatablePositions {
            start_after: None,
            limit: Some(2),
        })
        .unwrap();
    assert_eq!(
        r.positions
            .iter()
            .map(|p| p.position_id)
            .collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(r.last_scanned, Some(2));
    let r: keel_types::market::LiquidatablePositionsResponse = s
        .query_market(&QueryMsg::LiquidatablePositions {
            start_after: Some(2),
            limit: Some(2),
        })
        .unwrap();
    assert_eq!(
        r.positions
            .iter()
            .map(|p| p.position_id)
            .collect::<Vec<_>>(),
        vec![3]
    );
    assert_eq!(r.last_scanned, Some(3));
    assert_eq!(
        r.positions[0].health.as_ref().unwrap().band,
        Band::Liquidatable
    );
}

#[test]
fn position_query_reports_a_missing_price_instead_of_failing() {
    let mut s = setup();
    let (_, id) = open_with(&mut s, "alice", eth(1), ETH);
    s.advance(MAX_AGE + 1);
    let p = s.position(id);
    assert_eq!(p.price_error, Some(ETH.to_string()));
    assert!(p.health.is_none());
    assert_eq!(p.collateral[0].value, None);
    assert_eq!(collateral_of(&p, ETH), Uint128::new(eth(1)));
    // Borrowing needs the price: it fails naming the denom.
    let moet = s.moet_denom();
    let owner = p.owner.clone();
    let err = s.borrow(&owner, id, &moet, usdc(10)).unwrap_err();
    assert!(err_text(err).contains("price unavailable for ueth"));
}

#[test]
fn the_band_follows_the_health_bounds() {
    let mut s = setup();
    let (user, id) = open_with(&mut s, "alice", eth(1), ETH);
    let moet = s.moet_denom();
    // C = 1600. Debt 1000 -> HF 1.6 overcollateralized; +100 -> 1.4545 healthy;
    // +150 -> 1.28 below target; +250 -> 1.0667 at risk.
    let steps = [
        (1000, Band::Overcollateralized),
        (100, Band::Healthy),
        (150, Band::BelowTarget),
        (250, Band::AtRisk),
    ];
    for (amount, band) in steps {
        s.borrow(&user, id, &moet, usdc(amount)).unwrap();
        assert_eq!(s.position(id).health.unwrap().band, band);
    }
    // L = 0.85 * 1700 = 1445 < 1500.
    s.set_price(ETH, "1700");
    assert_eq!(s.position(id).health.unwrap().band, Band::Liquidatable);
}
