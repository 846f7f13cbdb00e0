//! Storage. Keys are one-letter namespaces so that every read stays small:
//!
//! | key | type | content |
//! |---|---|---|
//! | `c` | `Item<Config>` | owner, pending owner, global parameters |
//! | `f` + address | `Map<&Addr, Empty>` | the feeders |
//! | `s` + denom | [`DenomStore`] | sources, overrides, accepted and pending prices, TWAP ring |
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
    /// Deviating pushes waiting for confirmation: at most one per feeder, in the order their
    /// feeders first held one (bounded by `execute::push::MAX_PENDING`).
    pub pending: Vec<Pending>,
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

    /// The deviation guard's reference in the block at `height` and time `now`: the accepted
    /// price as it stood when the block began, or, once a price was accepted in this block, the
    /// reference that acceptance recorded. `None` when there is no accepted price or it is stale
    /// (the next push is accepted at once and becomes the reference).
    pub fn reference(&self, now: u64, height: u64) -> Option<Decimal> {
        let accepted = self.accepted.as_ref()?;
        if accepted.height == height {
            return Some(accepted.reference);
        }
        // Accepted in an earlier block: it is the price as the block began.
        (now.saturating_sub(accepted.time) <= self.max_age()).then_some(accepted.price)
    }

    /// Whether some feeder holds a pending price that has not expired (`max_age`).
    pub fn has_pending(&self, now: u64) -> bool {
        let max_age = self.max_age();
        self.pending
            .iter()
            .any(|pending| now.saturating_sub(pending.time) <= max_age)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub price: Decimal,
    /// Block time of the push that was accepted.
    pub time: u64,
    /// Block height of that push.
    pub height: u64,
    /// The deviation guard's reference for the rest of block `height`: the price accepted before
    /// that block when it was fresh, else the first price accepted in the block, or the last one
    /// accepted there by confirmation. Meaningless once the block is over.
    pub reference: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub price: Decimal,
    pub feeder: Addr,
    /// Block time of the push that made it pending (kept while the feeder's later pushes stay
    /// within `max_deviation` of its pending price).
    pub time: u64,
}

pub const CONFIG: Item<Config> = Item::new("c");
pub const FEEDERS: Map<&Addr, Empty> = Map::new("f");
pub const DENOMS: DenomStore = DenomStore::new("s");

const MAX_AGE_OVERRIDE: u8 = 1;
const MAX_DEVIATION_OVERRIDE: u8 = 2;
/// Records of version 0.1.0: the accepted `price time`, read as accepted before block 1.
const LEGACY_ACCEPTED: u8 = 4;
/// Records of version 0.1.0: one pending `price feeder time`.
const LEGACY_PENDING: u8 = 8;
const ACCEPTED: u8 = 16;
const PENDING: u8 = 32;

const FEED: u8 = 0;
const TWAP: u8 = 1;
const FIXED: u8 = 2;

/// The denom records, binary (`keel_types::codec`): `flags:u8` (max_age override 1,
/// max_deviation override 2, accepted 16, pending 32), `n:u8` sources (`0` feed, `1` twap, `2` and
/// a price: fixed), the overrides when set, the global `max_age`, `max_deviation` and
/// `twap_window`, the accepted `price time height reference` when set, the pending prices as
/// `count:u8` and per feeder `price feeder time` when any, then the TWAP ring in
/// [`twap::encode`]'s form. Integers are `uint`s, prices their atomics as `uint`s, parameters
/// `keel_types::codec::put_decimal`'s round form, the feeder its address as text.
///
/// Flags 4 and 8 are never written: they mark records of version 0.1.0 (accepted `price time`;
/// one pending `price feeder time`), which still decode (the accepted price as of an earlier block,
/// the pending price as a list of one).
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

fn put_pending(out: &mut Vec<u8>, pending: &Pending) -> StdResult<()> {
    put_price(out, pending.price);
    put_str(out, pending.feeder.as_str())?;
    put_uint(out, &pending.time.to_be_bytes());
    Ok(())
}

