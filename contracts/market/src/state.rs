//! Storage. Keys are one or two bytes and assets are referred to by a `u16` id inside positions,
//! so that the hot records (asset state, positions) stay small: every byte written costs gas.
use cosmwasm_std::{
    Addr, Api, Binary, CanonicalAddr, Decimal, Decimal256, Empty, Order, StdError, StdResult,
    Storage, Uint128, Uint256,
};
use cw_storage_plus::{Item, Map, PrimaryKey};
use keel_math::{HealthBounds, RateModel, RatePoint};
use keel_types::codec::{
    corrupt, flags, put_bytes, put_decimal, put_str, put_uint, take, take_canonical, take_decimal,
    take_str, take_u16, take_u8, take_uint,
};
use keel_types::market::{AssetKind, AssetParams};
use std::marker::PhantomData;

pub type AssetId = u16;
pub type PositionId = u64;

/// The market's configuration, read by every message: stored in a binary form (see
/// [`Config::load`]), with canonical addresses and compact decimals: about 60% fewer bytes than
/// JSON, and no parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
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
    /// The minted asset (MOET), once listed.
    pub moet: Option<AssetId>,
}

/// `present:u8` (a bit per optional field: pending owner, liquidator, guardian, treasury, moet),
/// then the fields in declaration order, those absent left out: addresses as `len:u8` and their
/// canonical bytes (20 or 32 instead of 43-65 characters: the config is read by every message),
/// decimals and integers as `uint`s (see [`put_uint`]), `moet` as `u16be`.
impl Config {
    pub fn load(storage: &dyn Storage, api: &dyn Api) -> StdResult<Self> {
        let bytes = storage
            .get(CONFIG_KEY)
            .ok_or_else(|| StdError::not_found("config"))?;
        Self::decode(&bytes, |canonical| api.addr_humanize(canonical))
    }

    pub fn save(&self, storage: &mut dyn Storage, api: &dyn Api) -> StdResult<()> {
        storage.set(
            CONFIG_KEY,
            &self.encode(|addr| api.addr_canonicalize(addr.as_str()))?,
        );
        Ok(())
    }

    fn encode(&self, canonical: impl Fn(&Addr) -> StdResult<CanonicalAddr>) -> StdResult<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        let optional = [
            &self.pending_owner,
            &self.liquidator,
            &self.guardian,
            &self.treasury,
        ];
        out.push(flags([
            (self.pending_owner.is_some(), 1),
            (self.liquidator.is_some(), 2),
            (self.guardian.is_some(), 4),
            (self.treasury.is_some(), 8),
            (self.moet.is_some(), 16),
        ]));
        let mut put_addr =
            |addr: &Addr| -> StdResult<()> { put_bytes(&mut out, &canonical(addr)?) };
        put_addr(&self.owner)?;
        put_addr(&self.oracle)?;
        for addr in optional.into_iter().flatten() {
            put_addr(addr)?;
        }
        let HealthBounds { min, target, max } = &self.default_health;
        for d in [
            min,
            target,
            max,
            &self.borrow_health_floor,
            &self.min_debt_value,
            &self.dust_debt_value,
            &self.max_close_factor,
            &self.max_liquidation_bonus,
        ] {
            put_decimal(&mut out, *d);
        }
        put_uint(&mut out, &self.max_position_assets.to_be_bytes());
        if let Some(moet) = self.moet {
            out.extend_from_slice(&moet.to_be_bytes());
        }
        Ok(out)
    }

    fn decode(
        mut bytes: &[u8],
        human: impl Fn(&CanonicalAddr) -> StdResult<Addr>,
    ) -> StdResult<Self> {
        let bytes = &mut bytes;
        let present = take_u8(bytes)?;
        let take_addr = |bytes: &mut &[u8]| -> StdResult<Addr> { human(&take_canonical(bytes)?) };
        let owner = take_addr(bytes)?;
        let oracle = take_addr(bytes)?;
        let mut optional = [None, None, None, None];
        for (bit, addr) in optional.iter_mut().enumerate() {
            if present & (1 << bit) != 0 {
                *addr = Some(take_addr(bytes)?);
            }
        }
        let mut decimals = [Decimal::zero(); 8];
        for d in &mut decimals {
            *d = take_decimal(bytes)?;
        }
        let max_position_assets = u32::from_be_bytes(take_uint::<4>(bytes)?);
        let moet = if present & 16 != 0 {
            Some(take_u16(bytes)?)
        } else {
            None
        };
        if !bytes.is_empty() {
            return Err(corrupt("config", "trailing bytes"));
        }
        let [pending_owner, liquidator, guardian, treasury] = optional;
        let [min, target, max, borrow_health_floor, min_debt_value, dust_debt_value, max_close_factor, max_liquidation_bonus] =
            decimals;
        Ok(Config {
            owner,
            pending_owner,
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
            moet,
        })
    }
}

