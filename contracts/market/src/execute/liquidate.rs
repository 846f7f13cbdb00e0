//! Liquidation settlement and bad debt (SPEC 3.6, 4). Only the configured liquidator may call
//! `liquidate` (the market computes the amounts in one pass, with the liquidator's close factor
//! and bonus) or `seize` (the liquidator's own amounts). Either way the market re-checks
//! everything itself, so a faulty liquidator cannot take more than the close factor and bonus
//! allow.
use cosmwasm_std::{Addr, Decimal, Decimal256, DepsMut, Env, Event, Response, Uint128};
use cw20::Cw20ExecuteMsg;
use keel_math::{
    liquidation_amounts, to_underlying_exact, value_down, value_up, LiquidationAmounts,
    LiquidationInput, MathError,
};
use keel_types::liquidator::QuoteResponse;

use super::automation::self_repay::self_repay;
use super::{cw20_msg, send_tokens, Payment, Touch};
use crate::error::ContractError;
use crate::position::{self, collateral_amount, debt_amount, health, Pricing};
use crate::prices::Prices;
use crate::state::{AssetId, PositionId};

/// `seize`: the liquidator's amounts.
pub struct SeizeArgs {
    pub position_id: PositionId,
    pub debt_denom: String,
    pub repay_amount: Uint128,
    pub collateral_denom: String,
    pub collateral_amount: Uint128,
    pub recipient: String,
}

/// `liquidate`: the liquidator's parameters; the market computes the amounts.
pub struct LiquidateArgs {
    pub position_id: PositionId,
    pub debt_denom: String,
    pub collateral_denom: String,
    pub close_factor: Decimal,
    pub liquidation_bonus: Decimal,
    pub min_collateral_out: Option<Uint128>,
    pub recipient: String,
}

/// A position loaded for a liquidation: self-repay applied, priced at `price`.
struct Liquidation {
    touch: Touch,
    prices: Prices,
    debt: AssetId,
    collateral: AssetId,
    /// LHF before (null without debt).
    lhf: Option<Decimal256>,
    response: Response,
}

fn require_liquidator(touch: &Touch, payer: &Addr, action: &str) -> Result<(), ContractError> {
    let liquidator = touch
        .config
        .liquidator
        .as_ref()
        .ok_or(ContractError::NoLiquidator {})?;
    if payer != liquidator {
        return Err(ContractError::unauthorized(action, payer));
    }
    Ok(())
}

/// Loads the position, applies its pending self-repay and prices it (at `price`: liquidation
/// eligibility and amounts use no TWAP, SPEC 3.3).
fn load(
    deps: &DepsMut,
    env: &Env,
    position_id: PositionId,
    debt_denom: &str,
    collateral_denom: &str,
    action: &str,
) -> Result<Liquidation, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), env, position_id)?;
    touch.skip_twap();
    let debt = touch.include(deps.storage, debt_denom)?;
    let collateral = touch.include(deps.storage, collateral_denom)?;
    let response = Response::new()
        .add_attribute("action", action)
        .add_attribute("position_id", position_id.to_string());
    let response = self_repay(deps, &mut touch, response)?;
    let prices = touch.prices(&deps.querier)?;
    let lhf =
        health(&touch.position, &touch.assets, &prices, Pricing::Spot)?.liquidation_health_factor;
    Ok(Liquidation {
        touch,
        prices,
        debt,
        collateral,
        lhf,
        response,
    })
}

/// The amounts of SPEC 4 for an offer of `offered`, with the close factor and bonus each capped
/// by the market's maxima: the computation `liquidate` settles and `liquidation_quote` reports.
fn amounts(
    touch: &Touch,
    prices: &Prices,
    debt: AssetId,
    collateral: AssetId,
    close_factor: Decimal,
    bonus: Decimal,
    offered: Uint128,
) -> Result<LiquidationAmounts, ContractError> {
    let debt_asset = touch.assets.get(debt)?;
    let coll_asset = touch.assets.get(collateral)?;
    Ok(liquidation_amounts(&LiquidationInput {
        debt_amount: debt_amount(&touch.position, debt_asset)?,
        debt_decimals: debt_asset.decimals(),
        debt_price: prices.get(debt, debt_asset.denom())?.price,
        collateral_amount: collateral_amount(&touch.position, coll_asset)?,
        collateral_decimals: coll_asset.decimals(),
        collateral_price: prices.get(collateral, coll_asset.denom())?.price,
        close_factor: close_factor.min(touch.config.max_close_factor),
        bonus: bonus.min(touch.config.max_liquidation_bonus),
        dust_debt_value: touch.config.dust_debt_value.into(),
        offered,
    })?)
}

