//! `e^x` in fixed point.
//!
//! Method: split `x = n + f` with `n = floor(x)` and `0 <= f < 1`. `e^n` is `n` multiplications
//! by `e` held to 36 decimals (truncated), `e^f` is its Taylor series summed with 36 decimals
//! (every term truncated), both in 36-decimal fixed point with 256/512-bit integers, and the
//! product is truncated to the 18 decimals of a `Decimal256`. Every step rounds down, so the
//! result never exceeds the true `e^x`; the internal error is below `1e-33` relative, so the
//! only visible error is the final truncation to 18 decimals (`< 1e-18` relative, as
//! `e^x >= 1`). `e^x` exceeds `Decimal256::MAX` for `x >= 135.9992`: those fail with `Overflow`.
use cosmwasm_std::{Decimal256, Uint256, Uint512};

use crate::fixed::{mul512, overflow, to_u128, to_u256, u512, wad256, WAD};
use crate::MathError;

const CTX: &str = "exp";

/// `10^36`, one in the internal fixed point.
const ONE36: u128 = WAD * WAD;

/// `e * 10^36`, truncated (e = 2.718281828459045235360287471352662497757...).
const E36: u128 = 2_718_281_828_459_045_235_360_287_471_352_662_497;

/// `e^136 > Decimal256::MAX`: any `x` with an integer part of 136 or more overflows.
const MAX_INTEGER_PART: u128 = 135;

/// `e^x` for `x >= 0` in 18-decimal fixed point, with relative error below 1e-12 for `x <= 10`
/// (SPEC 3.2: continuous compounding, not a 2-term approximation). Rounds down.
/// Fails with `Overflow` when the result does not fit a `Decimal256`.
pub fn exp(x: Decimal256) -> Result<Decimal256, MathError> {
    let atomics = x.atomics();
    let wad = wad256();
    let n = atomics.checked_div(wad).map_err(overflow(CTX))?;
    let frac = atomics.checked_rem(wad).map_err(overflow(CTX))?;
    if n > Uint256::from_u128(MAX_INTEGER_PART) {
        return Err(MathError::Overflow(CTX));
    }
    let n = u32::try_from(to_u128(n, CTX)?.u128()).map_err(overflow(CTX))?;

    let int_part = exp_int36(n)?;
    let frac_part = exp_frac36(frac)?;

    // e^n * e^f in 72 decimals, down to the 18 of a Decimal256.
    let product = mul512(int_part, u512(frac_part), CTX)?;
    let scale = Uint512::from(ONE36).checked_mul(Uint512::from(WAD));
    let scale = scale.map_err(overflow(CTX))?;
    let out = product.checked_div(scale).map_err(overflow(CTX))?;
    Ok(Decimal256::new(to_u256(out, CTX)?))
}

/// `e^n * 10^36` (truncated at each step), for `n <= MAX_INTEGER_PART`.
fn exp_int36(n: u32) -> Result<Uint512, MathError> {
    let one = Uint512::from(ONE36);
    let e = Uint512::from(E36);
    let mut acc = one;
    for _ in 0..n {
        acc = mul512(acc, e, CTX)?
            .checked_div(one)
            .map_err(overflow(CTX))?;
    }
    Ok(acc)
}

/// `e^f * 10^36` for `f = frac / 10^18 < 1`, by its Taylor series with truncated terms.
fn exp_frac36(frac: Uint256) -> Result<Uint256, MathError> {
    let one = Uint256::from_u128(ONE36);
    // f in 36-decimal fixed point.
    let f36 = frac.checked_mul(wad256()).map_err(overflow(CTX))?;
    let mut sum = one;
    let mut term = one;
    let mut k: u128 = 1;
    // Terms shrink at least k-fold each step (f < 1): 1/34! < 1e-36, so this ends within ~35
    // steps; the bound only guards the loop.
    while !term.is_zero() && k < 64 {
        term = term
            .checked_mul(f36)
            .map_err(overflow(CTX))?
            .checked_div(
                one.checked_mul(Uint256::from_u128(k))
                    .map_err(overflow(CTX))?,
            )
            .map_err(overflow(CTX))?;
        sum = sum.checked_add(term).map_err(overflow(CTX))?;
        k = k.checked_add(1).ok_or(MathError::Overflow(CTX))?;
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    #[test]
    fn exact_values() {
        assert_eq!(exp(Decimal256::zero()).unwrap(), Decimal256::one());
        // e = 2.718281828459045235|36..., truncated to 18 decimals.
        assert_eq!(exp(Decimal256::one()).unwrap(), dec("2.718281828459045235"));
        // e^0.05 = 1.051271096376024039|69...
        assert_eq!(exp(dec("0.05")).unwrap(), dec("1.051271096376024039"));
        // e^10 = 22026.465794806716516957|90...
        assert_eq!(exp(dec("10")).unwrap(), dec("22026.465794806716516957"));
        // e^0.5 = 1.648721270700128146|84...
        assert_eq!(exp(dec("0.5")).unwrap(), dec("1.648721270700128146"));
        // e^2.5 = 12.182493960703473438|07...
        assert_eq!(exp(dec("2.5")).unwrap(), dec("12.182493960703473438"));
    }

    #[test]
    fn smallest_step() {
        // e^(1e-18) = 1 + 1e-18 + 5e-37...: truncated to exactly 1.000000000000000001.
        assert_eq!(
            exp(Decimal256::raw(1)).unwrap(),
            Decimal256::raw(1_000_000_000_000_000_001)
        );
    }

    #[test]
    fn largest_values_and_overflow() {
        // e^135 and e^135.999 to 18 decimals (truncated), from a 120-digit reference.
        for (x, reference) in [
            (
                "135",
                "42633899483147210448936866880765989356468745853255281087440011736227864297277",
            ),
            (
                "135.999",
                "115775121213313943770173187911657966241240831564407956453291207430128944627449",
            ),
        ] {
            let got = exp(dec(x)).unwrap().atomics();
            let reference = Uint256::from_str(reference).unwrap();
            assert!(got <= reference);
            // Relative error below 1e-30.
            let err = reference - got;
            assert!(
                err * Uint256::from_u128(10u128.pow(30)) < reference,
                "{x}: {err}"
            );
        }
        assert_eq!(exp(dec("136")), Err(MathError::Overflow("exp")));
        assert_eq!(exp(dec("1000000")), Err(MathError::Overflow("exp")));
        assert_eq!(exp(Decimal256::MAX), Err(MathError::Overflow("exp")));
    }
}
