//! Health of a position, SPEC 3.3:
//! ```text
//! C  = sum coll_i * p_i * CF_i      effective collateral
//! L  = sum coll_i * p_i * LT_i      liquidation limit
//! D  = sum debt_j * p_j * BF_j      effective debt
//! HF = C / D,  LHF = L / D (None when D = 0),  borrow_limit_used = D / C
//! ```
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256};

use crate::MathError;

/// Health bounds of a position: `1 < min < target < max`.
#[cw_serde]
pub struct HealthBounds {
    pub min: Decimal,
    pub target: Decimal,
    pub max: Decimal,
}

impl HealthBounds {
    /// Checks `1 < min < target < max`.
    pub fn validate(&self) -> Result<(), MathError> {
        todo!()
    }
}

/// Where a position's health stands; first match of: `liquidatable` if LHF < 1, `at_risk` if
/// HF < min, `below_target` if HF < target, `healthy` if HF <= max, else `overcollateralized`.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum Band {
    Liquidatable,
    AtRisk,
    BelowTarget,
    Healthy,
    Overcollateralized,
}

/// One collateral balance, already valued (`value_down`).
#[derive(Clone, Debug, PartialEq)]
pub struct CollateralItem {
    pub value: Decimal256,
    pub collateral_factor: Decimal,
    pub liquidation_threshold: Decimal,
}

/// One debt balance, already valued (`value_up`).
#[derive(Clone, Debug, PartialEq)]
pub struct DebtItem {
    pub value: Decimal256,
    pub borrow_factor: Decimal,
}

/// The health figures of SPEC 3.3, in whole MOET.
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    /// `C`, rounded down.
    pub effective_collateral: Decimal256,
    /// `L`, rounded down.
    pub liquidation_limit: Decimal256,
    /// `D`, rounded up.
    pub effective_debt: Decimal256,
    /// `C / D` rounded down; `None` when `D == 0` (infinite).
    pub health_factor: Option<Decimal256>,
    /// `L / D` rounded down; `None` when `D == 0`.
    pub liquidation_health_factor: Option<Decimal256>,
    /// `D / C` rounded up; `Some(0)` when `D == 0`, `None` when `C == 0 < D` (infinite).
    pub borrow_limit_used: Option<Decimal256>,
}

/// Computes `Health` from valued balances.
pub fn compute_health(
    collateral: &[CollateralItem],
    debt: &[DebtItem],
) -> Result<Health, MathError> {
    todo!("{collateral:?}{debt:?}")
}

/// The band of SPEC 3.3 for `health` under `bounds`. `None` health factors are infinite.
pub fn band(health: &Health, bounds: &HealthBounds) -> Band {
    todo!("{health:?}{bounds:?}")
}

/// Base units of a debt asset (price `price`, borrow factor `borrow_factor`) to borrow so that
/// `C / (D + x * price * BF) == target`: `x = (C / target - D) / (price * BF)`, rounded down
/// (SPEC 3.5 auto-borrow). Zero when the health factor is already at or below `target`.
pub fn borrow_to_target(
    effective_collateral: Decimal256,
    effective_debt: Decimal256,
    target: Decimal,
    decimals: u8,
    price: Decimal,
    borrow_factor: Decimal,
) -> Result<cosmwasm_std::Uint128, MathError> {
    todo!("{effective_collateral}{effective_debt}{target}{decimals}{price}{borrow_factor}")
}

/// Base units of a debt asset to repay so that `C / (D - x * price * BF) == target`:
/// `x = (D - C / target) / (price * BF)`, rounded up so the target is reached (SPEC 3.5 top-up).
/// Zero when the health factor is already at or above `target`.
pub fn repay_to_target(
    effective_collateral: Decimal256,
    effective_debt: Decimal256,
    target: Decimal,
    decimals: u8,
    price: Decimal,
    borrow_factor: Decimal,
) -> Result<cosmwasm_std::Uint128, MathError> {
    todo!("{effective_collateral}{effective_debt}{target}{decimals}{price}{borrow_factor}")
}