/// Fails unless the position is liquidatable (LHF < 1 at `price`).
fn require_liquidatable(l: &Liquidation) -> Result<(), ContractError> {
    if !l.lhf.is_some_and(|lhf| lhf < Decimal256::one()) {
        return Err(ContractError::NotLiquidatable {
            position_id: l.touch.position_id,
        });
    }
    Ok(())
}

/// `seize`: the liquidator's explicit amounts, re-checked.
pub fn seize(
    deps: DepsMut,
    env: Env,
    payment: Payment,
    args: SeizeArgs,
) -> Result<Response, ContractError> {
    let l = load(
        &deps,
        &env,
        args.position_id,
        &args.debt_denom,
        &args.collateral_denom,
        "seize",
    )?;
    require_liquidator(&l.touch, &payment.payer, "seize")?;
    if payment.denom != args.debt_denom || payment.amount != args.repay_amount {
        return Err(ContractError::UnexpectedFunds {
            reason: format!(
                "seize needs exactly {}{} attached",
                args.repay_amount, args.debt_denom
            ),
        });
    }
    let recipient = deps.api.addr_validate(&args.recipient)?;
    settle(
        deps,
        l,
        payment,
        args.repay_amount,
        args.collateral_amount,
        &recipient,
    )
}

/// `liquidate`: the amounts of SPEC 4 from the market's own prices, then the same settlement.
pub fn liquidate(
    deps: DepsMut,
    env: Env,
    payment: Payment,
    args: LiquidateArgs,
) -> Result<Response, ContractError> {
    let l = load(
        &deps,
        &env,
        args.position_id,
        &args.debt_denom,
        &args.collateral_denom,
        "liquidate",
    )?;
    require_liquidator(&l.touch, &payment.payer, "liquidate")?;
    if payment.denom != args.debt_denom {
        return Err(ContractError::UnexpectedFunds {
            reason: format!(
                "the repayment is {}, the debt denom is {}",
                payment.denom, args.debt_denom
            ),
        });
    }
    let recipient = deps.api.addr_validate(&args.recipient)?;
    require_liquidatable(&l)?;
    let a = amounts(
        &l.touch,
        &l.prices,
        l.debt,
        l.collateral,
        args.close_factor,
        args.liquidation_bonus,
        payment.amount,
    )?;
    if a.repay.is_zero() {
        return Err(ContractError::NoDebt {
            position_id: args.position_id,
            denom: args.debt_denom,
        });
    }
    if a.seize.is_zero() {
        return Err(ContractError::ZeroCollateralOut {
            position_id: args.position_id,
        });
    }
    if let Some(min) = args.min_collateral_out {
        if a.seize < min {
            return Err(ContractError::SlippageExceeded {
                collateral_out: a.seize,
                min_collateral_out: min,
            });
        }
    }
    settle(deps, l, payment, a.repay, a.seize, &recipient)
}

