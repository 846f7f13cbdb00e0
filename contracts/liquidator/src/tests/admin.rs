//! Instantiation, config, ownership and migration.
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{coins, Api, Storage};
use keel_types::liquidator::{ConfigResponse, MigrateMsg};
use keel_types::record::RecordError;

use super::*;
use crate::contract::{migrate, CONTRACT_NAME, CONTRACT_VERSION};

fn default_setup() -> Deps {
    setup(MarketMock::new(MOET))
}

fn config(deps: &Deps) -> ConfigResponse {
    query_json(deps, QueryMsg::Config {})
}

fn update(
    market: Option<&str>,
    close_factor: Option<&str>,
    liquidation_bonus: Option<&str>,
) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig {
        market: market.map(str::to_string),
        close_factor: close_factor.map(dec),
        liquidation_bonus: liquidation_bonus.map(dec),
    }
}

fn try_instantiate(
    market: &str,
    close_factor: Option<&str>,
    bonus: Option<&str>,
) -> Result<Response, ContractError> {
    let mut deps = mock_dependencies();
    instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&addr("creator"), &[]),
        InstantiateMsg {
            owner: addr("owner").to_string(),
            market: market.to_string(),
            close_factor: close_factor.map(dec),
            liquidation_bonus: bonus.map(dec),
        },
    )
}

#[test]
fn instantiate_defaults_to_twenty_percent_close_factor_and_three_percent_bonus() {
    let deps = default_setup();
    assert_eq!(
        config(&deps),
        ConfigResponse {
            owner: addr("owner"),
            pending_owner: None,
            market: addr("market"),
            close_factor: dec("0.2"),
            liquidation_bonus: dec("0.03"),
        }
    );
    let version = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.contract, CONTRACT_NAME);
    assert_eq!(version.version, CONTRACT_VERSION);
}

#[test]
fn instantiate_keeps_given_factors() {
    let deps = setup_with(MarketMock::new(MOET), Some(dec("1")), Some(dec("0")));
    let cfg = config(&deps);
    assert_eq!(cfg.close_factor, Decimal::one());
    assert_eq!(cfg.liquidation_bonus, Decimal::zero());
}

#[test]
fn instantiate_rejects_out_of_range_factors() {
    let market = addr("market").to_string();
    for (cf, bonus) in [(Some("0"), None), (Some("1.01"), None), (None, Some("1"))] {
        let err = try_instantiate(&market, cf, bonus).unwrap_err();
        assert!(
            matches!(err, ContractError::InvalidConfig { .. }),
            "{cf:?} {bonus:?}: {err:?}"
        );
    }
}

#[test]
fn instantiate_rejects_an_invalid_market_address() {
    let err = try_instantiate("not an address", None, None).unwrap_err();
    assert!(matches!(err, ContractError::Std(_)), "{err:?}");
}

#[test]
fn update_config_by_non_owner_is_unauthorized() {
    let mut deps = default_setup();
    let err = exec(
        &mut deps,
        &addr("bot"),
        &[],
        update(None, Some("0.3"), None),
    )
    .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized);
    assert_eq!(config(&deps).close_factor, dec("0.2"));
}

#[test]
fn owner_updates_config_fields_given_and_keeps_the_others() {
    let mut deps = default_setup();
    let new_market = addr("market2").to_string();
    exec(
        &mut deps,
        &addr("owner"),
        &[],
        update(Some(&new_market), None, Some("0.05")),
    )
    .unwrap();
    let cfg = config(&deps);
    assert_eq!(cfg.market, addr("market2"));
    assert_eq!(cfg.close_factor, dec("0.2"));
    assert_eq!(cfg.liquidation_bonus, dec("0.05"));
}

#[test]
fn update_config_rejects_invalid_values_and_changes_nothing() {
    let mut deps = default_setup();
    for msg in [
        update(None, Some("0"), None),
        update(None, Some("2"), None),
        update(None, None, Some("1.5")),
    ] {
        let err = exec(&mut deps, &addr("owner"), &[], msg).unwrap_err();
        assert!(
            matches!(err, ContractError::InvalidConfig { .. }),
            "{err:?}"
        );
    }
    let err = exec(
        &mut deps,
        &addr("owner"),
        &[],
        update(Some("bad market"), None, None),
    )
    .unwrap_err();
    assert!(matches!(err, ContractError::Std(_)), "{err:?}");
    let cfg = config(&deps);
    assert_eq!(cfg.market, addr("market"));
    assert_eq!(cfg.close_factor, dec("0.2"));
    assert_eq!(cfg.liquidation_bonus, dec("0.03"));
}

