//! The world: a deployment in cw-multi-test (oracle, market, MOET, liquidator, listed pool
//! assets, funded users, a sink contract), the accounts it tracks, and [`World::step`], which
//! runs one operation between two snapshots and has the `Checker` compare them.
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, CanonicalAddr, Decimal, Deps, DepsMut, Env, MessageInfo,
    Response, StdResult, Uint128,
};
use cw20::Cw20ReceiveMsg;
use cw_multi_test::{ContractWrapper, Executor};
use keel_market::state::{Position, DENOM_IDS};
use keel_math::{to_underlying_down, to_underlying_up};
use keel_types::liquidator as liq;
use keel_types::market::{
    AssetParams, ConfigResponse, ConfigUpdate, ExecuteMsg as MarketMsg, QueryMsg as MQ,
};

use super::checker::{Checker, Violation};
use super::exec::Outcome;
use super::ops::{Op, Who};
use super::snapshot::Snap;
use super::util::{dec_f64, WAD};
use super::Stats;
use crate::{curve, dec, moet_params, pool_params, Suite};

pub const N_POOL: usize = 4;
/// MOET's index in the asset tables.
pub const MOET: usize = 4;
pub(super) const N_ASSETS: usize = 5;
/// Wallet columns: the five assets, then the unlisted native, the unlisted cw20, and the native
/// coins named like MOET and like `TKA` (`cw20:<address>`: not those tokens).
pub(super) const N_TOKENS: usize = 9;
pub(super) const T_UFAKE: usize = 5;
pub(super) const T_FAKE: usize = 6;
pub(super) const T_FORGED_MOET: usize = 7;
pub(super) const T_FORGED_TKA: usize = 8;
pub(super) const N_USERS: usize = 5; // users 0..=3 and the bot (4)
/// The well-funded liquidation bot (also the faulty liquidator of `Op::RogueSeize`).
pub(super) const BOT: usize = 4;
pub(super) const KEEPER: usize = 5;
pub(super) const STRANGER: usize = 6;
pub(super) const OWNER: usize = 7;
pub(super) const GUARDIAN: usize = 8;
pub(super) const SINK: usize = 9;
pub(super) const LIQUIDATOR: usize = 10;
pub(super) const MARKET: usize = 11;
pub(super) const FEEDER0: usize = 12;
pub(super) const FEEDER1: usize = 13;
pub(super) const N_ACCOUNTS: usize = 14;
/// Positions beyond this are not opened (the `open` becomes a deposit): keeps every step's
/// full check cheap in long runs.
pub(super) const MAX_POSITIONS: usize = 40;
pub(super) const NATIVE_USD: &str = "uusd";
pub(super) const NATIVE_ETH: &str = "weth";
pub(super) const NATIVE_FAKE: &str = "ufake";
pub(super) const UNKNOWN_POSITION: u64 = 9_999_999;

#[derive(Clone, Debug)]
pub struct AssetCfg {
    pub denom: String,
    pub decimals: u8,
    pub token: Option<Addr>,
    pub id: u16,
    pub init_price: Decimal,
    pub minted: bool,
}

/// A do-nothing contract that accepts cw20 `send` hooks: a draw-down sink with a `msg`.
pub(super) mod sink {
    use super::*;
    use cosmwasm_schema::cw_serde;

    #[cw_serde]
    pub enum SinkMsg {
        Receive(Cw20ReceiveMsg),
    }

    pub fn instantiate(
        _: DepsMut,
        _: Env,
        _: MessageInfo,
        _: cosmwasm_std::Empty,
    ) -> StdResult<Response> {
        Ok(Response::new())
    }

    pub fn execute(_: DepsMut, _: Env, _: MessageInfo, _: SinkMsg) -> StdResult<Response> {
        Ok(Response::new().add_attribute("action", "sink_receive"))
    }

    pub fn query(_: Deps, _: Env, _: cosmwasm_std::Empty) -> StdResult<Binary> {
        to_json_binary(&())
    }
}

