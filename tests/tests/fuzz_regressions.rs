//! Market bugs found by the invariant fuzzer (tests/src/fuzz/), each pinned by the smallest
//! test that showed it.
use cosmwasm_std::coins;
use keel_tests::*;
use keel_types::market::{MaxBorrowResponse, QueryMsg};

const YEAR: u64 = 31_536_000;

fn setup() -> Suite {
    Suite::with_eth_and_usdc()
}

fn max_borrow(s: &Suite, id: u64, denom: &str) -> MaxBorrowResponse {
    s.query_market(&QueryMsg::MaxBorrow {
        position_id: id,
        denom: denom.to_string(),
    })
    .unwrap()
}

/// Found by `scripts/fuzz.sh 100000 2026` (invariant `max-borrow-is-borrowable`, step 86582):
/// `max_borrow.at_floor` is computed from the value of the amount, but a borrow books its debt
/// rounded up (scaled debt up, then amount up), one base unit more than the amount once the
/// borrow index is not 1. Borrowing exactly `at_floor` then lands a hair under the floor
/// (HF 0.999999999999999999) and fails.
#[test]
fn borrowing_max_borrow_at_floor_succeeds_after_interest() {
    let mut s = setup();
    // Move the ETH borrow index away from 1.
    let lender = s.addr("lender");
    s.fund(&lender, 10u128.pow(19), ETH);
    s.open(&lender, &coins(10u128.pow(19), ETH)).unwrap();
    let b = s.addr("borrower");
    s.fund(&b, 100_000_000_000, USDC);
    let bid = s.open(&b, &coins(100_000_000_000, USDC)).unwrap();
    s.borrow(&b, bid, ETH, 5 * 10u128.pow(18)).unwrap();
    s.advance(YEAR / 7);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    assert_ne!(s.asset(ETH).borrow_index.to_string(), "1");

    let user = s.addr("user");
    s.fund(&user, 10_000_000_000, USDC);
    let id = s.open(&user, &coins(10_000_000_000, USDC)).unwrap();
    let max = max_borrow(&s, id, ETH);
    assert!(!max.at_floor.is_zero());
    s.borrow(&user, id, ETH, max.at_floor.u128()).unwrap();
}

/// Sequences found by the fuzzer, as the JSON that `scripts/fuzz.sh --replay FILE` takes: each
/// must replay without a violation.
fn replay_clean(json: &str) {
    let ops: Vec<keel_tests::fuzz::Op> = serde_json::from_str(json).expect("a JSON op list");
    let (stats, violations) = keel_tests::fuzz::replay(&ops, false);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(stats.ops, ops.len());
}

