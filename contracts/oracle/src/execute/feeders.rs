use cosmwasm_std::{Addr, DepsMut, Empty, MessageInfo, Response};

use crate::error::ContractError;
use crate::helpers::ensure_owner;
use crate::state::FEEDERS;

/// Owner: adds and removes feeders. An address in both lists is rejected (ambiguous).
pub fn set_feeders(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    ensure_owner(deps.storage, &info.sender)?;

    let add = add
        .iter()
        .map(|address| deps.api.addr_validate(address))
        .collect::<Result<Vec<Addr>, _>>()?;
    let remove = remove
        .iter()
        .map(|address| deps.api.addr_validate(address))
        .collect::<Result<Vec<Addr>, _>>()?;
    if let Some(both) = add.iter().find(|address| remove.contains(address)) {
        return Err(ContractError::InvalidConfig {
            reason: format!("feeder {both} is both added and removed"),
        });
    }

    let mut response = Response::new().add_attribute("action", "set_feeders");
    for address in &add {
        FEEDERS.save(deps.storage, address, &Empty {})?;
        response = response.add_attribute("add", address);
    }
    for address in &remove {
        FEEDERS.remove(deps.storage, address);
        response = response.add_attribute("remove", address);
    }
    Ok(response)
}
