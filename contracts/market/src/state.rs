//! Storage. Keys are one or two bytes and assets are referred to by a `u16` id inside positions,
//! so that the hot records (asset state, positions) stay small: every byte written costs gas.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Decimal, Decimal256, Empty, Uint128};
use cw_storage_plus::{Item, Map};
use keel_math::HealthBounds;
use keel_types::market::AssetParams;

pub type AssetId = u16;
pub type PositionId = u64;

#[cw_serde]
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

/// The rarely written part of a listed asset.
#[cw_serde]
pub struct AssetInfo {
    pub denom: String,
    pub params: AssetParams,
}

/// The part of a listed asset that changes on every touch (SPEC 3.2). Short field names: this
/// record is rewritten by nearly every message.
#[cw_serde]
pub struct AssetState {
    /// Supply index (starts at 1).
    #[serde(rename = "si")]
    pub supply_index: Decimal256,
    /// Borrow index (starts at 1).
    #[serde(rename = "bi")]
    pub borrow_index: Decimal256,
    /// `S_s`: sum of the positions' scaled collateral.
    #[serde(rename = "ss")]
    pub scaled_supply: Uint128,
    /// `D_s`: sum of the positions' scaled debt.
    #[serde(rename = "sd")]
    pub scaled_debt: Uint128,
    /// `R`, in base units with 18 decimals of a base unit (no truncation loss on accrual).
    #[serde(rename = "r")]
    pub reserves: Decimal256,
    /// Written-off minted debt that reserves must cover before any reserve withdrawal.
    #[serde(rename = "df")]
    pub deficit: Uint128,
    /// Tokens of a pool asset held for the market's books (`S + R - D`, tracked, not queried).
    #[serde(rename = "c")]
    pub cash: Uint128,
    #[serde(rename = "t")]
    pub last_updated: u64,
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

/// One balance of a position: asset id and scaled amount; `m` is the supply index at the last
/// touch when the position self-repays (the interest since then goes to repaying MOET).
#[cw_serde]
pub struct Balance {
    #[serde(rename = "a")]
    pub asset: AssetId,
    #[serde(rename = "s")]
    pub scaled: Uint128,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Decimal256>,
}

/// Validated automation settings.
#[cw_serde]
pub struct StoredAutomation {
    pub sink: Option<StoredSink>,
    pub source: Option<Addr>,
    pub health: Option<HealthBounds>,
    pub self_repay: bool,
}

#[cw_serde]
pub struct StoredSink {
    pub address: Addr,
    pub msg: Option<Binary>,
}

#[cw_serde]
pub struct Position {
    #[serde(rename = "o")]
    pub owner: Addr,
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    pub collateral: Vec<Balance>,
    #[serde(rename = "d", default, skip_serializing_if = "Vec::is_empty")]
    pub debt: Vec<Balance>,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub automation: Option<StoredAutomation>,
}

pub const CONFIG: Item<Config> = Item::new("c");
pub const NEXT_POSITION_ID: Item<PositionId> = Item::new("n");
pub const ASSET_COUNT: Item<AssetId> = Item::new("k");
pub const ASSET_INFO: Map<AssetId, AssetInfo> = Map::new("i");
pub const ASSET_STATE: Map<AssetId, AssetState> = Map::new("s");
pub const DENOM_IDS: Map<&str, AssetId> = Map::new("d");
pub const POSITIONS: Map<PositionId, Position> = Map::new("p");
/// Owner index, for the `positions {owner}` query only.
pub const OWNER_POSITIONS: Map<(&Addr, PositionId), Empty> = Map::new("o");
