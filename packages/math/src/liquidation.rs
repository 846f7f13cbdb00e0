//! Liquidation amounts, SPEC 4:
//! ```text
//! max_repay = debt                     if the debt left after a close-factor repay would be dust
//!           = floor(debt * close_factor) otherwise
//! repay     = min(sent, max_repay)
//! seize     = floor(repay * p_debt * (1 + bonus) / p_coll)   (token units, via decimals)
//! if seize > collateral: seize = collateral,
//!                        repay = ceil(collateral * p_coll / (p_debt * (1 + bonus)))
//! ```
use cosmwasm_std::{Decimal, Decimal256, Uint128};

use crate::MathError;

#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationInput {
    /// The position's debt in `debt` asset base units (rounded up, as the market reports it).
    pub debt_amount: Uint128,
    pub debt_decimals: u8,
    pub debt_price: Decimal,
    /// The position's collateral in the seized asset (rounded down, as the market reports it).
    pub collateral_amount: Uint128,
    pub collateral_decimals: u8,
    pub collateral_price: Decimal,
    pub close_factor: Decimal,
    pub bonus: Decimal,
    /// A debt whose remaining value (plain value, `value_up`, no borrow factor) would be below
    /// this after a close-factor repay may be repaid in full.
    pub dust_debt_value: Decimal256,
    /// What the liquidator offers to repay (`sent`).
    pub offered: Uint128,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationAmounts {
    pub max_repay: Uint128,
    /// Never above `offered` nor `max_repay`.
    pub repay: Uint128,
    /// Collateral paid out for `repay`, never above `collateral_amount`.
    pub seize: Uint128,
}

/// Computes the amounts above. Zero amounts are returned as zero, not as errors: callers decide.
pub fn liquidation_amounts(input: &LiquidationInput) -> Result<LiquidationAmounts, MathError> {
    todo!("{input:?}")
}
