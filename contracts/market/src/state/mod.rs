//! Storage. Keys are one or two bytes and assets are referred to by a `u16` id inside positions,
//! so that the hot records (asset state, positions) stay small: every byte written costs gas.
//!
//! | key | store | content |
//! |---|---|---|
//! | `c` | [`Config`] | the configuration (binary, versioned) |
//! | `ownership` | cw-ownable | owner and pending owner |
//! | `n` | `Item<u64>` | the next position id |
//! | `k` | `Item<u16>` | the number of listed assets |
//! | `i` + id | [`ASSET_INFO`] | an asset's denom and parameters ([`AssetInfo`]) |
//! | `s` + id | [`ASSET_STATE`] | an asset's totals and indices ([`AssetState`]) |
//! | `d` + denom | [`DENOM_IDS`] | denom -> asset id |
//! | `p` + id | [`POSITIONS`] | positions ([`Position`]) |
//! | `o` + owner + id | [`OWNER_POSITIONS`] | the owner index |
//! | `t` + id + source | [`TOP_UP_CONSENT`] | top-up consents |
//!
//! Every binary record leads with its format version (`keel_types::record`): a record of an
//! older version is read as such and rewritten in the current one when next saved.
mod asset;
mod config;
mod position;

pub use asset::{AssetInfo, AssetState, StoredPrice};
pub use config::{Config, LegacyOwnership, DEFAULT_REDEMPTION_FEE, DEFAULT_REDEMPTION_HEALTH};
pub use position::{Balance, Position, StoredAutomation, StoredSink};

use cosmwasm_std::{Empty, Uint128};
use cw_storage_plus::{Item, Map};
use keel_types::record::BinMap;

pub type AssetId = u16;
pub type PositionId = u64;

pub const NEXT_POSITION_ID: Item<PositionId> = Item::new("n");
pub const ASSET_COUNT: Item<AssetId> = Item::new("k");
pub const ASSET_INFO: BinMap<AssetId, AssetInfo> = BinMap::new("i");
pub const ASSET_STATE: BinMap<AssetId, AssetState> = BinMap::new("s");
pub const DENOM_IDS: Map<&str, AssetId> = Map::new("d");
pub const POSITIONS: BinMap<PositionId, Position> = BinMap::new("p");
/// Owner index, for the `positions {owner}` query only: the owner's canonical address (20 or 32
/// bytes of key, written once per position, instead of the 43-65 character string).
pub const OWNER_POSITIONS: Map<(&[u8], PositionId), Empty> = Map::new("o");
/// Top-up consent (SPEC 3.5): MOET base units the source (canonical address) still agrees to
/// give position `PositionId`. Absent means none. The owner of a position needs no entry.
pub const TOP_UP_CONSENT: Map<(PositionId, &[u8]), Uint128> = Map::new("t");

#[cfg(test)]
mod tests;
