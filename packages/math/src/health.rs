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
    /// Below it (`at_risk`) a rebalance pulls MOET from the top-up source.
    pub min: Decimal,
    /// What auto-borrow and rebalancing aim at.
    pub target: Decimal,
    /// Above it (`overcollateralized`) a rebalance borrows MOET to the draw-down sink.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn dec256(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }
    fn coll(value: &str, cf: &str, lt: &str) -> CollateralItem {
        CollateralItem {
            value: dec256(value),
            collateral_factor: dec(cf),
            liquidation_threshold: dec(lt),
        }
    }
    fn debt(value: &str, bf: &str) -> DebtItem {
        DebtItem {
            value: dec256(value),
            borrow_factor: dec(bf),
        }
    }
    fn bounds() -> HealthBounds {
        HealthBounds {
            min: dec("1.1"),
            target: dec("1.3"),
            max: dec("1.5"),
        }
    }
    /// A health with only the two factors set, for `band`.
    fn hf(hf: Option<&str>, lhf: Option<&str>) -> Health {
        Health {
            effective_collateral: Decimal256::zero(),
            liquidation_limit: Decimal256::zero(),
            effective_debt: Decimal256::zero(),
            health_factor: hf.map(dec256),
            liquidation_health_factor: lhf.map(dec256),
            borrow_limit_used: None,
        }
    }

    #[test]
    fn eth_against_moet() {
        // 1.5 ETH at 2000 (CF 0.8, LT 0.85) against 2000 MOET.
        let h = compute_health(&[coll("3000", "0.8", "0.85")], &[debt("2000", "1")]).unwrap();
        assert_eq!(h.effective_collateral, dec256("2400"));
        assert_eq!(h.liquidation_limit, dec256("2550"));
        assert_eq!(h.effective_debt, dec256("2000"));
        assert_eq!(h.health_factor, Some(dec256("1.2")));
        assert_eq!(h.liquidation_health_factor, Some(dec256("1.275")));
        assert_eq!(h.borrow_limit_used, Some(dec256("0.833333333333333334")));
        assert_eq!(band(&h, &bounds()), Band::BelowTarget);
    }

    #[test]
    fn several_assets_and_borrow_factor() {
        let h = compute_health(
            &[coll("3000", "0.8", "0.85"), coll("1000", "0.5", "0.6")],
            &[debt("1000", "1"), debt("500", "1.2")],
        )
        .unwrap();
        assert_eq!(h.effective_collateral, dec256("2900"));
        assert_eq!(h.liquidation_limit, dec256("3150"));
        assert_eq!(h.effective_debt, dec256("1600"));
        assert_eq!(h.health_factor, Some(dec256("1.8125")));
        assert_eq!(h.liquidation_health_factor, Some(dec256("1.96875")));
        assert_eq!(band(&h, &bounds()), Band::Overcollateralized);
    }

    #[test]
    fn rounding_directions() {
        // 1e-18 * 0.5 rounds down to 0; 1e-18 * 1.5 rounds up to 2e-18.
        let h = compute_health(
            &[coll("0.000000000000000001", "0.5", "0.5")],
            &[debt("0.000000000000000001", "1.5")],
        )
        .unwrap();
        assert_eq!(h.effective_collateral, Decimal256::zero());
        assert_eq!(h.effective_debt, Decimal256::raw(2));
        // Sums are exact before rounding: 3 * (1e-18 * 0.5) = 1.5e-18 -> 1e-18.
        let c = coll("0.000000000000000001", "0.5", "0.5");
        let h = compute_health(&[c.clone(), c.clone(), c], &[debt("3", "1")]).unwrap();
        assert_eq!(h.effective_collateral, Decimal256::raw(1));
        // 2/3 down for HF, 3/2 up... and 1/3 up for borrow_limit_used.
        let h = compute_health(&[coll("3", "1", "1")], &[debt("2", "1")]).unwrap();
        assert_eq!(h.health_factor, Some(dec256("1.5")));
        let h = compute_health(&[coll("3", "1", "1")], &[debt("1", "1")]).unwrap();
        assert_eq!(h.borrow_limit_used, Some(dec256("0.333333333333333334")));
        let h = compute_health(&[coll("2", "1", "1")], &[debt("3", "1")]).unwrap();
        assert_eq!(h.health_factor, Some(dec256("0.666666666666666666")));
    }

    #[test]
    fn no_debt_and_no_collateral() {
        let h = compute_health(&[coll("100", "0.8", "0.9")], &[]).unwrap();
        assert_eq!(h.health_factor, None);
        assert_eq!(h.liquidation_health_factor, None);
        assert_eq!(h.borrow_limit_used, Some(Decimal256::zero()));
        assert_eq!(band(&h, &bounds()), Band::Overcollateralized);
        // Nothing at all: no debt.
        let h = compute_health(&[], &[]).unwrap();
        assert_eq!(h.health_factor, None);
        assert_eq!(h.borrow_limit_used, Some(Decimal256::zero()));
        assert_eq!(band(&h, &bounds()), Band::Overcollateralized);
        // Debt and no collateral.
        let h = compute_health(&[], &[debt("5", "1")]).unwrap();
        assert_eq!(h.health_factor, Some(Decimal256::zero()));
        assert_eq!(h.liquidation_health_factor, Some(Decimal256::zero()));
        assert_eq!(h.borrow_limit_used, None);
        assert_eq!(band(&h, &bounds()), Band::Liquidatable);
        // A debt whose weighted value rounds to zero counts as no debt.
        let h = compute_health(&[], &[debt("0", "1")]).unwrap();
        assert_eq!(h.health_factor, None);
    }

    #[test]
    fn huge_ratio_saturates() {
        let h = compute_health(
            &[CollateralItem {
                value: Decimal256::MAX,
                collateral_factor: Decimal::one(),
                liquidation_threshold: Decimal::one(),
            }],
            &[debt("0.000000000000000001", "1")],
        )
        .unwrap();
        assert_eq!(h.health_factor, Some(Decimal256::MAX));
        assert_eq!(h.borrow_limit_used, Some(Decimal256::raw(1)));
    }

    #[test]
    fn bands_first_match() {
        let b = bounds();
        // LHF < 1 wins over everything.
        assert_eq!(band(&hf(Some("2"), Some("0.99")), &b), Band::Liquidatable);
        assert_eq!(band(&hf(Some("1.05"), Some("1")), &b), Band::AtRisk);
        assert_eq!(band(&hf(Some("1.1"), Some("1.2")), &b), Band::BelowTarget);
        assert_eq!(band(&hf(Some("1.29"), Some("1.4")), &b), Band::BelowTarget);
        assert_eq!(band(&hf(Some("1.3"), Some("1.4")), &b), Band::Healthy);
        assert_eq!(band(&hf(Some("1.5"), Some("1.6")), &b), Band::Healthy);
        assert_eq!(
            band(&hf(Some("1.500000000000000001"), Some("1.6")), &b),
            Band::Overcollateralized
        );
        assert_eq!(band(&hf(None, None), &b), Band::Overcollateralized);
    }

    #[test]
    fn bounds_validation() {
        bounds().validate().unwrap();
        let with = |min: &str, target: &str, max: &str| HealthBounds {
            min: dec(min),
            target: dec(target),
            max: dec(max),
        };
        for (b, needle) in [
            (with("1", "1.3", "1.5"), "min"),
            (with("0.9", "1.3", "1.5"), "min"),
            (with("1.3", "1.3", "1.5"), "target"),
            (with("1.4", "1.3", "1.5"), "target"),
            (with("1.1", "1.5", "1.5"), "max"),
            (with("1.1", "1.5", "1.4"), "max"),
        ] {
            match b.validate() {
                Err(MathError::InvalidHealthBounds(msg)) => assert!(msg.contains(needle), "{msg}"),
                other => panic!("{b:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn borrow_to_target_examples() {
        let one = Decimal::one();
        let t = dec("1.3");
        // C = 2400, no debt: 2400 / 1.3 = 1846.153846153.. MOET (6 decimals), rounded down.
        assert_eq!(
            borrow_to_target(dec256("2400"), Decimal256::zero(), t, 6, one, one).unwrap(),
            Uint128::new(1_846_153_846)
        );
        assert_eq!(
            borrow_to_target(dec256("2400"), dec256("1000"), t, 6, one, one).unwrap(),
            Uint128::new(846_153_846)
        );
        // Price 2 and BF 1.2 (18 decimals): 846.153846.. / 2.4 = 352.564102564102564102|56..
        assert_eq!(
            borrow_to_target(dec256("2400"), dec256("1000"), t, 18, dec("2"), dec("1.2")).unwrap(),
            Uint128::new(352_564_102_564_102_564_102)
        );
        // At or below target: nothing.
        assert_eq!(
            borrow_to_target(dec256("1300"), dec256("1000"), t, 6, one, one).unwrap(),
            Uint128::zero()
        );
        assert_eq!(
            borrow_to_target(dec256("1200"), dec256("1000"), t, 6, one, one).unwrap(),
            Uint128::zero()
        );
        assert_eq!(
            borrow_to_target(Decimal256::zero(), Decimal256::zero(), t, 6, one, one).unwrap(),
            Uint128::zero()
        );
        // Borrowing it reaches HF >= target.
        let x = borrow_to_target(dec256("2400"), dec256("1000"), t, 6, one, one).unwrap();
        let d = dec256("1000") + Decimal256::from_ratio(x, 1_000_000u128);
        assert!(dec256("2400") / d >= Decimal256::from(t));
        // Errors.
        assert_eq!(
            borrow_to_target(
                dec256("2400"),
                Decimal256::zero(),
                Decimal::zero(),
                6,
                one,
                one
            ),
            Err(MathError::DivideByZero("borrow_to_target"))
        );
        assert_eq!(
            borrow_to_target(
                dec256("2400"),
                Decimal256::zero(),
                t,
                6,
                Decimal::zero(),
                one
            ),
            Err(MathError::DivideByZero("borrow_to_target"))
        );
        // Beyond u128: saturates.
        assert_eq!(
            borrow_to_target(
                Decimal256::MAX,
                Decimal256::zero(),
                t,
                18,
                Decimal::raw(1),
                one
            )
            .unwrap(),
            Uint128::MAX
        );
    }

    #[test]
    fn repay_to_target_examples() {
        let one = Decimal::one();
        let t = dec("1.3");
        // C = 2400, D = 2000: 2000 - 1846.153846153.. = 153.846153846.. rounded up.
        assert_eq!(
            repay_to_target(dec256("2400"), dec256("2000"), t, 6, one, one).unwrap(),
            Uint128::new(153_846_154)
        );
        // Price 2 and BF 1.2: 153.846153.. / 2.4 = 64.102564102564102564|10.. rounded up.
        assert_eq!(
            repay_to_target(dec256("2400"), dec256("2000"), t, 18, dec("2"), dec("1.2")).unwrap(),
            Uint128::new(64_102_564_102_564_102_565)
        );
        // Repaying it reaches HF >= target.
        let x = repay_to_target(dec256("2400"), dec256("2000"), t, 6, one, one).unwrap();
        let d = dec256("2000") - Decimal256::from_ratio(x, 1_000_000u128);
        assert!(dec256("2400") / d >= Decimal256::from(t));
        // At or above target: nothing (also with no debt at all).
        assert_eq!(
            repay_to_target(dec256("2600"), dec256("2000"), t, 6, one, one).unwrap(),
            Uint128::zero()
        );
        assert_eq!(
            repay_to_target(dec256("2700"), dec256("2000"), t, 6, one, one).unwrap(),
            Uint128::zero()
        );
        assert_eq!(
            repay_to_target(dec256("2700"), Decimal256::zero(), t, 6, one, one).unwrap(),
            Uint128::zero()
        );
        // No collateral: the whole effective debt.
        assert_eq!(
            repay_to_target(Decimal256::zero(), dec256("12"), t, 6, one, dec("1.5")).unwrap(),
            Uint128::new(8_000_000)
        );
        assert_eq!(
            repay_to_target(dec256("1"), dec256("2"), t, 6, Decimal::zero(), one),
            Err(MathError::DivideByZero("repay_to_target"))
        );
    }
}
