//! Queries: `config {}` and `quote {..}`.
use cosmwasm_std::{to_json_binary, Binary, Deps, StdError, Uint128};
use keel_types::liquidator::{ConfigResponse, QuoteResponse};
use keel_types::market::QueryMsg as MarketQueryMsg;

use crate::error::ContractError;
use crate::state::Config;

pub fn config(deps: Deps) -> Result<Binary, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let ownership = cw_ownable::get_ownership(deps.storage)?;
    // no message renounces the ownership: there is always an owner
    let owner = ownership
        .owner
        .ok_or_else(|| StdError::not_found("liquidator owner"))?;
    Ok(to_json_binary(&ConfigResponse {
        owner,
        pending_owner: ownership.pending_owner,
        market: config.market,
        close_factor: config.close_factor,
        liquidation_bonus: config.liquidation_bonus,
    })?)
}

/// What `liquidate` would do now with `repay_amount` sent (null: `max_repay`): the market's
/// `liquidation_quote` with this liquidator's close factor and bonus, the computation the
/// market's one-pass `liquidate` settles with. A position that is not liquidatable answers
/// `liquidatable: false` with zero amounts.
pub fn quote(
    deps: Deps,
    position_id: u64,
    debt_denom: String,
    collateral_denom: String,
    repay_amount: Option<Uint128>,
) -> Result<Binary, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let quote: QuoteResponse = deps.querier.query_wasm_smart(
        &config.market,
        &MarketQueryMsg::LiquidationQuote {
            position_id,
            debt_denom,
            collateral_denom,
            close_factor: config.close_factor,
            liquidation_bonus: config.liquidation_bonus,
            repay_amount,
        },
    )?;
    Ok(to_json_binary(&quote)?)
}
