//! `push_prices`: the deviation guard and the TWAP observations.

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, Event, MessageInfo, Response};
use keel_types::oracle::PriceInput;

use crate::error::ContractError;
use crate::helpers::within_deviation;
use crate::state::{Accepted, DenomState, Pending, DENOMS, FEEDERS};
use crate::twap;

/// A feeder may confirm its own pending price only this many seconds after pushing it.
pub const SELF_CONFIRMATION_DELAY: u64 = 60;

/// What a push did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No fresh accepted price to compare with, or within `max_deviation` of it.
    Accepted,
    /// Confirmed a pending price (another feeder, or the same one at least 60 s later): the
    /// confirming push's price is accepted.
    Confirmed,
    /// Deviates from the accepted price (and from any pending one): now the pending price.
    Pending,
    /// The same feeder repeated its pending price within 60 s: the pending price is unchanged.
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

/// Decides the outcome of a push of `price` by `feeder` at `now`.
pub fn judge(state: &DenomState, feeder: &Addr, price: Decimal, now: u64) -> Outcome {
    let max_age = state.max_age();
    let max_deviation = state.max_deviation();
    let Some(accepted) = &state.accepted else {
        return Outcome::Accepted;
    };
    if now.saturating_sub(accepted.time) > max_age
        || within_deviation(price, accepted.price, max_deviation)
    {
        return Outcome::Accepted;
    }
    match &state.pending {
        Some(pending) if within_deviation(price, pending.price, max_deviation) => {
            if pending.feeder != *feeder
                || now.saturating_sub(pending.time) >= SELF_CONFIRMATION_DELAY
            {
                Outcome::Confirmed
            } else {
                Outcome::AwaitingConfirmation
            }
        }
        _ => Outcome::Pending,
    }
}

/// One denom touched by the batch: its record (TWAP ring included).
struct Touched {
    denom: String,
    state: DenomState,
    changed: bool,
}

/// Feeders only. Every entry is checked and applied in memory first; storage is written only when
/// all entries passed, so a rejected entry leaves nothing stored. Entries are applied in order (a
/// denom may appear twice: the second push is judged after the first).
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
    let now = env.block.time.seconds();

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

        let outcome = judge(&entry.state, &info.sender, price, now);
        match outcome {
            Outcome::Accepted | Outcome::Confirmed => {
                twap::record(
                    &mut entry.state.observations,
                    now,
                    price,
                    entry.state.params.twap_window,
                )?;
                entry.state.accepted = Some(Accepted { price, time: now });
                entry.state.pending = None;
                entry.changed = true;
            }
            Outcome::Pending => {
                entry.state.pending = Some(Pending {
                    price,
                    feeder: info.sender.clone(),
                    time: now,
                });
                entry.changed = true;
            }
            Outcome::AwaitingConfirmation => {}
        }
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