/// Contract defects found by the fuzzer and not fixed yet: `(invariant, operation kind, the
/// regression test that pins it)`. With [`World::tolerate_known`] their violations are counted
/// (`Stats::known_defects`) instead of stopping the run, so that a long run goes on looking for
/// other defects; every other operation kind is still held to the invariant.
pub const KNOWN_DEFECTS: &[(&str, &str, &str)] = &[];

pub struct World {
    pub suite: Suite,
    pub assets: Vec<AssetCfg>,
    pub accounts: Vec<Addr>,
    pub(super) fake_token: Addr,
    pub(super) cw20s: Vec<Addr>,
    pub(super) positions: Vec<u64>,
    pub(super) donated: [u128; N_ASSETS],
    pub(super) last_px: [Decimal; N_POOL],
    pub(super) native_supply: BTreeMap<String, u128>,
    pub(super) floor: f64,
    pub(super) bonus: f64,
    pub(super) max_bonus: f64,
    pub(super) close_factor: f64,
    pub(super) dust: f64,
    /// The native denoms `cw20:<MOET>` and `cw20:<TKA>` (wallet columns `T_FORGED_*`).
    pub(super) forged: [String; 2],
    /// `max_position_assets` as the owner last set it.
    pub(super) max_assets: u32,
    /// The top-up consent each (position, account) has given and not yet spent, as the
    /// messages the world sent give it (`allow_top_up`, `disallow_top_up`, pulls).
    pub(super) consent: BTreeMap<(u64, usize), u128>,
    /// What the deviation guard must hold to, per pool asset.
    pub(super) guard: Guard,
    /// Check the JSON interface every this many steps (0: never).
    pub json_every: usize,
    /// Print every operation and its outcome (`KEEL_FUZZ_TRACE=1`).
    pub trace: bool,
    /// Count the violations listed in [`KNOWN_DEFECTS`] instead of reporting them.
    pub tolerate_known: bool,
    pub stats: Stats,
    pub(super) snap: Option<Snap>,
}

