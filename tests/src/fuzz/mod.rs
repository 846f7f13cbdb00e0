//! Stateful invariant fuzzing of the whole deployment.
//!
//! A seeded generator produces a sequence of abstract operations ([`Op`]): several users and
//! positions, four pool assets (native and cw20, 6 and 18 decimals) and MOET; deposits,
//! withdrawals, borrows (also `to_collateral`), repays, automation, rebalances, self-repay,
//! liquidations through the liquidator contract, redemptions, price moves (within and beyond the
//! deviation guard, confirmed or left pending, and one feeder's walks in several steps of one
//! block), time jumps (with and without fresh prices), reserve withdrawals, donations,
//! guardian/owner toggles, a faulty liquidator's `seize`, and bad input of many kinds. Third
//! parties act on others' positions: strangers deposit, repay, rebalance, liquidate and redeem;
//! owners name other users as top-up sources, who may have given the market an allowance for
//! their own use and may or may not consent (`allow_top_up`, `disallow_top_up`).
//!
//! Operations are generated without looking at the state (so that any subsequence is still a
//! valid sequence, which is what shrinking needs); they name users, positions and amounts
//! abstractly (a position slot, a per-mille of a balance or of `max_borrow`) and are resolved
//! against the state when they run.
//!
//! After every operation [`World::step`] compares a snapshot of everything with the one taken
//! before it:
//! - a failed message changed nothing: the raw storage of the market, the oracle, the
//!   liquidator and every cw20 token, and every tracked account's balances are byte-for-byte
//!   the same;
//! - SPEC 6.1: per asset, the positions' scaled collateral and debt sum exactly to `S_s`, `D_s`
//!   (read from the market's raw storage);
//! - SPEC 6.2: per pool asset, tracked cash equals the market's balance minus our donations, and
//!   `cash >= S + R - D`; the market holds no MOET but donations;
//! - SPEC 6.3: after a user action at fixed prices no position has a conservative HF below the
//!   floor that it did not start with; a successful borrow/withdraw leaves HF >= floor; a
//!   liquidation only hits a position with LHF < 1 and does not lower its LHF unless it was
//!   underwater (`LHF < (1 + bonus) * LT_coll / BF_debt`); a rebalance that pulls from a top-up
//!   source leaves the position not liquidatable; auto-borrow never goes below the target;
//! - SPEC 6.4: per asset, the tokens held by all accounts plus the market's net claims
//!   (`S + R - D - deficit`) never grow (MOET may grow only by what self-repay wrote off), and
//!   shrink by at most a few base units of rounding; no account's net worth (wallet plus its
//!   positions) grows, except a liquidator's by at most its bonus;
//! - utilization <= 1, indices never decrease (the supply index only on a write-off), the JSON
//!   interface (`positions`, `assets`) agrees with the raw storage; every token's supply is held
//!   by tracked accounts (nothing appears from nowhere); no panic;
//! - third parties: no account that sent no message loses any token, but a top-up source within
//!   the consent it gave (tracked from the messages the world sent); a position whose owner sent
//!   nothing changes only in the ways a stranger's deposit, repay, rebalance, liquidation or
//!   redemption allows; no message takes a position past `max_position_assets`; a touched
//!   position keeps no balance worth zero base units, nor debt without collateral after a
//!   withdrawal, liquidation or redemption;
//! - the oracle: no push moves an accepted price further than `max_deviation` from the block's
//!   reference without a confirmation of a pending price;
//! - the queries report as of now: `liquidatable_positions`, `positions`, `position` and the
//!   liquidator's `quote` agree, and a plain touch in the same block leaves what `position`
//!   showed.
//!
//! On a violation, [`shrink()`] reduces the sequence (delta debugging) to a minimal one that
//! still violates the same invariant, printed as JSON that [`replay`] (and
//! `scripts/fuzz.sh --replay FILE`) runs again.
//!
//! The modules, one concern each:
//! - [`ops`]: the operations ([`Op`]) and how they name users, positions and amounts;
//! - [`mod@generate`]: the seeded generator;
//! - [`world`]: the deployment and its accounts, and [`World::step`];
//! - `exec`, `bad`: running an operation (bad input in `bad`);
//! - [`snapshot`]: what is measured before and after each operation;
//! - `checker`: the invariants of the books, value and health; `actors`: third parties and
//!   consent; `guard`: the oracle's deviation guard; `interface`: the queries;
//! - `util`: conversions and event readers;
//! - [`mod@shrink`]: shrinking a failing sequence, and replaying one.
//!
//! Adding an operation: a variant of [`Op`] (and its name in [`Op::kind`]), a weight in
//! [`gen_op`], its execution in `exec` (resolved against the snapshot before it, returning the
//! `exec::Class` the checker dispatches on), and the checks it needs in `checker`.
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

mod actors;
mod bad;
mod checker;
mod exec;
pub mod generate;
mod guard;
mod interface;
pub mod ops;
pub mod shrink;
pub mod snapshot;
mod util;
pub mod world;

pub use checker::Violation;
pub use generate::{gen_op, generate, Rng};
pub use ops::{Amt, AutoSpec, Op, Who, BAD_KINDS};
pub use shrink::{replay, run_ops, shrink};
pub use snapshot::Snap;
pub use world::{AssetCfg, World, KNOWN_DEFECTS, MOET, N_POOL};

use world::N_ASSETS;

