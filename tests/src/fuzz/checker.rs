//! The invariants checked after every operation: [`Checker`] compares the snapshots before and
//! after it, knowing what the operation was ([`Exec`]).
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use cosmwasm_std::{Decimal, Int256, Uint128, Uint256};
use cw_multi_test::AppResponse;
use keel_math::to_underlying_exact;

use super::actors::drawn_down;
use super::exec::{Class, Exec, Outcome};
use super::ops::Op;
use super::snapshot::Snap;
use super::util::*;
use super::world::*;

/// A broken invariant.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Index of the operation after which it was found.
    pub step: usize,
    /// Which invariant (stable name, used to match while shrinking).
    pub invariant: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {}: [{}] {}",
            self.step, self.invariant, self.detail
        )
    }
}

pub(super) struct Checker<'a> {
    pub(super) w: &'a mut World,
    pub(super) step: usize,
    pub(super) op: &'a Op,
    pub(super) out: Vec<Violation>,
    pub(super) checks: u64,
}

pub(super) const REL: f64 = 1e-9;

impl Checker<'_> {
    pub(super) fn check(
        &mut self,
        ok: bool,
        invariant: &'static str,
        detail: impl FnOnce() -> String,
    ) {
        self.checks += 1;
        if !ok {
            self.out.push(Violation {
                step: self.step,
                invariant,
                detail: format!("{} (op {:?})", detail(), self.op),
            });
        }
    }

    pub(super) fn run(mut self, b: &Snap, a: &Snap, e: &Exec) -> Vec<Violation> {
        let ok = matches!(e.outcome, Outcome::Ok(_));
        let failed = matches!(e.outcome, Outcome::Err(_));
        // A failed message changed nothing.
        if failed && !e.multi {
            let names = [
                "market",
                "oracle",
                "liquidator",
                "TKA",
                "TKB",
                "MOET",
                "FAKE",
            ];
            for (i, name) in names.iter().enumerate() {
                let same = a.raw[i] == b.raw[i];
                self.check(same, "failed-message-changes-nothing", || {
                    format!("{name} storage changed by a failed message")
                });
            }
            let same = a.wallets == b.wallets;
            self.check(same, "failed-message-changes-nothing", || {
                "balances changed by a failed message".to_string()
            });
        }
        if let (true, Outcome::Err(err)) = (e.within_floor, &e.outcome) {
            let err = err.clone();
            self.check(
                !err.contains("below the floor"),
                "max-borrow-is-borrowable",
                || format!("borrowing at most max_borrow.at_floor failed: {err}"),
            );
        }
        if let Class::Bad = e.class {
            let err = if let Outcome::Ok(_) = e.outcome {
                "bad input was accepted".to_string()
            } else {
                String::new()
            };
            self.check(!ok, "bad-input-fails", || err);
        }
        if let (Some(needle), Outcome::Err(err)) = (e.expect_err, &e.outcome) {
            let err = err.clone();
            self.check(
                err.to_lowercase().contains(needle),
                "refused-with-the-documented-error",
                || format!("expected an error saying {needle:?}, got: {err}"),
            );
        }
        if let (Class::Price, Outcome::Err(err)) = (&e.class, &e.outcome) {
            let err = err.clone();
            self.check(false, "valid-price-push-accepted", || err);
        }
        if let (Class::Time, Outcome::Err(err)) = (&e.class, &e.outcome) {
            let err = err.clone();
            self.check(false, "valid-price-push-accepted", || err);
        }
        self.state_invariants(b, a);
        self.supply_conservation(a);
        let res = match &e.outcome {
            Outcome::Ok(r) => Some(r),
            _ => None,
        };
        let bad_debt = res.map(|r| has_event(r, "bad_debt")).unwrap_or(false);
        if bad_debt {
            self.w.stats.bad_debts += 1;
        }
        if let Some(r) = res {
            let sr: u128 = events_attr(r, "self_repaid")
                .iter()
                .filter_map(|v| v.parse::<u128>().ok())
                .sum();
            if sr > 0 {
                self.w.stats.self_repays += 1;
            }
            if !events_attr(r, "topped_up").is_empty() {
                self.w.stats.top_ups += 1;
            }
            if events_attr(r, "drawn_down")
                .iter()
                .any(|v| v.parse::<u128>().map(|n| n > 0).unwrap_or(false))
            {
                self.w.stats.draw_downs += 1;
            }
        }
        self.indices(b, a, bad_debt);
        if !matches!(e.outcome, Outcome::Skipped) {
            self.no_loss_without_consent(b, a, e);
            let drawn = res.map(drawn_down).unwrap_or(false);
            self.strangers_change_positions_only_as_allowed(b, a, e, drawn);
            self.asset_limit(b, a);
        }
        if ok {
            self.held_balances(b, a, e);
        }
        self.deviation_guard(a, e);
        if !matches!(e.class, Class::Time | Class::Price) {
            self.value_conservation(b, a, res, bad_debt);
            self.net_worth(b, a, e, res, bad_debt);
        }
        match &e.class {
            Class::User { lowering } if ok => {
                self.health_floor(b, a, *lowering);
                if let (Some(id), Some(r)) = (e.pushed, res) {
                    self.draw_down(a, id, r);
                }
            }
            Class::Rebalance { pos } => {
                if let Some(r) = res {
                    self.health_floor(b, a, None);
                    self.rebalance(a, *pos, r);
                }
            }
            Class::Liquidation {
                pos,
                debt,
                coll,
                rogue,
                ..
            } => {
                if let Some(r) = res {
                    self.w.stats.liquidations += 1;
                    let bonus = if *rogue {
                        self.w.max_bonus
                    } else {
                        self.w.bonus
                    };
                    self.liquidation(b, a, (*pos, *debt, *coll), bonus, r, bad_debt);
                }
            }
            Class::Redemption { pos, .. } if ok => self.redemption(b, a, *pos),
            _ => {}
        }
        let json_every = self.w.json_every;
        if json_every > 0 && self.step.is_multiple_of(json_every) {
            self.json_interface(b, a, e);
        }
        self.w.stats.checks += self.checks;
        self.out
    }

    /// SPEC 6.1, 6.2 and utilization, from the raw storage.
    pub(super) fn state_invariants(&mut self, _b: &Snap, a: &Snap) {
        let held = a.wallets[LIQUIDATOR];
        self.check(
            held.iter().all(|n| *n == 0),
            "liquidator-holds-nothing",
            || format!("the liquidator contract holds {held:?}"),
        );
        for (i, cfg) in self.w.assets.clone().iter().enumerate() {
            let st = &a.states[i];
            let mut coll = Uint128::zero();
            let mut debt = Uint128::zero();
            for p in a.positions.values() {
                coll += World::scaled_coll(p, cfg.id);
                debt += World::scaled_debt(p, cfg.id);
            }
            self.check(coll == st.scaled_supply, "6.1-scaled-supply-sum", || {
                format!(
                    "{}: positions sum {} != S_s {}",
                    cfg.denom, coll, st.scaled_supply
                )
            });
            self.check(debt == st.scaled_debt, "6.1-scaled-debt-sum", || {
                format!(
                    "{}: positions sum {} != D_s {}",
                    cfg.denom, debt, st.scaled_debt
                )
            });
            let market_balance = a.wallets[MARKET][i];
            if cfg.minted {
                let d = a.donated[i];
                self.check(market_balance == d, "6.2-no-moet-held", || {
                    format!("market holds {market_balance} MOET, donated {d}")
                });
                continue;
            }
            let donated = a.donated[i];
            let expected = market_balance.checked_sub(donated);
            self.check(
                expected == Some(st.cash.u128()),
                "6.2-cash-equals-balance",
                || {
                    format!(
                        "{}: cash {} but balance {} - donations {}",
                        cfg.denom, st.cash, market_balance, donated
                    )
                },
            );
            // cash >= S + R - D (rounding in the protocol's favour), exact.
            let s = to_underlying_exact(st.scaled_supply, st.supply_index).expect("S");
            let d = to_underlying_exact(st.scaled_debt, st.borrow_index).expect("D");
            let surplus = int(Uint256::from(st.cash.u128()) * Uint256::from(WAD))
                + int(d.atomics())
                - int(s.atomics())
                - int(st.reserves.atomics());
            let tol = Int256::from(1_000i32);
            self.check(surplus >= -tol, "6.2-cash-covers-claims", || {
                format!(
                    "{}: cash {} < S {} + R {} - D {} (short by {} atomics)",
                    cfg.denom, st.cash, s, st.reserves, d, -surplus
                )
            });
            let u = a.q_assets[i].utilization;
            self.check(u <= Decimal::one(), "utilization-at-most-1", || {
                format!("{}: utilization {}", cfg.denom, u)
            });
        }
    }

    /// Every token's supply is held by tracked accounts.
    pub(super) fn supply_conservation(&mut self, a: &Snap) {
        let app = &self.w.suite.app;
        let totals: Vec<(usize, u128)> = [2usize, 3, MOET, T_FAKE]
            .iter()
            .zip(self.w.cw20s.iter())
            .map(|(col, token)| {
                let storage = app.contract_storage(token);
                let info = cw20_base::state::TOKEN_INFO
                    .load(storage.as_ref())
                    .expect("token info");
                (*col, info.total_supply.u128())
            })
            .collect();
        let mut natives: Vec<(usize, u128)> = vec![];
        for (denom, col) in [
            (NATIVE_USD, 0usize),
            (NATIVE_ETH, 1),
            (NATIVE_FAKE, T_UFAKE),
        ] {
            natives.push((col, self.w.native_supply[denom]));
        }
        for (col, total) in totals.into_iter().chain(natives) {
            let held: u128 = a.wallets.iter().map(|w| w[col]).sum();
            self.check(held == total, "tokens-from-nowhere", || {
                format!("token column {col}: accounts hold {held}, supply {total}")
            });
        }
    }

    pub(super) fn indices(&mut self, b: &Snap, a: &Snap, bad_debt: bool) {
        for i in 0..N_ASSETS {
            let (qb, qa) = (&b.q_assets[i], &a.q_assets[i]);
            let ok = qa.borrow_index >= qb.borrow_index
                && a.states[i].borrow_index >= b.states[i].borrow_index;
            self.check(ok, "indices-never-decrease", || {
                format!(
                    "{}: borrow index {} -> {}",
                    qa.denom, qb.borrow_index, qa.borrow_index
                )
            });
            let ok = bad_debt
                || (qa.supply_index >= qb.supply_index
                    && a.states[i].supply_index >= b.states[i].supply_index);
            self.check(ok, "indices-never-decrease", || {
                format!(
                    "{}: supply index {} -> {} without a write-off",
                    qa.denom, qb.supply_index, qa.supply_index
                )
            });
            let ok = a.states[i].last_updated >= b.states[i].last_updated;
            self.check(ok, "indices-never-decrease", || {
                format!("{}: last_updated went back", qa.denom)
            });
        }
    }

    /// Per asset: wallets + the market's net claims (`S + R - D - deficit`), exact.
    pub(super) fn totals(&self, s: &Snap) -> Vec<Int256> {
        (0..N_ASSETS)
            .map(|i| {
                let st = &s.states[i];
                let mut wallets: u128 = 0;
                for (k, w) in s.wallets.iter().enumerate() {
                    if k != MARKET || self.w.assets[i].minted {
                        wallets += w[i];
                    }
                }
                if !self.w.assets[i].minted {
                    wallets += s.donated[i];
                }
                let sup = to_underlying_exact(st.scaled_supply, st.supply_index).expect("S");
                let debt = to_underlying_exact(st.scaled_debt, st.borrow_index).expect("D");
                int(Uint256::from(wallets) * Uint256::from(WAD))
                    + int(sup.atomics())
                    + int(st.reserves.atomics())
                    - int(debt.atomics())
                    - int(Uint256::from(st.deficit.u128()) * Uint256::from(WAD))
            })
            .collect()
    }

    /// SPEC 6.4: per asset, no value is created; what rounding loses is bounded.
    pub(super) fn value_conservation(
        &mut self,
        b: &Snap,
        a: &Snap,
        res: Option<&AppResponse>,
        bad_debt: bool,
    ) {
        let (tb, ta) = (self.totals(b), self.totals(a));
        let self_repaid: u128 = res
            .map(|r| {
                events_attr(r, "self_repaid")
                    .iter()
                    .filter_map(|v| v.parse::<u128>().ok())
                    .sum()
            })
            .unwrap_or(0);
        let px = self.w.value_prices(b);
        // Value taken into reserves by self-repay, at spot.
        let mut reserve_gain = 0.0;
        for (i, p) in px.iter().enumerate().take(N_POOL) {
            let d = d256_f64(a.states[i].reserves) - d256_f64(b.states[i].reserves);
            if d > 0.0 {
                reserve_gain += d / 10f64.powi(self.w.assets[i].decimals as i32) * p;
            }
        }
        for i in 0..N_ASSETS {
            let delta = ta[i] - tb[i];
            let st = &a.states[i];
            let size = d256_f64(to_underlying_exact(st.scaled_supply, st.supply_index).expect("S"))
                + d256_f64(to_underlying_exact(st.scaled_debt, st.borrow_index).expect("D"))
                + d256_f64(st.reserves);
            let mut up = 1e12; // atomics: 1e-6 base unit
            if self.w.assets[i].minted {
                up += self_repaid as f64 * 1e18;
            }
            let deltaf = int_f64(delta);
            let denom = self.w.assets[i].denom.clone();
            self.check(deltaf <= up, "6.4-no-value-created", || {
                format!(
                    "{denom}: accounts + market claims grew by {} base units",
                    deltaf / 1e18
                )
            });
            let down = (4.0 + size * 1e-15) * 1e18;
            self.check(deltaf >= -down, "6.4-rounding-loss-bounded", || {
                format!(
                    "{denom}: accounts + market claims shrank by {} base units",
                    -deltaf / 1e18
                )
            });
            let loss = (-deltaf / 1e18).max(0.0);
            if loss > self.w.stats.max_rounding_loss[i] {
                self.w.stats.max_rounding_loss[i] = loss;
            }
        }
        // (A write-off in the same operation may take reserves back.)
        if self_repaid > 0 && !bad_debt {
            let written = self_repaid as f64 / 1e6;
            self.check(
                written <= reserve_gain * (1.0 + 1e-9) + 1e-6,
                "self-repay-funded-by-interest",
                || {
                    let dr: Vec<String> = (0..N_ASSETS)
                        .map(|i| format!("{} -> {}", b.states[i].reserves, a.states[i].reserves))
                        .collect();
                    let events = res.map(|r| format!("{:?}", r.events)).unwrap_or_default();
                    format!(
                        "wrote off {written} MOET but reserves gained {reserve_gain} \
                         (reserves {dr:?}; events {events})"
                    )
                },
            );
        }
    }

    /// Each account's holdings of each asset (wallet + its positions' exact claims), in
    /// 18-decimal atomics of base units.
    pub(super) fn holdings(&self, s: &Snap) -> Vec<[Int256; N_ASSETS]> {
        let mut out = vec![[Int256::zero(); N_ASSETS]; self.w.accounts.len()];
        for (k, w) in s.wallets.iter().enumerate() {
            for i in 0..N_ASSETS {
                out[k][i] = int(Uint256::from(w[i]) * Uint256::from(WAD));
            }
        }
        for p in s.positions.values() {
            let Some(k) = self.w.account_of_canonical(&p.owner) else {
                continue;
            };
            for bal in &p.collateral {
                if let Some(i) = self.w.assets.iter().position(|x| x.id == bal.asset) {
                    let v =
                        to_underlying_exact(bal.scaled, s.q_assets[i].supply_index).expect("exact");
                    out[k][i] += int(v.atomics());
                }
            }
            for bal in &p.debt {
                if let Some(i) = self.w.assets.iter().position(|x| x.id == bal.asset) {
                    let v =
                        to_underlying_exact(bal.scaled, s.q_assets[i].borrow_index).expect("exact");
                    out[k][i] -= int(v.atomics());
                }
            }
        }
        out
    }

    /// No account's net worth grows (at fixed prices), except a liquidator's by its bonus
    /// and what moves between linked accounts (a transfer to a recipient, a sink, a source).
    pub(super) fn net_worth(
        &mut self,
        b: &Snap,
        a: &Snap,
        e: &Exec,
        res: Option<&AppResponse>,
        bad_debt: bool,
    ) {
        let px = self.w.value_prices(b);
        let (hb, ha) = (self.holdings(b), self.holdings(a));
        let n = self.w.accounts.len();
        let deltas: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let mut v = 0.0;
                let mut abs = 0.0;
                for i in 0..N_ASSETS {
                    let d = int_f64(ha[k][i] - hb[k][i])
                        / 1e18
                        / 10f64.powi(self.w.assets[i].decimals as i32)
                        * px[i];
                    v += d;
                    abs += d.abs();
                }
                (v, abs)
            })
            .collect();
        // Groups: linked accounts are summed.
        let mut group_of: Vec<usize> = (0..n).collect();
        for g in &e.links {
            if let Some(first) = g.first() {
                let root = group_of[*first];
                for k in g {
                    let old = group_of[*k];
                    for x in group_of.iter_mut() {
                        if *x == old {
                            *x = root;
                        }
                    }
                }
            }
        }
        let mut exempt: BTreeSet<usize> = e.exempt.iter().copied().collect();
        exempt.insert(MARKET);
        if let Class::Liquidation {
            pos,
            caller,
            debt,
            rogue,
            ..
        } = &e.class
        {
            let bonus = if *rogue {
                self.w.max_bonus
            } else {
                self.w.bonus
            };
            let owner = self.w.owner_of(b, *pos);
            // The liquidator gains at most its bonus; with the owner (who pays the bonus, and
            // keeps what rounding takes from a tiny liquidation) nothing is gained.
            if let Some(r) = res {
                let repaid: f64 = events_attr(r, "repay_amount")
                    .iter()
                    .filter_map(|v| v.parse::<f64>().ok())
                    .sum();
                let v = repaid / 10f64.powi(self.w.assets[*debt].decimals as i32) * px[*debt];
                let allowed = if Some(*caller) == owner {
                    0.0
                } else {
                    v * bonus * (1.0 + 1e-6)
                };
                let (gain, abs) = deltas[*caller];
                let caller = *caller;
                // An underwater owner walks away from the written-off debt, whoever liquidates.
                let walks_away = bad_debt && Some(caller) == owner;
                self.check(
                    walks_away || gain <= allowed + abs * REL + 1e-12,
                    "no-account-gains-from-nowhere",
                    || format!("liquidator {caller} gained {gain} MOET of value (bonus {allowed})"),
                );
            }
            match owner {
                Some(o) if bad_debt => {
                    // Checked on its own above.
                    exempt.insert(o);
                    exempt.insert(*caller);
                }
                Some(o) => {
                    let (a, b) = (group_of[o], group_of[*caller]);
                    for x in group_of.iter_mut() {
                        if *x == b {
                            *x = a;
                        }
                    }
                }
                None => {}
            }
        }
        let mut sums: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
        for k in 0..n {
            if exempt.contains(&k) {
                continue;
            }
            let e = sums.entry(group_of[k]).or_default();
            e.0 += deltas[k].0;
            e.1 += deltas[k].1;
        }
        for (g, (v, abs)) in sums {
            let tol = abs * REL + 1e-12;
            let members: Vec<usize> = (0..n).filter(|k| group_of[*k] == g).collect();
            let detail: Vec<(usize, Vec<f64>)> = members
                .iter()
                .map(|k| {
                    let d = (0..N_ASSETS)
                        .map(|i| int_f64(ha[*k][i] - hb[*k][i]) / 1e18)
                        .collect();
                    (*k, d)
                })
                .collect();
            let events = res.map(|r| format!("{:?}", r.events)).unwrap_or_default();
            self.check(v <= tol, "no-account-gains-from-nowhere", || {
                format!(
                    "accounts {members:?} together gained {v} MOET of value (base units per \
                     asset {detail:?}; prices {px:?}; events {events})"
                )
            });
        }
    }

    /// SPEC 6.3 for user actions at fixed prices.
    pub(super) fn health_floor(&mut self, b: &Snap, a: &Snap, lowering: Option<u64>) {
        let floor = self.w.floor;
        if let Some(id) = lowering {
            if let Some(hf) = self.w.hf(a, id, true) {
                self.check(hf >= floor * (1.0 - REL), "6.3-borrow-floor", || {
                    format!("position {id}: conservative HF {hf} < floor {floor} after a borrow/withdraw")
                });
            }
        }
        let ids: Vec<u64> = a.positions.keys().copied().collect();
        for id in ids {
            let Some(after) = self.w.hf(a, id, true) else {
                continue;
            };
            if after >= floor * (1.0 - REL) {
                continue;
            }
            let before = if b.positions.contains_key(&id) {
                self.w.hf(b, id, true)
            } else {
                Some(f64::INFINITY)
            };
            let Some(before) = before else { continue };
            self.check(before < floor, "6.3-user-actions-keep-floor", || {
                format!("position {id}: conservative HF {before} -> {after} (< floor {floor})")
            });
        }
    }

    pub(super) fn draw_down(&mut self, a: &Snap, id: u64, r: &AppResponse) {
        let drawn = events_attr(r, "drawn_down")
            .iter()
            .any(|v| v.parse::<u128>().map(|n| n > 0).unwrap_or(false));
        if !drawn {
            return;
        }
        let target = a
            .positions
            .get(&id)
            .and_then(|p| p.automation.as_ref())
            .and_then(|x| x.health.as_ref())
            .map(|h| dec_f64(h.target))
            .unwrap_or(1.3);
        if let Some(hf) = self.w.hf(a, id, false) {
            self.check(
                hf >= target * (1.0 - 1e-6),
                "auto-borrow-stops-at-target",
                || format!("position {id}: HF {hf} below target {target} after a draw-down"),
            );
        }
    }

    pub(super) fn rebalance(&mut self, a: &Snap, id: u64, r: &AppResponse) {
        self.draw_down(a, id, r);
        if !events_attr(r, "topped_up").is_empty() {
            if let Some(lhf) = self.w.lhf(a, id) {
                self.check(lhf >= 1.0 - REL, "top-up-all-or-nothing", || {
                    format!("position {id}: LHF {lhf} after a top-up")
                });
            }
        }
    }

    /// The position's LHF as a touch in `b`'s block finds it: for a self-repaying position, after
    /// its pending self-repay (which a liquidation or redemption applies first, and which lowers
    /// LHF when LHF is below the collateral's LT), as the `positions` query reports it; else from
    /// the stored books.
    fn lhf_before_touch(&self, b: &Snap, id: u64) -> Option<f64> {
        let self_repays = b
            .positions
            .get(&id)
            .and_then(|p| p.automation.as_ref())
            .is_some_and(|x| x.self_repay);
        let shown = b
            .q_positions
            .get(&id)
            .and_then(|r| r.health.as_ref())
            .map(|h| {
                h.liquidation_health_factor
                    .map(d256_f64)
                    .unwrap_or(f64::INFINITY)
            });
        match shown {
            Some(lhf) if self_repays => Some(lhf),
            _ => self.w.lhf(b, id),
        }
    }

    /// A redemption never lowers the position's LHF (SPEC 3.6a: those are left to liquidation).
    pub(super) fn redemption(&mut self, b: &Snap, a: &Snap, id: u64) {
        let (Some(before), Some(after)) = (self.lhf_before_touch(b, id), self.w.lhf(a, id)) else {
            return;
        };
        let owed_units = self.w.debt_amount(b, id, MOET).max(1) as f64;
        let slack = REL + 4.0 / owed_units;
        self.check(
            after >= before * (1.0 - slack),
            "redemption-never-lowers-lhf",
            || format!("position {id}: LHF {before} -> {after} by a redemption"),
        );
    }

    /// A liquidation of position `id` repaying `debt` for `coll`, paying at most `bonus`.
    pub(super) fn liquidation(
        &mut self,
        b: &Snap,
        a: &Snap,
        (id, debt, coll): (u64, usize, usize),
        bonus: f64,
        r: &AppResponse,
        bad_debt: bool,
    ) {
        let Some(lhf_b) = self.lhf_before_touch(b, id) else {
            return;
        };
        self.check(lhf_b < 1.0 + REL, "only-liquidatable-positions", || {
            format!("position {id} liquidated at LHF {lhf_b}")
        });
        let lhf_a = if bad_debt {
            f64::INFINITY
        } else {
            self.w.lhf(a, id).unwrap_or(f64::INFINITY)
        };
        let lt = dec_f64(b.q_assets[coll].params.liquidation_threshold);
        let bf = dec_f64(b.q_assets[debt].params.borrow_factor);
        let underwater = (1.0 + bonus) * lt / bf;
        // Rounding of the amounts moved (a few base units) may move a small debt's LHF a bit.
        let owed_units = self.w.debt_amount(b, id, debt).max(1) as f64;
        let slack = REL + 4.0 / owed_units;
        if lhf_a < lhf_b * (1.0 - slack) {
            self.check(
                lhf_b < underwater * (1.0 + slack),
                "6.3-liquidation-raises-lhf",
                || {
                    format!(
                    "position {id}: LHF {lhf_b} -> {lhf_a} though not underwater (< {underwater})"
                )
                },
            );
        }
        // Close factor and bonus, from the settlement event.
        let owed = self.w.debt_amount(b, id, debt) as f64;
        let repaid: f64 = events_attr(r, "repay_amount")
            .iter()
            .filter_map(|v| v.parse::<f64>().ok())
            .sum();
        let seized: f64 = events_attr(r, "collateral_amount")
            .iter()
            .filter_map(|v| v.parse::<f64>().ok())
            .sum();
        let px = self.w.value_prices(b);
        let dp = px[debt] / 10f64.powi(self.w.assets[debt].decimals as i32);
        let cp = px[coll] / 10f64.powi(self.w.assets[coll].decimals as i32);
        // Within the close factor, or a close-factor repay would itself leave dust (then any
        // repay is allowed). What the repay itself leaves does not matter.
        let cf = self.w.close_factor;
        let left_after_cf = (owed - (owed * cf).floor()).max(0.0) * dp;
        let ok = repaid <= owed * cf + 1.0 || left_after_cf < self.w.dust * (1.0 + 1e-6);
        self.check(ok, "close-factor-respected", || {
            format!(
                "position {id}: repaid {repaid} of {owed} (close factor {cf}; a close-factor \
                 repay leaves {left_after_cf} MOET of value)"
            )
        });
        let ok = seized * cp <= repaid * dp * (1.0 + self.w.max_bonus) * (1.0 + 1e-9) + 1e-12;
        self.check(ok, "bonus-respected", || {
            format!(
                "position {id}: seized {seized} worth {} for {repaid} worth {}",
                seized * cp,
                repaid * dp
            )
        });
    }
}
