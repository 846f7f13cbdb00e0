//! Index accrual, exactly SPEC 3.2:
//! ```text
//! S = S_s * supply_index          D = D_s * borrow_index
//! g = exp(r * dt / 31_536_000)
//! borrow_index' = borrow_index * g
//! interest = D * (g - 1)
//! R' = R + interest * reserve_factor          (all of it when S = 0)
//! supply_index' = supply_index * (1 + interest * (1 - reserve_factor) / S)
//! ```
//!
//! Rounding, all in the protocol's favour:
//! - `S` and `D` are `to_underlying_exact` (18 decimals of a base unit, truncated);
//! - the exponent `r * dt / year` is computed from `r`'s atomics and truncated to 18 decimals;
//!   `g = exp(..)` rounds down; `borrow_index' = borrow_index * g` is truncated;
//! - `interest = D * (g - 1)` truncated, and never more than the growth of the debt that the
//!   truncated new borrow index actually records (`D_s * borrow_index' - D`), so lenders and
//!   reserves are never credited with interest that borrowers do not owe;
//! - the reserves' share `interest * reserve_factor` is truncated and the lenders' share is the
//!   rest, so `lenders' share + reserves' share == interest` exactly;
//! - `supply_index' = supply_index + supply_index * lenders' share / S`, truncated and with `S`
//!   rounded up in the denominator (the one place `S` is not truncated), so the supply
//!   the new index records grows by at most the lenders' share.
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::exp::exp;
use crate::fixed::{add256, atoms, mul_div_floor, overflow, sub256, wad256};
use crate::scaled::{to_underlying_atomics, to_underlying_exact};
use crate::MathError;

pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// The state of one asset that accrual reads.
#[derive(Clone, Debug, PartialEq)]
pub struct AccrualInput {
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    /// `S_s`, total scaled supply (see `SCALE`).
    pub scaled_supply: Uint128,
    /// `D_s`, total scaled debt.
    pub scaled_debt: Uint128,
    /// `R`, reserves in base units, kept with 18 decimals of a base unit so that frequent accrual
    /// loses nothing to truncation.
    pub reserves: Decimal256,
    /// The yearly rate `r` already evaluated by the caller (rate model at current utilization).
    pub rate: Decimal,
    pub reserve_factor: Decimal,
    /// Seconds since the last accrual.
    pub dt: u64,
}

/// The accrued state. `interest` is `D * (g - 1)` in base units (18 decimals), reported so that
/// callers and tests can check conservation: supply growth + reserve growth == interest.
#[derive(Clone, Debug, PartialEq)]
pub struct AccrualOutput {
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    pub reserves: Decimal256,
    pub interest: Decimal256,
}

