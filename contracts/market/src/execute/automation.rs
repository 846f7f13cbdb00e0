//! Automation (SPEC 3.5): auto-borrow to the target health, keeper rebalancing, self-repaying
//! MOET debt.
use cosmwasm_std::{
    Api, Decimal, Decimal256, DepsMut, Env, MessageInfo, Response, Uint128, Uint256,
};
use cw20::{AllowanceResponse, BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg};
use keel_math::{
    amount_for_value_down, amount_for_value_up, borrow_to_target, repay_to_target, to_scaled_up,
    to_underlying_down, to_underlying_exact, value_down, Health,
};
use keel_types::market::Automation;

use super::{cw20_address, cw20_msg, Touch};
use crate::error::ContractError;
use crate::position::{self, bounds, check_min_debt, debt_amount, health, Pricing};
use crate::prices::Prices;
use crate::state::{AssetId, StoredAutomation, StoredSink};

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
                    address: api.addr_validate(&s.address)?,
                    msg: s.msg,
                })
            })
            .transpose()?,
        source: automation
            .top_up_source
            .map(|s| api.addr_validate(&s))
            .transpose()?,
        health: automation.health,
        self_repay: automation.self_repay,
    })
}

pub fn stored_to_automation(stored: &StoredAutomation) -> Automation {
    Automation {
        draw_down_sink: stored
            .sink
            .as_ref()
            .map(|s| keel_types::market::DrawDownSink {
                address: s.address.to_string(),
                msg: s.msg.clone(),
            }),
        top_up_source: stored.source.as_ref().map(|s| s.to_string()),
        health: stored.health.clone(),
        self_repay: stored.self_repay,
    }
}

fn self_repays(touch: &Touch) -> bool {
    touch
        .position
        .automation
        .as_ref()
        .map(|a| a.self_repay)
        .unwrap_or(false)
}

/// Sets every collateral mark to the current supply index (self-repaying positions only).
fn reset_marks(touch: &mut Touch) -> Result<(), ContractError> {
    let on = self_repays(touch);
    for b in touch.position.collateral.iter_mut() {
        b.mark = if on {
            Some(touch.assets.get(b.asset)?.state.supply_index)
        } else {
            None
        };
    }
    Ok(())
}

/// Self-repay (SPEC 3.5): the supply interest each collateral earned since the last touch goes
/// to that asset's reserves, and the same value of the position's MOET debt is written off, at
/// most the whole debt. Skipped, without failing the message, when a price is unavailable: the
/// marks stay, so the interest is taken at a later touch.
pub fn self_repay(
    deps: &DepsMut,
    touch: &mut Touch,
    response: Response,
) -> Result<Response, ContractError> {
    if !self_repays(touch) {
        return Ok(response);
    }
    let Some(moet) = touch.config.moet else {
        return Ok(response);
    };
    if position::scaled_debt(&touch.position, moet).is_zero() {
        reset_marks(touch)?;
        return Ok(response);
    }
    let earned = touch.position.collateral.iter().any(|b| {
        touch
            .assets
            .get(b.asset)
            .map(|a| b.mark.map(|m| a.state.supply_index > m).unwrap_or(false))
            .unwrap_or(false)
    });
    if !earned {
        reset_marks(touch)?;
        return Ok(response);
    }
    touch.include_moet(deps.storage)?;
    let Ok(prices) = touch.prices(&deps.querier) else {
        return Ok(response.add_attribute("self_repay", "skipped: price unavailable"));
    };
    let mut written_off = Uint128::zero();
    let ids: Vec<AssetId> = touch.position.collateral.iter().map(|b| b.asset).collect();
    for id in ids {
        let debt_left = debt_amount(&touch.position, touch.assets.get(moet)?)?;
        if debt_left.is_zero() {
            break;
        }
        written_off =
            written_off.checked_add(take_interest(touch, &prices, id, moet, debt_left)?)?;
    }
    reset_marks(touch)?;
    Ok(response.add_attribute("self_repaid", written_off))
}

