//! Storage. Keys are one or two bytes and assets are referred to by a `u16` id inside positions,
//! so that the hot records (asset state, positions) stay small: every byte written costs gas.
use cosmwasm_std::{
    Addr, Binary, Decimal, Decimal256, Empty, Order, StdError, StdResult, Storage, Uint128, Uint256,
};
use cw_storage_plus::{Item, Map, PrimaryKey};
use keel_math::{HealthBounds, RateModel, RatePoint};
use keel_types::json::{FromJson, Items, Json, JsonError};
use keel_types::market::{AssetKind, AssetParams};
use keel_types::{deserialize_via_json, json_struct};
use serde::Serialize;
use std::marker::PhantomData;

pub type AssetId = u16;
pub type PositionId = u64;

/// The market's configuration, read by every message: stored as a compact JSON array
/// ([`StoredConfig`], without the field names), which saves about 600 SDK gas per read. Read
/// back by `keel_types::json` (smaller wasm than a derived `Deserialize`).
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(into = "StoredConfig")]
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

/// The stored form of [`Config`]: its fields in declaration order, `default_health` as
/// `[min, target, max]`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct StoredConfig(StoredConfigFields);

type StoredConfigFields = (
    Addr,
    Option<Addr>,
    Addr,
    Option<Addr>,
    Option<Addr>,
    Option<Addr>,
    (Decimal, Decimal, Decimal),
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    u32,
    Option<AssetId>,
);

impl From<Config> for StoredConfig {
    fn from(c: Config) -> Self {
        let HealthBounds { min, target, max } = c.default_health;
        StoredConfig((
            c.owner,
            c.pending_owner,
            c.oracle,
            c.liquidator,
            c.guardian,
            c.treasury,
            (min, target, max),
            c.borrow_health_floor,
            c.min_debt_value,
            c.dust_debt_value,
            c.max_close_factor,
            c.max_liquidation_bonus,
            c.max_position_assets,
            c.moet,
        ))
    }
}

impl FromJson for Config {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut items = Items::new(value)?;
        let owner = items.item()?;
        let pending_owner = items.item()?;
        let oracle = items.item()?;
        let liquidator = items.item()?;
        let guardian = items.item()?;
        let treasury = items.item()?;
        let mut bounds = Items::new(items.item()?)?;
        let default_health = HealthBounds {
            min: bounds.item()?,
            target: bounds.item()?,
            max: bounds.item()?,
        };
        bounds.finish()?;
        let config = Config {
            owner,
            pending_owner,
            oracle,
            liquidator,
            guardian,
            treasury,
            default_health,
            borrow_health_floor: items.item()?,
            min_debt_value: items.item()?,
            dust_debt_value: items.item()?,
            max_close_factor: items.item()?,
            max_liquidation_bonus: items.item()?,
            max_position_assets: items.item()?,
            moet: items.item()?,
        };
        items.finish()?;
        Ok(config)
    }
}

/// The rarely written part of a listed asset. It is read by nearly every message (once per
/// asset of the position), so it is stored as a compact JSON array ([`StoredAssetInfo`]:
/// ~90 bytes instead of ~400 with the field names of `AssetParams`), which saves about 1k SDK
/// gas per asset read. Read back by `keel_types::json`.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(into = "StoredAssetInfo")]
pub struct AssetInfo {
    pub denom: String,
    pub params: AssetParams,
}

const KIND_MINTED: u8 = 1;
const DEPOSIT_ENABLED: u8 = 2;
const BORROW_ENABLED: u8 = 4;
const COLLATERAL_ENABLED: u8 = 8;

/// The stored form of [`AssetInfo`]: `[denom, decimals, flags, collateral_factor,
/// liquidation_threshold, borrow_factor, reserve_factor, [fixed_rate, [[utilization, rate]...]],
/// supply_cap, borrow_cap]`, flags being `minted | deposit << 1 | borrow << 2 | collateral << 3`.
/// (serde-json-wasm writes tuples, not tuple structs: hence the transparent wrapper.)
#[derive(Serialize)]
#[serde(transparent)]
pub struct StoredAssetInfo(StoredAssetInfoFields);

