//! Entry points: thin wrappers dispatching to one module per message group.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use keel_types::oracle::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::helpers::nonpayable;
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
    nonpayable(&info)?;
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

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
    use cosmwasm_std::{coins, Decimal};
    use keel_types::oracle::{PriceInput, PriceSource};

    use super::*;

    #[test]
    fn every_message_refuses_funds() {
        let api = MockApi::default();
        let owner = api.addr_make("owner");
        let mut deps = mock_dependencies();
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&owner, &[]),
            InstantiateMsg {
                owner: owner.to_string(),
                base_denom: "moet".to_string(),
                max_age: 300,
                max_deviation: Decimal::percent(10),
                twap_window: 1800,
            },
        )
        .unwrap();
        let messages = [
            ExecuteMsg::SetFeeders {
                add: vec![owner.to_string()],
                remove: vec![],
            },
            ExecuteMsg::SetPriceSources {
                denom: "uatom".to_string(),
                sources: vec![PriceSource::Feed {}],
                max_age: None,
                max_deviation: None,
            },
            ExecuteMsg::UpdateConfig {
                base_denom: None,
                max_age: Some(60),
                max_deviation: None,
                twap_window: None,
            },
            ExecuteMsg::TransferOwnership {
                new_owner: owner.to_string(),
            },
            ExecuteMsg::AcceptOwnership {},
            ExecuteMsg::PushPrices {
                prices: vec![PriceInput {
                    denom: "uatom".to_string(),
                    price: Decimal::one(),
                }],
            },
        ];
        for msg in messages {
            let err = execute(
                deps.as_mut(),
                mock_env(),
                message_info(&owner, &coins(1, "uatom")),
                msg.clone(),
            )
            .unwrap_err();
            assert!(
                matches!(&err, ContractError::UnexpectedFunds { reason } if reason == "this message takes no funds"),
                "{msg:?}: {err:?}"
            );
        }
    }
}
