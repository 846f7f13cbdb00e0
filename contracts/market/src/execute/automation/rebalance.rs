//! Keepers' `rebalance` (SPEC 3.5): back to the target health when the position is outside its
//! band, by a draw-down to the sink or a top-up pulled from a consenting source.
use cosmwasm_std::{Addr, Decimal, Decimal256, DepsMut, Env, Response, Uint128};
use cw20::Cw20ExecuteMsg;
use cw20_base::state::{ALLOWANCES, BALANCES};
use keel_math::{repay_to_target, Health};

use super::draw_down::{borrow_and_push, moet_to_target};
use super::self_repay::self_repay;
use crate::error::ContractError;
use crate::execute::liquidate::write_off_if_empty;
use crate::execute::{cw20_address, cw20_msg, Touch};
use crate::position::{self, bounds, debt_amount, health, Pricing};
use crate::prices::Prices;
use crate::state::{AssetId, TOP_UP_CONSENT};

fn health_attr(h: &Health) -> String {
    h.health_factor
        .map(|hf| hf.to_string())
        .unwrap_or_else(|| "infinite".to_string())
}

/// What a rebalance did.
enum Rebalanced {
    DrawDown,
    TopUp,
    None(&'static str),
}

/// Keepers: back to the target when the HF is outside `min..max` (SPEC 3.5). A position without
/// debt has an infinite HF: above any max.
pub fn rebalance(mut deps: DepsMut, env: Env, position_id: u64) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    let moet = touch.include_moet(deps.storage)?;
    let mut response = Response::new()
        .add_attribute("action", "rebalance")
        .add_attribute("position_id", position_id.to_string());
    response = self_repay(&deps, &mut touch, response)?;
    // A position whose collateral a falling supply index left worth zero base units cannot be
    // liquidated (there is nothing to seize): anyone's rebalance writes its debt off (SPEC 3.6).
    if let Some(bad_debt) = write_off_if_empty(&mut touch)? {
        touch.save(deps.storage)?;
        return Ok(response
            .add_attribute("rebalanced", "none")
            .add_attribute("reason", "bad debt written off")
            .add_event(bad_debt));
    }
    let prices = touch.prices(&deps.querier)?;
    let before = health(&touch.position, &touch.assets, &prices, Pricing::Spot)?;
    let bounds = bounds(&touch.position, &touch.config).clone();
    let automation = touch.position.automation.clone();
    let has_sink = automation.as_ref().is_some_and(|a| a.sink.is_some());
    let source = automation
        .as_ref()
        .and_then(|a| a.source.as_ref())
        .map(|s| deps.api.addr_humanize(s))
        .transpose()?;
    let above_max = before
        .health_factor
        .map(|hf| hf > Decimal256::from(bounds.max))
        .unwrap_or(true);
    let below_min = before
        .health_factor
        .is_some_and(|hf| hf < Decimal256::from(bounds.min));
    response = response.add_attribute("health_before", health_attr(&before));

    let done = if above_max {
        if !has_sink {
            Rebalanced::None("no draw-down sink")
        } else {
            let amount = moet_to_target(&touch, &prices, moet, bounds.target)?;
            if amount.is_zero() {
                Rebalanced::None("nothing to borrow")
            } else {
                response = borrow_and_push(deps.api, &mut touch, &prices, moet, amount, response)?;
                Rebalanced::DrawDown
            }
        }
    } else if below_min {
        match source {
            None => Rebalanced::None("no top-up source"),
            Some(source) => {
                let (r, done) = top_up(
                    &mut deps,
                    &env,
                    &mut touch,
                    &prices,
                    moet,
                    &source,
                    bounds.target,
                    response,
                )?;
                response = r;
                done
            }
        }
    } else {
        Rebalanced::None("inside bounds")
    };
    response = match done {
        Rebalanced::DrawDown => response.add_attribute("rebalanced", "draw_down"),
        Rebalanced::TopUp => response.add_attribute("rebalanced", "top_up"),
        Rebalanced::None(reason) => response
            .add_attribute("rebalanced", "none")
            .add_attribute("reason", reason),
    };
    let after = health(&touch.position, &touch.assets, &prices, Pricing::Spot)?;
    touch.save(deps.storage)?;
    Ok(response.add_attribute("health_after", health_attr(&after)))
}

