use cosmwasm_std::{Decimal, DepsMut, MessageInfo, Response};
use keel_types::record::RecordError;

use crate::error::ContractError;
use crate::helpers::{ensure_owner, validate_config};
use crate::state::{DenomState, Params, CONFIG, DENOMS};

/// Owner: changes the given fields; the resulting config is validated as at instantiation. When
/// the parameters a price needs change, every denom's copy of them is rewritten (one write per
/// denom with sources: an owner-only message, bounded by the denoms the owner listed).
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    base_denom: Option<String>,
    max_age: Option<u64>,
    max_deviation: Option<Decimal>,
    twap_window: Option<u64>,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;
    let mut config = CONFIG.load(deps.storage)?;

    if let Some(base_denom) = base_denom {
        config.base_denom = base_denom;
    }
    if let Some(max_age) = max_age {
        config.max_age = max_age;
    }
    if let Some(max_deviation) = max_deviation {
        config.max_deviation = max_deviation;
    }
    if let Some(twap_window) = twap_window {
        config.twap_window = twap_window;
    }
    validate_config(&config)?;
    let params = Params::of(&config);
    let stale: Vec<(String, DenomState)> = DENOMS
        .range(deps.storage, None)
        .filter(|item| !matches!(item, Ok((_, state)) if state.params == params))
        .collect::<Result<_, RecordError>>()?;
    for (denom, mut state) in stale {
        state.params = params;
        DENOMS.save(deps.storage, &denom, &state)?;
    }
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
