//! Liquidation settlement and bad debt (SPEC 3.6). Only the configured liquidator may call
//! `seize`, and the market re-checks everything itself, so a faulty liquidator cannot take more
//! than the close factor and bonus allow.
use cosmwasm_std::{Decimal256, DepsMut, Env, Event, Response, Uint128};
use cw20::Cw20ExecuteMsg;
use keel_math::{
    liquidation_amounts, to_underlying_exact, value_down, value_up, LiquidationInput, MathError,
};

use super::{cw20_msg, send_tokens, Payment, Touch};
use crate::error::ContractError;
use crate::position::{self, collateral_amount, debt_amount, health, Pricing};

pub struct SeizeArgs {
    pub position_id: u64,
    pub debt_denom: String,
    pub repay_amount: Uint128,
    pub collateral_denom: String,
    pub collateral_amount: Uint128,
    pub recipient: String,
}

pub fn seize(
    deps: DepsMut,
    env: Env,
    payment: Payment,
    args: SeizeArgs,
) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, args.position_id)?;
    let liquidator = touch
        .config
        .liquidator
        .clone()
        .ok_or(ContractError::NoLiquidator {})?;
    if payment.payer != liquidator {
        return Err(ContractError::unauthorized("seize", &payment.payer));
    }
    if payment.denom != args.debt_denom || payment.amount != args.repay_amount {
        return Err(ContractError::UnexpectedFunds {
            reason: format!(
                "seize needs exactly {}{} attached",
                args.repay_amount, args.debt_denom
            ),
        });
    }
    if args.repay_amount.is_zero() {
        return Err(ContractError::ZeroAmount {
            denom: args.debt_denom,
        });
    }
    let recipient = deps.api.addr_validate(&args.recipient)?;
    // Liquidation eligibility and amounts use `price` (SPEC 3.3): no TWAP.
    touch.skip_twap();
    let debt_id = touch.include(deps.storage, &args.debt_denom)?;
    let coll_id = touch.include(deps.storage, &args.collateral_denom)?;
    let mut response = Response::new()
        .add_attribute("action", "seize")
        .add_attribute("position_id", args.position_id.to_string());
    response = super::automation::self_repay::self_repay(&deps, &mut touch, response)?;
    let prices = touch.prices(&deps.querier)?;

    let before = health(&touch.position, &touch.assets, &prices, Pricing::Spot)?;
    let lhf = before.liquidation_health_factor;
    if !lhf.map(|l| l < Decimal256::one()).unwrap_or(false) {
        return Err(ContractError::NotLiquidatable {
            position_id: args.position_id,
        });
    }

    let debt_asset = touch.assets.get(debt_id)?;
    let coll_asset = touch.assets.get(coll_id)?;
    let debt_price = prices.get(debt_id, &args.debt_denom)?.price;
    let coll_price = prices.get(coll_id, &args.collateral_denom)?.price;
    let debt = debt_amount(&touch.position, debt_asset)?;
    let held = collateral_amount(&touch.position, coll_asset)?;
    if debt.is_zero() {
        return Err(ContractError::NoDebt {
            position_id: args.position_id,
            denom: args.debt_denom,
        });
    }
    // The close factor limit, with the dust rule, from the same math the liquidator uses.
    let limits = liquidation_amounts(&LiquidationInput {
        debt_amount: debt,
        debt_decimals: debt_asset.decimals(),
        debt_price,
        collateral_amount: held,
        collateral_decimals: coll_asset.decimals(),
        collateral_price: coll_price,
        close_factor: touch.config.max_close_factor,
        bonus: touch.config.max_liquidation_bonus,
        dust_debt_value: touch.config.dust_debt_value.into(),
        offered: debt,
    })?;
    // `max_repay` is the whole debt only when a `max_close_factor` repay would itself leave
    // dust; otherwise any repay above the close factor is refused, whatever it leaves.
    if args.repay_amount > limits.max_repay {
        return Err(ContractError::CloseFactorExceeded {
            position_id: args.position_id,
            repay: args.repay_amount,
            max: limits.max_repay,
        });
    }
    let collateral_value = value_down(args.collateral_amount, coll_asset.decimals(), coll_price)?;
    let max_value = value_up(args.repay_amount, debt_asset.decimals(), debt_price)?
        .checked_mul(Decimal256::one().saturating_add(touch.config.max_liquidation_bonus.into()))
        .map_err(|_| MathError::Overflow("seize"))?;
    if collateral_value > max_value {
        return Err(ContractError::BonusExceeded {
            collateral_value,
            max_value,
        });
    }
    if args.collateral_amount > held {
        return Err(ContractError::InsufficientCollateral {
            position_id: args.position_id,
            denom: args.collateral_denom,
            requested: args.collateral_amount,
            available: held,
        });
    }

    // Repay, then pay the collateral out (all of it burns the whole scaled balance).
    let debt_minted = debt_asset.is_minted();
    let repaid = position::repay(
        &mut touch.position,
        touch.assets.get_mut(debt_id)?,
        args.repay_amount,
    )?;
    let take = (args.collateral_amount < held).then_some(args.collateral_amount);
    let paid = position::withdraw(
        &mut touch.position,
        args.position_id,
        touch.assets.get_mut(coll_id)?,
        take,
    )?;

    let mut event = Event::new("seize")
        .add_attribute("position_id", args.position_id.to_string())
        .add_attribute("debt_denom", args.debt_denom.clone())
        .add_attribute("repay_amount", repaid)
        .add_attribute("debt_price", debt_price.to_string())
        .add_attribute("collateral_denom", args.collateral_denom.clone())
        .add_attribute("collateral_amount", paid)
        .add_attribute("collateral_price", coll_price.to_string())
        .add_attribute("recipient", recipient.to_string());
    if let Some(lhf) = lhf {
        event = event.add_attribute("health_before", lhf.to_string());
    }
    let bad_debt = write_off_if_empty(&mut touch)?;
    if bad_debt.is_none() {
        let after = health(&touch.position, &touch.assets, &prices, Pricing::Spot)?;
        if let Some(lhf) = after.liquidation_health_factor {
            event = event.add_attribute("health_after", lhf.to_string());
        }
    }
    touch.save(deps.storage)?;

    if debt_minted {
        response = response.add_message(cw20_msg(
            &args.debt_denom,
            &Cw20ExecuteMsg::Burn { amount: repaid },
        )?);
    }
    let refund = args.repay_amount.checked_sub(repaid)?;
    if !refund.is_zero() {
        // To the recipient, not the caller: the liquidator contract keeps no balance.
        response = response.add_message(send_tokens(&args.debt_denom, refund, &recipient)?);
    }
    response = response
        .add_message(send_tokens(&args.collateral_denom, paid, &recipient)?)
        .add_event(event);
    if let Some(bad_debt) = bad_debt {
        response = response.add_event(bad_debt);
    }
    Ok(response)
}

