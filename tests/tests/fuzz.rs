//! The stateful invariant fuzzer in CI: a few short seeded runs (the long run is
//! `scripts/fuzz.sh OPS SEED`), and checks that the checker itself catches broken invariants
//! (storage changed behind the world's back, as a faulty contract would change it).
//!
//! `KEEL_FUZZ_SEEDS=11,12 KEEL_FUZZ_OPS=2000 cargo test -p keel-tests --test fuzz` runs other
//! seeds and lengths.
use std::time::Duration;

use cosmwasm_std::{Api, Uint128};
use keel_market::state::{ASSET_STATE, POSITIONS, TOP_UP_CONSENT};
use keel_tests::fuzz::{
    generate, replay, run, Amt, AutoSpec, Op, RunConfig, Violation, Who, World, MOET,
};

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

// -------------------------------------------------------------------------------------------
// The third-party invariants catch what they are meant to
// -------------------------------------------------------------------------------------------

/// The bot (user 4, who holds MOET) as position 1's top-up source, with bounds that ask it for
/// everything, and a MOET allowance to the market for its own use: no consent.
fn world_with_a_named_source() -> World {
    let mut w = world_with_a_position();
    let ops = [
        Op::Approve {
            user: 4,
            amount: Amt::Raw(1_000_000_000),
            increase: true,
        },
        Op::SetAutomation {
            who: Who::Owner,
            pos: 0,
            automation: Some(AutoSpec {
                sink: 0,
                source: 5,
                health: 5,
                self_repay: false,
            }),
        },
    ];
    for (i, op) in ops.iter().enumerate() {
        assert!(w.step(2 + i, op).is_empty());
    }
    w
}

/// Writes the market's record of `source`'s consent to back position 1, as a faulty market
/// might.
fn forge_consent(w: &mut World, source: usize, amount: u128) {
    let market = w.suite.market.clone();
    let canonical = w
        .suite
        .app
        .api()
        .addr_canonicalize(w.accounts[source].as_str())
        .unwrap();
    let mut storage = w.suite.app.contract_storage_mut(&market);
    TOP_UP_CONSENT
        .save(
            storage.as_mut(),
            (1, canonical.as_slice()),
            &Uint128::new(amount),
        )
        .unwrap();
}

fn invariants(v: &[Violation]) -> Vec<&'static str> {
    v.iter().map(|v| v.invariant).collect()
}

#[test]
fn the_checker_catches_a_top_up_pulled_without_consent() {
    let mut w = world_with_a_named_source();
    // The honest market pulls nothing: the bot never consented.
    let v = w.step(4, &Op::Rebalance { pos: 0 });
    assert!(v.is_empty(), "{v:?}");
    // A market that believes it has the bot's consent pulls its MOET.
    forge_consent(&mut w, 4, 10_000_000);
    let v = w.step(5, &Op::Rebalance { pos: 0 });
    assert!(invariants(&v).contains(&"no-loss-without-consent"), "{v:?}");
}

#[test]
fn the_checker_catches_a_top_up_beyond_the_consent() {
    let mut w = world_with_a_named_source();
    let allow = Op::AllowTopUp {
        user: 4,
        pos: 0,
        amount: Amt::Raw(5_000_000),
    };
    assert!(w.step(4, &allow).is_empty());
    // The market's record says 200 MOET where the bot consented to 5: it pulls the whole
    // debt and keeps a remainder the bot never gave.
    forge_consent(&mut w, 4, 200_000_000);
    let v = w.step(5, &Op::Rebalance { pos: 0 });
    let names = invariants(&v);
    assert!(names.contains(&"no-loss-without-consent"), "{v:?}");
    assert!(names.contains(&"consent-matches-the-market"), "{v:?}");
}

#[test]
fn a_consented_top_up_within_the_consent_is_no_violation() {
    let mut w = world_with_a_named_source();
    let allow = Op::AllowTopUp {
        user: 4,
        pos: 0,
        amount: Amt::Raw(5_000_000),
    };
    assert!(w.step(4, &allow).is_empty());
    let v = w.step(5, &Op::Rebalance { pos: 0 });
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(w.stats.consented_pulls, 1);
    // The consent is spent: the next rebalance pulls nothing.
    let v = w.step(6, &Op::Rebalance { pos: 0 });
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(w.stats.consented_pulls, 1);
}

