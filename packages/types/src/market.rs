//! Market messages (SPEC section 3).
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, Decimal256, Uint128};
use cw20::Cw20ReceiveMsg;
use keel_math::{Band, HealthBounds, RateModel};

/// `{"owner", "oracle"}`; every other field is optional with its default.
#[cw_serde]
pub struct InstantiateMsg {
    /// The market's owner (lists assets, changes the config; two-step transfer).
    pub owner: String,
    /// The `keel-oracle` contract that prices every asset but MOET.
    pub oracle: String,
    /// The `keel-liquidator` contract, the only caller of `liquidate` and `seize`; usually set
    /// later with `update_config`, once the liquidator exists (SPEC 3.0).
    pub liquidator: Option<String>,
    /// May only disable deposits and borrows of an asset and pause redemptions.
    pub guardian: Option<String>,
    /// Default recipient of `withdraw_reserves`.
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
    /// Lenders supply it, borrowers borrow it from the pool.
    Pool,
    /// The market mints it on borrow and burns it on repay (MOET only; at most one).
    Minted,
}

/// Parameters of a listed asset (SPEC 3.1).
#[cw_serde]
pub struct AssetParams {
    /// Decimals of the token: `amount / 10^decimals` whole tokens (0 to 18).
    pub decimals: u8,
    /// `pool` or `minted` (MOET).
    pub kind: AssetKind,
    /// Collateral factor (CF, 0..1): the share of a collateral's value that counts as borrowing
    /// credit. Omitted: 0 (no borrowing credit).
    #[serde(default)]
    pub collateral_factor: Decimal,
    /// Liquidation threshold (LT, CF..1): the share of a collateral's value that counts toward
    /// the liquidation limit. Omitted: 0.
    #[serde(default)]
    pub liquidation_threshold: Decimal,
    /// Borrow factor (BF, >= 1): weighs debt in this asset up. Omitted: 1.
    #[serde(default = "Decimal::one")]
    pub borrow_factor: Decimal,
    /// Share of the interest paid that goes to the reserves (0..1). Omitted: 0.
    #[serde(default)]
    pub reserve_factor: Decimal,
    /// Yearly borrow rate as a function of utilization. Omitted: a fixed rate of 0.
    #[serde(default = "zero_rate")]
    pub rate_model: RateModel,
    /// Most base units lenders and collateral may hold in all after an action (null: no cap).
    pub supply_cap: Option<Uint128>,
    /// Most base units that may be owed in all after an action (null: no cap).
    pub borrow_cap: Option<Uint128>,
    /// Whether deposits (collateral and lending) are accepted. Omitted: false.
    #[serde(default)]
    pub deposit_enabled: bool,
    /// Whether the asset may be borrowed. Omitted: false.
    #[serde(default)]
    pub borrow_enabled: bool,
    /// Whether a deposit counts as collateral (with CF and LT). Omitted: false.
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
    /// Receives the auto-borrowed MOET.
    pub address: String,
    /// With a `msg`, the MOET goes by cw20 `send` with this hook (the address is a contract);
    /// null: a plain cw20 `transfer`.
    pub msg: Option<Binary>,
}

/// A position's automation settings (SPEC 3.5).
#[cw_serde]
pub struct Automation {
    /// Where auto-borrowed MOET goes (auto-borrow on open/deposit, and `rebalance` above `max`);
    /// null: the owner for auto-borrow, and no draw-down by `rebalance`.
    pub draw_down_sink: Option<DrawDownSink>,
    /// Who repays MOET when `rebalance` finds the position below `min`: the owner, or an address
    /// that consented with `allow_top_up` and gave the market a cw20 allowance. null: none.
    pub top_up_source: Option<String>,
    /// The position's own health bounds; the config default when null.
    pub health: Option<HealthBounds>,
    /// Whether the supply interest the collateral earns repays the MOET debt on every touch
    /// (SPEC 3.5). Omitted: false.
    #[serde(default)]
    pub self_repay: bool,
}

