//! Market administration through its JSON messages (SPEC 3.1, 3.7).
use cosmwasm_std::{coins, Uint128};
use cw_multi_test::Executor;
use keel_math::{RateModel, RatePoint};
use keel_tests::*;
use keel_types::market::{AssetResponse, ConfigResponse, ConfigUpdate, ExecuteMsg, QueryMsg};

fn setup() -> Suite {
    let mut s = Suite::new();
    s.list_asset(ETH, pool_params(18)).unwrap();
    s.set_price(ETH, "2000");
    s
}

type Mutation = Box<dyn Fn(&mut keel_types::market::AssetParams)>;

#[test]
fn list_asset_rejects_each_invalid_param_with_its_reason() {
    let mut s = Suite::new();
    let cases: Vec<(Mutation, &str)> = vec![
        (Box::new(|p| p.decimals = 19), "decimals"),
        (
            Box::new(|p| p.collateral_factor = dec("1.01")),
            "collateral_factor",
        ),
        (
            Box::new(|p| p.liquidation_threshold = dec("0.7")),
            "liquidation_threshold must be at least collateral_factor",
        ),
        (
            Box::new(|p| {
                p.collateral_factor = dec("1");
                p.liquidation_threshold = dec("1.1")
            }),
            "liquidation_threshold must be at most 1",
        ),
        (Box::new(|p| p.borrow_factor = dec("0.9")), "borrow_factor"),
        (
            Box::new(|p| p.reserve_factor = dec("1.5")),
            "reserve_factor",
        ),
        (
            Box::new(|p| {
                p.rate_model = RateModel::Piecewise {
                    points: vec![
                        RatePoint {
                            utilization: dec("0"),
                            rate: dec("0.2"),
                        },
                        RatePoint {
                            utilization: dec("1"),
                            rate: dec("0.1"),
                        },
                    ],
                }
            }),
            "rate model",
        ),
        (
            Box::new(|p| {
                p.rate_model = RateModel::Piecewise {
                    points: vec![RatePoint {
                        utilization: dec("0.5"),
                        rate: dec("0.1"),
                    }],
                }
            }),
            "rate model",
        ),
    ];
    let owner = s.owner.clone();
    for (i, (mutate, reason)) in cases.into_iter().enumerate() {
        let mut params = pool_params(6);
        mutate(&mut params);
        let err = s
            .exec_market(
                &owner,
                &ExecuteMsg::ListAsset {
                    denom: format!("ucase{i}"),
                    params,
                },
                &[],
            )
            .unwrap_err();
        let text = err_text(err);
        assert!(text.contains("invalid params for ucase"), "{text}");
        assert!(text.contains(reason), "case {i}: {text}");
    }
}

#[test]
fn minted_assets_must_be_cw20_without_collateral_and_unique() {
    let mut s = Suite::new();
    let mut p = moet_params("0");
    p.collateral_factor = dec("0.5");
    p.liquidation_threshold = dec("0.5");
    let token = s.addr("token");
    let err = s.list_asset(&format!("cw20:{token}"), p).unwrap_err();
    assert!(err_text(err).contains("CF and LT must be 0"));
    let err = s.list_asset("unative", moet_params("0")).unwrap_err();
    assert!(err_text(err).contains("must be a cw20 token"));
    let err = s
        .list_asset(&format!("cw20:{token}"), moet_params("0"))
        .unwrap_err();
    assert!(err_text(err).contains("a minted asset is already listed"));
}

#[test]
fn listing_twice_and_updating_an_unknown_asset_fail() {
    let mut s = setup();
    let err = s.list_asset(ETH, pool_params(18)).unwrap_err();
    assert!(err_text(err).contains("already listed"));
    let owner = s.owner.clone();
    let err = s
        .exec_market(
            &owner,
            &ExecuteMsg::UpdateAsset {
                denom: "unope".to_string(),
                params: pool_params(6),
            },
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("unope is not listed"));
    let mut p = pool_params(6);
    let err = s
        .exec_market(
            &owner,
            &ExecuteMsg::UpdateAsset {
                denom: ETH.to_string(),
                params: p.clone(),
            },
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("kind and decimals cannot change"));
    p.decimals = 18;
    p.collateral_factor = dec("0.7");
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: ETH.to_string(),
            params: p,
        },
        &[],
    )
    .unwrap();
    let a = s.asset(ETH);
    assert_eq!(a.params.collateral_factor, dec("0.7"));
}