type StoredAssetInfoFields = (
    String,
    u8,
    u8,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    (Option<Decimal>, Vec<(Decimal, Decimal)>),
    Option<Uint128>,
    Option<Uint128>,
);

impl From<AssetInfo> for StoredAssetInfo {
    fn from(info: AssetInfo) -> Self {
        let p = info.params;
        let mut flags = 0;
        if p.kind == AssetKind::Minted {
            flags |= KIND_MINTED;
        }
        if p.deposit_enabled {
            flags |= DEPOSIT_ENABLED;
        }
        if p.borrow_enabled {
            flags |= BORROW_ENABLED;
        }
        if p.collateral_enabled {
            flags |= COLLATERAL_ENABLED;
        }
        let rate = match p.rate_model {
            RateModel::Fixed { rate } => (Some(rate), vec![]),
            RateModel::Piecewise { points } => (
                None,
                points
                    .into_iter()
                    .map(|x| (x.utilization, x.rate))
                    .collect(),
            ),
        };
        StoredAssetInfo((
            info.denom,
            p.decimals,
            flags,
            p.collateral_factor,
            p.liquidation_threshold,
            p.borrow_factor,
            p.reserve_factor,
            rate,
            p.supply_cap,
            p.borrow_cap,
        ))
    }
}

impl FromJson for AssetInfo {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut items = Items::new(value)?;
        let denom = items.item()?;
        let decimals = items.item()?;
        let flags: u8 = items.item()?;
        let collateral_factor = items.item()?;
        let liquidation_threshold = items.item()?;
        let borrow_factor = items.item()?;
        let reserve_factor = items.item()?;
        let mut rate = Items::new(items.item()?)?;
        let fixed: Option<Decimal> = rate.item()?;
        let points: Vec<Json> = rate.item()?;
        rate.finish()?;
        let rate_model = match fixed {
            Some(rate) => RateModel::Fixed { rate },
            None => RateModel::Piecewise {
                points: points
                    .into_iter()
                    .map(|point| {
                        let mut point = Items::new(point)?;
                        let p = RatePoint {
                            utilization: point.item()?,
                            rate: point.item()?,
                        };
                        point.finish()?;
                        Ok(p)
                    })
                    .collect::<Result<_, JsonError>>()?,
            },
        };
        let info = AssetInfo {
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
                supply_cap: items.item()?,
                borrow_cap: items.item()?,
                deposit_enabled: flags & DEPOSIT_ENABLED != 0,
                borrow_enabled: flags & BORROW_ENABLED != 0,
                collateral_enabled: flags & COLLATERAL_ENABLED != 0,
            },
        };
        items.finish()?;
        Ok(info)
    }
}