fn take_pending(bytes: &mut &[u8]) -> StdResult<Pending> {
    Ok(Pending {
        price: take_price(bytes)?,
        feeder: Addr::unchecked(take_str(bytes)?),
        time: take_u64(bytes)?,
    })
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
            (!state.pending.is_empty(), PENDING),
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
            put_uint(&mut out, &accepted.height.to_be_bytes());
            put_price(&mut out, accepted.reference);
        }
        if !state.pending.is_empty() {
            out.push(
                u8::try_from(state.pending.len())
                    .map_err(|_| StdError::generic_err("over 255 pending prices"))?,
            );
            for pending in &state.pending {
                put_pending(&mut out, pending)?;
            }
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
            let accepted = match (flags & LEGACY_ACCEPTED != 0, flags & ACCEPTED != 0) {
                (false, false) => None,
                (true, false) => {
                    let price = take_price(bytes)?;
                    Some(Accepted {
                        price,
                        time: take_u64(bytes)?,
                        height: 0,
                        reference: price,
                    })
                }
                (false, true) => Some(Accepted {
                    price: take_price(bytes)?,
                    time: take_u64(bytes)?,
                    height: take_u64(bytes)?,
                    reference: take_price(bytes)?,
                }),
                (true, true) => return Err(corrupt(denom)),
            };
            let pending = match (flags & LEGACY_PENDING != 0, flags & PENDING != 0) {
                (false, false) => vec![],
                (true, false) => vec![take_pending(bytes)?],
                (false, true) => {
                    let count = take_u8(bytes)?;
                    let mut pending = Vec::with_capacity(usize::from(count));
                    for _ in 0..count {
                        pending.push(take_pending(bytes)?);
                    }
                    pending
                }
                (true, true) => return Err(corrupt(denom)),
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

    fn pending(feeder: &str, price: u128, time: u64) -> Pending {
        Pending {
            price: Decimal::raw(price),
            feeder: Addr::unchecked(feeder),
            time,
        }
    }

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
                height: 12_345_678,
                reference: Decimal::raw(1_999_000_000_000_000_000_000),
            }),
            pending: if full {
                vec![
                    pending(
                        "cosmwasm1feeder",
                        3_000_000_000_000_000_000_000,
                        1_700_000_060,
                    ),
                    pending(
                        "cosmwasm1other",
                        2_900_000_000_000_000_000_000,
                        1_700_000_070,
                    ),
                ]
            } else {
                vec![]
            },
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

    #[test]
    fn accepted_price_stores_its_block_height_and_reference() {
        let mut with = state(false);
        let without = DenomStore::encode(&with).unwrap().len();
        with.accepted = Some(Accepted {
            price: Decimal::raw(2_000_123_456_789_000_000_000),
            time: 1_700_000_000,
            height: 12_345_678,
            reference: Decimal::raw(1_999_000_000_000_000_000_000),
        });
        // price 1 + 9, time 1 + 4, then the height 1 + 3 and the reference 1 + 9
        assert_eq!(
            DenomStore::encode(&with).unwrap().len() - without,
            10 + 5 + 4 + 10
        );
    }

    /// Version 0.1.0 wrote the accepted price without its block and at most one pending price.
    #[test]
    fn records_of_version_0_1_0_still_decode() {
        let legacy = |accepted: bool, held: bool| {
            let mut out = vec![
                flags([(accepted, LEGACY_ACCEPTED), (held, LEGACY_PENDING)]),
                1,
                FEED,
            ];
            put_uint(&mut out, &300u64.to_be_bytes());
            put_decimal(&mut out, Decimal::percent(10));
            put_uint(&mut out, &1800u64.to_be_bytes());
            if accepted {
                put_price(&mut out, Decimal::percent(10_000));
                put_uint(&mut out, &1_000u64.to_be_bytes());
            }
            if held {
                put_pending(&mut out, &pending("f", 150_000_000_000_000_000_000, 1_010)).unwrap();
            }
            out
        };
        let state = DenomStore::decode("d", &legacy(true, true)).unwrap();
        assert_eq!(
            state.accepted,
            Some(Accepted {
                price: Decimal::percent(10_000),
                time: 1_000,
                height: 0,
                reference: Decimal::percent(10_000),
            })
        );
        assert_eq!(
            state.pending,
            vec![pending("f", 150_000_000_000_000_000_000, 1_010)]
        );
        // as of block 0: in any later block the reference is the accepted price while fresh
        assert_eq!(state.reference(1_100, 7), Some(Decimal::percent(10_000)));
        assert_eq!(state.reference(1_301, 7), None);
        let empty = DenomStore::decode("d", &legacy(false, false)).unwrap();
        assert_eq!((empty.accepted, empty.pending), (None, vec![]));
        // rewritten in the current layout, it reads back the same
        let rewritten = DenomStore::encode(&state).unwrap();
        assert_eq!(rewritten.first().copied(), Some(ACCEPTED | PENDING));
        assert_eq!(DenomStore::decode("d", &rewritten).unwrap(), state);
        // a record cannot hold both forms
        let mut both = legacy(true, false);
        if let Some(flags) = both.first_mut() {
            *flags |= ACCEPTED;
        }
        assert!(DenomStore::decode("d", &both).is_err());
    }

    #[test]
    fn reference_is_the_price_as_the_block_began_or_the_one_recorded_in_it() {
        let mut state = state(false);
        assert_eq!(state.reference(1_000, 10), None, "no accepted price");
        state.accepted = Some(Accepted {
            price: Decimal::percent(11_000),
            time: 1_000,
            height: 10,
            reference: Decimal::percent(10_000),
        });
        // in the block of the acceptance: the recorded reference
        assert_eq!(state.reference(1_000, 10), Some(Decimal::percent(10_000)));
        // in later blocks: the accepted price while fresh (300 s), then none
        assert_eq!(state.reference(1_005, 11), Some(Decimal::percent(11_000)));
        assert_eq!(state.reference(1_300, 70), Some(Decimal::percent(11_000)));
        assert_eq!(state.reference(1_301, 71), None);
    }

    #[test]
    fn pending_answers_ignore_expired_pending_prices() {
        let mut state = state(false);
        assert!(!state.has_pending(0));
        state.pending = vec![pending("a", 1, 1_000), pending("b", 1, 1_100)];
        assert!(state.has_pending(1_400));
        assert!(!state.has_pending(1_401), "both older than max_age");
    }

    mod props {
        use super::*;
        use proptest::collection::vec;
        use proptest::option;
        use proptest::prelude::*;

        fn decimal() -> impl Strategy<Value = Decimal> {
            any::<u128>().prop_map(Decimal::raw)
        }

        fn source() -> impl Strategy<Value = PriceSource> {
            prop_oneof![
                Just(PriceSource::Feed {}),
                Just(PriceSource::Twap {}),
                decimal().prop_map(|price| PriceSource::Fixed { price }),
            ]
        }

        fn accepted() -> impl Strategy<Value = Accepted> {
            (decimal(), any::<u64>(), any::<u64>(), decimal()).prop_map(
                |(price, time, height, reference)| Accepted {
                    price,
                    time,
                    height,
                    reference,
                },
            )
        }

        fn pending() -> impl Strategy<Value = Pending> {
            (decimal(), "[a-z0-9]{1,90}", any::<u64>()).prop_map(|(price, feeder, time)| Pending {
                price,
                feeder: Addr::unchecked(feeder),
                time,
            })
        }

        /// Observations as the ring holds them: increasing times, gaps under 2^32 s.
        fn observations() -> impl Strategy<Value = Vec<Observation>> {
            (any::<u32>(), vec((1..u32::MAX, decimal()), 0..8)).prop_map(|(start, steps)| {
                let mut time = u64::from(start);
                steps
                    .into_iter()
                    .map(|(gap, price)| {
                        time += u64::from(gap);
                        Observation { time, price }
                    })
                    .collect()
            })
        }

        fn denom_state() -> impl Strategy<Value = DenomState> {
            (
                vec(source(), 0..4),
                (any::<u64>(), decimal(), any::<u64>()),
                (option::of(any::<u64>()), option::of(decimal())),
                option::of(accepted()),
                vec(pending(), 0..10),
                observations(),
            )
                .prop_map(
                    |(
                        sources,
                        (max_age, max_deviation, twap_window),
                        overrides,
                        accepted,
                        pending,
                        observations,
                    )| {
                        DenomState {
                            sources,
                            params: Params {
                                max_age,
                                max_deviation,
                                twap_window,
                            },
                            max_age: overrides.0,
                            max_deviation: overrides.1,
                            accepted,
                            pending,
                            observations,
                        }
                    },
                )
        }

        proptest! {
            #[test]
            fn any_denom_record_round_trips(state in denom_state()) {
                let bytes = DenomStore::encode(&state).unwrap();
                prop_assert_eq!(DenomStore::decode("d", &bytes).unwrap(), state);
            }

            /// Whatever the bytes, the decoder returns a record or an error: it never panics.
            #[test]
            fn no_bytes_make_the_decoder_panic(bytes in vec(any::<u8>(), 0..400)) {
                let _ = DenomStore::decode("d", &bytes);
            }

            /// Corrupting one byte of a valid record decodes to something or fails, never panics.
            #[test]
            fn no_corrupted_record_makes_the_decoder_panic(
                state in denom_state(),
                at in any::<prop::sample::Index>(),
                byte in any::<u8>(),
            ) {
                let mut bytes = DenomStore::encode(&state).unwrap();
                let at = at.index(bytes.len());
                bytes[at] = byte;
                let _ = DenomStore::decode("d", &bytes);
            }
        }
    }
}
