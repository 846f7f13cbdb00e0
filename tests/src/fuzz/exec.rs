//! Running one operation: each [`Op`] resolved against the state before it (a position slot,
//! a per-mille of a balance...) and sent as the contracts' messages. The result says what kind
//! of operation it was ([`Class`]) and which accounts it may move value between, for the
//! [`Checker`](super::checker::Checker).
use std::collections::BTreeMap;

use cosmwasm_std::{coin, to_json_binary, Addr, Coin, Decimal, Uint128};
use cw20::Cw20ExecuteMsg;
use cw_multi_test::{AppResponse, Executor};
use keel_math::RateModel;
use keel_types::liquidator as liq;
use keel_types::market::{
    Automation, DrawDownSink, ExecuteMsg as MarketMsg, MaxBorrowResponse, QueryMsg as MQ,
    ReceiveMsg as MarketReceive,
};
use keel_types::oracle;

use super::ops::{Amt, AutoSpec, Op, Who};
use super::snapshot::Snap;
use super::util::{bounds, d256_f64};
use super::world::*;
use crate::{dec, position_id_of};

pub(super) enum Outcome {
    Ok(AppResponse),
    Err(String),
    Skipped,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Class {
    /// A user action at fixed prices and time; `lowering` for borrow/withdraw on `pos`.
    User {
        lowering: Option<u64>,
    },
    Liquidation {
        pos: u64,
        debt: usize,
        coll: usize,
        caller: usize,
    },
    Rebalance {
        pos: u64,
    },
    Price,
    Time,
    Admin,
    Bad,
}

pub(super) struct Exec {
    pub(super) outcome: Outcome,
    pub(super) class: Class,
    /// More than one message (a failure may follow a success): no "changed nothing" check.
    pub(super) multi: bool,
    /// Groups of accounts whose summed net worth must not grow (a transfer between them).
    pub(super) links: Vec<Vec<usize>>,
    /// Accounts allowed to gain (reserve withdrawal recipient).
    pub(super) exempt: Vec<usize>,
    /// Auto-borrow was asked (open/deposit with push) on this position.
    pub(super) pushed: Option<u64>,
    /// A borrow of at most `max_borrow.at_floor` by the owner: must not fail the floor.
    pub(super) within_floor: bool,
}

impl Exec {
    pub(super) fn new(class: Class) -> Self {
        Exec {
            outcome: Outcome::Skipped,
            class,
            multi: false,
            links: vec![],
            exempt: vec![],
            pushed: None,
            within_floor: false,
        }
    }

    pub(super) fn with(mut self, res: anyhow::Result<AppResponse>) -> Self {
        self.outcome = match res {
            Ok(r) => Outcome::Ok(r),
            Err(e) => Outcome::Err(format!("{e:#}").replace('\n', " ")),
        };
        self
    }
}

impl World {
    /// A market message paid with `amount` of `asset` (native funds or cw20 `send` + hook).
    pub(super) fn pay_market(
        &mut self,
        from: usize,
        asset: usize,
        amount: u128,
        msg: &MarketMsg,
        hook: &MarketReceive,
    ) -> anyhow::Result<AppResponse> {
        let from = self.addr(from);
        let market = self.suite.market.clone();
        match self.assets[asset].token.clone() {
            Some(token) => self.suite.cw20_send(&from, &token, &market, amount, hook),
            None => {
                let funds = if amount == 0 {
                    vec![]
                } else {
                    vec![coin(amount, self.denom(asset))]
                };
                self.suite.exec_market(&from, msg, &funds)
            }
        }
    }

