//! Health of a position, SPEC 3.3:
//! ```text
//! C  = sum coll_i * p_i * CF_i      effective collateral
//! L  = sum coll_i * p_i * LT_i      liquidation limit
//! D  = sum debt_j * p_j * BF_j      effective debt
//! HF = C / D,  LHF = L / D (None when D = 0),  borrow_limit_used = D / C
//! ```
//!
//! `C`, `L` and `D` are summed exactly (36 decimals) and rounded once. A ratio too large for a
//! `Decimal256` (only possible with `C` above ~1e41 MOET against a dust debt) saturates at
//! `Decimal256::MAX` rather than failing, so that a health query cannot fail on an absurdly
//! healthy position; this is the closest representable "rounded down" value.
//!
//! `borrow_to_target` / `repay_to_target` evaluate their formula exactly in 512-bit integers
//! and round once (down / up), rather than chaining `value` helpers that would each round. A
//! borrow amount beyond `Uint128::MAX` saturates (still "at most x"); a repay amount beyond it
//! fails with `Overflow` (rounding it down would miss the target). A zero `target` fails with
//! `DivideByZero`, as does a zero `price * borrow_factor` when something is needed.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256, Uint512};

use crate::fixed::{
    atoms, d256, div_ceil512, div_floor512, mul512, overflow, pow10, to_u128, to_u256, u512,
    wad256, wad512,
};
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
        let HealthBounds { min, target, max } = self;
        if *min <= Decimal::one() {
            return Err(MathError::InvalidHealthBounds(format!(
                "min {min} must be above 1"
            )));
        }
        if target <= min {
            return Err(MathError::InvalidHealthBounds(format!(
                "target {target} must be above min {min}"
            )));
        }
        if max <= target {
            return Err(MathError::InvalidHealthBounds(format!(
                "max {max} must be above target {target}"
            )));
        }
        Ok(())
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
    const CTX: &str = "compute_health";
    // Exact sums in 36 decimals.
    let mut c36 = Uint512::zero();
    let mut l36 = Uint512::zero();
    for item in collateral {
        let c = item.value.atomics().full_mul(atoms(item.collateral_factor));
        let l = item
            .value
            .atomics()
            .full_mul(atoms(item.liquidation_threshold));
        c36 = c36.checked_add(c).map_err(overflow(CTX))?;
        l36 = l36.checked_add(l).map_err(overflow(CTX))?;
    }
    let mut d36 = Uint512::zero();
    for item in debt {
        let d = item.value.atomics().full_mul(atoms(item.borrow_factor));
        d36 = d36.checked_add(d).map_err(overflow(CTX))?;
    }
    let c = Decimal256::new(to_u256(div_floor512(c36, wad512(), CTX)?, CTX)?);
    let l = Decimal256::new(to_u256(div_floor512(l36, wad512(), CTX)?, CTX)?);
    let d = Decimal256::new(to_u256(div_ceil512(d36, wad512(), CTX)?, CTX)?);

    let (health_factor, liquidation_health_factor, borrow_limit_used) = if d.is_zero() {
        (None, None, Some(Decimal256::zero()))
    } else {
        let blu = if c.is_zero() {
            None
        } else {
            Some(ratio(d, c, true)?)
        };
        (Some(ratio(c, d, false)?), Some(ratio(l, d, false)?), blu)
    };
    Ok(Health {
        effective_collateral: c,
        liquidation_limit: l,
        effective_debt: d,
        health_factor,
        liquidation_health_factor,
        borrow_limit_used,
    })
}

/// The band of SPEC 3.3 for `health` under `bounds`. `None` health factors are infinite.
pub fn band(health: &Health, bounds: &HealthBounds) -> Band {
    // `None` is infinite: never below anything.
    let below = |value: &Option<Decimal256>, bound: Decimal| match value {
        Some(v) => *v < d256(bound),
        None => false,
    };
    if below(&health.liquidation_health_factor, Decimal::one()) {
        Band::Liquidatable
    } else if below(&health.health_factor, bounds.min) {
        Band::AtRisk
    } else if below(&health.health_factor, bounds.target) {
        Band::BelowTarget
    } else if health
        .health_factor
        .is_some_and(|hf| hf <= d256(bounds.max))
    {
        Band::Healthy
    } else {
        Band::Overcollateralized
    }
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
) -> Result<Uint128, MathError> {
    to_target(
        effective_collateral,
        effective_debt,
        target,
        decimals,
        price,
        borrow_factor,
        false,
    )
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
) -> Result<Uint128, MathError> {
    to_target(
        effective_collateral,
        effective_debt,
        target,
        decimals,
        price,
        borrow_factor,
        true,
    )
}

/// `a / b` with 18 decimals, rounded down or up, saturating at `Decimal256::MAX`. `b > 0`.
fn ratio(a: Decimal256, b: Decimal256, up: bool) -> Result<Decimal256, MathError> {
    const CTX: &str = "compute_health";
    let num = a.atomics().full_mul(wad256());
    let den = u512(b.atomics());
    let q = if up {
        div_ceil512(num, den, CTX)?
    } else {
        div_floor512(num, den, CTX)?
    };
    Ok(Uint256::try_from(q).map_or(Decimal256::MAX, Decimal256::new))
}

/// `x = (C / target - D) / (price * BF)` base units (borrow, rounded down), or
/// `x = (D - C / target) / (price * BF)` (repay, rounded up); zero when the sign says nothing is
/// needed. In atomics (`c, d, t, p, bf`, all 18 decimals), with `n = c * 10^18 - d * t`:
/// `x = n * 10^18 * 10^decimals / (t * p * bf)`.
fn to_target(
    effective_collateral: Decimal256,
    effective_debt: Decimal256,
    target: Decimal,
    decimals: u8,
    price: Decimal,
    borrow_factor: Decimal,
    repay: bool,
) -> Result<Uint128, MathError> {
    let ctx = if repay {
        "repay_to_target"
    } else {
        "borrow_to_target"
    };
    if target.is_zero() {
        return Err(MathError::DivideByZero(ctx));
    }
    let c = effective_collateral.atomics().full_mul(wad256());
    let d = effective_debt.atomics().full_mul(atoms(target));
    let n = if repay {
        d.checked_sub(c)
    } else {
        c.checked_sub(d)
    };
    let n = match n {
        Ok(n) if !n.is_zero() => n,
        // Already at or beyond the target in the direction asked.
        _ => return Ok(Uint128::zero()),
    };
    let scale = u512(
        wad256()
            .checked_mul(pow10(decimals, ctx)?)
            .map_err(overflow(ctx))?,
    );
    let num = mul512(n, scale, ctx)?;
    let den = mul512(
        u512(
            atoms(target)
                .checked_mul(atoms(price))
                .map_err(overflow(ctx))?,
        ),
        u512(atoms(borrow_factor)),
        ctx,
    )?;
    let x = if repay {
        div_ceil512(num, den, ctx)?
    } else {
        div_floor512(num, den, ctx)?
    };
    match to_u256(x, ctx).and_then(|x| to_u128(x, ctx)) {
        Ok(x) => Ok(x),
        // Borrowing rounds down: a saturated amount is still at most `x`.
        Err(_) if !repay => Ok(Uint128::MAX),
        Err(e) => Err(e),
    }
}
