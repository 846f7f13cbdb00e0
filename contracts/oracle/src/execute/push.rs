//! `push_prices`: the deviation guard and the TWAP observations.

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, Event, MessageInfo, Response};
use keel_types::oracle::PriceInput;

use crate::error::ContractError;
use crate::helpers::within_deviation;
use crate::state::{Accepted, DenomState, Pending, DENOMS, FEEDERS};
use crate::twap;

/// A feeder may confirm its own pending price only this many seconds after pushing it.
pub const SELF_CONFIRMATION_DELAY: u64 = 60;

/// At most this many feeders hold a pending price for a denom at once (one each): bounds the
/// record, which every query reads. Expired pending prices are dropped first.
pub const MAX_PENDING: usize = 8;

/// What a push did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Within `max_deviation` of the reference, or no fresh accepted price: accepted as pushed.
    Accepted,
    /// Within `max_deviation` of another feeder's pending price, or of the feeder's own one
    /// pushed at least 60 s earlier: accepted as pushed, and that pending price is dropped.
    Confirmed,
    /// Deviates from the reference and from every pending price it could confirm: now the
    /// feeder's pending price, its clock starting now.
    Pending,
    /// Within `max_deviation` of the feeder's own pending price, pushed under 60 s ago: replaces
    /// it, keeping its original time.
    AwaitingConfirmation,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Confirmed => "confirmed",
            Outcome::Pending => "pending",
            Outcome::AwaitingConfirmation => "awaiting_confirmation",
        }
    }
}

/// The block a push is executed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub height: u64,
    pub time: u64,
}

/// Applies a push of `price` for `denom` by `feeder` to its record (SPEC 2's order): accepted
/// within `max_deviation` of the reference, else a confirmation, else the feeder's pending price.
/// Returns the outcome and whether the record changed.
///
/// The reference stays put for the whole block (see [`DenomState::reference`]), so no sequence of
/// pushes in one block, batched or not, by one feeder or several, moves the accepted price further
/// than `max_deviation` from it without a confirmation.
pub fn apply(
    state: &mut DenomState,
    denom: &str,
    feeder: &Addr,
    price: Decimal,
    block: Block,
) -> Result<(Outcome, bool), ContractError> {
    let now = block.time;
    let max_age = state.max_age();
    let max_deviation = state.max_deviation();
    let held = state.pending.len();
    state
        .pending
        .retain(|pending| now.saturating_sub(pending.time) <= max_age);
    let mut changed = state.pending.len() != held;

    let reference = state.reference(now, block.height);
    let outcome = match reference {
        Some(reference) if !within_deviation(price, reference, max_deviation) => {
            let confirmed = state
                .pending
                .iter()
                .find(|pending| {
                    within_deviation(price, pending.price, max_deviation)
                        && (pending.feeder != *feeder
                            || now.saturating_sub(pending.time) >= SELF_CONFIRMATION_DELAY)
                })
                .map(|pending| pending.feeder.clone());
            if let Some(confirmed) = confirmed {
                // one pending price per feeder: this drops exactly the confirmed one
                state.pending.retain(|pending| pending.feeder != confirmed);
                Outcome::Confirmed
            } else if let Some(own) = state
                .pending
                .iter_mut()
                .find(|pending| pending.feeder == *feeder)
            {
                let outcome = if within_deviation(price, own.price, max_deviation) {
                    Outcome::AwaitingConfirmation
                } else {
                    own.time = now;
                    Outcome::Pending
                };
                changed |= own.price != price || outcome == Outcome::Pending;
                own.price = price;
                outcome
            } else {
                if state.pending.len() >= MAX_PENDING {
                    return Err(ContractError::TooManyPending {
                        denom: denom.to_string(),
                        max: MAX_PENDING,
                    });
                }
                state.pending.push(Pending {
                    price,
                    feeder: feeder.clone(),
                    time: now,
                });
                changed = true;
                Outcome::Pending
            }
        }
        // within max_deviation of the reference, or nothing fresh to compare with
        _ => Outcome::Accepted,
    };

    if matches!(outcome, Outcome::Accepted | Outcome::Confirmed) {
        twap::record(
            &mut state.observations,
            now,
            price,
            state.params.twap_window,
        )?;
        let reference = match (outcome, reference) {
            (Outcome::Accepted, Some(reference)) => reference,
            // the first price accepted in the block (none fresh before it), or a confirmed one
            _ => price,
        };
        state.accepted = Some(Accepted {
            price,
            time: now,
            height: block.height,
            reference,
        });
        state.pending.retain(|pending| pending.feeder != *feeder);
        changed = true;
    }
    Ok((outcome, changed))
}

/// One denom touched by the batch: its record (TWAP ring included).
struct Touched {
    denom: String,
    state: DenomState,
    changed: bool,
}

