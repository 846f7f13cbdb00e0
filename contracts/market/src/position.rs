//! Position bookkeeping: every change of a position's scaled balances goes through here, paired
//! with the same change of the asset totals, so that `sum of positions == totals` (SPEC 6.1)
//! holds by construction.
use cosmwasm_std::{Decimal, Decimal256, Storage, Uint128};
use keel_math::{
    compute_health, to_scaled_down, to_scaled_up, to_underlying_down, to_underlying_up, value_down,
    value_up, CollateralItem, DebtItem, Health, HealthBounds,
};

use crate::assets::{Assets, LoadedAsset};
use crate::error::ContractError;
use crate::prices::Prices;
use crate::state::{AssetId, Balance, Config, Position, PositionId, POSITIONS};

pub fn load_position(storage: &dyn Storage, id: PositionId) -> Result<Position, ContractError> {
    POSITIONS
        .may_load(storage, id)?
        .ok_or(ContractError::PositionNotFound { position_id: id })
}

/// Loads every asset the position holds, accrued to now.
pub fn load_position_assets(
    storage: &dyn Storage,
    position: &Position,
    assets: &mut Assets,
) -> Result<(), ContractError> {
    for b in position.collateral.iter().chain(position.debt.iter()) {
        assets.load(storage, b.asset)?;
    }
    Ok(())
}

/// The distinct asset ids of a position (collateral first).
pub fn asset_ids(position: &Position) -> Vec<AssetId> {
    let mut ids: Vec<AssetId> = vec![];
    for b in position.collateral.iter().chain(position.debt.iter()) {
        if !ids.contains(&b.asset) {
            ids.push(b.asset);
        }
    }
    ids
}

fn find(list: &[Balance], id: AssetId) -> Option<&Balance> {
    list.iter().find(|b| b.asset == id)
}

pub fn scaled_collateral(position: &Position, id: AssetId) -> Uint128 {
    find(&position.collateral, id)
        .map(|b| b.scaled)
        .unwrap_or_default()
}

pub fn scaled_debt(position: &Position, id: AssetId) -> Uint128 {
    find(&position.debt, id)
        .map(|b| b.scaled)
        .unwrap_or_default()
}

/// The position's collateral of `asset`, rounded down.
pub fn collateral_amount(
    position: &Position,
    asset: &LoadedAsset,
) -> Result<Uint128, ContractError> {
    Ok(to_underlying_down(
        scaled_collateral(position, asset.id),
        asset.state.supply_index,
    )?)
}

/// The position's debt of `asset`, rounded up.
pub fn debt_amount(position: &Position, asset: &LoadedAsset) -> Result<Uint128, ContractError> {
    Ok(to_underlying_up(
        scaled_debt(position, asset.id),
        asset.state.borrow_index,
    )?)
}

fn add_scaled(
    list: &mut Vec<Balance>,
    id: AssetId,
    scaled: Uint128,
    mark: Option<cosmwasm_std::Decimal256>,
) -> Result<(), ContractError> {
    match list.iter_mut().find(|b| b.asset == id) {
        Some(b) => b.scaled = b.scaled.checked_add(scaled)?,
        None => list.push(Balance {
            asset: id,
            scaled,
            mark,
        }),
    }
    Ok(())
}

fn sub_scaled(list: &mut Vec<Balance>, id: AssetId, scaled: Uint128) -> Result<(), ContractError> {
    if let Some(b) = list.iter_mut().find(|b| b.asset == id) {
        b.scaled = b.scaled.checked_sub(scaled)?;
    } else if !scaled.is_zero() {
        return Err(cosmwasm_std::OverflowError::new(cosmwasm_std::OverflowOperation::Sub).into());
    }
    list.retain(|b| !b.scaled.is_zero());
    Ok(())
}

/// Fails when a change took the position from `before` distinct assets to more than `max`
/// (SPEC 3.3): adding to a denom already counted is always allowed, even above a lowered limit.
pub fn check_asset_count(
    position: &Position,
    position_id: PositionId,
    before: usize,
    max: u32,
) -> Result<(), ContractError> {
    let after = asset_ids(position).len();
    if after > before && after > max as usize {
        return Err(ContractError::TooManyAssets { position_id, max });
    }
    Ok(())
}

/// Whether the position holds asset `id`: as debt, or as collateral worth at least one base
/// unit (SPEC 3.3, "held").
pub fn holds(position: &Position, asset: &LoadedAsset) -> Result<bool, ContractError> {
    Ok(
        !scaled_debt(position, asset.id).is_zero()
            || !collateral_amount(position, asset)?.is_zero(),
    )
}

