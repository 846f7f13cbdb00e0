//! Liquidator messages (SPEC section 4).
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Decimal, Decimal256, Uint128};
use cw20::Cw20ReceiveMsg;

/// `{"owner", "market", "close_factor": "0.2", "liquidation_bonus": "0.03"}`; the factors
/// default to 0.2 and 0.03.
#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    pub market: String,
    pub close_factor: Option<Decimal>,
    pub liquidation_bonus: Option<Decimal>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Permissionless; the repayment is attached (native) or arrives by cw20 `send`.
    Liquidate {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
        min_collateral_out: Option<Uint128>,
    },
    Receive(Cw20ReceiveMsg),
    /// Owner only; null leaves a field unchanged.
    UpdateConfig {
        market: Option<String>,
        close_factor: Option<Decimal>,
        liquidation_bonus: Option<Decimal>,
    },
    TransferOwnership {
        new_owner: String,
    },
    AcceptOwnership {},
}

/// The hook accepted with cw20 `send`.
#[cw_serde]
pub enum ReceiveMsg {
    Liquidate {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
        min_collateral_out: Option<Uint128>,
    },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// What a liquidation would do now (`repay_amount` null means `max_repay`).
    #[returns(QuoteResponse)]
    Quote {
        position_id: u64,
        debt_denom: String,
        collateral_denom: String,
        repay_amount: Option<Uint128>,
    },
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: Addr,
    pub pending_owner: Option<Addr>,
    pub market: Addr,
    pub close_factor: Decimal,
    pub liquidation_bonus: Decimal,
}

#[cw_serde]
pub struct QuoteResponse {
    pub liquidatable: bool,
    pub max_repay: Uint128,
    pub repay_amount: Uint128,
    pub collateral_out: Uint128,
    /// Value of `collateral_out` minus value of the repay, in whole MOET.
    pub bonus_value: Decimal256,
    /// Liquidation health factor before (null when the position has no debt).
    pub health_before: Option<Decimal256>,
    /// Liquidation health factor after the quoted liquidation.
    pub health_after: Option<Decimal256>,
}