/// Re-checks (SPEC 3.6), repays `repay` of the debt with the payment, pays `collateral` to
/// `recipient` with the rest of the payment, writes off what no collateral backs any more.
fn settle(
    deps: DepsMut,
    l: Liquidation,
    payment: Payment,
    repay: Uint128,
    collateral: Uint128,
    recipient: &Addr,
) -> Result<Response, ContractError> {
    let Liquidation {
        mut touch,
        prices,
        debt: debt_id,
        collateral: coll_id,
        lhf,
        mut response,
    } = l;
    let position_id = touch.position_id;
    let debt_asset = touch.assets.get(debt_id)?;
    let coll_asset = touch.assets.get(coll_id)?;
    let debt_denom = debt_asset.denom().to_string();
    let coll_denom = coll_asset.denom().to_string();
    if repay.is_zero() {
        return Err(ContractError::ZeroAmount { denom: debt_denom });
    }
    if !lhf.is_some_and(|l| l < Decimal256::one()) {
        return Err(ContractError::NotLiquidatable { position_id });
    }
    let debt_price = prices.get(debt_id, &debt_denom)?.price;
    let coll_price = prices.get(coll_id, &coll_denom)?.price;
    let debt = debt_amount(&touch.position, debt_asset)?;
    let held = collateral_amount(&touch.position, coll_asset)?;
    if debt.is_zero() {
        return Err(ContractError::NoDebt {
            position_id,
            denom: debt_denom,
        });
    }
    // The close factor limit, with the dust rule: `max_repay` is the whole debt only when a
    // `max_close_factor` repay would itself leave dust.
    let limits = amounts(
        &touch,
        &prices,
        debt_id,
        coll_id,
        touch.config.max_close_factor,
        touch.config.max_liquidation_bonus,
        debt,
    )?;
    if repay > limits.max_repay {
        return Err(ContractError::CloseFactorExceeded {
            position_id,
            repay,
            max: limits.max_repay,
        });
    }
    let debt_asset = touch.assets.get(debt_id)?;
    let coll_asset = touch.assets.get(coll_id)?;
    let collateral_value = value_down(collateral, coll_asset.decimals(), coll_price)?;
    let max_value = value_up(repay, debt_asset.decimals(), debt_price)?
        .checked_mul(Decimal256::one().saturating_add(touch.config.max_liquidation_bonus.into()))
        .map_err(|_| MathError::Overflow("liquidation"))?;
    if collateral_value > max_value {
        return Err(ContractError::BonusExceeded {
            collateral_value,
            max_value,
        });
    }
    if collateral > held {
        return Err(ContractError::InsufficientCollateral {
            position_id,
            denom: coll_denom,
            requested: collateral,
            available: held,
        });
    }
    let refund = payment.amount.checked_sub(repay)?;

    // Repay, then pay the collateral out (all of it burns the whole scaled balance).
    let debt_minted = debt_asset.is_minted();
    let repaid = position::repay(&mut touch.position, touch.assets.get_mut(debt_id)?, repay)?;
    let take = (collateral < held).then_some(collateral);
    let paid = position::withdraw(
        &mut touch.position,
        position_id,
        touch.assets.get_mut(coll_id)?,
        take,
    )?;

    let mut event = Event::new("seize")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("debt_denom", debt_denom.clone())
        .add_attribute("repay_amount", repaid)
        .add_attribute("debt_price", debt_price.to_string())
        .add_attribute("collateral_denom", coll_denom.clone())
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
            &debt_denom,
            &Cw20ExecuteMsg::Burn { amount: repaid },
        )?);
    }
    // What `position::repay` did not use (the whole repay is used: repay <= debt) and what was
    // offered beyond the repay go back to the recipient: the liquidator keeps no balance.
    let refund = refund.checked_add(repay.checked_sub(repaid)?)?;
    if !refund.is_zero() {
        response = response.add_message(send_tokens(&debt_denom, refund, recipient)?);
    }
    response = response
        .add_message(send_tokens(&coll_denom, paid, recipient)?)
        .add_attribute("refund", refund)
        .add_event(event);
    if let Some(bad_debt) = bad_debt {
        response = response.add_event(bad_debt);
    }
    Ok(response)
}

/// `liquidation_quote`: what `liquidate` would do now with `offered` (null: `max_repay`), from
/// the same computation. A position that is not liquidatable answers with zeros.
pub fn quote(
    touch: &mut Touch,
    prices: &Prices,
    debt: AssetId,
    collateral: AssetId,
    close_factor: Decimal,
    bonus: Decimal,
    offered: Option<Uint128>,
) -> Result<QuoteResponse, ContractError> {
    let before =
        health(&touch.position, &touch.assets, prices, Pricing::Spot)?.liquidation_health_factor;
    if !before.is_some_and(|lhf| lhf < Decimal256::one()) {
        return Ok(QuoteResponse {
            liquidatable: false,
            max_repay: Uint128::zero(),
            repay_amount: Uint128::zero(),
            collateral_out: Uint128::zero(),
            bonus_value: Decimal256::zero(),
            health_before: before,
            health_after: before,
        });
    }
    let debt_asset = touch.assets.get(debt)?;
    let debt_all = debt_amount(&touch.position, debt_asset)?;
    let max = amounts(
        touch,
        prices,
        debt,
        collateral,
        close_factor,
        bonus,
        debt_all,
    )?;
    let a = amounts(
        touch,
        prices,
        debt,
        collateral,
        close_factor,
        bonus,
        offered.unwrap_or(max.max_repay),
    )?;
    let debt_asset = touch.assets.get(debt)?;
    let coll_asset = touch.assets.get(collateral)?;
    let collateral_value = value_down(
        a.seize,
        coll_asset.decimals(),
        prices.get(collateral, coll_asset.denom())?.price,
    )?;
    let repay_value = value_up(
        a.repay,
        debt_asset.decimals(),
        prices.get(debt, debt_asset.denom())?.price,
    )?;
    // The position after: the same bookkeeping as the settlement, in memory.
    if !a.repay.is_zero() {
        position::repay(&mut touch.position, touch.assets.get_mut(debt)?, a.repay)?;
    }
    if !a.seize.is_zero() {
        let coll = touch.assets.get_mut(collateral)?;
        let held = collateral_amount(&touch.position, coll)?;
        let take = (a.seize < held).then_some(a.seize);
        position::withdraw(&mut touch.position, touch.position_id, coll, take)?;
    }
    let after =
        health(&touch.position, &touch.assets, prices, Pricing::Spot)?.liquidation_health_factor;
    Ok(QuoteResponse {
        liquidatable: true,
        max_repay: a.max_repay,
        repay_amount: a.repay,
        collateral_out: a.seize,
        bonus_value: collateral_value.saturating_sub(repay_value),
        health_before: before,
        health_after: after,
    })
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