deserialize_via_json!(Config, AssetInfo, StoredAutomation, StoredSink);

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

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct StoredAutomation {
    pub sink: Option<StoredSink>,
    pub source: Option<Addr>,
    pub health: Option<HealthBounds>,
    pub self_repay: bool,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct StoredSink {
    pub address: Addr,
    pub msg: Option<Binary>,
}

json_struct!(StoredAutomation {
    sink,
    source,
    health,
    self_repay
});
json_struct!(StoredSink { address, msg });

/// A position. Written by nearly every message, so it is stored in a binary form
/// (see its [`Record`] impl) rather than JSON: about half the bytes, and every byte written costs 30
/// SDK gas.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub owner: Addr,
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

/// `[len, big-endian bytes without leading zeros]` of an unsigned integer. Not inlined: keeps
/// the callers' wasm locals few (chains refuse functions with over 100).
#[inline(never)]
fn put_uint(out: &mut Vec<u8>, be_bytes: &[u8]) {
    let skip = be_bytes.iter().take_while(|b| **b == 0).count();
    let digits = be_bytes.get(skip..).unwrap_or_default();
    // at most 32 bytes: fits the length byte
    out.push(digits.len() as u8);
    out.extend_from_slice(digits);
}

/// Reads `put_uint`'s output into a zero-padded `N`-byte big-endian array.
#[inline(never)]
fn take_uint<const N: usize>(bytes: &mut &[u8]) -> StdResult<[u8; N]> {
    let len = usize::from(take_u8(bytes)?);
    let digits = take(bytes, len)?;
    let mut out = [0u8; N];
    let start = N
        .checked_sub(len)
        .ok_or_else(|| corrupt("integer", "too long"))?;
    out.get_mut(start..)
        .ok_or_else(|| corrupt("integer", "too long"))?
        .copy_from_slice(digits);
    Ok(out)
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> StdResult<&'a [u8]> {
    if bytes.len() < len {
        return Err(corrupt("record", "truncated"));
    }
    let (head, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(head)
}

fn take_u8(bytes: &mut &[u8]) -> StdResult<u8> {
    take(bytes, 1)?
        .first()
        .copied()
        .ok_or_else(|| corrupt("record", "truncated"))
}

fn corrupt(what: &str, why: &str) -> StdError {
    StdError::generic_err(format!("corrupt {what}: {why}"))
}

/// The binary form of a position:
/// `owner_len:u8 owner:utf8 n_collateral:u8 balance* n_debt:u8 balance* [automation JSON]`, a
/// balance being `asset:u16be scaled:uint mark:(0 | 1 uint)`, each `uint` a length byte and
/// the big-endian bytes without leading zeros. A position holds at most 32 assets
/// (`max_position_assets`), so counts fit one byte.
impl Record for Position {
    fn encode(&self) -> StdResult<Vec<u8>> {
        let owner = self.owner.as_bytes();
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
            out.extend_from_slice(&cosmwasm_std::to_json_vec(automation)?);
        }
        Ok(out)
    }

    fn decode(mut bytes: &[u8]) -> StdResult<Self> {
        let bytes = &mut bytes;
        let owner_len = usize::from(take_u8(bytes)?);
        let owner = std::str::from_utf8(take(bytes, owner_len)?)
            .map_err(|_| corrupt("position", "owner is not utf-8"))?;
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
            Some(cosmwasm_std::from_json(*bytes)?)
        };
        Ok(Position {
            owner: Addr::unchecked(owner),
            collateral,
            debt,
            automation,
        })
    }
}

pub const CONFIG: Item<Config> = Item::new("c");
pub const NEXT_POSITION_ID: Item<PositionId> = Item::new("n");
pub const ASSET_COUNT: Item<AssetId> = Item::new("k");
pub const ASSET_INFO: Map<AssetId, AssetInfo> = Map::new("i");
pub const ASSET_STATE: BinMap<AssetId, AssetState> = BinMap::new("s");
pub const DENOM_IDS: Map<&str, AssetId> = Map::new("d");
pub const POSITIONS: BinMap<PositionId, Position> = BinMap::new("p");
/// Owner index, for the `positions {owner}` query only.
pub const OWNER_POSITIONS: Map<(&Addr, PositionId), Empty> = Map::new("o");

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
            owner: Addr::unchecked("owner"),
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
            source: Some(Addr::unchecked("source")),
            health: None,
            self_repay: true,
        }));
        let bytes = Record::encode(&automated).unwrap();
        assert_eq!(Position::decode(&bytes).unwrap(), automated);
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
    fn config_round_trips_through_its_compact_form() {
        let config = Config {
            owner: Addr::unchecked("owner"),
            pending_owner: None,
            oracle: Addr::unchecked("oracle"),
            liquidator: Some(Addr::unchecked("liquidator")),
            guardian: None,
            treasury: Some(Addr::unchecked("treasury")),
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
        let bytes = cosmwasm_std::to_json_vec(&config).unwrap();
        let back: Config = cosmwasm_std::from_json(&bytes).unwrap();
        assert_eq!(back, config);
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
            let bytes = cosmwasm_std::to_json_vec(&original).unwrap();
            assert!(bytes.len() < 120, "{}", String::from_utf8_lossy(&bytes));
            let back: AssetInfo = cosmwasm_std::from_json(&bytes).unwrap();
            assert_eq!(back, original);
        }
    }
}
