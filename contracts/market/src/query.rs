//! Queries (SPEC 3.8). Every figure is accrued to the current block time; a position query
//! never fails for want of a price.
use cosmwasm_std::{Addr, Api, Decimal, Decimal256, Deps, Env, Order, StdResult, Uint128};
use cw_storage_plus::Bound;
use keel_math::{
    band, borrow_to_target, to_underlying_down, to_underlying_up, value_down, value_up,
};
use keel_types::market::{
    AssetResponse, ConfigResponse, HealthResponse, LiquidatablePositionsResponse,
    MaxBorrowResponse, PositionBalance, PositionResponse, RedeemablePosition,
    RedeemablePositionsResponse, RedemptionQuoteResponse, SimulateAction, TopUpConsentResponse,
};
use keel_types::record::RecordError;

use crate::assets::{Assets, LoadedAsset};
use crate::error::ContractError;
use crate::execute::automation::{apply_self_repay, stored_to_automation};
use crate::execute::{liquidate, redeem, Touch};
use crate::position::{
    self, asset_ids, bounds, collateral_amount, debt_amount, health, load_position,
    load_position_assets, Pricing,
};
use crate::prices::{fetch_prices_lenient, Prices, Twap};
use crate::state::{
    AssetId, Config, Position, PositionId, DENOM_IDS, OWNER_POSITIONS, POSITIONS, TOP_UP_CONSENT,
};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 100;

fn limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let c = Config::load(deps.storage, deps.api)?;
    let ownership = cw_ownable::get_ownership(deps.storage)?;
    let moet_denom = match c.moet {
        Some(id) => Some(crate::state::ASSET_INFO.load(deps.storage, id)?.denom),
        None => None,
    };
    Ok(ConfigResponse {
        owner: ownership
            .owner
            .ok_or_else(|| cosmwasm_std::StdError::not_found("owner"))?,
        pending_owner: ownership.pending_owner,
        oracle: c.oracle,
        liquidator: c.liquidator,
        guardian: c.guardian,
        treasury: c.treasury,
        default_health: c.default_health,
        borrow_health_floor: c.borrow_health_floor,
        min_debt_value: c.min_debt_value,
        dust_debt_value: c.dust_debt_value,
        max_close_factor: c.max_close_factor,
        max_liquidation_bonus: c.max_liquidation_bonus,
        max_position_assets: c.max_position_assets,
        redemption_fee: c.redemption_fee,
        redemption_health: c.redemption_health,
        redemptions_paused: c.redemptions_paused,
        moet_denom,
    })
}

fn asset_response(asset: &LoadedAsset) -> Result<AssetResponse, ContractError> {
    Ok(AssetResponse {
        denom: asset.denom().to_string(),
        params: asset.info.params.clone(),
        supply_index: asset.state.supply_index,
        borrow_index: asset.state.borrow_index,
        total_supply: asset.total_supply()?,
        total_debt: asset.total_debt()?,
        reserves: asset.reserves(),
        deficit: asset.state.deficit,
        utilization: if asset.is_minted() {
            Decimal::zero()
        } else {
            asset.utilization()?
        },
        borrow_rate: asset.borrow_rate()?,
        supply_rate: asset.supply_rate()?,
        last_updated: asset.state.last_updated,
    })
}

pub fn asset(deps: Deps, env: Env, denom: String) -> Result<AssetResponse, ContractError> {
    let mut assets = Assets::new(env.block.time.seconds());
    let id = assets.load_denom(deps.storage, &denom)?;
    asset_response(assets.get(id)?)
}

pub fn assets(
    deps: Deps,
    env: Env,
    start_after: Option<String>,
    limit_: Option<u32>,
) -> Result<Vec<AssetResponse>, ContractError> {
    let mut assets = Assets::new(env.block.time.seconds());
    let start = start_after.as_deref().map(Bound::exclusive);
    let ids: Vec<AssetId> = DENOM_IDS
        .range(deps.storage, start, None, Order::Ascending)
        .take(limit(limit_))
        .map(|r| r.map(|(_, id)| id))
        .collect::<StdResult<_>>()?;
    ids.into_iter()
        .map(|id| {
            assets.load(deps.storage, id)?;
            asset_response(assets.get(id)?)
        })
        .collect()
}