/// Deletes the collateral balance of `asset` when it is worth zero base units (SPEC 3.3): the
/// scaled remainder leaves `S_s` and its exact value goes to reserves, so `S + R` is unchanged
/// and no position keeps a balance that the queries do not show.
pub fn sweep_dust_collateral(
    position: &mut Position,
    asset: &mut LoadedAsset,
) -> Result<(), ContractError> {
    let scaled = scaled_collateral(position, asset.id);
    if scaled.is_zero() || !to_underlying_down(scaled, asset.state.supply_index)?.is_zero() {
        return Ok(());
    }
    let value = keel_math::to_underlying_exact(scaled, asset.state.supply_index)?;
    position.collateral.retain(|b| b.asset != asset.id);
    let state = asset.touch();
    state.scaled_supply = state.scaled_supply.checked_sub(scaled)?;
    state.reserves = state
        .reserves
        .checked_add(value)
        .map_err(|_| keel_math::MathError::Overflow("sweep_dust_collateral"))?;
    Ok(())
}

/// Credits `amount` of a pool asset as collateral (scaled rounded down: the depositor gets no
/// more than paid). The tokens have arrived: cash grows. Checks the supply cap.
pub fn deposit(
    position: &mut Position,
    asset: &mut LoadedAsset,
    amount: Uint128,
) -> Result<Uint128, ContractError> {
    let denom = asset.denom().to_string();
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    if asset.is_minted() {
        return Err(ContractError::CannotDepositMinted { denom });
    }
    let scaled = to_scaled_down(amount, asset.state.supply_index)?;
    // A balance worth zero base units is not held (SPEC 3.3): a deposit that would leave one
    // (a base unit at an index above 1 rounds down to nothing) is refused, not booked.
    let balance = scaled_collateral(position, asset.id).checked_add(scaled)?;
    if scaled.is_zero() || to_underlying_down(balance, asset.state.supply_index)?.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    let self_repay = position
        .automation
        .as_ref()
        .map(|a| a.self_repay)
        .unwrap_or(false);
    let mark = self_repay.then_some(asset.state.supply_index);
    if let (Some(index), Some(b)) = (
        mark,
        position.collateral.iter_mut().find(|b| b.asset == asset.id),
    ) {
        // A self-repay mark behind the index (interest pending, not yet taken for want of a
        // price): the new tokens join at today's index, so the mark becomes the scaled-weighted
        // mean and the pending interest stays exactly what it was (rounded down: taken in).
        if let Some(old) = b.mark.filter(|m| *m < index) {
            b.mark = Some(blend_mark(b.scaled, old, scaled, index)?);
        }
    }
    add_scaled(&mut position.collateral, asset.id, scaled, mark)?;
    let state = asset.touch();
    state.scaled_supply = state.scaled_supply.checked_add(scaled)?;
    state.cash = state.cash.checked_add(amount)?;
    if let Some(cap) = asset.info.params.supply_cap {
        let total = asset.total_supply()?;
        if total > cap {
            return Err(ContractError::SupplyCapExceeded { denom, total, cap });
        }
    }
    Ok(scaled)
}

/// `(held * mark + added * index) / (held + added)`, rounded down.
fn blend_mark(
    held: Uint128,
    mark: cosmwasm_std::Decimal256,
    added: Uint128,
    index: cosmwasm_std::Decimal256,
) -> Result<cosmwasm_std::Decimal256, ContractError> {
    use cosmwasm_std::Uint256;
    let total = Uint256::from(held).checked_add(Uint256::from(added))?;
    if total.is_zero() {
        return Ok(index);
    }
    let num = Uint256::from(held)
        .checked_mul(mark.atomics())?
        .checked_add(Uint256::from(added).checked_mul(index.atomics())?)?;
    let atoms = num
        .checked_div(total)
        .map_err(|_| keel_math::MathError::DivideByZero("blend_mark"))?;
    Ok(cosmwasm_std::Decimal256::new(atoms))
}

/// Removes `amount` of collateral (all when `None`), returning the tokens to pay out. The scaled
/// amount burnt rounds up; the amount paid for "all" rounds down. Checks pool cash.
pub fn withdraw(
    position: &mut Position,
    position_id: PositionId,
    asset: &mut LoadedAsset,
    amount: Option<Uint128>,
) -> Result<Uint128, ContractError> {
    let denom = asset.denom().to_string();
    let held_scaled = scaled_collateral(position, asset.id);
    let held = to_underlying_down(held_scaled, asset.state.supply_index)?;
    let (amount, scaled) = match amount {
        None => (held, held_scaled),
        Some(amount) => {
            if amount > held {
                return Err(ContractError::InsufficientCollateral {
                    position_id,
                    denom,
                    requested: amount,
                    available: held,
                });
            }
            // Burning rounds up, but never past the balance (amount <= held keeps it within).
            let scaled = to_scaled_up(amount, asset.state.supply_index)?.min(held_scaled);
            (amount, scaled)
        }
    };
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    if amount > asset.state.cash {
        return Err(ContractError::InsufficientLiquidity {
            denom,
            requested: amount,
            available: asset.state.cash,
        });
    }
    sub_scaled(&mut position.collateral, asset.id, scaled)?;
    let state = asset.touch();
    state.scaled_supply = state.scaled_supply.checked_sub(scaled)?;
    state.cash = state.cash.checked_sub(amount)?;
    // With a supply index above 1, what is left may be worth less than one base unit.
    sweep_dust_collateral(position, asset)?;
    Ok(amount)
}