#[test]
fn asset_params_fields_default_when_omitted() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let market = s.market.clone();
    let msg = serde_json::json!({"list_asset": {"denom": "uatom", "params": {
        "decimals": 6, "kind": "pool", "collateral_factor": "0.5", "liquidation_threshold": "0.6",
        "deposit_enabled": true}}});
    s.exec(&owner, &market, &msg, &[]).unwrap();
    let a: AssetResponse = s.asset("uatom");
    assert_eq!(a.params.borrow_factor, dec("1"));
    assert_eq!(a.params.reserve_factor, dec("0"));
    assert!(!a.params.borrow_enabled);
    assert_eq!(a.borrow_rate, dec("0"));
}

#[test]
fn the_guardian_may_only_disable_deposits_and_borrows() {
    let mut s = setup();
    let guardian = s.addr("guardian");
    s.update_config(ConfigUpdate {
        guardian: Some(guardian.to_string()),
        ..Default::default()
    });
    let mut raise = pool_params(18);
    raise.collateral_factor = dec("0.84");
    let err = s
        .exec_market(
            &guardian,
            &ExecuteMsg::UpdateAsset {
                denom: ETH.to_string(),
                params: raise,
            },
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
    let mut pause = pool_params(18);
    pause.deposit_enabled = false;
    pause.borrow_enabled = false;
    s.exec_market(
        &guardian,
        &ExecuteMsg::UpdateAsset {
            denom: ETH.to_string(),
            params: pause.clone(),
        },
        &[],
    )
    .unwrap();
    // ...but cannot turn them back on.
    let err = s
        .exec_market(
            &guardian,
            &ExecuteMsg::UpdateAsset {
                denom: ETH.to_string(),
                params: pool_params(18),
            },
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
    let user = s.addr("alice");
    s.fund(&user, 10, ETH);
    assert!(err_text(s.open(&user, &coins(10, ETH)).unwrap_err()).contains("disabled"));
}

#[test]
fn withdrawals_and_repays_work_while_paused() {
    let mut s = setup();
    let user = s.addr("alice");
    s.fund(&user, 10u128.pow(18), ETH);
    let id = s.open(&user, &coins(10u128.pow(18), ETH)).unwrap();
    let moet = s.moet_denom();
    s.borrow(&user, id, &moet, 100_000_000).unwrap();
    let owner = s.owner.clone();
    let mut pause = pool_params(18);
    pause.deposit_enabled = false;
    pause.borrow_enabled = false;
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: ETH.to_string(),
            params: pause,
        },
        &[],
    )
    .unwrap();
    let mut moet_paused = moet_params("0");
    moet_paused.borrow_enabled = false;
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: moet.clone(),
            params: moet_paused,
        },
        &[],
    )
    .unwrap();
    let (token, market) = (s.moet.clone(), s.market.clone());
    s.cw20_send(
        &user,
        &token,
        &market,
        100_000_000,
        &ExecuteMsg::Repay { position_id: id },
    )
    .unwrap();
    s.exec_market(
        &user,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: ETH.to_string(),
            amount: None,
            recipient: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.balance(&user, ETH), Uint128::new(10u128.pow(18)));
}