    pub(super) fn automation(&self, spec: &AutoSpec, owner: usize, salt: u16) -> Automation {
        let other = (owner + 1 + salt as usize % 4) % N_USERS;
        Automation {
            draw_down_sink: match spec.sink {
                1 => Some(DrawDownSink {
                    address: self.addr(owner).to_string(),
                    msg: None,
                }),
                2 => Some(DrawDownSink {
                    address: self.addr(other).to_string(),
                    msg: None,
                }),
                3 => Some(DrawDownSink {
                    address: self.addr(SINK).to_string(),
                    msg: Some(to_json_binary(&"sink").expect("json")),
                }),
                _ => None,
            },
            top_up_source: match spec.source {
                0 => None,
                n => Some(self.addr((n as usize - 1) % N_USERS).to_string()),
            },
            health: match spec.health {
                1 => Some(bounds("1.1", "1.3", "1.5")),
                2 => Some(bounds("1.05", "1.2", "1.4")),
                3 => Some(bounds("1.3", "1.6", "2")),
                4 => Some(bounds("1.5", "1.3", "1.1")),
                _ => None,
            },
            self_repay: spec.self_repay,
        }
    }

    /// Accounts a position's automation moves tokens to or from.
    pub(super) fn automation_links(&self, snap: &Snap, id: u64) -> Vec<usize> {
        let mut out = vec![];
        if let Some(a) = snap.positions.get(&id).and_then(|p| p.automation.as_ref()) {
            if let Some(s) = &a.sink {
                out.extend(self.account_of_canonical(&s.address));
            }
            if let Some(s) = &a.source {
                out.extend(self.account_of_canonical(s));
            }
        }
        out
    }

