//! Liquidations through the liquidator and the market's own checks in `seize` (SPEC 3.6, 4):
//! cascades, bad debt, the caps a faulty liquidator cannot pass, and the books after each step.
use cosmwasm_std::{coins, Addr, Decimal256, Uint128};
use keel_tests::*;
use keel_types::liquidator::{ExecuteMsg as LiqMsg, QueryMsg as LiqQuery, QuoteResponse};
use keel_types::market::{AssetResponse, ConfigUpdate, ExecuteMsg, PositionResponse};

fn d(s: &str) -> Decimal256 {
    s.parse().unwrap()
}

fn setup() -> Suite {
    Suite::with_eth_and_usdc()
}

/// Alice: 1 ETH, `debt` MOET borrowed.
fn moet_position(s: &mut Suite, debt: u128) -> (Addr, u64) {
    let alice = s.addr("alice");
    s.fund(&alice, eth(1), ETH);
    let id = s.open(&alice, &coins(eth(1), ETH)).unwrap();
    let moet = s.moet_denom();
    s.borrow(&alice, id, &moet, debt).unwrap();
    (alice, id)
}

fn lhf(p: &PositionResponse) -> Option<Decimal256> {
    p.health.as_ref().and_then(|h| h.liquidation_health_factor)
}

/// The bot liquidates MOET debt against ETH with `amount` MOET sent through cw20 `send`.
fn liquidate_moet(
    s: &mut Suite,
    id: u64,
    amount: u128,
) -> anyhow::Result<cw_multi_test::AppResponse> {
    let bot = s.addr("bot");
    let (token, liquidator) = (s.moet.clone(), s.liquidator.clone());
    s.cw20_send(
        &bot,
        &token,
        &liquidator,
        amount,
        &LiqMsg::Liquidate {
            position_id: id,
            debt_denom: s.moet_denom(),
            collateral_denom: ETH.to_string(),
            min_collateral_out: None,
        },
    )
}

/// The market's books agree with the token balances it holds (SPEC 6.2) for ETH.
fn assert_eth_books(s: &Suite) {
    let a: AssetResponse = s.asset(ETH);
    let held = s.balance(&s.market, ETH).u128();
    // cash = S + R - D, to rounding in the protocol's favour.
    let books = a.total_supply.u128() + a.reserves.u128();
    let debt = a.total_debt.u128();
    assert!(books >= debt);
    assert!(
        held + 2 >= books - debt && held <= books - debt + 2,
        "held {held}, books {}",
        books - debt
    );
}

#[test]
fn a_healthy_position_cannot_be_liquidated_and_quotes_zeros() {
    let mut s = setup();
    let (_, id) = moet_position(&mut s, usdc(1000));
    let q: QuoteResponse = s
        .query(
            &s.liquidator,
            &LiqQuery::Quote {
                position_id: id,
                debt_denom: s.moet_denom(),
                collateral_denom: ETH.to_string(),
                repay_amount: None,
            },
        )
        .unwrap();
    assert!(!q.liquidatable);
    assert_eq!(q.collateral_out, Uint128::zero());
    assert_eq!(q.health_before, Some(d("1.7")));
    let bot = s.addr("bot");
    let before = s.balance(&bot, &s.moet_denom());
    let err = liquidate_moet(&mut s, id, usdc(200)).unwrap_err();
    assert!(err_text(err).contains("not liquidatable"));
    assert_eq!(s.balance(&bot, &s.moet_denom()), before);
}

#[test]
fn partial_liquidation_pays_collateral_with_the_bonus_and_refunds_the_excess() {
    let mut s = setup();
    let (_, id) = moet_position(&mut s, usdc(1000));
    // LHF = 0.85 * 1100 / 1000 = 0.935.
    s.set_price(ETH, "1100");
    let bot = s.addr("bot");
    let moet = s.moet_denom();
    let bot_moet = s.balance(&bot, &moet);
    liquidate_moet(&mut s, id, usdc(500)).unwrap();
    // repay = 0.2 * 1000 = 200; seize = floor(200 * 1.03 / 1100 * 1e18).
    let seized = 187_272_727_272_727_272u128;
    assert_eq!(s.balance(&bot, ETH).u128(), seized);
    assert_eq!(s.balance(&bot, &moet), bot_moet - Uint128::new(usdc(200)));
    let p = s.position(id);
    assert_eq!(debt_of(&p, &moet), Uint128::new(usdc(800)));
    assert_eq!(collateral_of(&p, ETH).u128(), eth(1) - seized);
    // The liquidator keeps nothing.
    assert_eq!(s.balance(&s.liquidator, &moet), Uint128::zero());
    assert_eq!(s.balance(&s.liquidator, ETH), Uint128::zero());
    assert_eth_books(&s);
}