#[test]
fn the_checker_catches_a_stranger_taking_collateral() {
    let mut w = world_with_a_position();
    let (market, id) = (w.suite.market.clone(), w.assets[0].id);
    {
        // Half the owner's collateral gone, the books kept consistent (6.1 holds).
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut p = POSITIONS.load(storage.as_ref(), 1).unwrap();
        let cut = p.collateral[0].scaled.u128() / 2;
        p.collateral[0].scaled = Uint128::new(p.collateral[0].scaled.u128() - cut);
        POSITIONS.save(storage.as_mut(), 1, &p).unwrap();
        let mut st = ASSET_STATE.load(storage.as_ref(), id).unwrap();
        st.scaled_supply = Uint128::new(st.scaled_supply.u128() - cut);
        ASSET_STATE.save(storage.as_mut(), id, &st).unwrap();
    }
    // Someone else repays part of the position's debt.
    let v = w.step(
        2,
        &Op::Repay {
            who: Who::User(4),
            pos: 0,
            asset: MOET as u8,
            amount: Amt::Permille(100),
        },
    );
    assert!(
        invariants(&v).contains(&"strangers-change-positions-only-as-allowed"),
        "{v:?}"
    );
}

#[test]
fn the_checker_catches_a_price_moved_past_the_guard_in_one_block() {
    let mut w = world_with_a_position();
    // Both feeders agree on twice the price, outside the world's operations: the world saw
    // no confirmation, so in its eyes the price left the guard within the block.
    let denom = w.assets[1].denom.clone();
    w.suite.set_price(&denom, "4000");
    let v = w.step(
        2,
        &Op::Approve {
            user: 1,
            amount: Amt::Raw(1),
            increase: true,
        },
    );
    assert!(
        invariants(&v).contains(&"oracle-moves-within-the-deviation-guard"),
        "{v:?}"
    );
}

#[test]
fn the_checker_catches_a_touch_that_does_not_match_the_query() {
    let mut w = world_with_a_position();
    let (market, moet) = (w.suite.market.clone(), w.assets[MOET].id);
    {
        // One more base unit of debt, in the position and the totals, unseen by the query
        // the world made before the next step.
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut p = POSITIONS.load(storage.as_ref(), 1).unwrap();
        p.debt[0].scaled += Uint128::new(1_000_000);
        POSITIONS.save(storage.as_mut(), 1, &p).unwrap();
        let mut st = ASSET_STATE.load(storage.as_ref(), moet).unwrap();
        st.scaled_debt += Uint128::new(1_000_000);
        ASSET_STATE.save(storage.as_mut(), moet, &st).unwrap();
    }
    let v = w.step(3, &Op::Rebalance { pos: 0 });
    assert!(
        invariants(&v).contains(&"query-shows-the-next-touch"),
        "{v:?}"
    );
}

#[test]
fn the_checker_catches_a_position_taken_past_the_asset_limit() {
    let mut w = world_with_a_position();
    // The limit at 1: the position (uusd, MOET) may keep its two denoms, not take a third.
    assert!(w.step(2, &Op::AssetLimit { max: 0 }).is_empty());
    let (market, weth) = (w.suite.market.clone(), w.assets[1].id);
    {
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut p = POSITIONS.load(storage.as_ref(), 1).unwrap();
        let mut extra = p.collateral[0].clone();
        extra.asset = weth;
        extra.scaled = Uint128::new(1_000_000_000_000);
        p.collateral.push(extra);
        POSITIONS.save(storage.as_mut(), 1, &p).unwrap();
        let mut st = ASSET_STATE.load(storage.as_ref(), weth).unwrap();
        st.scaled_supply += Uint128::new(1_000_000_000_000);
        ASSET_STATE.save(storage.as_mut(), weth, &st).unwrap();
    }
    let v = w.step(3, &noop());
    assert!(invariants(&v).contains(&"asset-limit-respected"), "{v:?}");
}

#[test]
fn the_checker_catches_a_balance_worth_nothing_left_by_a_touch() {
    let mut w = world_with_a_position();
    let (market, id) = (w.suite.market.clone(), w.assets[0].id);
    {
        // What is left of position 1's uusd: one scaled unit, worth nothing.
        let mut storage = w.suite.app.contract_storage_mut(&market);
        let mut p = POSITIONS.load(storage.as_ref(), 1).unwrap();
        let i = p.collateral.iter().position(|b| b.asset == id).unwrap();
        let cut = p.collateral[i].scaled.u128() - 1;
        p.collateral[i].scaled = Uint128::new(1);
        POSITIONS.save(storage.as_mut(), 1, &p).unwrap();
        let mut st = ASSET_STATE.load(storage.as_ref(), id).unwrap();
        st.scaled_supply = Uint128::new(st.scaled_supply.u128() - cut);
        ASSET_STATE.save(storage.as_mut(), id, &st).unwrap();
    }
    // An operation on the position that does not sweep it (the market sweeps on its touches).
    let v = w.step(
        2,
        &Op::AllowTopUp {
            user: 1,
            pos: 0,
            amount: Amt::Raw(1),
        },
    );
    assert!(invariants(&v).contains(&"no-sub-unit-balances"), "{v:?}");
}