/// Bad debt: a position left with debt and no held collateral has its debt written off at once.
/// A pool asset's loss comes from its reserves first, then from lenders (the supply index
/// drops); a minted asset's loss goes to its `deficit`.
pub fn write_off_if_empty(touch: &mut Touch) -> Result<Option<Event>, ContractError> {
    if touch.position.debt.is_empty() {
        return Ok(None);
    }
    // A balance worth zero base units does not keep the position alive (SPEC 3.3, 3.6): a
    // supply index that fell can leave one behind without any operation on it.
    let ids: Vec<_> = touch.position.collateral.iter().map(|b| b.asset).collect();
    for id in ids {
        position::sweep_dust_collateral(&mut touch.position, touch.assets.get_mut(id)?)?;
    }
    if !touch.position.collateral.is_empty() {
        return Ok(None);
    }
    let mut event =
        Event::new("bad_debt").add_attribute("position_id", touch.position_id.to_string());
    let debts = std::mem::take(&mut touch.position.debt);
    for b in debts {
        let asset = touch.assets.get_mut(b.asset)?;
        let denom = asset.denom().to_string();
        let minted = asset.is_minted();
        let amount = keel_math::to_underlying_up(b.scaled, asset.state.borrow_index)?;
        let loss = to_underlying_exact(b.scaled, asset.state.borrow_index)?;
        let supply = asset.supply_exact()?;
        let state = asset.touch();
        state.scaled_debt = state.scaled_debt.checked_sub(b.scaled)?;
        let mut from_reserves = Decimal256::zero();
        let mut from_lenders = Decimal256::zero();
        if minted {
            state.deficit = state.deficit.checked_add(amount)?;
        } else {
            from_reserves = loss.min(state.reserves);
            state.reserves = state.reserves.saturating_sub(from_reserves);
            from_lenders = loss.saturating_sub(from_reserves);
            if !from_lenders.is_zero() && !supply.is_zero() {
                // supply_index' = supply_index * (S - loss) / S, rounded down; never zero, so
                // that conversions stay defined even if lenders lose everything.
                let kept = supply.saturating_sub(from_lenders);
                let index = state
                    .supply_index
                    .checked_mul(kept)
                    .map_err(|_| MathError::Overflow("write_off"))?
                    .checked_div(supply)
                    .map_err(|_| MathError::DivideByZero("write_off"))?;
                state.supply_index = index.max(Decimal256::raw(1));
            }
        }
        event = event
            .add_attribute("denom", denom)
            .add_attribute("amount", amount)
            .add_attribute("from_reserves", from_reserves.to_string())
            .add_attribute("from_lenders", from_lenders.to_string());
    }
    Ok(Some(event))
}
