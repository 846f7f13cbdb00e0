//! Wallet messages: open_position, deposit, withdraw, borrow, repay (SPEC 3.4).
use cosmwasm_std::{
    to_json_binary, Addr, Decimal, DepsMut, Env, Event, MessageInfo, Response, Uint128,
};
use cw20::Cw20ExecuteMsg;
use keel_types::market::Automation;

use super::automation::self_repay::self_repay;
use super::automation::{auto_borrow, validate_automation};
use super::{cw20_msg, send_tokens, Payment, Touch};
use crate::error::ContractError;
use crate::position::{self, asset_ids, check_asset_count, check_health_floor, check_min_debt};
use crate::state::{Config, Position, NEXT_POSITION_ID, OWNER_POSITIONS};

/// Credits each payment as collateral of the touched position (SPEC 3.4). A denom the position
/// does not hold yet may be added only by the owner, and only while it has a valid price, so
/// that no one else can make a position unpriceable (and so unliquidatable). With
/// `fetch_all` (an auto-borrow follows), the message's prices, MOET's included, are fetched
/// here, in its one oracle query.
fn deposit_payments(
    deps: &DepsMut,
    touch: &mut Touch,
    sender: &Addr,
    payments: &[Payment],
    fetch_all: bool,
) -> Result<Vec<Event>, ContractError> {
    let before = asset_ids(&touch.position).len();
    let mut new_ids = vec![];
    for p in payments {
        let id = touch.include(deps.storage, &p.denom)?;
        if !position::holds(&touch.position, touch.assets.get(id)?)? && !new_ids.contains(&id) {
            new_ids.push(id);
        }
    }
    if !new_ids.is_empty() {
        touch.require_owner(sender, "deposit of a denom the position does not hold")?;
        if fetch_all {
            // the auto-borrow that follows prices MOET with the rest
            touch.include_moet(deps.storage)?;
            touch.prices(&deps.querier)?;
        }
        touch.require_priced(&deps.querier, &new_ids)?;
    }
    let mut events = vec![];
    for p in payments {
        let id = touch.include(deps.storage, &p.denom)?;
        let asset = touch.assets.get_mut(id)?;
        if !asset.info.params.deposit_enabled && !asset.is_minted() {
            return Err(ContractError::DepositDisabled {
                denom: p.denom.clone(),
            });
        }
        position::deposit(&mut touch.position, asset, p.amount)?;
        events.push(
            Event::new("deposit")
                .add_attribute("position_id", touch.position_id.to_string())
                .add_attribute("denom", p.denom.clone())
                .add_attribute("amount", p.amount)
                .add_attribute("depositor", sender.to_string()),
        );
    }
    check_asset_count(
        &touch.position,
        touch.position_id,
        before,
        touch.config.max_position_assets,
    )?;
    Ok(events)
}

/// How old a price stored with an asset may be for a repay's minimum-debt rule (seconds).
pub const DUST_RULE_PRICE_AGE: u64 = 3_600;

pub fn open_position(
    deps: DepsMut,
    env: Env,
    owner: Addr,
    payments: Vec<Payment>,
    automation: Option<Automation>,
    push_to_draw_down_sink: bool,
) -> Result<Response, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let automation = automation
        .map(|a| validate_automation(deps.api, a))
        .transpose()?;
    let position_id = NEXT_POSITION_ID.may_load(deps.storage)?.unwrap_or(1);
    NEXT_POSITION_ID.save(
        deps.storage,
        &(position_id.checked_add(1).ok_or(ContractError::Overflow(
            cosmwasm_std::OverflowError::new(cosmwasm_std::OverflowOperation::Add),
        ))?),
    )?;
    let canonical_owner = deps.api.addr_canonicalize(owner.as_str())?;
    OWNER_POSITIONS.save(
        deps.storage,
        (canonical_owner.as_slice(), position_id),
        &cosmwasm_std::Empty {},
    )?;
    let position = Position {
        owner: canonical_owner,
        collateral: vec![],
        debt: vec![],
        automation,
    };
    let mut touch = Touch::with_position(
        deps.storage,
        &env,
        config,
        position_id,
        position,
        owner.clone(),
    )?;
    let deposits = deposit_payments(&deps, &mut touch, &owner, &payments, push_to_draw_down_sink)?;

    let mut response = Response::new()
        .add_attribute("action", "open_position")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("owner", owner)
        .add_events(deposits)
        .set_data(to_json_binary(&position_id)?);
    if push_to_draw_down_sink {
        response = auto_borrow(&deps, &mut touch, response)?;
    }
    touch.save(deps.storage)?;
    Ok(response)
}

pub fn deposit(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    position_id: u64,
    payments: Vec<Payment>,
    push_to_draw_down_sink: bool,
) -> Result<Response, ContractError> {
    if payments.is_empty() {
        return Err(ContractError::NoFunds {});
    }
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    if push_to_draw_down_sink {
        touch.require_owner(&sender, "push_to_draw_down_sink")?;
    } else {
        // Without the push a deposit only raises health: a self-repay prices at `price`.
        touch.skip_twap();
    }
    for p in &payments {
        touch.include(deps.storage, &p.denom)?;
    }
    let mut response = Response::new()
        .add_attribute("action", "deposit")
        .add_attribute("position_id", position_id.to_string());
    response = self_repay(&deps, &mut touch, response)?;
    let deposits = deposit_payments(
        &deps,
        &mut touch,
        &sender,
        &payments,
        push_to_draw_down_sink,
    )?;
    response = response.add_events(deposits);
    if push_to_draw_down_sink {
        response = auto_borrow(&deps, &mut touch, response)?;
    }
    touch.save(deps.storage)?;
    Ok(response)
}

