use cosmwasm_std::{Decimal, DepsMut, MessageInfo, Response};

use crate::error::ContractError;
use crate::helpers::{ensure_owner, validate_config};
use crate::state::CONFIG;

/// Owner: changes the given fields; the resulting config is validated as at instantiation.
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    base_denom: Option<String>,
    max_age: Option<u64>,
    max_deviation: Option<Decimal>,
    twap_window: Option<u64>,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info.sender)?;

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
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
