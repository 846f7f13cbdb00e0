//! `quote`: the market's `liquidation_quote` with this liquidator's close factor and bonus, the
//! computation the market's one-pass `liquidate` settles with.
use cosmwasm_std::Uint128;

use super::*;

fn quote_msg(repay_amount: Option<u128>) -> QueryMsg {
    QueryMsg::Quote {
        position_id: POSITION,
        debt_denom: MOET.to_string(),
        collateral_denom: ETH.to_string(),
        repay_amount: repay_amount.map(Uint128::new),
    }
}

#[test]
fn quote_is_the_markets_answer_for_the_liquidators_own_factors() {
    let deps = setup(MarketMock::new(MOET));
    let quote: QuoteResponse = query_json(&deps, quote_msg(None));
    assert_eq!(quote, worked_quote());
}

#[test]
fn quote_asks_with_the_configured_factors() {
    // The mock answers only when asked with 0.35 / 0.05.
    let mut mock = MarketMock::new(MOET);
    mock.factors = (dec("0.35"), dec("0.05"));
    let deps = setup_with(mock, Some(dec("0.35")), Some(dec("0.05")));
    let quote: QuoteResponse = query_json(&deps, quote_msg(Some(1)));
    assert_eq!(quote, worked_quote());
}

#[test]
fn a_market_refusal_fails_the_quote() {
    let mut mock = MarketMock::new(MOET);
    mock.factors = (dec("0.5"), dec("0.1"));
    let deps = setup(mock);
    let err = query(deps.as_ref(), mock_env(), quote_msg(None)).unwrap_err();
    assert!(err.to_string().contains("refuses"), "{err}");
}
