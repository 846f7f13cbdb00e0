//! The liquidator's errors: one variant per failure, naming the position, denom or limit
//! involved (SPEC 5).
use cosmwasm_std::{OverflowError, StdError, Uint128};
use keel_math::MathError;
use keel_types::record::RecordError;
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Record(#[from] RecordError),

    #[error("math: {0}")]
    Math(#[from] MathError),

    #[error("arithmetic: {0}")]
    Overflow(#[from] OverflowError),

    #[error("unauthorized")]
    Unauthorized,

    #[error("no ownership transfer is pending")]
    NoPendingOwner,

    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },

    #[error("no funds: attach the repayment (exactly one coin of the debt denom) or send it through cw20 `send`")]
    NoFunds,

    #[error("zero amount of {denom}")]
    ZeroAmount { denom: String },

    #[error("wrong funds: {reason}")]
    WrongFunds { reason: String },

    #[error("position {position_id} is not liquidatable")]
    NotLiquidatable { position_id: u64 },

    #[error("position {position_id}: nothing to repay in this debt denom (repay amount is zero)")]
    ZeroRepay { position_id: u64 },

    #[error("position {position_id}: the repayment buys no collateral (collateral out is zero)")]
    ZeroCollateralOut { position_id: u64 },

    #[error("slippage: collateral out {collateral_out} is below min_collateral_out {min_collateral_out}")]
    SlippageExceeded {
        collateral_out: Uint128,
        min_collateral_out: Uint128,
    },

    #[error("cannot migrate from contract {stored}: this is {expected}")]
    WrongContract { stored: String, expected: String },

    #[error("cannot migrate from version {stored} down to {new}")]
    CannotDowngrade { stored: String, new: String },
}
