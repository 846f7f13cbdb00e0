//! Entry points: thin wrappers dispatching to one module per message group.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use keel_types::oracle::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::{execute, instantiate as init, migrate as mig, queries};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    init::instantiate(deps, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::SetFeeders { add, remove } => {
            execute::feeders::set_feeders(deps, info, add, remove)
        }
        ExecuteMsg::SetPriceSources {
            denom,
            sources,
            max_age,
            max_deviation,
        } => {
            execute::sources::set_price_sources(deps, info, denom, sources, max_age, max_deviation)
        }
        ExecuteMsg::UpdateConfig {
            base_denom,
            max_age,
            max_deviation,
            twap_window,
        } => execute::config::update_config(
            deps,
            info,
            base_denom,
            max_age,
            max_deviation,
            twap_window,
        ),
        ExecuteMsg::TransferOwnership { new_owner } => {
            execute::ownership::transfer_ownership(deps, env, info, new_owner)
        }
        ExecuteMsg::AcceptOwnership {} => execute::ownership::accept_ownership(deps, env, info),
        ExecuteMsg::PushPrices { prices } => execute::push::push_prices(deps, env, info, prices),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let now = env.block.time.seconds();
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&queries::config(deps)?)?,
        QueryMsg::Price { denom } => to_json_binary(&queries::price(deps, now, denom)?)?,
        QueryMsg::Prices { denoms, skip_twap } => to_json_binary(&queries::prices(
            deps,
            now,
            denoms,
            skip_twap.unwrap_or(false),
        )?)?,
        QueryMsg::PriceSources { start_after, limit } => {
            to_json_binary(&queries::price_sources(deps, start_after, limit)?)?
        }
        QueryMsg::Feeders {} => to_json_binary(&queries::feeders(deps)?)?,
    };
    Ok(binary)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    mig::migrate(deps, env)
}

