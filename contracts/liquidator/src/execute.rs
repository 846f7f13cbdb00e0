//! Instantiation, liquidation, admin and migration.
use cosmwasm_std::{
    coins, from_json, to_json_binary, Addr, BankMsg, CosmosMsg, Decimal, DepsMut, MessageInfo,
    Response, Uint128, WasmMsg,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use keel_types::liquidator::{InstantiateMsg, ReceiveMsg};
use keel_types::market::{ExecuteMsg as MarketExecuteMsg, ReceiveMsg as MarketReceiveMsg};

use crate::contract::{CONTRACT_NAME, CONTRACT_VERSION};
use crate::error::ContractError;
use crate::liquidation::{compute_amounts, query_context};
use crate::state::Config;

/// Default share of a debt one liquidation may repay.
pub const DEFAULT_CLOSE_FACTOR: Decimal = Decimal::percent(20);
/// Default liquidation bonus.
pub const DEFAULT_LIQUIDATION_BONUS: Decimal = Decimal::percent(3);

/// The prefix of a cw20 token's denom: `cw20:<contract address>` (SPEC 1).
pub const CW20_PREFIX: &str = "cw20:";

/// `0 < close_factor <= 1` and `liquidation_bonus < 1`.
pub fn validate_factors(close_factor: Decimal, bonus: Decimal) -> Result<(), ContractError> {
    if close_factor.is_zero() || close_factor > Decimal::one() {
        return Err(ContractError::InvalidConfig {
            reason: format!("close_factor {close_factor} must be in (0, 1]"),
        });
    }
    if bonus >= Decimal::one() {
        return Err(ContractError::InvalidConfig {
            reason: format!("liquidation_bonus {bonus} must be below 1"),
        });
    }
    Ok(())
}

pub fn instantiate(deps: DepsMut, msg: InstantiateMsg) -> Result<Response, ContractError> {
    let owner = deps.api.addr_validate(&msg.owner)?;
    let market = deps.api.addr_validate(&msg.market)?;
    let close_factor = msg.close_factor.unwrap_or(DEFAULT_CLOSE_FACTOR);
    let liquidation_bonus = msg.liquidation_bonus.unwrap_or(DEFAULT_LIQUIDATION_BONUS);
    validate_factors(close_factor, liquidation_bonus)?;

    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Config {
        owner: owner.clone(),
        pending_owner: None,
        market: market.clone(),
        close_factor,
        liquidation_bonus,
    }
    .save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner)
        .add_attribute("market", market)
        .add_attribute("close_factor", close_factor.to_string())
        .add_attribute("liquidation_bonus", liquidation_bonus.to_string()))
}

/// The fields of `liquidate`, whichever way the repayment came.
#[derive(Clone, Debug, PartialEq)]
pub struct LiquidateArgs {
    pub position_id: u64,
    pub debt_denom: String,
    pub collateral_denom: String,
    pub min_collateral_out: Option<Uint128>,
}

/// How the repayment arrived, and so how it is forwarded and refunded.
#[derive(Clone, Debug, PartialEq)]
enum Payment {
    Native { denom: String },
    Cw20 { token: Addr },
}

/// `liquidate` with native funds: exactly one coin, of the debt denom.
pub fn liquidate_native(
    deps: DepsMut,
    info: MessageInfo,
    args: LiquidateArgs,
) -> Result<Response, ContractError> {
    let coin = match info.funds.as_slice() {
        [] => return Err(ContractError::NoFunds),
        [coin] => coin,
        _ => {
            return Err(ContractError::WrongFunds {
                reason: format!(
                    "send exactly one coin, of the debt denom {}; got {} coins",
                    args.debt_denom,
                    info.funds.len()
                ),
            })
        }
    };
    if coin.denom.starts_with(CW20_PREFIX) {
        // Reserved for cw20 tokens (SPEC 1): never a native coin.
        return Err(ContractError::WrongFunds {
            reason: format!(
                "native denom {} uses the reserved prefix {CW20_PREFIX}",
                coin.denom
            ),
        });
    }
    if coin.denom != args.debt_denom {
        return Err(ContractError::WrongFunds {
            reason: format!(
                "sent {} but the debt denom is {}",
                coin.denom, args.debt_denom
            ),
        });
    }
    if coin.amount.is_zero() {
        return Err(ContractError::ZeroAmount {
            denom: coin.denom.clone(),
        });
    }
    let payment = Payment::Native {
        denom: coin.denom.clone(),
    };
    liquidate(deps, info.sender, coin.amount, payment, args)
}

