//! Automation (SPEC 3.5): the settings a position's owner sets, and what acts on them:
//! self-repaying MOET debt ([`self_repay`]), auto-borrow to a draw-down sink ([`draw_down`]),
//! keepers' rebalancing ([`rebalance`]) and the top-up consents it relies on ([`consent`]).
pub mod consent;
pub mod draw_down;
pub mod rebalance;
pub mod self_repay;

use cosmwasm_std::{Addr, Api, CanonicalAddr, DepsMut, Env, MessageInfo, Response};
use keel_types::market::Automation;

use super::Touch;
use crate::error::ContractError;
use crate::state::{StoredAutomation, StoredSink};
use self_repay::{self_repays, set_marks};

pub use consent::{allow_top_up, disallow_top_up};
pub use draw_down::auto_borrow;
pub use rebalance::rebalance;
pub use self_repay::{apply_self_repay, SelfRepay};

pub fn validate_automation(
    api: &dyn Api,
    automation: Automation,
) -> Result<StoredAutomation, ContractError> {
    if let Some(health) = &automation.health {
        health
            .validate()
            .map_err(|e| ContractError::InvalidAutomation {
                reason: e.to_string(),
            })?;
    }
    Ok(StoredAutomation {
        sink: automation
            .draw_down_sink
            .map(|s| -> Result<StoredSink, ContractError> {
                Ok(StoredSink {
                    address: canonical(api, &s.address)?,
                    msg: s.msg,
                })
            })
            .transpose()?,
        source: automation
            .top_up_source
            .map(|s| canonical(api, &s))
            .transpose()?,
        health: automation.health,
        self_repay: automation.self_repay,
    })
}

/// A valid address, in the canonical form positions store (see `state::Position`).
fn canonical(api: &dyn Api, address: &str) -> Result<CanonicalAddr, ContractError> {
    let valid = api.addr_validate(address)?;
    Ok(api.addr_canonicalize(valid.as_str())?)
}

pub fn stored_to_automation(
    api: &dyn Api,
    stored: &StoredAutomation,
) -> Result<Automation, ContractError> {
    Ok(Automation {
        draw_down_sink: stored
            .sink
            .as_ref()
            .map(|s| -> Result<_, ContractError> {
                Ok(keel_types::market::DrawDownSink {
                    address: api.addr_humanize(&s.address)?.into_string(),
                    msg: s.msg.clone(),
                })
            })
            .transpose()?,
        top_up_source: stored
            .source
            .as_ref()
            .map(|s| api.addr_humanize(s).map(Addr::into_string))
            .transpose()?,
        health: stored.health.clone(),
        self_repay: stored.self_repay,
    })
}

pub fn set_automation(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    position_id: u64,
    automation: Option<Automation>,
) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    touch.require_owner(&info.sender, "set_automation")?;
    // Only a self-repay may price the position here, at `price`.
    touch.skip_twap();
    let automation = automation
        .map(|a| validate_automation(deps.api, a))
        .transpose()?;
    let response = Response::new()
        .add_attribute("action", "set_automation")
        .add_attribute("position_id", position_id.to_string());
    let response = self_repay::self_repay(&deps, &mut touch, response)?;
    let was_on = self_repays(touch.position.automation.as_ref());
    touch.position.automation = automation;
    // Still self-repaying: pending marks stay (interest not taken for want of a price is taken
    // later). Newly self-repaying: only interest from now on counts.
    set_marks(&mut touch, was_on)?;
    touch.save(deps.storage)?;
    Ok(response)
}
