//! Storage. Keys are one-letter namespaces so that every read stays small:
//!
//! | key | type | content |
//! |---|---|---|
//! | `c` | `Item<Config>` | owner, pending owner, global parameters |
//! | `f` + address | `Map<&Addr, Empty>` | the feeders |
//! | `s` + denom | [`DenomStore`] | sources, overrides, accepted and pending price, TWAP ring |
//!
//! A price query or a push reads one record per denom and nothing else: the TWAP ring lives in
//! the denom's record (it holds the window only, see [`crate::twap`]), and so do the global
//! parameters a price needs ([`Params`], copied from the config; `update_config` rewrites every
//! record when they change). A query pays one read per denom, a push one read and one write.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Empty, Order, StdError, StdResult, Storage};
use cw_storage_plus::{Item, Map};
use keel_types::oracle::PriceSource;

use crate::twap::{self, Observation};

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

/// The global parameters a price needs, as the config set them. Each denom's record holds a copy,
/// so that neither a query nor a push reads the config (a read costs 1,000 SDK gas flat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    pub max_age: u64,
    pub max_deviation: Decimal,
    pub twap_window: u64,
}

impl Params {
    pub fn of(config: &Config) -> Self {
        Params {
            max_age: config.max_age,
            max_deviation: config.max_deviation,
            twap_window: config.twap_window,
        }
    }
}

/// Everything a price query needs about a denom, in one record.
#[derive(Clone, Debug, PartialEq)]
pub struct DenomState {
    pub sources: Vec<PriceSource>,
    /// The config's parameters, kept in step by `update_config`.
    pub params: Params,
    /// Override of the global `max_age`.
    pub max_age: Option<u64>,
    /// Override of the global `max_deviation`.
    pub max_deviation: Option<Decimal>,
    /// The current accepted price, `None` until the first accepted push.
    pub accepted: Option<Accepted>,
    /// A deviating push waiting for confirmation.
    pub pending: Option<Pending>,
    /// The TWAP observations, oldest first.
    pub observations: Vec<Observation>,
}

impl DenomState {
    pub fn max_age(&self) -> u64 {
        self.max_age.unwrap_or(self.params.max_age)
    }

    pub fn max_deviation(&self) -> Decimal {
        self.max_deviation.unwrap_or(self.params.max_deviation)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub price: Decimal,
    /// Block time of the push that was accepted.
    pub time: u64,
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
pub const DENOMS: DenomStore = DenomStore::new("s");

/// The JSON part of a denom's record, as an array without field names: `[sources, max_age,
/// max_deviation, [price, time] | null, [price, feeder, time] | null, [global max_age,
/// global max_deviation, twap_window]]`.
type StoredDenomJson = (
    Vec<PriceSource>,
    Option<u64>,
    Option<Decimal>,
    Option<(Decimal, u64)>,
    Option<(Decimal, Addr, u64)>,
    (u64, Decimal, u64),
);

/// The denom records: `json_len:u16be json ring`, the ring in [`twap::encode`]'s binary form.
pub struct DenomStore {
    keys: Map<&'static str, Empty>,
}

fn corrupt(denom: &str) -> StdError {
    StdError::generic_err(format!("corrupt price record of {denom}"))
}

impl DenomStore {
    pub const fn new(namespace: &'static str) -> Self {
        DenomStore {
            keys: Map::new(namespace),
        }
    }

    fn encode(state: &DenomState) -> StdResult<Vec<u8>> {
        let json: StoredDenomJson = (
            state.sources.clone(),
            state.max_age,
            state.max_deviation,
            state.accepted.map(|a| (a.price, a.time)),
            state
                .pending
                .as_ref()
                .map(|p| (p.price, p.feeder.clone(), p.time)),
            (
                state.params.max_age,
                state.params.max_deviation,
                state.params.twap_window,
            ),
        );
        let json = cosmwasm_std::to_json_vec(&json)?;
        let len = u16::try_from(json.len())
            .map_err(|_| StdError::generic_err("price record over 64 KiB"))?;
        let mut out = len.to_be_bytes().to_vec();
        out.extend_from_slice(&json);
        out.extend_from_slice(&twap::encode(&state.observations));
        Ok(out)
    }

    fn decode(denom: &str, bytes: &[u8]) -> StdResult<DenomState> {
        let (len, rest) = bytes
            .split_first_chunk::<2>()
            .ok_or_else(|| corrupt(denom))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return Err(corrupt(denom));
        }
        let (json, ring) = rest.split_at(len);
        let (sources, max_age, max_deviation, accepted, pending, params): StoredDenomJson =
            cosmwasm_std::from_json(json)?;
        let (global_max_age, global_max_deviation, twap_window) = params;
        Ok(DenomState {
            sources,
            params: Params {
                max_age: global_max_age,
                max_deviation: global_max_deviation,
                twap_window,
            },
            max_age,
            max_deviation,
            accepted: accepted.map(|(price, time)| Accepted { price, time }),
            pending: pending.map(|(price, feeder, time)| Pending {
                price,
                feeder,
                time,
            }),
            observations: twap::decode(ring).ok_or_else(|| corrupt(denom))?,
        })
    }

    pub fn may_load(&self, storage: &dyn Storage, denom: &str) -> StdResult<Option<DenomState>> {
        storage
            .get(&self.keys.key(denom))
            .map(|bytes| Self::decode(denom, &bytes))
            .transpose()
    }

    pub fn save(
        &self,
        storage: &mut dyn Storage,
        denom: &str,
        state: &DenomState,
    ) -> StdResult<()> {
        storage.set(&self.keys.key(denom), &Self::encode(state)?);
        Ok(())
    }

    /// Denoms after `start_after`, ascending.
    pub fn range<'a>(
        &self,
        storage: &'a dyn Storage,
        start_after: Option<&str>,
    ) -> impl Iterator<Item = StdResult<(String, DenomState)>> + 'a {
        let prefix = self.keys.key("").to_vec();
        let start = match start_after {
            // the smallest key after `start_after`
            Some(denom) => [&*self.keys.key(denom), &[0u8][..]].concat(),
            None => prefix.clone(),
        };
        let mut end = prefix.clone();
        if let Some(last) = end.last_mut() {
            *last = last.saturating_add(1);
        }
        let denom_at = prefix.len();
        storage
            .range(Some(&start), Some(&end), Order::Ascending)
            .map(move |(key, value)| {
                let denom = key
                    .get(denom_at..)
                    .and_then(|d| std::str::from_utf8(d).ok())
                    .ok_or_else(|| StdError::generic_err("corrupt price record key"))?
                    .to_string();
                let state = Self::decode(&denom, &value)?;
                Ok((denom, state))
            })
    }
}