/// `liquidate` through cw20 `send`: the sending token contract must be the debt denom.
pub fn receive_cw20(
    deps: DepsMut,
    info: MessageInfo,
    wrapper: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let ReceiveMsg::Liquidate {
        position_id,
        debt_denom,
        collateral_denom,
        min_collateral_out,
    } = from_json(&wrapper.msg)?;
    let token = info.sender;
    let sent_denom = format!("{CW20_PREFIX}{token}");
    if sent_denom != debt_denom {
        return Err(ContractError::WrongFunds {
            reason: format!("sent {sent_denom} but the debt denom is {debt_denom}"),
        });
    }
    if wrapper.amount.is_zero() {
        // cw20-base 2.x forwards a `send` of zero (SPEC 5).
        return Err(ContractError::ZeroAmount { denom: sent_denom });
    }
    let caller = deps.api.addr_validate(&wrapper.sender)?;
    let args = LiquidateArgs {
        position_id,
        debt_denom,
        collateral_denom,
        min_collateral_out,
    };
    liquidate(deps, caller, wrapper.amount, Payment::Cw20 { token }, args)
}

/// Prices the liquidation from the market's context, refunds what is not used and asks the
/// market to `seize`, the collateral going straight to `caller`.
fn liquidate(
    deps: DepsMut,
    caller: Addr,
    sent: Uint128,
    payment: Payment,
    args: LiquidateArgs,
) -> Result<Response, ContractError> {
    let config = Config::load(deps.storage, deps.api)?;
    let LiquidateArgs {
        position_id,
        debt_denom,
        collateral_denom,
        min_collateral_out,
    } = args;

    let ctx = query_context(
        &deps.querier,
        &config,
        position_id,
        &debt_denom,
        &collateral_denom,
    )?;
    if !ctx.liquidatable {
        return Err(ContractError::NotLiquidatable { position_id });
    }
    let amounts = compute_amounts(&config, &ctx, sent)?;
    let repay = amounts.repay;
    let seize = amounts.seize;
    if repay.is_zero() {
        return Err(ContractError::ZeroRepay { position_id });
    }
    if seize.is_zero() {
        return Err(ContractError::ZeroCollateralOut { position_id });
    }
    if let Some(min) = min_collateral_out {
        if seize < min {
            return Err(ContractError::SlippageExceeded {
                collateral_out: seize,
                min_collateral_out: min,
            });
        }
    }
    let refund = sent.checked_sub(repay)?;

    let mut messages: Vec<CosmosMsg> = Vec::with_capacity(2);
    match &payment {
        Payment::Native { denom } => {
            if !refund.is_zero() {
                messages.push(
                    BankMsg::Send {
                        to_address: caller.to_string(),
                        amount: coins(refund.u128(), denom),
                    }
                    .into(),
                );
            }
            messages.push(
                WasmMsg::Execute {
                    contract_addr: config.market.to_string(),
                    msg: to_json_binary(&MarketExecuteMsg::Seize {
                        position_id,
                        debt_denom: debt_denom.clone(),
                        repay_amount: repay,
                        collateral_denom: collateral_denom.clone(),
                        collateral_amount: seize,
                        recipient: caller.to_string(),
                    })?,
                    funds: coins(repay.u128(), denom),
                }
                .into(),
            );
        }
        Payment::Cw20 { token } => {
            if !refund.is_zero() {
                messages.push(
                    WasmMsg::Execute {
                        contract_addr: token.to_string(),
                        msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                            recipient: caller.to_string(),
                            amount: refund,
                        })?,
                        funds: vec![],
                    }
                    .into(),
                );
            }
            messages.push(
                WasmMsg::Execute {
                    contract_addr: token.to_string(),
                    msg: to_json_binary(&Cw20ExecuteMsg::Send {
                        contract: config.market.to_string(),
                        amount: repay,
                        msg: to_json_binary(&MarketReceiveMsg::Seize {
                            position_id,
                            debt_denom: debt_denom.clone(),
                            repay_amount: repay,
                            collateral_denom: collateral_denom.clone(),
                            collateral_amount: seize,
                            recipient: caller.to_string(),
                        })?,
                    })?,
                    funds: vec![],
                }
                .into(),
            );
        }
    }

    Ok(Response::new()
        .add_messages(messages)
        .add_attribute("action", "liquidate")
        .add_attribute("position_id", position_id.to_string())
        .add_attribute("debt_denom", debt_denom)
        .add_attribute("repay_amount", repay)
        .add_attribute("collateral_denom", collateral_denom)
        .add_attribute("collateral_amount", seize)
        .add_attribute("refund", refund)
        .add_attribute("liquidator", caller))
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    market: Option<String>,
    close_factor: Option<Decimal>,
    liquidation_bonus: Option<Decimal>,
) -> Result<Response, ContractError> {
    let mut config = Config::load(deps.storage, deps.api)?;
    if info.sender != config.owner {
        return Err(ContractError::Unauthorized);
    }
    if let Some(market) = market {
        config.market = deps.api.addr_validate(&market)?;
    }
    if let Some(close_factor) = close_factor {
        config.close_factor = close_factor;
    }
    if let Some(bonus) = liquidation_bonus {
        config.liquidation_bonus = bonus;
    }
    validate_factors(config.close_factor, config.liquidation_bonus)?;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("market", config.market)
        .add_attribute("close_factor", config.close_factor.to_string())
        .add_attribute("liquidation_bonus", config.liquidation_bonus.to_string()))
}

