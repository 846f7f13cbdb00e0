//! MOET redemptions (SPEC 3.6a): anyone hands MOET to a position below its redemption health
//! and receives the position's collateral at face value, less a fee that stays in the position.
//! The amounts are `keel_math::redemption_amounts`; `plan` and `apply` are shared with the
//! `redemption_quote` query, so that a quote equals the redemption made in the same block.
use cosmwasm_std::{Decimal, Decimal256, DepsMut, Env, Event, Response, Uint128};
use cw20::Cw20ExecuteMsg;
use keel_math::{redemption_amounts, value_down, RedemptionAmounts, RedemptionInput};

use super::automation::self_repay::self_repay;
use super::liquidate::write_off_if_empty;
use super::{cw20_msg, send_tokens, Payment, Touch};
use crate::error::ContractError;
use crate::position::{
    self, bounds, check_min_debt, collateral_amount, debt_amount, health, Pricing,
};
use crate::prices::Prices;
use crate::state::{AssetId, PositionId};

/// A redemption worked out on a touched position (self-repay applied).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub moet: AssetId,
    pub collateral: AssetId,
    pub amounts: RedemptionAmounts,
    /// The collateral's redemption price, `max(price, twap)`.
    pub price: Decimal,
    /// HF at redemption prices before the redemption.
    pub health_before: Option<Decimal256>,
}

/// What applying a plan did.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub health_after: Option<Decimal256>,
    /// `repay` minus the value of `out` at the redemption price (whole MOET).
    pub fee_value: Decimal256,
}

/// The redemption health of the position: the config's, lowered to the position's own `max`
/// when that is lower and it has a draw-down sink (a redemption never sets off a draw-down).
pub fn threshold(touch: &Touch) -> Decimal {
    let t = touch.config.redemption_health;
    let has_sink = touch
        .position
        .automation
        .as_ref()
        .is_some_and(|a| a.sink.is_some());
    let max = bounds(&touch.position, &touch.config).max;
    if has_sink && max < t {
        max
    } else {
        t
    }
}

fn not_redeemable(position_id: PositionId, reason: impl Into<String>) -> ContractError {
    ContractError::NotRedeemable {
        position_id,
        reason: reason.into(),
    }
}

/// Eligibility and amounts for `sent` MOET against collateral `collateral` (SPEC 3.6a).
pub fn plan(
    touch: &Touch,
    prices: &Prices,
    collateral: AssetId,
    sent: Uint128,
) -> Result<Plan, ContractError> {
    let position_id = touch.position_id;
    let moet = touch.config.moet.ok_or(ContractError::NoMintedAsset {})?;
    let moet_asset = touch.assets.get(moet)?;
    let moet_debt = debt_amount(&touch.position, moet_asset)?;
    if moet_debt.is_zero() {
        return Err(not_redeemable(position_id, "it owes no MOET"));
    }
    let coll = touch.assets.get(collateral)?;
    let held = collateral_amount(&touch.position, coll)?;
    if held.is_zero() {
        return Err(ContractError::CollateralNotHeld {
            position_id,
            denom: coll.denom().to_string(),
        });
    }
    let price = prices.get(collateral, coll.denom())?;
    if price.pending {
        return Err(ContractError::PricePending {
            denom: coll.denom().to_string(),
        });
    }
    let before = health(&touch.position, &touch.assets, prices, Pricing::Redemption)?;
    let target = threshold(touch);
    let Some(hf) = before.health_factor else {
        return Err(not_redeemable(position_id, "it has no debt"));
    };
    if hf >= Decimal256::from(target) {
        return Err(not_redeemable(
            position_id,
            format!("health factor {hf} is not below {target}"),
        ));
    }
    let params = &coll.info.params;
    let amounts = redemption_amounts(&RedemptionInput {
        effective_collateral: before.effective_collateral,
        effective_debt: before.effective_debt,
        target_health: target,
        fee: touch.config.redemption_fee,
        collateral_factor: if params.collateral_enabled {
            params.collateral_factor
        } else {
            Decimal::zero()
        },
        moet_borrow_factor: moet_asset.info.params.borrow_factor,
        moet_debt,
        moet_decimals: moet_asset.decimals(),
        min_debt_value: touch.config.min_debt_value,
        sent,
        collateral_price: price.redemption(),
        collateral_decimals: params.decimals,
        collateral_amount: held,
    })?;
    if amounts.max_repay.is_zero() {
        return Err(not_redeemable(
            position_id,
            "no MOET can be redeemed without leaving a debt below the minimum",
        ));
    }
    Ok(Plan {
        moet,
        collateral,
        amounts,
        price: price.redemption(),
        health_before: before.health_factor,
    })
}

