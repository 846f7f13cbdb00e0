//! The stateful invariant fuzzer in CI: a few short seeded runs (the long run is
//! `scripts/fuzz.sh OPS SEED`), and checks that the checker itself catches broken invariants.
//!
//! `KEEL_FUZZ_SEEDS=11,12 KEEL_FUZZ_OPS=2000 cargo test -p keel-tests --test fuzz` runs other
//! seeds and lengths.
use std::time::Duration;

use cosmwasm_std::Uint128;
use keel_market::state::{ASSET_STATE, POSITIONS};
use keel_tests::fuzz::{generate, replay, run, Amt, Op, RunConfig, Who, World, MOET};

fn seeds() -> Vec<u64> {
    std::env::var("KEEL_FUZZ_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 3])
}

fn ops() -> usize {
    std::env::var("KEEL_FUZZ_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(350)
}

#[test]
fn short_random_runs_keep_every_invariant() {
    for seed in seeds() {
        let mut cfg = RunConfig::new(ops(), seed);
        cfg.shrink_budget = Duration::from_secs(60);
        let report = run(&cfg);
        println!("{report}");
        assert!(report.violations.is_empty(), "{report}");
        assert_eq!(report.stats.ops, ops());
        assert!(report.stats.checks > 0);
    }
}

#[test]
fn sequences_are_deterministic_and_replayable_as_json() {
    let ops = generate(42, 60);
    assert_eq!(ops, generate(42, 60));
    assert_ne!(ops, generate(43, 60));
    let json = serde_json::to_string(&ops).unwrap();
    let back: Vec<Op> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ops);
    let (stats, violations) = replay(&back, false);
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(stats.ops, 60);
}

/// A world with one position (1000 uusd of collateral, 100 MOET of debt).
fn world_with_a_position() -> World {
    let mut w = World::new();
    let ops = [
        Op::Open {
            user: 0,
            deposits: vec![(0, Amt::Raw(1_000_000_000))],
            automation: None,
            push: false,
        },
        Op::Borrow {
            who: Who::Owner,
            pos: 0,
            asset: MOET as u8,
            amount: Amt::Raw(100_000_000),
            to_collateral: false,
            recipient: None,
        },
    ];
    for (i, op) in ops.iter().enumerate() {
        assert!(w.step(i, op).is_empty());
    }
    w
}

fn noop() -> Op {
    Op::Time {
        secs: 1,
        repush: true,
        skip: None,
    }
}

#[test]
fn the_checker_catches_totals_that_do_not_match_the_positions() {
    let mut w = world_with_a_position();
    let (market, id) = (w.suite.market.clone(), w.assets[0].id);
    {
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut st = ASSET_STATE.load(storage.as_ref(), id).unwrap();
        st.scaled_supply += Uint128::new(1);
        ASSET_STATE.save(storage.as_mut(), id, &st).unwrap();
    }
    let v = w.step(2, &noop());
    assert!(
        v.iter().any(|v| v.invariant == "6.1-scaled-supply-sum"),
        "{v:?}"
    );
}

#[test]
fn the_checker_catches_cash_that_does_not_match_the_balance() {
    let mut w = world_with_a_position();
    let (market, id) = (w.suite.market.clone(), w.assets[0].id);
    {
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut st = ASSET_STATE.load(storage.as_ref(), id).unwrap();
        st.cash += Uint128::new(5);
        ASSET_STATE.save(storage.as_mut(), id, &st).unwrap();
    }
    let v = w.step(2, &noop());
    assert!(
        v.iter().any(|v| v.invariant == "6.2-cash-equals-balance"),
        "{v:?}"
    );
}

#[test]
fn the_checker_catches_debt_that_disappears() {
    let mut w = world_with_a_position();
    let market = w.suite.market.clone();
    let moet = w.assets[MOET].id;
    {
        // Debt forgiven in both the position and the totals: 6.1 still holds, but value
        // appears from nowhere (the snapshot before the next step predates the tampering).
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut p = POSITIONS.load(storage.as_ref(), 1).unwrap();
        let cut = p.debt[0].scaled.u128() / 2;
        p.debt[0].scaled = Uint128::new(p.debt[0].scaled.u128() - cut);
        POSITIONS.save(storage.as_mut(), 1, &p).unwrap();
        let mut st = ASSET_STATE.load(storage.as_ref(), moet).unwrap();
        st.scaled_debt = Uint128::new(st.scaled_debt.u128() - cut);
        ASSET_STATE.save(storage.as_mut(), moet, &st).unwrap();
    }
    let v = w.step(
        2,
        &Op::Approve {
            user: 1,
            amount: Amt::Raw(1),
            increase: true,
        },
    );
    assert!(
        v.iter().any(|v| v.invariant == "6.4-no-value-created"),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|v| v.invariant == "no-account-gains-from-nowhere"),
        "{v:?}"
    );
}
