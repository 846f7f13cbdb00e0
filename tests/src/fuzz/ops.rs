//! The abstract operations of a random sequence ([`Op`]) and how they name users, positions and
//! amounts ([`Who`], [`Amt`], [`AutoSpec`]): resolved against the state only when they run.
use cosmwasm_std::{Uint128, Uint256};
use serde::{Deserialize, Serialize};

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
    pub(super) fn of(self, reference: u128) -> u128 {
        match self {
            Amt::Permille(p) => mul_div(reference, p as u128, 1000),
            Amt::Raw(n) => n,
            Amt::All => reference,
            Amt::Max => u128::MAX,
        }
    }
}

pub(super) fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    let r = Uint256::from(a) * Uint256::from(b) / Uint256::from(c);
    Uint128::try_from(r).map(|x| x.u128()).unwrap_or(u128::MAX)
}

/// Automation settings, abstractly. `sink`: 0 none, 1 the owner, 2 another user, 3 the sink
/// contract through a cw20 `send` hook. `source`: 0 none, `n` user `n - 1` (the owner or
/// someone else, who may or may not have consented). `health`: 0 the default bounds, 1..=3
/// presets, 4 invalid bounds, 5 bounds no top-up can reach (every rebalance asks its source for
/// as much as it can give).
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
    /// Moves time (a new block); `repush` has both feeders push the accepted prices again
    /// afterwards, all but pool asset `skip` when set (that one may go stale alone).
    Time {
        secs: u64,
        repush: bool,
        #[serde(default)]
        skip: Option<u8>,
    },
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
    /// `user` consents to back a position as its top-up source with `amount` of its MOET
    /// balance in all (`allow_top_up`; a new consent replaces the remainder): mostly one that
    /// names `user` as its source (picked by `pos`), else position slot `pos`.
    AllowTopUp { user: u8, pos: u16, amount: Amt },
    /// `user` withdraws its consent to back position `pos` (`disallow_top_up`).
    DisallowTopUp { user: u8, pos: u16 },
    /// One feeder walks a pool asset's price by several steps of `steps` basis points each
    /// (each step within the deviation guard, the walk beyond it), in one `push_prices` naming
    /// the denom once per step (`batch`), or in one push per step, all in the same block. The
    /// oracle must not move the accepted price further than `max_deviation` from the price the
    /// block started with, unless another feeder confirms.
    PriceWalk {
        asset: u8,
        feeder: u8,
        steps: Vec<i16>,
        batch: bool,
    },
    /// The owner sets `max_position_assets` to `1 + max % 4`.
    AssetLimit { max: u8 },
    /// A faulty liquidator: the owner makes the bot the market's liquidator, the bot calls
    /// `seize` itself with a repay of `repay` of the debt and collateral worth the repay plus
    /// `bonus` per-mille of `max_liquidation_bonus`, then the owner restores the liquidator. The
    /// market's own re-checks (SPEC 3.6) must hold.
    RogueSeize {
        pos: Option<u16>,
        pick: u16,
        repay: Amt,
        bonus: u16,
        cw20: bool,
    },
    /// User `user` redeems `amount` of a position's MOET debt (at most its MOET balance) for
    /// its collateral `coll` (`None`: the largest), through a cw20 `send` of MOET. `pos: None`
    /// picks (by `pick`) among the positions that owe MOET.
    Redeem {
        user: u8,
        pos: Option<u16>,
        pick: u16,
        coll: Option<u8>,
        amount: Amt,
    },
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
    "native_coins_named_cw20",
    "zero_cw20_send",
    "stranger_adds_a_new_denom",
    "owner_adds_an_unpriced_denom",
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
            Op::AllowTopUp { .. } => "allow_top_up",
            Op::DisallowTopUp { .. } => "disallow_top_up",
            Op::PriceWalk { batch: true, .. } => "price_walk_batch",
            Op::PriceWalk { batch: false, .. } => "price_walk_txs",
            Op::AssetLimit { .. } => "asset_limit",
            Op::RogueSeize { .. } => "rogue_seize",
            Op::Redeem { .. } => "redeem",
            Op::Bad { kind, .. } => BAD_KINDS
                .get(*kind as usize % BAD_KINDS.len())
                .copied()
                .unwrap_or("bad"),
        }
    }
}
