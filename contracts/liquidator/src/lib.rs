//! Keel's liquidator (SPEC 4): permissionless partial liquidations of market positions, with a
//! close factor (default 20%) and a bonus (default 3%), each capped by the market's maximum.
//! The amounts come from `keel_math::liquidation_amounts`; the market re-checks and settles them
//! in its `seize`, paying the collateral straight to the liquidator's caller.

pub mod contract;
pub mod error;
pub mod execute;
pub mod liquidation;
pub mod query;
pub mod state;

pub use crate::error::ContractError;

#[cfg(test)]
mod tests;