    pub(super) fn exec(&mut self, op: &Op, before: &Snap) -> Exec {
        match op.clone() {
            Op::Open {
                user,
                deposits,
                automation,
                push,
            } => {
                let user = self.user(user);
                if self.positions.len() >= MAX_POSITIONS {
                    // Redirected: a deposit into one of the user's own positions.
                    let (asset, amount) = deposits[0];
                    let slot = self
                        .positions
                        .iter()
                        .position(|id| self.owner_of(before, *id) == Some(user))
                        .unwrap_or(0) as u16;
                    return self.exec(
                        &Op::Deposit {
                            who: Who::User(user as u8),
                            pos: slot,
                            asset,
                            amount,
                            push,
                        },
                        before,
                    );
                }
                let auto = automation.map(|a| self.automation(&a, user, deposits.len() as u16));
                let mut links = vec![user];
                if let Some(a) = &auto {
                    for addr in [
                        a.draw_down_sink.as_ref().map(|s| s.address.clone()),
                        a.top_up_source.clone(),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        links.extend(self.account_of(&Addr::unchecked(addr)));
                    }
                }
                let first = deposits[0].0 as usize % N_POOL;
                let res = if self.assets[first].token.is_some() {
                    let amount = deposits[0].1.of(self.wallet(before, user, first)).max(1);
                    let token = self.assets[first].token.clone().expect("cw20");
                    let (from, market) = (self.addr(user), self.suite.market.clone());
                    self.suite.cw20_send(
                        &from,
                        &token,
                        &market,
                        amount,
                        &MarketReceive::OpenPosition {
                            automation: auto,
                            push_to_draw_down_sink: push,
                        },
                    )
                } else {
                    let mut funds: BTreeMap<String, u128> = BTreeMap::new();
                    for (a, amt) in &deposits {
                        let a = *a as usize % N_POOL;
                        if self.assets[a].token.is_some() {
                            continue;
                        }
                        let n = amt.of(self.wallet(before, user, a)).max(1);
                        let e = funds.entry(self.denom(a)).or_insert(0);
                        *e = e.saturating_add(n);
                    }
                    let funds: Vec<Coin> = funds.into_iter().map(|(d, n)| coin(n, d)).collect();
                    let from = self.addr(user);
                    self.suite.exec_market(
                        &from,
                        &MarketMsg::OpenPosition {
                            automation: auto,
                            push_to_draw_down_sink: push,
                        },
                        &funds,
                    )
                };
                if let Ok(r) = &res {
                    if let Ok(id) = position_id_of(r) {
                        self.positions.push(id);
                    }
                }
                let mut e = Exec::new(Class::User { lowering: None }).with(res);
                e.links = vec![links];
                if push {
                    e.pushed = self.positions.last().copied();
                }
                e
            }
            Op::Deposit {
                who,
                pos,
                asset,
                amount,
                push,
            } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let mut sender = self.who(before, who, id);
                let asset = asset as usize % N_ASSETS;
                if self.wallet(before, sender, asset) == 0 && !push {
                    sender = N_USERS - 1; // the well-funded bot pays instead
                }
                let n = amount.of(self.wallet(before, sender, asset)).max(1);
                let res = self.pay_market(
                    sender,
                    asset,
                    n,
                    &MarketMsg::Deposit {
                        position_id: id,
                        push_to_draw_down_sink: push,
                    },
                    &MarketReceive::Deposit {
                        position_id: id,
                        push_to_draw_down_sink: push,
                    },
                );
                let mut e = Exec::new(Class::User { lowering: None }).with(res);
                let mut group = vec![sender];
                group.extend(self.owner_of(before, id));
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                if push {
                    e.pushed = Some(id);
                }
                e
            }
            Op::Withdraw {
                who,
                pos,
                asset,
                amount,
                recipient,
            } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let sender = self.who(before, who, id);
                let asset = (0..N_POOL)
                    .map(|k| (asset as usize + k) % N_POOL)
                    .find(|i| self.coll_amount(before, id, *i) > 0)
                    .unwrap_or(asset as usize % N_POOL);
                let held = self.coll_amount(before, id, asset);
                let amount = match amount {
                    Amt::All => None,
                    a => Some(Uint128::new(a.of(held).max(1))),
                };
                let recipient = recipient.map(|r| self.user(r));
                let msg = MarketMsg::Withdraw {
                    position_id: id,
                    denom: self.denom(asset),
                    amount,
                    recipient: recipient.map(|r| self.addr(r).to_string()),
                };
                let from = self.addr(sender);
                let res = self.suite.exec_market(&from, &msg, &[]);
                let mut e = Exec::new(Class::User { lowering: Some(id) }).with(res);
                let mut group = vec![sender];
                group.extend(recipient);
                group.extend(self.owner_of(before, id));
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                e
            }
            Op::Borrow {
                who,
                pos,
                asset,
                amount,
                to_collateral,
                recipient,
            } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let sender = self.who(before, who, id);
                // The first asset (from the hint) with something to borrow.
                let mut pick = (asset as usize % N_ASSETS, 1_000_000);
                for k in 0..N_ASSETS {
                    let i = (asset as usize + k) % N_ASSETS;
                    let max: Option<MaxBorrowResponse> = self
                        .suite
                        .query_market(&MQ::MaxBorrow {
                            position_id: id,
                            denom: self.denom(i),
                        })
                        .ok();
                    match max {
                        Some(m) if !m.at_floor.is_zero() => {
                            pick = (i, m.at_floor.u128());
                            break;
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                let (asset, found, reference) = (pick.0, pick.1 != 1_000_000, pick.1);
                let n = amount.of(reference);
                let within_floor = found
                    && matches!(amount, Amt::Permille(p) if p <= 1000)
                    && self.owner_of(before, id) == Some(sender);
                let recipient = recipient.map(|r| self.user(r));
                let msg = MarketMsg::Borrow {
                    position_id: id,
                    denom: self.denom(asset),
                    amount: Uint128::new(n),
                    recipient: recipient.map(|r| self.addr(r).to_string()),
                    to_collateral,
                };
                let from = self.addr(sender);
                let res = self.suite.exec_market(&from, &msg, &[]);
                let mut e = Exec::new(Class::User { lowering: Some(id) }).with(res);
                let mut group = vec![sender];
                group.extend(recipient);
                group.extend(self.owner_of(before, id));
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                e.within_floor = within_floor;
                e
            }
            Op::Repay {
                who,
                pos,
                asset,
                amount,
            } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let mut payer = self.who(before, who, id);
                let asset = (0..N_ASSETS)
                    .map(|k| (asset as usize + k) % N_ASSETS)
                    .find(|i| self.debt_amount(before, id, *i) > 0)
                    .unwrap_or(asset as usize % N_ASSETS);
                if self.wallet(before, payer, asset) == 0 {
                    payer = N_USERS - 1; // the well-funded bot pays instead
                }
                let debt = self.debt_amount(before, id, asset);
                let n = amount
                    .of(debt)
                    .min(self.wallet(before, payer, asset))
                    .max(1);
                let res = self.pay_market(
                    payer,
                    asset,
                    n,
                    &MarketMsg::Repay { position_id: id },
                    &MarketReceive::Repay { position_id: id },
                );
                let mut e = Exec::new(Class::User { lowering: None }).with(res);
                let mut group = vec![payer];
                group.extend(self.owner_of(before, id));
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                e
            }
            Op::SetAutomation {
                who,
                pos,
                automation,
            } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let sender = self.who(before, who, id);
                let owner = self.owner_of(before, id).unwrap_or(sender);
                let auto = automation.map(|a| self.automation(&a, owner, pos));
                let from = self.addr(sender);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::SetAutomation {
                        position_id: id,
                        automation: auto,
                    },
                    &[],
                );
                let mut e = Exec::new(Class::User { lowering: None }).with(res);
                let mut group = vec![sender, owner];
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                e
            }
            Op::Rebalance { pos } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::Rebalance { pos: 0 });
                };
                let keeper = self.addr(KEEPER);
                let res =
                    self.suite
                        .exec_market(&keeper, &MarketMsg::Rebalance { position_id: id }, &[]);
                let mut e = Exec::new(Class::Rebalance { pos: id }).with(res);
                let mut group = vec![];
                group.extend(self.owner_of(before, id));
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                e
            }
            Op::Approve {
                user,
                amount,
                increase,
            } => {
                let user = self.user(user);
                let n = amount.of(self.wallet(before, user, MOET)).max(1);
                let msg = if increase {
                    Cw20ExecuteMsg::IncreaseAllowance {
                        spender: self.suite.market.to_string(),
                        amount: Uint128::new(n),
                        expires: None,
                    }
                } else {
                    Cw20ExecuteMsg::DecreaseAllowance {
                        spender: self.suite.market.to_string(),
                        amount: Uint128::new(n),
                        expires: None,
                    }
                };
                let (from, token) = (self.addr(user), self.suite.moet.clone());
                let res = self.suite.exec(&from, &token, &msg, &[]);
                Exec::new(Class::User { lowering: None }).with(res)
            }
            Op::Liquidate {
                caller,
                pos,
                pick,
                debt,
                coll,
                amount,
                cw20,
            } => self.exec_liquidate(before, caller, pos, pick, debt, coll, amount, cw20),
            Op::Price {
                asset,
                bps,
                confirm,
            } => {
                let i = asset as usize % N_POOL;
                let current = before.prices[i]
                    .as_ref()
                    .map(|p| p.price)
                    .unwrap_or(self.last_px[i]);
                let init = self.assets[i].init_price;
                let mut factor =
                    Decimal::from_ratio(10_000u128 + bps.unsigned_abs() as u128, 10_000u128);
                let up = bps >= 0;
                let mut next = if up {
                    current * factor
                } else {
                    current / factor
                };
                let (lo, hi) = (
                    init / Decimal::from_ratio(8u128, 1u128),
                    init * Decimal::from_ratio(8u128, 1u128),
                );
                if next > hi || next < lo {
                    // Reflect at the bounds.
                    factor = factor.max(Decimal::one());
                    next = if up {
                        current / factor
                    } else {
                        current * factor
                    };
                }
                let next = next.max(Decimal::from_ratio(1u128, 1_000_000u128));
                let msg = oracle::ExecuteMsg::PushPrices {
                    prices: vec![oracle::PriceInput {
                        denom: self.denom(i),
                        price: next,
                    }],
                };
                let o = self.suite.oracle.clone();
                let f0 = self.suite.feeders[0].clone();
                let mut res = self.suite.exec(&f0, &o, &msg, &[]);
                if confirm && res.is_ok() {
                    let f1 = self.suite.feeders[1].clone();
                    res = self.suite.exec(&f1, &o, &msg, &[]);
                }
                if res.is_ok() {
                    self.last_px[i] = next;
                }
                let mut e = Exec::new(Class::Price).with(res);
                e.multi = confirm;
                e
            }
            Op::Time { secs, repush } => {
                let accepted: Vec<Decimal> = (0..N_POOL)
                    .map(|i| {
                        before.prices[i]
                            .as_ref()
                            .map(|p| p.price)
                            .unwrap_or(self.last_px[i])
                    })
                    .collect();
                self.suite.advance(secs);
                let mut res: anyhow::Result<AppResponse> = Ok(AppResponse::default());
                if repush {
                    let msg = oracle::ExecuteMsg::PushPrices {
                        prices: (0..N_POOL)
                            .map(|i| oracle::PriceInput {
                                denom: self.denom(i),
                                price: accepted[i],
                            })
                            .collect(),
                    };
                    let o = self.suite.oracle.clone();
                    for f in self.suite.feeders.clone() {
                        if res.is_ok() {
                            res = self.suite.exec(&f, &o, &msg, &[]);
                        }
                    }
                }
                let mut e = Exec::new(Class::Time).with(res);
                e.multi = true;
                e
            }
            Op::WithdrawReserves {
                by_owner,
                asset,
                amount,
            } => {
                let i = asset as usize % N_ASSETS;
                let a = &before.q_assets[i];
                let available = a.reserves.u128().saturating_sub(a.deficit.u128());
                let n = amount.of(available);
                let sender = if by_owner { OWNER } else { STRANGER };
                let from = self.addr(sender);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::WithdrawReserves {
                        denom: self.denom(i),
                        amount: Uint128::new(n),
                        recipient: None,
                    },
                    &[],
                );
                let mut e = Exec::new(Class::Admin).with(res);
                e.exempt = vec![OWNER];
                e
            }
            Op::Donate {
                user,
                asset,
                amount,
            } => {
                let user = self.user(user);
                let i = asset as usize % N_ASSETS;
                let n = amount.of(self.wallet(before, user, i)).max(1);
                let from = self.addr(user);
                let market = self.suite.market.clone();
                let res = match self.assets[i].token.clone() {
                    Some(token) => self.suite.exec(
                        &from,
                        &token,
                        &Cw20ExecuteMsg::Transfer {
                            recipient: market.to_string(),
                            amount: Uint128::new(n),
                        },
                        &[],
                    ),
                    None => self
                        .suite
                        .app
                        .send_tokens(from, market, &[coin(n, self.denom(i))]),
                };
                if res.is_ok() {
                    self.donated[i] += n;
                }
                Exec::new(Class::User { lowering: None }).with(res)
            }
            Op::Guardian {
                asset,
                deposit,
                borrow,
            } => {
                let i = asset as usize % N_ASSETS;
                let mut params = before.q_assets[i].params.clone();
                if deposit {
                    params.deposit_enabled = false;
                }
                if borrow {
                    params.borrow_enabled = false;
                }
                let from = self.addr(GUARDIAN);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::UpdateAsset {
                        denom: self.denom(i),
                        params,
                    },
                    &[],
                );
                Exec::new(Class::Admin).with(res)
            }
            Op::OwnerEnable { asset } => {
                let i = asset as usize % N_ASSETS;
                let mut params = before.q_assets[i].params.clone();
                params.borrow_enabled = true;
                params.deposit_enabled = !self.assets[i].minted;
                let from = self.addr(OWNER);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::UpdateAsset {
                        denom: self.denom(i),
                        params,
                    },
                    &[],
                );
                Exec::new(Class::Admin).with(res)
            }
            Op::OwnerParams { asset, variant, up } => {
                let i = asset as usize % N_ASSETS;
                let q = &before.q_assets[i];
                let mut params = q.params.clone();
                let step = dec("0.05");
                let variant = if self.assets[i].minted {
                    4
                } else {
                    variant % 5
                };
                match variant {
                    0 => {
                        if up {
                            params.liquidation_threshold =
                                (params.liquidation_threshold + step).min(dec("0.95"));
                            params.collateral_factor =
                                (params.collateral_factor + step).min(params.liquidation_threshold);
                        } else {
                            params.collateral_factor = if params.collateral_factor > step {
                                params.collateral_factor - step
                            } else {
                                Decimal::zero()
                            };
                            params.liquidation_threshold =
                                if params.liquidation_threshold > params.collateral_factor + step {
                                    params.liquidation_threshold - step
                                } else {
                                    params.collateral_factor
                                };
                        }
                    }
                    1 => params.collateral_enabled = up,
                    2 => {
                        params.supply_cap = up.then(|| {
                            q.total_supply + Uint128::new(10u128.pow(q.params.decimals as u32 + 3))
                        })
                    }
                    3 => {
                        params.borrow_cap = up.then(|| {
                            q.total_debt + Uint128::new(10u128.pow(q.params.decimals as u32 + 3))
                        })
                    }
                    _ => {
                        if self.assets[i].minted {
                            params.rate_model = RateModel::Fixed {
                                rate: if up { dec("0.1") } else { dec("0.02") },
                            };
                        } else {
                            params.reserve_factor = if up { dec("0.5") } else { dec("0.1") };
                        }
                    }
                }
                let from = self.addr(OWNER);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::UpdateAsset {
                        denom: self.denom(i),
                        params,
                    },
                    &[],
                );
                Exec::new(Class::Admin).with(res)
            }
            Op::Bad {
                kind,
                who,
                pos,
                asset,
            } => self.exec_bad(before, kind, who, pos, asset),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn exec_liquidate(
        &mut self,
        before: &Snap,
        caller: Who,
        pos: Option<u16>,
        pick: u16,
        debt: Option<u8>,
        coll: Option<u8>,
        amount: Amt,
        cw20: bool,
    ) -> Exec {
        let id = match pos {
            Some(slot) => self.pos_id(slot),
            None => {
                let l = self.liquidatable(before);
                if l.is_empty() {
                    if !pick.is_multiple_of(4) {
                        return Exec::new(Class::Bad);
                    }
                    self.pos_id(pick)
                } else {
                    Some(l[pick as usize % l.len()])
                }
            }
        };
        let Some(id) = id else {
            return Exec::new(Class::Bad);
        };
        let Some(p) = before.positions.get(&id) else {
            return Exec::new(Class::Bad);
        };
        let px = self.value_prices(before);
        let largest = |list: &[keel_market::state::Balance], up: bool| -> usize {
            let mut best = (0usize, -1.0f64);
            for b in list {
                if let Some(i) = self.assets.iter().position(|a| a.id == b.asset) {
                    let q = &before.q_assets[i];
                    let idx = if up { q.borrow_index } else { q.supply_index };
                    let v = b.scaled.u128() as f64 * d256_f64(idx)
                        / 1e6
                        / 10f64.powi(self.assets[i].decimals as i32)
                        * px[i];
                    if v > best.1 {
                        best = (i, v);
                    }
                }
            }
            best.0
        };
        let debt_i = debt
            .map(|d| d as usize % N_ASSETS)
            .unwrap_or_else(|| largest(&p.debt, true));
        let coll_i = coll
            .map(|c| c as usize % N_POOL)
            .unwrap_or_else(|| largest(&p.collateral, false));
        let caller_acct = self.who(before, caller, id);
        let owed = self.debt_amount(before, id, debt_i);
        let n = amount
            .of(owed)
            .min(self.wallet(before, caller_acct, debt_i))
            .max(1);
        let msg = liq::ExecuteMsg::Liquidate {
            position_id: id,
            debt_denom: self.denom(debt_i),
            collateral_denom: self.denom(coll_i),
            min_collateral_out: None,
        };
        let from = self.addr(caller_acct);
        let liquidator = self.suite.liquidator.clone();
        let res = match (&self.assets[debt_i].token, cw20) {
            (Some(token), _) => {
                let token = token.clone();
                self.suite.cw20_send(
                    &from,
                    &token,
                    &liquidator,
                    n,
                    &liq::ReceiveMsg::Liquidate {
                        position_id: id,
                        debt_denom: self.denom(debt_i),
                        collateral_denom: self.denom(coll_i),
                        min_collateral_out: None,
                    },
                )
            }
            (None, _) => self
                .suite
                .exec(&from, &liquidator, &msg, &[coin(n, self.denom(debt_i))]),
        };
        Exec::new(Class::Liquidation {
            pos: id,
            debt: debt_i,
            coll: coll_i,
            caller: caller_acct,
        })
        .with(res)
    }
}
