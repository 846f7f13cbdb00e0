//! Gas budgets: `bench/budgets.json` pins, per measured message, the most VM gas and SDK gas it
//! may use, and per contract the largest wasm size. The budget test fails when a message goes
//! over; `scripts/gas.sh --update-budgets` rewrites the file from a run (measured + headroom).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::report::Row;

/// Headroom over the measured figures when budgets are written.
pub const HEADROOM_PERCENT: u64 = 3;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Limit {
    pub vm_gas: u64,
    pub sdk_gas: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Budgets {
    /// Explains the file to whoever opens it.
    #[serde(default)]
    pub note: String,
    pub headroom_percent: u64,
    /// Message name -> limits.
    pub messages: BTreeMap<String, Limit>,
    /// Contract (artifact name) -> largest wasm size in bytes.
    pub wasm_bytes: BTreeMap<String, u64>,
}

pub fn budgets_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("budgets.json")
}

fn with_headroom(x: u64, percent: u64) -> u64 {
    x + (x * percent).div_ceil(100)
}

impl Budgets {
    pub fn load(path: &Path) -> Result<Budgets> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(path, text)?;
        Ok(())
    }

    /// Budgets of measured + `HEADROOM_PERCENT`.
    pub fn from_run(rows: &[&Row], sizes: &[(String, u64)]) -> Budgets {
        let h = HEADROOM_PERCENT;
        Budgets {
            note: "Written by `scripts/gas.sh --update-budgets` (measured + headroom); \
                   checked by `cargo test` in bench/ (tests/budget.rs)."
                .to_string(),
            headroom_percent: h,
            messages: rows
                .iter()
                .map(|r| {
                    (
                        r.name.clone(),
                        Limit {
                            vm_gas: with_headroom(r.vm_gas, h),
                            sdk_gas: with_headroom(r.sdk_gas, h),
                        },
                    )
                })
                .collect(),
            wasm_bytes: sizes
                .iter()
                .map(|(c, n)| (c.clone(), with_headroom(*n, h)))
                .collect(),
        }
    }

    /// Every breach, as readable lines (empty when all is within budget).
    pub fn check(&self, rows: &[&Row], sizes: &[(String, u64)]) -> Vec<String> {
        let mut out = vec![];
        for r in rows {
            match self.messages.get(&r.name) {
                None => out.push(format!(
                    "`{}` has no budget (run scripts/gas.sh --update-budgets)",
                    r.name
                )),
                Some(l) => {
                    if r.vm_gas > l.vm_gas {
                        out.push(format!(
                            "`{}`: VM gas {} > budget {} (+{:.1}%)",
                            r.name,
                            r.vm_gas,
                            l.vm_gas,
                            pct(r.vm_gas, l.vm_gas)
                        ));
                    }
                    if r.sdk_gas > l.sdk_gas {
                        out.push(format!(
                            "`{}`: SDK gas {} > budget {} (+{:.1}%)",
                            r.name,
                            r.sdk_gas,
                            l.sdk_gas,
                            pct(r.sdk_gas, l.sdk_gas)
                        ));
                    }
                }
            }
        }
        for (c, n) in sizes {
            if let Some(max) = self.wasm_bytes.get(c) {
                if n > max {
                    out.push(format!("{c}.wasm: {n} bytes > budget {max}"));
                }
            }
        }
        out
    }

    /// Messages well under budget (more than twice the headroom): the budget may be tightened.
    pub fn slack(&self, rows: &[&Row]) -> Vec<String> {
        rows.iter()
            .filter_map(|r| {
                let l = self.messages.get(&r.name)?;
                let limit = l.sdk_gas.saturating_mul(100 - 2 * self.headroom_percent) / 100;
                (r.sdk_gas < limit).then(|| {
                    format!(
                        "`{}`: SDK gas {} is {:.1}% under its budget {}",
                        r.name,
                        r.sdk_gas,
                        -pct(r.sdk_gas, l.sdk_gas),
                        l.sdk_gas
                    )
                })
            })
            .collect()
    }
}

fn pct(x: u64, of: u64) -> f64 {
    if of == 0 {
        return 0.0;
    }
    (x as f64 - of as f64) * 100.0 / of as f64
}