/// The oracle's deviation guard as the world sees it (SPEC 2): per pool asset, the reference
/// (the accepted price when the block began, else the first price accepted in it, else a
/// confirmed one), and the pushes not accepted (that a confirmation may name).
#[derive(Clone, Debug)]
pub(super) struct Guard {
    pub(super) reference: [Option<Decimal>; N_POOL],
    /// `(asset, price, feeder account, time)` of each push left pending.
    pub(super) waiting: Vec<(usize, Decimal, usize, u64)>,
    pub(super) max_deviation: Decimal,
    pub(super) max_age: u64,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// The deployment of `Suite::new` plus: a guardian, MOET at 2% a year, four pool assets
    /// (`uusd` native 6 dec, `weth` native 18 dec, cw20 `TKA` 6 dec with a supply cap, cw20
    /// `TKB` 18 dec with a borrow cap and BF 1.5), an unlisted native and an unlisted cw20,
    /// funded users and a sink contract.
    pub fn new() -> Self {
        let mut s = Suite::new();
        let owner = s.owner.clone();
        let users: Vec<Addr> = (0..4)
            .map(|i| s.addr(&format!("user{i}")))
            .chain([s.addr("bot")])
            .collect();
        let keeper = s.addr("keeper");
        let stranger = s.addr("stranger");
        let guardian = s.addr("guardian");
        s.exec_market(
            &owner,
            &MarketMsg::UpdateConfig(ConfigUpdate {
                guardian: Some(guardian.to_string()),
                ..Default::default()
            }),
            &[],
        )
        .expect("guardian set");
        s.exec_market(
            &owner,
            &MarketMsg::UpdateConfig(ConfigUpdate {
                max_position_assets: Some(4),
                ..Default::default()
            }),
            &[],
        )
        .expect("max position assets");
        let moet = s.moet_denom();
        s.exec_market(
            &owner,
            &MarketMsg::UpdateAsset {
                denom: moet.clone(),
                params: moet_params("0.02"),
            },
            &[],
        )
        .expect("moet rate");

        let holders = |small: u128| -> Vec<(Addr, u128)> {
            users
                .iter()
                .enumerate()
                .map(|(i, u)| (u.clone(), if i == 4 { small * 10 } else { small }))
                .collect()
        };
        let h = holders(200_000_000_000);
        let tka = s.create_cw20(
            "TKA",
            6,
            &h.iter().map(|(a, n)| (a, *n)).collect::<Vec<_>>(),
        );
        let h = holders(4_000_000 * WAD);
        let tkb = s.create_cw20(
            "TKB",
            18,
            &h.iter().map(|(a, n)| (a, *n)).collect::<Vec<_>>(),
        );
        let h = holders(1_000_000_000_000);
        let fake = s.create_cw20(
            "FAKE",
            6,
            &h.iter().map(|(a, n)| (a, *n)).collect::<Vec<_>>(),
        );

        let mut usd = pool_params(6);
        usd.reserve_factor = dec("0.2");
        let mut eth = pool_params(18);
        eth.collateral_factor = dec("0.75");
        eth.liquidation_threshold = dec("0.8");
        eth.reserve_factor = dec("0.1");
        eth.rate_model = curve(&[("0", "0.02"), ("0.7", "0.1"), ("0.9", "0.6"), ("1", "2")]);
        let mut a = pool_params(6);
        a.collateral_factor = dec("0.6");
        a.liquidation_threshold = dec("0.7");
        a.borrow_factor = dec("1.2");
        a.reserve_factor = dec("0.3");
        a.supply_cap = Some(Uint128::new(500_000_000_000));
        let mut b = pool_params(18);
        b.collateral_factor = dec("0.5");
        b.liquidation_threshold = dec("0.65");
        b.borrow_factor = dec("1.5");
        b.reserve_factor = dec("0.15");
        b.borrow_cap = Some(Uint128::new(1_000_000 * WAD));
        let specs: Vec<(String, AssetParams, Option<Addr>, &str)> = vec![
            (NATIVE_USD.to_string(), usd, None, "1"),
            (NATIVE_ETH.to_string(), eth, None, "2000"),
            (format!("cw20:{tka}"), a, Some(tka.clone()), "5"),
            (format!("cw20:{tkb}"), b, Some(tkb.clone()), "0.25"),
        ];
        let mut assets = vec![];
        for (denom, params, token, price) in specs {
            let decimals = params.decimals;
            s.list_asset(&denom, params).expect("listed");
            s.set_price(&denom, price);
            assets.push(AssetCfg {
                denom,
                decimals,
                token,
                id: 0,
                init_price: dec(price),
                minted: false,
            });
        }
        assets.push(AssetCfg {
            denom: moet.clone(),
            decimals: 6,
            token: Some(s.moet.clone()),
            id: 0,
            init_price: Decimal::one(),
            minted: true,
        });
        {
            let storage = s.app.contract_storage(&s.market);
            for a in assets.iter_mut() {
                a.id = DENOM_IDS
                    .load(storage.as_ref(), &a.denom)
                    .expect("denom id");
            }
        }

        let mut native_supply = BTreeMap::new();
        for (i, u) in users.iter().enumerate() {
            let k = if i == 4 { 10 } else { 1 };
            for (denom, n) in [
                (NATIVE_USD, 1_000_000_000_000u128),
                (NATIVE_ETH, 500 * WAD),
                (NATIVE_FAKE, 1_000_000_000_000),
            ] {
                s.fund(u, n * k, denom);
                *native_supply.entry(denom.to_string()).or_insert(0) += n * k;
            }
        }
        // Native coins named like two listed cw20s, held by the stranger.
        let forged = [format!("cw20:{}", s.moet), format!("cw20:{tka}")];
        for denom in &forged {
            s.fund(&stranger, 1_000_000_000_000, denom);
            native_supply.insert(denom.clone(), 1_000_000_000_000);
        }
        let sink_code = s.app.store_code(Box::new(ContractWrapper::new(
            sink::execute,
            sink::instantiate,
            sink::query,
        )));
        let sink_addr = s
            .app
            .instantiate_contract(
                sink_code,
                owner.clone(),
                &cosmwasm_std::Empty {},
                &[],
                "sink",
                None,
            )
            .expect("sink");

        let mut accounts = users.clone();
        accounts.extend([
            keeper,
            stranger,
            owner,
            guardian,
            sink_addr,
            s.liquidator.clone(),
            s.market.clone(),
            s.feeders[0].clone(),
            s.feeders[1].clone(),
        ]);
        assert_eq!(accounts.len(), N_ACCOUNTS);
        let config: ConfigResponse = s.query_market(&MQ::Config {}).expect("config");
        let lconfig: liq::ConfigResponse = s
            .query(&s.liquidator, &liq::QueryMsg::Config {})
            .expect("liquidator config");
        let oconfig: keel_types::oracle::ConfigResponse = s
            .query(&s.oracle, &keel_types::oracle::QueryMsg::Config {})
            .expect("oracle config");
        let cw20s = vec![tka, tkb, s.moet.clone(), fake.clone()];
        let last_px = [
            assets[0].init_price,
            assets[1].init_price,
            assets[2].init_price,
            assets[3].init_price,
        ];
        World {
            suite: s,
            assets,
            accounts,
            fake_token: fake,
            cw20s,
            positions: vec![],
            donated: [0; N_ASSETS],
            last_px,
            native_supply,
            floor: dec_f64(config.borrow_health_floor),
            bonus: dec_f64(lconfig.liquidation_bonus.min(config.max_liquidation_bonus)),
            max_bonus: dec_f64(config.max_liquidation_bonus),
            close_factor: dec_f64(config.max_close_factor),
            dust: dec_f64(config.dust_debt_value),
            forged,
            max_assets: config.max_position_assets,
            consent: BTreeMap::new(),
            guard: Guard {
                reference: [
                    Some(last_px[0]),
                    Some(last_px[1]),
                    Some(last_px[2]),
                    Some(last_px[3]),
                ],
                waiting: vec![],
                max_deviation: oconfig.max_deviation,
                max_age: oconfig.max_age,
            },
            json_every: 1,
            tolerate_known: true,
            trace: std::env::var("KEEL_FUZZ_TRACE").is_ok_and(|v| !v.is_empty() && v != "0"),
            stats: Stats::default(),
            snap: None,
        }
    }