/// Feeders only. Every entry is checked and applied in memory first; storage is written only when
/// all entries passed, so a rejected entry leaves nothing stored. Entries are applied in order (a
/// denom may appear several times: each entry is judged against the reference of the block, like
/// a push in a later transaction of the same block).
pub fn push_prices(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    prices: Vec<PriceInput>,
) -> Result<Response, ContractError> {
    if !FEEDERS.has(deps.storage, &info.sender) {
        return Err(ContractError::NotFeeder {
            sender: info.sender.to_string(),
        });
    }
    if prices.is_empty() {
        return Err(ContractError::EmptyPush {});
    }
    let block = Block {
        height: env.block.height,
        time: env.block.time.seconds(),
    };

    let mut touched: Vec<Touched> = vec![];
    let mut events = vec![];
    for PriceInput { denom, price } in prices {
        if price.is_zero() {
            return Err(ContractError::InvalidPrice { denom });
        }
        let index = match touched.iter().position(|t| t.denom == denom) {
            Some(index) => index,
            None => {
                let state = DENOMS.may_load(deps.storage, &denom)?.ok_or_else(|| {
                    ContractError::NoSources {
                        denom: denom.clone(),
                    }
                })?;
                touched.push(Touched {
                    denom: denom.clone(),
                    state,
                    changed: false,
                });
                touched.len().saturating_sub(1)
            }
        };
        let Some(entry) = touched.get_mut(index) else {
            return Err(ContractError::NoSources { denom });
        };

        let (outcome, changed) = apply(&mut entry.state, &denom, &info.sender, price, block)?;
        entry.changed |= changed;
        events.push(
            Event::new("oracle_price")
                .add_attribute("denom", denom)
                .add_attribute("price", price.to_string())
                .add_attribute("status", outcome.as_str()),
        );
    }

    for Touched {
        denom,
        state,
        changed,
    } in &touched
    {
        if *changed {
            DENOMS.save(deps.storage, denom, state)?;
        }
    }
    Ok(Response::new()
        .add_attribute("action", "push_prices")
        .add_attribute("feeder", info.sender)
        .add_events(events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Params;
    use keel_types::oracle::PriceSource;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn feeder(name: &str) -> Addr {
        Addr::unchecked(name)
    }

    /// A feed-only denom whose price `price` was accepted at block 1, time 1,000
    /// (`max_age` 300, `max_deviation` 0.1).
    fn denom_at(price: &str) -> DenomState {
        DenomState {
            sources: vec![PriceSource::Feed {}],
            params: Params {
                max_age: 300,
                max_deviation: d("0.1"),
                twap_window: 1800,
            },
            max_age: None,
            max_deviation: None,
            accepted: Some(Accepted {
                price: d(price),
                time: 1_000,
                height: 1,
                reference: d(price),
            }),
            pending: vec![],
            observations: vec![],
        }
    }

    fn block(height: u64, time: u64) -> Block {
        Block { height, time }
    }

    fn push(state: &mut DenomState, by: &str, price: &str, at: Block) -> Outcome {
        apply(state, "ueth", &feeder(by), d(price), at).unwrap().0
    }

    fn accepted(state: &DenomState) -> Decimal {
        state.accepted.map(|accepted| accepted.price).unwrap()
    }

    #[test]
    fn a_walk_in_one_block_moves_the_price_at_most_max_deviation_from_the_reference() {
        let mut state = denom_at("2000");
        let at = block(2, 1_010);
        let walk = [
            "1800", "1620", "1458", "1312.2", "1180.98", "1062.882", "1000",
        ];
        let outcomes: Vec<Outcome> = walk.iter().map(|p| push(&mut state, "a", p, at)).collect();
        assert_eq!(outcomes[0], Outcome::Accepted, "exactly 10% below 2000");
        assert_eq!(outcomes[1], Outcome::Pending);
        assert!(outcomes[2..]
            .iter()
            .all(|outcome| *outcome == Outcome::AwaitingConfirmation));
        assert_eq!(accepted(&state), d("1800"));
        assert_eq!(state.reference(1_010, 2), Some(d("2000")));
        assert_eq!(state.pending.len(), 1);
        // repeated in a later transaction of the block, it gets no further
        for price in walk {
            push(&mut state, "a", price, at);
        }
        assert_eq!(accepted(&state), d("1800"));
        // nor does the feeder's pending price confirm itself within the block
        assert_eq!(
            push(&mut state, "a", "1000", at),
            Outcome::AwaitingConfirmation
        );
        assert_eq!(accepted(&state), d("1800"));
    }

    #[test]
    fn the_reference_holds_for_the_block_and_moves_with_the_next_one() {
        let mut state = denom_at("100");
        assert_eq!(
            push(&mut state, "a", "109", block(2, 1_005)),
            Outcome::Accepted
        );
        assert_eq!(
            push(&mut state, "a", "111", block(2, 1_005)),
            Outcome::Pending
        );
        assert_eq!(accepted(&state), d("109"));
        // next block: the reference is 109, so 111 is in range (and clears a's pending price)
        assert_eq!(
            push(&mut state, "a", "111", block(3, 1_010)),
            Outcome::Accepted
        );
        assert!(state.pending.is_empty());
        assert_eq!(state.reference(1_010, 3), Some(d("109")));
    }

    #[test]
    fn a_confirmation_becomes_the_reference_for_the_rest_of_the_block() {
        let mut state = denom_at("100");
        let at = block(2, 1_005);
        assert_eq!(push(&mut state, "a", "150", at), Outcome::Pending);
        assert_eq!(push(&mut state, "b", "150", at), Outcome::Confirmed);
        assert!(state.pending.is_empty());
        assert_eq!(push(&mut state, "b", "165", at), Outcome::Accepted);
        assert_eq!(
            push(&mut state, "b", "166", at),
            Outcome::Pending,
            "over 165"
        );
        assert_eq!(accepted(&state), d("165"));
    }

    #[test]
    fn an_in_range_push_keeps_other_feeders_pending_prices() {
        let mut state = denom_at("100");
        assert_eq!(
            push(&mut state, "a", "150", block(2, 1_010)),
            Outcome::Pending
        );
        assert_eq!(
            push(&mut state, "b", "101", block(3, 1_020)),
            Outcome::Accepted
        );
        assert_eq!(state.pending.len(), 1, "a's pending price is kept");
        assert_eq!(
            push(&mut state, "a", "150", block(4, 1_070)),
            Outcome::Confirmed
        );
        assert_eq!(accepted(&state), d("150"));
    }

    #[test]
    fn a_feeder_s_pending_clock_keeps_its_start_while_it_stays_near_it() {
        let mut state = denom_at("100");
        assert_eq!(
            push(&mut state, "a", "150", block(2, 1_010)),
            Outcome::Pending
        );
        assert_eq!(
            push(&mut state, "a", "140", block(3, 1_030)),
            Outcome::AwaitingConfirmation
        );
        assert_eq!(state.pending[0].time, 1_010);
        assert_eq!(state.pending[0].price, d("140"));
        // far from its pending price: a new one, whose clock starts again
        assert_eq!(
            push(&mut state, "a", "200", block(4, 1_060)),
            Outcome::Pending
        );
        assert_eq!(state.pending[0].time, 1_060);
        assert_eq!(
            push(&mut state, "a", "200", block(5, 1_119)),
            Outcome::AwaitingConfirmation
        );
        assert_eq!(
            push(&mut state, "a", "200", block(6, 1_120)),
            Outcome::Confirmed
        );
    }

    #[test]
    fn expired_pending_prices_are_dropped_and_confirm_nothing() {
        let mut state = denom_at("100");
        assert_eq!(
            push(&mut state, "a", "150", block(2, 1_010)),
            Outcome::Pending
        );
        // keep 100 fresh with b, until a's pending price is older than max_age
        assert_eq!(
            push(&mut state, "b", "100", block(3, 1_200)),
            Outcome::Accepted
        );
        assert_eq!(
            push(&mut state, "b", "150", block(4, 1_311)),
            Outcome::Pending
        );
        assert_eq!(state.pending.len(), 1, "a's expired price was dropped");
        assert_eq!(state.pending[0].feeder, feeder("b"));
    }

    #[test]
    fn pending_prices_are_bounded_per_denom() {
        let mut state = denom_at("100");
        let at = block(2, 1_010);
        // prices 200, 300, ...: none within 10% of another
        for i in 0..MAX_PENDING {
            let price = format!("{}", 200 + 100 * i);
            assert_eq!(
                push(&mut state, &format!("f{i}"), &price, at),
                Outcome::Pending
            );
        }
        // a feeder already holding one replaces its own
        assert_eq!(push(&mut state, "f0", "5000", at), Outcome::Pending);
        let err = apply(&mut state, "ueth", &feeder("late"), d("9000"), at).unwrap_err();
        assert!(matches!(
            err,
            ContractError::TooManyPending {
                max: MAX_PENDING,
                ..
            }
        ));
        // once they expire, there is room again
        let later = block(3, 1_311);
        assert_eq!(
            push(&mut state, "b", "100", block(3, 1_300)),
            Outcome::Accepted
        );
        assert_eq!(push(&mut state, "late", "9000", later), Outcome::Pending);
        assert_eq!(state.pending.len(), 1);
    }

    #[test]
    fn a_stale_price_is_replaced_at_once_and_the_first_push_becomes_the_reference() {
        let mut state = denom_at("100");
        let at = block(50, 1_301);
        assert_eq!(push(&mut state, "a", "300", at), Outcome::Accepted);
        assert_eq!(push(&mut state, "a", "330", at), Outcome::Accepted);
        assert_eq!(push(&mut state, "a", "331", at), Outcome::Pending);
        assert_eq!(accepted(&state), d("330"));
    }

    #[test]
    fn an_unchanged_repeat_of_a_pending_price_writes_nothing() {
        let mut state = denom_at("100");
        assert_eq!(
            apply(&mut state, "ueth", &feeder("a"), d("150"), block(2, 1_010)).unwrap(),
            (Outcome::Pending, true)
        );
        assert_eq!(
            apply(&mut state, "ueth", &feeder("a"), d("150"), block(3, 1_020)).unwrap(),
            (Outcome::AwaitingConfirmation, false)
        );
        assert_eq!(
            apply(&mut state, "ueth", &feeder("a"), d("151"), block(4, 1_030)).unwrap(),
            (Outcome::AwaitingConfirmation, true)
        );
    }
}
