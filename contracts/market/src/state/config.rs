//! The market's configuration record. The owner is not in it: two-step ownership lives in
//! cw-ownable's storage, read only by owner messages and the `config` query.
use cosmwasm_std::{Addr, Api, CanonicalAddr, Decimal, StdError, StdResult, Storage};
use keel_math::HealthBounds;
use keel_types::codec::{
    corrupt, flags, put_bytes, put_decimal, put_uint, take_canonical, take_decimal, take_u16,
    take_u8, take_uint,
};
use keel_types::record::{format_byte, unframe, RecordError};

use super::AssetId;

/// The market's configuration, read by every message: stored in a binary form (see
/// [`Config::load`]), with canonical addresses and compact decimals: about 60% fewer bytes than
/// JSON, and no parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub oracle: Addr,
    pub liquidator: Option<Addr>,
    pub guardian: Option<Addr>,
    pub treasury: Option<Addr>,
    pub default_health: HealthBounds,
    pub borrow_health_floor: Decimal,
    pub min_debt_value: Decimal,
    pub dust_debt_value: Decimal,
    pub max_close_factor: Decimal,
    pub max_liquidation_bonus: Decimal,
    pub max_position_assets: u32,
    /// Share of a redemption that stays with the redeemed position (SPEC 3.6a).
    pub redemption_fee: Decimal,
    /// Positions below this health factor may be redeemed against (SPEC 3.6a).
    pub redemption_health: Decimal,
    /// Set by the owner or the guardian: `redeem` is refused.
    pub redemptions_paused: bool,
    /// The minted asset (MOET), once listed.
    pub moet: Option<AssetId>,
}

/// The owner and pending owner a version-0 config held, before ownership moved to cw-ownable.
#[derive(Clone, Debug, PartialEq)]
pub struct LegacyOwnership {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
}

/// The config's storage key.
const CONFIG_KEY: &[u8] = b"c";
const NAME: &str = "config";
const VERSION: u8 = 1;

const LIQUIDATOR: u8 = 1;
const GUARDIAN: u8 = 2;
const TREASURY: u8 = 4;
const MOET: u8 = 8;
const REDEMPTIONS_PAUSED: u8 = 16;

/// Version 1: `present:u8` (liquidator 1, guardian 2, treasury 4, moet 8, redemptions paused
/// 16), the oracle, the
/// liquidator, guardian and treasury when present (each `len:u8` and its canonical bytes: 20 or
/// 32 instead of 43-65 characters), the ten decimals (health min, target, max, borrow floor,
/// minimum debt, dust, close factor, bonus, redemption fee, redemption health) in
/// [`put_decimal`]'s form, `max_position_assets` as a `uint`, `moet` as `u16be` when present.
///
/// Version 0 (unversioned): `present:u8` (pending owner 1, liquidator 2, guardian 4, treasury 8,
/// moet 16), the owner, the oracle, the optional addresses, the first eight decimals,
/// `max_position_assets`, `moet`. It reads with the redemption parameters at their defaults;
/// `migrate` moves its owner into cw-ownable.
impl Config {
    pub fn load(storage: &dyn Storage, api: &dyn Api) -> Result<Self, RecordError> {
        let bytes = storage
            .get(CONFIG_KEY)
            .ok_or_else(|| StdError::not_found(NAME))?;
        Ok(Self::decode(&bytes, |c| api.addr_humanize(c))?.0)
    }

    /// The owner a version-0 config held (`None` for a version-1 config).
    pub fn load_legacy_ownership(
        storage: &dyn Storage,
        api: &dyn Api,
    ) -> Result<Option<LegacyOwnership>, RecordError> {
        let bytes = storage
            .get(CONFIG_KEY)
            .ok_or_else(|| StdError::not_found(NAME))?;
        Ok(Self::decode(&bytes, |c| api.addr_humanize(c))?.1)
    }

    pub fn save(&self, storage: &mut dyn Storage, api: &dyn Api) -> StdResult<()> {
        storage.set(
            CONFIG_KEY,
            &self.encode(|addr| api.addr_canonicalize(addr.as_str()))?,
        );
        Ok(())
    }

