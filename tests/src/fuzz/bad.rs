//! Bad input of every kind in [`BAD_KINDS`](super::ops::BAD_KINDS): each must be refused.
use cosmwasm_std::{coin, to_json_binary, Decimal, Uint128};
use cw20::Cw20ReceiveMsg;
use cw_multi_test::AppResponse;
use keel_types::liquidator as liq;
use keel_types::market::{
    Automation, ConfigUpdate, DrawDownSink, ExecuteMsg as MarketMsg, ReceiveMsg as MarketReceive,
};
use keel_types::oracle;

use super::exec::{Class, Exec};
use super::ops::BAD_KINDS;
use super::snapshot::Snap;
use super::util::bounds;
use super::world::*;
use crate::{dec, pool_params};

impl World {
    pub(super) fn exec_bad(
        &mut self,
        before: &Snap,
        kind: u8,
        who: u8,
        pos: u16,
        asset: u8,
    ) -> Exec {
        let kind = kind as usize % BAD_KINDS.len();
        let user = self.user(who);
        let from = self.addr(user);
        let id = self.pos_id(pos).unwrap_or(UNKNOWN_POSITION);
        let pool = asset as usize % N_POOL;
        let any = asset as usize % N_ASSETS;
        let market = self.suite.market.clone();
        let stranger = self.addr(STRANGER);
        let res: anyhow::Result<AppResponse> = match kind {
            0 => self.suite.exec_market(
                &from,
                &MarketMsg::Deposit {
                    position_id: id,
                    push_to_draw_down_sink: false,
                },
                &[],
            ),
            1 => self.suite.exec_market(
                &from,
                &MarketMsg::Deposit {
                    position_id: id,
                    push_to_draw_down_sink: false,
                },
                &[coin(1_000_000, NATIVE_FAKE)],
            ),
            2 => {
                let fake = self.fake_token.clone();
                self.suite.cw20_send(
                    &from,
                    &fake,
                    &market,
                    1_000_000,
                    &MarketReceive::OpenPosition {
                        automation: None,
                        push_to_draw_down_sink: false,
                    },
                )
            }
            3 => self.suite.exec_market(
                &from,
                &MarketMsg::Receive(Cw20ReceiveMsg {
                    sender: from.to_string(),
                    amount: Uint128::new(1_000_000_000_000),
                    msg: to_json_binary(&MarketReceive::Deposit {
                        position_id: id,
                        push_to_draw_down_sink: false,
                    })
                    .expect("json"),
                }),
                &[],
            ),
            4 | 5 => {
                let debt = self.denom(MOET);
                let msg = MarketMsg::Seize {
                    position_id: id,
                    debt_denom: self.denom(pool),
                    repay_amount: Uint128::new(1000),
                    collateral_denom: self.denom(pool),
                    collateral_amount: Uint128::new(1),
                    recipient: from.to_string(),
                };
                let _ = debt;
                if kind == 4 || self.assets[pool].token.is_none() {
                    let funds = if self.assets[pool].token.is_none() {
                        vec![coin(1000, self.denom(pool))]
                    } else {
                        vec![]
                    };
                    self.suite.exec_market(&from, &msg, &funds)
                } else {
                    let token = self.assets[pool].token.clone().expect("cw20");
                    self.suite.cw20_send(
                        &from,
                        &token,
                        &market,
                        1000,
                        &MarketReceive::Seize {
                            position_id: id,
                            debt_denom: self.denom(pool),
                            repay_amount: Uint128::new(1000),
                            collateral_denom: self.denom(pool),
                            collateral_amount: Uint128::new(1),
                            recipient: from.to_string(),
                        },
                    )
                }
            }
            6 => {
                let msg = match pos % 6 {
                    0 => MarketMsg::ListAsset {
                        denom: "unew".to_string(),
                        params: pool_params(6),
                    },
                    1 => MarketMsg::UpdateAsset {
                        denom: self.denom(any),
                        params: before.q_assets[any].params.clone(),
                    },
                    2 => MarketMsg::UpdateConfig(ConfigUpdate {
                        liquidator: Some(stranger.to_string()),
                        ..Default::default()
                    }),
                    3 => MarketMsg::TransferOwnership {
                        new_owner: stranger.to_string(),
                    },
                    4 => MarketMsg::WithdrawReserves {
                        denom: self.denom(any),
                        amount: Uint128::new(1),
                        recipient: Some(stranger.to_string()),
                    },
                    _ => MarketMsg::AcceptOwnership {},
                };
                self.suite.exec_market(&stranger, &msg, &[])
            }
            7 => {
                let o = self.suite.oracle.clone();
                self.suite.exec(
                    &stranger,
                    &o,
                    &oracle::ExecuteMsg::PushPrices {
                        prices: vec![oracle::PriceInput {
                            denom: self.denom(pool),
                            price: dec("0.000001"),
                        }],
                    },
                    &[],
                )
            }
            8 => {
                let (o, f) = (self.suite.oracle.clone(), self.suite.feeders[0].clone());
                self.suite.exec(
                    &f,
                    &o,
                    &oracle::ExecuteMsg::PushPrices {
                        prices: vec![oracle::PriceInput {
                            denom: self.denom(pool),
                            price: Decimal::zero(),
                        }],
                    },
                    &[],
                )
            }
            9 => self.suite.exec_market(
                &from,
                &MarketMsg::Withdraw {
                    position_id: id,
                    denom: self.denom(pool),
                    amount: Some(Uint128::new(1)),
                    recipient: None,
                },
                &[coin(1, NATIVE_USD)],
            ),
            10 => self.suite.exec_market(
                &from,
                &MarketMsg::Repay { position_id: id },
                &[coin(1, NATIVE_USD), coin(1, NATIVE_ETH)],
            ),
            11 => {
                // An asset the position owes nothing of.
                let Some(p) = before.positions.get(&id) else {
                    return Exec::new(Class::Bad);
                };
                let Some(i) = (0..N_ASSETS)
                    .map(|k| (any + k) % N_ASSETS)
                    .find(|i| Self::scaled_debt(p, self.assets[*i].id).is_zero())
                else {
                    return Exec::new(Class::Bad);
                };
                if self.wallet(before, user, i) == 0 {
                    return Exec::new(Class::Bad);
                }
                self.pay_market(
                    user,
                    i,
                    1,
                    &MarketMsg::Repay { position_id: id },
                    &MarketReceive::Repay { position_id: id },
                )
            }
            12 => {
                let msg = match asset % 4 {
                    0 => MarketMsg::Borrow {
                        position_id: UNKNOWN_POSITION,
                        denom: self.denom(MOET),
                        amount: Uint128::new(1_000_000),
                        recipient: None,
                        to_collateral: false,
                    },
                    1 => MarketMsg::Withdraw {
                        position_id: UNKNOWN_POSITION,
                        denom: self.denom(pool),
                        amount: None,
                        recipient: None,
                    },
                    2 => MarketMsg::Rebalance {
                        position_id: UNKNOWN_POSITION,
                    },
                    _ => MarketMsg::SetAutomation {
                        position_id: UNKNOWN_POSITION,
                        automation: None,
                    },
                };
                self.suite.exec_market(&from, &msg, &[])
            }
            13 | 17 | 21 => {
                let Some(owner) = self.owner_of(before, id) else {
                    return Exec::new(Class::Bad);
                };
                let (denom, amount, to_collateral) = match kind {
                    13 => (self.denom(any), 0, false),
                    17 => (self.denom(any), u128::MAX, false),
                    _ => (self.denom(MOET), 1_000_000, true),
                };
                let from = self.addr(owner);
                self.suite.exec_market(
                    &from,
                    &MarketMsg::Borrow {
                        position_id: id,
                        denom,
                        amount: Uint128::new(amount),
                        recipient: None,
                        to_collateral,
                    },
                    &[],
                )
            }
            14 => {
                let Some(owner) = self.owner_of(before, id) else {
                    return Exec::new(Class::Bad);
                };
                let held = self.coll_amount(before, id, pool);
                let from = self.addr(owner);
                self.suite.exec_market(
                    &from,
                    &MarketMsg::Withdraw {
                        position_id: id,
                        denom: self.denom(pool),
                        amount: Some(Uint128::new(held + 1)),
                        recipient: None,
                    },
                    &[],
                )
            }
            15 => {
                let Some(owner) = self.owner_of(before, id) else {
                    return Exec::new(Class::Bad);
                };
                let from = self.addr(owner);
                let bad = [
                    bounds("1.5", "1.3", "1.1"),
                    bounds("1", "1.3", "1.5"),
                    bounds("1.1", "1.1", "1.5"),
                ];
                self.suite.exec_market(
                    &from,
                    &MarketMsg::SetAutomation {
                        position_id: id,
                        automation: Some(Automation {
                            draw_down_sink: None,
                            top_up_source: None,
                            health: Some(bad[pos as usize % 3].clone()),
                            self_repay: false,
                        }),
                    },
                    &[],
                )
            }
            16 => {
                // Funds of another denom than the debt denom.
                let liquidator = self.suite.liquidator.clone();
                let wrong = if pool == 0 { NATIVE_ETH } else { NATIVE_USD };
                self.suite.exec(
                    &from,
                    &liquidator,
                    &liq::ExecuteMsg::Liquidate {
                        position_id: id,
                        debt_denom: self.denom(pool),
                        collateral_denom: self.denom(pool),
                        min_collateral_out: None,
                    },
                    &[coin(1, wrong)],
                )
            }
            18 => {
                if self.wallet(before, user, MOET) == 0 {
                    return Exec::new(Class::Bad);
                }
                let moet = self.suite.moet.clone();
                self.suite.cw20_send(
                    &from,
                    &moet,
                    &market,
                    1,
                    &MarketReceive::Deposit {
                        position_id: id,
                        push_to_draw_down_sink: false,
                    },
                )
            }
            19 => {
                let liquidator = self.suite.liquidator.clone();
                self.suite.exec(
                    &stranger,
                    &liquidator,
                    &liq::ExecuteMsg::UpdateConfig {
                        market: Some(stranger.to_string()),
                        close_factor: Some(Decimal::one()),
                        liquidation_bonus: Some(dec("0.5")),
                    },
                    &[],
                )
            }
            20 => {
                let guardian = self.addr(GUARDIAN);
                let mut params = before.q_assets[any].params.clone();
                // Anything but turning deposits/borrows off: here a disable mixed with another
                // change, or an enable with one.
                params.reserve_factor = if params.reserve_factor == dec("0.99") {
                    dec("0.5")
                } else {
                    dec("0.99")
                };
                if pos.is_multiple_of(2) {
                    params.borrow_enabled = false;
                } else {
                    params.borrow_enabled = true;
                    params.deposit_enabled = !self.assets[any].minted;
                }
                self.suite.exec_market(
                    &guardian,
                    &MarketMsg::UpdateAsset {
                        denom: self.denom(any),
                        params,
                    },
                    &[],
                )
            }
            22 => {
                let q = &before.q_assets[any];
                let available = q.reserves.u128().saturating_sub(q.deficit.u128());
                let owner = self.addr(OWNER);
                self.suite.exec_market(
                    &owner,
                    &MarketMsg::WithdrawReserves {
                        denom: self.denom(any),
                        amount: Uint128::new(available + 1),
                        recipient: None,
                    },
                    &[],
                )
            }
            23 => {
                let owner = self.owner_of(before, id);
                let sender = (0..N_USERS)
                    .map(|k| (user + k) % N_USERS)
                    .find(|u| Some(*u) != owner)
                    .unwrap_or(STRANGER);
                if self.wallet(before, sender, 0) == 0 {
                    return Exec::new(Class::Bad);
                }
                let from = self.addr(sender);
                self.suite.exec_market(
                    &from,
                    &MarketMsg::Deposit {
                        position_id: id,
                        push_to_draw_down_sink: true,
                    },
                    &[coin(1_000, NATIVE_USD)],
                )
            }
            24 => {
                let o = self.suite.oracle.clone();
                let msg = match pos % 3 {
                    0 => oracle::ExecuteMsg::SetFeeders {
                        add: vec![stranger.to_string()],
                        remove: vec![],
                    },
                    1 => oracle::ExecuteMsg::SetPriceSources {
                        denom: self.denom(pool),
                        sources: vec![oracle::PriceSource::Fixed {
                            price: dec("1000000"),
                        }],
                        max_age: None,
                        max_deviation: None,
                    },
                    _ => oracle::ExecuteMsg::UpdateConfig {
                        base_denom: None,
                        max_age: Some(1_000_000_000),
                        max_deviation: Some(dec("100")),
                        twap_window: None,
                    },
                };
                self.suite.exec(&stranger, &o, &msg, &[])
            }
            26 => return self.bad_forged_natives(id, pos, pool),
            27 => return self.bad_zero_send(user, id, pos, asset),
            28 => return self.bad_new_denom(before, id, pool, false),
            29 => return self.bad_new_denom(before, id, pool, true),
            _ => self.suite.exec_market(
                &from,
                &MarketMsg::OpenPosition {
                    automation: Some(Automation {
                        draw_down_sink: Some(DrawDownSink {
                            address: "not an address".to_string(),
                            msg: None,
                        }),
                        top_up_source: None,
                        health: None,
                        self_repay: false,
                    }),
                    push_to_draw_down_sink: false,
                },
                &[coin(1_000_000, NATIVE_USD)],
            ),
        };
        Exec::new(Class::Bad)
            .with(res)
            .by(&[user, STRANGER, OWNER, GUARDIAN])
    }