/// Pulls MOET from the top-up source (cw20 `transfer_from`) and burns it against the debt:
/// at most what restores the target (rounded up, so the HF reaches it), and at most what the
/// source's allowance (zero once expired) and balance give. All-or-nothing: fails, pulling
/// nothing, when what the source can give leaves the position liquidatable.
#[allow(clippy::too_many_arguments)]
fn top_up(
    deps: &mut DepsMut,
    env: &Env,
    touch: &mut Touch,
    prices: &Prices,
    moet: AssetId,
    source: &Addr,
    target: Decimal,
    response: Response,
) -> Result<(Response, Rebalanced), ContractError> {
    let asset = touch.assets.get(moet)?;
    let denom = asset.denom().to_string();
    let spot = health(&touch.position, &touch.assets, prices, Pricing::Spot)?;
    let needed = repay_to_target(
        spot.effective_collateral,
        spot.effective_debt,
        target,
        asset.decimals(),
        Decimal::one(),
        asset.info.params.borrow_factor,
    )?
    .min(debt_amount(&touch.position, asset)?);
    // A source other than the owner gives at most what it consented to for this position.
    let source_canonical = deps.api.addr_canonicalize(source.as_str())?;
    let consent = if source_canonical == touch.position.owner {
        None
    } else {
        Some(
            TOP_UP_CONSENT
                .may_load(
                    deps.storage,
                    (touch.position_id, source_canonical.as_slice()),
                )?
                .unwrap_or_default(),
        )
    };
    if consent.is_some_and(|c| c.is_zero()) {
        return Ok((response, Rebalanced::None("no top-up consent")));
    }
    let needed = match consent {
        Some(consent) => needed.min(consent),
        None => needed,
    };
    let mut available = Uint128::zero();
    if !needed.is_zero() {
        let token = cw20_address(&denom).ok_or_else(|| ContractError::InvalidParams {
            denom: denom.clone(),
            reason: "not a cw20 token".to_string(),
        })?;
        // Raw reads of MOET's own cw20-base records: one storage read each, where smart
        // queries would instantiate the token twice (2 x 60,000 gas on a chain that does not pin
        // the code). MOET is a cw20-base 2.x token by deployment (SPEC 3.0).
        let token = Addr::unchecked(token);
        let allowance = ALLOWANCES
            .query(&deps.querier, token.clone(), (source, &touch.contract))?
            .unwrap_or_default();
        if !allowance.expires.is_expired(&env.block) && !allowance.allowance.is_zero() {
            let balance = BALANCES
                .query(&deps.querier, token, source)?
                .unwrap_or_default();
            available = allowance.allowance.min(balance);
        }
    }
    let pulled = needed.min(available);
    if !pulled.is_zero() {
        let asset = touch.assets.get_mut(moet)?;
        position::repay(&mut touch.position, asset, pulled)?;
    }
    let after = health(&touch.position, &touch.assets, prices, Pricing::Spot)?;
    if after
        .liquidation_health_factor
        .is_some_and(|lhf| lhf < Decimal256::one())
    {
        return Err(ContractError::TopUpInsufficient {
            position_id: touch.position_id,
            source_addr: source.to_string(),
        });
    }
    if let Some(consent) = consent {
        let left = consent.checked_sub(pulled)?;
        let key = (touch.position_id, source_canonical.as_slice());
        if left.is_zero() {
            TOP_UP_CONSENT.remove(deps.storage, key);
        } else {
            TOP_UP_CONSENT.save(deps.storage, key, &left)?;
        }
    }
    if pulled.is_zero() {
        let reason = if needed.is_zero() {
            "no MOET debt"
        } else {
            "source gives nothing"
        };
        return Ok((response, Rebalanced::None(reason)));
    }
    let response = response
        .add_message(cw20_msg(
            &denom,
            &Cw20ExecuteMsg::TransferFrom {
                owner: source.to_string(),
                recipient: touch.contract.to_string(),
                amount: pulled,
            },
        )?)
        .add_message(cw20_msg(&denom, &Cw20ExecuteMsg::Burn { amount: pulled })?)
        .add_attribute("topped_up", pulled)
        .add_attribute("source", source.to_string());
    Ok((response, Rebalanced::TopUp))
}
