//! Queries: `config {}` and `quote {..}`.
use cosmwasm_std::{to_json_binary, Binary, Decimal256, Deps, StdError, Uint128};
use keel_math::{value_down, value_up};
use keel_types::liquidator::{ConfigResponse, QuoteResponse};
use keel_types::market::{PositionResponse, QueryMsg as MarketQueryMsg, SimulateAction};

use crate::error::ContractError;
use crate::liquidation::{compute_amounts, query_context};
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

/// What `liquidate` would do now with `repay_amount` sent (null: `max_repay`). A position that
/// is not liquidatable answers `liquidatable: false` with zero amounts.
pub fn quote(
    deps: Deps,
    position_id: u64,
    debt_denom: String,
    collateral_denom: String,
    repay_amount: Option<Uint128>,
) -> Result<Binary, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let ctx = query_context(
        &deps.querier,
        &config,
        position_id,
        &debt_denom,
        &collateral_denom,
    )?;
    let health_before = ctx.liquidation_health_factor;
    if !ctx.liquidatable {
        return Ok(to_json_binary(&QuoteResponse {
            liquidatable: false,
            max_repay: Uint128::zero(),
            repay_amount: Uint128::zero(),
            collateral_out: Uint128::zero(),
            bonus_value: Decimal256::zero(),
            health_before,
            health_after: health_before,
        })?);
    }

    // `max_repay` first (an offer of `max_repay` repays `max_repay`), then the asked amount.
    let at_max = compute_amounts(&config, &ctx, ctx.debt_amount)?;
    let offered = repay_amount.unwrap_or(at_max.max_repay);
    let amounts = compute_amounts(&config, &ctx, offered)?;

    let collateral_value =
        value_down(amounts.seize, ctx.collateral_decimals, ctx.collateral_price)?;
    let repay_value = value_up(amounts.repay, ctx.debt_decimals, ctx.debt_price)?;
    let bonus_value = collateral_value.saturating_sub(repay_value);

    let mut actions = Vec::with_capacity(2);
    if !amounts.repay.is_zero() {
        actions.push(SimulateAction::Repay {
            denom: debt_denom,
            amount: amounts.repay,
        });
    }
    if !amounts.seize.is_zero() {
        actions.push(SimulateAction::Withdraw {
            denom: collateral_denom,
            amount: amounts.seize,
        });
    }
    let health_after = if actions.is_empty() {
        health_before
    } else {
        let after: PositionResponse = deps.querier.query_wasm_smart(
            &config.market,
            &MarketQueryMsg::Simulate {
                position_id,
                actions,
            },
        )?;
        after.health.and_then(|h| h.liquidation_health_factor)
    };

    Ok(to_json_binary(&QuoteResponse {
        liquidatable: true,
        max_repay: amounts.max_repay,
        repay_amount: amounts.repay,
        collateral_out: amounts.seize,
        bonus_value,
        health_before,
        health_after,
    })?)
}