    /// The stranger sends native coins named `cw20:<MOET>` or `cw20:<TKA>` (not those tokens) to
    /// open, deposit, repay or liquidate.
    fn bad_forged_natives(&mut self, id: u64, pos: u16, pool: usize) -> Exec {
        let (forged, forged_asset) = if pool.is_multiple_of(2) {
            (self.forged[0].clone(), MOET)
        } else {
            (self.forged[1].clone(), 2)
        };
        let funds = [coin(1_000_000, forged.clone())];
        let from = self.addr(STRANGER);
        let res = match pos % 4 {
            0 => self.suite.exec_market(
                &from,
                &MarketMsg::OpenPosition {
                    automation: None,
                    push_to_draw_down_sink: false,
                },
                &funds,
            ),
            1 => self.suite.exec_market(
                &from,
                &MarketMsg::Deposit {
                    position_id: id,
                    push_to_draw_down_sink: false,
                },
                &funds,
            ),
            2 => self
                .suite
                .exec_market(&from, &MarketMsg::Repay { position_id: id }, &funds),
            _ => {
                let liquidator = self.suite.liquidator.clone();
                let msg = liq::ExecuteMsg::Liquidate {
                    position_id: id,
                    debt_denom: self.denom(forged_asset),
                    collateral_denom: self.denom(0),
                    min_collateral_out: None,
                };
                self.suite.exec(&from, &liquidator, &msg, &funds)
            }
        };
        let mut e = Exec::new(Class::Bad).with(res).by(&[STRANGER]);
        e.expect_err = Some("reserved prefix");
        e
    }

