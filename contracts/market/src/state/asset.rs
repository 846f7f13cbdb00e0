//! The records of a listed asset: its parameters ([`AssetInfo`], rarely written) and its
//! totals and indices ([`AssetState`], rewritten by every message that changes them).
use cosmwasm_std::{Decimal, Decimal256, StdResult, Uint128, Uint256};
use keel_math::{RateModel, RatePoint};
use keel_types::codec::{
    corrupt, flags, put_decimal, put_str, put_uint, take_decimal, take_str, take_u8, take_uint,
};
use keel_types::market::{AssetKind, AssetParams};
use keel_types::record::Record;

/// The rarely written part of a listed asset. It is read by nearly every message (once per
/// asset of the position), so it is stored as a binary [`Record`] (see its impl): about 50
/// bytes instead of ~400 with the field names of `AssetParams`.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetInfo {
    pub denom: String,
    pub params: AssetParams,
}

const KIND_MINTED: u8 = 1;
const DEPOSIT_ENABLED: u8 = 2;
const BORROW_ENABLED: u8 = 4;
const COLLATERAL_ENABLED: u8 = 8;
const PIECEWISE_RATE: u8 = 16;
const SUPPLY_CAP: u8 = 32;
const BORROW_CAP: u8 = 64;

/// `flags:u8 denom_len:u8 denom decimals:u8`, then the collateral factor, liquidation threshold,
/// borrow factor and reserve factor as `uint`s, then the rate model: `n:u8 (utilization rate)*n`
/// for a piecewise curve or the fixed `rate`, then the supply and borrow caps when set. Flags:
/// minted 1, deposit 2, borrow 4, collateral 8 (enabled), piecewise 16, supply cap 32, borrow
/// cap 64.
impl Record for AssetInfo {
    const NAME: &'static str = "asset info";
    const VERSION: u8 = 1;

    fn encode(&self, out: &mut Vec<u8>) -> StdResult<()> {
        let p = &self.params;
        let flags = flags([
            (p.kind == AssetKind::Minted, KIND_MINTED),
            (p.deposit_enabled, DEPOSIT_ENABLED),
            (p.borrow_enabled, BORROW_ENABLED),
            (p.collateral_enabled, COLLATERAL_ENABLED),
            (
                matches!(p.rate_model, RateModel::Piecewise { .. }),
                PIECEWISE_RATE,
            ),
            (p.supply_cap.is_some(), SUPPLY_CAP),
            (p.borrow_cap.is_some(), BORROW_CAP),
        ]);
        out.push(flags);
        put_str(out, &self.denom)?;
        out.push(p.decimals);
        for d in [
            p.collateral_factor,
            p.liquidation_threshold,
            p.borrow_factor,
            p.reserve_factor,
        ] {
            put_decimal(out, d);
        }
        match &p.rate_model {
            RateModel::Fixed { rate } => put_decimal(out, *rate),
            RateModel::Piecewise { points } => {
                out.push(
                    u8::try_from(points.len())
                        .map_err(|_| corrupt("asset info", "over 255 rate points"))?,
                );
                for point in points {
                    put_decimal(out, point.utilization);
                    put_decimal(out, point.rate);
                }
            }
        }
        for cap in [p.supply_cap, p.borrow_cap].into_iter().flatten() {
            put_uint(out, &cap.to_be_bytes());
        }
        Ok(())
    }

    /// Versions 0 and 1 share the body.
    fn decode(_version: u8, bytes: &mut &[u8]) -> StdResult<Self> {
        let flags = take_u8(bytes)?;
        let denom = take_str(bytes)?;
        let decimals = take_u8(bytes)?;
        let mut factors = [Decimal::zero(); 4];
        for d in &mut factors {
            *d = take_decimal(bytes)?;
        }
        let rate_model = if flags & PIECEWISE_RATE != 0 {
            let n = take_u8(bytes)?;
            let mut points = Vec::with_capacity(usize::from(n));
            for _ in 0..n {
                points.push(RatePoint {
                    utilization: take_decimal(bytes)?,
                    rate: take_decimal(bytes)?,
                });
            }
            RateModel::Piecewise { points }
        } else {
            RateModel::Fixed {
                rate: take_decimal(bytes)?,
            }
        };
        let mut cap = |flag: u8| -> StdResult<Option<Uint128>> {
            if flags & flag == 0 {
                return Ok(None);
            }
            Ok(Some(Uint128::new(u128::from_be_bytes(take_uint::<16>(
                bytes,
            )?))))
        };
        let supply_cap = cap(SUPPLY_CAP)?;
        let borrow_cap = cap(BORROW_CAP)?;
        let [collateral_factor, liquidation_threshold, borrow_factor, reserve_factor] = factors;
        Ok(AssetInfo {
            denom,
            params: AssetParams {
                decimals,
                kind: if flags & KIND_MINTED != 0 {
                    AssetKind::Minted
                } else {
                    AssetKind::Pool
                },
                collateral_factor,
                liquidation_threshold,
                borrow_factor,
                reserve_factor,
                rate_model,
                supply_cap,
                borrow_cap,
                deposit_enabled: flags & DEPOSIT_ENABLED != 0,
                borrow_enabled: flags & BORROW_ENABLED != 0,
                collateral_enabled: flags & COLLATERAL_ENABLED != 0,
            },
        })
    }
}

