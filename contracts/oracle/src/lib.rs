//! Keel oracle (SPEC section 2): prices of every asset in MOET, pushed by authorised feeders,
//! with a staleness limit, a deviation guard, fallback sources and a TWAP.
//!
//! See `docs/ORACLE.md` for the storage layout and the decisions the spec leaves open.

pub mod contract;
pub mod error;
pub mod execute;
pub mod helpers;
pub mod instantiate;
pub mod migrate;
pub mod queries;
pub mod state;
pub mod twap;

pub use crate::error::ContractError;