    pub(super) fn addr(&self, account: usize) -> Addr {
        self.accounts[account].clone()
    }

    pub(super) fn account_of(&self, addr: &Addr) -> Option<usize> {
        self.accounts.iter().position(|a| a == addr)
    }

    /// The account of a canonical address stored in a position (owner, sink, source).
    pub(super) fn account_of_canonical(&self, canonical: &CanonicalAddr) -> Option<usize> {
        let addr = self.suite.app.api().addr_humanize(canonical).ok()?;
        self.account_of(&addr)
    }

    pub(super) fn denom(&self, asset: usize) -> String {
        self.assets[asset].denom.clone()
    }

    pub(super) fn user(&self, u: u8) -> usize {
        u as usize % N_USERS
    }

    pub(super) fn pos_id(&self, slot: u16) -> Option<u64> {
        if self.positions.is_empty() {
            None
        } else {
            Some(self.positions[slot as usize % self.positions.len()])
        }
    }

    pub(super) fn owner_of(&self, snap: &Snap, id: u64) -> Option<usize> {
        snap.positions
            .get(&id)
            .and_then(|p| self.account_of_canonical(&p.owner))
    }

    pub(super) fn who(&self, snap: &Snap, who: Who, id: u64) -> usize {
        match who {
            Who::Owner => self.owner_of(snap, id).unwrap_or(STRANGER),
            Who::User(u) => self.user(u),
            Who::Stranger => STRANGER,
        }
    }

