//! Storage: the config under key `c`, a versioned binary record (`keel_types::record`) read by
//! every liquidation and quote (every byte read costs 3 SDK gas, and a bech32 address is twice
//! its canonical bytes), and cw-ownable's record (key `ownership`) of the owner and pending
//! owner, read by the owner's messages and the `config` query only.
use cosmwasm_std::{Addr, Api, CanonicalAddr, Decimal, StdError, StdResult, Storage};
use keel_types::codec::{corrupt, put_bytes, put_decimal, take, take_canonical, take_decimal};
use keel_types::record::{from_bytes, to_bytes, unframe, Record, RecordError};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub market: Addr,
    /// Share of a debt one liquidation may repay (capped by the market's `max_close_factor`).
    pub close_factor: Decimal,
    /// Bonus paid in collateral on top of the repaid value (capped by the market's
    /// `max_liquidation_bonus`).
    pub liquidation_bonus: Decimal,
}

/// The owner fields of a version-0 config record, which held them before cw-ownable did.
#[derive(Clone, Debug, PartialEq)]
pub struct LegacyOwnership {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
}

const CONFIG_KEY: &[u8] = b"c";

/// The config as stored: the market's canonical address.
///
/// Version 1: `close_factor` and `liquidation_bonus` in `keel_types::codec::put_decimal`'s round
/// form (3 bytes for 0.2 and 0.03), then the market as `len:u8` and its canonical bytes.
///
/// Version 0 ([`ConfigV0`]): `close_factor:u128be liquidation_bonus:u128be` (the decimals'
/// atomics; the first byte is 0, as `close_factor <= 1`), then the owner, the market and the
/// pending owner if any, each `len:u8` and its canonical bytes.
#[derive(Clone, Debug, PartialEq)]
struct ConfigRecord {
    market: CanonicalAddr,
    close_factor: Decimal,
    liquidation_bonus: Decimal,
}

impl Record for ConfigRecord {
    const NAME: &'static str = "liquidator config";
    const VERSION: u8 = 1;

    fn encode(&self, out: &mut Vec<u8>) -> StdResult<()> {
        put_decimal(out, self.close_factor);
        put_decimal(out, self.liquidation_bonus);
        put_bytes(out, self.market.as_slice())
    }

    fn decode(version: u8, body: &mut &[u8]) -> StdResult<Self> {
        if version == 0 {
            let legacy = ConfigV0::take(body)?;
            return Ok(ConfigRecord {
                market: legacy.market,
                close_factor: legacy.close_factor,
                liquidation_bonus: legacy.liquidation_bonus,
            });
        }
        Ok(ConfigRecord {
            close_factor: take_decimal(body)?,
            liquidation_bonus: take_decimal(body)?,
            market: take_canonical(body)?,
        })
    }
}

/// The config record of version 0, with the owner fields that cw-ownable holds from version 1 on.
struct ConfigV0 {
    owner: CanonicalAddr,
    market: CanonicalAddr,
    pending_owner: Option<CanonicalAddr>,
    close_factor: Decimal,
    liquidation_bonus: Decimal,
}

impl ConfigV0 {
    /// Reads the whole body.
    fn take(body: &mut &[u8]) -> StdResult<Self> {
        let mut atomics = || -> StdResult<Decimal> {
            let bytes: [u8; 16] = take(body, 16)?
                .try_into()
                .map_err(|_| corrupt(ConfigRecord::NAME, "truncated"))?;
            Ok(Decimal::raw(u128::from_be_bytes(bytes)))
        };
        let close_factor = atomics()?;
        let liquidation_bonus = atomics()?;
        let owner = take_canonical(body)?;
        let market = take_canonical(body)?;
        let pending_owner = if body.is_empty() {
            None
        } else {
            Some(take_canonical(body)?)
        };
        Ok(ConfigV0 {
            owner,
            market,
            pending_owner,
            close_factor,
            liquidation_bonus,
        })
    }
}

fn load_record(storage: &dyn Storage) -> Result<Vec<u8>, RecordError> {
    storage
        .get(CONFIG_KEY)
        .ok_or_else(|| StdError::not_found(ConfigRecord::NAME).into())
}

impl Config {
    pub fn load(storage: &dyn Storage, api: &dyn Api) -> Result<Self, RecordError> {
        let record: ConfigRecord = from_bytes(&load_record(storage)?)?;
        Ok(Config {
            market: api.addr_humanize(&record.market)?,
            close_factor: record.close_factor,
            liquidation_bonus: record.liquidation_bonus,
        })
    }

    /// Writes the config in the current version.
    pub fn save(&self, storage: &mut dyn Storage, api: &dyn Api) -> Result<(), RecordError> {
        let record = ConfigRecord {
            market: api.addr_canonicalize(self.market.as_str())?,
            close_factor: self.close_factor,
            liquidation_bonus: self.liquidation_bonus,
        };
        storage.set(CONFIG_KEY, &to_bytes(&record)?);
        Ok(())
    }