/// The market's execute messages (SPEC 3).
#[cw_serde]
pub enum ExecuteMsg {
    // --- owner ---
    /// Owner: lists an asset (MOET first, as the `minted` asset; SPEC 3.0, 3.1).
    ListAsset {
        /// A native denom, or `cw20:<token address>`.
        denom: String,
        /// The asset's parameters; invalid ones are refused with the reason.
        params: AssetParams,
    },
    /// Owner: any params. Guardian: only turning `deposit_enabled` / `borrow_enabled` off.
    UpdateAsset {
        /// A listed asset.
        denom: String,
        /// The new parameters (`decimals` and `kind` cannot change).
        params: AssetParams,
    },
    /// Owner: changes the given fields of the config (null leaves a field unchanged).
    UpdateConfig(ConfigUpdate),
    /// Owner: proposes a new owner, who must `accept_ownership`.
    TransferOwnership {
        /// The proposed owner.
        new_owner: String,
    },
    /// The proposed owner becomes the owner.
    AcceptOwnership {},
    /// Owner: at most reserves minus deficit, and at most cash; minted MOET is minted.
    WithdrawReserves {
        /// A listed asset.
        denom: String,
        /// Base units.
        amount: Uint128,
        /// Receives the tokens; null: the treasury, else the owner.
        recipient: Option<String>,
    },