    /// A cw20 `send` of 0 of TKA, TKB or MOET to every hook: open, deposit, repay, redeem (MOET),
    /// liquidate.
    fn bad_zero_send(&mut self, user: usize, id: u64, pos: u16, asset: u8) -> Exec {
        let token_asset = [2usize, 3, MOET][asset as usize % 3];
        let token = self.assets[token_asset].token.clone().expect("cw20");
        let (from, market) = (self.addr(user), self.suite.market.clone());
        let res = match pos % 5 {
            0 => self.suite.cw20_send(
                &from,
                &token,
                &market,
                0,
                &MarketReceive::OpenPosition {
                    automation: None,
                    push_to_draw_down_sink: false,
                },
            ),
            1 => self.suite.cw20_send(
                &from,
                &token,
                &market,
                0,
                &MarketReceive::Deposit {
                    position_id: id,
                    push_to_draw_down_sink: false,
                },
            ),
            2 => self.suite.cw20_send(
                &from,
                &token,
                &market,
                0,
                &MarketReceive::Repay { position_id: id },
            ),
            3 => {
                let moet = self.suite.moet.clone();
                self.suite.cw20_send(
                    &from,
                    &moet,
                    &market,
                    0,
                    &MarketReceive::Redeem {
                        position_id: id,
                        collateral_denom: self.denom(0),
                        min_collateral_out: None,
                    },
                )
            }
            _ => {
                let liquidator = self.suite.liquidator.clone();
                let msg = liq::ReceiveMsg::Liquidate {
                    position_id: id,
                    debt_denom: self.denom(token_asset),
                    collateral_denom: self.denom(0),
                    min_collateral_out: None,
                };
                self.suite.cw20_send(&from, &token, &liquidator, 0, &msg)
            }
        };
        let mut e = Exec::new(Class::Bad).with(res).by(&[user]);
        e.expect_err = Some("zero amount");
        e
    }