    /// The owner and pending owner a version-0 record holds; `None` for later versions, which
    /// hold none.
    pub fn load_legacy_ownership(
        storage: &dyn Storage,
        api: &dyn Api,
    ) -> Result<Option<LegacyOwnership>, RecordError> {
        let bytes = load_record(storage)?;
        let (version, mut body) = unframe(ConfigRecord::NAME, &bytes, ConfigRecord::VERSION)?;
        if version != 0 {
            return Ok(None);
        }
        let legacy = ConfigV0::take(&mut body)?;
        Ok(Some(LegacyOwnership {
            owner: api.addr_humanize(&legacy.owner)?,
            pending_owner: legacy
                .pending_owner
                .map(|pending| api.addr_humanize(&pending))
                .transpose()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{MockApi, MockStorage};

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The config as version 0 stored it (bytes taken from its encoder): close factor 0.2, bonus
    /// 0.03, the owner `addr_make("owner")`, the market `addr_make("market")`, and in the second
    /// the pending owner `addr_make("next")`.
    const V0: &str = concat!(
        "000000000000000002c68af0bb1400000000000000000000006a94d74f430000204c1029697ee358",
        "715d3a14a2add817c4b01651440de808371f78165ac90dc58120e4d693d24e646cb7878426225d90",
        "d2607fd40e2e7c82f4cf8246b2cc3e0decb8",
    );
    const V0_PENDING: &str = concat!(
        "000000000000000002c68af0bb1400000000000000000000006a94d74f430000204c1029697ee358",
        "715d3a14a2add817c4b01651440de808371f78165ac90dc58120e4d693d24e646cb7878426225d90",
        "d2607fd40e2e7c82f4cf8246b2cc3e0decb820c6c1c9a9c8543f1e4cd980064cf1625eeb61a90703",
        "b2464fff039f21682508b3",
    );

    fn config(api: &MockApi) -> Config {
        Config {
            market: api.addr_make("market"),
            close_factor: Decimal::percent(20),
            liquidation_bonus: Decimal::percent(3),
        }
    }

    #[test]
    fn records_of_version_0_still_load_with_their_owners() {
        let api = MockApi::default();
        for (hex, pending) in [(V0, None), (V0_PENDING, Some("next"))] {
            let mut storage = MockStorage::new();
            let legacy = unhex(hex);
            storage.set(CONFIG_KEY, &legacy);
            assert_eq!(Config::load(&storage, &api).unwrap(), config(&api));
            assert_eq!(
                Config::load_legacy_ownership(&storage, &api).unwrap(),
                Some(LegacyOwnership {
                    owner: api.addr_make("owner"),
                    pending_owner: pending.map(|name| api.addr_make(name)),
                })
            );
            // (storage holds no empty values)
            for cut in 1..legacy.len() {
                storage.set(CONFIG_KEY, &legacy[..cut]);
                // a cut after the market's address is the record without a pending owner
                if cut == 32 + 2 * 33 {
                    continue;
                }
                assert!(Config::load(&storage, &api).is_err(), "prefix of {cut}");
            }
            // saved again: version 1, without the owners
            config(&api).save(&mut storage, &api).unwrap();
            assert_eq!(Config::load(&storage, &api).unwrap(), config(&api));
            assert_eq!(Config::load_legacy_ownership(&storage, &api).unwrap(), None);
        }
    }

    #[test]
    fn version_1_round_trips_in_40_bytes_and_refuses_truncation() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        config(&api).save(&mut storage, &api).unwrap();
        let bytes = storage.get(CONFIG_KEY).unwrap();
        // format byte, 0.2 and 0.03 in 3 bytes each, the market 1 + 32 (98 bytes in version 0)
        assert_eq!(bytes.len(), 1 + 3 + 3 + 33);
        assert_eq!(bytes[..7], [0x81, 17, 1, 2, 16, 1, 3]);
        assert_eq!(Config::load(&storage, &api).unwrap(), config(&api));
        for cut in 1..bytes.len() {
            storage.set(CONFIG_KEY, &bytes[..cut]);
            assert!(Config::load(&storage, &api).is_err(), "prefix of {cut}");
        }
        storage.set(CONFIG_KEY, &[&bytes[..], &[0]].concat());
        assert!(Config::load(&storage, &api).is_err(), "trailing byte");
    }

    #[test]
    fn unknown_versions_are_refused() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        config(&api).save(&mut storage, &api).unwrap();
        let mut bytes = storage.get(CONFIG_KEY).unwrap();
        bytes[0] = 0x80 | 9;
        storage.set(CONFIG_KEY, &bytes);
        let unknown = RecordError::UnknownVersion {
            record: "liquidator config",
            version: 9,
            max: 1,
        };
        assert_eq!(Config::load(&storage, &api).unwrap_err(), unknown);
        assert_eq!(
            Config::load_legacy_ownership(&storage, &api).unwrap_err(),
            unknown
        );
    }

    mod props {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_config_round_trips(
                close_factor in any::<u128>(),
                bonus in any::<u128>(),
                market in vec(any::<u8>(), 0..=255),
            ) {
                let record = ConfigRecord {
                    market: CanonicalAddr::from(market),
                    close_factor: Decimal::raw(close_factor),
                    liquidation_bonus: Decimal::raw(bonus),
                };
                let bytes = to_bytes(&record).unwrap();
                prop_assert_eq!(from_bytes::<ConfigRecord>(&bytes).unwrap(), record);
            }

            /// Whatever the bytes, the decoders return a record or an error: they never panic.
            #[test]
            fn no_bytes_make_the_decoders_panic(bytes in vec(any::<u8>(), 0..200)) {
                let api = MockApi::default();
                let mut storage = MockStorage::new();
                for record in [bytes.clone(), [&[0x81], &bytes[..]].concat()] {
                    let _ = from_bytes::<ConfigRecord>(&record);
                    if record.is_empty() {
                        continue;
                    }
                    storage.set(CONFIG_KEY, &record);
                    let _ = Config::load(&storage, &api);
                    let _ = Config::load_legacy_ownership(&storage, &api);
                }
            }
        }
    }
}