/// The part of a listed asset that changes on every touch (SPEC 3.2): its totals and indices.
/// Rewritten by every message that changes them (30 SDK gas per byte), so stored as a binary
/// [`Record`]: each field a length byte and its big-endian bytes without leading zeros (about 60
/// bytes instead of 80-140 as JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct AssetState {
    pub supply_index: Decimal256,
    pub borrow_index: Decimal256,
    pub scaled_supply: Uint128,
    pub scaled_debt: Uint128,
    pub reserves: Decimal256,
    pub deficit: Uint128,
    pub cash: Uint128,
    pub last_updated: u64,
    /// The last price a message fetched for the asset while writing it, with the block time:
    /// what a repay's minimum-debt rule may use instead of asking the oracle (see
    /// `execute::user::repay`). Never set for the minted asset (its price is 1).
    pub last_price: Option<StoredPrice>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredPrice {
    pub price: Decimal,
    pub time: u64,
}

/// Version 2 added `last_price` (two `uint`s, price atomics and time; a zero price is none);
/// version 1 and 0 records read without it.
impl Record for AssetState {
    const NAME: &'static str = "asset state";
    const VERSION: u8 = 2;

    fn encode(&self, out: &mut Vec<u8>) -> StdResult<()> {
        put_uint(out, &self.supply_index.atomics().to_be_bytes());
        put_uint(out, &self.borrow_index.atomics().to_be_bytes());
        put_uint(out, &self.scaled_supply.to_be_bytes());
        put_uint(out, &self.scaled_debt.to_be_bytes());
        put_uint(out, &self.reserves.atomics().to_be_bytes());
        put_uint(out, &self.deficit.to_be_bytes());
        put_uint(out, &self.cash.to_be_bytes());
        put_uint(out, &self.last_updated.to_be_bytes());
        let (price, time) = self
            .last_price
            .map(|p| (p.price.atomics().u128(), p.time))
            .unwrap_or_default();
        put_uint(out, &price.to_be_bytes());
        put_uint(out, &time.to_be_bytes());
        Ok(())
    }

    fn decode(version: u8, bytes: &mut &[u8]) -> StdResult<Self> {
        // One loop over the eight fields (as 256-bit words), then conversions: unrolled, the
        // decoding would need over 100 wasm locals, which chains refuse.
        let mut words = [Uint256::zero(); 8];
        for word in &mut words {
            *word = Uint256::from_be_bytes(take_uint::<32>(bytes)?);
        }
        let [supply_index, borrow_index, scaled_supply, scaled_debt, reserves, deficit, cash, last_updated] =
            words;
        let narrow = |word: Uint256| -> StdResult<Uint128> {
            Uint128::try_from(word).map_err(|_| corrupt("asset state", "amount over 128 bits"))
        };
        Ok(AssetState {
            supply_index: Decimal256::new(supply_index),
            borrow_index: Decimal256::new(borrow_index),
            scaled_supply: narrow(scaled_supply)?,
            scaled_debt: narrow(scaled_debt)?,
            reserves: Decimal256::new(reserves),
            deficit: narrow(deficit)?,
            cash: narrow(cash)?,
            last_updated: u64::try_from(narrow(last_updated)?.u128())
                .map_err(|_| corrupt("asset state", "time over 64 bits"))?,
            last_price: if version >= 2 {
                take_stored_price(bytes)?
            } else {
                None
            },
        })
    }
}

impl AssetState {
    pub fn new(now: u64) -> Self {
        AssetState {
            supply_index: Decimal256::one(),
            borrow_index: Decimal256::one(),
            scaled_supply: Uint128::zero(),
            scaled_debt: Uint128::zero(),
            reserves: Decimal256::zero(),
            deficit: Uint128::zero(),
            cash: Uint128::zero(),
            last_updated: now,
            last_price: None,
        }
    }
}

/// Not inlined into `decode`: keeps its wasm locals under the chains' limit of 100.
#[inline(never)]
fn take_stored_price(bytes: &mut &[u8]) -> StdResult<Option<StoredPrice>> {
    let price = u128::from_be_bytes(take_uint::<16>(bytes)?);
    let time = u64::from_be_bytes(take_uint::<8>(bytes)?);
    Ok((price != 0).then_some(StoredPrice {
        price: Decimal::raw(price),
        time,
    }))
}
