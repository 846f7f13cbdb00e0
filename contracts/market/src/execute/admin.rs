//! Owner and guardian messages: config, ownership, asset listing, reserves (SPEC 3.1, 3.7).
use cosmwasm_std::{Addr, Api, Decimal, DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use cw20::Cw20ExecuteMsg;
use keel_math::HealthBounds;
use keel_types::market::{AssetKind, AssetParams, ConfigUpdate, InstantiateMsg};

use super::{cw20_address, cw20_msg, send_tokens};
use crate::assets::Assets;
use crate::error::ContractError;
use crate::state::{
    AssetInfo, AssetState, Config, ASSET_COUNT, ASSET_INFO, ASSET_STATE, DEFAULT_REDEMPTION_FEE,
    DEFAULT_REDEMPTION_HEALTH, DENOM_IDS,
};

/// Most assets one position may be allowed to hold: bounds the gas of every health check.
pub const MAX_POSITION_ASSETS_LIMIT: u32 = 32;

pub fn default_health() -> HealthBounds {
    HealthBounds {
        min: Decimal::percent(110),
        target: Decimal::percent(130),
        max: Decimal::percent(150),
    }
}

fn invalid(reason: &str) -> ContractError {
    ContractError::InvalidConfig {
        reason: reason.to_string(),
    }
}

/// Checks the rules every config must satisfy.
pub fn validate_config(config: &Config) -> Result<(), ContractError> {
    config
        .default_health
        .validate()
        .map_err(|e| invalid(&e.to_string()))?;
    if config.borrow_health_floor < Decimal::one() {
        return Err(invalid("borrow_health_floor must be at least 1"));
    }
    if config.max_close_factor.is_zero() || config.max_close_factor > Decimal::one() {
        return Err(invalid("max_close_factor must be in (0, 1]"));
    }
    if config.max_liquidation_bonus >= Decimal::one() {
        return Err(invalid("max_liquidation_bonus must be below 1"));
    }
    if config.max_position_assets == 0 || config.max_position_assets > MAX_POSITION_ASSETS_LIMIT {
        return Err(invalid("max_position_assets must be in 1..=32"));
    }
    if config.redemption_fee < Decimal::permille(1) || config.redemption_fee > Decimal::percent(10)
    {
        return Err(invalid("redemption_fee must be in [0.001, 0.1]"));
    }
    if config.redemption_health <= Decimal::one() {
        return Err(invalid("redemption_health must be above 1"));
    }
    Ok(())
}

fn opt_addr(
    api: &dyn Api,
    addr: Option<String>,
) -> Result<Option<cosmwasm_std::Addr>, ContractError> {
    Ok(addr.map(|a| api.addr_validate(&a)).transpose()?)
}

pub fn config_from_instantiate(
    api: &dyn Api,
    msg: InstantiateMsg,
) -> Result<Config, ContractError> {
    let config = Config {
        oracle: api.addr_validate(&msg.oracle)?,
        liquidator: opt_addr(api, msg.liquidator)?,
        guardian: opt_addr(api, msg.guardian)?,
        treasury: opt_addr(api, msg.treasury)?,
        default_health: msg.default_health.unwrap_or_else(default_health),
        borrow_health_floor: msg.borrow_health_floor.unwrap_or(Decimal::one()),
        min_debt_value: msg.min_debt_value.unwrap_or(Decimal::one()),
        dust_debt_value: msg
            .dust_debt_value
            .unwrap_or(Decimal::from_ratio(10u128, 1u128)),
        max_close_factor: msg.max_close_factor.unwrap_or(Decimal::percent(50)),
        max_liquidation_bonus: msg.max_liquidation_bonus.unwrap_or(Decimal::percent(15)),
        max_position_assets: msg.max_position_assets.unwrap_or(10),
        redemption_fee: msg.redemption_fee.unwrap_or(DEFAULT_REDEMPTION_FEE),
        redemption_health: msg.redemption_health.unwrap_or(DEFAULT_REDEMPTION_HEALTH),
        redemptions_paused: false,
        moet: None,
    };
    validate_config(&config)?;
    Ok(config)
}

/// Fails unless `sender` is the contract's owner (cw-ownable's record).
pub fn require_owner(
    storage: &dyn Storage,
    sender: &Addr,
    action: &str,
) -> Result<(), ContractError> {
    cw_ownable::assert_owner(storage, sender)
        .map_err(|_| ContractError::unauthorized(action, sender))
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    require_owner(deps.storage, &info.sender, "update_config")?;
    let mut config = Config::load(deps.storage, deps.api)?;
    let api = deps.api;
    if let Some(oracle) = update.oracle {
        config.oracle = api.addr_validate(&oracle)?;
    }
    if let Some(a) = opt_addr(api, update.liquidator)? {
        config.liquidator = Some(a);
    }
    if let Some(a) = opt_addr(api, update.guardian)? {
        config.guardian = Some(a);
    }
    if let Some(a) = opt_addr(api, update.treasury)? {
        config.treasury = Some(a);
    }
    if let Some(v) = update.default_health {
        config.default_health = v;
    }
    if let Some(v) = update.borrow_health_floor {
        config.borrow_health_floor = v;
    }
    if let Some(v) = update.min_debt_value {
        config.min_debt_value = v;
    }
    if let Some(v) = update.dust_debt_value {
        config.dust_debt_value = v;
    }
    if let Some(v) = update.max_close_factor {
        config.max_close_factor = v;
    }
    if let Some(v) = update.max_liquidation_bonus {
        config.max_liquidation_bonus = v;
    }
    if let Some(v) = update.max_position_assets {
        config.max_position_assets = v;
    }
    if let Some(v) = update.redemption_fee {
        config.redemption_fee = v;
    }
    if let Some(v) = update.redemption_health {
        config.redemption_health = v;
    }
    validate_config(&config)?;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

/// Owner: pauses or resumes redemptions. Guardian: may only pause them.
pub fn set_redemptions_paused(
    deps: DepsMut,
    info: MessageInfo,
    paused: bool,
) -> Result<Response, ContractError> {
    let mut config = Config::load(deps.storage, deps.api)?;
    let guardian_pauses = paused && config.guardian.as_ref() == Some(&info.sender);
    if !guardian_pauses {
        require_owner(deps.storage, &info.sender, "set_redemptions_paused")?;
    }
    config.redemptions_paused = paused;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "set_redemptions_paused")
        .add_attribute("paused", paused.to_string()))
}