#[test]
fn the_slippage_guard_refuses_too_little_collateral() {
    let mut s = setup();
    let (_, id) = moet_position(&mut s, usdc(1000));
    s.set_price(ETH, "1100");
    let bot = s.addr("bot");
    let (token, liquidator) = (s.moet.clone(), s.liquidator.clone());
    let err = s
        .cw20_send(
            &bot,
            &token,
            &liquidator,
            usdc(200),
            &LiqMsg::Liquidate {
                position_id: id,
                debt_denom: s.moet_denom(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: Some(Uint128::new(187_272_727_272_727_273)),
            },
        )
        .unwrap_err();
    assert!(err_text(err).to_lowercase().contains("slippage"));
    assert_eq!(
        debt_of(&s.position(id), &s.moet_denom()),
        Uint128::new(usdc(1000))
    );
}

#[test]
fn seize_is_only_for_the_configured_liquidator() {
    let mut s = setup();
    let (_, id) = moet_position(&mut s, usdc(1000));
    s.set_price(ETH, "1100");
    let mallory = s.addr("mallory");
    s.fund(&mallory, usdc(200), USDC);
    let err = s
        .exec_market(
            &mallory,
            &ExecuteMsg::Seize {
                position_id: id,
                debt_denom: USDC.to_string(),
                repay_amount: Uint128::new(usdc(200)),
                collateral_denom: ETH.to_string(),
                collateral_amount: Uint128::new(1),
                recipient: mallory.to_string(),
            },
            &coins(usdc(200), USDC),
        )
        .unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
    assert_eq!(s.balance(&mallory, USDC), Uint128::new(usdc(200)));
}

/// The market as its own last line of defence: a liquidator address that asks for too much.
fn with_rogue_liquidator(s: &mut Suite) -> Addr {
    let rogue = s.addr("rogue");
    s.update_config(ConfigUpdate {
        liquidator: Some(rogue.to_string()),
        ..Default::default()
    });
    rogue
}

#[test]
fn the_market_caps_what_a_faulty_liquidator_can_take() {
    let mut s = setup();
    // USDC debt so the rogue can pay natively: lender supplies, Alice borrows 1000 USDC.
    let lender = s.addr("lender");
    s.fund(&lender, usdc(5000), USDC);
    s.open(&lender, &coins(usdc(5000), USDC)).unwrap();
    let alice = s.addr("alice");
    s.fund(&alice, eth(1), ETH);
    let id = s.open(&alice, &coins(eth(1), ETH)).unwrap();
    s.borrow(&alice, id, USDC, usdc(1000)).unwrap();
    s.set_price(ETH, "1100");
    let rogue = with_rogue_liquidator(&mut s);
    s.fund(&rogue, usdc(2000), USDC);
    let seize = |repay: u128, coll: u128| ExecuteMsg::Seize {
        position_id: id,
        debt_denom: USDC.to_string(),
        repay_amount: Uint128::new(repay),
        collateral_denom: ETH.to_string(),
        collateral_amount: Uint128::new(coll),
        recipient: rogue.to_string(),
    };
    // Above the market's 50% close factor.
    let err = s
        .exec_market(&rogue, &seize(usdc(501), 1), &coins(usdc(501), USDC))
        .unwrap_err();
    assert!(err_text(err).contains("close factor"));
    // More than repay * 1.15 of collateral: 500 * 1.15 / 1100 = 0.5227... ETH.
    let err = s
        .exec_market(
            &rogue,
            &seize(usdc(500), 522_727_272_727_272_728),
            &coins(usdc(500), USDC),
        )
        .unwrap_err();
    assert!(err_text(err).contains("maximum bonus"));
    // Funds must match the repay.
    let err = s
        .exec_market(&rogue, &seize(usdc(500), 1), &coins(usdc(499), USDC))
        .unwrap_err();
    assert!(err_text(err).contains("exactly"));
    // At the caps exactly it goes through.
    s.exec_market(
        &rogue,
        &seize(usdc(500), 522_727_272_727_272_727),
        &coins(usdc(500), USDC),
    )
    .unwrap();
    assert_eq!(s.balance(&rogue, ETH).u128(), 522_727_272_727_272_727);
    assert_eq!(debt_of(&s.position(id), USDC), Uint128::new(usdc(500)));
}

#[test]
fn a_cascade_liquidates_until_healthy_and_never_lowers_lhf_above_the_underwater_line() {
    let mut s = setup();
    let (_, id) = moet_position(&mut s, usdc(1200));
    let moet = s.moet_denom();
    // Underwater below (1 + bonus) * LT / BF = 1.03 * 0.85 = 0.8755.
    let underwater = d("0.8755");
    let bot = s.addr("bot");
    let mut total_rounds = 0;
    for price in ["1600", "1500", "1400", "1350", "1300"] {
        s.set_price(ETH, price);
        let mut rounds = 0;
        while let Some(before) = lhf(&s.position(id)).filter(|l| *l < Decimal256::one()) {
            let bot_eth = s.balance(&bot, ETH).u128();
            let bot_moet = s.balance(&bot, &moet).u128();
            liquidate_moet(&mut s, id, usdc(10_000)).unwrap();
            let p = s.position(id);
            // The bot never gets more than repay * (1 + bonus) in value.
            let paid = bot_moet - s.balance(&bot, &moet).u128();
            let got = s.balance(&bot, ETH).u128() - bot_eth;
            let price_d: Decimal256 = price.parse().unwrap();
            let got_value = Decimal256::from_ratio(got, 10u128.pow(18)) * price_d;
            let max_value = Decimal256::from_ratio(paid, 1_000_000u128) * d("1.03");
            assert!(got_value <= max_value, "{got_value} > {max_value}");
            if before >= underwater {
                let after = lhf(&p).unwrap_or(Decimal256::MAX);
                assert!(
                    after >= before,
                    "LHF fell from {before} to {after} at {price}"
                );
            }
            rounds += 1;
            assert!(rounds < 20, "no end to the cascade at {price}");
        }
        total_rounds += rounds;
        assert_eth_books(&s);
    }
    assert!(
        total_rounds >= 2,
        "the cascade liquidated {total_rounds} times"
    );
    let p = s.position(id);
    assert!(lhf(&p).unwrap() >= Decimal256::one());
    assert!(!p.collateral.is_empty());
}

#[test]
fn collateral_exhausted_with_debt_left_is_written_off_into_the_moet_deficit() {
    let mut s = setup();
    let (_, id) = moet_position(&mut s, usdc(1500));
    let moet = s.moet_denom();
    // 1 ETH at 1000 against 1500 MOET: deeply underwater.
    s.set_price(ETH, "1000");
    let mut bad_debt_seen = false;
    for _ in 0..30 {
        let p = s.position(id);
        if p.collateral.is_empty() {
            break;
        }
        let res = liquidate_moet(&mut s, id, usdc(10_000)).unwrap();
        if let Some(ev) = res.events.iter().find(|e| e.ty == "wasm-bad_debt") {
            bad_debt_seen = true;
            assert!(ev
                .attributes
                .iter()
                .any(|a| a.key == "denom" && a.value == moet));
        }
    }
    assert!(bad_debt_seen, "a bad_debt event");
    let p = s.position(id);
    assert!(p.collateral.is_empty());
    assert!(p.debt.is_empty(), "the debt was written off");
    let a = s.asset(&moet);
    assert!(a.deficit > Uint128::zero());
    assert_eq!(a.total_debt, Uint128::zero());
    // The deficit blocks reserve withdrawals until reserves cover it.
    let owner = s.owner.clone();
    let err = s
        .exec_market(
            &owner,
            &ExecuteMsg::WithdrawReserves {
                denom: moet.clone(),
                amount: Uint128::one(),
                recipient: None,
            },
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("reserves of"));
}

#[test]
fn pool_bad_debt_is_taken_from_reserves_then_from_lenders() {
    let mut s = setup();
    let lender = s.addr("lender");
    s.fund(&lender, usdc(10_000), USDC);
    let lender_id = s.open(&lender, &coins(usdc(10_000), USDC)).unwrap();
    let alice = s.addr("alice");
    s.fund(&alice, eth(1), ETH);
    let id = s.open(&alice, &coins(eth(1), ETH)).unwrap();
    s.borrow(&alice, id, USDC, usdc(1500)).unwrap();
    // A week of interest builds some reserves.
    s.advance(7 * 86_400);
    s.set_price(USDC, "1");
    s.set_price(ETH, "1000");
    let before: AssetResponse = s.asset(USDC);
    assert!(before.reserves > Uint128::zero());
    let bot = s.addr("bot");
    s.fund(&bot, usdc(100_000), USDC);
    let liquidator = s.liquidator.clone();
    let mut events = vec![];
    for _ in 0..30 {
        if s.position(id).collateral.is_empty() {
            break;
        }
        let res = s
            .exec(
                &bot,
                &liquidator,
                &LiqMsg::Liquidate {
                    position_id: id,
                    debt_denom: USDC.to_string(),
                    collateral_denom: ETH.to_string(),
                    min_collateral_out: None,
                },
                &coins(usdc(10_000), USDC),
            )
            .unwrap();
        events.extend(res.events.into_iter().filter(|e| e.ty == "wasm-bad_debt"));
    }
    assert_eq!(events.len(), 1);
    let after: AssetResponse = s.asset(USDC);
    assert_eq!(after.reserves, Uint128::zero(), "reserves go first");
    assert!(
        after.supply_index < before.supply_index,
        "then lenders lose"
    );
    assert_eq!(after.total_debt, Uint128::zero());
    let lender_now = collateral_of(&s.position(lender_id), USDC);
    assert!(lender_now < Uint128::new(usdc(10_000)));
    // The pool's cash still matches its token balance.
    let held = s.balance(&s.market, USDC).u128();
    let books = after.total_supply.u128() + after.reserves.u128() - after.total_debt.u128();
    assert!(held.abs_diff(books) <= 2, "held {held} books {books}");
}