/// The response for a position, given its loaded assets and whatever prices are available.
fn position_response(
    api: &dyn Api,
    position_id: PositionId,
    position: &Position,
    assets: &Assets,
    prices: &Prices,
    price_error: Option<String>,
    config: &crate::state::Config,
) -> Result<PositionResponse, ContractError> {
    let mut collateral = vec![];
    for b in &position.collateral {
        let asset = assets.get(b.asset)?;
        let amount = to_underlying_down(b.scaled, asset.state.supply_index)?;
        if amount.is_zero() {
            continue;
        }
        let value = match prices.get(b.asset, asset.denom()) {
            Ok(p) => Some(value_down(amount, asset.decimals(), p.price)?),
            Err(_) => None,
        };
        collateral.push(PositionBalance {
            denom: asset.denom().to_string(),
            amount,
            value,
        });
    }
    let mut debt = vec![];
    for b in &position.debt {
        let asset = assets.get(b.asset)?;
        let amount = to_underlying_up(b.scaled, asset.state.borrow_index)?;
        if amount.is_zero() {
            continue;
        }
        let value = match prices.get(b.asset, asset.denom()) {
            Ok(p) => Some(value_up(amount, asset.decimals(), p.price)?),
            Err(_) => None,
        };
        debt.push(PositionBalance {
            denom: asset.denom().to_string(),
            amount,
            value,
        });
    }
    let health = match price_error {
        Some(_) => None,
        None => {
            let h = health(position, assets, prices, Pricing::Spot)?;
            let band = band(&h, bounds(position, config));
            Some(HealthResponse {
                effective_collateral: h.effective_collateral,
                liquidation_limit: h.liquidation_limit,
                effective_debt: h.effective_debt,
                health_factor: h.health_factor,
                liquidation_health_factor: h.liquidation_health_factor,
                borrow_limit_used: h.borrow_limit_used,
                band,
            })
        }
    };
    Ok(PositionResponse {
        position_id,
        owner: api.addr_humanize(&position.owner)?,
        collateral,
        debt,
        health,
        automation: position
            .automation
            .as_ref()
            .map(|a| stored_to_automation(api, a))
            .transpose()?,
        price_error,
    })
}

/// Responses for several positions with one oracle query for all their assets.
fn position_responses(
    deps: Deps,
    env: &Env,
    positions: Vec<(PositionId, Position)>,
) -> Result<Vec<PositionResponse>, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let mut assets = Assets::new(env.block.time.seconds());
    let mut ids: Vec<AssetId> = vec![];
    for (_, p) in &positions {
        load_position_assets(deps.storage, p, &mut assets)?;
        for id in asset_ids(p) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let (prices, batch_error) =
        fetch_prices_lenient(&deps.querier, &config.oracle, &assets, &ids, Twap::Skip)?;
    positions
        .into_iter()
        .map(|(id, p)| {
            // Only a position that holds the unpriced denom reports it.
            let error = batch_error.as_ref().and_then(|_| {
                asset_ids(&p).into_iter().find_map(|a| {
                    let asset = assets.get(a).ok()?;
                    prices
                        .get(a, asset.denom())
                        .is_err()
                        .then(|| asset.denom().to_string())
                })
            });
            if error.is_none() && self_repays(&p) {
                // As of now (SPEC 3.2, 3.8): the pending self-repay applied, as the next touch
                // will apply it, with the prices already fetched for the batch.
                let owner = deps.api.addr_humanize(&p.owner)?;
                let mut touch =
                    Touch::with_position(deps.storage, env, config.clone(), id, p, owner)?;
                touch.set_prices(prices.clone());
                apply_self_repay(deps.storage, &deps.querier, &mut touch)?;
                return position_response(
                    deps.api,
                    id,
                    &touch.position,
                    &touch.assets,
                    &prices,
                    None,
                    &config,
                );
            }
            position_response(deps.api, id, &p, &assets, &prices, error, &config)
        })
        .collect()
}

fn self_repays(position: &Position) -> bool {
    position.automation.as_ref().is_some_and(|a| a.self_repay)
}

pub fn position(
    deps: Deps,
    env: Env,
    position_id: PositionId,
) -> Result<PositionResponse, ContractError> {
    let position = load_position(deps.storage, position_id)?;
    let mut all = position_responses(deps, &env, vec![(position_id, position)])?;
    all.pop()
        .ok_or(ContractError::PositionNotFound { position_id })
}