/// Owner: proposes `new_owner` (a later proposal replaces an earlier one).
pub fn transfer_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new_owner: String,
) -> Result<Response, ContractError> {
    require_owner(deps.storage, &info.sender, "transfer_ownership")?;
    let new_owner = deps.api.addr_validate(&new_owner)?;
    cw_ownable::update_ownership(
        deps,
        &env.block,
        &info.sender,
        cw_ownable::Action::TransferOwnership {
            new_owner: new_owner.to_string(),
            expiry: None,
        },
    )
    .map_err(|_| ContractError::unauthorized("transfer_ownership", &info.sender))?;
    Ok(Response::new()
        .add_attribute("action", "transfer_ownership")
        .add_attribute("pending_owner", new_owner))
}

/// The pending owner becomes the owner.
pub fn accept_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    cw_ownable::update_ownership(
        deps,
        &env.block,
        &info.sender,
        cw_ownable::Action::AcceptOwnership,
    )
    .map_err(|_| ContractError::unauthorized("accept_ownership", &info.sender))?;
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("owner", info.sender))
}

/// Checks asset params (SPEC 3.1); the error names the denom and the rule.
pub fn validate_params(
    api: &dyn Api,
    denom: &str,
    params: &AssetParams,
) -> Result<(), ContractError> {
    let fail = |reason: &str| ContractError::InvalidParams {
        denom: denom.to_string(),
        reason: reason.to_string(),
    };
    if denom.is_empty() {
        return Err(fail("empty denom"));
    }
    if let Some(addr) = cw20_address(denom) {
        api.addr_validate(addr)
            .map_err(|_| fail("cw20 denom must be cw20:<valid address>"))?;
    }
    if params.decimals > 18 {
        return Err(fail("decimals must be at most 18"));
    }
    if params.collateral_factor > Decimal::one() {
        return Err(fail("collateral_factor must be at most 1"));
    }
    if params.liquidation_threshold < params.collateral_factor {
        return Err(fail(
            "liquidation_threshold must be at least collateral_factor",
        ));
    }
    if params.liquidation_threshold > Decimal::one() {
        return Err(fail("liquidation_threshold must be at most 1"));
    }
    if params.borrow_factor < Decimal::one() {
        return Err(fail("borrow_factor must be at least 1"));
    }
    if params.reserve_factor > Decimal::one() {
        return Err(fail("reserve_factor must be at most 1"));
    }
    params
        .rate_model
        .validate()
        .map_err(|e| fail(&e.to_string()))?;
    if params.kind == AssetKind::Minted {
        if cw20_address(denom).is_none() {
            return Err(fail("a minted asset must be a cw20 token (cw20:<address>)"));
        }
        if !params.collateral_factor.is_zero() || !params.liquidation_threshold.is_zero() {
            return Err(fail(
                "a minted asset cannot be collateral: CF and LT must be 0",
            ));
        }
        if !matches!(params.rate_model, keel_math::RateModel::Fixed { .. }) {
            return Err(fail("a minted asset needs a fixed rate model"));
        }
        if params.supply_cap.is_some() {
            return Err(fail(
                "a minted asset cannot be supplied: supply_cap must be null",
            ));
        }
    }
    Ok(())
}

