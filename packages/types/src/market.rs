//! Market messages (SPEC section 3).
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, Decimal256, Uint128};
use cw20::Cw20ReceiveMsg;
use keel_math::{Band, HealthBounds, RateModel};

/// `{"owner", "oracle"}`; every other field is optional with its default.
#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    pub oracle: String,
    pub liquidator: Option<String>,
    pub guardian: Option<String>,
    pub treasury: Option<String>,
    /// Default health bounds of positions without their own (default 1.1 / 1.3 / 1.5).
    #[serde(alias = "default_health_bounds", alias = "health_bounds")]
    pub default_health: Option<HealthBounds>,
    /// Lowest health factor a borrow or withdraw may leave (default 1.0).
    pub borrow_health_floor: Option<Decimal>,
    /// Lowest non-zero debt value, in MOET (default 1).
    pub min_debt_value: Option<Decimal>,
    /// Debt value below which a liquidation may close a debt in full (default 10).
    pub dust_debt_value: Option<Decimal>,
    /// Largest share of a debt one liquidation may repay (default 0.5).
    pub max_close_factor: Option<Decimal>,
    /// Largest liquidation bonus the market pays (default 0.15).
    pub max_liquidation_bonus: Option<Decimal>,
    /// Most distinct denoms in one position (default 10).
    pub max_position_assets: Option<u32>,
    /// Share of a redemption that stays with the redeemed position (default 0.005, from 0.001
    /// to 0.1).
    pub redemption_fee: Option<Decimal>,
    /// Positions below this health factor may be redeemed against (default 1.3, above 1).
    pub redemption_health: Option<Decimal>,
}

/// Whether lenders supply the asset, or the market mints it (MOET).
#[cw_serde]
#[derive(Copy, Eq)]
pub enum AssetKind {
    Pool,
    Minted,
}

/// Parameters of a listed asset (SPEC 3.1).
#[cw_serde]
pub struct AssetParams {
    pub decimals: u8,
    pub kind: AssetKind,
    /// Omitted: 0 (no borrowing credit).
    #[serde(default)]
    pub collateral_factor: Decimal,
    /// Omitted: 0.
    #[serde(default)]
    pub liquidation_threshold: Decimal,
    /// Omitted: 1.
    #[serde(default = "Decimal::one")]
    pub borrow_factor: Decimal,
    /// Omitted: 0.
    #[serde(default)]
    pub reserve_factor: Decimal,
    /// Omitted: a fixed rate of 0.
    #[serde(default = "zero_rate")]
    pub rate_model: RateModel,
    pub supply_cap: Option<Uint128>,
    pub borrow_cap: Option<Uint128>,
    #[serde(default)]
    pub deposit_enabled: bool,
    #[serde(default)]
    pub borrow_enabled: bool,
    #[serde(default)]
    pub collateral_enabled: bool,
}

fn zero_rate() -> RateModel {
    RateModel::Fixed {
        rate: Decimal::zero(),
    }
}

/// Where auto-borrowed MOET goes: a plain transfer, or a cw20 `send` with `msg` as the hook.
#[cw_serde]
pub struct DrawDownSink {
    pub address: String,
    pub msg: Option<Binary>,
}

/// A position's automation settings (SPEC 3.5).
#[cw_serde]
pub struct Automation {
    pub draw_down_sink: Option<DrawDownSink>,
    pub top_up_source: Option<String>,
    /// The position's own health bounds; the config default when null.
    pub health: Option<HealthBounds>,
    #[serde(default)]
    pub self_repay: bool,
}

#[cw_serde]
pub enum ExecuteMsg {
    // --- owner ---
    ListAsset {
        denom: String,
        params: AssetParams,
    },
    /// Owner: any params. Guardian: only turning `deposit_enabled` / `borrow_enabled` off.
    UpdateAsset {
        denom: String,
        params: AssetParams,
    },
    UpdateConfig(ConfigUpdate),
    TransferOwnership {
        new_owner: String,
    },
    AcceptOwnership {},
    /// At most reserves minus deficit, and at most cash; minted MOET is minted.
    WithdrawReserves {
        denom: String,
        amount: Uint128,
        recipient: Option<String>,
    },

