//! Keel market: positions, per-asset scaled balances and interest indices, health, automation,
//! liquidation settlement and bad debt (SPEC section 3).
pub mod assets;
pub mod contract;
pub mod error;
pub mod execute;
pub mod position;
pub mod prices;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