#[test]
fn update_config_validates_and_is_owner_only() {
    let mut s = Suite::new();
    let mallory = s.addr("mallory");
    let err = s
        .exec_market(
            &mallory,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                max_close_factor: Some(dec("1")),
                ..Default::default()
            }),
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
    let owner = s.owner.clone();
    let bad = [
        ConfigUpdate {
            default_health: Some(keel_types::HealthBounds {
                min: dec("1.3"),
                target: dec("1.2"),
                max: dec("1.5"),
            }),
            ..Default::default()
        },
        ConfigUpdate {
            borrow_health_floor: Some(dec("0.9")),
            ..Default::default()
        },
        ConfigUpdate {
            max_close_factor: Some(dec("0")),
            ..Default::default()
        },
        ConfigUpdate {
            max_liquidation_bonus: Some(dec("1")),
            ..Default::default()
        },
        ConfigUpdate {
            max_position_assets: Some(0),
            ..Default::default()
        },
    ];
    for update in bad {
        let err = s
            .exec_market(&owner, &ExecuteMsg::UpdateConfig(update.clone()), &[])
            .unwrap_err();
        assert!(err_text(err).contains("invalid config"), "{update:?}");
    }
    s.update_config(ConfigUpdate {
        min_debt_value: Some(dec("5")),
        ..Default::default()
    });
    let c: ConfigResponse = s.query_market(&QueryMsg::Config {}).unwrap();
    assert_eq!(c.min_debt_value, dec("5"));
}

#[test]
fn ownership_moves_in_two_steps() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let next = s.addr("next");
    s.exec_market(
        &owner,
        &ExecuteMsg::TransferOwnership {
            new_owner: next.to_string(),
        },
        &[],
    )
    .unwrap();
    let c: ConfigResponse = s.query_market(&QueryMsg::Config {}).unwrap();
    assert_eq!(c.owner, owner);
    assert_eq!(c.pending_owner, Some(next.clone()));
    let mallory = s.addr("mallory");
    assert!(s
        .exec_market(&mallory, &ExecuteMsg::AcceptOwnership {}, &[])
        .is_err());
    s.exec_market(&next, &ExecuteMsg::AcceptOwnership {}, &[])
        .unwrap();
    let c: ConfigResponse = s.query_market(&QueryMsg::Config {}).unwrap();
    assert_eq!(c.owner, next);
    assert_eq!(c.pending_owner, None);
    let err = s
        .exec_market(
            &owner,
            &ExecuteMsg::UpdateConfig(ConfigUpdate::default()),
            &[],
        )
        .unwrap_err();
    assert!(err_text(err).contains("unauthorized"));
}

#[test]
fn reserves_withdraw_up_to_what_accrued_and_minted_reserves_mint() {
    let mut s = setup();
    let moet = s.moet_denom();
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: moet.clone(),
            params: moet_params("0.1"),
        },
        &[],
    )
    .unwrap();
    let user = s.addr("alice");
    s.fund(&user, 10u128.pow(18), ETH);
    let id = s.open(&user, &coins(10u128.pow(18), ETH)).unwrap();
    s.borrow(&user, id, &moet, 1_000_000_000).unwrap();
    s.advance(31_536_000);
    let reserves = s.asset(&moet).reserves;
    // 1000 * (e^0.1 - 1) = 105.170918...
    assert_eq!(reserves, Uint128::new(105_170_918));
    let treasury = s.addr("treasury");
    let too_much = ExecuteMsg::WithdrawReserves {
        denom: moet.clone(),
        amount: reserves + Uint128::one(),
        recipient: Some(treasury.to_string()),
    };
    let err = s.exec_market(&owner, &too_much, &[]).unwrap_err();
    assert!(err_text(err).contains("reserves of"));
    let mallory = s.addr("mallory");
    let ok = ExecuteMsg::WithdrawReserves {
        denom: moet.clone(),
        amount: reserves,
        recipient: Some(treasury.to_string()),
    };
    assert!(err_text(s.exec_market(&mallory, &ok, &[]).unwrap_err()).contains("unauthorized"));
    s.exec_market(&owner, &ok, &[]).unwrap();
    assert_eq!(s.balance(&treasury, &moet), reserves);
    assert_eq!(s.asset(&moet).reserves, Uint128::zero());
}

#[test]
fn funds_sent_with_a_non_payable_message_are_refused() {
    let mut s = setup();
    let owner = s.owner.clone();
    s.fund(&owner, 100, ETH);
    let err = s
        .exec_market(
            &owner,
            &ExecuteMsg::UpdateConfig(ConfigUpdate::default()),
            &coins(100, ETH),
        )
        .unwrap_err();
    assert!(err_text(err).contains("takes no funds"));
    assert_eq!(s.balance(&owner, ETH), Uint128::new(100));
}

