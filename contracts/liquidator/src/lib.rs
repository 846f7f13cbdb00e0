//! Keel's liquidator (SPEC 4): permissionless partial liquidations of market positions, with a
//! close factor (default 20%) and a bonus (default 3%), each capped by the market's maximum.
//! It holds the close factor and bonus and is the market's only entry point for liquidations:
//! it hands the repayment to the market's one-pass `liquidate`, which computes the amounts of
//! SPEC 4 with `keel_math::liquidation_amounts` from its own prices, re-checks and settles them,
//! and pays the collateral and any unused repayment straight to the caller.

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;

pub use crate::error::ContractError;

#[cfg(test)]
mod tests;
