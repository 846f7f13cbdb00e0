//! Liquidator messages (SPEC section 4).
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, Decimal256, Uint128};
use cw20::Cw20ReceiveMsg;

/// `{"owner", "market", "close_factor": "0.2", "liquidation_bonus": "0.03"}`; the factors
/// default to 0.2 and 0.03.
#[cw_serde]
pub struct InstantiateMsg {
    /// The liquidator's owner (config; two-step transfer).
    pub owner: String,
    /// The `keel-market` contract.
    pub market: String,
    /// Share of a debt one liquidation may repay (default 0.2; capped by the market's
    /// `max_close_factor`).
    pub close_factor: Option<Decimal>,
    /// Collateral paid on top of the repaid value (default 0.03; capped by the market's
    /// `max_liquidation_bonus`).
    pub liquidation_bonus: Option<Decimal>,
}

/// The liquidator's execute messages (SPEC 4).
#[cw_serde]
pub enum ExecuteMsg {
    /// Permissionless: liquidates a position with LHF < 1, repaying at most the close factor of
    /// its `debt_denom` debt with the attached funds and paying the caller `collateral_denom`
    /// worth the repay plus the bonus; the unused repayment is refunded. A cw20 debt (MOET)
    /// arrives by cw20 `send` with this message as the hook instead.
    Liquidate {
        /// The position liquidated.
        position_id: u64,
        /// The debt repaid (the attached denom).
        debt_denom: String,
        /// The collateral paid out.
        collateral_denom: String,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
    },
    /// cw20 tokens arrive here (a cw20 `send` to the liquidator); `msg` is a `ReceiveMsg`.
    Receive(Cw20ReceiveMsg),
    /// Owner only; null leaves a field unchanged.
    UpdateConfig {
        /// The market contract.
        market: Option<String>,
        /// Share of a debt one liquidation may repay.
        close_factor: Option<Decimal>,
        /// Collateral paid on top of the repaid value.
        liquidation_bonus: Option<Decimal>,
    },
    /// Owner: proposes a new owner, who must `accept_ownership`.
    TransferOwnership {
        /// The proposed owner.
        new_owner: String,
    },
    /// The proposed owner becomes the owner.
    AcceptOwnership {},
}

/// The hook accepted with cw20 `send` (the `msg` of a `send` to the liquidator); the liquidator
/// (who receives the collateral and any refund) is the `send`'s sender.
#[cw_serde]
pub enum ReceiveMsg {
    /// Liquidates with the sent tokens (e.g. MOET) as the repayment.
    Liquidate {
        /// The position liquidated.
        position_id: u64,
        /// The debt repaid: `cw20:<the token sent>`.
        debt_denom: String,
        /// The collateral paid out.
        collateral_denom: String,
        /// Fails when fewer collateral base units would be paid out.
        min_collateral_out: Option<Uint128>,
    },
}

/// `migrate` takes no parameters; the stored contract version (cw2) is checked.
#[cw_serde]
pub struct MigrateMsg {}

/// The liquidator's queries (SPEC 4).
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// The liquidator's config.
    #[returns(ConfigResponse)]
    Config {},
    /// What a liquidation would do now (`repay_amount` null means `max_repay`).
    #[returns(QuoteResponse)]
    Quote {
        /// The position.
        position_id: u64,
        /// The debt that would be repaid.
        debt_denom: String,
        /// The collateral that would be paid out.
        collateral_denom: String,
        /// Base units of `debt_denom` offered; null: `max_repay`.
        repay_amount: Option<Uint128>,
    },
}

/// The liquidator's config.
#[cw_serde]
pub struct ConfigResponse {
    /// The owner.
    pub owner: Addr,
    /// The proposed owner, until it accepts.
    pub pending_owner: Option<Addr>,
    /// The market contract.
    pub market: Addr,
    /// Share of a debt one liquidation may repay.
    pub close_factor: Decimal,
    /// Collateral paid on top of the repaid value.
    pub liquidation_bonus: Decimal,
}

/// What a liquidation would do now; a position that is not liquidatable answers
/// `liquidatable: false` with zeros.
#[cw_serde]
pub struct QuoteResponse {
    /// Whether LHF < 1 (and a liquidation would pay something).
    pub liquidatable: bool,
    /// The most of the debt one liquidation may repay now (base units).
    pub max_repay: Uint128,
    /// The debt repaid for the amount offered (base units).
    pub repay_amount: Uint128,
    /// The collateral paid to the liquidator (base units).
    pub collateral_out: Uint128,
    /// Value of `collateral_out` minus value of the repay, in whole MOET.
    pub bonus_value: Decimal256,
    /// Liquidation health factor before (null when the position has no debt).
    pub health_before: Option<Decimal256>,
    /// Liquidation health factor after the quoted liquidation.
    pub health_after: Option<Decimal256>,
}
