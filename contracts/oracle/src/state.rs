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
use keel_types::codec::{
    flags, put_decimal, put_str, put_uint, take_decimal, take_str, take_u8, take_uint,
};
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

const MAX_AGE_OVERRIDE: u8 = 1;
const MAX_DEVIATION_OVERRIDE: u8 = 2;
const ACCEPTED: u8 = 4;
const PENDING: u8 = 8;

const FEED: u8 = 0;
const TWAP: u8 = 1;
const FIXED: u8 = 2;

/// The denom records, binary (`keel_types::codec`): `flags:u8` (max_age override 1,
/// max_deviation override 2, accepted 4, pending 8), `n:u8` sources (`0` feed, `1` twap, `2` and
/// a price: fixed), the overrides when set, the global `max_age`, `max_deviation` and
/// `twap_window`, the accepted `price time` and the pending `price feeder time` when set, then
/// the TWAP ring in [`twap::encode`]'s form. Integers are `uint`s, prices their atomics as `uint`s,
/// parameters `keel_types::codec::put_decimal`'s round form, the feeder its address as text.
pub struct DenomStore {
    keys: Map<&'static str, Empty>,
}

fn corrupt(denom: &str) -> StdError {
    StdError::generic_err(format!("corrupt price record of {denom}"))
}

fn put_price(out: &mut Vec<u8>, price: Decimal) {
    put_uint(out, &price.atomics().u128().to_be_bytes());
}

fn take_price(bytes: &mut &[u8]) -> StdResult<Decimal> {
    Ok(Decimal::raw(u128::from_be_bytes(take_uint::<16>(bytes)?)))
}

fn take_u64(bytes: &mut &[u8]) -> StdResult<u64> {
    Ok(u64::from_be_bytes(take_uint::<8>(bytes)?))
}

impl DenomStore {
    pub const fn new(namespace: &'static str) -> Self {
        DenomStore {
            keys: Map::new(namespace),
        }
    }

    fn encode(state: &DenomState) -> StdResult<Vec<u8>> {
        let flags = flags([
            (state.max_age.is_some(), MAX_AGE_OVERRIDE),
            (state.max_deviation.is_some(), MAX_DEVIATION_OVERRIDE),
            (state.accepted.is_some(), ACCEPTED),
            (state.pending.is_some(), PENDING),
        ]);
        let mut out = Vec::with_capacity(64);
        out.push(flags);
        out.push(
            u8::try_from(state.sources.len())
                .map_err(|_| StdError::generic_err("over 255 price sources"))?,
        );
        for source in &state.sources {
            match source {
                PriceSource::Feed {} => out.push(FEED),
                PriceSource::Twap {} => out.push(TWAP),
                PriceSource::Fixed { price } => {
                    out.push(FIXED);
                    put_price(&mut out, *price);
                }
            }
        }
        if let Some(max_age) = state.max_age {
            put_uint(&mut out, &max_age.to_be_bytes());
        }
        if let Some(max_deviation) = state.max_deviation {
            put_decimal(&mut out, max_deviation);
        }
        put_uint(&mut out, &state.params.max_age.to_be_bytes());
        put_decimal(&mut out, state.params.max_deviation);
        put_uint(&mut out, &state.params.twap_window.to_be_bytes());
        if let Some(accepted) = &state.accepted {
            put_price(&mut out, accepted.price);
            put_uint(&mut out, &accepted.time.to_be_bytes());
        }
        if let Some(pending) = &state.pending {
            put_price(&mut out, pending.price);
            put_str(&mut out, pending.feeder.as_str())?;
            put_uint(&mut out, &pending.time.to_be_bytes());
        }
        out.extend_from_slice(&twap::encode(&state.observations));
        Ok(out)
    }

    pub fn decode(denom: &str, mut bytes: &[u8]) -> StdResult<DenomState> {
        let bytes = &mut bytes;
        let read = |bytes: &mut &[u8]| -> StdResult<DenomState> {
            let flags = take_u8(bytes)?;
            let n = take_u8(bytes)?;
            let mut sources = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                sources.push(match take_u8(bytes)? {
                    FEED => PriceSource::Feed {},
                    TWAP => PriceSource::Twap {},
                    FIXED => PriceSource::Fixed {
                        price: take_price(bytes)?,
                    },
                    _ => return Err(corrupt(denom)),
                });
            }
            let max_age = if flags & MAX_AGE_OVERRIDE != 0 {
                Some(take_u64(bytes)?)
            } else {
                None
            };
            let max_deviation = if flags & MAX_DEVIATION_OVERRIDE != 0 {
                Some(take_decimal(bytes)?)
            } else {
                None
            };
            let params = Params {
                max_age: take_u64(bytes)?,
                max_deviation: take_decimal(bytes)?,
                twap_window: take_u64(bytes)?,
            };
            let accepted = if flags & ACCEPTED != 0 {
                Some(Accepted {
                    price: take_price(bytes)?,
                    time: take_u64(bytes)?,
                })
            } else {
                None
            };
            let pending = if flags & PENDING != 0 {
                Some(Pending {
                    price: take_price(bytes)?,
                    feeder: Addr::unchecked(take_str(bytes)?),
                    time: take_u64(bytes)?,
                })
            } else {
                None
            };
            Ok(DenomState {
                sources,
                params,
                max_age,
                max_deviation,
                accepted,
                pending,
                observations: vec![],
            })
        };
        let mut state = read(bytes).map_err(|_| corrupt(denom))?;
        state.observations = twap::decode(bytes).ok_or_else(|| corrupt(denom))?;
        Ok(state)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn state(full: bool) -> DenomState {
        DenomState {
            sources: vec![
                PriceSource::Feed {},
                PriceSource::Twap {},
                PriceSource::Fixed {
                    price: Decimal::percent(150),
                },
            ],
            params: Params {
                max_age: 300,
                max_deviation: Decimal::percent(10),
                twap_window: 1800,
            },
            max_age: full.then_some(60),
            max_deviation: full.then(|| Decimal::permille(25)),
            accepted: full.then(|| Accepted {
                price: Decimal::raw(2_000_123_456_789_000_000_000),
                time: 1_700_000_000,
            }),
            pending: full.then(|| Pending {
                price: Decimal::raw(3_000_000_000_000_000_000_000),
                feeder: Addr::unchecked("cosmwasm1feeder"),
                time: 1_700_000_060,
            }),
            observations: if full {
                vec![
                    Observation {
                        time: 1_699_999_000,
                        price: Decimal::percent(199_900),
                    },
                    Observation {
                        time: 1_700_000_000,
                        price: Decimal::raw(2_000_123_456_789_000_000_000),
                    },
                ]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn denom_records_round_trip_and_refuse_truncation() {
        for full in [false, true] {
            let original = state(full);
            let bytes = DenomStore::encode(&original).unwrap();
            assert_eq!(DenomStore::decode("d", &bytes).unwrap(), original);
            // the header (everything before the ring) is refused at any cut
            let header = bytes.len() - twap::encode(&original.observations).len();
            for cut in 0..header {
                assert!(
                    DenomStore::decode("d", &bytes[..cut]).is_err(),
                    "prefix of {cut} bytes"
                );
            }
        }
        // flags and count 2, three sources 3 (the fixed one's price 9 more), parameters 9
        assert_eq!(
            DenomStore::encode(&state(false)).unwrap().len(),
            2 + 3 + 9 + 9
        );
        assert!(
            DenomStore::decode("d", &[0, 1, 7]).is_err(),
            "unknown source tag"
        );
    }
}