/// Adds `amount` of debt (scaled rounded up: the borrower owes at least what was taken). For a
/// pool asset the tokens leave the pool: checks cash. Checks the borrow cap and the enable flag.
pub fn borrow(
    position: &mut Position,
    asset: &mut LoadedAsset,
    amount: Uint128,
) -> Result<(), ContractError> {
    let denom = asset.denom().to_string();
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    if !asset.info.params.borrow_enabled {
        return Err(ContractError::BorrowDisabled { denom });
    }
    if !asset.is_minted() && amount > asset.state.cash {
        return Err(ContractError::InsufficientLiquidity {
            denom,
            requested: amount,
            available: asset.state.cash,
        });
    }
    let scaled = to_scaled_up(amount, asset.state.borrow_index)?;
    add_scaled(&mut position.debt, asset.id, scaled, None)?;
    let minted = asset.is_minted();
    let state = asset.touch();
    state.scaled_debt = state.scaled_debt.checked_add(scaled)?;
    if !minted {
        state.cash = state.cash.checked_sub(amount)?;
    }
    if let Some(cap) = asset.info.params.borrow_cap {
        let total = asset.total_debt()?;
        if total > cap {
            return Err(ContractError::BorrowCapExceeded { denom, total, cap });
        }
    }
    Ok(())
}

/// Repays up to `amount` of the position's debt; returns what was repaid (the rest is excess).
/// A repayment that covers the debt clears it; otherwise the debt cancelled rounds down.
pub fn repay(
    position: &mut Position,
    asset: &mut LoadedAsset,
    amount: Uint128,
) -> Result<Uint128, ContractError> {
    let held_scaled = scaled_debt(position, asset.id);
    let debt = to_underlying_up(held_scaled, asset.state.borrow_index)?;
    let (repaid, scaled) = if amount >= debt {
        (debt, held_scaled)
    } else {
        (
            amount,
            to_scaled_down(amount, asset.state.borrow_index)?.min(held_scaled),
        )
    };
    sub_scaled(&mut position.debt, asset.id, scaled)?;
    let minted = asset.is_minted();
    let state = asset.touch();
    state.scaled_debt = state.scaled_debt.checked_sub(scaled)?;
    if !minted {
        state.cash = state.cash.checked_add(repaid)?;
    }
    Ok(repaid)
}

/// Which prices value a position: spot for liquidation and rebalancing, conservative
/// (`min`/`max` with the TWAP) for the borrow health floor, and for redemptions collateral at
/// `max(price, twap)` with debts at `price` (SPEC 3.6a).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pricing {
    Spot,
    Conservative,
    Redemption,
}

/// Health of a position (SPEC 3.3). Collateral of an asset with `collateral_enabled: false`
/// gives no borrowing credit (CF counts as 0) but still counts toward the liquidation limit, so
/// that disabling an asset never makes positions liquidatable at once. Valued conservatively
/// (the borrow health floor), collateral without a price counts as zero; every debt needs one.
pub fn health(
    position: &Position,
    assets: &Assets,
    prices: &Prices,
    pricing: Pricing,
) -> Result<Health, ContractError> {
    let conservative = pricing == Pricing::Conservative;
    if pricing != Pricing::Spot && !prices.has_twap() {
        // A bug, not a user error: the message fetched its prices without the TWAP.
        return Err(ContractError::Std(cosmwasm_std::StdError::generic_err(
            "valuing with the TWAP needs prices fetched with it",
        )));
    }
    let mut collateral = Vec::with_capacity(position.collateral.len());
    for b in &position.collateral {
        let asset = assets.get(b.asset)?;
        let price = match prices.get(b.asset, asset.denom()) {
            Ok(price) if pricing == Pricing::Redemption => price.redemption(),
            Ok(price) => price.collateral(conservative),
            // The floor check counts collateral without a valid price as zero (SPEC 3.3).
            Err(_) if conservative => continue,
            Err(e) => return Err(e),
        };
        let amount = to_underlying_down(b.scaled, asset.state.supply_index)?;
        let params = &asset.info.params;
        collateral.push(CollateralItem {
            value: value_down(amount, params.decimals, price)?,
            collateral_factor: if params.collateral_enabled {
                params.collateral_factor
            } else {
                Decimal::zero()
            },
            liquidation_threshold: params.liquidation_threshold,
        });
    }
    let mut debt = Vec::with_capacity(position.debt.len());
    for b in &position.debt {
        let asset = assets.get(b.asset)?;
        let price = prices.get(b.asset, asset.denom())?.debt(conservative);
        let amount = to_underlying_up(b.scaled, asset.state.borrow_index)?;
        debt.push(DebtItem {
            value: value_up(amount, asset.decimals(), price)?,
            borrow_factor: asset.info.params.borrow_factor,
        });
    }
    Ok(compute_health(&collateral, &debt)?)
}

