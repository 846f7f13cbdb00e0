//! Stateful invariant fuzzing of the whole deployment (issue 7).
//!
//! A seeded generator produces a sequence of abstract operations ([`Op`]): several users and
//! positions, four pool assets (native and cw20, 6 and 18 decimals) and MOET; deposits,
//! withdrawals, borrows (also `to_collateral`), repays, automation, rebalances, self-repay,
//! liquidations through the liquidator contract, price moves (within and beyond the deviation
//! guard, confirmed or left pending), time jumps (with and without fresh prices), reserve
//! withdrawals, donations, guardian/owner toggles and bad input of many kinds.
//!
//! Operations are generated without looking at the state (so that any subsequence is still a
//! valid sequence, which is what shrinking needs); they name users, positions and amounts
//! abstractly (a position slot, a per-mille of a balance or of `max_borrow`) and are resolved
//! against the state when they run.
//!
//! After every operation [`World::check`] compares a snapshot of everything with the one taken
//! before it:
//! - a failed message changed nothing: the raw storage of the market, the oracle, the
//!   liquidator and every cw20 token, and every tracked account's balances are byte-for-byte
//!   the same;
//! - SPEC 6.1: per asset, the positions' scaled collateral and debt sum exactly to `S_s`, `D_s`
//!   (read from the market's raw storage);
//! - SPEC 6.2: per pool asset, tracked cash equals the market's balance minus our donations, and
//!   `cash >= S + R - D`; the market holds no MOET but donations;
//! - SPEC 6.3: after a user action at fixed prices no position has a conservative HF below the
//!   floor that it did not start with; a successful borrow/withdraw leaves HF >= floor; a
//!   liquidation only hits a position with LHF < 1 and does not lower its LHF unless it was
//!   underwater (`LHF < (1 + bonus) * LT_coll / BF_debt`); a rebalance that pulls from a top-up
//!   source leaves the position not liquidatable; auto-borrow never goes below the target;
//! - SPEC 6.4: per asset, the tokens held by all accounts plus the market's net claims
//!   (`S + R - D - deficit`) never grow (MOET may grow only by what self-repay wrote off), and
//!   shrink by at most a few base units of rounding; no account's net worth (wallet plus its
//!   positions) grows, except a liquidator's by at most its bonus;
//! - utilization <= 1, indices never decrease (the supply index only on a write-off), the JSON
//!   interface (`positions`, `assets`) agrees with the raw storage; every token's supply is held
//!   by tracked accounts (nothing appears from nowhere); no panic.
//!
//! On a violation, [`shrink`] reduces the sequence (delta debugging) to a minimal one that
//! still violates the same invariant, printed as JSON that [`replay`] (and
//! `scripts/fuzz.sh --replay FILE`) runs again.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use cosmwasm_std::{
    coin, to_json_binary, Addr, Api, Binary, CanonicalAddr, Coin, Decimal, Decimal256, Deps,
    DepsMut, Env, Int256, MessageInfo, Record, Response, StdResult, Uint128, Uint256,
};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_multi_test::{AppResponse, ContractWrapper, Executor};
use keel_market::state::{AssetState, Position, ASSET_STATE, DENOM_IDS, POSITIONS};
use keel_math::{to_underlying_down, to_underlying_exact, to_underlying_up, RateModel};
use keel_types::liquidator as liq;
use keel_types::market::{
    AssetParams, AssetResponse, Automation, ConfigResponse, ConfigUpdate, DrawDownSink,
    ExecuteMsg as MarketMsg, LiquidatablePositionsResponse, MaxBorrowResponse, PositionResponse,
    QueryMsg as MQ, ReceiveMsg as MarketReceive,
};
use keel_types::oracle;
use keel_types::HealthBounds;
use serde::{Deserialize, Serialize};

use crate::{curve, dec, moet_params, pool_params, position_id_of, Suite};

// ---------------------------------------------------------------------------------------------
// Random numbers: SplitMix64, so that a seed gives the same sequence on every machine.
// ---------------------------------------------------------------------------------------------

/// A small deterministic generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Roughly log-uniform in `lo..=hi` (`lo >= 1`).
    pub fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        let x = l + (h - l) * (self.below(1_000_001) as f64 / 1_000_000.0);
        (x.exp().round() as u64).clamp(lo, hi)
    }
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Who sends an owner-only message: the position's owner, user `n` (mod users), a stranger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Who {
    Owner,
    User(u8),
    Stranger,
}

/// An abstract amount, resolved against a reference (a wallet balance, a position's
/// collateral or debt, `max_borrow`...): a per-mille of it, a raw number of base units, the
/// whole of it (`All`: `amount: null` for a withdrawal) or `u128::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Amt {
    Permille(u32),
    Raw(u128),
    All,
    Max,
}

impl Amt {
    fn of(self, reference: u128) -> u128 {
        match self {
            Amt::Permille(p) => mul_div(reference, p as u128, 1000),
            Amt::Raw(n) => n,
            Amt::All => reference,
            Amt::Max => u128::MAX,
        }
    }
}

fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    let r = Uint256::from(a) * Uint256::from(b) / Uint256::from(c);
    Uint128::try_from(r).map(|x| x.u128()).unwrap_or(u128::MAX)
}

/// Automation settings, abstractly. `sink`: 0 none, 1 the owner, 2 another user, 3 the sink
/// contract through a cw20 `send` hook. `source`: 0 none, `n` user `n - 1`. `health`: 0 the
/// default bounds, 1..=3 presets, 4 invalid bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoSpec {
    pub sink: u8,
    pub source: u8,
    pub health: u8,
    pub self_repay: bool,
}

