//! The liquidator's errors: one variant per failure, naming the position, denom or limit
//! involved (SPEC 5).
use cosmwasm_std::{OverflowError, StdError};
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

    #[error("cannot migrate from contract {stored}: this is {expected}")]
    WrongContract { stored: String, expected: String },

    #[error("cannot migrate from version {stored} down to {new}")]
    CannotDowngrade { stored: String, new: String },
}