    pub(super) fn wallet(&self, snap: &Snap, account: usize, token: usize) -> u128 {
        snap.wallets[account][token]
    }

    pub(super) fn scaled_coll(p: &Position, id: u16) -> Uint128 {
        p.collateral
            .iter()
            .find(|b| b.asset == id)
            .map(|b| b.scaled)
            .unwrap_or_default()
    }

    pub(super) fn scaled_debt(p: &Position, id: u16) -> Uint128 {
        p.debt
            .iter()
            .find(|b| b.asset == id)
            .map(|b| b.scaled)
            .unwrap_or_default()
    }

    /// The position's collateral of `asset` as the market reports it (rounded down).
    pub(super) fn coll_amount(&self, snap: &Snap, id: u64, asset: usize) -> u128 {
        let Some(p) = snap.positions.get(&id) else {
            return 0;
        };
        let scaled = Self::scaled_coll(p, self.assets[asset].id);
        to_underlying_down(scaled, snap.q_assets[asset].supply_index)
            .map(|x| x.u128())
            .unwrap_or(0)
    }

    /// The position's debt of `asset` as the market reports it (rounded up).
    pub(super) fn debt_amount(&self, snap: &Snap, id: u64, asset: usize) -> u128 {
        let Some(p) = snap.positions.get(&id) else {
            return 0;
        };
        let scaled = Self::scaled_debt(p, self.assets[asset].id);
        to_underlying_up(scaled, snap.q_assets[asset].borrow_index)
            .map(|x| x.u128())
            .unwrap_or(0)
    }

    /// Runs `op` (step `step`) and checks every invariant; returns the violations found.
    pub fn step(&mut self, step: usize, op: &Op) -> Vec<Violation> {
        let before = match self.snap.take() {
            Some(s) => s,
            None => self.snapshot(),
        };
        let exec = catch_unwind(AssertUnwindSafe(|| self.exec(op, &before)));
        let exec = match exec {
            Ok(e) => e,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return vec![Violation {
                    step,
                    invariant: "no-panic",
                    detail: format!("{op:?} panicked: {msg}"),
                }];
            }
        };
        let after = match catch_unwind(AssertUnwindSafe(|| self.snapshot())) {
            Ok(s) => s,
            Err(_) => {
                return vec![Violation {
                    step,
                    invariant: "queries-never-fail",
                    detail: format!("a snapshot query failed after {op:?}"),
                }]
            }
        };
        self.stats.ops += 1;
        if self.trace {
            let outcome = match &exec.outcome {
                Outcome::Ok(_) => "ok".to_string(),
                Outcome::Err(e) => format!("ERR {e}"),
                Outcome::Skipped => "skipped".to_string(),
            };
            eprintln!("{step:>6} t={} {op:?} -> {outcome}", after.now);
        }
        let entry = self.stats.by_kind.entry(op.kind()).or_default();
        match &exec.outcome {
            Outcome::Ok(_) => {
                self.stats.ok += 1;
                entry.0 += 1;
            }
            Outcome::Err(_) => {
                self.stats.failed += 1;
                entry.1 += 1;
            }
            Outcome::Skipped => {
                self.stats.skipped += 1;
                entry.2 += 1;
            }
        }
        for (i, p) in after.prices.iter().enumerate() {
            if let Some(p) = p {
                self.last_px[i] = p.price;
            }
        }
        let mut v = Checker {
            w: self,
            step,
            op,
            out: vec![],
            checks: 0,
        }
        .run(&before, &after, &exec);
        self.snap = Some(after);
        if self.tolerate_known {
            v.retain(|x| {
                let known = KNOWN_DEFECTS
                    .iter()
                    .any(|(inv, kind, _)| *inv == x.invariant && *kind == op.kind());
                if known {
                    *self.stats.known_defects.entry(x.invariant).or_default() += 1;
                }
                !known
            });
        }
        v.sort_by_key(|x| x.invariant);
        v
    }
}
