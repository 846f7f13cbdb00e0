//! Keel's public message and response types: the JSON interface of the market, the oracle and
//! the liquidator (SPEC sections 2-4). Contracts, tests and off-chain clients share these.

pub mod codec;
pub mod liquidator;
pub mod market;
pub mod oracle;
pub mod record;

pub use keel_math::{Band, HealthBounds, RateModel, RatePoint};
