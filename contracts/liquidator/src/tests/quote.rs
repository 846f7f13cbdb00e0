//! `quote`: the amounts of a liquidation without executing it.
use cosmwasm_std::Uint128;
use keel_math::Band;
use keel_types::liquidator::QuoteResponse;
use keel_types::market::{HealthResponse, PositionResponse, SimulateAction};

use super::*;

fn quote_msg(repay_amount: Option<u128>) -> QueryMsg {
    QueryMsg::Quote {
        position_id: POSITION,
        debt_denom: MOET.to_string(),
        collateral_denom: ETH.to_string(),
        repay_amount: repay_amount.map(Uint128::new),
    }
}

fn position_after(lhf: Option<&str>) -> PositionResponse {
    PositionResponse {
        position_id: POSITION,
        owner: addr("borrower"),
        collateral: vec![],
        debt: vec![],
        health: Some(HealthResponse {
            effective_collateral: Decimal256::zero(),
            liquidation_limit: Decimal256::zero(),
            effective_debt: Decimal256::zero(),
            health_factor: None,
            liquidation_health_factor: lhf.map(dec256),
            borrow_limit_used: None,
            band: Band::Liquidatable,
        }),
        automation: None,
        price_error: None,
    }
}

fn actions(repay: u128, withdraw: u128) -> Vec<SimulateAction> {
    vec![
        SimulateAction::Repay {
            denom: MOET.to_string(),
            amount: Uint128::new(repay),
        },
        SimulateAction::Withdraw {
            denom: ETH.to_string(),
            amount: Uint128::new(withdraw),
        },
    ]
}

#[test]
fn quote_without_amount_uses_max_repay_and_reports_bonus_and_health() {
    let mut mock = MarketMock::new(MOET, worked_context());
    mock.simulate = Some((
        actions(200_000_000, 187_272_727_272_727_272),
        position_after(Some("0.96")),
    ));
    let deps = setup(mock);
    let quote: QuoteResponse = query_json(&deps, quote_msg(None));
    assert_eq!(
        quote,
        QuoteResponse {
            liquidatable: true,
            max_repay: Uint128::new(200_000_000),
            repay_amount: Uint128::new(200_000_000),
            collateral_out: Uint128::new(187_272_727_272_727_272),
            // 0.187272727272727272 ETH * 1100 - 200 MOET
            bonus_value: dec256("5.9999999999999992"),
            health_before: Some(dec256("0.935")),
            health_after: Some(dec256("0.96")),
        }
    );
}

#[test]
fn quote_with_amount_prices_that_amount() {
    let mut mock = MarketMock::new(MOET, worked_context());
    mock.simulate = Some((
        actions(50_000_000, 46_818_181_818_181_818),
        position_after(Some("0.94")),
    ));
    let deps = setup(mock);
    let quote: QuoteResponse = query_json(&deps, quote_msg(Some(50_000_000)));
    assert_eq!(quote.max_repay, Uint128::new(200_000_000));
    assert_eq!(quote.repay_amount, Uint128::new(50_000_000));
    assert_eq!(quote.collateral_out, Uint128::new(46_818_181_818_181_818));
    // 0.046818181818181818 * 1100 - 50 = 1.4999999999999998
    assert_eq!(quote.bonus_value, dec256("1.4999999999999998"));
    assert_eq!(quote.health_after, Some(dec256("0.94")));
}

#[test]
fn quote_above_max_repay_is_clamped_to_max_repay() {
    let mut mock = MarketMock::new(MOET, worked_context());
    mock.simulate = Some((
        actions(200_000_000, 187_272_727_272_727_272),
        position_after(Some("0.96")),
    ));
    let deps = setup(mock);
    let quote: QuoteResponse = query_json(&deps, quote_msg(Some(900_000_000)));
    assert_eq!(quote.repay_amount, Uint128::new(200_000_000));
    assert_eq!(quote.collateral_out, Uint128::new(187_272_727_272_727_272));
}

#[test]
fn quote_of_a_healthy_position_is_zero_not_an_error() {
    let mut ctx = worked_context();
    ctx.liquidatable = false;
    ctx.liquidation_health_factor = Some(dec256("1.25"));
    let deps = setup(MarketMock::new(MOET, ctx));
    let quote: QuoteResponse = query_json(&deps, quote_msg(None));
    assert_eq!(
        quote,
        QuoteResponse {
            liquidatable: false,
            max_repay: Uint128::zero(),
            repay_amount: Uint128::zero(),
            collateral_out: Uint128::zero(),
            bonus_value: Decimal256::zero(),
            health_before: Some(dec256("1.25")),
            health_after: Some(dec256("1.25")),
        }
    );
}

#[test]
fn quote_of_a_dust_debt_repays_it_all_and_health_after_is_null() {
    let mut ctx = worked_context();
    ctx.debt_amount = Uint128::new(12_000_000);
    let mut mock = MarketMock::new(MOET, ctx);
    mock.simulate = Some((
        actions(12_000_000, 11_236_363_636_363_636),
        position_after(None),
    ));
    let deps = setup(mock);
    let quote: QuoteResponse = query_json(&deps, quote_msg(None));
    assert_eq!(quote.max_repay, Uint128::new(12_000_000));
    assert_eq!(quote.repay_amount, Uint128::new(12_000_000));
    assert_eq!(quote.health_after, None);
}

#[test]
fn debt_leaving_exactly_the_dust_value_is_not_dust() {
    // 12.5 MOET: a 20% repay leaves exactly 10 MOET, not below the dust value.
    let mut ctx = worked_context();
    ctx.debt_amount = Uint128::new(12_500_000);
    let mut mock = MarketMock::new(MOET, ctx);
    // floor(2.5 * 1.03 / 1100 * 1e18)
    mock.simulate = Some((
        actions(2_500_000, 2_340_909_090_909_090),
        position_after(Some("0.9")),
    ));
    let deps = setup(mock);
    let quote: QuoteResponse = query_json(&deps, quote_msg(None));
    assert_eq!(quote.max_repay, Uint128::new(2_500_000));
    assert_eq!(quote.collateral_out, Uint128::new(2_340_909_090_909_090));
}

#[test]
fn quote_matches_the_capped_seize_of_liquidate() {
    let mut ctx = worked_context();
    ctx.collateral_amount = Uint128::new(100_000_000_000_000_000);
    let mut mock = MarketMock::new(MOET, ctx);
    mock.simulate = Some((
        actions(106_796_117, 100_000_000_000_000_000),
        position_after(Some("0.5")),
    ));
    let deps = setup(mock);
    let quote: QuoteResponse = query_json(&deps, quote_msg(None));
    assert_eq!(quote.max_repay, Uint128::new(200_000_000));
    assert_eq!(quote.repay_amount, Uint128::new(106_796_117));
    assert_eq!(quote.collateral_out, Uint128::new(100_000_000_000_000_000));
    // 110 - 106.796117
    assert_eq!(quote.bonus_value, dec256("3.203883"));
    assert_eq!(quote.health_after, Some(dec256("0.5")));
}

#[test]
fn quote_of_zero_repay_skips_the_simulation() {
    // No simulate answer configured: a simulate query would fail the quote.
    let deps = setup(MarketMock::new(MOET, worked_context()));
    let quote: QuoteResponse = query_json(&deps, quote_msg(Some(0)));
    assert!(quote.liquidatable);
    assert_eq!(quote.repay_amount, Uint128::zero());
    assert_eq!(quote.collateral_out, Uint128::zero());
    assert_eq!(quote.health_after, quote.health_before);
}