/// Accrues interest over `dt` seconds. `dt == 0` or `D == 0` returns the input unchanged
/// (interest 0). Index updates round down (the supply index never over-credits lenders; the
/// borrow index is `borrow_index * g` truncated, and debt balances round up on read).
pub fn accrue(input: &AccrualInput) -> Result<AccrualOutput, MathError> {
    const CTX: &str = "accrue";
    let unchanged = AccrualOutput {
        supply_index: input.supply_index,
        borrow_index: input.borrow_index,
        reserves: input.reserves,
        interest: Decimal256::zero(),
    };
    if input.dt == 0 || input.scaled_debt.is_zero() {
        return Ok(unchanged);
    }
    let supply = to_underlying_exact(input.scaled_supply, input.supply_index)?;
    let debt = to_underlying_exact(input.scaled_debt, input.borrow_index)?;
    if debt.is_zero() {
        return Ok(unchanged);
    }

    // x = r * dt / year, truncated to 18 decimals.
    let x = mul_div_floor(
        atoms(input.rate),
        Uint256::from(input.dt),
        Uint256::from(SECONDS_PER_YEAR),
        CTX,
    )?;
    let growth = exp(Decimal256::new(x))?;
    let borrow_index = input
        .borrow_index
        .checked_mul(growth)
        .map_err(overflow(CTX))?;

    // interest = D * (g - 1), capped by what the new borrow index records.
    let g_minus_one = sub256(growth.atomics(), wad256(), CTX)?;
    let by_formula = mul_div_floor(debt.atomics(), g_minus_one, wad256(), CTX)?;
    let new_debt = to_underlying_exact(input.scaled_debt, borrow_index)?;
    let recorded = new_debt.atomics().saturating_sub(debt.atomics());
    let interest = by_formula.min(recorded);

    let (to_reserves, to_lenders) = if supply.is_zero() {
        (interest, Uint256::zero())
    } else {
        let share = mul_div_floor(interest, atoms(input.reserve_factor), wad256(), CTX)?;
        // reserve_factor > 1 would make the lenders' share negative: everything to reserves.
        let share = share.min(interest);
        (share, sub256(interest, share, CTX)?)
    };
    let reserves = Decimal256::new(add256(input.reserves.atomics(), to_reserves, CTX)?);
    let supply_index = if to_lenders.is_zero() {
        input.supply_index
    } else {
        let index = input.supply_index.atomics();
        // Over S rounded up (S itself is truncated), so the supply recorded by the new index
        // grows by at most the lenders' share.
        let supply_up = to_underlying_atomics(input.scaled_supply, input.supply_index, true, CTX)?;
        let step = mul_div_floor(index, to_lenders, supply_up, CTX)?;
        Decimal256::new(add256(index, step, CTX)?)
    };

    Ok(AccrualOutput {
        supply_index,
        borrow_index,
        reserves,
        interest: Decimal256::new(interest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaled::{to_scaled_up, to_underlying_down, to_underlying_up, SCALE};
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn dec256(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    /// 2000 (6 decimals) supplied, 1000 borrowed, both at index 1.
    fn base() -> AccrualInput {
        AccrualInput {
            supply_index: Decimal256::one(),
            borrow_index: Decimal256::one(),
            scaled_supply: Uint128::new(2_000_000_000 * SCALE),
            scaled_debt: to_scaled_up(Uint128::new(1_000_000_000), Decimal256::one()).unwrap(),
            reserves: Decimal256::zero(),
            rate: dec("0.05"),
            reserve_factor: dec("0.1"),
            dt: SECONDS_PER_YEAR,
        }
    }

    #[test]
    fn one_year_at_five_percent() {
        let input = base();
        let out = accrue(&input).unwrap();
        // g = e^0.05 = 1.051271096376024039|69..
        assert_eq!(out.borrow_index, dec256("1.051271096376024039"));
        // Debt 1000 -> 1051.271096376024039: 1051_271097 base units rounded up.
        assert_eq!(
            to_underlying_up(input.scaled_debt, out.borrow_index).unwrap(),
            Uint128::new(1_051_271_097)
        );
        assert_eq!(
            to_underlying_exact(input.scaled_debt, out.borrow_index).unwrap(),
            dec256("1051271096.376024039")
        );
        assert_eq!(out.interest, dec256("51271096.376024039"));
        // Reserves get 10%.
        assert_eq!(out.reserves, dec256("5127109.6376024039"));
        // Lenders the remaining 46143986.7384216351 over 2000_000000:
        // 1 + 0.02307199336921081755, truncated.
        assert_eq!(out.supply_index, dec256("1.023071993369210817"));
        let s = to_underlying_exact(input.scaled_supply, out.supply_index).unwrap();
        assert_eq!(s, dec256("2046143986.738421634"));
        assert_eq!(
            to_underlying_down(input.scaled_supply, out.supply_index).unwrap(),
            Uint128::new(2_046_143_986)
        );
        // Conservation: supply growth + reserves growth == interest, up to the truncation of
        // the supply index (1e-18 of an index unit on S_s / SCALE = 2e9: 2e-9 base units).
        let credited = (s - dec256("2000000000")) + out.reserves;
        assert!(credited <= out.interest);
        assert_eq!(out.interest - credited, dec256("0.0000000011"));
    }

    #[test]
    fn no_supply_sends_everything_to_reserves() {
        let input = AccrualInput {
            scaled_supply: Uint128::zero(),
            reserves: dec256("7"),
            ..base()
        };
        let out = accrue(&input).unwrap();
        assert_eq!(out.supply_index, Decimal256::one());
        assert_eq!(out.interest, dec256("51271096.376024039"));
        assert_eq!(out.reserves, dec256("51271103.376024039"));
    }

    #[test]
    fn nothing_to_accrue() {
        let unchanged = |input: &AccrualInput| AccrualOutput {
            supply_index: input.supply_index,
            borrow_index: input.borrow_index,
            reserves: input.reserves,
            interest: Decimal256::zero(),
        };
        let input = AccrualInput { dt: 0, ..base() };
        assert_eq!(accrue(&input).unwrap(), unchanged(&input));
        let input = AccrualInput {
            scaled_debt: Uint128::zero(),
            ..base()
        };
        assert_eq!(accrue(&input).unwrap(), unchanged(&input));
        let input = AccrualInput {
            rate: Decimal::zero(),
            ..base()
        };
        assert_eq!(accrue(&input).unwrap(), unchanged(&input));
    }

    #[test]
    fn reserve_factor_bounds() {
        let all_lenders = accrue(&AccrualInput {
            reserve_factor: Decimal::zero(),
            ..base()
        })
        .unwrap();
        assert_eq!(all_lenders.reserves, Decimal256::zero());
        // 1 + 51271096.376024039 / 2000000000 = 1.0256355481880120195, truncated.
        assert_eq!(all_lenders.supply_index, dec256("1.025635548188012019"));
        let all_reserves = accrue(&AccrualInput {
            reserve_factor: Decimal::one(),
            ..base()
        })
        .unwrap();
        assert_eq!(all_reserves.reserves, dec256("51271096.376024039"));
        assert_eq!(all_reserves.supply_index, Decimal256::one());
    }

    #[test]
    fn hourly_accrual_matches_continuous_compounding() {
        let mut input = AccrualInput { dt: 3600, ..base() };
        for _ in 0..(SECONDS_PER_YEAR / 3600) {
            let out = accrue(&input).unwrap();
            input.borrow_index = out.borrow_index;
            input.supply_index = out.supply_index;
            input.reserves = out.reserves;
        }
        // e^0.05 = 1.051271096376024039..; 8760 truncations cost at most ~1e-14.
        let err = dec256("1.051271096376024040").abs_diff(input.borrow_index);
        assert!(err < dec256("0.00000000000002"), "{err}");
        assert!(input.borrow_index < dec256("1.051271096376024040"));
    }

    #[test]
    fn overflow_is_an_error() {
        let input = AccrualInput {
            rate: dec("100"),
            dt: 2 * SECONDS_PER_YEAR,
            ..base()
        };
        assert_eq!(accrue(&input), Err(MathError::Overflow("exp")));
        // The largest valid rate over one year is fine: e^100.
        let input = AccrualInput {
            rate: dec("100"),
            ..base()
        };
        assert!(accrue(&input).is_ok());
    }
}