/// One step of a random sequence. Indices are taken modulo what exists when the step runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `user` opens a position with one or two deposits (`(asset, amount of wallet)`); a cw20
    /// first deposit goes alone through cw20 `send`.
    Open {
        user: u8,
        deposits: Vec<(u8, Amt)>,
        automation: Option<AutoSpec>,
        push: bool,
    },
    Deposit {
        who: Who,
        pos: u16,
        asset: u8,
        amount: Amt,
        push: bool,
    },
    /// `amount` of the position's collateral.
    Withdraw {
        who: Who,
        pos: u16,
        asset: u8,
        amount: Amt,
        recipient: Option<u8>,
    },
    /// `amount` of `max_borrow.at_floor` (per-mille above 1000 tries beyond the floor).
    Borrow {
        who: Who,
        pos: u16,
        asset: u8,
        amount: Amt,
        to_collateral: bool,
        recipient: Option<u8>,
    },
    /// `amount` of the position's debt, paid by `who` (the owner or anyone).
    Repay {
        who: Who,
        pos: u16,
        asset: u8,
        amount: Amt,
    },
    SetAutomation {
        who: Who,
        pos: u16,
        automation: Option<AutoSpec>,
    },
    /// A keeper calls `rebalance`.
    Rebalance { pos: u16 },
    /// `user` changes the market's MOET allowance (a top-up source) by `amount` of its balance.
    Approve {
        user: u8,
        amount: Amt,
        increase: bool,
    },
    /// Through the liquidator contract. `pos: None` picks (by `pick`) among the positions
    /// that are liquidatable now; `debt`/`coll` `None` take the largest by value. `amount` is
    /// of the debt. `caller: Owner` is a self-liquidation.
    Liquidate {
        caller: Who,
        pos: Option<u16>,
        pick: u16,
        debt: Option<u8>,
        coll: Option<u8>,
        amount: Amt,
        cw20: bool,
    },
    /// Moves a pool asset's price by `bps` basis points: feeder 1 pushes, feeder 2 confirms
    /// when `confirm` (a move beyond the deviation guard stays pending otherwise).
    Price { asset: u8, bps: i32, confirm: bool },
    /// Moves time; `repush` has both feeders push the accepted prices again afterwards.
    Time { secs: u64, repush: bool },
    WithdrawReserves {
        by_owner: bool,
        asset: u8,
        amount: Amt,
    },
    /// `user` sends tokens straight to the market (outside its messages).
    Donate { user: u8, asset: u8, amount: Amt },
    /// The guardian disables deposits and/or borrows of a pool asset or MOET.
    Guardian {
        asset: u8,
        deposit: bool,
        borrow: bool,
    },
    /// The owner enables deposits and borrows again.
    OwnerEnable { asset: u8 },
    /// The owner changes an asset's risk params (`variant`: 0 CF/LT, 1 collateral on/off, 2
    /// supply cap, 3 borrow cap, 4 rate model / reserve factor); may make positions
    /// liquidatable at once.
    OwnerParams { asset: u8, variant: u8, up: bool },
    /// Bad input of kind `kind` (see `BAD_KINDS`): must fail.
    Bad {
        kind: u8,
        who: u8,
        pos: u16,
        asset: u8,
    },
}

/// Names of the bad-input kinds, by `Op::Bad::kind`.
pub const BAD_KINDS: &[&str] = &[
    "deposit_without_funds",
    "deposit_unlisted_native",
    "open_with_unlisted_cw20",
    "fake_cw20_receive_call",
    "seize_by_user_native",
    "seize_by_user_cw20_hook",
    "admin_by_stranger",
    "oracle_push_by_stranger",
    "oracle_zero_price",
    "nonpayable_with_funds",
    "repay_two_coins",
    "repay_without_debt",
    "unknown_position",
    "borrow_zero",
    "withdraw_more_than_held",
    "invalid_automation",
    "liquidate_wrong_funds",
    "borrow_u128_max",
    "deposit_moet_as_collateral",
    "liquidator_admin_by_stranger",
    "guardian_enables_or_changes_params",
    "borrow_moet_to_collateral",
    "withdraw_reserves_beyond_available",
    "push_for_someone_elses_position",
    "oracle_admin_by_stranger",
    "open_with_invalid_sink_address",
];

impl Op {
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Open { .. } => "open",
            Op::Deposit { .. } => "deposit",
            Op::Withdraw { .. } => "withdraw",
            Op::Borrow { .. } => "borrow",
            Op::Repay { .. } => "repay",
            Op::SetAutomation { .. } => "set_automation",
            Op::Rebalance { .. } => "rebalance",
            Op::Approve { .. } => "approve",
            Op::Liquidate { .. } => "liquidate",
            Op::Price { .. } => "price",
            Op::Time { .. } => "time",
            Op::WithdrawReserves { .. } => "withdraw_reserves",
            Op::Donate { .. } => "donate",
            Op::Guardian { .. } => "guardian",
            Op::OwnerEnable { .. } => "owner_enable",
            Op::OwnerParams { .. } => "owner_params",
            Op::Bad { kind, .. } => BAD_KINDS
                .get(*kind as usize % BAD_KINDS.len())
                .copied()
                .unwrap_or("bad"),
        }
    }
}

