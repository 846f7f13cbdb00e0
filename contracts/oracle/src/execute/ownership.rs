//! Two-step ownership transfer.

use cosmwasm_std::{DepsMut, MessageInfo, Response};

use crate::error::ContractError;
use crate::helpers::ensure_owner;
use crate::state::CONFIG;

/// Owner: proposes `new_owner` (replacing any earlier proposal). Ownership moves only when the
/// proposed address accepts.
pub fn transfer_ownership(
    deps: DepsMut,
    info: MessageInfo,
    new_owner: String,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    ensure_owner(&config, &info.sender)?;
    let new_owner = deps.api.addr_validate(&new_owner)?;
    config.pending_owner = Some(new_owner.clone());
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_ownership")
        .add_attribute("pending_owner", new_owner))
}

/// Pending owner: becomes the owner.
pub fn accept_ownership(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    let Some(pending) = config.pending_owner.take() else {
        return Err(ContractError::NoPendingOwner {});
    };
    if pending != info.sender {
        return Err(ContractError::NotPendingOwner {
            sender: info.sender.to_string(),
        });
    }
    config.owner = pending;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("owner", config.owner))
}
