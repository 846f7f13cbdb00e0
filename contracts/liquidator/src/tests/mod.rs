//! Unit tests with the market mocked by `MockQuerier::update_wasm`: it answers
//! `liquidation_context` with a fixed context and `simulate` with a fixed position, failing the
//! query on anything unexpected.
use cosmwasm_std::testing::{
    message_info, mock_dependencies, mock_env, MockApi, MockQuerier, MockStorage,
};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Coin, ContractResult, Decimal, Decimal256, OwnedDeps,
    Response, SystemError, SystemResult, Uint128, WasmQuery,
};
use keel_types::liquidator::{ExecuteMsg, InstantiateMsg, QueryMsg};
use keel_types::market::{
    LiquidationContextResponse, PositionResponse, QueryMsg as MarketQueryMsg, SimulateAction,
};

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

/// The worked example: 1000 MOET (6 decimals, price 1) of debt against 1 ETH (18 decimals) at
/// 1100; market caps 0.5 / 0.15, dust 10 MOET.
pub fn worked_context() -> LiquidationContextResponse {
    LiquidationContextResponse {
        liquidatable: true,
        liquidation_health_factor: Some(dec256("0.935")),
        debt_amount: Uint128::new(1_000_000_000),
        debt_decimals: 6,
        debt_price: Decimal::one(),
        collateral_amount: Uint128::new(1_000_000_000_000_000_000),
        collateral_decimals: 18,
        collateral_price: dec("1100"),
        dust_debt_value: dec("10"),
        max_close_factor: dec("0.5"),
        max_liquidation_bonus: dec("0.15"),
    }
}

/// What the mocked market answers.
#[derive(Clone)]
pub struct MarketMock {
    pub debt_denom: String,
    pub collateral_denom: String,
    pub context: LiquidationContextResponse,
    /// `simulate` answers `.1` only when asked exactly `.0`.
    pub simulate: Option<(Vec<SimulateAction>, PositionResponse)>,
}

impl MarketMock {
    pub fn new(debt_denom: &str, context: LiquidationContextResponse) -> Self {
        MarketMock {
            debt_denom: debt_denom.to_string(),
            collateral_denom: ETH.to_string(),
            context,
            simulate: None,
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
            Ok(MarketQueryMsg::LiquidationContext {
                position_id,
                debt_denom,
                collateral_denom,
            }) if position_id == POSITION
                && debt_denom == mock.debt_denom
                && collateral_denom == mock.collateral_denom =>
            {
                SystemResult::Ok(ContractResult::Ok(to_json_binary(&mock.context).unwrap()))
            }
            Ok(MarketQueryMsg::Simulate {
                position_id,
                actions,
            }) if position_id == POSITION => match &mock.simulate {
                Some((expected, answer)) if *expected == actions => {
                    SystemResult::Ok(ContractResult::Ok(to_json_binary(answer).unwrap()))
                }
                _ => SystemResult::Ok(ContractResult::Err(format!(
                    "unexpected simulate actions {actions:?}"
                ))),
            },
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
