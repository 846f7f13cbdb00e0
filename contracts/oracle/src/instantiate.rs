use cosmwasm_std::{DepsMut, Response};
use keel_types::oracle::InstantiateMsg;

use crate::error::ContractError;
use crate::helpers::validate_config;
use crate::state::{Config, CONFIG, CONTRACT_NAME, CONTRACT_VERSION};

pub fn instantiate(deps: DepsMut, msg: InstantiateMsg) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let owner = deps.api.addr_validate(&msg.owner)?;
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(owner.as_str()))?;
    let config = Config {
        base_denom: msg.base_denom,
        max_age: msg.max_age,
        max_deviation: msg.max_deviation,
        twap_window: msg.twap_window,
    };
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner))
}