/// The rarely written part of a listed asset. It is read by nearly every message (once per
/// asset of the position), so it is stored as a binary [`Record`] (see its impl): about 50
/// bytes instead of ~400 with the field names of `AssetParams`.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetInfo {
    pub denom: String,
    pub params: AssetParams,
}

const KIND_MINTED: u8 = 1;
const DEPOSIT_ENABLED: u8 = 2;
const BORROW_ENABLED: u8 = 4;
const COLLATERAL_ENABLED: u8 = 8;
const PIECEWISE_RATE: u8 = 16;
const SUPPLY_CAP: u8 = 32;
const BORROW_CAP: u8 = 64;

/// `flags:u8 denom_len:u8 denom decimals:u8`, then the collateral factor, liquidation threshold,
/// borrow factor and reserve factor as `uint`s, then the rate model: `n:u8 (utilization rate)*n`
/// for a piecewise curve or the fixed `rate`, then the supply and borrow caps when set. Flags:
/// minted 1, deposit 2, borrow 4, collateral 8 (enabled), piecewise 16, supply cap 32, borrow
/// cap 64.
impl Record for AssetInfo {
    fn encode(&self) -> StdResult<Vec<u8>> {
        let p = &self.params;
        let flags = flags([
            (p.kind == AssetKind::Minted, KIND_MINTED),
            (p.deposit_enabled, DEPOSIT_ENABLED),
            (p.borrow_enabled, BORROW_ENABLED),
            (p.collateral_enabled, COLLATERAL_ENABLED),
            (
                matches!(p.rate_model, RateModel::Piecewise { .. }),
                PIECEWISE_RATE,
            ),
            (p.supply_cap.is_some(), SUPPLY_CAP),
            (p.borrow_cap.is_some(), BORROW_CAP),
        ]);
        let mut out = Vec::with_capacity(96);
        out.push(flags);
        put_str(&mut out, &self.denom)?;
        out.push(p.decimals);
        for d in [
            p.collateral_factor,
            p.liquidation_threshold,
            p.borrow_factor,
            p.reserve_factor,
        ] {
            put_decimal(&mut out, d);
        }
        match &p.rate_model {
            RateModel::Fixed { rate } => put_decimal(&mut out, *rate),
            RateModel::Piecewise { points } => {
                out.push(
                    u8::try_from(points.len())
                        .map_err(|_| corrupt("asset info", "over 255 rate points"))?,
                );
                for point in points {
                    put_decimal(&mut out, point.utilization);
                    put_decimal(&mut out, point.rate);
                }
            }
        }
        for cap in [p.supply_cap, p.borrow_cap].into_iter().flatten() {
            put_uint(&mut out, &cap.to_be_bytes());
        }
        Ok(out)
    }

    fn decode(mut bytes: &[u8]) -> StdResult<Self> {
        let bytes = &mut bytes;
        let flags = take_u8(bytes)?;
        let denom = take_str(bytes)?;
        let decimals = take_u8(bytes)?;
        let mut factors = [Decimal::zero(); 4];
        for d in &mut factors {
            *d = take_decimal(bytes)?;
        }
        let rate_model = if flags & PIECEWISE_RATE != 0 {
            let n = take_u8(bytes)?;
            let mut points = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                points.push(RatePoint {
                    utilization: take_decimal(bytes)?,
                    rate: take_decimal(bytes)?,
                });
            }
            RateModel::Piecewise { points }
        } else {
            RateModel::Fixed {
                rate: take_decimal(bytes)?,
            }
        };
        let mut cap = |flag: u8| -> StdResult<Option<Uint128>> {
            if flags & flag == 0 {
                return Ok(None);
            }
            Ok(Some(Uint128::new(u128::from_be_bytes(take_uint::<16>(
                bytes,
            )?))))
        };
        let supply_cap = cap(SUPPLY_CAP)?;
        let borrow_cap = cap(BORROW_CAP)?;
        if !bytes.is_empty() {
            return Err(corrupt("asset info", "trailing bytes"));
        }
        let [collateral_factor, liquidation_threshold, borrow_factor, reserve_factor] = factors;
        Ok(AssetInfo {
            denom,
            params: AssetParams {
                decimals,
                kind: if flags & KIND_MINTED != 0 {
                    AssetKind::Minted
                } else {
                    AssetKind::Pool
                },
                collateral_factor,
                liquidation_threshold,
                borrow_factor,
                reserve_factor,
                rate_model,
                supply_cap,
                borrow_cap,
                deposit_enabled: flags & DEPOSIT_ENABLED != 0,
                borrow_enabled: flags & BORROW_ENABLED != 0,
                collateral_enabled: flags & COLLATERAL_ENABLED != 0,
            },
        })
    }
}

