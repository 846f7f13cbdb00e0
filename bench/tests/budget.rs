//! Pins each message's gas: runs the scenario on artifacts/*.wasm and fails when a message uses
//! more VM gas or SDK gas than bench/budgets.json allows, or a wasm grew past its size budget.
//! Exact VM gas is deterministic for given artifacts; the budgets carry a few % of headroom.
//! After an intended change: `scripts/gas.sh --update-budgets` (and commit budgets.json).
use keel_bench::budget::{budgets_path, Budgets};
use keel_bench::report::Row;
use keel_bench::scenario::{run_all, Artifacts};
use keel_bench::{artifacts_dir, vm_cache_dir};

#[test]
fn every_message_within_its_gas_budget() {
    let artifacts = Artifacts::new(&artifacts_dir());
    let sizes = artifacts
        .sizes()
        .expect("artifacts/*.wasm missing: run scripts/build-wasm.sh (scripts/gas.sh does)");
    let budgets = Budgets::load(&budgets_path()).expect("bench/budgets.json");
    let (main, scaling) = run_all(&artifacts, &vm_cache_dir()).expect("the scenario runs");
    let all: Vec<&Row> = main.iter().chain(scaling.iter()).collect();
    for r in &all {
        println!(
            "{:<40} VM {:>12}  SDK {:>8}  (budget {:?})",
            r.name,
            r.vm_gas,
            r.sdk_gas,
            budgets.messages.get(&r.name).map(|l| (l.vm_gas, l.sdk_gas))
        );
    }
    for line in budgets.slack(&all) {
        println!("note: {line} (tighten it with scripts/gas.sh --update-budgets)");
    }
    let breaches = budgets.check(&all, &sizes);
    assert!(
        breaches.is_empty(),
        "over budget:\n{}\n(an intended change: scripts/gas.sh --update-budgets)",
        breaches.join("\n")
    );
}
