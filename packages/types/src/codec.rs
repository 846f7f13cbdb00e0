//! The binary form of the contracts' storage records: every integer is a length byte and its
//! big-endian bytes without leading zeros (a `uint`), every address or denom a length byte and its
//! bytes. Storage costs 30 SDK gas per byte written and 3 per byte read, and nothing here has to
//! be parsed. Every reader returns an error on a truncated or malformed record, never panics.
use cosmwasm_std::{CanonicalAddr, Decimal, StdError, StdResult};

/// A flags byte: the OR of the `flag`s whose condition is set.
pub fn flags<const N: usize>(bits: [(bool, u8); N]) -> u8 {
    bits.iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, flag)| flags | flag)
}

/// `[len, big-endian bytes without leading zeros]` of an unsigned integer. Not inlined: keeps
/// the callers' wasm locals few (chains refuse functions with over 100).
#[inline(never)]
pub fn put_uint(out: &mut Vec<u8>, be_bytes: &[u8]) {
    let skip = be_bytes.iter().take_while(|b| **b == 0).count();
    let digits = be_bytes.get(skip..).unwrap_or_default();
    // at most 32 bytes: fits the length byte
    out.push(digits.len() as u8);
    out.extend_from_slice(digits);
}

/// Reads `put_uint`'s output into a zero-padded `N`-byte big-endian array.
#[inline(never)]
pub fn take_uint<const N: usize>(bytes: &mut &[u8]) -> StdResult<[u8; N]> {
    let len = usize::from(take_u8(bytes)?);
    let digits = take(bytes, len)?;
    let mut out = [0u8; N];
    let start = N
        .checked_sub(len)
        .ok_or_else(|| corrupt("integer", "too long"))?;
    out.get_mut(start..)
        .ok_or_else(|| corrupt("integer", "too long"))?
        .copy_from_slice(digits);
    Ok(out)
}

pub fn take<'a>(bytes: &mut &'a [u8], len: usize) -> StdResult<&'a [u8]> {
    if bytes.len() < len {
        return Err(corrupt("record", "truncated"));
    }
    let (head, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(head)
}

pub fn take_u8(bytes: &mut &[u8]) -> StdResult<u8> {
    take(bytes, 1)?
        .first()
        .copied()
        .ok_or_else(|| corrupt("record", "truncated"))
}

pub fn corrupt(what: &str, why: &str) -> StdError {
    StdError::generic_err(format!("corrupt {what}: {why}"))
}

pub fn take_u16(bytes: &mut &[u8]) -> StdResult<u16> {
    let b = take(bytes, 2)?;
    Ok(u16::from_be_bytes([
        b.first().copied().unwrap_or_default(),
        b.get(1).copied().unwrap_or_default(),
    ]))
}

/// `len:u8 bytes` (canonical addresses, denoms: at most 255 bytes).
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> StdResult<()> {
    out.push(u8::try_from(bytes.len()).map_err(|_| corrupt("string", "over 255 bytes"))?);
    out.extend_from_slice(bytes);
    Ok(())
}

pub fn put_str(out: &mut Vec<u8>, s: &str) -> StdResult<()> {
    put_bytes(out, s.as_bytes())
}

pub fn take_canonical(bytes: &mut &[u8]) -> StdResult<CanonicalAddr> {
    let len = usize::from(take_u8(bytes)?);
    Ok(CanonicalAddr::from(take(bytes, len)?))
}

pub fn take_str(bytes: &mut &[u8]) -> StdResult<String> {
    let len = usize::from(take_u8(bytes)?);
    std::str::from_utf8(take(bytes, len)?)
        .map(str::to_string)
        .map_err(|_| corrupt("string", "not utf-8"))
}

/// A `Decimal` as `zeros:u8` and the `uint` of its atomics without their trailing decimal zeros:
/// parameters are round numbers (0.8 takes 3 bytes instead of 9), and the records that hold them
/// are read by nearly every message.
pub fn put_decimal(out: &mut Vec<u8>, d: Decimal) {
    let mut mantissa = d.atomics().u128();
    let mut zeros = 0u8;
    while mantissa != 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        zeros = zeros.saturating_add(1);
    }
    out.push(zeros);
    put_uint(out, &mantissa.to_be_bytes());
}

pub fn take_decimal(bytes: &mut &[u8]) -> StdResult<Decimal> {
    let zeros = take_u8(bytes)?;
    let mantissa = u128::from_be_bytes(take_uint::<16>(bytes)?);
    10u128
        .checked_pow(u32::from(zeros))
        .and_then(|scale| mantissa.checked_mul(scale))
        .map(Decimal::raw)
        .ok_or_else(|| corrupt("decimal", "out of range"))
}
