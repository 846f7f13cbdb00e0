//! Storage. Keys are one or two bytes and assets are referred to by a `u16` id inside positions,
//! so that the hot records (asset state, positions) stay small: every byte written costs gas.
//!
//! | key | store | content |
//! |---|---|---|
//! | `c` | [`Config`] | the configuration (binary, versioned) |
//! | `ownership` | cw-ownable | owner and pending owner |
//! | `n` | `Item<u64>` | the next position id |
//! | `k` | `Item<u16>` | the number of listed assets |
//! | `a` + id + `i` | [`ASSET_INFO`] | an asset's denom and parameters ([`AssetInfo`]) |
//! | `a` + id + `s` | [`ASSET_STATE`] | an asset's totals and indices ([`AssetState`]) |
//! | `d` + denom | [`DENOM_IDS`] | denom -> asset id |
//! | `p` + id | [`POSITIONS`] | positions ([`Position`]) |
//! | `o` + owner + id | [`OWNER_POSITIONS`] | the owner index |
//! | `t` + id + source | [`TOP_UP_CONSENT`] | top-up consents |
//!
//! Every binary record leads with its format version (`keel_types::record`): a record of an
//! older version is read as such and rewritten in the current one when next saved.
//!
//! An asset's two records sit next to each other under `a` + id, so that a message loads both
//! with one range ([`load_asset`]): a range costs the chain 30 gas a record where a read costs
//! 1,000, and nearly every message loads every asset of the position.
mod asset;
mod config;
mod position;

pub use asset::{AssetInfo, AssetState, StoredPrice};
pub use config::{Config, LegacyOwnership, DEFAULT_REDEMPTION_FEE, DEFAULT_REDEMPTION_HEALTH};
pub use position::{Balance, Position, StoredAutomation, StoredSink};

use std::marker::PhantomData;

use cosmwasm_std::{Empty, Order, StdError, Storage, Uint128};
use cw_storage_plus::{Item, Map};
use keel_types::record::{from_bytes, to_bytes, BinMap, Record, RecordError};

pub type AssetId = u16;
pub type PositionId = u64;

pub const NEXT_POSITION_ID: Item<PositionId> = Item::new("n");
pub const ASSET_COUNT: Item<AssetId> = Item::new("k");
pub const ASSET_INFO: AssetMap<AssetInfo> = AssetMap::new(b'i');
pub const ASSET_STATE: AssetMap<AssetState> = AssetMap::new(b's');
pub const DENOM_IDS: Map<&str, AssetId> = Map::new("d");
pub const POSITIONS: BinMap<PositionId, Position> = BinMap::new("p");
/// Owner index, for the `positions {owner}` query only: the owner's canonical address (20 or 32
/// bytes of key, written once per position, instead of the 43-65 character string).
pub const OWNER_POSITIONS: Map<(&[u8], PositionId), Empty> = Map::new("o");
/// Top-up consent (SPEC 3.5): MOET base units the source (canonical address) still agrees to
/// give position `PositionId`. Absent means none. The owner of a position needs no entry.
pub const TOP_UP_CONSENT: Map<(PositionId, &[u8]), Uint128> = Map::new("t");

/// One of an asset's two records, stored under `a` + id (big-endian) + `suffix`.
pub struct AssetMap<T> {
    suffix: u8,
    record: PhantomData<T>,
}

/// The key prefix of an asset's records.
fn asset_prefix(id: AssetId) -> [u8; 3] {
    let [hi, lo] = id.to_be_bytes();
    [b'a', hi, lo]
}

impl<T: Record> AssetMap<T> {
    pub const fn new(suffix: u8) -> Self {
        AssetMap {
            suffix,
            record: PhantomData,
        }
    }

    pub fn key(&self, id: AssetId) -> [u8; 4] {
        let [a, hi, lo] = asset_prefix(id);
        [a, hi, lo, self.suffix]
    }

    pub fn may_load(&self, storage: &dyn Storage, id: AssetId) -> Result<Option<T>, RecordError> {
        storage
            .get(&self.key(id))
            .map(|bytes| from_bytes(&bytes))
            .transpose()
    }

    pub fn load(&self, storage: &dyn Storage, id: AssetId) -> Result<T, RecordError> {
        self.may_load(storage, id)?
            .ok_or_else(|| StdError::not_found(T::NAME).into())
    }

    pub fn save(
        &self,
        storage: &mut dyn Storage,
        id: AssetId,
        value: &T,
    ) -> Result<(), RecordError> {
        storage.set(&self.key(id), &to_bytes(value)?);
        Ok(())
    }
}

/// Both records of asset `id`, in one range over its prefix (info `i` sorts before state `s`).
pub fn load_asset(
    storage: &dyn Storage,
    id: AssetId,
) -> Result<(AssetInfo, AssetState), RecordError> {
    let prefix = asset_prefix(id);
    let end = [prefix[0], prefix[1], prefix[2], 0xff];
    let mut records = storage.range(Some(&prefix), Some(&end), Order::Ascending);
    match (records.next(), records.next()) {
        (Some((ki, info)), Some((ks, state)))
            if ki == ASSET_INFO.key(id) && ks == ASSET_STATE.key(id) =>
        {
            Ok((from_bytes(&info)?, from_bytes(&state)?))
        }
        _ => Err(StdError::not_found("asset").into()),
    }
}

/// Asset records as they were keyed before: `i` + id and `s` + id. `migrate` moves them.
pub const LEGACY_ASSET_INFO: BinMap<AssetId, AssetInfo> = BinMap::new("i");
pub const LEGACY_ASSET_STATE: BinMap<AssetId, AssetState> = BinMap::new("s");

/// Moves every asset's records from the keys they had before (`i`/`s` + id) to `a` + id. An
/// asset count is small (each a listing by the owner), so one transaction moves them all.
pub fn move_legacy_asset_records(storage: &mut dyn Storage) -> Result<u32, RecordError> {
    let count = ASSET_COUNT.may_load(storage)?.unwrap_or(0);
    let mut moved = 0;
    for id in 0..count {
        if let Some(info) = LEGACY_ASSET_INFO.may_load(storage, id)? {
            ASSET_INFO.save(storage, id, &info)?;
            storage.remove(&LEGACY_ASSET_INFO.key(id));
            moved += 1;
        }
        if let Some(state) = LEGACY_ASSET_STATE.may_load(storage, id)? {
            ASSET_STATE.save(storage, id, &state)?;
            storage.remove(&LEGACY_ASSET_STATE.key(id));
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests;
