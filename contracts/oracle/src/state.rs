//! Storage. Keys are one-letter namespaces so that every read stays small:
//!
//! | key | type | content |
//! |---|---|---|
//! | `c` | `Item<Config>` | owner, pending owner, global parameters |
//! | `f` + address | `Map<&Addr, Empty>` | the feeders |
//! | `s` + denom | `Map<&str, DenomState>` | sources, overrides, accepted and pending price |
//! | `o` + denom | raw bytes (see [`crate::twap`]) | the TWAP observation ring |
//!
//! A price query reads `c` once, then `s` for each denom, and `o` only when the TWAP may be valid
//! (known from `s` alone).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Empty};
use cw_storage_plus::{Item, Map};
use keel_types::oracle::PriceSource;

pub const CONTRACT_NAME: &str = concat!("crates.io:", env!("CARGO_PKG_NAME"));
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub base_denom: String,
    pub max_age: u64,
    pub max_deviation: Decimal,
    pub twap_window: u64,
}

/// Everything a price query needs about a denom, in one record.
#[cw_serde]
pub struct DenomState {
    pub sources: Vec<PriceSource>,
    /// Override of the global `max_age`.
    pub max_age: Option<u64>,
    /// Override of the global `max_deviation`.
    pub max_deviation: Option<Decimal>,
    /// The current accepted price, `None` until the first accepted push.
    pub accepted: Option<Accepted>,
    /// A deviating push waiting for confirmation.
    pub pending: Option<Pending>,
}

impl DenomState {
    pub fn max_age(&self, config: &Config) -> u64 {
        self.max_age.unwrap_or(config.max_age)
    }

    pub fn max_deviation(&self, config: &Config) -> Decimal {
        self.max_deviation.unwrap_or(config.max_deviation)
    }
}

#[cw_serde]
pub struct Accepted {
    pub price: Decimal,
    /// Block time of the push that was accepted.
    pub time: u64,
    /// Time of the oldest observation kept in the TWAP ring (where the TWAP's coverage starts),
    /// so that a query can tell the TWAP is invalid without reading the ring.
    pub twap_since: u64,
}

#[cw_serde]
pub struct Pending {
    pub price: Decimal,
    pub feeder: Addr,
    /// Block time of the push that made it pending.
    pub time: u64,
}

pub const CONFIG: Item<Config> = Item::new("c");
pub const FEEDERS: Map<&Addr, Empty> = Map::new("f");
pub const DENOMS: Map<&str, DenomState> = Map::new("s");
