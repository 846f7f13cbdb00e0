//! The records' binary forms: round trips, exact bytes, truncations, older versions, and no
//! input that makes a decoder panic.
use cosmwasm_std::Storage;
use cosmwasm_std::{Binary, CanonicalAddr, Decimal, Decimal256, Uint128, Uint256};
use keel_math::{HealthBounds, RateModel, RatePoint};
use keel_types::codec::{put_decimal, take_decimal};
use keel_types::market::{AssetKind, AssetParams};
use keel_types::record::{from_bytes, to_bytes, RecordError};

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Records as the version before records were versioned wrote them (their exact bytes).
const LEGACY_POSITION: &str = "14070707070707070707070707070707070707070702000105e8d4a5100000000202138801080e4b4b8af6a7000001000007045f60cac12f80001f200909090909090909090909090909090909090909090909090909090909090909000000027b7d14050505050505050505050505050505050505050511010b11010d11010f";
const LEGACY_ASSET_STATE: &str =
    "080e043da617250000080e27c49886e600000502540be4000501dcd6500004075bcd15000207d0046553f100";
const LEGACY_ASSET_INFO: &str =
    "3a057561746f6d06110108100155120101110102030000000011010810010f12010111010f0107";

fn legacy_position() -> Position {
    Position {
        owner: CanonicalAddr::from(vec![7u8; 20]),
        collateral: vec![
            Balance {
                asset: 1,
                scaled: Uint128::new(1_000_000_000_000),
                mark: None,
            },
            Balance {
                asset: 2,
                scaled: Uint128::new(5_000),
                mark: Some(Decimal256::percent(103)),
            },
        ],
        debt: vec![Balance {
            asset: 0,
            scaled: Uint128::new(1_230_769_230_000_000),
            mark: None,
        }],
        automation: Some(StoredAutomation {
            sink: Some(StoredSink {
                address: CanonicalAddr::from(vec![9u8; 32]),
                msg: Some(Binary::from(b"{}".to_vec())),
            }),
            source: Some(CanonicalAddr::from(vec![5u8; 20])),
            health: Some(HealthBounds {
                min: Decimal::percent(110),
                target: Decimal::percent(130),
                max: Decimal::percent(150),
            }),
            self_repay: true,
        }),
    }
}

#[test]
fn records_of_older_versions_still_load_and_are_rewritten_in_the_current_one() {
    let position = from_bytes::<Position>(&hex(LEGACY_POSITION)).unwrap();
    assert_eq!(position, legacy_position());
    // written back: the format byte, the same body, and the automation's presence byte
    let rewritten = to_bytes(&position).unwrap();
    assert_eq!(rewritten[0], 0x81);
    assert_eq!(from_bytes::<Position>(&rewritten).unwrap(), position);
    let without = Position {
        automation: None,
        ..position
    };
    assert_eq!(
        from_bytes::<Position>(&to_bytes(&without).unwrap()).unwrap(),
        without
    );

    let mut state = AssetState::new(1_700_000_000);
    state.supply_index = Decimal256::percent(101);
    state.borrow_index = Decimal256::percent(102);
    state.scaled_supply = Uint128::new(10_000_000_000);
    state.scaled_debt = Uint128::new(8_000_000_000);
    state.reserves = Decimal256::raw(123_456_789);
    state.cash = Uint128::new(2_000);
    assert_eq!(
        from_bytes::<AssetState>(&hex(LEGACY_ASSET_STATE)).unwrap(),
        state
    );
    // version 1 had the same body: it reads the same, without a stored price
    assert_eq!(
        from_bytes::<AssetState>(&[&[0x81u8][..], &hex(LEGACY_ASSET_STATE)].concat()).unwrap(),
        state
    );
    // written back in version 2: the body, then an absent stored price (two empty `uint`s)
    assert_eq!(
        to_bytes(&state).unwrap(),
        [&[0x82u8][..], &hex(LEGACY_ASSET_STATE), &[0, 0]].concat()
    );
    state.last_price = Some(StoredPrice {
        price: "12.5".parse().unwrap(),
        time: 1_700_000_100,
    });
    assert_eq!(
        from_bytes::<AssetState>(&to_bytes(&state).unwrap()).unwrap(),
        state
    );
    let listed = from_bytes::<AssetInfo>(&hex(LEGACY_ASSET_INFO)).unwrap();
    assert_eq!(listed, info(AssetKind::Pool, spec_curve()));
}

