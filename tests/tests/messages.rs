//! The messages' JSON as clients write it: every message reads back what serde writes for it,
//! omitted options and defaulted fields read as documented, aliases are accepted, unknown
//! fields are ignored, and malformed input is refused.
use cosmwasm_std::{from_json, to_json_vec, Binary, Decimal, Uint128};
use cw20::Cw20ReceiveMsg;
use keel_types::market::{
    AssetKind, AssetParams, Automation, ConfigUpdate, DrawDownSink, ExecuteMsg, InstantiateMsg,
    QueryMsg, ReceiveMsg, SimulateAction,
};
use keel_types::oracle::{PriceResponse, PriceSourceKind};
use keel_types::{HealthBounds, RateModel, RatePoint};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn bounds() -> HealthBounds {
    HealthBounds {
        min: dec("1.1"),
        target: dec("1.3"),
        max: dec("1.5"),
    }
}

fn params() -> AssetParams {
    AssetParams {
        decimals: 18,
        kind: AssetKind::Pool,
        collateral_factor: dec("0.8"),
        liquidation_threshold: dec("0.85"),
        borrow_factor: dec("1.1"),
        reserve_factor: dec("0.1"),
        rate_model: RateModel::Piecewise {
            points: vec![
                RatePoint {
                    utilization: Decimal::zero(),
                    rate: Decimal::zero(),
                },
                RatePoint {
                    utilization: Decimal::one(),
                    rate: dec("0.5"),
                },
            ],
        },
        supply_cap: Some(Uint128::new(1_000)),
        borrow_cap: None,
        deposit_enabled: true,
        borrow_enabled: false,
        collateral_enabled: true,
    }
}

fn automation() -> Automation {
    Automation {
        draw_down_sink: Some(DrawDownSink {
            address: "sink".into(),
            msg: Some(Binary::from(b"{\"hook\":{}}")),
        }),
        top_up_source: Some("source".into()),
        health: Some(bounds()),
        self_repay: true,
    }
}

/// Serde writes `value`; the reader (through `from_json`, as the contracts do) reads it back.
fn reads_back<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
    let bytes = to_json_vec(&value).unwrap();
    let read: T = from_json(&bytes)
        .unwrap_or_else(|e| panic!("{} did not read back: {e}", String::from_utf8_lossy(&bytes)));
    assert_eq!(read, value, "{}", String::from_utf8_lossy(&bytes));
}