/// Takes the interest of collateral `id` since its mark and writes off its value of MOET debt
/// (at most `debt_left`). Returns the MOET written off.
fn take_interest(
    touch: &mut Touch,
    prices: &Prices,
    id: AssetId,
    moet: AssetId,
    debt_left: Uint128,
) -> Result<Uint128, ContractError> {
    let Some(balance) = touch
        .position
        .collateral
        .iter()
        .find(|b| b.asset == id)
        .cloned()
    else {
        return Ok(Uint128::zero());
    };
    let Some(mark) = balance.mark else {
        return Ok(Uint128::zero());
    };
    let asset = touch.assets.get(id)?;
    let index = asset.state.supply_index;
    if index <= mark || mark.is_zero() {
        return Ok(Uint128::zero());
    }
    // Scaled amount whose underlying equals the balance at the mark, rounded up in the
    // position's favour never: the position keeps floor(scaled * mark / index).
    let kept = Uint256::from(balance.scaled)
        .checked_mul(mark.atomics())
        .map_err(|_| keel_math::MathError::Overflow("self_repay"))?
        .checked_div(index.atomics())
        .map_err(|_| keel_math::MathError::DivideByZero("self_repay"))?;
    let kept = Uint128::try_from(kept).map_err(|_| keel_math::MathError::Overflow("self_repay"))?;
    let mut taken_scaled = balance.scaled.checked_sub(kept)?;
    let price = prices.get(id, asset.denom())?.price;
    let decimals = asset.decimals();
    let interest = to_underlying_down(taken_scaled, index)?;
    let value = value_down(interest, decimals, price)?;
    let moet_asset = touch.assets.get(moet)?;
    let mut write_off = amount_for_value_down(value, moet_asset.decimals(), Decimal::one())?;
    if write_off > debt_left {
        // Take only the interest the remaining debt needs (rounded up: it is taken in).
        let needed_value = keel_math::value_up(debt_left, moet_asset.decimals(), Decimal::one())?;
        let needed = amount_for_value_up(needed_value, decimals, price)?;
        taken_scaled = to_scaled_up(needed, index)?.min(taken_scaled);
        write_off = debt_left;
    }
    if write_off.is_zero() || taken_scaled.is_zero() {
        return Ok(Uint128::zero());
    }
    // Collateral -> reserves of the same asset: S falls and R rises by the same exact amount.
    let moved = to_underlying_exact(taken_scaled, index)?;
    if let Some(b) = touch.position.collateral.iter_mut().find(|b| b.asset == id) {
        b.scaled = b.scaled.checked_sub(taken_scaled)?;
    }
    touch.position.collateral.retain(|b| !b.scaled.is_zero());
    let state = touch.assets.get_mut(id)?.touch();
    state.scaled_supply = state.scaled_supply.checked_sub(taken_scaled)?;
    state.reserves = state
        .reserves
        .checked_add(moved)
        .map_err(|_| keel_math::MathError::Overflow("self_repay"))?;
    let moet_asset = touch.assets.get_mut(moet)?;
    position::repay(&mut touch.position, moet_asset, write_off)?;
    Ok(write_off)
}

/// MOET to borrow so that the HF at `price` equals `target`, never below the conservative
/// borrow floor (SPEC 3.5), rounded down.
fn moet_to_target(
    touch: &Touch,
    prices: &Prices,
    moet: AssetId,
    target: Decimal,
) -> Result<Uint128, ContractError> {
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
    let at_floor = borrow_to_target(
        safe.effective_collateral,
        safe.effective_debt,
        touch.config.borrow_health_floor,
        decimals,
        Decimal::one(),
        bf,
    )?;
    Ok(at_target.min(at_floor))
}

