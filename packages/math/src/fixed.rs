//! Private fixed-point helpers shared by the public functions: checked conversions between the
//! cosmwasm-std integer widths, `a * b / c` with 512-bit intermediates in both rounding
//! directions, and powers of ten. Every helper takes the name of the public function it serves,
//! so that an error says where it happened.
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256, Uint512};

use crate::MathError;

/// `10^18`, the atomics of one `Decimal` / `Decimal256`.
pub(crate) const WAD: u128 = 1_000_000_000_000_000_000;

pub(crate) fn overflow<E>(ctx: &'static str) -> impl Fn(E) -> MathError {
    move |_| MathError::Overflow(ctx)
}

pub(crate) fn wad256() -> Uint256 {
    Uint256::from_u128(WAD)
}

pub(crate) fn wad512() -> Uint512 {
    Uint512::from_uint256(wad256())
}

/// `Decimal` -> `Decimal256`, lossless.
pub(crate) fn d256(d: Decimal) -> Decimal256 {
    Decimal256::from(d)
}

/// The atomics of a `Decimal` as a `Uint256` (18 decimals).
pub(crate) fn atoms(d: Decimal) -> Uint256 {
    Uint256::from_uint128(d.atomics())
}

pub(crate) fn u512(x: Uint256) -> Uint512 {
    Uint512::from_uint256(x)
}

/// `10^decimals`; fails when it does not fit a `Uint256` (`decimals > 77`).
pub(crate) fn pow10(decimals: u8, ctx: &'static str) -> Result<Uint256, MathError> {
    Uint256::from_u128(10)
        .checked_pow(u32::from(decimals))
        .map_err(overflow(ctx))
}

pub(crate) fn to_u128(x: Uint256, ctx: &'static str) -> Result<Uint128, MathError> {
    Uint128::try_from(x).map_err(overflow(ctx))
}

pub(crate) fn to_u256(x: Uint512, ctx: &'static str) -> Result<Uint256, MathError> {
    Uint256::try_from(x).map_err(overflow(ctx))
}

pub(crate) fn mul512(a: Uint512, b: Uint512, ctx: &'static str) -> Result<Uint512, MathError> {
    a.checked_mul(b).map_err(overflow(ctx))
}

/// `floor(n / d)`; `DivideByZero` when `d == 0`.
pub(crate) fn div_floor512(
    n: Uint512,
    d: Uint512,
    ctx: &'static str,
) -> Result<Uint512, MathError> {
    n.checked_div(d).map_err(|_| MathError::DivideByZero(ctx))
}

/// `ceil(n / d)`; `DivideByZero` when `d == 0`.
pub(crate) fn div_ceil512(n: Uint512, d: Uint512, ctx: &'static str) -> Result<Uint512, MathError> {
    let q = div_floor512(n, d, ctx)?;
    let r = n.checked_rem(d).map_err(|_| MathError::DivideByZero(ctx))?;
    if r.is_zero() {
        Ok(q)
    } else {
        q.checked_add(Uint512::one()).map_err(overflow(ctx))
    }
}

/// `floor(a * b / c)` with a 512-bit intermediate.
pub(crate) fn mul_div_floor(
    a: Uint256,
    b: Uint256,
    c: Uint256,
    ctx: &'static str,
) -> Result<Uint256, MathError> {
    to_u256(div_floor512(a.full_mul(b), u512(c), ctx)?, ctx)
}

/// `ceil(a * b / c)` with a 512-bit intermediate.
pub(crate) fn mul_div_ceil(
    a: Uint256,
    b: Uint256,
    c: Uint256,
    ctx: &'static str,
) -> Result<Uint256, MathError> {
    to_u256(div_ceil512(a.full_mul(b), u512(c), ctx)?, ctx)
}

pub(crate) fn add256(a: Uint256, b: Uint256, ctx: &'static str) -> Result<Uint256, MathError> {
    a.checked_add(b).map_err(overflow(ctx))
}

pub(crate) fn sub256(a: Uint256, b: Uint256, ctx: &'static str) -> Result<Uint256, MathError> {
    a.checked_sub(b).map_err(overflow(ctx))
}
