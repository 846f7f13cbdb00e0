use cosmwasm_std::{Deps, Order, StdError, Storage};
use keel_types::oracle::{
    ConfigResponse, PriceResponse, PriceSource, PriceSourceKind, PriceSourcesResponse,
};

use crate::error::ContractError;
use crate::state::{CONFIG, DENOMS, FEEDERS};
use crate::twap;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let ownership = cw_ownable::get_ownership(deps.storage)?;
    // no message renounces the ownership: there is always an owner
    let owner = ownership
        .owner
        .ok_or_else(|| StdError::not_found("oracle owner"))?;
    Ok(ConfigResponse {
        owner: owner.into_string(),
        pending_owner: ownership.pending_owner.map(|owner| owner.into_string()),
        base_denom: config.base_denom,
        max_age: config.max_age,
        max_deviation: config.max_deviation,
        twap_window: config.twap_window,
    })
}

/// The price of `denom` from its first valid source: one read of the denom's record (its TWAP
/// ring included). The TWAP is computed unless `skip_twap`, and then only when a `twap` source
/// has to serve the price.
fn price_of(
    storage: &dyn Storage,
    now: u64,
    denom: String,
    skip_twap: bool,
) -> Result<PriceResponse, ContractError> {
    let Some(state) = DENOMS.may_load(storage, &denom)? else {
        return Err(ContractError::PriceUnavailable { denom });
    };
    let max_age = state.max_age();
    let twap_window = state.params.twap_window;
    let twap_of = || twap::compute(&state.observations, now, twap_window, max_age);
    let mut twap = if skip_twap { None } else { twap_of()? };
    for source in &state.sources {
        let served = match source {
            PriceSource::Feed {} => state
                .accepted
                .as_ref()
                .filter(|accepted| now.saturating_sub(accepted.time) <= max_age)
                .map(|accepted| (accepted.price, PriceSourceKind::Feed, accepted.time)),
            PriceSource::Twap {} => {
                if skip_twap {
                    twap = twap_of()?;
                }
                twap.zip(state.accepted.as_ref())
                    .map(|(value, accepted)| (value, PriceSourceKind::Twap, accepted.time))
            }
            PriceSource::Fixed { price } => Some((*price, PriceSourceKind::Fixed, now)),
        };
        if let Some((price, source, updated_at)) = served {
            return Ok(PriceResponse {
                denom,
                price,
                twap,
                source,
                updated_at,
                pending: state.has_pending(now),
            });
        }
    }
    Err(ContractError::PriceUnavailable { denom })
}

pub fn price(deps: Deps, now: u64, denom: String) -> Result<PriceResponse, ContractError> {
    price_of(deps.storage, now, denom, false)
}

/// The prices of `denoms` in order; fails on the first denom without a valid source. Reads one
/// record per denom and nothing else (no config: see `state::Params`).
pub fn prices(
    deps: Deps,
    now: u64,
    denoms: Vec<String>,
    skip_twap: bool,
) -> Result<Vec<PriceResponse>, ContractError> {
    denoms
        .into_iter()
        .map(|denom| price_of(deps.storage, now, denom, skip_twap))
        .collect()
}

pub fn price_sources(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<Vec<PriceSourcesResponse>, ContractError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
    DENOMS
        .range(deps.storage, start_after.as_deref())
        .take(limit)
        .map(|item| {
            let (denom, state) = item?;
            Ok(PriceSourcesResponse {
                denom,
                sources: state.sources,
                max_age: state.max_age,
                max_deviation: state.max_deviation,
            })
        })
        .collect()
}

/// All feeders, sorted (the set is the owner's to keep small).
pub fn feeders(deps: Deps) -> Result<Vec<String>, ContractError> {
    FEEDERS
        .keys(deps.storage, None, None, Order::Ascending)
        .map(|key| Ok(key?.into_string()))
        .collect()
}
