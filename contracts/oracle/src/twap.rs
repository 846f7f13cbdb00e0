//! The TWAP observation ring of a denom.
//!
//! Each accepted price is an observation `(time, price)`: it holds from `time` until the next
//! observation (the newest until now). The ring is stored in the denom's record (see
//! [`crate::state::DenomStore`]), compactly ([`encode`]): about 6 bytes an observation.
//!
//! Every push drops the observations whose step ended at or before the window start (they can no
//! longer count for any query), so the ring holds the window only. When pushes come so often that
//! the window holds more than [`MAX_OBSERVATIONS`], room is made without losing the integral of
//! the step function: the two adjacent closed steps with the shortest combined duration are merged
//! into one step at their time-weighted average price (rounded down). The integral over any span that
//!   does not start inside a merged step is unchanged, so the TWAP stays exact as long as the
//!   ring holds every step that overlaps the window (the one straddling its start and at most 63
//!   after it), and is off only within the merged step straddling the window start beyond that.

use cosmwasm_std::{Decimal, StdError, Uint128, Uint256};
use keel_types::codec::{put_decimal, put_uint, take_decimal, take_uint};

use crate::error::ContractError;

/// Capacity of the ring: with the default 1800 s window, exact for pushes every 29 s or slower.
pub const MAX_OBSERVATIONS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    pub time: u64,
    pub price: Decimal,
}

/// The ring as denom records of version 2 store it: the first time (`uint`), then per
/// observation the gap since the previous one (`uint`: 2 bytes for a push interval of minutes)
/// and the price in `keel_types::codec::put_decimal`'s form (a feeder's price has a few
/// significant digits: 3-5 bytes). About 6 bytes an observation where version 1 took 14: the
/// record is read by every price query (3 gas a byte) and written by every push (30).
pub fn encode(observations: &[Observation]) -> Vec<u8> {
    let Some(first) = observations.first() else {
        return vec![];
    };
    let mut bytes = Vec::with_capacity(observations.len().saturating_mul(7).saturating_add(9));
    put_uint(&mut bytes, &first.time.to_be_bytes());
    let mut previous = first.time;
    for observation in observations {
        // times never decrease (`record` appends at the block time)
        let gap = observation.time.saturating_sub(previous);
        previous = observation.time;
        put_uint(&mut bytes, &gap.to_be_bytes());
        put_decimal(&mut bytes, observation.price);
    }
    bytes
}

/// Reads [`encode`]'s form; `None` on a truncated or malformed ring.
pub fn decode(mut bytes: &[u8]) -> Option<Vec<Observation>> {
    if bytes.is_empty() {
        return Some(vec![]);
    }
    let bytes = &mut bytes;
    let mut time = u64::from_be_bytes(take_uint::<8>(bytes).ok()?);
    let mut observations = vec![];
    while !bytes.is_empty() {
        let gap = u64::from_be_bytes(take_uint::<8>(bytes).ok()?);
        time = time.checked_add(gap)?;
        let price = take_decimal(bytes).ok()?;
        observations.push(Observation { time, price });
    }
    Some(observations)
}

/// The ring as denom records of version 0 and 1 stored it: the first time (`u64be`), then per
/// observation `gap:u32be len:u8 digits` (the price's atomics without leading zeros).
pub fn decode_v1(bytes: &[u8]) -> Option<Vec<Observation>> {
    if bytes.is_empty() {
        return Some(vec![]);
    }
    let (first, mut rest) = bytes.split_first_chunk::<8>()?;
    let mut time = u64::from_be_bytes(*first);
    let mut observations = vec![];
    while !rest.is_empty() {
        let (gap, after) = rest.split_first_chunk::<4>()?;
        let (len, after) = after.split_first()?;
        let len = usize::from(*len);
        if len > 16 || after.len() < len {
            return None;
        }
        let (digits, after) = after.split_at(len);
        let mut atomics = [0u8; 16];
        atomics.get_mut(16 - len..)?.copy_from_slice(digits);
        time = time.checked_add(u64::from(u32::from_be_bytes(*gap)))?;
        observations.push(Observation {
            time,
            price: Decimal::raw(u128::from_be_bytes(atomics)),
        });
        rest = after;
    }
    Some(observations)
}