#[test]
fn records_of_an_unknown_version_are_refused() {
    let mut bytes = to_bytes(&legacy_position()).unwrap();
    bytes[0] = 0x89;
    assert_eq!(
        from_bytes::<Position>(&bytes).unwrap_err(),
        RecordError::UnknownVersion {
            record: "position",
            version: 9,
            max: 1
        }
    );
    let mut storage = cosmwasm_std::testing::MockStorage::new();
    storage.set(&POSITIONS.key(1), &bytes);
    assert!(matches!(
        crate::position::load_position(&storage, 1),
        Err(crate::error::ContractError::Record(
            RecordError::UnknownVersion { .. }
        ))
    ));
}

fn spec_curve() -> RateModel {
    RateModel::Piecewise {
        points: vec![
            RatePoint {
                utilization: Decimal::zero(),
                rate: Decimal::zero(),
            },
            RatePoint {
                utilization: Decimal::percent(80),
                rate: Decimal::percent(15),
            },
            RatePoint {
                utilization: Decimal::one(),
                rate: Decimal::percent(150),
            },
        ],
    }
}

fn info(kind: AssetKind, rate_model: RateModel) -> AssetInfo {
    AssetInfo {
        denom: "uatom".to_string(),
        params: AssetParams {
            decimals: 6,
            kind,
            collateral_factor: Decimal::percent(80),
            liquidation_threshold: Decimal::percent(85),
            borrow_factor: Decimal::one(),
            reserve_factor: Decimal::percent(20),
            rate_model,
            supply_cap: Some(Uint128::new(7)),
            borrow_cap: None,
            deposit_enabled: true,
            borrow_enabled: false,
            collateral_enabled: true,
        },
    }
}

#[test]
fn asset_state_round_trips_through_its_binary_form() {
    let mut state = AssetState::new(1_700_000_000);
    state.supply_index = Decimal256::percent(101);
    state.reserves = Decimal256::raw(123_456_789);
    state.scaled_supply = Uint128::new(1_100_000_000_000_000);
    state.cash = Uint128::new(42);
    let bytes = to_bytes(&state).unwrap();
    assert_eq!(
        bytes,
        [
            vec![0x82], // format version 2
            vec![8],
            1_010_000_000_000_000_000u64.to_be_bytes().to_vec(),
            vec![8],
            1_000_000_000_000_000_000u64.to_be_bytes().to_vec(),
            vec![7],
            1_100_000_000_000_000u64.to_be_bytes()[1..].to_vec(),
            vec![0], // scaled debt
            vec![4],
            123_456_789u32.to_be_bytes().to_vec(),
            vec![0, 1, 42], // deficit, cash
            vec![4],
            1_700_000_000u32.to_be_bytes().to_vec(),
            vec![0, 0], // no stored price
        ]
        .concat()
    );
    assert_eq!(from_bytes::<AssetState>(&bytes).unwrap(), state);
    let mut extreme = state.clone();
    extreme.supply_index = Decimal256::MAX;
    extreme.scaled_debt = Uint128::MAX;
    extreme.last_updated = u64::MAX;
    assert_eq!(
        from_bytes::<AssetState>(&to_bytes(&extreme).unwrap()).unwrap(),
        extreme
    );
    assert!(from_bytes::<AssetState>(&bytes[..bytes.len() - 1]).is_err());
    assert!(from_bytes::<AssetState>(&[bytes.as_slice(), &[0]].concat()).is_err());
}