#[test]
fn migrate_checks_the_stored_contract_name() {
    let mut s = Suite::new();
    let owner = s.owner.clone();
    let market = s.market.clone();
    let code = s.app.store_code(market_contract());
    s.app
        .migrate_contract(
            owner.clone(),
            market.clone(),
            &keel_types::market::MigrateMsg {},
            code,
        )
        .unwrap();
    // The oracle's storage holds another contract name: migrating it to the market fails.
    let oracle = s.oracle.clone();
    let err = s
        .app
        .migrate_contract(owner, oracle, &keel_types::market::MigrateMsg {}, code)
        .unwrap_err();
    assert!(err_text(err).contains("Cannot migrate from crates.io:keel-oracle"));
}

/// A market whose config was written before records were versioned (the owner inside it, no
/// cw-ownable record): `migrate` moves the owner and pending owner out and rewrites the config.
#[test]
fn migrate_moves_the_owner_out_of_a_version_0_config() {
    const LEGACY_CONFIG: &str = "1b204c1029697ee358715d3a14a2add817c4b01651440de808371f78165ac90dc581209202af6ce925b26ae6b25adfff0b2705147e195fa38dd58ae6ecc58ed263751f20c6c1c9a9c8543f1e4cd980064cf1625eeb61a90703b2464fff039f21682508b320cf14beab45bf53a96851fc25e2f4e3046f0dcefc4e4e88121faae625e8c365432066fa9f9d3186b9c13a66b004fc8bb5f3359c4deb17197266895fb8d3c67c3b1711010b11010d11010f12010112010113010111010510010f010a0003";
    // the legacy record names asset 3 as MOET: list assets 1 to 3
    let mut s = Suite::with_eth_and_usdc();
    s.list_asset("uatom", pool_params(6)).unwrap();
    let market = s.market.clone();
    let legacy: Vec<u8> = (0..LEGACY_CONFIG.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&LEGACY_CONFIG[i..i + 2], 16).unwrap())
        .collect();
    let assets_before: Vec<keel_types::market::AssetResponse> = s
        .query_market(&keel_types::market::QueryMsg::Assets {
            start_after: None,
            limit: None,
        })
        .unwrap();
    {
        use keel_market::state::{ASSET_INFO, ASSET_STATE, LEGACY_ASSET_INFO, LEGACY_ASSET_STATE};
        let mut storage = s.app.contract_storage_mut(&market);
        storage.set(b"c", &legacy);
        storage.remove(b"ownership");
        // the assets' records where that version kept them: `i` + id and `s` + id
        for id in 0..4u16 {
            let info = ASSET_INFO.load(storage.as_ref(), id).unwrap();
            let state = ASSET_STATE.load(storage.as_ref(), id).unwrap();
            LEGACY_ASSET_INFO.save(storage.as_mut(), id, &info).unwrap();
            LEGACY_ASSET_STATE
                .save(storage.as_mut(), id, &state)
                .unwrap();
            storage.remove(&ASSET_INFO.key(id));
            storage.remove(&ASSET_STATE.key(id));
        }
    }
    let owner = s.addr("owner");
    let code = s.app.store_code(market_contract());
    s.app
        .migrate_contract(
            s.owner.clone(),
            market.clone(),
            &keel_types::market::MigrateMsg {},
            code,
        )
        .unwrap();
    let config: keel_types::market::ConfigResponse = s
        .query_market(&keel_types::market::QueryMsg::Config {})
        .unwrap();
    assert_eq!(config.owner, owner);
    assert_eq!(config.pending_owner, Some(s.addr("next")));
    assert_eq!(config.redemption_health.to_string(), "1.3");
    let stored = s.app.contract_storage(&market).get(b"c").unwrap();
    assert_eq!(stored[0], 0x81, "rewritten in version 1");
    // the assets' records moved to `a` + id
    let assets_after: Vec<keel_types::market::AssetResponse> = s
        .query_market(&keel_types::market::QueryMsg::Assets {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(assets_after, assets_before);
    // the migrated owner governs
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateConfig(ConfigUpdate::default()),
        &[],
    )
    .unwrap();
}
