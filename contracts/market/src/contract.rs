//! Entry points: thin dispatch to one handler per message.
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{from_json, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use keel_types::market::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, ReceiveMsg};

use crate::error::ContractError;
use crate::execute::automation::{allow_top_up, disallow_top_up, rebalance, set_automation};
use crate::execute::seize::{seize, SeizeArgs};
use crate::execute::{admin, nonpayable, user, Payment};
use crate::query;

pub const CONTRACT_NAME: &str = "crates.io:keel-market";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let config = admin::config_from_instantiate(deps.api, msg)?;
    config.save(deps.storage, deps.api)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", config.owner)
        .add_attribute("oracle", config.oracle))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::OpenPosition {
            automation,
            push_to_draw_down_sink,
        } => {
            let payments = Payment::from_funds(&info)?;
            user::open_position(
                deps,
                env,
                info.sender,
                payments,
                automation,
                push_to_draw_down_sink,
            )
        }
        ExecuteMsg::Deposit {
            position_id,
            push_to_draw_down_sink,
        } => {
            let payments = Payment::from_funds(&info)?;
            user::deposit(
                deps,
                env,
                info.sender,
                position_id,
                payments,
                push_to_draw_down_sink,
            )
        }
        ExecuteMsg::Repay { position_id } => {
            let payment = Payment::single(Payment::from_funds(&info)?)?;
            user::repay(deps, env, position_id, payment)
        }
        ExecuteMsg::Seize {
            position_id,
            debt_denom,
            repay_amount,
            collateral_denom,
            collateral_amount,
            recipient,
        } => {
            let mut payment = Payment::single(Payment::from_funds(&info)?)?;
            payment.payer = info.sender;
            seize(
                deps,
                env,
                payment,
                SeizeArgs {
                    position_id,
                    debt_denom,
                    repay_amount,
                    collateral_denom,
                    collateral_amount,
                    recipient,
                },
            )
        }
        ExecuteMsg::Receive(cw20_msg) => receive(deps, env, info, cw20_msg),
        msg => {
            nonpayable(&info)?;
            execute_nonpayable(deps, env, info, msg)
        }
    }
}

fn execute_nonpayable(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::ListAsset { denom, params } => {
            admin::list_asset(deps, env, info, denom, params)
        }
        ExecuteMsg::UpdateAsset { denom, params } => {
            admin::update_asset(deps, env, info, denom, params)
        }
        ExecuteMsg::UpdateConfig(update) => admin::update_config(deps, info, update),
        ExecuteMsg::TransferOwnership { new_owner } => {
            admin::transfer_ownership(deps, info, new_owner)
        }
        ExecuteMsg::AcceptOwnership {} => admin::accept_ownership(deps, info),
        ExecuteMsg::WithdrawReserves {
            denom,
            amount,
            recipient,
        } => admin::withdraw_reserves(deps, env, info, denom, amount, recipient),
        ExecuteMsg::Withdraw {
            position_id,
            denom,
            amount,
            recipient,
        } => user::withdraw(deps, env, info, position_id, denom, amount, recipient),
        ExecuteMsg::Borrow {
            position_id,
            denom,
            amount,
            recipient,
            to_collateral,
        } => user::borrow(
            deps,
            env,
            info,
            position_id,
            denom,
            amount,
            recipient,
            to_collateral,
        ),
        ExecuteMsg::SetAutomation {
            position_id,
            automation,
        } => set_automation(deps, env, info, position_id, automation),
        ExecuteMsg::Rebalance { position_id } => rebalance(deps, env, position_id),
        ExecuteMsg::AllowTopUp {
            position_id,
            amount,
        } => allow_top_up(deps, info, position_id, amount),
        ExecuteMsg::DisallowTopUp { position_id } => disallow_top_up(deps, info, position_id),
        ExecuteMsg::OpenPosition { .. }
        | ExecuteMsg::Deposit { .. }
        | ExecuteMsg::Repay { .. }
        | ExecuteMsg::Seize { .. }
        | ExecuteMsg::Receive(_) => Err(ContractError::UnexpectedFunds {
            reason: "payable message routed as non-payable".to_string(),
        }),
    }
}

/// cw20 tokens: the token contract is `info.sender`, the payer is `cw20_msg.sender`.
fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cw20_msg: cw20::Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let denom = format!("cw20:{}", info.sender);
    // cw20-base 2.x forwards a `send` of zero: refused like zero native funds (SPEC 5).
    if cw20_msg.amount.is_zero() {
        return Err(ContractError::ZeroAmount { denom });
    }
    let payment = Payment {
        denom,
        amount: cw20_msg.amount,
        payer: deps.api.addr_validate(&cw20_msg.sender)?,
    };
    match from_json(&cw20_msg.msg)? {
        ReceiveMsg::OpenPosition {
            automation,
            push_to_draw_down_sink,
        } => {
            let owner = payment.payer.clone();
            user::open_position(
                deps,
                env,
                owner,
                vec![payment],
                automation,
                push_to_draw_down_sink,
            )
        }
        ReceiveMsg::Deposit {
            position_id,
            push_to_draw_down_sink,
        } => {
            let sender = payment.payer.clone();
            user::deposit(
                deps,
                env,
                sender,
                position_id,
                vec![payment],
                push_to_draw_down_sink,
            )
        }
        ReceiveMsg::Repay { position_id } => user::repay(deps, env, position_id, payment),
        ReceiveMsg::Seize {
            position_id,
            debt_denom,
            repay_amount,
            collateral_denom,
            collateral_amount,
            recipient,
        } => seize(
            deps,
            env,
            payment,
            SeizeArgs {
                position_id,
                debt_denom,
                repay_amount,
                collateral_denom,
                collateral_amount,
                recipient,
            },
        ),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Asset { denom } => to_json_binary(&query::asset(deps, env, denom)?),
        QueryMsg::Assets { start_after, limit } => {
            to_json_binary(&query::assets(deps, env, start_after, limit)?)
        }
        QueryMsg::Position { position_id } => {
            to_json_binary(&query::position(deps, env, position_id)?)
        }
        QueryMsg::Positions {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query::positions(deps, env, owner, start_after, limit)?),
        QueryMsg::LiquidatablePositions { start_after, limit } => to_json_binary(
            &query::liquidatable_positions(deps, env, start_after, limit)?,
        ),
        QueryMsg::MaxBorrow { position_id, denom } => {
            to_json_binary(&query::max_borrow(deps, env, position_id, denom)?)
        }
        QueryMsg::Simulate {
            position_id,
            actions,
        } => to_json_binary(&query::simulate(deps, env, position_id, actions)?),
        QueryMsg::TopUpConsent {
            position_id,
            source,
        } => to_json_binary(&query::top_up_consent(deps, position_id, source)?),
        QueryMsg::LiquidationContext {
            position_id,
            debt_denom,
            collateral_denom,
        } => to_json_binary(&query::liquidation_context(
            deps,
            env,
            position_id,
            debt_denom,
            collateral_denom,
        )?),
    }?)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME || !version_le(&stored.version, CONTRACT_VERSION) {
        return Err(ContractError::InvalidMigration {
            from_contract: stored.contract,
            from_version: stored.version,
        });
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// `a <= b` for dotted numeric versions (no downgrade).
fn version_le(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) <= parse(b)
}
