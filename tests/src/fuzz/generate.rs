//! The seeded generator of operations. A seed gives the same sequence on every machine: the
//! random numbers come from ChaCha8 (`rand_chacha`, value-stable across platforms and versions)
//! and every draw is integer arithmetic.
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::ops::{Amt, AutoSpec, Op, Who, BAD_KINDS};

/// Random numbers for the generator: a seeded ChaCha8 stream and the draws it needs.
#[derive(Clone, Debug)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (0 when `n == 0`), by the widening multiply (no modulo bias to speak
    /// of).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Roughly log-uniform in `lo..=hi` (`lo >= 1`): a bit length uniform among those of the
    /// range, then a value uniform among the numbers of that length in the range.
    pub fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let bits = |x: u64| 64 - x.leading_zeros() as u64;
        let k = self.range(bits(lo), bits(hi));
        let from = lo.max(1u64 << (k - 1));
        let to = if k >= 64 { hi } else { hi.min((1u64 << k) - 1) };
        self.range(from, to)
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
        } else if r.chance(100) {
            5
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
    let w = r.below(1140);
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
            // Exactly what the position holds (as the `position` query shows it) often: at a
            // supply index above 1 that leaves a sub-unit remainder of the scaled balance.
            amount: if r.chance(150) {
                Amt::Permille(1000)
            } else {
                gen_amt(r, 1100)
            },
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
            skip: if r.chance(250) {
                Some(r.below(4) as u8)
            } else {
                None
            },
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
        1000..=1029 => Op::AllowTopUp {
            user: gen_user(r),
            pos,
            amount: match r.below(10) {
                0..=5 => Amt::Permille(r.log_range(1, 1000) as u32),
                6..=7 => Amt::Raw(r.log_range(1, 100_000_000) as u128),
                8 => Amt::Raw(0),
                _ => Amt::All,
            },
        },
        1030..=1039 => Op::DisallowTopUp {
            user: gen_user(r),
            pos,
        },
        1040..=1064 => {
            let up = r.chance(500);
            let n = r.range(2, 5);
            Op::PriceWalk {
                asset: r.below(4) as u8,
                feeder: r.below(2) as u8,
                steps: (0..n)
                    .map(|_| {
                        let size = r.range(300, 950) as i16;
                        if up == r.chance(850) {
                            size
                        } else {
                            -size
                        }
                    })
                    .collect(),
                batch: r.chance(500),
            }
        }
        1065..=1069 => Op::AssetLimit {
            max: r.below(4) as u8,
        },
        1070..=1084 => Op::RogueSeize {
            pos: if r.chance(800) { None } else { Some(pos) },
            pick: r.below(1000) as u16,
            repay: match r.below(10) {
                0..=3 => Amt::Permille(r.range(400, 1000) as u32),
                4..=6 => Amt::Permille(r.range(990, 1000) as u32),
                _ => Amt::Permille(r.range(50, 500) as u32),
            },
            bonus: r.range(0, 1200) as u16,
            cw20: r.chance(500),
        },
        1100..=1139 => Op::Redeem {
            user: gen_user(r),
            pos: if r.chance(700) { None } else { Some(pos) },
            pick: r.below(1000) as u16,
            coll: if r.chance(700) {
                None
            } else {
                Some(r.below(4) as u8)
            },
            amount: match r.below(10) {
                0..=6 => Amt::Permille(r.log_range(1, 1000) as u32),
                7..=8 => Amt::Raw(r.log_range(1, 1_000_000) as u128),
                _ => Amt::Permille(r.range(1000, 2000) as u32),
            },
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
