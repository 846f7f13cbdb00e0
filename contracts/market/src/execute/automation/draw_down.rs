//! Auto-borrow (SPEC 3.5): MOET borrowed to the target health and pushed to the draw-down sink.
use cosmwasm_std::{Addr, Api, Decimal, Decimal256, DepsMut, Response, Uint128};
use cw20::Cw20ExecuteMsg;
use keel_math::borrow_to_target;

use crate::error::ContractError;
use crate::execute::{cw20_msg, Touch};
use crate::position::{self, bounds, check_min_debt, debt_amount, health, Pricing};
use crate::prices::Prices;
use crate::state::AssetId;

/// MOET to borrow so that the HF at `price` equals `target`, rounded down, and never below the
/// conservative borrow floor (SPEC 3.3 / 3.5). Zero when the position is at or below the target,
/// when MOET would take the position past `max_position_assets`, or when the debt would be left
/// below `min_debt_value` (nothing worth borrowing: skipped rather than failing the message).
pub(super) fn moet_to_target(
    touch: &Touch,
    prices: &Prices,
    moet: AssetId,
    target: Decimal,
) -> Result<Uint128, ContractError> {
    let ids = position::asset_ids(&touch.position);
    if !ids.contains(&moet) && ids.len() >= touch.config.max_position_assets as usize {
        // MOET would be one denom too many (SPEC 3.3): automation borrows nothing.
        return Ok(Uint128::zero());
    }
    let asset = touch.assets.get(moet)?;
    let (decimals, bf) = (asset.decimals(), asset.info.params.borrow_factor);
    let spot = health(&touch.position, &touch.assets, prices, Pricing::Spot)?;
    let at_target = borrow_to_target(
        spot.effective_collateral,
        spot.effective_debt,
        target,
        decimals,
        Decimal::one(),
        bf,
    )?;
    let safe = health(
        &touch.position,
        &touch.assets,
        prices,
        Pricing::Conservative,
    )?;
    let mut at_floor = borrow_to_target(
        safe.effective_collateral,
        safe.effective_debt,
        touch.config.borrow_health_floor,
        decimals,
        Decimal::one(),
        bf,
    )?;
    at_floor = position::fit_to_floor(
        &touch.position,
        &touch.assets,
        prices,
        touch.config.borrow_health_floor,
        moet,
        at_floor,
        Decimal::one(),
    )?;
    let amount = at_target.min(at_floor);
    if amount.is_zero() {
        return Ok(amount);
    }
    let debt_after = debt_amount(&touch.position, asset)?.checked_add(amount)?;
    if keel_math::value_up(debt_after, decimals, Decimal::one())?
        < Decimal256::from(touch.config.min_debt_value)
    {
        return Ok(Uint128::zero());
    }
    Ok(amount)
}

/// Borrows `amount` of MOET into the position and pushes it to the draw-down sink (the owner
/// when none is set): a cw20 `send` when the sink has a hook `msg` (minted to the market, then
/// sent, so the hook's `sender` is the market), else a mint straight to the recipient.
pub(super) fn borrow_and_push(
    api: &dyn Api,
    touch: &mut Touch,
    prices: &Prices,
    moet: AssetId,
    amount: Uint128,
    response: Response,
) -> Result<Response, ContractError> {
    let asset = touch.assets.get_mut(moet)?;
    let denom = asset.denom().to_string();
    position::borrow(&mut touch.position, asset, amount)?;
    check_min_debt(
        &touch.position,
        touch.position_id,
        touch.assets.get(moet)?,
        Decimal::one(),
        &touch.config,
    )?;
    position::check_health_floor(
        &touch.position,
        touch.position_id,
        &touch.assets,
        prices,
        &touch.config,
    )?;
    let sink = touch
        .position
        .automation
        .as_ref()
        .and_then(|a| a.sink.clone());
    let mint_to = |recipient: &Addr| {
        cw20_msg(
            &denom,
            &Cw20ExecuteMsg::Mint {
                recipient: recipient.to_string(),
                amount,
            },
        )
    };
    let sink = sink
        .map(|s| -> Result<_, ContractError> { Ok((api.addr_humanize(&s.address)?, s.msg)) })
        .transpose()?;
    let (to, msgs) = match sink {
        Some((address, Some(hook))) => {
            let send = cw20_msg(
                &denom,
                &Cw20ExecuteMsg::Send {
                    contract: address.to_string(),
                    amount,
                    msg: hook,
                },
            )?;
            (address, vec![mint_to(&touch.contract)?, send])
        }
        Some((address, None)) => {
            let mint = mint_to(&address)?;
            (address, vec![mint])
        }
        None => {
            let owner = touch.owner.clone();
            (owner.clone(), vec![mint_to(&owner)?])
        }
    };
    Ok(response
        .add_messages(msgs)
        .add_attribute("drawn_down", amount)
        .add_attribute("sink", to))
}

/// `push_to_draw_down_sink: true`: borrow MOET to the target health and push it to the sink.
pub fn auto_borrow(
    deps: &DepsMut,
    touch: &mut Touch,
    response: Response,
) -> Result<Response, ContractError> {
    let moet = touch.include_moet(deps.storage)?;
    let prices = touch.prices(&deps.querier)?;
    let target = bounds(&touch.position, &touch.config).target;
    let amount = moet_to_target(touch, &prices, moet, target)?;
    if amount.is_zero() {
        return Ok(response.add_attribute("drawn_down", "0"));
    }
    borrow_and_push(deps.api, touch, &prices, moet, amount, response)
}
