//! Keel's gas bench: the release wasm of every contract run in cosmwasm-vm the way wasmd runs
//! it ([`chain`]), a fixed scenario of every user-facing message ([`scenario`]), and the
//! per-message gas report with wasmd's SDK gas estimate ([`gas`], [`report`], [`budget`]).
pub mod budget;
pub mod chain;
pub mod gas;
pub mod report;
pub mod scenario;

use std::path::PathBuf;

/// The repository root (bench/..).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// `artifacts/` of the repository, or `$KEEL_ARTIFACTS`.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("KEEL_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("artifacts"))
}

/// Where cosmwasm-vm keeps compiled modules between runs, or `$KEEL_VM_CACHE`.
pub fn vm_cache_dir() -> PathBuf {
    std::env::var_os("KEEL_VM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/vm-cache"))
}
