//! What `liquidate` and `quote` share: the one query to the market and the amounts computed
//! from its answer with `keel_math::liquidation_amounts`.
use cosmwasm_std::{Decimal256, QuerierWrapper, Uint128};
use keel_math::{liquidation_amounts, LiquidationAmounts, LiquidationInput};
use keel_types::market::{LiquidationContextResponse, QueryMsg as MarketQueryMsg};

use crate::error::ContractError;
use crate::state::Config;

/// Asks the market, in one smart query, for everything needed to price a liquidation.
pub fn query_context(
    querier: &QuerierWrapper,
    config: &Config,
    position_id: u64,
    debt_denom: &str,
    collateral_denom: &str,
) -> Result<LiquidationContextResponse, ContractError> {
    let ctx = querier.query_wasm_smart(
        &config.market,
        &MarketQueryMsg::LiquidationContext {
            position_id,
            debt_denom: debt_denom.to_string(),
            collateral_denom: collateral_denom.to_string(),
        },
    )?;
    Ok(ctx)
}

/// The amounts for a repayment offer of `offered`: the liquidator's own close factor and bonus,
/// each capped by the market's maximum, and the market's dust threshold.
pub fn compute_amounts(
    config: &Config,
    ctx: &LiquidationContextResponse,
    offered: Uint128,
) -> Result<LiquidationAmounts, ContractError> {
    let input = LiquidationInput {
        debt_amount: ctx.debt_amount,
        debt_decimals: ctx.debt_decimals,
        debt_price: ctx.debt_price,
        collateral_amount: ctx.collateral_amount,
        collateral_decimals: ctx.collateral_decimals,
        collateral_price: ctx.collateral_price,
        close_factor: config.close_factor.min(ctx.max_close_factor),
        bonus: config.liquidation_bonus.min(ctx.max_liquidation_bonus),
        dust_debt_value: Decimal256::from(ctx.dust_debt_value),
        offered,
    };
    Ok(liquidation_amounts(&input)?)
}