pub fn positions(
    deps: Deps,
    env: Env,
    owner: Option<String>,
    start_after: Option<PositionId>,
    limit_: Option<u32>,
) -> Result<Vec<PositionResponse>, ContractError> {
    let start = start_after.map(Bound::exclusive);
    let list: Vec<(PositionId, Position)> = match owner {
        Some(owner) => {
            let owner: Addr = deps.api.addr_validate(&owner)?;
            let owner = deps.api.addr_canonicalize(owner.as_str())?;
            let ids: Vec<PositionId> = OWNER_POSITIONS
                .prefix(owner.as_slice())
                .keys(deps.storage, start, None, Order::Ascending)
                .take(limit(limit_))
                .collect::<StdResult<_>>()?;
            ids.into_iter()
                .map(|id| Ok((id, load_position(deps.storage, id)?)))
                .collect::<Result<_, ContractError>>()?
        }
        None => POSITIONS
            .range(deps.storage, start_after)
            .take(limit(limit_))
            .collect::<Result<_, RecordError>>()?,
    };
    position_responses(deps, &env, list)
}

pub fn liquidatable_positions(
    deps: Deps,
    env: Env,
    start_after: Option<PositionId>,
    limit_: Option<u32>,
) -> Result<LiquidatablePositionsResponse, ContractError> {
    let scanned: Vec<(PositionId, Position)> = POSITIONS
        .range(deps.storage, start_after)
        .take(limit(limit_))
        .collect::<Result<_, RecordError>>()?;
    let last_scanned = scanned.last().map(|(id, _)| *id);
    let with_debt = scanned
        .into_iter()
        .filter(|(_, p)| !p.debt.is_empty())
        .collect();
    let positions = position_responses(deps, &env, with_debt)?
        .into_iter()
        .filter(|p| {
            p.health
                .as_ref()
                .and_then(|h| h.liquidation_health_factor)
                .map(|lhf| lhf < Decimal256::one())
                .unwrap_or(false)
        })
        .collect();
    Ok(LiquidatablePositionsResponse {
        positions,
        last_scanned,
    })
}

/// Loads a position with its assets and `extra` denoms, prices them in one query, and applies
/// a pending self-repay, as the next touch of the position would.
fn load_priced(
    deps: Deps,
    env: &Env,
    position_id: PositionId,
    extra: &[&str],
    twap: Twap,
) -> Result<(crate::state::Config, Position, Assets, Prices, Vec<AssetId>), ContractError> {
    let mut touch = Touch::load(deps, env, position_id)?;
    if twap == Twap::Skip {
        touch.skip_twap();
    }
    let mut extra_ids = vec![];
    for denom in extra {
        extra_ids.push(touch.include(deps.storage, denom)?);
    }
    if self_repays(&touch.position) && touch.config.moet.is_some() {
        touch.include_moet(deps.storage)?;
    }
    let prices = touch.prices(&deps.querier)?;
    apply_self_repay(deps.storage, &deps.querier, &mut touch)?;
    Ok((
        touch.config,
        touch.position,
        touch.assets,
        prices,
        extra_ids,
    ))
}

/// Borrowable amounts: to the position's target health at `price`, and down to the borrow
/// floor at conservative prices; both within the pool's cash and the borrow cap.
pub fn max_borrow(
    deps: Deps,
    env: Env,
    position_id: PositionId,
    denom: String,
) -> Result<MaxBorrowResponse, ContractError> {
    let (config, position, assets, prices, ids) =
        load_priced(deps, &env, position_id, &[&denom], Twap::Fetch)?;
    let id = ids.first().copied().ok_or(ContractError::UnknownAsset {
        denom: denom.clone(),
    })?;
    let asset = assets.get(id)?;
    let price = prices.get(id, &denom)?;
    let params = &asset.info.params;
    let spot = health(&position, &assets, &prices, Pricing::Spot)?;
    let safe = health(&position, &assets, &prices, Pricing::Conservative)?;
    let at_target = borrow_to_target(
        spot.effective_collateral,
        spot.effective_debt,
        bounds(&position, &config).target,
        params.decimals,
        price.price,
        params.borrow_factor,
    )?;
    let at_floor = borrow_to_target(
        safe.effective_collateral,
        safe.effective_debt,
        config.borrow_health_floor,
        params.decimals,
        price.debt(true),
        params.borrow_factor,
    )?;
    // So that borrowing exactly `at_floor` passes the floor check, rounding included.
    let at_floor = position::fit_to_floor(
        &position,
        &assets,
        &prices,
        config.borrow_health_floor,
        id,
        at_floor,
        price.debt(true),
    )?;
    let mut room = Uint128::MAX;
    if !asset.is_minted() {
        room = asset.state.cash;
    }
    if let Some(cap) = params.borrow_cap {
        room = room.min(cap.saturating_sub(asset.total_debt()?));
    }
    if !params.borrow_enabled {
        room = Uint128::zero();
    }
    Ok(MaxBorrowResponse {
        at_target: at_target.min(room),
        at_floor: at_floor.min(room),
    })
}

