//! The JSON interface agrees with the raw storage: `positions`, `liquidatable_positions` and
//! `assets` answer what the stored books say.
use std::collections::BTreeSet;

use keel_math::{to_underlying_down, to_underlying_up};
use keel_types::market::{LiquidatablePositionsResponse, PositionResponse, QueryMsg as MQ};

use super::checker::Checker;
use super::snapshot::Snap;
use super::util::d256_f64;
use super::world::{World, N_ASSETS};

impl Checker<'_> {
    /// The JSON interface agrees with the raw storage.
    pub(super) fn json_interface(&mut self, a: &Snap) {
        // `liquidatable_positions` lists exactly the positions with LHF < 1 (borderline ones,
        // within rounding, and self-repaying ones, shown after their pending self-repay,
        // aside).
        let listed: Option<LiquidatablePositionsResponse> = self
            .w
            .suite
            .query_market(&MQ::LiquidatablePositions {
                start_after: None,
                limit: Some(100),
            })
            .ok();
        self.check(listed.is_some(), "queries-never-fail", || {
            "liquidatable_positions failed".to_string()
        });
        if let Some(listed) = listed {
            let ids: BTreeSet<u64> = listed.positions.iter().map(|p| p.position_id).collect();
            for (id, p) in &a.positions {
                if p.automation.as_ref().is_some_and(|x| x.self_repay) {
                    continue;
                }
                if p.debt.is_empty() {
                    continue;
                }
                let Some((_, l, d)) = self.w.health_with(a, p, false, true) else {
                    continue;
                };
                let lhf = l / d;
                let items = (p.collateral.len() + p.debt.len()) as f64;
                let slack = 1e-9 + 4e-18 * items * (1.0 + lhf) / d.max(1e-30);
                let expected = if lhf < 1.0 - slack {
                    Some(true)
                } else if lhf > 1.0 + slack {
                    Some(false)
                } else {
                    None
                };
                if let Some(expected) = expected {
                    let id = *id;
                    self.check(
                        ids.contains(&id) == expected,
                        "json-matches-storage",
                        || {
                            format!(
                                "position {id} (LHF {lhf}) listed as liquidatable: {}",
                                !expected
                            )
                        },
                    );
                }
            }
        }
        let mut all: Vec<PositionResponse> = vec![];
        let mut start = None;
        loop {
            let page: Vec<PositionResponse> = match self.w.suite.query_market(&MQ::Positions {
                owner: None,
                start_after: start,
                limit: Some(100),
            }) {
                Ok(p) => p,
                Err(err) => {
                    self.check(false, "queries-never-fail", || format!("positions: {err}"));
                    return;
                }
            };
            let n = page.len();
            start = page.last().map(|p| p.position_id);
            all.extend(page);
            if n < 100 {
                break;
            }
        }
        self.check(
            all.len() == a.positions.len(),
            "json-matches-storage",
            || {
                format!(
                    "positions query lists {} of {}",
                    all.len(),
                    a.positions.len()
                )
            },
        );
        for r in &all {
            let Some(p) = a.positions.get(&r.position_id) else {
                self.check(false, "json-matches-storage", || {
                    format!("position {} not in storage", r.position_id)
                });
                continue;
            };
            let self_repays = p.automation.as_ref().is_some_and(|a| a.self_repay);
            for i in 0..N_ASSETS {
                let cfg = self.w.assets[i].clone();
                let coll =
                    to_underlying_down(World::scaled_coll(p, cfg.id), a.q_assets[i].supply_index)
                        .expect("down");
                let shown = crate::collateral_of(r, &cfg.denom);
                // Queries show a self-repaying position as its next touch will leave it (its
                // pending interest taken, its MOET debt written off): at most the stored one.
                let ok = if self_repays {
                    shown <= coll
                } else {
                    coll == shown
                };
                self.check(ok, "json-matches-storage", || {
                    format!(
                        "position {}: {} collateral {} shown, {} stored",
                        r.position_id, cfg.denom, shown, coll
                    )
                });
                let debt =
                    to_underlying_up(World::scaled_debt(p, cfg.id), a.q_assets[i].borrow_index)
                        .expect("up");
                let shown = crate::debt_of(r, &cfg.denom);
                let ok = if self_repays {
                    shown <= debt
                } else {
                    debt == shown
                };
                self.check(ok, "json-matches-storage", || {
                    format!(
                        "position {}: {} debt {} shown, {} stored",
                        r.position_id, cfg.denom, shown, debt
                    )
                });
            }
            // The market values rounded balances (collateral down, debt up).
            let computed = if p.debt.is_empty() {
                None
            } else {
                self.w.health_with(a, p, false, true)
            };
            let mine = match computed {
                None => Some(f64::INFINITY),
                Some((c, _, d)) if d > 0.0 => Some(c / d),
                Some(_) => Some(f64::INFINITY),
            };
            if let (Some(h), Some(mine), false) = (&r.health, mine, self_repays) {
                let shown = h.health_factor.map(d256_f64).unwrap_or(f64::INFINITY);
                // Values are truncated to 1e-18 MOET each: a tiny debt's HF moves with that.
                let items = (p.collateral.len() + p.debt.len()) as f64;
                let d = computed.map(|x| x.2).unwrap_or(1.0).max(1e-30);
                let slack = 4e-18 * items * (1.0 + mine) / d;
                let ok = if mine.is_infinite() || shown.is_infinite() {
                    mine.is_infinite() == shown.is_infinite()
                } else {
                    (shown - mine).abs() <= mine * 1e-9 + slack + 1e-12
                };
                self.check(ok, "json-matches-storage", || {
                    format!(
                        "position {}: HF {shown} shown, {mine} computed (C, L, D shown {} {} {}, \
                         computed {computed:?}; balances {:?} {:?}; prices {:?}; raw {:?})",
                        r.position_id,
                        h.effective_collateral,
                        h.liquidation_limit,
                        h.effective_debt,
                        r.collateral,
                        r.debt,
                        a.prices,
                        p
                    )
                });
            }
        }
        for i in 0..N_ASSETS {
            let st = &a.states[i];
            let q = &a.q_assets[i];
            if st.last_updated == a.now {
                let ok = q.supply_index == st.supply_index && q.borrow_index == st.borrow_index;
                self.check(ok, "json-matches-storage", || {
                    format!("{}: query indices differ from the stored ones", q.denom)
                });
                let ts = to_underlying_down(st.scaled_supply, st.supply_index).expect("down");
                self.check(ts == q.total_supply, "json-matches-storage", || {
                    format!("{}: total_supply {} vs {}", q.denom, q.total_supply, ts)
                });
            }
        }
    }
}
