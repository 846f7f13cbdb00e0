//! Entry points: thin wrappers that route to `execute` and `query` (SPEC 4).
#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use keel_types::liquidator::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::{execute as exec, query as qry};

pub const CONTRACT_NAME: &str = "crates.io:keel-liquidator";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    exec::instantiate(deps, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Liquidate {
            position_id,
            debt_denom,
            collateral_denom,
            min_collateral_out,
        } => exec::liquidate_native(
            deps,
            info,
            exec::LiquidateArgs {
                position_id,
                debt_denom,
                collateral_denom,
                min_collateral_out,
            },
        ),
        ExecuteMsg::Receive(wrapper) => {
            exec::nonpayable(&info)?;
            exec::receive_cw20(deps, info, wrapper)
        }
        ExecuteMsg::UpdateConfig {
            market,
            close_factor,
            liquidation_bonus,
        } => {
            exec::nonpayable(&info)?;
            exec::update_config(deps, info, market, close_factor, liquidation_bonus)
        }
        ExecuteMsg::TransferOwnership { new_owner } => {
            exec::nonpayable(&info)?;
            exec::transfer_ownership(deps, env, info, new_owner)
        }
        ExecuteMsg::AcceptOwnership {} => {
            exec::nonpayable(&info)?;
            exec::accept_ownership(deps, env, info)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    match msg {
        QueryMsg::Config {} => qry::config(deps),
        QueryMsg::Quote {
            position_id,
            debt_denom,
            collateral_denom,
            repay_amount,
        } => qry::quote(
            deps,
            position_id,
            debt_denom,
            collateral_denom,
            repay_amount,
        ),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    exec::migrate(deps, env)
}
