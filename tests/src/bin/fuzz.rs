//! The long-run command of the stateful invariant fuzzer (`scripts/fuzz.sh OPS SEED`).
//!
//! ```text
//! fuzz OPS SEED [--json-every N] [--shrink-secs S] [--progress N] [--strict]
//! fuzz --replay FILE [--verbose]
//! ```
//! Runs OPS random operations of seed SEED on a fresh deployment in cw-multi-test, checking
//! every invariant after every operation, and prints the ops run, the invariants checked and
//! the violations (with a minimal reproducing sequence, also written to
//! `target/fuzz-repro-SEED.json`). Exit status 1 when an invariant is violated. A known contract
//! defect (`KNOWN_DEFECTS`) is counted and the run goes on, unless `--strict`.
use std::process::ExitCode;
use std::time::Duration;

use keel_tests::fuzz::{replay, run, Op, RunConfig};

fn usage() -> ExitCode {
    eprintln!(
        "usage: fuzz OPS SEED [--json-every N] [--shrink-secs S] [--progress N] [--strict]\n       \
         fuzz --replay FILE [--verbose]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--replay") {
        let Some(file) = args.get(1) else {
            return usage();
        };
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let ops: Vec<Op> = match serde_json::from_str(&text) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{file} is not a JSON list of operations: {e}");
                return ExitCode::from(2);
            }
        };
        let verbose = args.iter().any(|a| a == "--verbose");
        let (stats, violations) = replay(&ops, verbose);
        println!("ops run: {}", stats.ops);
        println!("invariants checked: {}", stats.checks);
        println!("violations: {}", violations.len());
        for v in &violations {
            println!("VIOLATION {v}");
        }
        return if violations.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let (Some(ops), Some(seed)) = (
        args.first()
            .and_then(|a| a.replace('_', "").parse::<usize>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        return usage();
    };
    let mut cfg = RunConfig::new(ops, seed);
    cfg.progress_every = 10_000;
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        if flag == "--strict" {
            cfg.strict = true;
            continue;
        }
        let value = rest.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--json-every", Some(n)) => cfg.json_every = n as usize,
            ("--shrink-secs", Some(n)) => cfg.shrink_budget = Duration::from_secs(n),
            ("--progress", Some(n)) => cfg.progress_every = n as usize,
            _ => return usage(),
        }
    }
    println!("fuzz: {ops} ops, seed {seed}");
    let report = run(&cfg);
    print!("{report}");
    if let Some(repro) = &report.repro {
        let _ = std::fs::create_dir_all("target");
        let file = format!("target/fuzz-repro-{seed}.json");
        match serde_json::to_string_pretty(repro)
            .map_err(|e| e.to_string())
            .and_then(|j| std::fs::write(&file, j).map_err(|e| e.to_string()))
        {
            Ok(()) => println!("reproducing sequence written to {file} (fuzz --replay {file})"),
            Err(e) => eprintln!("cannot write {file}: {e}"),
        }
    }
    if report.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