/// The position after `actions`, applied to a copy with the market's own bookkeeping.
pub fn simulate(
    deps: Deps,
    env: Env,
    position_id: PositionId,
    actions: Vec<SimulateAction>,
) -> Result<PositionResponse, ContractError> {
    let denoms: Vec<&str> = actions
        .iter()
        .map(|a| match a {
            SimulateAction::Deposit { denom, .. }
            | SimulateAction::Withdraw { denom, .. }
            | SimulateAction::Borrow { denom, .. }
            | SimulateAction::Repay { denom, .. } => denom.as_str(),
        })
        .collect();
    let (config, mut position, mut assets, prices, ids) =
        load_priced(deps, &env, position_id, &denoms, Twap::Skip)?;
    for (action, id) in actions.iter().zip(ids) {
        let asset = assets.get_mut(id)?;
        match action {
            SimulateAction::Deposit { amount, .. } => {
                position::deposit(&mut position, asset, *amount)?;
            }
            SimulateAction::Withdraw { amount, .. } => {
                let held = collateral_amount(&position, asset)?;
                let take = (*amount < held).then_some(*amount);
                position::withdraw(&mut position, position_id, asset, take)?;
            }
            SimulateAction::Borrow { amount, .. } => {
                position::borrow(&mut position, asset, *amount)?;
            }
            SimulateAction::Repay { amount, .. } => {
                position::repay(&mut position, asset, *amount)?;
            }
        }
    }
    position_response(
        deps.api,
        position_id,
        &position,
        &assets,
        &prices,
        None,
        &config,
    )
}

/// What `source` has left of its top-up consent for the position (SPEC 3.5).
pub fn top_up_consent(
    deps: Deps,
    position_id: PositionId,
    source: String,
) -> Result<TopUpConsentResponse, ContractError> {
    load_position(deps.storage, position_id)?;
    let source = deps.api.addr_validate(&source)?;
    let source = deps.api.addr_canonicalize(source.as_str())?;
    Ok(TopUpConsentResponse {
        amount: TOP_UP_CONSENT
            .may_load(deps.storage, (position_id, source.as_slice()))?
            .unwrap_or_default(),
    })
}

/// Whether `e` is a redemption refused for what the position or the market is now (a quote
/// answers `redeemable: false`), rather than bad input (a quote fails).
fn refuses_redemption(e: &ContractError) -> bool {
    matches!(
        e,
        ContractError::NotRedeemable { .. }
            | ContractError::CollateralNotHeld { .. }
            | ContractError::PricePending { .. }
            | ContractError::PriceUnavailable { .. }
            | ContractError::LiquidationHealthWouldFall { .. }
            | ContractError::DebtBelowMinimum { .. }
            | ContractError::InsufficientLiquidity { .. }
    )
}

/// What `redeem` of `amount` MOET (null: the cap) would do now, with the same computation
/// (SPEC 3.6a): interest and pending self-repay applied, redemption prices.
pub fn redemption_quote(
    deps: Deps,
    env: Env,
    position_id: PositionId,
    collateral_denom: String,
    amount: Option<Uint128>,
) -> Result<RedemptionQuoteResponse, ContractError> {
    let mut touch = Touch::load(deps, &env, position_id)?;
    touch.include_moet(deps.storage)?;
    let collateral = touch.include(deps.storage, &collateral_denom)?;
    let refused = |health: Option<Decimal256>| RedemptionQuoteResponse {
        redeemable: false,
        repay_amount: Uint128::zero(),
        collateral_out: Uint128::zero(),
        fee_value: Decimal256::zero(),
        health_before: health,
        health_after: health,
    };
    let prices = match touch.prices(&deps.querier) {
        Ok(prices) => prices,
        Err(e) if refuses_redemption(&e) => return Ok(refused(None)),
        Err(e) => return Err(e),
    };
    apply_self_repay(deps.storage, &deps.querier, &mut touch)?;
    let now = health(&touch.position, &touch.assets, &prices, Pricing::Redemption)?.health_factor;
    if touch.config.redemptions_paused {
        return Ok(refused(now));
    }
    let sent = amount.unwrap_or(Uint128::MAX);
    let planned = redeem::plan(&touch, &prices, collateral, sent)
        .and_then(|plan| Ok((redeem::apply(&mut touch, &prices, &plan)?, plan)));
    match planned {
        Ok((applied, plan)) => Ok(RedemptionQuoteResponse {
            redeemable: true,
            repay_amount: plan.amounts.repay,
            collateral_out: plan.amounts.collateral_out,
            fee_value: applied.fee_value,
            health_before: plan.health_before,
            health_after: applied.health_after,
        }),
        Err(e) if refuses_redemption(&e) => Ok(refused(now)),
        Err(e) => Err(e),
    }
}