fn gen_who_owner(r: &mut Rng) -> Who {
    match r.below(100) {
        0..=87 => Who::Owner,
        88..=95 => Who::User(r.below(5) as u8),
        _ => Who::Stranger,
    }
}

fn gen_who_anyone(r: &mut Rng) -> Who {
    if r.chance(700) {
        Who::Owner
    } else {
        Who::User(r.below(5) as u8)
    }
}

fn gen_user(r: &mut Rng) -> u8 {
    if r.chance(850) {
        r.below(4) as u8
    } else {
        4
    }
}

/// A per-mille (log-uniform up to `max`), sometimes a tiny raw amount, sometimes everything.
fn gen_amt(r: &mut Rng, max_permille: u64) -> Amt {
    match r.below(100) {
        0..=79 => Amt::Permille(r.log_range(1, max_permille) as u32),
        80..=91 => Amt::Raw(r.log_range(1, 1000) as u128),
        92..=97 => Amt::Permille(1000),
        _ => Amt::All,
    }
}

fn gen_auto(r: &mut Rng) -> AutoSpec {
    AutoSpec {
        sink: match r.below(10) {
            0..=3 => 0,
            4..=5 => 1,
            6..=7 => 2,
            _ => 3,
        },
        source: if r.chance(450) {
            0
        } else {
            r.range(1, 5) as u8
        },
        health: if r.chance(30) {
            4
        } else if r.chance(400) {
            0
        } else {
            r.range(1, 3) as u8
        },
        self_repay: r.chance(350),
    }
}

/// One random operation.
pub fn gen_op(r: &mut Rng) -> Op {
    let pos = r.below(u16::MAX as u64 + 1) as u16;
    let w = r.below(1000);
    match w {
        0..=54 => {
            let mut deposits = vec![(r.below(4) as u8, gen_amt(r, 250))];
            if r.chance(250) {
                deposits.push((r.below(4) as u8, gen_amt(r, 250)));
            }
            Op::Open {
                user: gen_user(r),
                deposits,
                automation: if r.chance(400) {
                    Some(gen_auto(r))
                } else {
                    None
                },
                push: r.chance(150),
            }
        }
        55..=154 => Op::Deposit {
            who: gen_who_anyone(r),
            pos,
            asset: if r.chance(30) { 4 } else { r.below(4) as u8 },
            amount: gen_amt(r, 200),
            push: r.chance(80),
        },
        155..=249 => Op::Withdraw {
            who: gen_who_owner(r),
            pos,
            asset: r.below(4) as u8,
            amount: gen_amt(r, 1100),
            recipient: if r.chance(150) {
                Some(r.below(5) as u8)
            } else {
                None
            },
        },
        250..=409 => Op::Borrow {
            who: gen_who_owner(r),
            pos,
            asset: if r.chance(450) { 4 } else { r.below(4) as u8 },
            amount: match r.below(100) {
                0..=59 => Amt::Permille(r.log_range(1, 1000) as u32),
                60..=79 => Amt::Permille(r.range(900, 1000) as u32),
                80..=89 => Amt::Permille(r.range(1001, 1500) as u32),
                _ => Amt::Raw(r.log_range(1, 10_000_000) as u128),
            },
            to_collateral: r.chance(200),
            recipient: if r.chance(100) {
                Some(r.below(5) as u8)
            } else {
                None
            },
        },
        410..=519 => Op::Repay {
            who: gen_who_anyone(r),
            pos,
            asset: if r.chance(500) { 4 } else { r.below(4) as u8 },
            amount: match r.below(10) {
                0..=6 => gen_amt(r, 1000),
                _ => Amt::Permille(r.range(1000, 1300) as u32),
            },
        },
        520..=544 => Op::SetAutomation {
            who: gen_who_owner(r),
            pos,
            automation: if r.chance(800) {
                Some(gen_auto(r))
            } else {
                None
            },
        },
        545..=589 => Op::Rebalance { pos },
        590..=609 => Op::Approve {
            user: gen_user(r),
            amount: gen_amt(r, 1000),
            increase: r.chance(800),
        },
        610..=694 => Op::Liquidate {
            caller: match r.below(10) {
                0..=6 => Who::User(4),
                7..=8 => Who::User(r.below(4) as u8),
                _ => Who::Owner,
            },
            pos: if r.chance(800) { None } else { Some(pos) },
            pick: r.below(1000) as u16,
            debt: if r.chance(800) {
                None
            } else {
                Some(r.below(5) as u8)
            },
            coll: if r.chance(800) {
                None
            } else {
                Some(r.below(4) as u8)
            },
            amount: match r.below(10) {
                0..=5 => Amt::Permille(r.range(100, 1000) as u32),
                6..=8 => Amt::Permille(r.range(1000, 1500) as u32),
                _ => Amt::Raw(r.log_range(1, 1000) as u128),
            },
            cw20: r.chance(500),
        },
        695..=809 => {
            let beyond = r.chance(300);
            let size = if beyond {
                r.range(1000, 4000)
            } else {
                r.range(1, 900)
            } as i32;
            Op::Price {
                asset: r.below(4) as u8,
                bps: if r.chance(520) { -size } else { size },
                confirm: !beyond || r.chance(750),
            }
        }
        810..=869 => Op::Time {
            secs: match r.below(100) {
                0..=69 => r.range(1, 120),
                70..=89 => r.range(121, 3600),
                90..=98 => r.range(3601, 86_400),
                _ => r.range(86_401, 864_000),
            },
            repush: r.chance(880),
        },
        870..=884 => Op::WithdrawReserves {
            by_owner: r.chance(850),
            asset: r.below(5) as u8,
            amount: gen_amt(r, 1200),
        },
        885..=894 => Op::Donate {
            user: gen_user(r),
            asset: r.below(5) as u8,
            amount: Amt::Permille(r.log_range(1, 50) as u32),
        },
        895..=902 => Op::Guardian {
            asset: r.below(5) as u8,
            deposit: r.chance(500),
            borrow: r.chance(700),
        },
        903..=914 => Op::OwnerEnable {
            asset: r.below(5) as u8,
        },
        915..=924 => Op::OwnerParams {
            asset: r.below(5) as u8,
            variant: r.below(5) as u8,
            up: r.chance(500),
        },
        _ => Op::Bad {
            kind: r.below(BAD_KINDS.len() as u64) as u8,
            who: r.below(5) as u8,
            pos,
            asset: r.below(5) as u8,
        },
    }
}