    fn encode(&self, canonical: impl Fn(&Addr) -> StdResult<CanonicalAddr>) -> StdResult<Vec<u8>> {
        let mut out = Vec::with_capacity(160);
        out.push(format_byte(VERSION));
        out.push(flags([
            (self.liquidator.is_some(), LIQUIDATOR),
            (self.guardian.is_some(), GUARDIAN),
            (self.treasury.is_some(), TREASURY),
            (self.moet.is_some(), MOET),
            (self.redemptions_paused, REDEMPTIONS_PAUSED),
        ]));
        for addr in [
            Some(&self.oracle),
            self.liquidator.as_ref(),
            self.guardian.as_ref(),
            self.treasury.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            put_bytes(&mut out, &canonical(addr)?)?;
        }
        for d in self.decimals() {
            put_decimal(&mut out, d);
        }
        put_uint(&mut out, &self.max_position_assets.to_be_bytes());
        if let Some(moet) = self.moet {
            out.extend_from_slice(&moet.to_be_bytes());
        }
        Ok(out)
    }

    fn decimals(&self) -> [Decimal; 10] {
        let HealthBounds { min, target, max } = self.default_health;
        [
            min,
            target,
            max,
            self.borrow_health_floor,
            self.min_debt_value,
            self.dust_debt_value,
            self.max_close_factor,
            self.max_liquidation_bonus,
            self.redemption_fee,
            self.redemption_health,
        ]
    }

    fn decode(
        bytes: &[u8],
        human: impl Fn(&CanonicalAddr) -> StdResult<Addr>,
    ) -> Result<(Self, Option<LegacyOwnership>), RecordError> {
        let (version, mut body) = unframe(NAME, bytes, VERSION)?;
        let bytes = &mut body;
        let take_addr = |bytes: &mut &[u8]| -> StdResult<Addr> { human(&take_canonical(bytes)?) };
        let present = take_u8(bytes)?;
        // version 0 had a bit for the pending owner first: the others sit one bit higher
        let (shift, legacy) = if version == 0 {
            let owner = take_addr(bytes)?;
            (1, Some(owner))
        } else {
            (0, None)
        };
        let oracle = take_addr(bytes)?;
        let pending_owner = if version == 0 && present & 1 != 0 {
            Some(take_addr(bytes)?)
        } else {
            None
        };
        let mut optional = [None, None, None];
        for (bit, addr) in optional.iter_mut().enumerate() {
            if present & (1 << (bit + shift)) != 0 {
                *addr = Some(take_addr(bytes)?);
            }
        }
        let count = if version == 0 { 8 } else { 10 };
        let mut decimals = [Decimal::zero(); 10];
        for d in decimals.iter_mut().take(count) {
            *d = take_decimal(bytes)?;
        }
        if version == 0 {
            decimals[8] = DEFAULT_REDEMPTION_FEE;
            decimals[9] = DEFAULT_REDEMPTION_HEALTH;
        }
        let max_position_assets = u32::from_be_bytes(take_uint::<4>(bytes)?);
        let moet = if present & (MOET << shift) != 0 {
            Some(take_u16(bytes)?)
        } else {
            None
        };
        if !bytes.is_empty() {
            return Err(corrupt(NAME, "trailing bytes").into());
        }
        let [liquidator, guardian, treasury] = optional;
        let [min, target, max, borrow_health_floor, min_debt_value, dust_debt_value, max_close_factor, max_liquidation_bonus, redemption_fee, redemption_health] =
            decimals;
        let config = Config {
            oracle,
            liquidator,
            guardian,
            treasury,
            default_health: HealthBounds { min, target, max },
            borrow_health_floor,
            min_debt_value,
            dust_debt_value,
            max_close_factor,
            max_liquidation_bonus,
            max_position_assets,
            redemption_fee,
            redemption_health,
            redemptions_paused: version > 0 && present & REDEMPTIONS_PAUSED != 0,
            moet,
        };
        let legacy = legacy.map(|owner| LegacyOwnership {
            owner,
            pending_owner,
        });
        Ok((config, legacy))
    }
}