/// Scans `limit` positions after `start_after` and returns those owing MOET whose HF at
/// redemption prices (pending self-repay applied) is below their redemption health. The LHF
/// rule of `redeem` is not applied here.
pub fn redeemable_positions(
    deps: Deps,
    env: Env,
    start_after: Option<PositionId>,
    limit_: Option<u32>,
) -> Result<RedeemablePositionsResponse, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let scanned: Vec<(PositionId, Position)> = POSITIONS
        .range(deps.storage, start_after)
        .take(limit(limit_))
        .collect::<Result<_, RecordError>>()?;
    let last_scanned = scanned.last().map(|(id, _)| *id);
    let Some(moet) = config.moet else {
        return Ok(RedeemablePositionsResponse {
            positions: vec![],
            last_scanned,
        });
    };
    let owing: Vec<(PositionId, Position)> = scanned
        .into_iter()
        .filter(|(_, p)| !position::scaled_debt(p, moet).is_zero())
        .collect();
    // One oracle query for every asset of the positions that owe MOET.
    let mut assets = Assets::new(env.block.time.seconds());
    let mut ids: Vec<AssetId> = vec![];
    for (_, p) in &owing {
        load_position_assets(deps.storage, p, &mut assets)?;
        for id in asset_ids(p) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let (prices, _) =
        fetch_prices_lenient(&deps.querier, &config.oracle, &assets, &ids, Twap::Fetch)?;
    let mut positions = vec![];
    for (id, p) in owing {
        let priced = asset_ids(&p).into_iter().all(|a| {
            assets
                .get(a)
                .is_ok_and(|asset| prices.get(a, asset.denom()).is_ok())
        });
        if !priced {
            continue;
        }
        let owner = deps.api.addr_humanize(&p.owner)?;
        let mut touch = Touch::with_position(deps.storage, &env, config.clone(), id, p, owner)?;
        touch.set_prices(prices.clone());
        apply_self_repay(deps.storage, &deps.querier, &mut touch)?;
        let moet_debt = debt_amount(&touch.position, touch.assets.get(moet)?)?;
        let hf =
            health(&touch.position, &touch.assets, &prices, Pricing::Redemption)?.health_factor;
        let target = Decimal256::from(redeem::threshold(&touch));
        if let Some(hf) = hf.filter(|hf| *hf < target && !moet_debt.is_zero()) {
            positions.push(RedeemablePosition {
                position_id: id,
                health_factor: hf,
                moet_debt,
            });
        }
    }
    Ok(RedeemablePositionsResponse {
        positions,
        last_scanned,
    })
}

/// The liquidator's `quote`: what `liquidate` with its close factor and bonus would do now, from
/// the same computation as the settlement (pending self-repay applied, prices at `price`).
pub fn liquidation_quote(
    deps: Deps,
    env: Env,
    position_id: PositionId,
    (debt_denom, collateral_denom): (String, String),
    (close_factor, bonus): (Decimal, Decimal),
    repay_amount: Option<Uint128>,
) -> Result<keel_types::liquidator::QuoteResponse, ContractError> {
    let mut touch = Touch::load(deps, &env, position_id)?;
    touch.skip_twap();
    let debt = touch.include(deps.storage, &debt_denom)?;
    let collateral = touch.include(deps.storage, &collateral_denom)?;
    if self_repays(&touch.position) && touch.config.moet.is_some() {
        touch.include_moet(deps.storage)?;
    }
    let prices = touch.prices(&deps.querier)?;
    apply_self_repay(deps.storage, &deps.querier, &mut touch)?;
    liquidate::quote(
        &mut touch,
        &prices,
        debt,
        collateral,
        close_factor,
        bonus,
        repay_amount,
    )
}