pub fn withdraw(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    position_id: u64,
    denom: String,
    amount: Option<Uint128>,
    recipient: Option<String>,
) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    touch.require_owner(&info.sender, "withdraw")?;
    let recipient = match recipient {
        Some(r) => deps.api.addr_validate(&r)?,
        None => info.sender.clone(),
    };
    let id = touch.include(deps.storage, &denom)?;
    let mut response = Response::new()
        .add_attribute("action", "withdraw")
        .add_attribute("position_id", position_id.to_string());
    response = self_repay(&deps, &mut touch, response)?;
    let asset = touch.assets.get_mut(id)?;
    let paid = position::withdraw(&mut touch.position, position_id, asset, amount)?;
    if !touch.position.debt.is_empty() {
        let prices = touch.floor_prices(&deps.querier)?;
        check_health_floor(
            &touch.position,
            position_id,
            &touch.assets,
            &prices,
            &touch.config,
        )?;
    }
    touch.save(deps.storage)?;
    Ok(response
        .add_message(send_tokens(&denom, paid, &recipient)?)
        .add_attribute("denom", denom)
        .add_attribute("amount", paid)
        .add_attribute("recipient", recipient))
}

#[allow(clippy::too_many_arguments)]
pub fn borrow(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    position_id: u64,
    denom: String,
    amount: Uint128,
    recipient: Option<String>,
    to_collateral: bool,
) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    touch.require_owner(&info.sender, "borrow")?;
    let recipient = match recipient {
        Some(r) => deps.api.addr_validate(&r)?,
        None => info.sender.clone(),
    };
    let id = touch.include(deps.storage, &denom)?;
    let mut response = Response::new()
        .add_attribute("action", "borrow")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("denom", denom.clone())
        .add_attribute("amount", amount);
    response = self_repay(&deps, &mut touch, response)?;
    let before = asset_ids(&touch.position).len();
    let asset = touch.assets.get_mut(id)?;
    position::borrow(&mut touch.position, asset, amount)?;
    if to_collateral {
        if !asset.info.params.deposit_enabled {
            return Err(ContractError::DepositDisabled { denom });
        }
        position::deposit(&mut touch.position, asset, amount)?;
    }
    check_asset_count(
        &touch.position,
        position_id,
        before,
        touch.config.max_position_assets,
    )?;
    let prices = touch.floor_prices(&deps.querier)?;
    let asset = touch.assets.get(id)?;
    check_min_debt(
        &touch.position,
        position_id,
        asset,
        prices.get(id, &denom)?.price,
        &touch.config,
    )?;
    check_health_floor(
        &touch.position,
        position_id,
        &touch.assets,
        &prices,
        &touch.config,
    )?;
    touch.save(deps.storage)?;
    if to_collateral {
        return Ok(response.add_attribute("to_collateral", "true"));
    }
    let payout = if asset.is_minted() {
        cw20_msg(
            &denom,
            &Cw20ExecuteMsg::Mint {
                recipient: recipient.to_string(),
                amount,
            },
        )?
    } else {
        send_tokens(&denom, amount, &recipient)?
    };
    Ok(response
        .add_message(payout)
        .add_attribute("recipient", recipient))
}

pub fn repay(
    deps: DepsMut,
    env: Env,
    position_id: u64,
    payment: Payment,
) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    // Repaying never lowers health: prices serve only the self-repay write-off and the minimum
    // debt check, both at `price`.
    touch.skip_twap();
    let id = touch.include(deps.storage, &payment.denom)?;
    if position::scaled_debt(&touch.position, id).is_zero() {
        return Err(ContractError::NoDebt {
            position_id,
            denom: payment.denom,
        });
    }
    let mut response = Response::new()
        .add_attribute("action", "repay")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("denom", payment.denom.clone());
    response = self_repay(&deps, &mut touch, response)?;
    let asset = touch.assets.get_mut(id)?;
    let repaid = position::repay(&mut touch.position, asset, payment.amount)?;
    // The minimum debt rule needs the repaid asset's price only when some debt is left, and
    // must not block a repayment when the oracle is down (repay is never pausable). MOET's price
    // is 1. Another asset's comes from this message's prices when the self-repay fetched them,
    // else from the price stored with the asset by the last message that priced it, when at
    // most `DUST_RULE_PRICE_AGE` old (no oracle call: the common repay makes none), else from
    // the oracle for that asset alone. A stale stored price only shifts a dust threshold.
    let asset = touch.assets.get(id)?;
    let left = position::debt_amount(&touch.position, asset)?;
    let price = if left.is_zero() {
        None
    } else if asset.is_minted() {
        Some(Decimal::one())
    } else if let Some(p) = touch.fetched_price(id) {
        Some(p.price)
    } else if let Some(stored) = asset
        .state
        .last_price
        .filter(|p| env.block.time.seconds().saturating_sub(p.time) <= DUST_RULE_PRICE_AGE)
    {
        Some(stored.price)
    } else {
        touch.price_of(&deps.querier, id).ok().map(|p| p.price)
    };
    let asset = touch.assets.get(id)?;
    if let Some(price) = price {
        check_min_debt(&touch.position, position_id, asset, price, &touch.config)?;
    }
    let refund = payment.amount.checked_sub(repaid)?;
    let minted = asset.is_minted();
    touch.save(deps.storage)?;
    if minted && !repaid.is_zero() {
        response = response.add_message(cw20_msg(
            &payment.denom,
            &Cw20ExecuteMsg::Burn { amount: repaid },
        )?);
    }
    if !refund.is_zero() {
        response = response.add_message(send_tokens(&payment.denom, refund, &payment.payer)?);
    }
    Ok(response
        .add_attribute("amount", repaid)
        .add_attribute("refund", refund)
        .add_attribute("payer", payment.payer))
}