/// The part of a listed asset that changes on every touch (SPEC 3.2): its totals and indices.
/// Rewritten by every message that changes them (30 SDK gas per byte), so stored in a binary form ([`Record`]): each field a length byte and its big-endian bytes without leading
/// zeros (about 60 bytes instead of 80-140 as JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct AssetState {
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    pub scaled_supply: Uint128,
    pub scaled_debt: Uint128,
    pub reserves: Decimal256,
    pub deficit: Uint128,
    pub cash: Uint128,
    pub last_updated: u64,
}

impl Record for AssetState {
    fn encode(&self) -> StdResult<Vec<u8>> {
        let mut out = Vec::with_capacity(72);
        put_uint(&mut out, &self.supply_index.atomics().to_be_bytes());
        put_uint(&mut out, &self.borrow_index.atomics().to_be_bytes());
        put_uint(&mut out, &self.scaled_supply.to_be_bytes());
        put_uint(&mut out, &self.scaled_debt.to_be_bytes());
        put_uint(&mut out, &self.reserves.atomics().to_be_bytes());
        put_uint(&mut out, &self.deficit.to_be_bytes());
        put_uint(&mut out, &self.cash.to_be_bytes());
        put_uint(&mut out, &self.last_updated.to_be_bytes());
        Ok(out)
    }

    fn decode(mut bytes: &[u8]) -> StdResult<Self> {
        // One loop over the eight fields (as 256-bit words), then conversions: unrolled, the
        // decoding would need over 100 wasm locals, which chains refuse.
        let mut words = [Uint256::zero(); 8];
        for word in &mut words {
            *word = Uint256::from_be_bytes(take_uint::<32>(&mut bytes)?);
        }
        if !bytes.is_empty() {
            return Err(corrupt("asset state", "trailing bytes"));
        }
        let [supply_index, borrow_index, scaled_supply, scaled_debt, reserves, deficit, cash, last_updated] =
            words;
        let narrow = |word: Uint256| -> StdResult<Uint128> {
            Uint128::try_from(word).map_err(|_| corrupt("asset state", "amount over 128 bits"))
        };
        Ok(AssetState {
            supply_index: Decimal256::new(supply_index),
            borrow_index: Decimal256::new(borrow_index),
            scaled_supply: narrow(scaled_supply)?,
            scaled_debt: narrow(scaled_debt)?,
            reserves: Decimal256::new(reserves),
            deficit: narrow(deficit)?,
            cash: narrow(cash)?,
            last_updated: u64::try_from(narrow(last_updated)?.u128())
                .map_err(|_| corrupt("asset state", "time over 64 bits"))?,
        })
    }
}

impl AssetState {
    pub fn new(now: u64) -> Self {
        AssetState {
            supply_index: Decimal256::one(),
            borrow_index: Decimal256::one(),
            scaled_supply: Uint128::zero(),
            scaled_debt: Uint128::zero(),
            reserves: Decimal256::zero(),
            deficit: Uint128::zero(),
            cash: Uint128::zero(),
            last_updated: now,
        }
    }
}

/// One balance of a position: asset id and scaled amount; `mark` is the supply index at the last
/// touch when the position self-repays (the interest since then goes to repaying MOET).
///
/// Stored as `[asset, scaled]` or `[asset, scaled, mark]` (8 bytes less per balance than an
/// object with keys: the position record is rewritten by every message, at 30 SDK gas a byte).
#[derive(Clone, Debug, PartialEq)]
pub struct Balance {
    pub asset: AssetId,
    pub scaled: Uint128,
    /// Self-repay: the supply index at the collateral's last touch.
    pub mark: Option<Decimal256>,
}

/// A position's automation, its addresses canonical like the owner's.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAutomation {
    pub sink: Option<StoredSink>,
    pub source: Option<CanonicalAddr>,
    pub health: Option<HealthBounds>,
    pub self_repay: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredSink {
    pub address: CanonicalAddr,
    pub msg: Option<Binary>,
}

/// A position. Written by nearly every message, so it is stored in a binary form
/// (see its [`Record`] impl) rather than JSON: about half the bytes, and every byte written costs 30
/// SDK gas.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    /// The owner's canonical address: 20 or 32 bytes where the bech32 string takes 43-65, in a
    /// record nearly every message rewrites (`Touch` holds the human form).
    pub owner: CanonicalAddr,
    pub collateral: Vec<Balance>,
    pub debt: Vec<Balance>,
    pub automation: Option<StoredAutomation>,
}

/// A record stored in a binary form rather than JSON (see [`BinMap`]).
pub trait Record: Sized {
    fn encode(&self) -> StdResult<Vec<u8>>;
    fn decode(bytes: &[u8]) -> StdResult<Self>;
}