/// The `n` operations of `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<Op> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| gen_op(&mut r)).collect()
}

// ---------------------------------------------------------------------------------------------
// The world: a deployment, its accounts and assets
// ---------------------------------------------------------------------------------------------

pub const N_POOL: usize = 4;
/// MOET's index in the asset tables.
pub const MOET: usize = 4;
const N_ASSETS: usize = 5;
/// Wallet columns: the five assets, then the unlisted native and the unlisted cw20.
const N_TOKENS: usize = 7;
const T_UFAKE: usize = 5;
const T_FAKE: usize = 6;
const N_USERS: usize = 5; // users 0..=3 and the bot (4)
const KEEPER: usize = 5;
const STRANGER: usize = 6;
const OWNER: usize = 7;
const GUARDIAN: usize = 8;
const SINK: usize = 9;
const LIQUIDATOR: usize = 10;
const MARKET: usize = 11;
const N_ACCOUNTS: usize = 14; // + the two feeders
/// Positions beyond this are not opened (the `open` becomes a deposit): keeps every step's
/// full check cheap in long runs.
const MAX_POSITIONS: usize = 40;
const UNKNOWN_POSITION: u64 = 9_999_999;

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
mod sink {
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

/// Everything measured in one snapshot.
#[derive(Clone, Debug)]
pub struct Snap {
    pub now: u64,
    raw: Vec<Vec<Record>>,
    pub states: Vec<AssetState>,
    pub q_assets: Vec<AssetResponse>,
    pub positions: BTreeMap<u64, Position>,
    /// `wallets[account][token]`.
    pub wallets: Vec<[u128; N_TOKENS]>,
    /// Oracle answer per pool asset (None: no valid price).
    pub prices: Vec<Option<oracle::PriceResponse>>,
    /// Tokens sent straight to the market so far, per asset.
    pub donated: [u128; N_ASSETS],
}

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

enum Outcome {
    Ok(AppResponse),
    Err(String),
    Skipped,
}

#[derive(Clone, Debug, PartialEq)]
enum Class {
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

struct Exec {
    outcome: Outcome,
    class: Class,
    /// More than one message (a failure may follow a success): no "changed nothing" check.
    multi: bool,
    /// Groups of accounts whose summed net worth must not grow (a transfer between them).
    links: Vec<Vec<usize>>,
    /// Accounts allowed to gain (reserve withdrawal recipient).
    exempt: Vec<usize>,
    /// Auto-borrow was asked (open/deposit with push) on this position.
    pushed: Option<u64>,
    /// A borrow of at most `max_borrow.at_floor` by the owner: must not fail the floor.
    within_floor: bool,
}

impl Exec {
    fn new(class: Class) -> Self {
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

    fn with(mut self, res: anyhow::Result<AppResponse>) -> Self {
        self.outcome = match res {
            Ok(r) => Outcome::Ok(r),
            Err(e) => Outcome::Err(format!("{e:#}").replace('\n', " ")),
        };
        self
    }
}

/// Counters of one run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub ops: usize,
    pub ok: usize,
    pub failed: usize,
    pub skipped: usize,
    pub checks: u64,
    /// Per operation kind: (ok, failed, skipped).
    pub by_kind: BTreeMap<&'static str, (usize, usize, usize)>,
    pub liquidations: usize,
    pub bad_debts: usize,
    pub self_repays: usize,
    pub top_ups: usize,
    pub draw_downs: usize,
    /// Largest loss to rounding seen in one step, per asset (base units).
    pub max_rounding_loss: [f64; N_ASSETS],
}

pub struct World {
    pub suite: Suite,
    pub assets: Vec<AssetCfg>,
    pub accounts: Vec<Addr>,
    fake_token: Addr,
    cw20s: Vec<Addr>,
    positions: Vec<u64>,
    donated: [u128; N_ASSETS],
    last_px: [Decimal; N_POOL],
    native_supply: BTreeMap<String, u128>,
    floor: f64,
    bonus: f64,
    max_bonus: f64,
    close_factor: f64,
    dust: f64,
    /// Check the JSON interface every this many steps (0: never).
    pub json_every: usize,
    /// Print every operation and its outcome (`KEEL_FUZZ_TRACE=1`).
    pub trace: bool,
    pub stats: Stats,
    snap: Option<Snap>,
}

const NATIVE_USD: &str = "uusd";
const NATIVE_ETH: &str = "weth";
const NATIVE_FAKE: &str = "ufake";

fn dec_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn d256_f64(d: Decimal256) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn int(u: Uint256) -> Int256 {
    Int256::try_from(u).unwrap_or(Int256::MAX)
}

fn int_f64(i: Int256) -> f64 {
    i.to_string().parse().unwrap_or(f64::NAN)
}

const WAD: u128 = 1_000_000_000_000_000_000;

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
            json_every: 1,
            trace: std::env::var("KEEL_FUZZ_TRACE").is_ok_and(|v| !v.is_empty() && v != "0"),
            stats: Stats::default(),
            snap: None,
        }
    }

    fn addr(&self, account: usize) -> Addr {
        self.accounts[account].clone()
    }

    fn account_of(&self, addr: &Addr) -> Option<usize> {
        self.accounts.iter().position(|a| a == addr)
    }

    /// The account of a canonical address stored in a position (owner, sink, source).
    fn account_of_canonical(&self, canonical: &CanonicalAddr) -> Option<usize> {
        let addr = self.suite.app.api().addr_humanize(canonical).ok()?;
        self.account_of(&addr)
    }

    fn denom(&self, asset: usize) -> String {
        self.assets[asset].denom.clone()
    }

    fn user(&self, u: u8) -> usize {
        u as usize % N_USERS
    }

    fn pos_id(&self, slot: u16) -> Option<u64> {
        if self.positions.is_empty() {
            None
        } else {
            Some(self.positions[slot as usize % self.positions.len()])
        }
    }

    fn owner_of(&self, snap: &Snap, id: u64) -> Option<usize> {
        snap.positions
            .get(&id)
            .and_then(|p| self.account_of_canonical(&p.owner))
    }

    fn who(&self, snap: &Snap, who: Who, id: u64) -> usize {
        match who {
            Who::Owner => self.owner_of(snap, id).unwrap_or(STRANGER),
            Who::User(u) => self.user(u),
            Who::Stranger => STRANGER,
        }
    }

    fn wallet(&self, snap: &Snap, account: usize, token: usize) -> u128 {
        snap.wallets[account][token]
    }

    fn scaled_coll(p: &Position, id: u16) -> Uint128 {
        p.collateral
            .iter()
            .find(|b| b.asset == id)
            .map(|b| b.scaled)
            .unwrap_or_default()
    }

    fn scaled_debt(p: &Position, id: u16) -> Uint128 {
        p.debt
            .iter()
            .find(|b| b.asset == id)
            .map(|b| b.scaled)
            .unwrap_or_default()
    }

    /// The position's collateral of `asset` as the market reports it (rounded down).
    fn coll_amount(&self, snap: &Snap, id: u64, asset: usize) -> u128 {
        let Some(p) = snap.positions.get(&id) else {
            return 0;
        };
        let scaled = Self::scaled_coll(p, self.assets[asset].id);
        to_underlying_down(scaled, snap.q_assets[asset].supply_index)
            .map(|x| x.u128())
            .unwrap_or(0)
    }

    /// The position's debt of `asset` as the market reports it (rounded up).
    fn debt_amount(&self, snap: &Snap, id: u64, asset: usize) -> u128 {
        let Some(p) = snap.positions.get(&id) else {
            return 0;
        };
        let scaled = Self::scaled_debt(p, self.assets[asset].id);
        to_underlying_up(scaled, snap.q_assets[asset].borrow_index)
            .map(|x| x.u128())
            .unwrap_or(0)
    }

    // --- snapshots ------------------------------------------------------------------------

    pub fn snapshot(&self) -> Snap {
        let s = &self.suite;
        let app = &s.app;
        let mut raw = vec![
            app.dump_wasm_raw(&s.market),
            app.dump_wasm_raw(&s.oracle),
            app.dump_wasm_raw(&s.liquidator),
        ];
        for t in &self.cw20s {
            raw.push(app.dump_wasm_raw(t));
        }
        let (states, positions) = {
            let storage = app.contract_storage(&s.market);
            let states: Vec<AssetState> = self
                .assets
                .iter()
                .map(|a| {
                    ASSET_STATE
                        .load(storage.as_ref(), a.id)
                        .expect("asset state")
                })
                .collect();
            let positions: BTreeMap<u64, Position> = POSITIONS
                .range(storage.as_ref(), None)
                .collect::<Result<_, _>>()
                .expect("positions");
            (states, positions)
        };
        let all: Vec<AssetResponse> = s
            .query_market(&MQ::Assets {
                start_after: None,
                limit: Some(100),
            })
            .expect("assets query");
        let q_assets: Vec<AssetResponse> = self
            .assets
            .iter()
            .map(|a| {
                all.iter()
                    .find(|r| r.denom == a.denom)
                    .cloned()
                    .expect("asset listed")
            })
            .collect();
        let mut wallets = vec![[0u128; N_TOKENS]; self.accounts.len()];
        let token_cols: Vec<(usize, &Addr)> = vec![
            (2, &self.cw20s[0]),
            (3, &self.cw20s[1]),
            (MOET, &self.cw20s[2]),
            (T_FAKE, &self.cw20s[3]),
        ];
        for (col, token) in token_cols {
            let storage = app.contract_storage(token);
            for (i, a) in self.accounts.iter().enumerate() {
                wallets[i][col] = cw20_base::state::BALANCES
                    .may_load(storage.as_ref(), a)
                    .expect("cw20 balance")
                    .unwrap_or_default()
                    .u128();
            }
        }
        for (i, a) in self.accounts.iter().enumerate() {
            #[allow(deprecated)]
            let all = app.wrap().query_all_balances(a).expect("bank");
            for c in all {
                let col = match c.denom.as_str() {
                    NATIVE_USD => 0,
                    NATIVE_ETH => 1,
                    NATIVE_FAKE => T_UFAKE,
                    other => panic!("unexpected native denom {other}"),
                };
                wallets[i][col] = c.amount.u128();
            }
        }
        let prices = self.assets[..N_POOL]
            .iter()
            .map(|a| {
                s.query::<oracle::PriceResponse, _>(
                    &s.oracle,
                    &oracle::QueryMsg::Price {
                        denom: a.denom.clone(),
                    },
                )
                .ok()
            })
            .collect();
        Snap {
            now: s.now(),
            raw,
            states,
            q_assets,
            positions,
            wallets,
            prices,
            donated: self.donated,
        }
    }

    /// Spot prices for valuing balances: the oracle's, else the last known.
    fn value_prices(&self, snap: &Snap) -> [f64; N_ASSETS] {
        let mut px = [1.0; N_ASSETS];
        for (i, p) in px.iter_mut().enumerate().take(N_POOL) {
            *p = snap.prices[i]
                .as_ref()
                .map(|r| dec_f64(r.price))
                .unwrap_or_else(|| dec_f64(self.last_px[i]));
        }
        px
    }

    /// `(effective collateral, liquidation limit, effective debt)` of a position from exact
    /// balances (accrued indices); None when a needed price is missing.
    fn health(&self, snap: &Snap, p: &Position, conservative: bool) -> Option<(f64, f64, f64)> {
        self.health_with(snap, p, conservative, false)
    }

    /// `health`, with the balances rounded the market's way (collateral down, debt up) when
    /// `rounded`.
    fn health_with(
        &self,
        snap: &Snap,
        p: &Position,
        conservative: bool,
        rounded: bool,
    ) -> Option<(f64, f64, f64)> {
        let (mut c, mut l, mut d) = (0.0, 0.0, 0.0);
        for b in &p.collateral {
            let i = self.assets.iter().position(|a| a.id == b.asset)?;
            let px = snap.prices.get(i)?.as_ref()?;
            let mut price = dec_f64(px.price);
            if conservative {
                if let Some(t) = px.twap {
                    price = price.min(dec_f64(t));
                }
            }
            let amount = if rounded {
                to_underlying_down(b.scaled, snap.q_assets[i].supply_index)
                    .ok()?
                    .u128() as f64
            } else {
                b.scaled.u128() as f64 * d256_f64(snap.q_assets[i].supply_index) / 1e6
            };
            let v = amount / 10f64.powi(self.assets[i].decimals as i32) * price;
            let params = &snap.q_assets[i].params;
            if params.collateral_enabled {
                c += v * dec_f64(params.collateral_factor);
            }
            l += v * dec_f64(params.liquidation_threshold);
        }
        for b in &p.debt {
            let i = self.assets.iter().position(|a| a.id == b.asset)?;
            let mut price = 1.0;
            if !self.assets[i].minted {
                let px = snap.prices.get(i)?.as_ref()?;
                price = dec_f64(px.price);
                if conservative {
                    if let Some(t) = px.twap {
                        price = price.max(dec_f64(t));
                    }
                }
            }
            let amount = if rounded {
                to_underlying_up(b.scaled, snap.q_assets[i].borrow_index)
                    .ok()?
                    .u128() as f64
            } else {
                b.scaled.u128() as f64 * d256_f64(snap.q_assets[i].borrow_index) / 1e6
            };
            let v = amount / 10f64.powi(self.assets[i].decimals as i32) * price;
            d += v * dec_f64(snap.q_assets[i].params.borrow_factor);
        }
        Some((c, l, d))
    }

    fn hf(&self, snap: &Snap, id: u64, conservative: bool) -> Option<f64> {
        let p = snap.positions.get(&id)?;
        if p.debt.is_empty() {
            return Some(f64::INFINITY);
        }
        let (c, _, d) = self.health(snap, p, conservative)?;
        Some(if d == 0.0 { f64::INFINITY } else { c / d })
    }

    fn lhf(&self, snap: &Snap, id: u64) -> Option<f64> {
        let p = snap.positions.get(&id)?;
        if p.debt.is_empty() {
            return Some(f64::INFINITY);
        }
        let (_, l, d) = self.health(snap, p, false)?;
        Some(if d == 0.0 { f64::INFINITY } else { l / d })
    }

    /// Position ids that are liquidatable (LHF < 1) in `snap`, by my own valuation.
    fn liquidatable(&self, snap: &Snap) -> Vec<u64> {
        snap.positions
            .keys()
            .copied()
            .filter(|id| self.lhf(snap, *id).map(|l| l < 1.0).unwrap_or(false))
            .collect()
    }

    // --- sending tokens -------------------------------------------------------------------

    /// A market message paid with `amount` of `asset` (native funds or cw20 `send` + hook).
    fn pay_market(
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

    fn automation(&self, spec: &AutoSpec, owner: usize, salt: u16) -> Automation {
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
    fn automation_links(&self, snap: &Snap, id: u64) -> Vec<usize> {
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

    // --- running one operation ----------------------------------------------------------

    fn exec(&mut self, op: &Op, before: &Snap) -> Exec {
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
    fn exec_liquidate(
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

    fn exec_bad(&mut self, before: &Snap, kind: u8, who: u8, pos: u16, asset: u8) -> Exec {
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
        Exec::new(Class::Bad).with(res)
    }

    // --- checking ---------------------------------------------------------------------------

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
        v.sort_by_key(|x| x.invariant);
        v
    }
}

fn bounds(min: &str, target: &str, max: &str) -> HealthBounds {
    HealthBounds {
        min: dec(min),
        target: dec(target),
        max: dec(max),
    }
}

fn events_attr<'a>(res: &'a AppResponse, key: &str) -> Vec<&'a str> {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == key)
        .map(|a| a.value.as_str())
        .collect()
}

fn has_event(res: &AppResponse, ty: &str) -> bool {
    res.events.iter().any(|e| e.ty == format!("wasm-{ty}"))
}

struct Checker<'a> {
    w: &'a mut World,
    step: usize,
    op: &'a Op,
    out: Vec<Violation>,
    checks: u64,
}

