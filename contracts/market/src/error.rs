use cosmwasm_std::{Decimal, Decimal256, OverflowError, StdError, Uint128};
use cw2::VersionError;
use keel_math::MathError;
use keel_types::record::RecordError;
use thiserror::Error;

/// Every way a market message can fail. Each variant names what is wrong.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Math(#[from] MathError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    Version(#[from] VersionError),

    #[error("{0}")]
    Record(#[from] RecordError),

    #[error("unauthorized: {action} is not allowed for {sender}")]
    Unauthorized { action: String, sender: String },

    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },

    #[error("invalid params for {denom}: {reason}")]
    InvalidParams { denom: String, reason: String },

    #[error("asset {denom} is already listed")]
    AssetAlreadyListed { denom: String },

    #[error("asset {denom} is not listed")]
    UnknownAsset { denom: String },

    #[error("a minted asset is already listed: {denom}")]
    MintedAssetExists { denom: String },

    #[error("no minted asset (MOET) is listed")]
    NoMintedAsset {},

    #[error("deposits of {denom} are disabled")]
    DepositDisabled { denom: String },

    #[error("borrowing {denom} is disabled")]
    BorrowDisabled { denom: String },

    #[error("{denom} is minted by the market and cannot be deposited")]
    CannotDepositMinted { denom: String },

    #[error("no funds sent")]
    NoFunds {},

    #[error("unexpected funds: {reason}")]
    UnexpectedFunds { reason: String },

    #[error("zero amount of {denom}")]
    ZeroAmount { denom: String },

    #[error("supply cap of {denom} exceeded: {total} > {cap}")]
    SupplyCapExceeded {
        denom: String,
        total: Uint128,
        cap: Uint128,
    },

    #[error("borrow cap of {denom} exceeded: {total} > {cap}")]
    BorrowCapExceeded {
        denom: String,
        total: Uint128,
        cap: Uint128,
    },

    #[error("insufficient liquidity of {denom}: {requested} requested, {available} available")]
    InsufficientLiquidity {
        denom: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("insufficient collateral of {denom} in position {position_id}: {requested} requested, {available} held")]
    InsufficientCollateral {
        position_id: u64,
        denom: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("position {position_id} has no debt in {denom}")]
    NoDebt { position_id: u64, denom: String },

    #[error(
        "health factor {health_factor} of position {position_id} would be below the floor {floor}{}",
        unpriced_note(.unpriced)
    )]
    HealthBelowFloor {
        position_id: u64,
        health_factor: Decimal256,
        floor: Decimal,
        /// A collateral denom without a valid price, counted as zero (SPEC 3.3).
        unpriced: Option<String>,
    },

    #[error(
        "debt of {denom} in position {position_id} would be {value} MOET, below the minimum {min}"
    )]
    DebtBelowMinimum {
        position_id: u64,
        denom: String,
        value: Decimal256,
        min: Decimal,
    },

    #[error("position {position_id} would hold more than {max} assets")]
    TooManyAssets { position_id: u64, max: u32 },

    #[error("price unavailable for {denom}")]
    PriceUnavailable { denom: String },

    #[error("position {position_id} not found")]
    PositionNotFound { position_id: u64 },

    #[error("position {position_id} is not liquidatable")]
    NotLiquidatable { position_id: u64 },

    #[error("repay of {repay} exceeds the close factor limit {max} for position {position_id}")]
    CloseFactorExceeded {
        position_id: u64,
        repay: Uint128,
        max: Uint128,
    },

    #[error("collateral of value {collateral_value} exceeds the repay value with maximum bonus {max_value}")]
    BonusExceeded {
        collateral_value: Decimal256,
        max_value: Decimal256,
    },

    #[error("position {position_id}: the repayment buys no collateral (collateral out is zero)")]
    ZeroCollateralOut { position_id: u64 },

    #[error("liquidator is not configured")]
    NoLiquidator {},

    #[error("reserves of {denom} are insufficient: {requested} requested, {available} available")]
    InsufficientReserves {
        denom: String,
        requested: Uint128,
        available: Uint128,
    },

    #[error("top-up source {source_addr} cannot give enough to save position {position_id}: it would stay liquidatable")]
    TopUpInsufficient {
        position_id: u64,
        source_addr: String,
    },

    #[error("position {position_id} is not redeemable: {reason}")]
    NotRedeemable { position_id: u64, reason: String },

    #[error("redemptions are paused")]
    RedemptionsPaused {},

    #[error("the price of {denom} is pending confirmation")]
    PricePending { denom: String },

    #[error("position {position_id} holds no {denom}")]
    CollateralNotHeld { position_id: u64, denom: String },

    #[error("slippage: collateral out {collateral_out} is below min_collateral_out {min_collateral_out}")]
    SlippageExceeded {
        collateral_out: Uint128,
        min_collateral_out: Uint128,
    },

    #[error("a redemption would lower the liquidation health factor of position {position_id} from {before} to {after}: it is left to liquidation")]
    LiquidationHealthWouldFall {
        position_id: u64,
        before: Decimal256,
        after: Decimal256,
    },

    #[error("invalid automation: {reason}")]
    InvalidAutomation { reason: String },

    #[error("cannot migrate from {from_contract} {from_version}")]
    InvalidMigration {
        from_contract: String,
        from_version: String,
    },
}

/// cw-utils' payment checks, in the market's own variants.
impl From<cw_utils::PaymentError> for ContractError {
    fn from(e: cw_utils::PaymentError) -> Self {
        use cw_utils::PaymentError as P;
        match e {
            P::NoFunds {} => ContractError::NoFunds {},
            P::NonPayable {} => ContractError::UnexpectedFunds {
                reason: "this message takes no funds".to_string(),
            },
            P::MultipleDenoms {} => ContractError::UnexpectedFunds {
                reason: "send exactly one denom".to_string(),
            },
            other => ContractError::UnexpectedFunds {
                reason: other.to_string(),
            },
        }
    }
}

impl ContractError {
    pub fn unauthorized(action: &str, sender: impl ToString) -> Self {
        ContractError::Unauthorized {
            action: action.to_string(),
            sender: sender.to_string(),
        }
    }
}

fn unpriced_note(unpriced: &Option<String>) -> String {
    match unpriced {
        Some(denom) => format!(" (price unavailable for {denom}: that collateral counts as zero)"),
        None => String::new(),
    }
}