fn position(automation: Option<StoredAutomation>) -> Position {
    Position {
        owner: CanonicalAddr::from(b"owner".as_slice()),
        collateral: vec![
            Balance {
                asset: 1,
                scaled: Uint128::new(1_000),
                mark: None,
            },
            Balance {
                asset: 258,
                scaled: Uint128::MAX,
                mark: Some(Decimal256::percent(101)),
            },
            Balance {
                asset: 3,
                scaled: Uint128::zero(),
                mark: Some(Decimal256::MAX),
            },
        ],
        debt: vec![Balance {
            asset: 0,
            scaled: Uint128::new(5),
            mark: None,
        }],
        automation,
    }
}

#[test]
fn positions_round_trip_through_their_binary_form() {
    let plain = position(None);
    let bytes = to_bytes(&plain).unwrap();
    assert_eq!(
        bytes[..18],
        [
            0x81, // format version 1
            5, b'o', b'w', b'n', b'e', b'r', // owner
            3,    // three collateral balances
            0, 1, 2, 0x03, 0xe8, 0, // asset 1, 1000, no mark
            1, 2, 16, 0xff // asset 258, u128::MAX (16 bytes) ...
        ]
    );
    assert_eq!(from_bytes::<Position>(&bytes).unwrap(), plain);
    let automated = position(Some(StoredAutomation {
        sink: None,
        source: Some(CanonicalAddr::from(b"source".as_slice())),
        health: None,
        self_repay: true,
    }));
    let bytes = to_bytes(&automated).unwrap();
    assert_eq!(from_bytes::<Position>(&bytes).unwrap(), automated);
    let fully_automated = position(Some(StoredAutomation {
        sink: Some(StoredSink {
            address: CanonicalAddr::from(b"sink".as_slice()),
            msg: Some(Binary::from(b"{\"hook\":{}}")),
        }),
        source: Some(CanonicalAddr::from(b"source".as_slice())),
        health: Some(HealthBounds {
            min: Decimal::percent(120),
            target: Decimal::percent(140),
            max: Decimal::percent(160),
        }),
        self_repay: false,
    }));
    let bytes = to_bytes(&fully_automated).unwrap();
    assert_eq!(from_bytes::<Position>(&bytes).unwrap(), fully_automated);
    let plain_len = to_bytes(&plain).unwrap().len();
    for cut in plain_len + 1..bytes.len() {
        assert!(
            from_bytes::<Position>(&bytes[..cut]).is_err(),
            "prefix of {cut} bytes"
        );
    }
    let sink_without_hook = position(Some(StoredAutomation {
        sink: Some(StoredSink {
            address: CanonicalAddr::from(b"sink".as_slice()),
            msg: None,
        }),
        source: None,
        health: None,
        self_repay: false,
    }));
    let bytes = to_bytes(&sink_without_hook).unwrap();
    assert_eq!(from_bytes::<Position>(&bytes).unwrap(), sink_without_hook);
    // an empty position: format byte, owner, two zero counts, no automation
    let empty = Position {
        collateral: vec![],
        debt: vec![],
        ..plain
    };
    assert_eq!(to_bytes(&empty).unwrap().len(), 10);
    assert_eq!(
        from_bytes::<Position>(&to_bytes(&empty).unwrap()).unwrap(),
        empty
    );
}

#[test]
fn corrupt_position_records_are_errors_not_panics() {
    let bytes = to_bytes(&position(None)).unwrap();
    for cut in 0..bytes.len() {
        // every strict prefix that ends inside the balances is refused
        if cut < 40 {
            assert!(
                from_bytes::<Position>(&bytes[..cut]).is_err(),
                "prefix of {cut} bytes"
            );
        }
    }
    assert!(
        from_bytes::<Position>(&[1, b'o', 1, 0, 0, 17]).is_err(),
        "integer too long"
    );
}