    // --- users ---
    OpenPosition {
        automation: Option<Automation>,
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    Deposit {
        position_id: u64,
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    Withdraw {
        position_id: u64,
        denom: String,
        /// null withdraws everything.
        amount: Option<Uint128>,
        recipient: Option<String>,
    },
    Borrow {
        position_id: u64,
        denom: String,
        amount: Uint128,
        recipient: Option<String>,
        /// Credit the borrowed tokens to the same position as collateral.
        #[serde(default)]
        to_collateral: bool,
    },
    Repay {
        position_id: u64,
    },
    SetAutomation {
        position_id: u64,
        automation: Option<Automation>,
    },
    /// Anyone (keepers): bring the position back to its target health (SPEC 3.5).
    Rebalance {
        position_id: u64,
    },
    /// The sender consents to back position `position_id` as its top-up source with at most
    /// `amount` MOET base units in all (replacing any remainder of an earlier consent). The owner
    /// needs no consent for its own position.
    AllowTopUp {
        position_id: u64,
        amount: Uint128,
    },
    /// The sender withdraws its consent to back position `position_id` (sets it to 0).
    DisallowTopUp {
        position_id: u64,
    },
    /// Owner: pauses or resumes redemptions. Guardian: may only pause them.
    SetRedemptionsPaused {
        paused: bool,
    },

    // --- liquidator ---
    /// Liquidator only: a liquidation computed and settled by the market in one pass (SPEC 4),
    /// with the repayment attached (native funds, or the debt token's `send`): the amounts of
    /// SPEC 4 from the market's one oracle query; the unused repayment is refunded to
    /// `recipient`.
    Liquidate {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
        /// The liquidator's close factor (capped by `max_close_factor`).
        close_factor: Decimal,
        /// The liquidator's bonus (capped by `max_liquidation_bonus`).
        liquidation_bonus: Decimal,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
        /// Who liquidates: receives the collateral and the unused repayment.
        recipient: String,
    },
    /// Liquidator only: a liquidation with the amounts computed by the liquidator; the market
    /// re-checks them (SPEC 3.6).
    Seize {
        position_id: u64,
        debt_denom: String,
        repay_amount: Uint128,
        collateral_denom: String,
        collateral_amount: Uint128,
        recipient: String,
    },

    /// cw20 tokens arrive here; `msg` is a `ReceiveMsg`.
    Receive(Cw20ReceiveMsg),
}

/// The hook messages accepted with cw20 `send`: the same JSON as the execute messages.
#[cw_serde]
pub enum ReceiveMsg {
    OpenPosition {
        automation: Option<Automation>,
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    Deposit {
        position_id: u64,
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    Repay {
        position_id: u64,
    },
    Liquidate {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
        /// The liquidator's close factor (capped by `max_close_factor`).
        close_factor: Decimal,
        /// The liquidator's bonus (capped by `max_liquidation_bonus`).
        liquidation_bonus: Decimal,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
        /// Who liquidates: receives the collateral and the unused repayment.
        recipient: String,
    },
    Seize {
        position_id: u64,
        debt_denom: String,
        repay_amount: Uint128,
        collateral_denom: String,
        collateral_amount: Uint128,
        recipient: String,
    },
    /// MOET only: redeems the MOET sent against position `position_id`'s MOET debt for its
    /// `collateral_denom` at face value, less the redemption fee, which stays in the position
    /// (SPEC 3.6a). Anyone; the redeemer is the `send`'s sender. The excess is refunded.
    Redeem {
        position_id: u64,
        collateral_denom: String,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
    },
}

/// `update_config {...}`: every field optional; null leaves it unchanged.
#[cw_serde]
#[derive(Default)]
pub struct ConfigUpdate {
    pub oracle: Option<String>,
    pub liquidator: Option<String>,
    pub guardian: Option<String>,
    pub treasury: Option<String>,
    #[serde(alias = "default_health_bounds", alias = "health_bounds")]
    pub default_health: Option<HealthBounds>,
    pub borrow_health_floor: Option<Decimal>,
    pub min_debt_value: Option<Decimal>,
    pub dust_debt_value: Option<Decimal>,
    pub max_close_factor: Option<Decimal>,
    pub max_liquidation_bonus: Option<Decimal>,
    pub max_position_assets: Option<u32>,
    pub redemption_fee: Option<Decimal>,
    pub redemption_health: Option<Decimal>,
}

#[cw_serde]
pub struct MigrateMsg {}

/// One step of a `simulate` query.
#[cw_serde]
pub enum SimulateAction {
    Deposit { denom: String, amount: Uint128 },
    Withdraw { denom: String, amount: Uint128 },
    Borrow { denom: String, amount: Uint128 },
    Repay { denom: String, amount: Uint128 },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(AssetResponse)]
    Asset { denom: String },
    #[returns(Vec<AssetResponse>)]
    Assets {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(PositionResponse)]
    Position { position_id: u64 },
    #[returns(Vec<PositionResponse>)]
    Positions {
        owner: Option<String>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Scans `limit` positions after `start_after`; returns those with LHF < 1.
    #[returns(LiquidatablePositionsResponse)]
    LiquidatablePositions {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(MaxBorrowResponse)]
    MaxBorrow { position_id: u64, denom: String },
    /// The position after `actions`, nothing saved.
    #[returns(PositionResponse)]
    Simulate {
        position_id: u64,
        actions: Vec<SimulateAction>,
    },
    /// What a `redeem` of `amount` MOET (null: the most the position can take) against the
    /// position's `collateral_denom` would do now (SPEC 3.6a).
    #[returns(RedemptionQuoteResponse)]
    RedemptionQuote {
        position_id: u64,
        collateral_denom: String,
        amount: Option<Uint128>,
    },
    /// Scans `limit` positions after `start_after`; returns those a redemption may take MOET
    /// from (they owe MOET, and their HF at redemption prices is below their redemption health).
    #[returns(RedeemablePositionsResponse)]
    RedeemablePositions {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// What `source` has left of its consent to back position `position_id` as a top-up source
    /// (MOET base units); the owner needs none.
    #[returns(TopUpConsentResponse)]
    TopUpConsent { position_id: u64, source: String },
    /// What `liquidate` with this close factor and bonus would do now, with `repay_amount`
    /// offered (null: the most that may be repaid): the liquidator's `quote`.
    #[returns(crate::liquidator::QuoteResponse)]
    LiquidationQuote {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
        close_factor: Decimal,
        liquidation_bonus: Decimal,
        repay_amount: Option<Uint128>,
    },
    /// Everything a liquidator needs to price a liquidation in one query.
    #[returns(LiquidationContextResponse)]
    LiquidationContext {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
    },
}

#[cw_serde]
pub struct ConfigResponse {
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
    pub redemption_fee: Decimal,
    pub redemption_health: Decimal,
    /// Whether redemptions are paused (`set_redemptions_paused`).
    pub redemptions_paused: bool,
    /// The minted asset (MOET) once listed.
    pub moet_denom: Option<String>,
}

#[cw_serde]
pub struct AssetResponse {
    pub denom: String,
    pub params: AssetParams,
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    /// Lenders' `S` in base units (rounded down), without reserves.
    pub total_supply: Uint128,
    /// `D` in base units (rounded up).
    pub total_debt: Uint128,
    /// `R` in base units (rounded down).
    pub reserves: Uint128,
    pub deficit: Uint128,
    pub utilization: Decimal,
    pub borrow_rate: Decimal,
    pub supply_rate: Decimal,
    pub last_updated: u64,
}

/// One balance of a position; `value` is null when the price is unavailable.
#[cw_serde]
pub struct PositionBalance {
    pub denom: String,
    pub amount: Uint128,
    pub value: Option<Decimal256>,
}

#[cw_serde]
pub struct HealthResponse {
    pub effective_collateral: Decimal256,
    pub liquidation_limit: Decimal256,
    pub effective_debt: Decimal256,
    pub health_factor: Option<Decimal256>,
    pub liquidation_health_factor: Option<Decimal256>,
    pub borrow_limit_used: Option<Decimal256>,
    pub band: Band,
}

#[cw_serde]
pub struct PositionResponse {
    pub position_id: u64,
    pub owner: Addr,
    pub collateral: Vec<PositionBalance>,
    pub debt: Vec<PositionBalance>,
    /// null when a price is unavailable (see `price_error`).
    pub health: Option<HealthResponse>,
    pub automation: Option<Automation>,
    /// Names the denom whose price was unavailable.
    pub price_error: Option<String>,
}

#[cw_serde]
pub struct LiquidatablePositionsResponse {
    pub positions: Vec<PositionResponse>,
    /// The last position id scanned; pass it as `start_after` to go on. null when none scanned.
    pub last_scanned: Option<u64>,
}

#[cw_serde]
pub struct MaxBorrowResponse {
    /// Base units borrowable to reach the target health (at `price`).
    pub at_target: Uint128,
    /// Base units borrowable down to the borrow health floor (conservative prices).
    pub at_floor: Uint128,
}

#[cw_serde]
pub struct RedemptionQuoteResponse {
    /// Whether the redemption would go through; `false` with zeros otherwise.
    pub redeemable: bool,
    /// MOET burnt against the debt (base units); the rest of what is sent is refunded.
    pub repay_amount: Uint128,
    /// Collateral paid to the redeemer (base units).
    pub collateral_out: Uint128,
    /// `repay_amount` minus the value of `collateral_out` at the redemption price (whole MOET):
    /// what stays with the position.
    pub fee_value: Decimal256,
    /// HF at redemption prices, before and after.
    pub health_before: Option<Decimal256>,
    pub health_after: Option<Decimal256>,
}

#[cw_serde]
pub struct RedeemablePosition {
    pub position_id: u64,
    /// HF at redemption prices (collateral at `max(price, twap)`).
    pub health_factor: Decimal256,
    /// MOET debt (base units).
    pub moet_debt: Uint128,
}

#[cw_serde]
pub struct RedeemablePositionsResponse {
    pub positions: Vec<RedeemablePosition>,
    /// The last position id scanned; pass it as `start_after` to go on. null when none scanned.
    pub last_scanned: Option<u64>,
}

#[cw_serde]
pub struct TopUpConsentResponse {
    /// MOET base units the source still consents to give the position.
    pub amount: Uint128,
}

#[cw_serde]
pub struct LiquidationContextResponse {
    pub liquidatable: bool,
    pub liquidation_health_factor: Option<Decimal256>,
    /// The position's debt in `debt_denom` (base units, rounded up).
    pub debt_amount: Uint128,
    pub debt_decimals: u8,
    pub debt_price: Decimal,
    /// The position's collateral in `collateral_denom` (base units, rounded down).
    pub collateral_amount: Uint128,
    pub collateral_decimals: u8,
    pub collateral_price: Decimal,
    pub dust_debt_value: Decimal,
    pub max_close_factor: Decimal,
    pub max_liquidation_bonus: Decimal,
}