/// Records a price accepted at `now`. Several accepted prices in the same second: the last one
/// replaces the previous (a step of zero duration counts for nothing).
pub fn record(
    observations: &mut Vec<Observation>,
    now: u64,
    price: Decimal,
    window: u64,
) -> Result<(), ContractError> {
    match observations.last_mut() {
        Some(last) if last.time >= now => last.price = price,
        _ => observations.push(Observation { time: now, price }),
    }
    // Steps that ended at or before the window start can no longer count for any query (queries
    // come at `now` or later), so they are dropped at once: the ring holds only the window (about
    // `window / push interval` observations), which is what every price query reads.
    let window_start = now.saturating_sub(window);
    let ended = observations
        .iter()
        .skip(1)
        .take_while(|next| next.time <= window_start)
        .count();
    observations.drain(..ended);
    while observations.len() > MAX_OBSERVATIONS {
        merge_shortest_pair(observations)?;
    }
    Ok(())
}

/// Merges the two adjacent closed steps (never the newest, open one) with the shortest combined
/// duration into one step at their time-weighted average price.
fn merge_shortest_pair(observations: &mut Vec<Observation>) -> Result<(), ContractError> {
    let Some((index, _)) = observations
        .windows(3)
        .enumerate()
        .filter_map(|(i, w)| match w {
            [a, _, c] => Some((i, c.time.saturating_sub(a.time))),
            _ => None,
        })
        .min_by_key(|(_, span)| *span)
    else {
        return Ok(());
    };
    let (Some(a), Some(b), Some(c)) = (
        observations.get(index).copied(),
        observations.get(index.saturating_add(1)).copied(),
        observations.get(index.saturating_add(2)).copied(),
    ) else {
        return Ok(());
    };
    // Times are strictly increasing, so `first + second == span`.
    let first = b.time.saturating_sub(a.time);
    let second = c.time.saturating_sub(b.time);
    let span = c.time.saturating_sub(a.time);
    let price = if span == 0 {
        b.price
    } else {
        let integral = a
            .price
            .atomics()
            .full_mul(first)
            .checked_add(b.price.atomics().full_mul(second))?;
        let average: Uint128 = integral.checked_div(Uint256::from(span))?.try_into()?;
        Decimal::new(average)
    };
    if let Some(merged) = observations.get_mut(index) {
        merged.price = price;
    }
    observations.remove(index.saturating_add(1));
    Ok(())
}

/// The part of `[now - window, now]` covered by observations starting at `since` is enough for a
/// valid TWAP: at least half the window.
fn covered(since: u64, now: u64, window: u64) -> Option<u64> {
    let start = now.saturating_sub(window).max(since);
    let covered = now.checked_sub(start)?;
    let twice = u128::from(covered).saturating_mul(2);
    (covered > 0 && twice >= u128::from(window)).then_some(covered)
}