/// `redemption_fee` unless configured: 0.5%.
pub const DEFAULT_REDEMPTION_FEE: Decimal = Decimal::permille(5);
/// `redemption_health` unless configured: 1.3.
pub const DEFAULT_REDEMPTION_HEALTH: Decimal = Decimal::permille(1300);

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{MockApi, MockStorage};

    fn config(api: &MockApi) -> Config {
        Config {
            oracle: api.addr_make("oracle"),
            liquidator: Some(api.addr_make("liquidator")),
            guardian: None,
            treasury: Some(api.addr_make("treasury")),
            default_health: HealthBounds {
                min: Decimal::percent(110),
                target: Decimal::percent(130),
                max: Decimal::percent(150),
            },
            borrow_health_floor: Decimal::one(),
            min_debt_value: Decimal::one(),
            dust_debt_value: Decimal::percent(1000),
            max_close_factor: Decimal::percent(50),
            max_liquidation_bonus: Decimal::percent(15),
            max_position_assets: 10,
            redemption_fee: DEFAULT_REDEMPTION_FEE,
            redemption_health: DEFAULT_REDEMPTION_HEALTH,
            redemptions_paused: false,
            moet: Some(3),
        }
    }

    #[test]
    fn config_round_trips_with_canonical_addresses() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        let config = config(&api);
        config.save(&mut storage, &api).unwrap();
        assert_eq!(Config::load(&storage, &api).unwrap(), config);
        assert_eq!(Config::load_legacy_ownership(&storage, &api).unwrap(), None);
        // format byte + flags + three 32-byte canonical addresses with their length + 10 round
        // decimals (3 bytes each) + 10 + moet 2
        let stored = storage.get(CONFIG_KEY).unwrap();
        assert_eq!(stored.len(), 2 + 3 * 33 + 10 * 3 + 2 + 2);
        assert_eq!(stored[0], 0x81);
        let human = |c: &CanonicalAddr| api.addr_humanize(c);
        for cut in 0..stored.len() {
            assert!(
                Config::decode(&stored[..cut], human).is_err(),
                "prefix of {cut} bytes"
            );
        }
        assert!(Config::decode(&[stored.as_slice(), &[0]].concat(), human).is_err());
    }

    /// A config written by the version before records were versioned (its exact bytes): owner
    /// and pending owner first, eight decimals.
    const LEGACY_CONFIG: &str = "1b204c1029697ee358715d3a14a2add817c4b01651440de808371f78165ac90dc581209202af6ce925b26ae6b25adfff0b2705147e195fa38dd58ae6ecc58ed263751f20c6c1c9a9c8543f1e4cd980064cf1625eeb61a90703b2464fff039f21682508b320cf14beab45bf53a96851fc25e2f4e3046f0dcefc4e4e88121faae625e8c365432066fa9f9d3186b9c13a66b004fc8bb5f3359c4deb17197266895fb8d3c67c3b1711010b11010d11010f12010112010113010111010510010f010a0003";

    #[test]
    fn a_config_of_version_0_still_loads_with_its_owner_apart() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        storage.set(CONFIG_KEY, &hex(LEGACY_CONFIG));
        assert_eq!(Config::load(&storage, &api).unwrap(), config(&api));
        assert_eq!(
            Config::load_legacy_ownership(&storage, &api).unwrap(),
            Some(LegacyOwnership {
                owner: api.addr_make("owner"),
                pending_owner: Some(api.addr_make("next")),
            })
        );
    }

    #[test]
    fn a_config_of_an_unknown_version_is_refused() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        config(&api).save(&mut storage, &api).unwrap();
        let mut bytes = storage.get(CONFIG_KEY).unwrap();
        bytes[0] = 0x82;
        storage.set(CONFIG_KEY, &bytes);
        assert!(matches!(
            Config::load(&storage, &api),
            Err(RecordError::UnknownVersion { version: 2, .. })
        ));
    }

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
