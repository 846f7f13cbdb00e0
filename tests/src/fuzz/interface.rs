//! The JSON interface agrees with the raw storage: `positions`, `liquidatable_positions` and
//! `assets` answer what the stored books say.
use std::collections::BTreeSet;

use cosmwasm_std::Decimal256;
use keel_math::{to_underlying_down, to_underlying_up};
use keel_types::liquidator as liq;
use keel_types::market::{LiquidatablePositionsResponse, PositionResponse, QueryMsg as MQ};

use super::checker::Checker;
use super::exec::{Class, Exec};
use super::ops::Op;
use super::snapshot::Snap;
use super::util::{d256_f64, events_attr};
use super::world::{World, N_ASSETS, N_POOL};

impl Checker<'_> {
    /// The JSON interface agrees with the raw storage, and the queries with each other.
    pub(super) fn json_interface(&mut self, b: &Snap, a: &Snap, e: &Exec) {
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
        if let Some(listed) = &listed {
            self.queries_as_of_now(b, a, e, listed);
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
        let all: Vec<&PositionResponse> = a.q_positions.values().collect();
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

    /// Every query reports a position as of now, as the next touch will leave it (pending
    /// self-repay applied): `liquidatable_positions` lists exactly the positions whose `positions`
    /// entry has LHF < 1; `position` answers what `positions` lists; the liquidator's `quote`
    /// agrees; and a touch in the same block that changes nothing else leaves the debt that
    /// `position` showed just before it.
    fn queries_as_of_now(
        &mut self,
        b: &Snap,
        a: &Snap,
        e: &Exec,
        listed: &LiquidatablePositionsResponse,
    ) {
        let lhf = |r: &PositionResponse| -> Option<bool> {
            let h = r.health.as_ref()?;
            Some(
                h.liquidation_health_factor
                    .is_some_and(|l| l < Decimal256::one()),
            )
        };
        let ids: BTreeSet<u64> = listed.positions.iter().map(|p| p.position_id).collect();
        for (id, r) in &a.q_positions {
            if let Some(liquidatable) = lhf(r) {
                let id = *id;
                self.check(
                    ids.contains(&id) == liquidatable,
                    "queries-report-as-of-now",
                    || {
                        format!(
                            "position {id}: positions shows LHF {:?}, liquidatable_positions lists \
                             it: {}",
                            r.health.as_ref().map(|h| h.liquidation_health_factor),
                            ids.contains(&id)
                        )
                    },
                );
            }
        }
        // `position` for the operation's position and one more in turn.
        let mut probe: Vec<u64> = e.target.into_iter().collect();
        if !a.q_positions.is_empty() {
            let k = self.step % a.q_positions.len();
            probe.extend(a.q_positions.keys().nth(k).copied());
        }
        for id in probe {
            let Some(listed) = a.q_positions.get(&id) else {
                continue;
            };
            let one: Option<PositionResponse> = self
                .w
                .suite
                .query_market(&MQ::Position { position_id: id })
                .ok();
            self.check(
                one.as_ref() == Some(listed),
                "queries-report-as-of-now",
                || format!("position {id}: position answers {one:?}, positions lists {listed:?}"),
            );
        }
        // The liquidator's quote for the operation's position.
        if let Some(id) = e.target {
            if let Some(r) = a.q_positions.get(&id) {
                let liquidatable = lhf(r);
                let debt = r.debt.first().map(|x| x.denom.clone());
                let coll = r
                    .collateral
                    .iter()
                    .find(|c| self.w.assets[..N_POOL].iter().any(|x| x.denom == c.denom))
                    .map(|x| x.denom.clone());
                if let (Some(liquidatable), Some(debt), Some(coll)) = (liquidatable, debt, coll) {
                    let liquidator = self.w.suite.liquidator.clone();
                    let quote: Option<liq::QuoteResponse> = self
                        .w
                        .suite
                        .query(
                            &liquidator,
                            &liq::QueryMsg::Quote {
                                position_id: id,
                                debt_denom: debt,
                                collateral_denom: coll,
                                repay_amount: None,
                            },
                        )
                        .ok();
                    if let Some(q) = quote {
                        self.check(
                            q.liquidatable == liquidatable,
                            "queries-report-as-of-now",
                            || {
                                format!(
                                    "position {id}: quote says liquidatable {}, position {}",
                                    q.liquidatable, liquidatable
                                )
                            },
                        );
                    }
                }
            }
        }
        // A touch that changes nothing else, in the same block: a rebalance that neither tops up
        // nor draws down, or a deposit without a push, leaves the debt `position` showed.
        let (Some(id), Some(r)) = (e.target, e.response()) else {
            return;
        };
        if a.now != b.now {
            return;
        }
        let plain = match (self.op, &e.class) {
            (Op::Rebalance { .. }, Class::Rebalance { .. }) => {
                events_attr(r, "topped_up").is_empty()
                    && !super::actors::drawn_down(r)
                    && !super::util::has_event(r, "bad_debt")
            }
            (Op::Deposit { push: false, .. }, _) => true,
            _ => false,
        };
        if !plain {
            return;
        }
        let (Some(shown), Some(now)) = (b.q_positions.get(&id), a.q_positions.get(&id)) else {
            return;
        };
        self.check(shown.debt == now.debt, "query-shows-the-next-touch", || {
            format!(
                "position {id}: debt {:?} shown before the touch, {:?} after it",
                shown.debt, now.debt
            )
        });
        if matches!(self.op, Op::Rebalance { .. }) {
            self.check(
                shown.collateral == now.collateral,
                "query-shows-the-next-touch",
                || {
                    format!(
                        "position {id}: collateral {:?} shown before the touch, {:?} after it",
                        shown.collateral, now.collateral
                    )
                },
            );
        }
    }
}