/// The TWAP at `now`, or `None` when it is invalid: newest observation older than `max_age`, or
/// less than half the window covered. Rounded down.
pub fn compute(
    observations: &[Observation],
    now: u64,
    window: u64,
    max_age: u64,
) -> Result<Option<Decimal>, ContractError> {
    let (Some(oldest), Some(newest)) = (observations.first(), observations.last()) else {
        return Ok(None);
    };
    if now.saturating_sub(newest.time) > max_age {
        return Ok(None);
    }
    let Some(covered) = covered(oldest.time, now, window) else {
        return Ok(None);
    };
    let start = now
        .checked_sub(covered)
        .ok_or_else(|| StdError::generic_err("TWAP coverage starts before time zero"))?;
    let ends = observations
        .iter()
        .skip(1)
        .map(|next| next.time)
        .chain(std::iter::once(now));
    let mut integral = Uint256::zero();
    for (observation, end) in observations.iter().zip(ends) {
        let from = observation.time.max(start);
        let to = end.min(now);
        if to > from {
            let seconds = to.saturating_sub(from);
            integral = integral.checked_add(observation.price.atomics().full_mul(seconds))?;
        }
    }
    let average: Uint128 = integral.checked_div(Uint256::from(covered))?.try_into()?;
    Ok(Some(Decimal::new(average)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn obs(time: u64, price: &str) -> Observation {
        Observation {
            time,
            price: d(price),
        }
    }

    /// Version 1's ring encoder, kept to write the legacy records the tests decode.
    pub(crate) fn encode_v1(observations: &[Observation]) -> Vec<u8> {
        let Some(first) = observations.first() else {
            return vec![];
        };
        let mut bytes = first.time.to_be_bytes().to_vec();
        let mut previous = first.time;
        for observation in observations {
            let gap = u32::try_from(observation.time - previous).unwrap();
            previous = observation.time;
            bytes.extend_from_slice(&gap.to_be_bytes());
            let atomics = observation.price.atomics().u128().to_be_bytes();
            let skip = atomics.iter().take_while(|b| **b == 0).count();
            bytes.push((16 - skip) as u8);
            bytes.extend_from_slice(&atomics[skip..]);
        }
        bytes
    }

    fn extreme_ring() -> Vec<Observation> {
        vec![
            obs(1, "0.000000000000000001"),
            obs(1_700_000_000, "10"),
            obs(1_700_000_120, "3000.5"),
            obs(1_700_000_121, "340282366920938463463.374607431768211455"),
        ]
    }

    #[test]
    fn encoding_round_trips_compactly() {
        let ring = extreme_ring();
        let bytes = encode(&ring);
        assert_eq!(decode(&bytes).unwrap(), ring);
        // a cut inside a field is refused; one between observations is a shorter ring (the ring
        // ends the record, whose length the store keeps)
        for cut in 1..bytes.len() {
            if let Some(read) = decode(&bytes[..cut]) {
                assert!(
                    read.len() < ring.len() && ring.starts_with(&read),
                    "prefix of {cut}"
                );
            }
        }
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[]).unwrap(), vec![]);
        assert_eq!(encode(&[]), Vec::<u8>::new());
        // a feeder's ring: pushes a minute apart, prices of five significant digits
        let feed: Vec<Observation> = (0..30u64)
            .map(|i| Observation {
                time: 1_700_000_000 + 60 * i,
                price: Decimal::from_ratio(12_345u128 + u128::from(i), 10u128),
            })
            .collect();
        let bytes = encode(&feed);
        assert_eq!(decode(&bytes).unwrap(), feed);
        // the first time 1 + 4, the first gap 1, then per observation the gap 1 + 1 (none for the
        // first) and the price 2 + 2 (1234.5 is 12345 and 17 trailing zeros): 6 bytes where
        // version 1 took 14
        assert_eq!(bytes.len(), 5 + 1 + 4 + 29 * 6);
        assert_eq!(encode_v1(&feed).len(), 8 + 30 * 14);
    }

    #[test]
    fn version_1_rings_still_decode() {
        let ring = extreme_ring();
        let bytes = encode_v1(&ring);
        // 8 (first time) + 4 gaps + lengths, prices of 1, 8, 9 and 16 bytes
        assert_eq!(bytes.len(), 8 + 4 * 5 + 1 + 8 + 9 + 16);
        assert_eq!(decode_v1(&bytes).unwrap(), ring);
        assert_eq!(decode_v1(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode_v1(&bytes[..7]), None);
        assert_eq!(decode_v1(&[]).unwrap(), vec![]);
        // a price length over 16 bytes is refused
        let mut bad = 5u64.to_be_bytes().to_vec();
        bad.extend_from_slice(&[0, 0, 0, 0, 17]);
        bad.extend_from_slice(&[1; 17]);
        assert_eq!(decode_v1(&bad), None);
    }

    #[test]
    fn twap_is_the_time_weighted_average_of_the_step_function() {
        let ring = vec![obs(1000, "100"), obs(1900, "110")];
        assert_eq!(
            compute(&ring, 2800, 1800, 300).unwrap(),
            None,
            "newest too old"
        );
        assert_eq!(compute(&ring, 2800, 1800, 900).unwrap(), Some(d("105")));
        // window start inside the first step: 100 * 600 + 110 * 900 over 1500... window 1500
        assert_eq!(compute(&ring, 2800, 1500, 900).unwrap(), Some(d("106")));
    }

    #[test]
    fn twap_needs_half_the_window_covered() {
        let ring = vec![obs(1000, "100")];
        assert_eq!(compute(&ring, 1899, 1800, 10_000).unwrap(), None);
        assert_eq!(compute(&ring, 1900, 1800, 10_000).unwrap(), Some(d("100")));
        assert_eq!(compute(&ring, 1000, 1800, 10_000).unwrap(), None);
        // odd window: 451 s covers "at least half" of 901 s, 450 s does not
        assert_eq!(compute(&ring, 1450, 901, 10_000).unwrap(), None);
        assert_eq!(compute(&ring, 1451, 901, 10_000).unwrap(), Some(d("100")));
    }

    #[test]
    fn twap_rounds_down() {
        // (1 * 2 + 2 * 1) / 3 = 1.333...
        let ring = vec![obs(0, "1"), obs(2, "2")];
        assert_eq!(
            compute(&ring, 3, 3, 10).unwrap(),
            Some(d("1.333333333333333333"))
        );
    }

    #[test]
    fn same_second_replaces_the_last_observation() {
        let mut ring = vec![obs(10, "1")];
        record(&mut ring, 10, d("2"), 100).unwrap();
        assert_eq!(ring, vec![obs(10, "2")]);
        record(&mut ring, 11, d("3"), 100).unwrap();
        assert_eq!(ring, vec![obs(10, "2"), obs(11, "3")]);
    }

    #[test]
    fn ring_keeps_only_the_steps_that_overlap_the_window() {
        let mut ring = vec![];
        let mut exact_ring = vec![];
        for i in 0..64u64 {
            let price = Decimal::from_ratio(100u128 + u128::from(i), 1u128);
            record(&mut ring, i * 100, price, 1000).unwrap();
            exact_ring.push(Observation {
                time: i * 100,
                price,
            });
            assert!(ring.len() <= 11, "{} observations at push {i}", ring.len());
            for later in [i * 100, i * 100 + 50, i * 100 + 99] {
                assert_eq!(
                    compute(&ring, later, 1000, 300).unwrap(),
                    compute(&exact_ring, later, 1000, 300).unwrap(),
                    "push {i}, {later}"
                );
            }
        }
        // window [5300, 6300]: the step starting at 5300 is the first that overlaps it
        assert_eq!(ring.len(), 11);
        assert_eq!(ring.first().unwrap().time, 5300);
        // a push after a gap drops every step that ended before the new window start, except
        // the one straddling it
        record(&mut ring, 7000, d("2"), 1000).unwrap();
        assert_eq!(ring.first().unwrap().time, 6000);
        assert_eq!(ring.len(), 5);
        record(&mut ring, 20_000, d("3"), 1000).unwrap();
        assert_eq!(ring, vec![obs(7000, "2"), obs(20_000, "3")]);
    }

    #[test]
    fn twap_is_exact_for_pushes_every_29_seconds_with_a_1800_second_window() {
        let mut ring = vec![];
        let mut exact_ring = vec![];
        for i in 0..500u64 {
            // an irregular price path
            let price = Decimal::from_ratio(1000u128 + u128::from(i * 7919 % 101), 10u128);
            let now = 1_000_000 + i * 29;
            record(&mut ring, now, price, 1800).unwrap();
            exact_ring.push(Observation { time: now, price });
            for later in [now, now + 1, now + 28] {
                assert_eq!(
                    compute(&ring, later, 1800, 300).unwrap(),
                    compute(&exact_ring, later, 1800, 300).unwrap(),
                    "push {i}, {} s later",
                    later - now
                );
            }
        }
        assert_eq!(ring.len(), MAX_OBSERVATIONS);
    }

    #[test]
    fn frequent_pushes_merge_steps_and_keep_the_integral() {
        // 200 pushes 5 s apart within a 1800 s window: the ring stays bounded, still covers the
        // window, and the TWAP of a linear ramp stays close to the exact one.
        let mut ring = vec![];
        let mut exact_ring = vec![];
        for i in 0..400u64 {
            let price = Decimal::from_ratio(1000u128 + u128::from(i), 10u128);
            record(&mut ring, 10_000 + i * 5, price, 1800).unwrap();
            exact_ring.push(Observation {
                time: 10_000 + i * 5,
                price,
            });
            assert!(ring.len() <= MAX_OBSERVATIONS);
        }
        let now = 10_000 + 399 * 5 + 5;
        let exact = compute(&exact_ring, now, 1800, 300).unwrap().unwrap();
        let approx = compute(&ring, now, 1800, 300).unwrap().unwrap();
        assert!(
            ring.first().unwrap().time <= now - 1800,
            "still covers the window"
        );
        assert!(exact.abs_diff(approx) < d("0.05"), "{exact} vs {approx}");
        // The integral since the oldest kept observation is exact (up to rounding).
        let since = ring.first().unwrap().time;
        let full = now - since;
        let exact_since = compute(&exact_ring, now, full, 300).unwrap().unwrap();
        let approx_since = compute(&ring, now, full, 300).unwrap().unwrap();
        assert!(exact_since.abs_diff(approx_since) <= d("0.000000000000000100"));
    }
}
