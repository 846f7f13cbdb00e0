use cosmwasm_std::{ConversionOverflowError, DivideByZeroError, OverflowError, StdError};
use keel_types::record::RecordError;
use thiserror::Error;

/// Every way an oracle message can fail, naming the denom, address or limit involved.
#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Record(#[from] RecordError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    DivideByZero(#[from] DivideByZeroError),

    #[error("{0}")]
    ConversionOverflow(#[from] ConversionOverflowError),

    #[error("Unauthorized: {sender} is not the owner")]
    Unauthorized { sender: String },

    #[error("Unauthorized: {sender} is not a feeder")]
    NotFeeder { sender: String },

    #[error("Unauthorized: {sender} is not the pending owner")]
    NotPendingOwner { sender: String },

    #[error("No ownership transfer is pending")]
    NoPendingOwner {},

    #[error("Unexpected funds: {reason}")]
    UnexpectedFunds { reason: String },

    #[error("No price sources for {denom}: pushes for it are rejected")]
    NoSources { denom: String },

    #[error("Invalid price for {denom}: prices must be greater than zero")]
    InvalidPrice { denom: String },

    #[error("Price unavailable for {denom}: no valid source")]
    PriceUnavailable { denom: String },

    #[error("Invalid price sources for {denom}: {reason}")]
    InvalidSources { denom: String, reason: String },

    #[error("Invalid config: {reason}")]
    InvalidConfig { reason: String },

    #[error("Too many pending prices for {denom}: at most {max} feeders may hold one at once")]
    TooManyPending { denom: String, max: usize },

    #[error("Empty push: no prices given")]
    EmptyPush {},

    #[error("Corrupt TWAP observations for {denom}")]
    CorruptObservations { denom: String },

    #[error("Cannot migrate from contract {found}: this is {expected}")]
    WrongContract { expected: String, found: String },

    #[error("Cannot migrate from version {stored} down to {new}")]
    Downgrade { stored: String, new: String },
}
