//! Migration: only from this contract, never to an older version (cw2). Moves the owner out of
//! a config record of version 0 and rewrites the config in the current version; denom records
//! are rewritten lazily (see `state`).

use cosmwasm_std::{DepsMut, Env, Response, StdError};
use cw2::ContractVersion;
use cw_ownable::Action;

use crate::error::ContractError;
use crate::helpers::ownership_error;
use crate::state::{CONFIG, CONTRACT_NAME, CONTRACT_VERSION};

pub fn migrate(mut deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    cw2::ensure_from_older_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)
        .map_err(|_| refusal(&stored))?;
    move_legacy_ownership(deps.branch(), &env)?;
    let config = CONFIG.load(deps.storage)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// What cw2 refused: another contract's state, else a stored version of this contract that is
/// newer than this code (cw2 also refuses a version that is not semver, which no version of this
/// contract writes).
fn refusal(stored: &ContractVersion) -> ContractError {
    if stored.contract != CONTRACT_NAME {
        return ContractError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: stored.contract.clone(),
        };
    }
    ContractError::Downgrade {
        stored: stored.version.clone(),
        new: CONTRACT_VERSION.to_string(),
    }
}

/// A config record of version 0 holds the owner and pending owner, which cw-ownable holds from
/// version 1 on: they move there when cw-ownable holds no ownership yet.
fn move_legacy_ownership(deps: DepsMut, env: &Env) -> Result<(), ContractError> {
    match cw_ownable::get_ownership(deps.storage) {
        Ok(_) => return Ok(()),
        Err(StdError::NotFound { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    let legacy = CONFIG
        .load_legacy_ownership(deps.storage)?
        .ok_or_else(|| StdError::not_found("oracle owner"))?;
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(legacy.owner.as_str()))?;
    if let Some(pending) = legacy.pending_owner {
        cw_ownable::update_ownership(
            deps,
            &env.block,
            &legacy.owner,
            Action::TransferOwnership {
                new_owner: pending.into_string(),
                expiry: None,
            },
        )
        .map_err(|error| ownership_error(error, &legacy.owner))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockQuerier;
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
    use cosmwasm_std::{from_json, Addr, MemoryStorage, OwnedDeps, Storage};
    use keel_types::oracle::{ConfigResponse, ExecuteMsg, MigrateMsg, QueryMsg};

    use crate::contract::{execute, migrate, query};
    use crate::error::ContractError;

    fn addr(name: &str) -> Addr {
        MockApi::default().addr_make(name)
    }

    /// A deployment of version 0.1.0: its config record (JSON, with the owners) and cw2 entry.
    type Deps = OwnedDeps<MemoryStorage, MockApi, MockQuerier>;

    fn legacy_deployment(pending_owner: Option<&Addr>) -> Deps {
        let mut deps = mock_dependencies();
        cw2::set_contract_version(&mut deps.storage, "crates.io:keel-oracle", "0.1.0").unwrap();
        let pending_owner = pending_owner.map_or("null".to_string(), |a| format!("\"{a}\""));
        let config = format!(
            r#"{{"owner":"{}","pending_owner":{pending_owner},"base_denom":"moet","max_age":300,"max_deviation":"0.1","twap_window":1800}}"#,
            addr("owner")
        );
        deps.storage.set(b"c", config.as_bytes());
        deps
    }

    fn config(deps: cosmwasm_std::Deps) -> ConfigResponse {
        from_json(query(deps, mock_env(), QueryMsg::Config {}).unwrap()).unwrap()
    }

    #[test]
    fn migrate_moves_the_owners_of_a_version_0_config_into_cw_ownable() {
        let mut deps = legacy_deployment(Some(&addr("next")));
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        let ownership = cw_ownable::get_ownership(&deps.storage).unwrap();
        assert_eq!(ownership.owner, Some(addr("owner")));
        assert_eq!(ownership.pending_owner, Some(addr("next")));
        assert_eq!(ownership.pending_expiry, None);
        assert_eq!(
            config(deps.as_ref()),
            ConfigResponse {
                owner: addr("owner").to_string(),
                pending_owner: Some(addr("next").to_string()),
                base_denom: "moet".to_string(),
                max_age: 300,
                max_deviation: "0.1".parse().unwrap(),
                twap_window: 1800,
            }
        );
        // the config is rewritten in version 1, without the owners
        assert_eq!(deps.storage.get(b"c").unwrap()[0], 0x81);

        // the pending owner accepts as it would have before the migration
        let accept = |deps: &mut Deps, sender: &Addr| {
            execute(
                deps.as_mut(),
                mock_env(),
                message_info(sender, &[]),
                ExecuteMsg::AcceptOwnership {},
            )
        };
        assert!(matches!(
            accept(&mut deps, &addr("owner")).unwrap_err(),
            ContractError::NotPendingOwner { .. }
        ));
        accept(&mut deps, &addr("next")).unwrap();
        assert_eq!(config(deps.as_ref()).owner, addr("next").to_string());

        // migrating again keeps cw-ownable's ownership as it is
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        let ownership = cw_ownable::get_ownership(&deps.storage).unwrap();
        assert_eq!(ownership.owner, Some(addr("next")));
        assert_eq!(ownership.pending_owner, None);
    }

    #[test]
    fn migrate_without_a_pending_owner_moves_the_owner_alone() {
        let mut deps = legacy_deployment(None);
        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        let ownership = cw_ownable::get_ownership(&deps.storage).unwrap();
        assert_eq!(ownership.owner, Some(addr("owner")));
        assert_eq!(ownership.pending_owner, None);
    }

    #[test]
    fn migrate_refuses_a_downgrade_and_another_contract_before_writing_anything() {
        for (name, version) in [
            ("crates.io:keel-oracle", "99.0.0"),
            ("crates.io:keel-market", "0.1.0"),
        ] {
            let mut deps = legacy_deployment(None);
            cw2::set_contract_version(&mut deps.storage, name, version).unwrap();
            let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
            match err {
                ContractError::Downgrade { stored, .. } => assert_eq!(stored, "99.0.0"),
                ContractError::WrongContract { found, .. } => {
                    assert_eq!(found, "crates.io:keel-market")
                }
                other => panic!("{other:?}"),
            }
            assert!(cw_ownable::get_ownership(&deps.storage).is_err());
            assert_eq!(deps.storage.get(b"c").unwrap()[0], b'{');
        }
    }
}
