//! Self-repaying debt (SPEC 3.5): on every touch, the supply interest a position's collateral
//! earned since the last touch pays its MOET debt.
use cosmwasm_std::{Decimal, DepsMut, QuerierWrapper, Response, Storage, Uint128, Uint256};
use keel_math::{
    amount_for_value_down, amount_for_value_up, to_scaled_up, to_underlying_down,
    to_underlying_exact, value_down,
};

use crate::error::ContractError;
use crate::execute::Touch;
use crate::position::{self, debt_amount};
use crate::prices::Prices;
use crate::state::{AssetId, StoredAutomation};

pub(super) fn self_repays(automation: Option<&StoredAutomation>) -> bool {
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
pub(super) fn set_marks(touch: &mut Touch, keep: bool) -> Result<(), ContractError> {
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