/// Borrows `amount` of MOET into the position and pushes it to the draw-down sink (the owner
/// when none is set): a cw20 `send` when the sink has a hook `msg`, else a mint straight to it.
fn borrow_and_push(
    touch: &mut Touch,
    prices: &Prices,
    moet: AssetId,
    amount: Uint128,
    response: Response,
    env_contract: &cosmwasm_std::Addr,
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
    let (to, msgs) = match sink {
        Some(StoredSink {
            address,
            msg: Some(hook),
        }) => (
            address.clone(),
            vec![
                cw20_msg(
                    &denom,
                    &Cw20ExecuteMsg::Mint {
                        recipient: env_contract.to_string(),
                        amount,
                    },
                )?,
                cw20_msg(
                    &denom,
                    &Cw20ExecuteMsg::Send {
                        contract: address.to_string(),
                        amount,
                        msg: hook,
                    },
                )?,
            ],
        ),
        Some(StoredSink { address, msg: None }) => (
            address.clone(),
            vec![cw20_msg(
                &denom,
                &Cw20ExecuteMsg::Mint {
                    recipient: address.to_string(),
                    amount,
                },
            )?],
        ),
        None => (
            touch.position.owner.clone(),
            vec![cw20_msg(
                &denom,
                &Cw20ExecuteMsg::Mint {
                    recipient: touch.position.owner.to_string(),
                    amount,
                },
            )?],
        ),
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
    let contract = touch.contract.clone();
    let response = borrow_and_push(touch, &prices, moet, amount, response, &contract)?;
    reset_marks(touch)?;
    Ok(response)
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
    let response = Response::new()
        .add_attribute("action", "set_automation")
        .add_attribute("position_id", position_id.to_string());
    let response = self_repay(&deps, &mut touch, response)?;
    touch.position.automation = automation
        .map(|a| validate_automation(deps.api, a))
        .transpose()?;
    reset_marks(&mut touch)?;
    touch.save(deps.storage)?;
    Ok(response)
}

fn health_attr(h: &Health) -> String {
    h.health_factor
        .map(|hf| hf.to_string())
        .unwrap_or_else(|| "infinite".to_string())
}

/// Keepers: back to the target when the HF is outside `min..max` (SPEC 3.5).
pub fn rebalance(deps: DepsMut, env: Env, position_id: u64) -> Result<Response, ContractError> {
    let mut touch = Touch::load(deps.as_ref(), &env, position_id)?;
    let moet = touch.include_moet(deps.storage)?;
    let mut response = Response::new()
        .add_attribute("action", "rebalance")
        .add_attribute("position_id", position_id.to_string());
    response = self_repay(&deps, &mut touch, response)?;
    let prices = touch.prices(&deps.querier)?;
    let before = health(&touch.position, &touch.assets, &prices, Pricing::Spot)?;
    let bounds = bounds(&touch.position, &touch.config).clone();
    let automation = touch.position.automation.clone();
    let sink = automation.as_ref().and_then(|a| a.sink.as_ref());
    let source = automation.as_ref().and_then(|a| a.source.clone());
    let above_max = before
        .health_factor
        .map(|hf| hf > Decimal256::from(bounds.max))
        .unwrap_or(true);
    let below_min = before
        .health_factor
        .map(|hf| hf < Decimal256::from(bounds.min))
        .unwrap_or(false);

    response = response.add_attribute("health_before", health_attr(&before));
    if above_max && sink.is_some() {
        let amount = moet_to_target(&touch, &prices, moet, bounds.target)?;
        if !amount.is_zero() {
            let contract = touch.contract.clone();
            response = borrow_and_push(&mut touch, &prices, moet, amount, response, &contract)?;
        }
    } else if below_min {
        if let Some(source) = source {
            response = top_up(
                &deps,
                &mut touch,
                &prices,
                moet,
                &source,
                bounds.target,
                response,
            )?;
        } else {
            response = response.add_attribute("rebalanced", "none: no top-up source");
        }
    } else {
        response = response.add_attribute("rebalanced", "none");
    }
    let after = health(&touch.position, &touch.assets, &prices, Pricing::Spot)?;
    reset_marks(&mut touch)?;
    touch.save(deps.storage)?;
    Ok(response.add_attribute("health_after", health_attr(&after)))
}

/// Pulls MOET from the top-up source (cw20 `transfer_from`) and burns it against the debt:
/// at most what restores the target, and at most the source's allowance and balance.
/// All-or-nothing: fails when what the source can give leaves the position liquidatable.
#[allow(clippy::too_many_arguments)]
fn top_up(
    deps: &DepsMut,
    touch: &mut Touch,
    prices: &Prices,
    moet: AssetId,
    source: &cosmwasm_std::Addr,
    target: Decimal,
    response: Response,
) -> Result<Response, ContractError> {
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
    if needed.is_zero() {
        return Ok(response.add_attribute("rebalanced", "none: no MOET debt"));
    }
    let token = cw20_address(&denom).unwrap_or_default().to_string();
    let allowance: AllowanceResponse = deps.querier.query_wasm_smart(
        &token,
        &Cw20QueryMsg::Allowance {
            owner: source.to_string(),
            spender: touch.contract.to_string(),
        },
    )?;
    let balance: BalanceResponse = deps.querier.query_wasm_smart(
        &token,
        &Cw20QueryMsg::Balance {
            address: source.to_string(),
        },
    )?;
    let pulled = needed.min(allowance.allowance).min(balance.balance);
    if !pulled.is_zero() {
        let asset = touch.assets.get_mut(moet)?;
        position::repay(&mut touch.position, asset, pulled)?;
    }
    let after = health(&touch.position, &touch.assets, prices, Pricing::Spot)?;
    let liquidatable = after
        .liquidation_health_factor
        .map(|lhf| lhf < Decimal256::one())
        .unwrap_or(false);
    if liquidatable {
        return Err(ContractError::TopUpInsufficient {
            position_id: touch.position_id,
            source_addr: source.to_string(),
        });
    }
    if pulled.is_zero() {
        return Ok(response.add_attribute("rebalanced", "none: source gives nothing"));
    }
    Ok(response
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
        .add_attribute("source", source.to_string()))
}