/// A map whose values are [`Record`]s: the keys of a cw-storage-plus `Map`, the values in their
/// binary form.
pub struct BinMap<K, T> {
    keys: Map<K, Empty>,
    record: PhantomData<T>,
}

impl<K, T> BinMap<K, T> {
    pub const fn new(namespace: &'static str) -> Self {
        BinMap {
            keys: Map::new(namespace),
            record: PhantomData,
        }
    }
}

impl<'a, K: PrimaryKey<'a>, T: Record> BinMap<K, T> {
    pub fn may_load(&self, storage: &dyn Storage, key: K) -> StdResult<Option<T>> {
        storage
            .get(&self.keys.key(key))
            .map(|bytes| T::decode(&bytes))
            .transpose()
    }

    pub fn load(&self, storage: &dyn Storage, key: K) -> StdResult<T> {
        self.may_load(storage, key)?
            .ok_or_else(|| StdError::not_found(std::any::type_name::<T>()))
    }

    pub fn save(&self, storage: &mut dyn Storage, key: K, value: &T) -> StdResult<()> {
        storage.set(&self.keys.key(key), &value.encode()?);
        Ok(())
    }
}

impl<T: Record> BinMap<u64, T> {
    /// Records with a key above `start_after`, ascending.
    pub fn range<'a>(
        &self,
        storage: &'a dyn Storage,
        start_after: Option<u64>,
    ) -> impl Iterator<Item = StdResult<(u64, T)>> + 'a {
        let key_of_zero = self.keys.key(0).to_vec();
        let prefix = key_of_zero
            .get(..key_of_zero.len().saturating_sub(8))
            .unwrap_or_default()
            .to_vec();
        let end = [prefix.as_slice(), &[0xff; 9]].concat();
        let start = match start_after {
            Some(id) => match id.checked_add(1) {
                Some(next) => self.keys.key(next).to_vec(),
                // nothing after u64::MAX: an empty range
                None => end.clone(),
            },
            None => prefix.clone(),
        };
        let id_at = prefix.len();
        storage
            .range(Some(&start), Some(&end), Order::Ascending)
            .map(move |(key, value)| {
                let id: [u8; 8] = key
                    .get(id_at..)
                    .and_then(|k| k.try_into().ok())
                    .ok_or_else(|| corrupt("key", "not 8 bytes"))?;
                Ok((u64::from_be_bytes(id), T::decode(&value)?))
            })
    }
}

const SINK: u8 = 1;
const SINK_MSG: u8 = 2;
const SOURCE: u8 = 4;
const HEALTH: u8 = 8;
const SELF_REPAY: u8 = 16;