pub fn list_asset(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    params: AssetParams,
) -> Result<Response, ContractError> {
    require_owner(deps.storage, &info.sender, "list_asset")?;
    let mut config = Config::load(deps.storage, deps.api)?;
    validate_params(deps.api, &denom, &params)?;
    if DENOM_IDS.has(deps.storage, &denom) {
        return Err(ContractError::AssetAlreadyListed { denom });
    }
    let id = ASSET_COUNT.may_load(deps.storage)?.unwrap_or(0);
    if params.kind == AssetKind::Minted {
        if let Some(moet) = config.moet {
            let existing = ASSET_INFO.load(deps.storage, moet)?;
            return Err(ContractError::MintedAssetExists {
                denom: existing.denom,
            });
        }
        config.moet = Some(id);
        config.save(deps.storage, deps.api)?;
    }
    let next = id
        .checked_add(1)
        .ok_or_else(|| invalid("too many assets"))?;
    ASSET_COUNT.save(deps.storage, &next)?;
    DENOM_IDS.save(deps.storage, &denom, &id)?;
    ASSET_INFO.save(
        deps.storage,
        id,
        &AssetInfo {
            denom: denom.clone(),
            params,
        },
    )?;
    ASSET_STATE.save(deps.storage, id, &AssetState::new(env.block.time.seconds()))?;
    Ok(Response::new()
        .add_attribute("action", "list_asset")
        .add_attribute("denom", denom)
        .add_attribute("asset_id", id.to_string()))
}

/// Owner: any params but `kind` and `decimals` (the books depend on them). Guardian: only
/// turning deposits and/or borrows off. Interest is accrued under the old params first.
pub fn update_asset(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    params: AssetParams,
) -> Result<Response, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let mut assets = Assets::new(env.block.time.seconds());
    let id = assets.load_denom(deps.storage, &denom)?;
    let current = assets.get(id)?.info.params.clone();
    if cw_ownable::is_owner(deps.storage, &info.sender)? {
        validate_params(deps.api, &denom, &params)?;
        if params.kind != current.kind || params.decimals != current.decimals {
            return Err(ContractError::InvalidParams {
                denom,
                reason: "kind and decimals cannot change".to_string(),
            });
        }
    } else if config.guardian.as_ref() == Some(&info.sender) {
        let only_disables = AssetParams {
            deposit_enabled: current.deposit_enabled,
            borrow_enabled: current.borrow_enabled,
            ..params.clone()
        } == current
            && (params.deposit_enabled <= current.deposit_enabled)
            && (params.borrow_enabled <= current.borrow_enabled);
        if !only_disables {
            return Err(ContractError::unauthorized(
                "update_asset (the guardian may only disable deposits and borrows)",
                &info.sender,
            ));
        }
    } else {
        return Err(ContractError::unauthorized("update_asset", &info.sender));
    }
    assets.get_mut(id)?.touch();
    assets.save(deps.storage, None)?;
    ASSET_INFO.save(
        deps.storage,
        id,
        &AssetInfo {
            denom: denom.clone(),
            params,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "update_asset")
        .add_attribute("denom", denom))
}

/// At most reserves minus deficit, and at most the pool's cash; minted MOET is minted.
pub fn withdraw_reserves(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    denom: String,
    amount: Uint128,
    recipient: Option<String>,
) -> Result<Response, ContractError> {
    require_owner(deps.storage, &info.sender, "withdraw_reserves")?;
    let config = Config::load(deps.storage, deps.api)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    let recipient = match recipient {
        Some(r) => deps.api.addr_validate(&r)?,
        None => config.treasury.clone().unwrap_or(info.sender.clone()),
    };
    let mut assets = Assets::new(env.block.time.seconds());
    let id = assets.load_denom(deps.storage, &denom)?;
    let asset = assets.get_mut(id)?;
    let available = asset.reserves().saturating_sub(asset.state.deficit);
    if amount > available {
        return Err(ContractError::InsufficientReserves {
            denom,
            requested: amount,
            available,
        });
    }
    let minted = asset.is_minted();
    if !minted && amount > asset.state.cash {
        return Err(ContractError::InsufficientLiquidity {
            denom,
            requested: amount,
            available: asset.state.cash,
        });
    }
    let state = asset.touch();
    state.reserves = state
        .reserves
        .checked_sub(cosmwasm_std::Decimal256::from_ratio(amount, 1u128))
        .map_err(ContractError::Overflow)?;
    if !minted {
        state.cash = state.cash.checked_sub(amount)?;
    }
    assets.save(deps.storage, None)?;
    let msg = if minted {
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
    Ok(Response::new()
        .add_message(msg)
        .add_attribute("action", "withdraw_reserves")
        .add_attribute("denom", denom)
        .add_attribute("amount", amount)
        .add_attribute("recipient", recipient))
}
