//! Automation (SPEC 3.5): auto-borrow to the target health, keeper rebalancing, self-repaying
//! MOET debt.
use cosmwasm_std::{
    Addr, Api, CanonicalAddr, Decimal, Decimal256, DepsMut, Env, MessageInfo, QuerierWrapper,
    Response, Storage, Uint128, Uint256,
};
use cw20::{AllowanceResponse, BalanceResponse, Cw20ExecuteMsg, Cw20QueryMsg};
use keel_math::{
    amount_for_value_down, amount_for_value_up, borrow_to_target, repay_to_target, to_scaled_up,
    to_underlying_down, to_underlying_exact, value_down, Health,
};
use keel_types::market::Automation;

use super::seize::write_off_if_empty;
use super::{cw20_address, cw20_msg, Touch};
use crate::error::ContractError;
use crate::position::load_position;
use crate::position::{self, bounds, check_min_debt, debt_amount, health, Pricing};
use crate::prices::Prices;
use crate::state::{AssetId, StoredAutomation, StoredSink, TOP_UP_CONSENT};

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

fn self_repays(automation: Option<&StoredAutomation>) -> bool {
    automation.map(|a| a.self_repay).unwrap_or(false)
}

/// Moves the mark of collateral `id` to the asset's current supply index: the interest earned
/// before now is settled (taken, or left with the position).
fn advance_mark(touch: &mut Touch, id: AssetId) -> Result<(), ContractError> {
    let index = touch.assets.get(id)?.state.supply_index;
    if let Some(b) = touch.position.collateral.iter_mut().find(|b| b.asset == id) {
        b.mark = Some(index);
    }
    Ok(())
}

/// Sets the collateral marks after the automation changed: on a self-repaying position every
/// balance without a mark gets the current supply index, and `keep` keeps the existing marks
/// (interest still pending from before, e.g. when the price was unavailable); otherwise marks
/// are cleared.
fn set_marks(touch: &mut Touch, keep: bool) -> Result<(), ContractError> {
    let on = self_repays(touch.position.automation.as_ref());
    let ids: Vec<AssetId> = touch.position.collateral.iter().map(|b| b.asset).collect();
    for id in ids {
        let index = touch.assets.get(id)?.state.supply_index;
        if let Some(b) = touch.position.collateral.iter_mut().find(|b| b.asset == id) {
            b.mark = match (on, keep, b.mark) {
                (false, _, _) => None,
                (true, true, Some(mark)) => Some(mark),
                (true, _, _) => Some(index),
            };
        }
    }
    Ok(())
}

/// What `apply_self_repay` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfRepay {
    /// Nothing to do: self-repay off, no MOET debt, or no interest since the last touch.
    Nothing,
    /// A price was unavailable: nothing taken now, the interest is taken at a later touch.
    Skipped,
    /// This much MOET debt was written off.
    WrittenOff(Uint128),
}

/// Self-repay (SPEC 3.5) on a touched position, adding its attribute to `response`.
pub fn self_repay(
    deps: &DepsMut,
    touch: &mut Touch,
    response: Response,
) -> Result<Response, ContractError> {
    Ok(
        match apply_self_repay(&*deps.storage, &deps.querier, touch)? {
            SelfRepay::Nothing => response,
            SelfRepay::Skipped => {
                response.add_attribute("self_repay", "skipped: price unavailable")
            }
            SelfRepay::WrittenOff(amount) => response.add_attribute("self_repaid", amount),
        },
    )
}

