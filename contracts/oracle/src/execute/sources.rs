use cosmwasm_std::{Decimal, DepsMut, MessageInfo, Response};
use keel_types::oracle::PriceSource;

use crate::error::ContractError;
use crate::helpers::ensure_owner;
use crate::state::{DenomState, Params, CONFIG, DENOMS};

fn invalid(denom: &str, reason: &str) -> ContractError {
    ContractError::InvalidSources {
        denom: denom.to_string(),
        reason: reason.to_string(),
    }
}

/// Owner: replaces the denom's ordered sources and overrides (an omitted override reverts to the
/// global value). The accepted price, pending price and TWAP history of the denom are kept.
pub fn set_price_sources(
    deps: DepsMut,
    info: MessageInfo,
    denom: String,
    sources: Vec<PriceSource>,
    max_age: Option<u64>,
    max_deviation: Option<Decimal>,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;

    if denom.trim().is_empty() {
        return Err(invalid(&denom, "the denom must not be empty"));
    }
    if sources.is_empty() {
        return Err(invalid(&denom, "at least one source is required"));
    }
    for (index, source) in sources.iter().enumerate() {
        if let PriceSource::Fixed { price } = source {
            if price.is_zero() {
                return Err(invalid(&denom, "a fixed price must be greater than zero"));
            }
        }
        let repeated = sources
            .iter()
            .take(index)
            .any(|earlier| std::mem::discriminant(earlier) == std::mem::discriminant(source));
        if repeated {
            return Err(invalid(&denom, "each kind of source may appear only once"));
        }
    }
    if max_age == Some(0) {
        return Err(invalid(&denom, "max_age must be greater than zero"));
    }
    if max_deviation.is_some_and(|deviation| deviation.is_zero()) {
        return Err(invalid(&denom, "max_deviation must be greater than zero"));
    }

    let state = match DENOMS.may_load(deps.storage, &denom)? {
        Some(existing) => DenomState {
            sources,
            max_age,
            max_deviation,
            ..existing
        },
        None => DenomState {
            sources,
            params: Params::of(&CONFIG.load(deps.storage)?),
            max_age,
            max_deviation,
            accepted: None,
            pending: vec![],
            observations: vec![],
        },
    };
    DENOMS.save(deps.storage, &denom, &state)?;
    Ok(Response::new()
        .add_attribute("action", "set_price_sources")
        .add_attribute("denom", denom))
}
