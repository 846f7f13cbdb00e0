//! Third parties: no address loses tokens through a message it did not send or consent to, and
//! a position changes through someone else's message only in the ways SPEC 3.4 to 3.6 allow.
use std::collections::BTreeSet;

use keel_market::state::Position;
use keel_math::to_underlying_down;
use keel_types::market::{QueryMsg as MQ, TopUpConsentResponse};

use super::checker::Checker;
use super::exec::{Class, Exec};
use super::ops::Op;
use super::snapshot::Snap;
use super::util::events_attr;
use super::world::*;

/// The distinct assets a position holds, as collateral or debt.
fn assets_held(p: &Position) -> BTreeSet<u16> {
    p.collateral
        .iter()
        .chain(p.debt.iter())
        .filter(|b| !b.scaled.is_zero())
        .map(|b| b.asset)
        .collect()
}

impl Checker<'_> {
    /// No tracked account that sent no message in this operation loses any token; the one
    /// exception is a rebalance's top-up source: the position's owner, or an account within
    /// what it consented to (`allow_top_up`), which each pull uses up.
    pub(super) fn no_loss_without_consent(&mut self, b: &Snap, a: &Snap, e: &Exec) {
        let actors: BTreeSet<usize> = e.actors.iter().copied().collect();
        // The top-up source of the rebalanced position, and whether it is its owner.
        let source = match &e.class {
            Class::Rebalance { pos } => b.positions.get(pos).and_then(|p| {
                let s = p.automation.as_ref()?.source.as_ref()?;
                let s = self.w.account_of_canonical(s)?;
                Some((*pos, s, Some(s) == self.w.account_of_canonical(&p.owner)))
            }),
            _ => None,
        };
        for k in 0..a.wallets.len() {
            // Contracts pay out through the messages others send them.
            if actors.contains(&k) || k == MARKET || k == LIQUIDATOR {
                continue;
            }
            for t in 0..N_TOKENS {
                let (before, after) = (b.wallets[k][t], a.wallets[k][t]);
                if after >= before {
                    continue;
                }
                let lost = before - after;
                let consented = match source {
                    Some((pos, s, is_owner)) if s == k && t == MOET => {
                        if is_owner {
                            true
                        } else {
                            let left = self.w.consent.get(&(pos, k)).copied().unwrap_or(0);
                            self.w.consent.insert((pos, k), left.saturating_sub(lost));
                            self.w.stats.consented_pulls += 1;
                            self.consent_matches_the_market(pos, k);
                            lost <= left
                        }
                    }
                    _ => false,
                };
                let consent = match source {
                    Some((pos, s, false)) if s == k => {
                        format!(
                            " (its consent to position {pos}: {:?})",
                            self.w.consent.get(&(pos, k))
                        )
                    }
                    _ => String::new(),
                };
                self.check(consented, "no-loss-without-consent", || {
                    format!(
                        "account {k} sent nothing and lost {lost} of token column {t}{consent} \
                         (actors {actors:?})"
                    )
                });
            }
        }
    }

    /// The market's record of a source's consent equals what the messages sent give.
    fn consent_matches_the_market(&mut self, pos: u64, k: usize) {
        let source = self.w.addr(k).to_string();
        let r: Option<TopUpConsentResponse> = self
            .w
            .suite
            .query_market(&MQ::TopUpConsent {
                position_id: pos,
                source,
            })
            .ok();
        let model = self.w.consent.get(&(pos, k)).copied().unwrap_or(0);
        let shown = r.map(|r| r.amount.u128());
        self.check(shown == Some(model), "consent-matches-the-market", || {
            format!("position {pos}, source {k}: consent left {shown:?}, expected {model}")
        });
    }

    /// A position whose owner sent nothing changes only through an operation on it, and only:
    /// collateral added to a denom it holds as collateral or debt (a deposit); debt lowered (a repay, a top-up, a
    /// self-repay, a liquidation, a write-off); MOET borrowed by its own automation (a
    /// rebalance's draw-down); collateral taken by a liquidation (of a liquidatable position,
    /// checked on its own), a redemption (which must not lower its LHF, checked on its own) or
    /// its self-repay, or a balance worth nothing swept.
    pub(super) fn strangers_change_positions_only_as_allowed(
        &mut self,
        b: &Snap,
        a: &Snap,
        e: &Exec,
        drawn_down: bool,
    ) {
        let actors: BTreeSet<usize> = e.actors.iter().copied().collect();
        let moet = self.w.assets[MOET].id;
        for (id, pa) in &a.positions {
            let Some(pb) = b.positions.get(id) else {
                continue;
            };
            if pa == pb {
                continue;
            }
            let owner = self.w.account_of_canonical(&pb.owner);
            if owner.is_some_and(|o| actors.contains(&o)) {
                continue;
            }
            let id = *id;
            let on_it = e.target == Some(id);
            self.check(on_it, "strangers-change-positions-only-as-allowed", || {
                format!("position {id} changed by an operation on another position")
            });
            if !on_it {
                continue;
            }
            let self_repays = pb.automation.as_ref().is_some_and(|x| x.self_repay);
            let deposit = e.deposit;
            let liquidation = matches!(
                e.class,
                Class::Liquidation { .. } | Class::Redemption { .. }
            );
            for (i, cfg) in self.w.assets.clone().iter().enumerate() {
                let (cb, ca) = (
                    World::scaled_coll(pb, cfg.id),
                    World::scaled_coll(pa, cfg.id),
                );
                let (db, da) = (
                    World::scaled_debt(pb, cfg.id),
                    World::scaled_debt(pa, cfg.id),
                );
                if ca > cb {
                    // "Holds" as the asset limit counts it: as collateral or as debt (a denom
                    // the position owes is priced whenever the position is).
                    let ok = deposit && (!cb.is_zero() || !db.is_zero());
                    self.check(ok, "strangers-change-positions-only-as-allowed", || {
                        format!(
                            "position {id}: {} collateral {cb} -> {ca} (scaled) by a stranger",
                            cfg.denom
                        )
                    });
                }
                if ca < cb {
                    let worthless = to_underlying_down(cb, b.q_assets[i].supply_index)
                        .map(|x| x.is_zero())
                        .unwrap_or(false);
                    let ok = liquidation || self_repays || worthless;
                    self.check(ok, "strangers-change-positions-only-as-allowed", || {
                        format!(
                            "position {id}: {} collateral {cb} -> {ca} (scaled) by a stranger",
                            cfg.denom
                        )
                    });
                }
                if da > db {
                    let ok = drawn_down
                        && cfg.id == moet
                        && matches!(e.class, Class::Rebalance { .. })
                        && pb.automation.as_ref().is_some_and(|x| x.sink.is_some());
                    self.check(ok, "strangers-change-positions-only-as-allowed", || {
                        format!(
                            "position {id}: {} debt {db} -> {da} (scaled) by a stranger",
                            cfg.denom
                        )
                    });
                }
            }
        }
    }

    /// A message never takes a position past `max_position_assets`: a position holding more
    /// denoms than before holds at most the limit.
    pub(super) fn asset_limit(&mut self, b: &Snap, a: &Snap) {
        let max = self.w.max_assets as usize;
        for (id, pa) in &a.positions {
            let now = assets_held(pa).len();
            let was = b
                .positions
                .get(id)
                .map(|p| assets_held(p).len())
                .unwrap_or(0);
            if now > was {
                let id = *id;
                self.check(now <= max, "asset-limit-respected", || {
                    format!("position {id} went from {was} to {now} denoms (limit {max})")
                });
            }
        }
    }

    /// The position an operation touched holds no collateral worth zero base units (SPEC 3.3:
    /// such a remainder is deleted), and after a withdrawal or a liquidation it is not left
    /// with debt and no held collateral (that debt is written off at once, SPEC 3.6).
    pub(super) fn held_balances(&mut self, b: &Snap, a: &Snap, e: &Exec) {
        let Some(id) = e.target else {
            return;
        };
        let Some(p) = a.positions.get(&id) else {
            return;
        };
        let mut held = false;
        for bal in &p.collateral {
            let Some(i) = self.w.assets.iter().position(|x| x.id == bal.asset) else {
                continue;
            };
            let index = a.q_assets[i].supply_index;
            let worth = to_underlying_down(bal.scaled, index)
                .map(|x| x.u128())
                .unwrap_or(0);
            held |= worth > 0;
            // A write-off lowering the index may leave others' remainders worth nothing.
            if index < b.q_assets[i].supply_index {
                continue;
            }
            let denom = self.w.assets[i].denom.clone();
            self.check(worth > 0, "no-sub-unit-balances", || {
                format!(
                    "position {id} keeps {} scaled {denom}, worth 0 base units",
                    bal.scaled
                )
            });
        }
        let closing = matches!(self.op, Op::Withdraw { .. })
            || matches!(
                e.class,
                Class::Liquidation { .. } | Class::Redemption { .. }
            );
        if closing {
            let owes = p.debt.iter().any(|d| !d.scaled.is_zero());
            self.check(held || !owes, "bad-debt-written-off", || {
                format!("position {id} owes {:?} and holds no collateral", p.debt)
            });
        }
    }
}

/// The MOET drawn down by a response (0 without a draw-down).
pub(super) fn drawn_down(r: &cw_multi_test::AppResponse) -> bool {
    events_attr(r, "drawn_down")
        .iter()
        .any(|v| v.parse::<u128>().map(|n| n > 0).unwrap_or(false))
}
