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
    /// A liquidation of `pos` by `caller`; `rogue`: `seize` called by a faulty liquidator (the
    /// bot), bounded only by the market's own re-checks (`max_liquidation_bonus`).
    Liquidation {
        pos: u64,
        debt: usize,
        coll: usize,
        caller: usize,
        rogue: bool,
    },
    Rebalance {
        pos: u64,
    },
    /// A redemption of `pos`'s MOET debt for its collateral `coll` by `redeemer`.
    Redemption {
        pos: u64,
        coll: usize,
        redeemer: usize,
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
    /// The accounts that sent a message (or a cw20 `send`) in this operation: no other account
    /// may lose tokens, but a consenting top-up source within its consent.
    pub(super) actors: Vec<usize>,
    /// The position the operation is about: no other position may change.
    pub(super) target: Option<u64>,
    /// Each `push_prices` sent, in order: the feeder's account and the response.
    pub(super) pushes: Vec<(usize, AppResponse)>,
    /// Bad input refused with an error that must say this.
    pub(super) expect_err: Option<&'static str>,
    /// A deposit into `target` (adds collateral, by anyone).
    pub(super) deposit: bool,
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
            actors: vec![],
            target: None,
            pushes: vec![],
            expect_err: None,
            deposit: false,
        }
    }

    /// The response of a successful operation.
    pub(super) fn response(&self) -> Option<&AppResponse> {
        match &self.outcome {
            Outcome::Ok(r) => Some(r),
            _ => None,
        }
    }

    pub(super) fn by(mut self, actors: &[usize]) -> Self {
        self.actors = actors.to_vec();
        self
    }

    pub(super) fn on(mut self, target: u64) -> Self {
        self.target = Some(target);
        self
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
                5 => Some(bounds("1000", "100000", "1000000")),
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

    /// `current` moved by `bps` basis points, reflected at 1/8 and 8 times the initial price.
    fn moved(&self, i: usize, current: Decimal, bps: i32) -> Decimal {
        let init = self.assets[i].init_price;
        let mut factor = Decimal::from_ratio(10_000u128 + bps.unsigned_abs() as u128, 10_000u128);
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
        next.max(Decimal::from_ratio(1u128, 1_000_000u128))
    }

    /// One `push_prices` by feeder account `feeder` of `(pool asset, price)` entries, in
    /// order; a successful one is recorded in `pushes` for the deviation guard's check.
    fn push_prices(
        &mut self,
        feeder: usize,
        entries: &[(usize, Decimal)],
        pushes: &mut Vec<(usize, AppResponse)>,
    ) -> anyhow::Result<AppResponse> {
        let msg = oracle::ExecuteMsg::PushPrices {
            prices: entries
                .iter()
                .map(|(i, price)| oracle::PriceInput {
                    denom: self.denom(*i),
                    price: *price,
                })
                .collect(),
        };
        let (from, o) = (self.addr(feeder), self.suite.oracle.clone());
        let res = self.suite.exec(&from, &o, &msg, &[]);
        if let Ok(r) = &res {
            pushes.push((feeder, r.clone()));
        }
        res
    }

    /// A new block began: each pool asset's reference is its accepted price if still fresh
    /// (none otherwise: the first price accepted in the block becomes it), and pushes older
    /// than `max_age` can no longer be confirmed.
    fn new_block(&mut self) {
        let now = self.suite.now();
        for i in 0..N_POOL {
            let answer: Option<oracle::PriceResponse> = self
                .suite
                .query(
                    &self.suite.oracle,
                    &oracle::QueryMsg::Price {
                        denom: self.denom(i),
                    },
                )
                .ok();
            self.guard.reference[i] = answer
                .filter(|a| now.saturating_sub(a.updated_at) <= self.guard.max_age)
                .map(|a| a.price);
        }
        let max_age = self.guard.max_age;
        self.guard
            .waiting
            .retain(|w| now.saturating_sub(w.3) <= max_age);
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
                let mut ok_open = false;
                if let Ok(r) = &res {
                    if let Ok(id) = position_id_of(r) {
                        self.positions.push(id);
                        ok_open = true;
                    }
                }
                let mut e = Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[user]);
                e.target = self.positions.last().copied().filter(|_| ok_open);
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
                let mut e = Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[sender])
                    .on(id);
                e.deposit = true;
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
                let mut e = Exec::new(Class::User { lowering: Some(id) })
                    .with(res)
                    .by(&[sender])
                    .on(id);
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
                let mut e = Exec::new(Class::User { lowering: Some(id) })
                    .with(res)
                    .by(&[sender])
                    .on(id);
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
                let mut e = Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[payer])
                    .on(id);
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
                let mut e = Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[sender])
                    .on(id);
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
                let mut e = Exec::new(Class::Rebalance { pos: id })
                    .with(res)
                    .by(&[KEEPER])
                    .on(id);
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
                Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[user])
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
                let next = self.moved(i, current, bps);
                let mut pushes = vec![];
                let mut res = self.push_prices(FEEDER0, &[(i, next)], &mut pushes);
                if confirm && res.is_ok() {
                    res = self.push_prices(FEEDER1, &[(i, next)], &mut pushes);
                }
                if res.is_ok() {
                    self.last_px[i] = next;
                }
                let mut e = Exec::new(Class::Price).with(res).by(&[FEEDER0, FEEDER1]);
                e.multi = confirm;
                e.pushes = pushes;
                e
            }
            Op::PriceWalk {
                asset,
                feeder,
                steps,
                batch,
            } => {
                let i = asset as usize % N_POOL;
                let feeder = if feeder % 2 == 0 { FEEDER0 } else { FEEDER1 };
                let mut price = before.prices[i]
                    .as_ref()
                    .map(|p| p.price)
                    .unwrap_or(self.last_px[i]);
                let mut walk = vec![];
                for bps in steps.iter().take(8) {
                    price = self.moved(i, price, *bps as i32);
                    walk.push((i, price));
                }
                if walk.is_empty() {
                    return Exec::new(Class::Price);
                }
                let mut pushes = vec![];
                let mut res: anyhow::Result<AppResponse> = Ok(AppResponse::default());
                if batch {
                    // The walk in one message, another denom's price in between.
                    let other = (i + 1) % N_POOL;
                    let keep = before.prices[other]
                        .as_ref()
                        .map(|p| p.price)
                        .unwrap_or(self.last_px[other]);
                    let mut entries = walk.clone();
                    entries.insert(1, (other, keep));
                    res = self.push_prices(feeder, &entries, &mut pushes);
                } else {
                    for entry in &walk {
                        if res.is_ok() {
                            res = self.push_prices(feeder, &[*entry], &mut pushes);
                        }
                    }
                }
                let mut e = Exec::new(Class::Price).with(res).by(&[feeder]);
                e.multi = !batch;
                e.pushes = pushes;
                e
            }
            Op::Time { secs, repush, skip } => {
                let accepted: Vec<Decimal> = (0..N_POOL)
                    .map(|i| {
                        before.prices[i]
                            .as_ref()
                            .map(|p| p.price)
                            .unwrap_or(self.last_px[i])
                    })
                    .collect();
                self.suite.advance(secs);
                self.new_block();
                let mut res: anyhow::Result<AppResponse> = Ok(AppResponse::default());
                let mut pushes = vec![];
                if repush {
                    let skip = skip.map(|k| k as usize % N_POOL);
                    let entries: Vec<(usize, Decimal)> = (0..N_POOL)
                        .filter(|i| Some(*i) != skip)
                        .map(|i| (i, accepted[i]))
                        .collect();
                    for f in [FEEDER0, FEEDER1] {
                        if res.is_ok() {
                            res = self.push_prices(f, &entries, &mut pushes);
                        }
                    }
                }
                let mut e = Exec::new(Class::Time).with(res).by(&[FEEDER0, FEEDER1]);
                e.multi = true;
                e.pushes = pushes;
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
                let mut e = Exec::new(Class::Admin).with(res).by(&[sender]);
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
                Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[user])
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
                Exec::new(Class::Admin).with(res).by(&[GUARDIAN])
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
                Exec::new(Class::Admin).with(res).by(&[OWNER])
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
                Exec::new(Class::Admin).with(res).by(&[OWNER])
            }
            Op::AllowTopUp { user, pos, amount } => {
                let user = self.user(user);
                // Mostly a position that names the user as its source (when one does).
                let named: Vec<u64> = before
                    .positions
                    .iter()
                    .filter(|(_, p)| {
                        p.automation
                            .as_ref()
                            .and_then(|a| a.source.as_ref())
                            .and_then(|s| self.account_of_canonical(s))
                            == Some(user)
                    })
                    .map(|(id, _)| *id)
                    .collect();
                let id = if !named.is_empty() && !pos.is_multiple_of(4) {
                    Some(named[pos as usize % named.len()])
                } else {
                    self.pos_id(pos)
                };
                let Some(id) = id else {
                    return Exec::new(Class::User { lowering: None });
                };
                let n = amount.of(self.wallet(before, user, MOET));
                let from = self.addr(user);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::AllowTopUp {
                        position_id: id,
                        amount: Uint128::new(n),
                    },
                    &[],
                );
                if res.is_ok() {
                    self.consent.insert((id, user), n);
                }
                Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[user])
                    .on(id)
            }
            Op::DisallowTopUp { user, pos } => {
                let Some(id) = self.pos_id(pos) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let user = self.user(user);
                let from = self.addr(user);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::DisallowTopUp { position_id: id },
                    &[],
                );
                if res.is_ok() {
                    self.consent.insert((id, user), 0);
                }
                Exec::new(Class::User { lowering: None })
                    .with(res)
                    .by(&[user])
                    .on(id)
            }
            Op::AssetLimit { max } => {
                let max = 1 + max as u32 % 4;
                let from = self.addr(OWNER);
                let res = self.suite.exec_market(
                    &from,
                    &MarketMsg::UpdateConfig(keel_types::market::ConfigUpdate {
                        max_position_assets: Some(max),
                        ..Default::default()
                    }),
                    &[],
                );
                if res.is_ok() {
                    self.max_assets = max;
                }
                Exec::new(Class::Admin).with(res).by(&[OWNER])
            }
            Op::RogueSeize {
                pos,
                pick,
                repay,
                bonus,
                cw20,
            } => self.exec_rogue_seize(before, pos, pick, repay, bonus, cw20),
            Op::Redeem {
                user,
                pos,
                pick,
                coll,
                amount,
            } => {
                let id = match pos {
                    Some(slot) => self.pos_id(slot),
                    None => {
                        let owing: Vec<u64> = before
                            .positions
                            .keys()
                            .copied()
                            .filter(|id| self.debt_amount(before, *id, MOET) > 0)
                            .collect();
                        owing.get(pick as usize % owing.len().max(1)).copied()
                    }
                };
                let Some(id) = id else {
                    return Exec::new(Class::User { lowering: None });
                };
                let Some(largest) = self.largest_collateral(before, id) else {
                    return Exec::new(Class::User { lowering: None });
                };
                let coll = coll.map(|c| c as usize % N_POOL).unwrap_or(largest);
                let redeemer = self.user(user);
                let n = amount
                    .of(self.debt_amount(before, id, MOET))
                    .min(self.wallet(before, redeemer, MOET))
                    .max(1);
                let (from, token, market) = (
                    self.addr(redeemer),
                    self.suite.moet.clone(),
                    self.suite.market.clone(),
                );
                let res = self.suite.cw20_send(
                    &from,
                    &token,
                    &market,
                    n,
                    &MarketReceive::Redeem {
                        position_id: id,
                        collateral_denom: self.denom(coll),
                        min_collateral_out: None,
                    },
                );
                let mut e = Exec::new(Class::Redemption {
                    pos: id,
                    coll,
                    redeemer,
                })
                .with(res)
                .by(&[redeemer])
                .on(id);
                // The fee moves from the redeemer to the owner.
                let mut group = vec![redeemer];
                group.extend(self.owner_of(before, id));
                group.extend(self.automation_links(before, id));
                e.links = vec![group];
                e
            }
            Op::Bad {
                kind,
                who,
                pos,
                asset,
            } => self.exec_bad(before, kind, who, pos, asset),
        }
    }

    /// The position a liquidation goes for (`pos`, else one that is liquidatable now, picked
    /// by `pick`; sometimes a healthy one), its debt and collateral asset (`None`: the largest by
    /// value).
    fn liquidation_target(
        &self,
        before: &Snap,
        pos: Option<u16>,
        pick: u16,
        debt: Option<u8>,
        coll: Option<u8>,
    ) -> Option<(u64, usize, usize)> {
        let id = match pos {
            Some(slot) => self.pos_id(slot),
            None => {
                let l = self.liquidatable(before);
                if l.is_empty() {
                    if !pick.is_multiple_of(4) {
                        return None;
                    }
                    self.pos_id(pick)
                } else {
                    Some(l[pick as usize % l.len()])
                }
            }
        }?;
        let p = before.positions.get(&id)?;
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
        Some((id, debt_i, coll_i))
    }

    /// A position's largest collateral by value.
    fn largest_collateral(&self, before: &Snap, id: u64) -> Option<usize> {
        let p = before.positions.get(&id)?;
        let px = self.value_prices(before);
        p.collateral
            .iter()
            .filter_map(|b| {
                let i = self.assets.iter().position(|a| a.id == b.asset)?;
                let v = self.coll_amount(before, id, i) as f64
                    / 10f64.powi(self.assets[i].decimals as i32)
                    * px[i];
                Some((i, v))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    /// `Op::RogueSeize`: the bot, made the market's liquidator for one message, calls `seize`
    /// itself; the owner then restores the liquidator contract. A refused `seize` leaves
    /// everything as it was (the config is restored byte for byte).
    pub(super) fn exec_rogue_seize(
        &mut self,
        before: &Snap,
        pos: Option<u16>,
        pick: u16,
        repay: Amt,
        bonus: u16,
        cw20: bool,
    ) -> Exec {
        let Some((id, debt_i, coll_i)) = self.liquidation_target(before, pos, pick, None, None)
        else {
            return Exec::new(Class::Bad);
        };
        let owed = self.debt_amount(before, id, debt_i);
        let n = repay.of(owed).min(self.wallet(before, BOT, debt_i)).max(1);
        // Collateral worth the repay plus `bonus` per-mille of the largest bonus allowed.
        let px = self.value_prices(before);
        let (dd, cd) = (
            self.assets[debt_i].decimals as i32,
            self.assets[coll_i].decimals as i32,
        );
        let value = n as f64 / 10f64.powi(dd) * px[debt_i];
        let with_bonus = value * (1.0 + self.max_bonus * bonus as f64 / 1000.0);
        let seize = ((with_bonus / px[coll_i] * 10f64.powi(cd)).floor() as u128)
            .min(self.coll_amount(before, id, coll_i))
            .max(1);
        let (owner, bot, market) = (self.addr(OWNER), self.addr(BOT), self.suite.market.clone());
        let liquidator = self.suite.liquidator.clone();
        let set_liquidator = |s: &mut crate::Suite, to: &Addr| {
            s.exec_market(
                &owner,
                &MarketMsg::UpdateConfig(keel_types::market::ConfigUpdate {
                    liquidator: Some(to.to_string()),
                    ..Default::default()
                }),
                &[],
            )
        };
        if let Err(e) = set_liquidator(&mut self.suite, &bot) {
            return Exec::new(Class::Admin).with(Err(e)).by(&[OWNER]);
        }
        let (debt_denom, coll_denom) = (self.denom(debt_i), self.denom(coll_i));
        let res = match (&self.assets[debt_i].token, cw20) {
            (Some(token), _) => {
                let token = token.clone();
                self.suite.cw20_send(
                    &bot,
                    &token,
                    &market,
                    n,
                    &MarketReceive::Seize {
                        position_id: id,
                        debt_denom,
                        repay_amount: Uint128::new(n),
                        collateral_denom: coll_denom,
                        collateral_amount: Uint128::new(seize),
                        recipient: bot.to_string(),
                    },
                )
            }
            (None, _) => self.suite.exec_market(
                &bot,
                &MarketMsg::Seize {
                    position_id: id,
                    debt_denom: debt_denom.clone(),
                    repay_amount: Uint128::new(n),
                    collateral_denom: coll_denom,
                    collateral_amount: Uint128::new(seize),
                    recipient: bot.to_string(),
                },
                &[coin(n, debt_denom)],
            ),
        };
        let restored = set_liquidator(&mut self.suite, &liquidator);
        let res = match restored {
            Ok(_) => res,
            Err(e) => Err(e.context("restoring the liquidator")),
        };
        Exec::new(Class::Liquidation {
            pos: id,
            debt: debt_i,
            coll: coll_i,
            caller: BOT,
            rogue: true,
        })
        .with(res)
        .by(&[BOT, OWNER])
        .on(id)
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
        let Some((id, debt_i, coll_i)) = self.liquidation_target(before, pos, pick, debt, coll)
        else {
            return Exec::new(Class::Bad);
        };
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
            rogue: false,
        })
        .with(res)
        .by(&[caller_acct])
        .on(id)
    }
}