#[test]
fn ownership_moves_only_when_the_new_owner_accepts() {
    let mut deps = default_setup();
    let new_owner = addr("new_owner");

    let err = exec(
        &mut deps,
        &addr("bot"),
        &[],
        ExecuteMsg::TransferOwnership {
            new_owner: addr("bot").to_string(),
        },
    )
    .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized);

    exec(
        &mut deps,
        &addr("owner"),
        &[],
        ExecuteMsg::TransferOwnership {
            new_owner: new_owner.to_string(),
        },
    )
    .unwrap();
    let cfg = config(&deps);
    assert_eq!(cfg.owner, addr("owner"));
    assert_eq!(cfg.pending_owner, Some(new_owner.clone()));

    // Someone else cannot accept, nor can the old owner.
    for sender in [addr("bot"), addr("owner")] {
        let err = exec(&mut deps, &sender, &[], ExecuteMsg::AcceptOwnership {}).unwrap_err();
        assert_eq!(err, ContractError::Unauthorized);
    }

    exec(&mut deps, &new_owner, &[], ExecuteMsg::AcceptOwnership {}).unwrap();
    let cfg = config(&deps);
    assert_eq!(cfg.owner, new_owner);
    assert_eq!(cfg.pending_owner, None);

    // The old owner lost its rights, the new one has them.
    let err = exec(
        &mut deps,
        &addr("owner"),
        &[],
        update(None, Some("0.3"), None),
    )
    .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized);
    exec(&mut deps, &new_owner, &[], update(None, Some("0.3"), None)).unwrap();
    assert_eq!(config(&deps).close_factor, dec("0.3"));
}

#[test]
fn accept_without_a_pending_transfer_fails() {
    let mut deps = default_setup();
    let err = exec(
        &mut deps,
        &addr("owner"),
        &[],
        ExecuteMsg::AcceptOwnership {},
    )
    .unwrap_err();
    assert_eq!(err, ContractError::NoPendingOwner);
}

#[test]
fn migrate_from_the_same_version_succeeds() {
    let mut deps = default_setup();
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    let version = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.version, CONTRACT_VERSION);
}

#[test]
fn migrate_from_an_older_version_records_the_new_one() {
    let mut deps = default_setup();
    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.0.1").unwrap();
    let res = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(attr(&res, "from_version"), "0.0.1");
    let version = cw2::get_contract_version(&deps.storage).unwrap();
    assert_eq!(version.version, CONTRACT_VERSION);
}

#[test]
fn migrate_refuses_a_downgrade() {
    let mut deps = default_setup();
    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "99.0.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert!(
        matches!(err, ContractError::CannotDowngrade { .. }),
        "{err:?}"
    );
}

#[test]
fn migrate_refuses_another_contracts_state() {
    let mut deps = default_setup();
    cw2::set_contract_version(&mut deps.storage, "crates.io:keel-market", "0.1.0").unwrap();
    let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
    assert!(
        matches!(err, ContractError::WrongContract { .. }),
        "{err:?}"
    );
}

/// A deployment of version 0.1.0: its cw2 entry and its config record (binary, without a format
/// byte, with the owner and the pending owner).
fn legacy_deployment(pending_owner: Option<&Addr>) -> Deps {
    let mut deps = default_setup();
    let api = MockApi::default();
    let mut record = Vec::new();
    record.extend_from_slice(&dec("0.25").atomics().to_be_bytes());
    record.extend_from_slice(&dec("0.04").atomics().to_be_bytes());
    for addr in [Some(&addr("owner")), Some(&addr("market")), pending_owner]
        .into_iter()
        .flatten()
    {
        let canonical = api.addr_canonicalize(addr.as_str()).unwrap();
        record.push(canonical.len() as u8);
        record.extend_from_slice(canonical.as_slice());
    }
    deps.storage.remove(cw_ownable::OWNERSHIP_KEY.as_bytes());
    deps.storage.set(b"c", &record);
    cw2::set_contract_version(&mut deps.storage, CONTRACT_NAME, "0.1.0").unwrap();
    deps
}