#[test]
fn every_market_message_reads_back_what_serde_writes() {
    let u = Uint128::new;
    reads_back(InstantiateMsg {
        owner: "owner".into(),
        oracle: "oracle".into(),
        liquidator: Some("liq".into()),
        guardian: None,
        treasury: Some("treasury".into()),
        default_health: Some(bounds()),
        borrow_health_floor: Some(dec("1.01")),
        min_debt_value: None,
        dust_debt_value: Some(dec("10")),
        max_close_factor: Some(dec("0.5")),
        max_liquidation_bonus: None,
        max_position_assets: Some(12),
        redemption_fee: Some(dec("0.005")),
        redemption_health: None,
    });
    let update = ConfigUpdate {
        oracle: Some("o".into()),
        default_health: Some(bounds()),
        max_position_assets: Some(3),
        ..ConfigUpdate::default()
    };
    let seize = (1u64, "uusdc", u(5), "ueth", u(7), "r");
    for msg in [
        ExecuteMsg::ListAsset {
            denom: "ueth".into(),
            params: params(),
        },
        ExecuteMsg::UpdateAsset {
            denom: "moet".into(),
            params: AssetParams {
                kind: AssetKind::Minted,
                rate_model: RateModel::Fixed { rate: dec("0") },
                ..params()
            },
        },
        ExecuteMsg::UpdateConfig(update.clone()),
        ExecuteMsg::UpdateConfig(ConfigUpdate::default()),
        ExecuteMsg::TransferOwnership {
            new_owner: "n".into(),
        },
        ExecuteMsg::AcceptOwnership {},
        ExecuteMsg::WithdrawReserves {
            denom: "ueth".into(),
            amount: u(3),
            recipient: None,
        },
        ExecuteMsg::OpenPosition {
            automation: Some(automation()),
            push_to_draw_down_sink: true,
        },
        ExecuteMsg::OpenPosition {
            automation: None,
            push_to_draw_down_sink: false,
        },
        ExecuteMsg::Deposit {
            position_id: u64::MAX,
            push_to_draw_down_sink: true,
        },
        ExecuteMsg::Withdraw {
            position_id: 2,
            denom: "ueth".into(),
            amount: None,
            recipient: Some("r".into()),
        },
        ExecuteMsg::Borrow {
            position_id: 3,
            denom: "uusdc".into(),
            amount: u(u128::MAX),
            recipient: None,
            to_collateral: true,
        },
        ExecuteMsg::Repay { position_id: 4 },
        ExecuteMsg::SetAutomation {
            position_id: 5,
            automation: Some(Automation {
                draw_down_sink: None,
                top_up_source: None,
                health: None,
                self_repay: false,
            }),
        },
        ExecuteMsg::Rebalance { position_id: 6 },
        ExecuteMsg::Seize {
            position_id: seize.0,
            debt_denom: seize.1.into(),
            repay_amount: seize.2,
            collateral_denom: seize.3.into(),
            collateral_amount: seize.4,
            recipient: seize.5.into(),
        },
        ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: "s".into(),
            amount: u(9),
            msg: Binary::from(b"{\"repay\":{\"position_id\":1}}"),
        }),
    ] {
        reads_back(msg);
    }
    for msg in [
        ReceiveMsg::OpenPosition {
            automation: Some(automation()),
            push_to_draw_down_sink: false,
        },
        ReceiveMsg::Deposit {
            position_id: 1,
            push_to_draw_down_sink: true,
        },
        ReceiveMsg::Repay { position_id: 1 },
        ReceiveMsg::Seize {
            position_id: seize.0,
            debt_denom: seize.1.into(),
            repay_amount: seize.2,
            collateral_denom: seize.3.into(),
            collateral_amount: seize.4,
            recipient: seize.5.into(),
        },
    ] {
        reads_back(msg);
    }
    for msg in [
        QueryMsg::Config {},
        QueryMsg::Asset { denom: "d".into() },
        QueryMsg::Assets {
            start_after: Some("a".into()),
            limit: Some(u32::MAX),
        },
        QueryMsg::Position { position_id: 1 },
        QueryMsg::Positions {
            owner: Some("o".into()),
            start_after: None,
            limit: Some(3),
        },
        QueryMsg::LiquidatablePositions {
            start_after: Some(9),
            limit: None,
        },
        QueryMsg::MaxBorrow {
            position_id: 1,
            denom: "d".into(),
        },
        QueryMsg::Simulate {
            position_id: 1,
            actions: vec![
                SimulateAction::Deposit {
                    denom: "a".into(),
                    amount: u(1),
                },
                SimulateAction::Withdraw {
                    denom: "b".into(),
                    amount: u(2),
                },
                SimulateAction::Borrow {
                    denom: "c".into(),
                    amount: u(3),
                },
                SimulateAction::Repay {
                    denom: "d".into(),
                    amount: u(4),
                },
            ],
        },
    ] {
        reads_back(msg);
    }
    for (source, pending) in [
        (PriceSourceKind::Feed, true),
        (PriceSourceKind::Twap, false),
        (PriceSourceKind::Fixed, false),
    ] {
        reads_back(PriceResponse {
            denom: "ueth".into(),
            price: dec("2000.5"),
            twap: Some(dec("1999")),
            source,
            updated_at: 17,
            pending,
        });
    }
}

fn parse_err<T: DeserializeOwned + Debug>(json: &str) -> String {
    from_json::<T>(json.as_bytes()).unwrap_err().to_string()
}