/// Self-repay (SPEC 3.5): the supply interest each collateral earned since the last touch goes
/// to that asset's reserves, and the same value of the position's MOET debt is written off, at
/// most the whole debt (the rest of the interest stays with the position). Skipped, without
/// failing the message, when a price is unavailable: the marks stay, so the interest is taken
/// at a later touch. A balance whose interest is worth less than one MOET base unit keeps its
/// mark, so that the interest accumulates instead of being rounded away at every touch.
///
/// Works on the in-memory `Touch` only (nothing is written until `touch.save`), so a query can
/// also apply it to show a position as its next touch will leave it.
pub fn apply_self_repay(
    storage: &dyn Storage,
    querier: &QuerierWrapper,
    touch: &mut Touch,
) -> Result<SelfRepay, ContractError> {
    if !self_repays(touch.position.automation.as_ref()) {
        return Ok(SelfRepay::Nothing);
    }
    // Balances without a mark start earning for the debt now.
    set_marks(touch, true)?;
    let Some(moet) = touch.config.moet else {
        return Ok(SelfRepay::Nothing);
    };
    if position::scaled_debt(&touch.position, moet).is_zero() {
        // No MOET debt: the interest stays with the position.
        set_marks(touch, false)?;
        return Ok(SelfRepay::Nothing);
    }
    let mut earning: Vec<AssetId> = vec![];
    for b in &touch.position.collateral {
        let index = touch.assets.get(b.asset)?.state.supply_index;
        if b.mark.is_some_and(|m| index > m) {
            earning.push(b.asset);
        }
    }
    if earning.is_empty() {
        return Ok(SelfRepay::Nothing);
    }
    touch.include_moet(storage)?;
    let Ok(prices) = touch.prices(querier) else {
        return Ok(SelfRepay::Skipped);
    };
    let mut written_off = Uint128::zero();
    for id in earning {
        let debt_left = debt_amount(&touch.position, touch.assets.get(moet)?)?;
        if debt_left.is_zero() {
            break;
        }
        let written = take_interest(touch, &prices, id, moet, debt_left)?;
        if !written.is_zero() {
            advance_mark(touch, id)?;
            written_off = written_off.checked_add(written)?;
        }
    }
    if position::scaled_debt(&touch.position, moet).is_zero() {
        // The debt is gone: what is left of the interest stays with the position.
        set_marks(touch, false)?;
    }
    Ok(if written_off.is_zero() {
        SelfRepay::Nothing
    } else {
        SelfRepay::WrittenOff(written_off)
    })
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
    // The position keeps the balance it had at the mark, floor(scaled * mark / index) scaled
    // units; the interest taken is the rest (so it rounds up: taken in by the protocol).
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
    position::sweep_dust_collateral(&mut touch.position, touch.assets.get_mut(id)?)?;
    let moet_asset = touch.assets.get_mut(moet)?;
    position::repay(&mut touch.position, moet_asset, write_off)?;
    Ok(write_off)
}

/// MOET to borrow so that the HF at `price` equals `target`, rounded down, and never below the
/// conservative borrow floor (SPEC 3.3 / 3.5). Zero when the position is at or below the target,
/// when MOET would take the position past `max_position_assets`, or when the debt would be left
/// below `min_debt_value` (nothing worth borrowing: skipped rather than failing the message).
fn moet_to_target(
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
    let index = asset.state.borrow_index;
    if index > Decimal256::one() {
        // With a borrow index I above 1 the new scaled debt rounds up (ceil(x / I) * I < x + I)
        // and the debt read back rounds up again: up to ceil(I) base units more than borrowed.
        // Keep them off the floor so that the floor check after the borrow cannot fail.
        let slack = Uint128::try_from(index.to_uint_ceil()).unwrap_or(Uint128::MAX);
        at_floor = at_floor.saturating_sub(slack);
    }
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
fn borrow_and_push(
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
    let response = self_repay(&deps, &mut touch, response)?;
    let was_on = self_repays(touch.position.automation.as_ref());
    touch.position.automation = automation;
    // Still self-repaying: pending marks stay (interest not taken for want of a price is taken
    // later). Newly self-repaying: only interest from now on counts.
    set_marks(&mut touch, was_on)?;
    touch.save(deps.storage)?;
    Ok(response)
}

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
        let allowance: AllowanceResponse = deps.querier.query_wasm_smart(
            token,
            &Cw20QueryMsg::Allowance {
                owner: source.to_string(),
                spender: touch.contract.to_string(),
            },
        )?;
        if !allowance.expires.is_expired(&env.block) && !allowance.allowance.is_zero() {
            let balance: BalanceResponse = deps.querier.query_wasm_smart(
                token,
                &Cw20QueryMsg::Balance {
                    address: source.to_string(),
                },
            )?;
            available = allowance.allowance.min(balance.balance);
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
