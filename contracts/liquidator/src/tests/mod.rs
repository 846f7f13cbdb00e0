//! Unit tests with the market mocked by `MockQuerier::update_wasm`: it answers
//! `liquidation_quote` with a fixed quote when asked with the liquidator's own factors, failing
//! the query on anything unexpected. The amounts themselves are the market's (tested with the
//! real market in `tests/tests/liquidator.rs` and `tests/tests/liquidation.rs`).
use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Coin, ContractResult, Decimal, Decimal256, OwnedDeps,
    Response, SystemError, SystemResult, Uint128, WasmQuery,
};
use keel_types::liquidator::{ExecuteMsg, InstantiateMsg, QueryMsg, QuoteResponse};
use keel_types::market::QueryMsg as MarketQueryMsg;

use crate::contract::{execute, instantiate, query};
use crate::error::ContractError;

mod admin;
mod liquidate;
mod quote;

pub type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

pub const POSITION: u64 = 7;
pub const MOET: &str = "umoet";
pub const ETH: &str = "weth";

pub fn addr(name: &str) -> Addr {
    MockApi::default().addr_make(name)
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn dec256(s: &str) -> Decimal256 {
    s.parse().unwrap()
}

/// The market's answer to `liquidation_quote` in the mock.
pub fn worked_quote() -> QuoteResponse {
    QuoteResponse {
        liquidatable: true,
        max_repay: Uint128::new(200_000_000),
        repay_amount: Uint128::new(200_000_000),
        collateral_out: Uint128::new(187_272_727_272_727_272),
        bonus_value: dec256("5.9999999999999992"),
        health_before: Some(dec256("0.935")),
        health_after: Some(dec256("0.951")),
    }
}

/// What the mocked market answers: `liquidation_quote` for position `POSITION` with these
/// denoms, answered only when asked with `factors` (the liquidator's close factor and bonus).
#[derive(Clone)]
pub struct MarketMock {
    pub debt_denom: String,
    pub collateral_denom: String,
    pub factors: (Decimal, Decimal),
    pub quote: QuoteResponse,
}

impl MarketMock {
    pub fn new(debt_denom: &str) -> Self {
        MarketMock {
            debt_denom: debt_denom.to_string(),
            collateral_denom: ETH.to_string(),
            factors: (dec("0.2"), dec("0.03")),
            quote: worked_quote(),
        }
    }
}

fn fail(msg: String) -> cosmwasm_std::QuerierResult {
    SystemResult::Err(SystemError::InvalidRequest {
        error: msg,
        request: Default::default(),
    })
}

/// A liquidator with the default factors, instantiated against a mocked market.
pub fn setup(mock: MarketMock) -> Deps {
    setup_with(mock, None, None)
}

pub fn setup_with(
    mock: MarketMock,
    close_factor: Option<Decimal>,
    liquidation_bonus: Option<Decimal>,
) -> Deps {
    let mut deps = mock_dependencies();
    let market = addr("market");
    deps.querier.update_wasm(move |request| {
        let WasmQuery::Smart { contract_addr, msg } = request else {
            return fail(format!("unexpected query {request:?}"));
        };
        if *contract_addr != market.to_string() {
            return fail(format!("query to {contract_addr}, not the market"));
        }
        match from_json::<MarketQueryMsg>(msg) {
            Ok(MarketQueryMsg::LiquidationQuote {
                position_id,
                debt_denom,
                collateral_denom,
                close_factor,
                liquidation_bonus,
                repay_amount: _,
            }) if position_id == POSITION
                && debt_denom == mock.debt_denom
                && collateral_denom == mock.collateral_denom
                && (close_factor, liquidation_bonus) == mock.factors =>
            {
                SystemResult::Ok(ContractResult::Ok(to_json_binary(&mock.quote).unwrap()))
            }
            Ok(MarketQueryMsg::LiquidationQuote { .. }) => SystemResult::Ok(ContractResult::Err(
                "the market refuses this quote".to_string(),
            )),
            other => fail(format!("unexpected market query {other:?}")),
        }
    });
    instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&addr("creator"), &[]),
        InstantiateMsg {
            owner: addr("owner").to_string(),
            market: addr("market").to_string(),
            close_factor,
            liquidation_bonus,
        },
    )
    .unwrap();
    deps
}

pub fn exec(
    deps: &mut Deps,
    sender: &Addr,
    funds: &[Coin],
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    execute(deps.as_mut(), mock_env(), message_info(sender, funds), msg)
}

pub fn query_json<T: serde::de::DeserializeOwned>(deps: &Deps, msg: QueryMsg) -> T {
    from_json(query(deps.as_ref(), mock_env(), msg).unwrap()).unwrap()
}

pub fn attr<'a>(res: &'a Response, key: &str) -> &'a str {
    res.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
        .unwrap_or_else(|| panic!("no attribute {key}"))
}
