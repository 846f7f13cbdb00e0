//! Small conversions (decimals to `f64`, exact amounts to `Int256`) and readers of a
//! response's events.
use cosmwasm_std::{Decimal, Decimal256, Int256, Uint256};
use cw_multi_test::AppResponse;
use keel_types::HealthBounds;

use crate::dec;

pub(super) fn dec_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

pub(super) fn d256_f64(d: Decimal256) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

pub(super) fn int(u: Uint256) -> Int256 {
    Int256::try_from(u).unwrap_or(Int256::MAX)
}

pub(super) fn int_f64(i: Int256) -> f64 {
    i.to_string().parse().unwrap_or(f64::NAN)
}

pub(super) const WAD: u128 = 1_000_000_000_000_000_000;

pub(super) fn bounds(min: &str, target: &str, max: &str) -> HealthBounds {
    HealthBounds {
        min: dec(min),
        target: dec(target),
        max: dec(max),
    }
}

pub(super) fn events_attr<'a>(res: &'a AppResponse, key: &str) -> Vec<&'a str> {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == key)
        .map(|a| a.value.as_str())
        .collect()
}

pub(super) fn has_event(res: &AppResponse, ty: &str) -> bool {
    res.events.iter().any(|e| e.ty == format!("wasm-{ty}"))
}
