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
//! - `supply_index' = supply_index + supply_index * lenders' share / S`, truncated, so the supply
//!   the new index records grows by at most the lenders' share.
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::exp::exp;
use crate::fixed::{add256, atoms, mul_div_floor, overflow, sub256, wad256};
use crate::scaled::to_underlying_exact;
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
        let step = mul_div_floor(index, to_lenders, supply.atomics(), CTX)?;
        Decimal256::new(add256(index, step, CTX)?)
    };

    Ok(AccrualOutput {
        supply_index,
        borrow_index,
        reserves,
        interest: Decimal256::new(interest),
    })
}