/// The position's own health bounds, else the config default.
pub fn bounds<'a>(position: &'a Position, config: &'a Config) -> &'a HealthBounds {
    position
        .automation
        .as_ref()
        .and_then(|a| a.health.as_ref())
        .unwrap_or(&config.default_health)
}

/// Fails unless the position's HF, valued conservatively, is at least the borrow health floor.
pub fn check_health_floor(
    position: &Position,
    position_id: PositionId,
    assets: &Assets,
    prices: &Prices,
    config: &Config,
) -> Result<(), ContractError> {
    if position.debt.is_empty() {
        return Ok(());
    }
    let health = health(position, assets, prices, Pricing::Conservative)?;
    if let Some(hf) = health.health_factor {
        if hf < config.borrow_health_floor.into() {
            let unpriced = position.collateral.iter().find_map(|b| {
                let denom = assets.get(b.asset).ok()?.denom();
                prices
                    .get(b.asset, denom)
                    .is_err()
                    .then(|| denom.to_string())
            });
            return Err(ContractError::HealthBelowFloor {
                position_id,
                health_factor: hf,
                floor: config.borrow_health_floor,
                unpriced,
            });
        }
    }
    Ok(())
}

/// `amount` (computed to land on the borrow floor) when borrowing it keeps the conservative HF
/// at or above the floor, else `amount` less the rounding a borrow can add: with a borrow index
/// above 1 the new scaled debt and the debt read back both round up (up to `ceil(index)` base
/// units more than borrowed), and the debt's value and weighted value each round up by an
/// 18-decimal atom, which for a cheap 18-decimal asset is tens of base units (8 atoms covers
/// them). Checked on a copy: nothing is booked.
pub fn fit_to_floor(
    position: &Position,
    assets: &Assets,
    prices: &Prices,
    floor: Decimal,
    id: AssetId,
    amount: Uint128,
    price: Decimal,
) -> Result<Uint128, ContractError> {
    if amount.is_zero() {
        return Ok(amount);
    }
    let mut after = position.clone();
    let asset = assets.get(id)?;
    add_scaled(
        &mut after.debt,
        id,
        to_scaled_up(amount, asset.state.borrow_index)?,
        None,
    )?;
    let hf = health(&after, assets, prices, Pricing::Conservative)?.health_factor;
    if hf.map_or(true, |hf| hf >= Decimal256::from(floor)) {
        return Ok(amount);
    }
    let index = asset.state.borrow_index;
    let from_index = Uint128::try_from(index.to_uint_ceil()).unwrap_or(Uint128::MAX);
    let from_value = keel_math::amount_for_value_up(Decimal256::raw(8), asset.decimals(), price)?;
    Ok(amount.saturating_sub(from_index.saturating_add(from_value)))
}

/// Fails when the position's debt of `asset` is non-zero but worth less than `min_debt_value`.
pub fn check_min_debt(
    position: &Position,
    position_id: PositionId,
    asset: &LoadedAsset,
    price: Decimal,
    config: &Config,
) -> Result<(), ContractError> {
    let amount = debt_amount(position, asset)?;
    if amount.is_zero() {
        return Ok(());
    }
    let value = value_up(amount, asset.decimals(), price)?;
    if value < config.min_debt_value.into() {
        return Err(ContractError::DebtBelowMinimum {
            position_id,
            denom: asset.denom().to_string(),
            value,
            min: config.min_debt_value,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::Twap;

    fn with_debt() -> Position {
        Position {
            owner: cosmwasm_std::CanonicalAddr::from(b"owner".as_slice()),
            collateral: vec![],
            debt: vec![Balance {
                asset: 1,
                scaled: Uint128::new(1),
                mark: None,
            }],
            automation: None,
        }
    }

    #[test]
    fn conservative_health_refuses_prices_fetched_without_the_twap() {
        let position = with_debt();
        let assets = Assets::new(0);
        let err = health(
            &position,
            &assets,
            &Prices::new(Twap::Skip),
            Pricing::Conservative,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("needs prices fetched with it"), "{err}");
        // with the TWAP asked for, the check passes and valuation goes on (here: to the
        // missing asset)
        let err = health(
            &position,
            &assets,
            &Prices::new(Twap::Fetch),
            Pricing::Conservative,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(!err.contains("TWAP"), "{err}");
    }
}