    // --- users ---
    /// Opens a position owned by the sender with the attached funds as collateral (each denom
    /// must have a valid price); the new id is in the `position_id` event attribute and the
    /// response data.
    OpenPosition {
        /// Auto-borrow, rebalancing and self-repay settings (SPEC 3.5); null: none.
        automation: Option<Automation>,
        /// Borrow MOET to the target health at once and push it to the draw-down sink (the owner
        /// when none). Omitted: false.
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    /// Adds the attached funds to a position's collateral: anyone for a denom the position holds,
    /// only the owner for a new denom (which must have a valid price).
    Deposit {
        /// The position.
        position_id: u64,
        /// Owner only: borrow MOET to the target health and push it to the draw-down sink.
        /// Omitted: false.
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    /// Owner: takes collateral out; the health left must stay at or above the borrow floor.
    Withdraw {
        /// The position.
        position_id: u64,
        /// The collateral to withdraw.
        denom: String,
        /// Base units; null withdraws everything.
        amount: Option<Uint128>,
        /// Receives the tokens; null: the sender.
        recipient: Option<String>,
    },
    /// Owner: borrows against the position (caps, pool cash, `borrow_enabled`, the health floor
    /// and the minimum debt apply). MOET is minted, a pool asset paid from the pool.
    Borrow {
        /// The position.
        position_id: u64,
        /// The asset to borrow.
        denom: String,
        /// Base units.
        amount: Uint128,
        /// Receives the tokens; null: the sender.
        recipient: Option<String>,
        /// Credit the borrowed tokens to the same position as collateral. Omitted: false.
        #[serde(default)]
        to_collateral: bool,
    },
    /// Anyone: repays a position's debt in the attached denom; the excess is refunded.
    Repay {
        /// The position.
        position_id: u64,
    },
    /// Owner: replaces (or with null removes) the position's automation.
    SetAutomation {
        /// The position.
        position_id: u64,
        /// The new settings; null: none.
        automation: Option<Automation>,
    },
    /// Anyone (keepers): bring the position back to its target health (SPEC 3.5).
    Rebalance {
        /// The position.
        position_id: u64,
    },
    /// The sender consents to back position `position_id` as its top-up source with at most
    /// `amount` MOET base units in all (replacing any remainder of an earlier consent). The owner
    /// needs no consent for its own position.
    AllowTopUp {
        /// The position (it must exist).
        position_id: u64,
        /// MOET base units, in all.
        amount: Uint128,
    },
    /// The sender withdraws its consent to back position `position_id` (sets it to 0).
    DisallowTopUp {
        /// The position.
        position_id: u64,
    },
    /// Owner: pauses or resumes redemptions. Guardian: may only pause them.
    SetRedemptionsPaused {
        /// true pauses, false resumes.
        paused: bool,
    },

    // --- liquidator ---
    /// Liquidator only: a liquidation computed and settled by the market in one pass (SPEC 4),
    /// with the repayment attached (native funds, or the debt token's `send`): the amounts of
    /// SPEC 4 from the market's one oracle query; the unused repayment is refunded to
    /// `recipient`.
    Liquidate {
        /// The position liquidated.
        position_id: u64,
        /// The debt repaid (the attached or sent denom).
        debt_denom: String,
        /// The collateral seized.
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
        /// The position liquidated.
        position_id: u64,
        /// The debt repaid (the attached or sent denom).
        debt_denom: String,
        /// Base units of `debt_denom` repaid.
        repay_amount: Uint128,
        /// The collateral seized.
        collateral_denom: String,
        /// Base units of `collateral_denom` paid to `recipient`.
        collateral_amount: Uint128,
        /// Receives the collateral.
        recipient: String,
    },
    /// MOET only, as the hook of a cw20 `send` of MOET to the market (see `ReceiveMsg::Redeem`);
    /// sent as an execute message it is refused, as it brings no MOET.
    Redeem {
        /// The position redeemed against (it owes MOET and is below the redemption health).
        position_id: u64,
        /// The collateral paid out.
        collateral_denom: String,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
    },

    /// cw20 tokens arrive here (a cw20 `send` to the market); `msg` is a `ReceiveMsg`.
    Receive(Cw20ReceiveMsg),
}

/// The hook messages accepted with cw20 `send` (the `msg` of a `send` to the market, from a listed
/// cw20 token): the same JSON as the execute messages of the same name (the market reads a hook
/// as an `ExecuteMsg`); the acting address is the `send`'s sender.
#[cw_serde]
pub enum ReceiveMsg {
    /// Opens a position owned by the sender with the sent tokens as collateral.
    OpenPosition {
        /// Auto-borrow, rebalancing and self-repay settings (SPEC 3.5); null: none.
        automation: Option<Automation>,
        /// Borrow MOET to the target health at once and push it to the draw-down sink (the owner
        /// when none). Omitted: false.
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    /// Adds the sent tokens to a position's collateral (a new denom: owner only).
    Deposit {
        /// The position.
        position_id: u64,
        /// Owner only: borrow MOET to the target health and push it to the draw-down sink.
        /// Omitted: false.
        #[serde(default)]
        push_to_draw_down_sink: bool,
    },
    /// Repays a position's debt in the sent token (MOET is burnt); the excess is refunded.
    Repay {
        /// The position.
        position_id: u64,
    },
    /// Liquidator only: `liquidate` with the repayment sent (SPEC 4).
    Liquidate {
        /// The position liquidated.
        position_id: u64,
        /// The debt repaid (the attached or sent denom).
        debt_denom: String,
        /// The collateral seized.
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
    /// Liquidator only: `seize` with the repayment sent (SPEC 3.6).
    Seize {
        /// The position liquidated.
        position_id: u64,
        /// The debt repaid (the attached or sent denom).
        debt_denom: String,
        /// Base units of `debt_denom` repaid.
        repay_amount: Uint128,
        /// The collateral seized.
        collateral_denom: String,
        /// Base units of `collateral_denom` paid to `recipient`.
        collateral_amount: Uint128,
        /// Receives the collateral.
        recipient: String,
    },
    /// MOET only: redeems the MOET sent against position `position_id`'s MOET debt for its
    /// `collateral_denom` at face value, less the redemption fee, which stays in the position
    /// (SPEC 3.6a). Anyone; the redeemer is the `send`'s sender. The excess is refunded.
    Redeem {
        /// The position redeemed against (it owes MOET and is below the redemption health).
        position_id: u64,
        /// The collateral paid out.
        collateral_denom: String,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
    },
}

/// `update_config {...}`: every field optional; null leaves it unchanged.
#[cw_serde]
#[derive(Default)]
pub struct ConfigUpdate {
    /// The oracle contract.
    pub oracle: Option<String>,
    /// The liquidator contract (the only caller of `liquidate` and `seize`).
    pub liquidator: Option<String>,
    /// May only disable deposits and borrows and pause redemptions.
    pub guardian: Option<String>,
    /// Default recipient of `withdraw_reserves`.
    pub treasury: Option<String>,
    /// Health bounds of positions without their own: `1 < min < target < max`.
    #[serde(alias = "default_health_bounds", alias = "health_bounds")]
    pub default_health: Option<HealthBounds>,
    /// Lowest health factor a borrow or withdraw may leave.
    pub borrow_health_floor: Option<Decimal>,
    /// Lowest non-zero debt value, in MOET.
    pub min_debt_value: Option<Decimal>,
    /// Debt value below which a liquidation may close a debt in full, in MOET.
    pub dust_debt_value: Option<Decimal>,
    /// Largest share of a debt one liquidation may repay.
    pub max_close_factor: Option<Decimal>,
    /// Largest liquidation bonus the market pays.
    pub max_liquidation_bonus: Option<Decimal>,
    /// Most distinct denoms in one position.
    pub max_position_assets: Option<u32>,
    /// Share of a redemption that stays with the redeemed position (0.001 to 0.1).
    pub redemption_fee: Option<Decimal>,
    /// Positions below this health factor may be redeemed against (above 1).
    pub redemption_health: Option<Decimal>,
}

/// `migrate` takes no parameters; the stored contract version (cw2) is checked.
#[cw_serde]
pub struct MigrateMsg {}

/// One step of a `simulate` query.
#[cw_serde]
pub enum SimulateAction {
    /// Adds collateral.
    Deposit {
        /// The asset.
        denom: String,
        /// Base units.
        amount: Uint128,
    },
    /// Takes collateral out.
    Withdraw {
        /// The asset.
        denom: String,
        /// Base units.
        amount: Uint128,
    },
    /// Adds debt.
    Borrow {
        /// The asset.
        denom: String,
        /// Base units.
        amount: Uint128,
    },
    /// Repays debt.
    Repay {
        /// The asset.
        denom: String,
        /// Base units.
        amount: Uint128,
    },
}

/// The market's queries (SPEC 3.8).
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// The market's config.
    #[returns(ConfigResponse)]
    Config {},
    /// A listed asset: params, indices and totals accrued to now.
    #[returns(AssetResponse)]
    Asset {
        /// The asset.
        denom: String,
    },
    /// Listed assets in denom order.
    #[returns(Vec<AssetResponse>)]
    Assets {
        /// Start after this denom (pagination).
        start_after: Option<String>,
        /// Default 10, at most 100.
        limit: Option<u32>,
    },
    /// A position with its balances, values and health (never fails for want of a price).
    #[returns(PositionResponse)]
    Position {
        /// The position.
        position_id: u64,
    },
    /// Positions in id order, of one owner or of all.
    #[returns(Vec<PositionResponse>)]
    Positions {
        /// Only this owner's positions; null: every position.
        owner: Option<String>,
        /// Start after this position id (pagination).
        start_after: Option<u64>,
        /// Default 10, at most 100.
        limit: Option<u32>,
    },
    /// Scans `limit` positions after `start_after`; returns those with LHF < 1.
    #[returns(LiquidatablePositionsResponse)]
    LiquidatablePositions {
        /// Start after this position id.
        start_after: Option<u64>,
        /// Positions scanned: default 10, at most 100.
        limit: Option<u32>,
    },
    /// How much of `denom` the position could borrow now, to its target health and to the floor.
    #[returns(MaxBorrowResponse)]
    MaxBorrow {
        /// The position.
        position_id: u64,
        /// The asset to borrow.
        denom: String,
    },
    /// The position after `actions`, nothing saved.
    #[returns(PositionResponse)]
    Simulate {
        /// The position.
        position_id: u64,
        /// Applied in order.
        actions: Vec<SimulateAction>,
    },
    /// What a `redeem` of `amount` MOET (null: the most the position can take) against the
    /// position's `collateral_denom` would do now (SPEC 3.6a).
    #[returns(RedemptionQuoteResponse)]
    RedemptionQuote {
        /// The position.
        position_id: u64,
        /// The collateral that would be paid out.
        collateral_denom: String,
        /// MOET base units sent; null: the most the position can take.
        amount: Option<Uint128>,
    },
    /// Scans `limit` positions after `start_after`; returns those a redemption may take MOET
    /// from (they owe MOET, and their HF at redemption prices is below their redemption health).
    #[returns(RedeemablePositionsResponse)]
    RedeemablePositions {
        /// Start after this position id.
        start_after: Option<u64>,
        /// Positions scanned: default 10, at most 100.
        limit: Option<u32>,
    },
    /// What `source` has left of its consent to back position `position_id` as a top-up source
    /// (MOET base units); the owner needs none.
    #[returns(TopUpConsentResponse)]
    TopUpConsent {
        /// The position.
        position_id: u64,
        /// The top-up source.
        source: String,
    },
    /// What `liquidate` with this close factor and bonus would do now, with `repay_amount`
    /// offered (null: the most that may be repaid): the liquidator's `quote`.
    #[returns(crate::liquidator::QuoteResponse)]
    LiquidationQuote {
        /// The position.
        position_id: u64,
        /// The debt that would be repaid.
        debt_denom: String,
        /// The collateral that would be seized.
        collateral_denom: String,
        /// The liquidator's close factor (capped by `max_close_factor`).
        close_factor: Decimal,
        /// The liquidator's bonus (capped by `max_liquidation_bonus`).
        liquidation_bonus: Decimal,
        /// Base units of `debt_denom` offered; null: the most that may be repaid.
        repay_amount: Option<Uint128>,
    },
}

/// The market's config (SPEC 3.7).
#[cw_serde]
pub struct ConfigResponse {
    /// The owner.
    pub owner: Addr,
    /// The proposed owner, until it accepts.
    pub pending_owner: Option<Addr>,
    /// The oracle contract.
    pub oracle: Addr,
    /// The liquidator contract, once set.
    pub liquidator: Option<Addr>,
    /// May only disable deposits and borrows and pause redemptions.
    pub guardian: Option<Addr>,
    /// Default recipient of `withdraw_reserves`.
    pub treasury: Option<Addr>,
    /// Health bounds of positions without their own.
    pub default_health: HealthBounds,
    /// Lowest health factor a borrow or withdraw may leave.
    pub borrow_health_floor: Decimal,
    /// Lowest non-zero debt value, in MOET.
    pub min_debt_value: Decimal,
    /// Debt value below which a liquidation may close a debt in full, in MOET.
    pub dust_debt_value: Decimal,
    /// Largest share of a debt one liquidation may repay.
    pub max_close_factor: Decimal,
    /// Largest liquidation bonus the market pays.
    pub max_liquidation_bonus: Decimal,
    /// Most distinct denoms in one position.
    pub max_position_assets: u32,
    /// Share of a redemption that stays with the redeemed position.
    pub redemption_fee: Decimal,
    /// Positions below this health factor may be redeemed against.
    pub redemption_health: Decimal,
    /// Whether redemptions are paused (`set_redemptions_paused`).
    pub redemptions_paused: bool,
    /// The minted asset (MOET) once listed.
    pub moet_denom: Option<String>,
}

/// A listed asset, accrued to the current block (SPEC 3.8).
#[cw_serde]
pub struct AssetResponse {
    /// The asset.
    pub denom: String,
    /// Its parameters.
    pub params: AssetParams,
    /// Underlying per scaled supply unit (starts at 1).
    pub supply_index: Decimal256,
    /// Underlying per scaled debt unit (starts at 1).
    pub borrow_index: Decimal256,
    /// Lenders' `S` in base units (rounded down), without reserves.
    pub total_supply: Uint128,
    /// `D` in base units (rounded up).
    pub total_debt: Uint128,
    /// `R` in base units (rounded down).
    pub reserves: Uint128,
    /// Bad debt of a minted asset not yet covered by reserves (base units).
    pub deficit: Uint128,
    /// `D / (S + R)`, capped at 1.
    pub utilization: Decimal,
    /// Yearly borrow rate now.
    pub borrow_rate: Decimal,
    /// Yearly rate lenders earn now.
    pub supply_rate: Decimal,
    /// Block time (seconds) of the last accrual stored.
    pub last_updated: u64,
}

/// One balance of a position; `value` is null when the price is unavailable.
#[cw_serde]
pub struct PositionBalance {
    /// The asset.
    pub denom: String,
    /// Base units (collateral rounded down, debt rounded up).
    pub amount: Uint128,
    /// In whole MOET at `price`; null when the price is unavailable.
    pub value: Option<Decimal256>,
}

/// A position's health at `price` (SPEC 3.3), in whole MOET.
#[cw_serde]
pub struct HealthResponse {
    /// `C = sum coll * p * CF`: the safe borrow limit.
    pub effective_collateral: Decimal256,
    /// `L = sum coll * p * LT`.
    pub liquidation_limit: Decimal256,
    /// `D = sum debt * p * BF`.
    pub effective_debt: Decimal256,
    /// `HF = C / D`; null without debt (infinite).
    pub health_factor: Option<Decimal256>,
    /// `LHF = L / D`, below 1: liquidatable; null without debt.
    pub liquidation_health_factor: Option<Decimal256>,
    /// `D / C`; null when `C` is 0.
    pub borrow_limit_used: Option<Decimal256>,
    /// Where the health stands against the position's bounds.
    pub band: Band,
}

/// A position (SPEC 3.8): optional fields are present as null, never omitted.
#[cw_serde]
pub struct PositionResponse {
    /// The position's id.
    pub position_id: u64,
    /// Its owner.
    pub owner: Addr,
    /// Collateral balances (zero balances omitted).
    pub collateral: Vec<PositionBalance>,
    /// Debt balances (zero balances omitted).
    pub debt: Vec<PositionBalance>,
    /// null when a price is unavailable (see `price_error`).
    pub health: Option<HealthResponse>,
    /// Its automation settings; null: none.
    pub automation: Option<Automation>,
    /// Names the denom whose price was unavailable.
    pub price_error: Option<String>,
}

/// One page of a scan for liquidatable positions.
#[cw_serde]
pub struct LiquidatablePositionsResponse {
    /// The positions scanned with LHF < 1.
    pub positions: Vec<PositionResponse>,
    /// The last position id scanned; pass it as `start_after` to go on. null when none scanned.
    pub last_scanned: Option<u64>,
}

/// How much a position could borrow of one asset now (base units).
#[cw_serde]
pub struct MaxBorrowResponse {
    /// Base units borrowable to reach the target health (at `price`).
    pub at_target: Uint128,
    /// Base units borrowable down to the borrow health floor (conservative prices).
    pub at_floor: Uint128,
}

/// What a `redeem` would do now (SPEC 3.6a).
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
    /// HF at redemption prices, before.
    pub health_before: Option<Decimal256>,
    /// HF at redemption prices, after.
    pub health_after: Option<Decimal256>,
}

/// A position a redemption may take MOET from.
#[cw_serde]
pub struct RedeemablePosition {
    /// The position.
    pub position_id: u64,
    /// HF at redemption prices (collateral at `max(price, twap)`).
    pub health_factor: Decimal256,
    /// MOET debt (base units).
    pub moet_debt: Uint128,
}

/// One page of a scan for redeemable positions.
#[cw_serde]
pub struct RedeemablePositionsResponse {
    /// The eligible positions scanned.
    pub positions: Vec<RedeemablePosition>,
    /// The last position id scanned; pass it as `start_after` to go on. null when none scanned.
    pub last_scanned: Option<u64>,
}

/// A top-up source's remaining consent for one position.
#[cw_serde]
pub struct TopUpConsentResponse {
    /// MOET base units the source still consents to give the position.
    pub amount: Uint128,
}