#[test]
fn migrate_moves_the_owners_of_a_version_0_config_into_cw_ownable() {
    let mut deps = legacy_deployment(Some(&addr("next")));
    assert!(cw_ownable::get_ownership(&deps.storage).is_err());
    // version 0 reads as it is before the migration
    assert_eq!(config_record(&deps), None);
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(
        config(&deps),
        ConfigResponse {
            owner: addr("owner"),
            pending_owner: Some(addr("next")),
            market: addr("market"),
            close_factor: dec("0.25"),
            liquidation_bonus: dec("0.04"),
        }
    );
    assert_eq!(config_record(&deps), Some(0x81), "rewritten in version 1");

    // the pending owner accepts; nobody else can
    let err = exec(
        &mut deps,
        &addr("owner"),
        &[],
        ExecuteMsg::AcceptOwnership {},
    )
    .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized);
    exec(
        &mut deps,
        &addr("next"),
        &[],
        ExecuteMsg::AcceptOwnership {},
    )
    .unwrap();
    assert_eq!(config(&deps).owner, addr("next"));

    // migrating again keeps cw-ownable's ownership
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    assert_eq!(config(&deps).owner, addr("next"));
    assert_eq!(config(&deps).pending_owner, None);
}

#[test]
fn migrate_without_a_pending_owner_moves_the_owner_alone() {
    let mut deps = legacy_deployment(None);
    migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
    let cfg = config(&deps);
    assert_eq!((cfg.owner, cfg.pending_owner), (addr("owner"), None));
    exec(
        &mut deps,
        &addr("owner"),
        &[],
        update(None, Some("0.3"), None),
    )
    .unwrap();
}

/// The format byte of the stored config, `None` for a record of version 0 (first byte below
/// 0x80).
fn config_record(deps: &Deps) -> Option<u8> {
    let first = deps.storage.get(b"c").unwrap()[0];
    (first >= 0x80).then_some(first)
}

#[test]
fn a_config_of_an_unknown_version_is_a_typed_error() {
    let mut deps = default_setup();
    let mut record = deps.storage.get(b"c").unwrap();
    record[0] = 0x80 | 9;
    deps.storage.set(b"c", &record);
    let err = exec(
        &mut deps,
        &addr("owner"),
        &[],
        update(None, Some("0.3"), None),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ContractError::Record(RecordError::UnknownVersion {
            record: "liquidator config",
            version: 9,
            max: 1,
        })
    );
}

#[test]
fn messages_that_take_no_funds_refuse_them() {
    let mut deps = default_setup();
    let receive = ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
        sender: addr("bot").to_string(),
        amount: Uint128::new(1),
        msg: cosmwasm_std::Binary::default(),
    });
    for msg in [
        update(None, Some("0.3"), None),
        ExecuteMsg::TransferOwnership {
            new_owner: addr("next").to_string(),
        },
        ExecuteMsg::AcceptOwnership {},
        receive,
    ] {
        let err = exec(&mut deps, &addr("owner"), &coins(1, MOET), msg.clone()).unwrap_err();
        assert_eq!(
            err,
            ContractError::WrongFunds {
                reason: "this message takes no funds".to_string()
            },
            "{msg:?}"
        );
    }
}

#[test]
fn a_later_proposal_replaces_an_earlier_one() {
    let mut deps = default_setup();
    for name in ["first", "second"] {
        exec(
            &mut deps,
            &addr("owner"),
            &[],
            ExecuteMsg::TransferOwnership {
                new_owner: addr(name).to_string(),
            },
        )
        .unwrap();
    }
    assert_eq!(config(&deps).pending_owner, Some(addr("second")));
    let err = exec(
        &mut deps,
        &addr("first"),
        &[],
        ExecuteMsg::AcceptOwnership {},
    )
    .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized);
    exec(
        &mut deps,
        &addr("second"),
        &[],
        ExecuteMsg::AcceptOwnership {},
    )
    .unwrap();
    assert_eq!(config(&deps).owner, addr("second"));
}