    /// A deposit of a pool asset the position holds neither way: by someone else than the owner
    /// (`unpriced: false`: refused whatever the price), or by the owner while that asset has no
    /// valid price (`unpriced: true`). Skipped when no such asset or payer exists.
    fn bad_new_denom(&mut self, before: &Snap, id: u64, pool: usize, unpriced: bool) -> Exec {
        let (Some(p), Some(owner)) = (before.positions.get(&id), self.owner_of(before, id)) else {
            return Exec::new(Class::Bad);
        };
        let Some(asset) = (0..N_POOL).map(|k| (pool + k) % N_POOL).find(|i| {
            let aid = self.assets[*i].id;
            World::scaled_coll(p, aid).is_zero()
                && World::scaled_debt(p, aid).is_zero()
                && (!unpriced || before.prices[*i].is_none())
        }) else {
            return Exec::new(Class::Bad);
        };
        let payer = if unpriced {
            Some(owner)
        } else {
            (0..N_USERS)
                .map(|k| (owner + 1 + k) % N_USERS)
                .find(|u| *u != owner && self.wallet(before, *u, asset) > 0)
        };
        let Some(payer) = payer.filter(|u| self.wallet(before, *u, asset) > 0) else {
            return Exec::new(Class::Bad);
        };
        let n = self.wallet(before, payer, asset).min(1_000_000);
        let res = self.pay_market(
            payer,
            asset,
            n,
            &MarketMsg::Deposit {
                position_id: id,
                push_to_draw_down_sink: false,
            },
            &MarketReceive::Deposit {
                position_id: id,
                push_to_draw_down_sink: false,
            },
        );
        let mut e = Exec::new(Class::Bad).with(res).by(&[payer]).on(id);
        e.expect_err = Some(if unpriced {
            "price unavailable"
        } else {
            "unauthorized"
        });
        e
    }
}
