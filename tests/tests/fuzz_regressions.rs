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