/// Burns `repay` off the MOET debt and takes `out` of the collateral, in memory, refusing what
/// SPEC 3.6a refuses: nothing paid out, a debt left below the minimum, too little cash, a lower
/// LHF (such positions are left to liquidation).
pub fn apply(touch: &mut Touch, prices: &Prices, plan: &Plan) -> Result<Applied, ContractError> {
    let position_id = touch.position_id;
    let RedemptionAmounts {
        repay,
        collateral_out: out,
        ..
    } = plan.amounts;
    if out.is_zero() || repay.is_zero() {
        return Err(not_redeemable(
            position_id,
            "the MOET sent buys no collateral",
        ));
    }
    let lhf_before =
        health(&touch.position, &touch.assets, prices, Pricing::Spot)?.liquidation_health_factor;
    position::repay(&mut touch.position, touch.assets.get_mut(plan.moet)?, repay)?;
    check_min_debt(
        &touch.position,
        position_id,
        touch.assets.get(plan.moet)?,
        Decimal::one(),
        &touch.config,
    )?;
    let coll = touch.assets.get_mut(plan.collateral)?;
    let held = collateral_amount(&touch.position, coll)?;
    let take = (out < held).then_some(out);
    position::withdraw(&mut touch.position, position_id, coll, take)?;
    let lhf_after =
        health(&touch.position, &touch.assets, prices, Pricing::Spot)?.liquidation_health_factor;
    if let (Some(before), Some(after)) = (lhf_before, lhf_after) {
        if after < before {
            return Err(ContractError::LiquidationHealthWouldFall {
                position_id,
                before,
                after,
            });
        }
    }
    let after = health(&touch.position, &touch.assets, prices, Pricing::Redemption)?;
    let moet_decimals = touch.assets.get(plan.moet)?.decimals();
    let coll_decimals = touch.assets.get(plan.collateral)?.decimals();
    let fee_value = value_down(repay, moet_decimals, Decimal::one())?.saturating_sub(value_down(
        out,
        coll_decimals,
        plan.price,
    )?);
    Ok(Applied {
        health_after: after.health_factor,
        fee_value,
    })
}

/// `redeem` (MOET through cw20 `send`): the redeemer is the `send`'s sender.
pub fn redeem(
    deps: DepsMut,
    env: Env,
    payment: Payment,
    position_id: PositionId,
    collateral_denom: String,
    min_collateral_out: Option<Uint128>,
) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    if touch.config.redemptions_paused {
        return Err(ContractError::RedemptionsPaused {});
    }
    let moet = touch.include_moet(deps.storage)?;
    let moet_denom = touch.assets.get(moet)?.denom().to_string();
    if payment.denom != moet_denom {
        return Err(ContractError::UnexpectedFunds {
            reason: format!("redeem takes MOET ({moet_denom}), not {}", payment.denom),
        });
    }
    let collateral = touch.include(deps.storage, &collateral_denom)?;
    let mut response = Response::new()
        .add_attribute("action", "redeem")
        .add_attribute("position_id", position_id.to_string());
    response = self_repay(&deps, &mut touch, response)?;
    let prices = touch.prices(&deps.querier)?;
    let plan = plan(&touch, &prices, collateral, payment.amount)?;
    let applied = apply(&mut touch, &prices, &plan)?;
    let RedemptionAmounts {
        repay,
        collateral_out: out,
        ..
    } = plan.amounts;
    if let Some(min) = min_collateral_out {
        if out < min {
            return Err(ContractError::SlippageExceeded {
                collateral_out: out,
                min_collateral_out: min,
            });
        }
    }
    let bad_debt = write_off_if_empty(&mut touch)?;
    touch.save(deps.storage)?;

    let refund = payment.amount.checked_sub(repay)?;
    let mut event = Event::new("redeem")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("redeemer", payment.payer.to_string())
        .add_attribute("moet_denom", moet_denom.clone())
        .add_attribute("repay_amount", repay)
        .add_attribute("refund", refund)
        .add_attribute("collateral_denom", collateral_denom.clone())
        .add_attribute("collateral_amount", out)
        .add_attribute("collateral_price", plan.price.to_string())
        .add_attribute("fee_value", applied.fee_value.to_string());
    if let Some(hf) = plan.health_before {
        event = event.add_attribute("health_before", hf.to_string());
    }
    if let Some(hf) = applied.health_after {
        event = event.add_attribute("health_after", hf.to_string());
    }
    response = response
        .add_message(cw20_msg(
            &moet_denom,
            &Cw20ExecuteMsg::Burn { amount: repay },
        )?)
        .add_message(send_tokens(&collateral_denom, out, &payment.payer)?)
        .add_event(event);
    if !refund.is_zero() {
        response = response.add_message(send_tokens(&moet_denom, refund, &payment.payer)?);
    }
    if let Some(bad_debt) = bad_debt {
        response = response.add_event(bad_debt);
    }
    Ok(response)
}