/// A position's automation: `flags:u8` (sink 1, sink hook 2, source 4, health 8, self-repay 16),
/// then the sink's canonical address (`len:u8 bytes`), its hook `len:u32be bytes`, the source's
/// canonical address and the health bounds (three `uint`s), each when present.
fn put_automation(out: &mut Vec<u8>, a: &StoredAutomation) -> StdResult<()> {
    let msg = a.sink.as_ref().and_then(|sink| sink.msg.as_ref());
    let flags = flags([
        (a.sink.is_some(), SINK),
        (msg.is_some(), SINK_MSG),
        (a.source.is_some(), SOURCE),
        (a.health.is_some(), HEALTH),
        (a.self_repay, SELF_REPAY),
    ]);
    out.push(flags);
    if let Some(sink) = &a.sink {
        put_bytes(out, sink.address.as_slice())?;
    }
    if let Some(msg) = msg {
        let len = u32::try_from(msg.len()).map_err(|_| corrupt("automation", "hook too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(msg);
    }
    if let Some(source) = &a.source {
        put_bytes(out, source.as_slice())?;
    }
    if let Some(HealthBounds { min, target, max }) = &a.health {
        for d in [min, target, max] {
            put_decimal(out, *d);
        }
    }
    Ok(())
}

fn take_automation(bytes: &mut &[u8]) -> StdResult<StoredAutomation> {
    let flags = take_u8(bytes)?;
    let sink_address = if flags & SINK != 0 {
        Some(take_canonical(bytes)?)
    } else {
        None
    };
    let msg = if flags & SINK_MSG != 0 {
        let len = take(bytes, 4)?;
        let len = u32::from_be_bytes([
            len.first().copied().unwrap_or_default(),
            len.get(1).copied().unwrap_or_default(),
            len.get(2).copied().unwrap_or_default(),
            len.get(3).copied().unwrap_or_default(),
        ]);
        let len = usize::try_from(len).map_err(|_| corrupt("automation", "hook too long"))?;
        Some(Binary::from(take(bytes, len)?))
    } else {
        None
    };
    let source = if flags & SOURCE != 0 {
        Some(take_canonical(bytes)?)
    } else {
        None
    };
    let health = if flags & HEALTH != 0 {
        Some(HealthBounds {
            min: take_decimal(bytes)?,
            target: take_decimal(bytes)?,
            max: take_decimal(bytes)?,
        })
    } else {
        None
    };
    let sink = match (sink_address, msg) {
        (Some(address), msg) => Some(StoredSink { address, msg }),
        (None, None) => None,
        (None, Some(_)) => return Err(corrupt("automation", "hook without a sink")),
    };
    Ok(StoredAutomation {
        sink,
        source,
        health,
        self_repay: flags & SELF_REPAY != 0,
    })
}

/// The binary form of a position:
/// `owner_len:u8 owner:canonical n_collateral:u8 balance* n_debt:u8 balance* [automation]`, a
/// balance being `asset:u16be scaled:uint mark:(0 | 1 uint)`, each `uint` a length byte and
/// the big-endian bytes without leading zeros, and the automation as `put_automation` writes it.
/// A position holds at most 32 assets (`max_position_assets`), so counts fit one byte.
impl Record for Position {
    fn encode(&self) -> StdResult<Vec<u8>> {
        let owner = self.owner.as_slice();
        let mut out = Vec::with_capacity(owner.len().saturating_add(64));
        out.push(
            u8::try_from(owner.len()).map_err(|_| corrupt("position", "owner over 255 bytes"))?,
        );
        out.extend_from_slice(owner);
        for balances in [&self.collateral, &self.debt] {
            out.push(
                u8::try_from(balances.len())
                    .map_err(|_| corrupt("position", "over 255 balances"))?,
            );
            for b in balances {
                out.extend_from_slice(&b.asset.to_be_bytes());
                put_uint(&mut out, &b.scaled.to_be_bytes());
                match &b.mark {
                    None => out.push(0),
                    Some(mark) => {
                        out.push(1);
                        put_uint(&mut out, &mark.atomics().to_be_bytes());
                    }
                }
            }
        }
        if let Some(automation) = &self.automation {
            put_automation(&mut out, automation)?;
        }
        Ok(out)
    }

    fn decode(mut bytes: &[u8]) -> StdResult<Self> {
        let bytes = &mut bytes;
        let owner_len = usize::from(take_u8(bytes)?);
        let owner = CanonicalAddr::from(take(bytes, owner_len)?);
        let mut lists = [vec![], vec![]];
        for list in &mut lists {
            let count = usize::from(take_u8(bytes)?);
            for _ in 0..count {
                let asset = take(bytes, 2)?;
                let asset = u16::from_be_bytes([
                    asset.first().copied().unwrap_or_default(),
                    asset.get(1).copied().unwrap_or_default(),
                ]);
                let scaled = Uint128::new(u128::from_be_bytes(take_uint::<16>(bytes)?));
                let mark = match take_u8(bytes)? {
                    0 => None,
                    _ => Some(Decimal256::new(Uint256::from_be_bytes(take_uint::<32>(
                        bytes,
                    )?))),
                };
                list.push(Balance {
                    asset,
                    scaled,
                    mark,
                });
            }
        }
        let [collateral, debt] = lists;
        let automation = if bytes.is_empty() {
            None
        } else {
            Some(take_automation(bytes)?)
        };
        if !bytes.is_empty() {
            return Err(corrupt("position", "trailing bytes"));
        }
        Ok(Position {
            owner,
            collateral,
            debt,
            automation,
        })
    }
}

/// The config's key (see [`Config::load`]).
const CONFIG_KEY: &[u8] = b"c";
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
mod tests {
    use super::*;

    fn info(kind: AssetKind, rate_model: RateModel) -> AssetInfo {
        AssetInfo {
            denom: "uatom".to_string(),
            params: AssetParams {
                decimals: 6,
                kind,
                collateral_factor: Decimal::percent(80),
                liquidation_threshold: Decimal::percent(85),
                borrow_factor: Decimal::one(),
                reserve_factor: Decimal::percent(20),
                rate_model,
                supply_cap: Some(Uint128::new(7)),
                borrow_cap: None,
                deposit_enabled: true,
                borrow_enabled: false,
                collateral_enabled: true,
            },
        }
    }

    #[test]
    fn asset_state_round_trips_through_its_binary_form() {
        let mut state = AssetState::new(1_700_000_000);
        state.supply_index = Decimal256::percent(101);
        state.reserves = Decimal256::raw(123_456_789);
        state.scaled_supply = Uint128::new(1_100_000_000_000_000);
        state.cash = Uint128::new(42);
        let bytes = state.encode().unwrap();
        assert_eq!(
            bytes,
            [
                vec![8],
                1_010_000_000_000_000_000u64.to_be_bytes().to_vec(),
                vec![8],
                1_000_000_000_000_000_000u64.to_be_bytes().to_vec(),
                vec![7],
                1_100_000_000_000_000u64.to_be_bytes()[1..].to_vec(),
                vec![0], // scaled debt
                vec![4],
                123_456_789u32.to_be_bytes().to_vec(),
                vec![0, 1, 42], // deficit, cash
                vec![4],
                1_700_000_000u32.to_be_bytes().to_vec(),
            ]
            .concat()
        );
        assert_eq!(AssetState::decode(&bytes).unwrap(), state);
        let mut extreme = state.clone();
        extreme.supply_index = Decimal256::MAX;
        extreme.scaled_debt = Uint128::MAX;
        extreme.last_updated = u64::MAX;
        assert_eq!(
            AssetState::decode(&extreme.encode().unwrap()).unwrap(),
            extreme
        );
        assert!(AssetState::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(AssetState::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
    }

    fn position(automation: Option<StoredAutomation>) -> Position {
        Position {
            owner: CanonicalAddr::from(b"owner".as_slice()),
            collateral: vec![
                Balance {
                    asset: 1,
                    scaled: Uint128::new(1_000),
                    mark: None,
                },
                Balance {
                    asset: 258,
                    scaled: Uint128::MAX,
                    mark: Some(Decimal256::percent(101)),
                },
                Balance {
                    asset: 3,
                    scaled: Uint128::zero(),
                    mark: Some(Decimal256::MAX),
                },
            ],
            debt: vec![Balance {
                asset: 0,
                scaled: Uint128::new(5),
                mark: None,
            }],
            automation,
        }
    }

    #[test]
    fn positions_round_trip_through_their_binary_form() {
        let plain = position(None);
        let bytes = Record::encode(&plain).unwrap();
        assert_eq!(
            bytes[..17],
            [
                5, b'o', b'w', b'n', b'e', b'r', // owner
                3,    // three collateral balances
                0, 1, 2, 0x03, 0xe8, 0, // asset 1, 1000, no mark
                1, 2, 16, 0xff // asset 258, u128::MAX (16 bytes) ...
            ]
        );
        assert_eq!(Position::decode(&bytes).unwrap(), plain);
        let automated = position(Some(StoredAutomation {
            sink: None,
            source: Some(CanonicalAddr::from(b"source".as_slice())),
            health: None,
            self_repay: true,
        }));
        let bytes = Record::encode(&automated).unwrap();
        assert_eq!(Position::decode(&bytes).unwrap(), automated);
        let fully_automated = position(Some(StoredAutomation {
            sink: Some(StoredSink {
                address: CanonicalAddr::from(b"sink".as_slice()),
                msg: Some(Binary::from(b"{\"hook\":{}}")),
            }),
            source: Some(CanonicalAddr::from(b"source".as_slice())),
            health: Some(HealthBounds {
                min: Decimal::percent(120),
                target: Decimal::percent(140),
                max: Decimal::percent(160),
            }),
            self_repay: false,
        }));
        let bytes = Record::encode(&fully_automated).unwrap();
        assert_eq!(Position::decode(&bytes).unwrap(), fully_automated);
        let plain_len = Record::encode(&plain).unwrap().len();
        for cut in plain_len + 1..bytes.len() {
            assert!(
                Position::decode(&bytes[..cut]).is_err(),
                "prefix of {cut} bytes"
            );
        }
        let sink_without_hook = position(Some(StoredAutomation {
            sink: Some(StoredSink {
                address: CanonicalAddr::from(b"sink".as_slice()),
                msg: None,
            }),
            source: None,
            health: None,
            self_repay: false,
        }));
        let bytes = Record::encode(&sink_without_hook).unwrap();
        assert_eq!(Position::decode(&bytes).unwrap(), sink_without_hook);
        // an empty position: owner and two zero counts
        let empty = Position {
            collateral: vec![],
            debt: vec![],
            ..plain
        };
        assert_eq!(Record::encode(&empty).unwrap().len(), 8);
        assert_eq!(
            Position::decode(&Record::encode(&empty).unwrap()).unwrap(),
            empty
        );
    }

    #[test]
    fn corrupt_position_records_are_errors_not_panics() {
        let bytes = Record::encode(&position(None)).unwrap();
        for cut in 0..bytes.len() {
            // every strict prefix that ends inside the balances is refused
            if cut < 40 {
                assert!(
                    Position::decode(&bytes[..cut]).is_err(),
                    "prefix of {cut} bytes"
                );
            }
        }
        assert!(
            Position::decode(&[1, b'o', 1, 0, 0, 17]).is_err(),
            "integer too long"
        );
    }

    #[test]
    fn position_store_ranges_in_id_order_after_start() {
        let mut storage = cosmwasm_std::testing::MockStorage::new();
        for id in [3u64, 1, 256, u64::MAX] {
            POSITIONS.save(&mut storage, id, &position(None)).unwrap();
        }
        let ids = |start| {
            POSITIONS
                .range(&storage, start)
                .map(|r| r.unwrap().0)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(None), vec![1, 3, 256, u64::MAX]);
        assert_eq!(ids(Some(1)), vec![3, 256, u64::MAX]);
        assert_eq!(ids(Some(256)), vec![u64::MAX]);
        assert_eq!(ids(Some(u64::MAX)), Vec::<u64>::new());
        assert_eq!(
            POSITIONS.may_load(&storage, 256).unwrap(),
            Some(position(None))
        );
        assert_eq!(POSITIONS.may_load(&storage, 2).unwrap(), None);
    }

    #[test]
    fn config_round_trips_with_canonical_addresses() {
        let api = cosmwasm_std::testing::MockApi::default();
        let mut storage = cosmwasm_std::testing::MockStorage::new();
        let config = Config {
            owner: api.addr_make("owner"),
            pending_owner: None,
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
            moet: Some(3),
        };
        config.save(&mut storage, &api).unwrap();
        assert_eq!(Config::load(&storage, &api).unwrap(), config);
        // 1 + four 32-byte canonical addresses with their length + 8 round decimals (3 bytes
        // each) + 10 + moet 2
        let stored = storage.get(CONFIG_KEY).unwrap();
        assert_eq!(stored.len(), 1 + 4 * 33 + 8 * 3 + 2 + 2);

        // the codec alone, with addresses as their own bytes
        let canonical = |a: &Addr| Ok(CanonicalAddr::from(a.as_bytes()));
        let human = |c: &CanonicalAddr| Ok(Addr::unchecked(String::from_utf8(c.to_vec()).unwrap()));
        let bare = Config {
            owner: Addr::unchecked("owner"),
            oracle: Addr::unchecked("oracle"),
            liquidator: None,
            treasury: None,
            moet: None,
            pending_owner: Some(Addr::unchecked("next")),
            ..config
        };
        let bytes = bare.encode(canonical).unwrap();
        assert_eq!(Config::decode(&bytes, human).unwrap(), bare);
        for cut in 0..bytes.len() {
            assert!(
                Config::decode(&bytes[..cut], human).is_err(),
                "prefix of {cut} bytes"
            );
        }
        assert!(Config::decode(&[bytes.as_slice(), &[0]].concat(), human).is_err());
    }

    #[test]
    fn decimals_drop_their_trailing_zeros_and_round_trip() {
        for (d, len) in [
            (Decimal::zero(), 2),
            (Decimal::raw(1), 3),
            (Decimal::percent(80), 3),
            (Decimal::permille(1), 3),
            (Decimal::raw(123_456_789_000), 6),
            (Decimal::raw(10u128.pow(38)), 3),
            (Decimal::MAX, 18),
        ] {
            let mut out = vec![];
            put_decimal(&mut out, d);
            assert_eq!(out.len(), len, "{d}");
            let mut read = out.as_slice();
            assert_eq!(take_decimal(&mut read).unwrap(), d);
            assert!(read.is_empty());
        }
        // a mantissa times 10^zeros beyond 128 bits is an error, not a wrap
        assert!(take_decimal(&mut [39u8, 1, 1].as_slice()).is_err());
        assert!(take_decimal(&mut [38u8, 1, 4].as_slice()).is_err());
    }

    #[test]
    fn asset_info_round_trips_through_its_compact_form() {
        let piecewise = RateModel::Piecewise {
            points: vec![
                RatePoint {
                    utilization: Decimal::zero(),
                    rate: Decimal::zero(),
                },
                RatePoint {
                    utilization: Decimal::percent(80),
                    rate: Decimal::percent(15),
                },
                RatePoint {
                    utilization: Decimal::one(),
                    rate: Decimal::percent(150),
                },
            ],
        };
        for original in [
            info(AssetKind::Pool, piecewise),
            info(
                AssetKind::Minted,
                RateModel::Fixed {
                    rate: Decimal::percent(5),
                },
            ),
        ] {
            let bytes = original.encode().unwrap();
            assert!(bytes.len() <= 85, "{} bytes", bytes.len());
            assert_eq!(AssetInfo::decode(&bytes).unwrap(), original);
            for cut in 0..bytes.len() {
                assert!(
                    AssetInfo::decode(&bytes[..cut]).is_err(),
                    "prefix of {cut} bytes"
                );
            }
            assert!(AssetInfo::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
        }
    }

    mod properties {
        use super::*;
        use proptest::collection::vec;
        use proptest::option;
        use proptest::prelude::*;

        fn decimal() -> impl Strategy<Value = Decimal> {
            any::<u128>().prop_map(Decimal::raw)
        }

        fn balance() -> impl Strategy<Value = Balance> {
            (any::<u16>(), any::<u128>(), option::of(any::<[u8; 32]>())).prop_map(
                |(asset, scaled, mark)| Balance {
                    asset,
                    scaled: Uint128::new(scaled),
                    mark: mark.map(|m| Decimal256::new(Uint256::from_be_bytes(m))),
                },
            )
        }

        fn canonical() -> impl Strategy<Value = CanonicalAddr> {
            vec(any::<u8>(), 1..=64).prop_map(CanonicalAddr::from)
        }

        fn bounds() -> impl Strategy<Value = HealthBounds> {
            (decimal(), decimal(), decimal()).prop_map(|(min, target, max)| HealthBounds {
                min,
                target,
                max,
            })
        }

        fn automation() -> impl Strategy<Value = StoredAutomation> {
            (
                option::of((canonical(), option::of(vec(any::<u8>(), 0..300)))),
                option::of(canonical()),
                option::of(bounds()),
                any::<bool>(),
            )
                .prop_map(|(sink, source, health, self_repay)| StoredAutomation {
                    sink: sink.map(|(address, msg)| StoredSink {
                        address,
                        msg: msg.map(Binary::from),
                    }),
                    source,
                    health,
                    self_repay,
                })
        }

        fn rate_model() -> impl Strategy<Value = RateModel> {
            prop_oneof![
                decimal().prop_map(|rate| RateModel::Fixed { rate }),
                vec((decimal(), decimal()), 0..8).prop_map(|points| RateModel::Piecewise {
                    points: points
                        .into_iter()
                        .map(|(utilization, rate)| RatePoint { utilization, rate })
                        .collect(),
                }),
            ]
        }

        fn asset_info() -> impl Strategy<Value = AssetInfo> {
            (
                "[a-z0-9:/]{1,80}",
                any::<u8>(),
                any::<bool>(),
                [decimal(), decimal(), decimal(), decimal()],
                rate_model(),
                option::of(any::<u128>()),
                option::of(any::<u128>()),
                [any::<bool>(), any::<bool>(), any::<bool>()],
            )
                .prop_map(
                    |(denom, decimals, minted, [cf, lt, bf, rf], rate_model, sc, bc, enabled)| {
                        AssetInfo {
                            denom,
                            params: AssetParams {
                                decimals,
                                kind: if minted {
                                    AssetKind::Minted
                                } else {
                                    AssetKind::Pool
                                },
                                collateral_factor: cf,
                                liquidation_threshold: lt,
                                borrow_factor: bf,
                                reserve_factor: rf,
                                rate_model,
                                supply_cap: sc.map(Uint128::new),
                                borrow_cap: bc.map(Uint128::new),
                                deposit_enabled: enabled[0],
                                borrow_enabled: enabled[1],
                                collateral_enabled: enabled[2],
                            },
                        }
                    },
                )
        }

        proptest! {
            #[test]
            fn any_position_round_trips(
                owner in canonical(),
                collateral in vec(balance(), 0..=32),
                debt in vec(balance(), 0..=32),
                automation in option::of(automation()),
            ) {
                let position = Position { owner, collateral, debt, automation };
                let bytes = position.encode().unwrap();
                prop_assert_eq!(Position::decode(&bytes).unwrap(), position);
            }

            #[test]
            fn any_asset_record_round_trips(info in asset_info(), words in any::<[[u8; 32]; 3]>(),
                amounts in any::<[u128; 4]>(), last_updated in any::<u64>()) {
                prop_assert_eq!(AssetInfo::decode(&info.encode().unwrap()).unwrap(), info);
                let state = AssetState {
                    supply_index: Decimal256::new(Uint256::from_be_bytes(words[0])),
                    borrow_index: Decimal256::new(Uint256::from_be_bytes(words[1])),
                    scaled_supply: Uint128::new(amounts[0]),
                    scaled_debt: Uint128::new(amounts[1]),
                    reserves: Decimal256::new(Uint256::from_be_bytes(words[2])),
                    deficit: Uint128::new(amounts[2]),
                    cash: Uint128::new(amounts[3]),
                    last_updated,
                };
                prop_assert_eq!(AssetState::decode(&state.encode().unwrap()).unwrap(), state);
            }

            /// Whatever the bytes, a decoder returns a value or an error: it never panics.
            #[test]
            fn no_bytes_make_a_decoder_panic(bytes in vec(any::<u8>(), 0..400)) {
                let human = |c: &CanonicalAddr| Ok(Addr::unchecked(format!("{c}")));
                let _ = Position::decode(&bytes);
                let _ = AssetInfo::decode(&bytes);
                let _ = AssetState::decode(&bytes);
                let _ = Config::decode(&bytes, human);
            }
        }
    }
}