/// Owner only: proposes `new_owner`, who becomes the owner on `accept_ownership`. A later
/// proposal replaces an earlier one.
pub fn transfer_ownership(
    deps: DepsMut,
    info: MessageInfo,
    new_owner: String,
) -> Result<Response, ContractError> {
    let mut config = Config::load(deps.storage, deps.api)?;
    if info.sender != config.owner {
        return Err(ContractError::Unauthorized);
    }
    let new_owner = deps.api.addr_validate(&new_owner)?;
    config.pending_owner = Some(new_owner.clone());
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_ownership")
        .add_attribute("pending_owner", new_owner))
}

/// The pending owner only.
pub fn accept_ownership(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let mut config = Config::load(deps.storage, deps.api)?;
    let pending = config
        .pending_owner
        .take()
        .ok_or(ContractError::NoPendingOwner)?;
    if info.sender != pending {
        return Err(ContractError::Unauthorized);
    }
    config.owner = pending.clone();
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "accept_ownership")
        .add_attribute("owner", pending))
}

/// Refuses another contract's state and a downgrade, then records this version.
pub fn migrate(deps: DepsMut) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract {
            stored: stored.contract,
            expected: CONTRACT_NAME.to_string(),
        });
    }
    let stored_version = parse_version(&stored.version)?;
    let new_version = parse_version(CONTRACT_VERSION)?;
    if stored_version > new_version {
        return Err(ContractError::CannotDowngrade {
            stored: stored.version,
            new: CONTRACT_VERSION.to_string(),
        });
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

fn parse_version(version: &str) -> Result<semver::Version, ContractError> {
    semver::Version::parse(version).map_err(|e| ContractError::InvalidVersion {
        version: version.to_string(),
        reason: e.to_string(),
    })
}
