//! Shrinking a failing sequence (delta debugging) and replaying one.
use std::time::{Duration, Instant};

use super::checker::Violation;
use super::ops::Op;
use super::world::{World, KNOWN_DEFECTS};
use super::Stats;

/// Runs `ops` on a fresh world; stops at the first step with a violation.
pub fn run_ops(ops: &[Op], json_every: usize) -> (Stats, Vec<Violation>) {
    let mut w = World::new();
    w.json_every = json_every;
    for (i, op) in ops.iter().enumerate() {
        let v = w.step(i, op);
        if !v.is_empty() {
            return (w.stats, v);
        }
    }
    (w.stats, vec![])
}

/// The first violation of `ops`, if any, found before `deadline` (for shrinking); `strict`: known
/// defects are violations too.
fn first_violation(
    ops: &[Op],
    json_every: usize,
    strict: bool,
    deadline: Instant,
) -> Option<Violation> {
    let mut w = World::new();
    w.json_every = json_every;
    w.tolerate_known = !strict;
    for (i, op) in ops.iter().enumerate() {
        if Instant::now() > deadline {
            return None;
        }
        if let Some(v) = w.step(i, op).into_iter().next() {
            return Some(v);
        }
    }
    None
}

/// Delta debugging: the smallest subsequence of `ops` (within `budget`) that still breaks
/// `invariant`.
pub fn shrink(ops: &[Op], invariant: &str, json_every: usize, budget: Duration) -> Vec<Op> {
    let start = Instant::now();
    let deadline = start + budget;
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // A known defect's invariant is shrunk with known defects reported.
    let strict = KNOWN_DEFECTS.iter().any(|(inv, _, _)| *inv == invariant);
    let fails = |cand: &[Op]| -> Option<usize> {
        first_violation(cand, json_every, strict, deadline)
            .filter(|v| v.invariant == invariant)
            .map(|v| v.step)
    };
    // `ops` ends with the failing step; every candidate is a subsequence of it.
    let mut cur: Vec<Op> = ops.to_vec();
    let mut n = 2usize;
    while cur.len() >= 2 && start.elapsed() < budget {
        let chunk = cur.len().div_ceil(n);
        let mut reduced = false;
        let mut i = 0;
        while i < cur.len() && start.elapsed() < budget {
            let mut cand = cur[..i].to_vec();
            cand.extend_from_slice(&cur[(i + chunk).min(cur.len())..]);
            if let Some(step) = fails(&cand) {
                cand.truncate(step + 1);
                cur = cand;
                reduced = true;
                n = (n - 1).max(2);
                break;
            }
            i += chunk;
        }
        if !reduced {
            if n >= cur.len() {
                break;
            }
            n = (n * 2).min(cur.len());
        }
    }
    std::panic::set_hook(quiet);
    cur
}

/// Replays a sequence (e.g. a shrunk one), printing each step and its outcome; known defects
/// are reported like any violation.
pub fn replay(ops: &[Op], verbose: bool) -> (Stats, Vec<Violation>) {
    let mut w = World::new();
    w.tolerate_known = false;
    for (i, op) in ops.iter().enumerate() {
        let v = w.step(i, op);
        if verbose {
            eprintln!("{i:>4}: {op:?}");
        }
        if !v.is_empty() {
            return (w.stats, v);
        }
    }
    (w.stats, vec![])
}