const REL: f64 = 1e-9;

impl Checker<'_> {
    fn check(&mut self, ok: bool, invariant: &'static str, detail: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.out.push(Violation {
                step: self.step,
                invariant,
                detail: format!("{} (op {:?})", detail(), self.op),
            });
        }
    }

    fn run(mut self, b: &Snap, a: &Snap, e: &Exec) -> Vec<Violation> {
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
                pos, debt, coll, ..
            } => {
                if let Some(r) = res {
                    self.w.stats.liquidations += 1;
                    self.liquidation(b, a, *pos, *debt, *coll, r, bad_debt);
                }
            }
            _ => {}
        }
        let json_every = self.w.json_every;
        if json_every > 0 && self.step.is_multiple_of(json_every) {
            self.json_interface(a);
        }
        self.w.stats.checks += self.checks;
        self.out
    }

    /// SPEC 6.1, 6.2 and utilization, from the raw storage.
    fn state_invariants(&mut self, _b: &Snap, a: &Snap) {
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
    fn supply_conservation(&mut self, a: &Snap) {
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

    fn indices(&mut self, b: &Snap, a: &Snap, bad_debt: bool) {
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
    fn totals(&self, s: &Snap) -> Vec<Int256> {
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
    fn value_conservation(
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
    fn holdings(&self, s: &Snap) -> Vec<[Int256; N_ASSETS]> {
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
    fn net_worth(
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
            pos, caller, debt, ..
        } = &e.class
        {
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
                    v * self.w.bonus * (1.0 + 1e-6)
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
    fn health_floor(&mut self, b: &Snap, a: &Snap, lowering: Option<u64>) {
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

    fn draw_down(&mut self, a: &Snap, id: u64, r: &AppResponse) {
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

    fn rebalance(&mut self, a: &Snap, id: u64, r: &AppResponse) {
        self.draw_down(a, id, r);
        if !events_attr(r, "topped_up").is_empty() {
            if let Some(lhf) = self.w.lhf(a, id) {
                self.check(lhf >= 1.0 - REL, "top-up-all-or-nothing", || {
                    format!("position {id}: LHF {lhf} after a top-up")
                });
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn liquidation(
        &mut self,
        b: &Snap,
        a: &Snap,
        id: u64,
        debt: usize,
        coll: usize,
        r: &AppResponse,
        bad_debt: bool,
    ) {
        let Some(lhf_b) = self.w.lhf(b, id) else {
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
        let underwater = (1.0 + self.w.bonus) * lt / bf;
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
        // Within the close factor, or what is left is dust (then any repay is allowed).
        let left_value = (owed - repaid).max(0.0) * dp;
        let ok =
            repaid <= owed * self.w.close_factor + 1.0 || left_value < self.w.dust * (1.0 + 1e-6);
        self.check(ok, "close-factor-respected", || {
            format!("position {id}: repaid {repaid} of {owed}")
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

    /// The JSON interface agrees with the raw storage.
    fn json_interface(&mut self, a: &Snap) {
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

// ---------------------------------------------------------------------------------------------
// Runs, replays, shrinking
// ---------------------------------------------------------------------------------------------

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Report {
    pub seed: u64,
    pub stats: Stats,
    pub violations: Vec<Violation>,
    pub elapsed: Duration,
    /// The minimal failing sequence, when a violation was found and shrunk.
    pub repro: Option<Vec<Op>>,
}

impl Report {
    pub fn ops_per_sec(&self) -> f64 {
        self.stats.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        writeln!(f, "seed: {}", self.seed)?;
        writeln!(
            f,
            "ops run: {} (ok {}, failed {}, skipped {})",
            s.ops, s.ok, s.failed, s.skipped
        )?;
        writeln!(f, "invariants checked: {}", s.checks)?;
        writeln!(f, "violations: {}", self.violations.len())?;
        writeln!(
            f,
            "time: {:.1} s ({:.0} ops/s)",
            self.elapsed.as_secs_f64(),
            self.ops_per_sec()
        )?;
        writeln!(
            f,
            "liquidations: {}, bad debts: {}, self-repays: {}, top-ups: {}, draw-downs: {}",
            s.liquidations, s.bad_debts, s.self_repays, s.top_ups, s.draw_downs
        )?;
        writeln!(
            f,
            "largest rounding loss in one step (base units, per asset): {:?}",
            s.max_rounding_loss
        )?;
        writeln!(f, "by kind (ok / failed / skipped):")?;
        for (k, (ok, failed, skipped)) in &s.by_kind {
            writeln!(f, "  {k:<36} {ok:>7} {failed:>7} {skipped:>7}")?;
        }
        for v in self.violations.iter().take(20) {
            writeln!(f, "VIOLATION {v}")?;
        }
        if let Some(ops) = &self.repro {
            writeln!(
                f,
                "minimal reproducing sequence ({} ops, JSON for --replay):",
                ops.len()
            )?;
            writeln!(f, "{}", serde_json::to_string(ops).unwrap_or_default())?;
            for (i, op) in ops.iter().enumerate() {
                writeln!(f, "  {i:>3}: {op:?}")?;
            }
        }
        Ok(())
    }
}

/// Runs `ops` on a fresh world; stops at the first step with a violation.
pub fn run_ops(ops: &[Op], json_every: usize) -> (Stats, Vec<Violation>) {
    let mut w = World::new();
    w.json_every = json_every;
    for (i, op) in ops.iter().enumerate() {
        let v = w.step(i, op);
        if !v.is_empty() {
            return (w.stats, v);
        }
    }
    (w.stats, vec![])
}

/// The first violation of `ops`, if any, found before `deadline` (for shrinking).
fn first_violation(ops: &[Op], json_every: usize, deadline: Instant) -> Option<Violation> {
    let mut w = World::new();
    w.json_every = json_every;
    for (i, op) in ops.iter().enumerate() {
        if Instant::now() > deadline {
            return None;
        }
        if let Some(v) = w.step(i, op).into_iter().next() {
            return Some(v);
        }
    }
    None
}

/// Delta debugging: the smallest subsequence of `ops` (within `budget`) that still breaks
/// `invariant`.
pub fn shrink(ops: &[Op], invariant: &str, json_every: usize, budget: Duration) -> Vec<Op> {
    let start = Instant::now();
    let deadline = start + budget;
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let fails = |cand: &[Op]| -> Option<usize> {
        first_violation(cand, json_every, deadline)
            .filter(|v| v.invariant == invariant)
            .map(|v| v.step)
    };
    // `ops` ends with the failing step; every candidate is a subsequence of it.
    let mut cur: Vec<Op> = ops.to_vec();
    let mut n = 2usize;
    while cur.len() >= 2 && start.elapsed() < budget {
        let chunk = cur.len().div_ceil(n);
        let mut reduced = false;
        let mut i = 0;
        while i < cur.len() && start.elapsed() < budget {
            let mut cand = cur[..i].to_vec();
            cand.extend_from_slice(&cur[(i + chunk).min(cur.len())..]);
            if let Some(step) = fails(&cand) {
                cand.truncate(step + 1);
                cur = cand;
                reduced = true;
                n = (n - 1).max(2);
                break;
            }
            i += chunk;
        }
        if !reduced {
            if n >= cur.len() {
                break;
            }
            n = (n * 2).min(cur.len());
        }
    }
    std::panic::set_hook(quiet);
    cur
}

/// Options of [`run`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub ops: usize,
    pub seed: u64,
    /// Check the JSON interface every this many steps (0: never).
    pub json_every: usize,
    /// Time allowed for shrinking a failing sequence (zero: no shrinking).
    pub shrink_budget: Duration,
    /// Print a progress line every this many ops (0: never).
    pub progress_every: usize,
}

impl RunConfig {
    pub fn new(ops: usize, seed: u64) -> Self {
        RunConfig {
            ops,
            seed,
            json_every: 1,
            shrink_budget: Duration::from_secs(600),
            progress_every: 0,
        }
    }
}

/// Generates `cfg.ops` operations from `cfg.seed`, runs them checking every invariant after
/// every step, stops at the first violation and shrinks it.
pub fn run(cfg: &RunConfig) -> Report {
    let ops = generate(cfg.seed, cfg.ops);
    let start = Instant::now();
    let mut w = World::new();
    w.json_every = cfg.json_every;
    let mut violations = vec![];
    for (i, op) in ops.iter().enumerate() {
        let v = w.step(i, op);
        if cfg.progress_every > 0 && (i + 1) % cfg.progress_every == 0 {
            eprintln!(
                "[fuzz] seed {} op {}/{}: {} checks, {:.0} ops/s, {} positions, {} liquidations",
                cfg.seed,
                i + 1,
                cfg.ops,
                w.stats.checks,
                (i + 1) as f64 / start.elapsed().as_secs_f64().max(1e-9),
                w.positions.len(),
                w.stats.liquidations
            );
        }
        if !v.is_empty() {
            for x in &v {
                eprintln!("[fuzz] VIOLATION {x}");
            }
            if !cfg.shrink_budget.is_zero() {
                eprintln!(
                    "[fuzz] shrinking the {} operations for up to {} s",
                    i + 1,
                    cfg.shrink_budget.as_secs()
                );
            }
            violations = v;
            break;
        }
    }
    let elapsed = start.elapsed();
    let repro = violations.first().and_then(|v| {
        (!cfg.shrink_budget.is_zero()).then(|| {
            shrink(
                &ops[..=v.step],
                v.invariant,
                cfg.json_every,
                cfg.shrink_budget,
            )
        })
    });
    Report {
        seed: cfg.seed,
        stats: w.stats,
        violations,
        elapsed,
        repro,
    }
}

/// Replays a sequence (e.g. a shrunk one), printing each step and its outcome.
pub fn replay(ops: &[Op], verbose: bool) -> (Stats, Vec<Violation>) {
    let mut w = World::new();
    for (i, op) in ops.iter().enumerate() {
        let v = w.step(i, op);
        if verbose {
            eprintln!("{i:>4}: {op:?}");
        }
        if !v.is_empty() {
            return (w.stats, v);
        }
    }
    (w.stats, vec![])
}
