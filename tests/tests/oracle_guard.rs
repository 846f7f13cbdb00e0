//! The oracle's deviation guard seen from the market: one feeder walking ETH from 2000 to 1000
//! in small steps within one block (one batch, or several transactions) cannot make a healthy
//! position liquidatable. Without the block's reference, each step was judged against the one
//! before and the walk moved the price at once.
use cosmwasm_std::{coins, Addr, Uint128};
use keel_tests::*;
use keel_types::liquidator::{ExecuteMsg as LiqMsg, QueryMsg as LiqQuery, QuoteResponse};
use keel_types::oracle;

/// ETH walked down by 10% steps, each within `max_deviation` of the previous one.
const WALK: [&str; 7] = [
    "1800", "1620", "1458", "1312.2", "1180.98", "1062.882", "1000",
];

/// Alice: 1 ETH, 1,000 MOET borrowed: liquidation health 0.85 * 2000 / 1000 = 1.7 at 2000,
/// 1.53 at 1800, 0.85 at 1000. Then 10 s later, in a new block.
fn healthy_position() -> (Suite, u64) {
    let mut s = Suite::with_eth_and_usdc();
    let alice = s.addr("alice");
    s.fund(&alice, eth(1), ETH);
    let id = s.open(&alice, &coins(eth(1), ETH)).unwrap();
    let moet = s.moet_denom();
    s.borrow(&alice, id, &moet, usdc(1000)).unwrap();
    s.advance(10);
    (s, id)
}

fn push(s: &mut Suite, feeder: &Addr, prices: &[&str]) {
    let oracle = s.oracle.clone();
    let msg = oracle::ExecuteMsg::PushPrices {
        prices: prices
            .iter()
            .map(|price| oracle::PriceInput {
                denom: ETH.to_string(),
                price: dec(price),
            })
            .collect(),
    };
    s.exec(feeder, &oracle, &msg, &[]).unwrap();
}

fn eth_price(s: &Suite) -> oracle::PriceResponse {
    s.query(
        &s.oracle,
        &oracle::QueryMsg::Price {
            denom: ETH.to_string(),
        },
    )
    .unwrap()
}

/// The position is not liquidatable: the quote says so and a liquidation is refused.
fn assert_not_liquidatable(s: &mut Suite, id: u64) {
    let quote: QuoteResponse = s
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
    assert!(!quote.liquidatable, "{quote:?}");
    assert_eq!(quote.health_before, Some(d256("1.53")));
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
                min_collateral_out: None,
            },
        )
        .unwrap_err();
    assert!(err_text(err).contains("not liquidatable"));
    assert_eq!(s.balance(&bot, ETH), Uint128::zero());
}

#[test]
fn one_feeder_s_batch_walk_does_not_make_a_healthy_position_liquidatable() {
    let (mut s, id) = healthy_position();
    let feeder = s.feeders[0].clone();
    push(&mut s, &feeder, &WALK);
    let price = eth_price(&s);
    assert_eq!((price.price, price.pending), (dec("1800"), true));
    assert_not_liquidatable(&mut s, id);
}

#[test]
fn one_feeder_s_walk_over_several_transactions_in_a_block_does_not_make_a_position_liquidatable() {
    let (mut s, id) = healthy_position();
    let feeder = s.feeders[0].clone();
    for price in WALK {
        push(&mut s, &feeder, &[price]);
    }
    assert_eq!(eth_price(&s).price, dec("1800"));
    assert_not_liquidatable(&mut s, id);
}
