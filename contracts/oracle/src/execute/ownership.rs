//! Two-step ownership transfer, kept by cw-ownable.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use cw_ownable::Action;

use crate::error::ContractError;
use crate::helpers::ownership_error;

/// Owner: proposes `new_owner` (replacing any earlier proposal). Ownership moves only when the
/// proposed address accepts.
pub fn transfer_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new_owner: String,
) -> Result<Response, ContractError> {
    let ownership = cw_ownable::update_ownership(
        deps,
        &env.block,
        &info.sender,
        Action::TransferOwnership {
            new_owner,
            expiry: None,
        },
    )
    .map_err(|error| ownership_error(error, &info.sender))?;
    let mut response = Response::new().add_attribute("action", "transfer_ownership");
    if let Some(pending) = ownership.pending_owner {
        response = response.add_attribute("pending_owner", pending);
    }
    Ok(response)
}

/// Pending owner: becomes the owner.
pub fn accept_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_ownable::update_ownership(deps, &env.block, &info.sender, Action::AcceptOwnership)
        .map_err(|error| ownership_error(error, &info.sender))?;
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("owner", info.sender))
}