#[test]
fn malformed_messages_are_refused() {
    assert!(
        parse_err::<ExecuteMsg>(r#"{"borrow_all":{}}"#).contains("unknown variant `borrow_all`")
    );
    assert!(parse_err::<ExecuteMsg>(r#"{"repay":{}}"#).contains("missing field `position_id`"));
    assert!(parse_err::<ExecuteMsg>(r#"{"repay":{"position_id":"1"}}"#).contains("Invalid type"));
    assert!(
        parse_err::<ExecuteMsg>(r#"{"repay":{"position_id":1,"position_id":2}}"#)
            .contains("duplicate field `position_id`")
    );
    assert!(parse_err::<ExecuteMsg>(
        r#"{"repay":{"position_id":1},"rebalance":{"position_id":1}}"#
    )
    .contains("Expected this character"));
    assert!(parse_err::<ExecuteMsg>(r#""repay""#).contains("Invalid type"));
    assert!(parse_err::<QueryMsg>(r#"{"position":{"position_id":-1}}"#).contains("Invalid number"));
    assert!(
        parse_err::<ExecuteMsg>(r#"{"withdraw_reserves":{"denom":"d","amount":"1.5"}}"#)
            .contains("'1.5'")
    );
    assert!(parse_err::<InstantiateMsg>(
        r#"{"owner":"o","oracle":"p","health_bounds":{"min":"1.1","target":"1.2","max":"x"}}"#
    )
    .contains("Error parsing decimal 'x'"));
    assert!(parse_err::<InstantiateMsg>(
        r#"{"owner":"o","oracle":"p","max_position_assets":4294967296}"#
    )
    .contains("Invalid number"));
}

#[test]
fn omitted_options_defaults_aliases_and_unknown_fields_read_as_documented() {
    // unknown fields are ignored (cosmwasm-schema 2's `cw_serde` does not deny them)
    let msg: ExecuteMsg =
        from_json(br#"{"borrow":{"position_id":1,"denom":"d","amount":"5","memo":"x"}}"#).unwrap();
    assert_eq!(
        msg,
        ExecuteMsg::Borrow {
            position_id: 1,
            denom: "d".into(),
            amount: Uint128::new(5),
            recipient: None,
            to_collateral: false,
        }
    );
    for alias in ["default_health", "default_health_bounds", "health_bounds"] {
        let json = format!(
            r#"{{"owner":"o","oracle":"p","{alias}":{{"min":"1.1","target":"1.3","max":"1.5"}}}}"#
        );
        let msg: InstantiateMsg = from_json(json.as_bytes()).unwrap();
        assert_eq!(msg.default_health, Some(bounds()));
    }
    assert!(parse_err::<InstantiateMsg>(
        r#"{"owner":"o","oracle":"p","health_bounds":null,"default_health":null}"#
    )
    .contains("duplicate field `default_health`"));
    let listed: ExecuteMsg =
        from_json(br#"{"list_asset":{"denom":"d","params":{"decimals":6,"kind":"pool"}}}"#)
            .unwrap();
    let ExecuteMsg::ListAsset { params, .. } = listed else {
        panic!("not list_asset")
    };
    assert_eq!(params.borrow_factor, Decimal::one());
    assert_eq!(
        params.rate_model,
        RateModel::Fixed {
            rate: Decimal::zero()
        }
    );
    assert!(!params.deposit_enabled && params.collateral_factor.is_zero());
}

#[test]
fn a_cw20_hook_names_one_of_its_four_messages() {
    assert!(parse_err::<ReceiveMsg>(r#"{"borrow":{"position_id":1}}"#)
        .contains("unknown variant `borrow`"));
    assert!(parse_err::<ReceiveMsg>(r#""repay""#).contains("Invalid type"));
    assert!(parse_err::<ReceiveMsg>(r#"{"repay":{}}"#).contains("missing field `position_id`"));
    assert!(
        parse_err::<SimulateAction>(r#"{"liquidate":{"denom":"d","amount":"1"}}"#)
            .contains("unknown variant `liquidate`")
    );
}