#[test]
fn position_store_ranges_in_id_order_after_start() {
    let mut storage = cosmwasm_std::testing::MockStorage::new();
    for id in [3u64, 1, 256, u64::MAX] {
        POSITIONS.save(&mut storage, id, &position(None)).unwrap();
    }
    let ids = |start| {
        POSITIONS
            .range(&storage, start)
            .map(|r| r.unwrap().0)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(None), vec![1, 3, 256, u64::MAX]);
    assert_eq!(ids(Some(1)), vec![3, 256, u64::MAX]);
    assert_eq!(ids(Some(256)), vec![u64::MAX]);
    assert_eq!(ids(Some(u64::MAX)), Vec::<u64>::new());
    assert_eq!(
        POSITIONS.may_load(&storage, 256).unwrap(),
        Some(position(None))
    );
    assert_eq!(POSITIONS.may_load(&storage, 2).unwrap(), None);
}

#[test]
fn decimals_drop_their_trailing_zeros_and_round_trip() {
    for (d, len) in [
        (Decimal::zero(), 2),
        (Decimal::raw(1), 3),
        (Decimal::percent(80), 3),
        (Decimal::permille(1), 3),
        (Decimal::raw(123_456_789_000), 6),
        (Decimal::raw(10u128.pow(38)), 3),
        (Decimal::MAX, 18),
    ] {
        let mut out = vec![];
        put_decimal(&mut out, d);
        assert_eq!(out.len(), len, "{d}");
        let mut read = out.as_slice();
        assert_eq!(take_decimal(&mut read).unwrap(), d);
        assert!(read.is_empty());
    }
    // a mantissa times 10^zeros beyond 128 bits is an error, not a wrap
    assert!(take_decimal(&mut [39u8, 1, 1].as_slice()).is_err());
    assert!(take_decimal(&mut [38u8, 1, 4].as_slice()).is_err());
}

#[test]
fn asset_info_round_trips_through_its_compact_form() {
    let piecewise = RateModel::Piecewise {
        points: vec![
            RatePoint {
                utilization: Decimal::zero(),
                rate: Decimal::zero(),
            },
            RatePoint {
                utilization: Decimal::percent(80),
                rate: Decimal::percent(15),
            },
            RatePoint {
                utilization: Decimal::one(),
                rate: Decimal::percent(150),
            },
        ],
    };
    for original in [
        info(AssetKind::Pool, piecewise),
        info(
            AssetKind::Minted,
            RateModel::Fixed {
                rate: Decimal::percent(5),
            },
        ),
    ] {
        let bytes = to_bytes(&original).unwrap();
        assert!(bytes.len() <= 85, "{} bytes", bytes.len());
        assert_eq!(from_bytes::<AssetInfo>(&bytes).unwrap(), original);
        for cut in 0..bytes.len() {
            assert!(
                from_bytes::<AssetInfo>(&bytes[..cut]).is_err(),
                "prefix of {cut} bytes"
            );
        }
        assert!(from_bytes::<AssetInfo>(&[bytes.as_slice(), &[0]].concat()).is_err());
    }
}

mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    fn decimal() -> impl Strategy<Value = Decimal> {
        any::<u128>().prop_map(Decimal::raw)
    }

    fn balance() -> impl Strategy<Value = Balance> {
        (any::<u16>(), any::<u128>(), option::of(any::<[u8; 32]>())).prop_map(
            |(asset, scaled, mark)| Balance {
                asset,
                scaled: Uint128::new(scaled),
                mark: mark.map(|m| Decimal256::new(Uint256::from_be_bytes(m))),
            },
        )
    }

    fn canonical() -> impl Strategy<Value = CanonicalAddr> {
        vec(any::<u8>(), 1..=64).prop_map(CanonicalAddr::from)
    }

    fn bounds() -> impl Strategy<Value = HealthBounds> {
        (decimal(), decimal(), decimal()).prop_map(|(min, target, max)| HealthBounds {
            min,
            target,
            max,
        })
    }

    fn automation() -> impl Strategy<Value = StoredAutomation> {
        (
            option::of((canonical(), option::of(vec(any::<u8>(), 0..300)))),
            option::of(canonical()),
            option::of(bounds()),
            any::<bool>(),
        )
            .prop_map(|(sink, source, health, self_repay)| StoredAutomation {
                sink: sink.map(|(address, msg)| StoredSink {
                    address,
                    msg: msg.map(Binary::from),
                }),
                source,
                health,
                self_repay,
            })
    }

    fn rate_model() -> impl Strategy<Value = RateModel> {
        prop_oneof![
            decimal().prop_map(|rate| RateModel::Fixed { rate }),
            vec((decimal(), decimal()), 0..8).prop_map(|points| RateModel::Piecewise {
                points: points
                    .into_iter()
                    .map(|(utilization, rate)| RatePoint { utilization, rate })
                    .collect(),
            }),
        ]
    }

    fn asset_info() -> impl Strategy<Value = AssetInfo> {
        (
            "[a-z0-9:/]{1,80}",
            any::<u8>(),
            any::<bool>(),
            [decimal(), decimal(), decimal(), decimal()],
            rate_model(),
            option::of(any::<u128>()),
            option::of(any::<u128>()),
            [any::<bool>(), any::<bool>(), any::<bool>()],
        )
            .prop_map(
                |(denom, decimals, minted, [cf, lt, bf, rf], rate_model, sc, bc, enabled)| {
                    AssetInfo {
                        denom,
                        params: AssetParams {
                            decimals,
                            kind: if minted {
                                AssetKind::Minted
                            } else {
                                AssetKind::Pool
                            },
                            collateral_factor: cf,
                            liquidation_threshold: lt,
                            borrow_factor: bf,
                            reserve_factor: rf,
                            rate_model,
                            supply_cap: sc.map(Uint128::new),
                            borrow_cap: bc.map(Uint128::new),
                            deposit_enabled: enabled[0],
                            borrow_enabled: enabled[1],
                            collateral_enabled: enabled[2],
                        },
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn any_position_round_trips(
            owner in canonical(),
            collateral in vec(balance(), 0..=32),
            debt in vec(balance(), 0..=32),
            automation in option::of(automation()),
        ) {
            let position = Position { owner, collateral, debt, automation };
            let bytes = to_bytes(&position).unwrap();
            prop_assert_eq!(from_bytes::<Position>(&bytes).unwrap(), position);
        }

        #[test]
        fn any_asset_record_round_trips(info in asset_info(), words in any::<[[u8; 32]; 3]>(),
            amounts in any::<[u128; 4]>(), last_updated in any::<u64>(),
            last_price in option::of((1u128.., any::<u64>()))) {
            prop_assert_eq!(from_bytes::<AssetInfo>(&to_bytes(&info).unwrap()).unwrap(), info);
            let state = AssetState {
                supply_index: Decimal256::new(Uint256::from_be_bytes(words[0])),
                borrow_index: Decimal256::new(Uint256::from_be_bytes(words[1])),
                scaled_supply: Uint128::new(amounts[0]),
                scaled_debt: Uint128::new(amounts[1]),
                reserves: Decimal256::new(Uint256::from_be_bytes(words[2])),
                deficit: Uint128::new(amounts[2]),
                cash: Uint128::new(amounts[3]),
                last_updated,
                last_price: last_price.map(|(p, time)| StoredPrice { price: Decimal::raw(p), time }),
            };
            prop_assert_eq!(from_bytes::<AssetState>(&to_bytes(&state).unwrap()).unwrap(), state);
        }

        /// Whatever the bytes, a decoder returns a value or an error: it never panics.
        #[test]
        fn no_bytes_make_a_decoder_panic(bytes in vec(any::<u8>(), 0..400)) {
            let api = cosmwasm_std::testing::MockApi::default();
            // as they come (mostly version 0), and as a version-1 body
            for bytes in [bytes.clone(), [&[0x81u8][..], &bytes].concat()] {
                let _ = from_bytes::<Position>(&bytes);
                let _ = from_bytes::<AssetInfo>(&bytes);
                let _ = from_bytes::<AssetState>(&bytes);
                if !bytes.is_empty() {
                    let mut storage = cosmwasm_std::testing::MockStorage::new();
                    storage.set(b"c", &bytes);
                    let _ = Config::load(&storage, &api);
                }
            }
        }
    }
}
