//! Keel's pure math: no storage, no environment, only numbers in and numbers out, so every
//! function here can be pinned by property tests.
//!
//! Conventions (SPEC section 1):
//! - amounts are `Uint128` base units of an asset; values are `Decimal256` whole MOET;
//! - prices are `Decimal` MOET per whole token; ratios and rates are `Decimal`;
//! - every conversion states its rounding direction in its name or its doc, and rounding always
//!   favours the protocol.

mod error;
mod exp;
mod fixed;
mod health;
mod interest;
mod liquidation;
mod rate;
mod redemption;
mod scaled;
mod value;

pub use error::MathError;
pub use exp::exp;
pub use health::{
    band, borrow_to_target, compute_health, repay_to_target, Band, CollateralItem, DebtItem,
    Health, HealthBounds,
};
pub use interest::{accrue, AccrualInput, AccrualOutput, SECONDS_PER_YEAR};
pub use liquidation::{liquidation_amounts, LiquidationAmounts, LiquidationInput};
pub use rate::{utilization, RateModel, RatePoint, MAX_RATE};
pub use redemption::{redemption_amounts, RedemptionAmounts, RedemptionInput};
pub use scaled::{
    to_scaled_down, to_scaled_up, to_underlying_down, to_underlying_exact, to_underlying_up, SCALE,
};
pub use value::{amount_for_value_down, amount_for_value_up, value_down, value_up};
