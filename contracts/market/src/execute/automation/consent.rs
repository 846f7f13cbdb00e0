//! Top-up consent (SPEC 3.5): an address backs a position as its top-up source only with its
//! own consent, bounded by an amount.
use cosmwasm_std::{DepsMut, MessageInfo, Response, Uint128};

use crate::error::ContractError;
use crate::position::load_position;
use crate::state::TOP_UP_CONSENT;

/// `allow_top_up`: the sender consents to back the position with at most `amount` MOET in all,
/// replacing what is left of an earlier consent.
pub fn allow_top_up(
    deps: DepsMut,
    info: MessageInfo,
    position_id: u64,
    amount: Uint128,
) -> Result<Response, ContractError> {
    set_consent(deps, info, position_id, amount, "allow_top_up")
}

/// `disallow_top_up`: the sender withdraws its consent to back the position.
pub fn disallow_top_up(
    deps: DepsMut,
    info: MessageInfo,
    position_id: u64,
) -> Result<Response, ContractError> {
    set_consent(deps, info, position_id, Uint128::zero(), "disallow_top_up")
}

/// The sender's consent to back an existing position: `amount` MOET base units (0: none).
fn set_consent(
    deps: DepsMut,
    info: MessageInfo,
    position_id: u64,
    amount: Uint128,
    action: &str,
) -> Result<Response, ContractError> {
    load_position(deps.storage, position_id)?;
    let source = deps.api.addr_canonicalize(info.sender.as_str())?;
    let key = (position_id, source.as_slice());
    if amount.is_zero() {
        TOP_UP_CONSENT.remove(deps.storage, key);
    } else {
        TOP_UP_CONSENT.save(deps.storage, key, &amount)?;
    }
    Ok(Response::new()
        .add_attribute("action", action)
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("source", info.sender)
        .add_attribute("amount", amount))
}