/// One feeder walks TKA's price down 5.83%, then 8.23% more, in two pushes of the same block:
/// 13.6% in all, past the 10% deviation guard, with no second feeder (invariant
/// `oracle-moves-within-the-deviation-guard`; the audit's F3 with one denom per push). The
/// second push must be left pending.
#[test]
fn a_feeders_walk_in_one_block_stays_within_the_deviation_guard() {
    replay_clean(r#"[{"PriceWalk":{"asset":2,"feeder":0,"steps":[-583,-823],"batch":false}}]"#);
    // The same walk in one batch naming the denom twice.
    replay_clean(r#"[{"PriceWalk":{"asset":2,"feeder":0,"steps":[-583,-823],"batch":true}}]"#);
}

/// The audit's attack paths as fuzzer operations, one after the other: zero cw20 sends to the
/// redeem, repay and liquidate hooks, forged `cw20:` natives, a stranger's new denom, a
/// redemption by someone else, a faulty liquidator seizing from a healthy position, an auto-borrow
/// under a limit of 1 denom (F7) and one feeder's three 9% steps in one batch (F3).
#[test]
fn the_audits_attack_paths_replay_clean() {
    replay_clean(
        r#"[{"Open":{"user":0,"deposits":[[0,{"Permille":10}]],"automation":null,"push":false}},{"Borrow":{"who":"Owner","pos":0,"asset":4,"amount":{"Permille":100},"to_collateral":false,"recipient":null}},{"Bad":{"kind":27,"who":4,"pos":3,"asset":0}},{"Bad":{"kind":27,"who":4,"pos":0,"asset":2}},{"Bad":{"kind":27,"who":4,"pos":4,"asset":2}},{"Bad":{"kind":26,"who":4,"pos":3,"asset":0}},{"Bad":{"kind":28,"who":4,"pos":0,"asset":1}},{"Redeem":{"user":4,"pos":0,"pick":0,"coll":null,"amount":{"Permille":500}}},{"RogueSeize":{"pos":0,"pick":0,"repay":{"Permille":995},"bonus":500,"cw20":true}},{"AssetLimit":{"max":0}},{"Deposit":{"who":"Owner","pos":0,"asset":1,"amount":{"Permille":1},"push":true}},{"PriceWalk":{"asset":1,"feeder":1,"steps":[900,900,900],"batch":true}}]"#,
    );
}

/// Found by `scripts/fuzz.sh 3000 1` (invariant `no-sub-unit-balances`, shrunk to 6 ops): with a
/// supply index above 1, a deposit of 1 base unit credits `floor(1e6 / index)` scaled units,
/// worth `floor(scaled * index / 1e6) = 0` base units. SPEC 3.3: "an operation that leaves it
/// worth zero base units deletes it"; the deposit left it (a balance that no query shows but
/// that the position stored). The market now refuses such a deposit.
#[test]
fn a_deposit_never_leaves_a_balance_worth_zero_base_units() {
    use cosmwasm_std::Uint128;
    use keel_market::state::POSITIONS;
    use keel_math::to_underlying_down;

    let mut s = setup();
    // A year of borrowing lifts USDC's supply index above 1.
    let lender = s.addr("lender");
    s.fund(&lender, 10_000_000_000, USDC);
    s.open(&lender, &coins(10_000_000_000, USDC)).unwrap();
    let b = s.addr("borrower");
    s.fund(&b, 10u128.pow(19), ETH);
    let bid = s.open(&b, &coins(10u128.pow(19), ETH)).unwrap();
    s.borrow(&b, bid, USDC, 8_000_000_000).unwrap();
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let index = s.asset(USDC).supply_index;
    assert!(index > cosmwasm_std::Decimal256::one());

    let user = s.addr("user");
    s.fund(&user, 10u128.pow(18), ETH);
    s.fund(&user, 1, USDC);
    let id = s.open(&user, &coins(10u128.pow(18), ETH)).unwrap();
    let res = s.exec_market(
        &user,
        &keel_types::market::ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        &coins(1, USDC),
    );
    // Refused, or accepted without leaving a balance worth nothing.
    if res.is_ok() {
        let storage = s.app.contract_storage(&s.market);
        let p = POSITIONS.load(storage.as_ref(), id).unwrap();
        for b in &p.collateral {
            let worth = to_underlying_down(b.scaled, index).unwrap();
            assert_ne!(
                worth,
                Uint128::zero(),
                "asset {} keeps {} scaled, worth 0 base units",
                b.asset,
                b.scaled
            );
        }
    }
}

/// Found by `scripts/fuzz.sh 150000 7` (invariant `max-borrow-is-borrowable`, step 30,819 of its
/// replay): `max_borrow.at_floor` keeps `ceil(borrow index)` base units off the floor, but one
/// base unit of an 18-decimal asset priced under 1 is worth less than the 1e-18 MOET to which
/// values are truncated, so that slack is worth nothing and borrowing exactly `at_floor` can land
/// at HF 0.999999999999999999. Here: TKB-like (18 decimals, price 0.2814, BF 1.5) borrowed
/// against a 6-decimal collateral. The market now checks the floor borrow on a copy.
#[test]
fn borrowing_max_borrow_at_floor_of_a_cheap_18_decimal_asset_succeeds() {
    const CHEAP: &str = "ucheap";
    let mut s = setup();
    let mut params = keel_tests::pool_params(18);
    params.borrow_factor = keel_tests::dec("1.5");
    s.list_asset(CHEAP, params).unwrap();
    s.set_price(CHEAP, "0.281406178364177076");
    s.set_price(USDC, "0.701600837390005941");
    // Lenders of the cheap asset, and a borrower lifting its borrow index above 1.
    let lender = s.addr("lender");
    s.fund(&lender, 10u128.pow(27), CHEAP);
    s.open(&lender, &coins(10u128.pow(27), CHEAP)).unwrap();
    let b = s.addr("borrower");
    s.fund(&b, 10u128.pow(20), ETH);
    let bid = s.open(&b, &coins(10u128.pow(20), ETH)).unwrap();
    s.borrow(&b, bid, CHEAP, 10u128.pow(23)).unwrap();
    s.advance(YEAR / 12);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "0.701600837390005941");
    s.set_price(CHEAP, "0.281406178364177076");

    let user = s.addr("user");
    s.fund(&user, 96_282_349_995, USDC);
    let id = s.open(&user, &coins(96_282_349_995, USDC)).unwrap();
    let max = max_borrow(&s, id, CHEAP);
    assert!(s.asset(CHEAP).borrow_index > cosmwasm_std::Decimal256::one());
    s.borrow(&user, id, CHEAP, max.at_floor.u128()).unwrap();
}