/// Counters of one run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub ops: usize,
    pub ok: usize,
    pub failed: usize,
    pub skipped: usize,
    pub checks: u64,
    /// Per operation kind: (ok, failed, skipped).
    pub by_kind: BTreeMap<&'static str, (usize, usize, usize)>,
    pub liquidations: usize,
    pub bad_debts: usize,
    pub self_repays: usize,
    pub top_ups: usize,
    pub draw_downs: usize,
    /// Top-ups pulled from a source other than the owner (within its consent).
    pub consented_pulls: usize,
    /// Pushes the oracle left pending (beyond the deviation guard).
    pub pending_pushes: usize,
    /// Violations of [`KNOWN_DEFECTS`] counted, not reported, by
    /// invariant.
    pub known_defects: BTreeMap<&'static str, usize>,
    /// Largest loss to rounding seen in one step, per asset (base units).
    pub max_rounding_loss: [f64; N_ASSETS],
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Report {
    pub seed: u64,
    pub stats: Stats,
    pub violations: Vec<Violation>,
    pub elapsed: Duration,
    /// The minimal failing sequence, when a violation was found and shrunk.
    pub repro: Option<Vec<Op>>,
}

impl Report {
    pub fn ops_per_sec(&self) -> f64 {
        self.stats.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        writeln!(f, "seed: {}", self.seed)?;
        writeln!(
            f,
            "ops run: {} (ok {}, failed {}, skipped {})",
            s.ops, s.ok, s.failed, s.skipped
        )?;
        writeln!(f, "invariants checked: {}", s.checks)?;
        writeln!(f, "violations: {}", self.violations.len())?;
        writeln!(
            f,
            "time: {:.1} s ({:.0} ops/s)",
            self.elapsed.as_secs_f64(),
            self.ops_per_sec()
        )?;
        writeln!(
            f,
            "liquidations: {}, bad debts: {}, self-repays: {}, top-ups: {} ({} from consenting \
             sources), draw-downs: {}, pushes left pending: {}",
            s.liquidations,
            s.bad_debts,
            s.self_repays,
            s.top_ups,
            s.consented_pulls,
            s.draw_downs,
            s.pending_pushes
        )?;
        if !s.known_defects.is_empty() {
            writeln!(
                f,
                "known contract defects seen (not counted as violations): {:?}",
                s.known_defects
            )?;
        }
        writeln!(
            f,
            "largest rounding loss in one step (base units, per asset): {:?}",
            s.max_rounding_loss
        )?;
        writeln!(f, "by kind (ok / failed / skipped):")?;
        for (k, (ok, failed, skipped)) in &s.by_kind {
            writeln!(f, "  {k:<36} {ok:>7} {failed:>7} {skipped:>7}")?;
        }
        for v in self.violations.iter().take(20) {
            writeln!(f, "VIOLATION {v}")?;
        }
        if let Some(ops) = &self.repro {
            writeln!(
                f,
                "minimal reproducing sequence ({} ops, JSON for --replay):",
                ops.len()
            )?;
            writeln!(f, "{}", serde_json::to_string(ops).unwrap_or_default())?;
            for (i, op) in ops.iter().enumerate() {
                writeln!(f, "  {i:>3}: {op:?}")?;
            }
        }
        Ok(())
    }
}

/// Options of [`run`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub ops: usize,
    pub seed: u64,
    /// Check the JSON interface every this many steps (0: never).
    pub json_every: usize,
    /// Time allowed for shrinking a failing sequence (zero: no shrinking).
    pub shrink_budget: Duration,
    /// Print a progress line every this many ops (0: never).
    pub progress_every: usize,
    /// Report the violations of [`KNOWN_DEFECTS`] too (they are counted
    /// and the run goes on otherwise).
    pub strict: bool,
}

impl RunConfig {
    pub fn new(ops: usize, seed: u64) -> Self {
        RunConfig {
            ops,
            seed,
            json_every: 1,
            shrink_budget: Duration::from_secs(600),
            progress_every: 0,
            strict: false,
        }
    }
}

/// Generates `cfg.ops` operations from `cfg.seed`, runs them checking every invariant after
/// every step, stops at the first violation and shrinks it.
pub fn run(cfg: &RunConfig) -> Report {
    let ops = generate(cfg.seed, cfg.ops);
    let start = Instant::now();
    let mut w = World::new();
    w.json_every = cfg.json_every;
    w.tolerate_known = !cfg.strict;
    let mut violations = vec![];
    for (i, op) in ops.iter().enumerate() {
        let v = w.step(i, op);
        if cfg.progress_every > 0 && (i + 1) % cfg.progress_every == 0 {
            eprintln!(
                "[fuzz] seed {} op {}/{}: {} checks, {:.0} ops/s, {} positions, {} liquidations",
                cfg.seed,
                i + 1,
                cfg.ops,
                w.stats.checks,
                (i + 1) as f64 / start.elapsed().as_secs_f64().max(1e-9),
                w.positions.len(),
                w.stats.liquidations
            );
        }
        if !v.is_empty() {
            for x in &v {
                eprintln!("[fuzz] VIOLATION {x}");
            }
            if !cfg.shrink_budget.is_zero() {
                eprintln!(
                    "[fuzz] shrinking the {} operations for up to {} s",
                    i + 1,
                    cfg.shrink_budget.as_secs()
                );
            }
            violations = v;
            break;
        }
    }
    let elapsed = start.elapsed();
    let repro = violations.first().and_then(|v| {
        (!cfg.shrink_budget.is_zero()).then(|| {
            shrink(
                &ops[..=v.step],
                v.invariant,
                cfg.json_every,
                cfg.shrink_budget,
            )
        })
    });
    Report {
        seed: cfg.seed,
        stats: w.stats,
        violations,
        elapsed,
        repro,
    }
}
