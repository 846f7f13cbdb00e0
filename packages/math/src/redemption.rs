//! MOET redemptions, SPEC 3.6a:
//! ```text
//! r_max = floor((T * D - C) / (T * BF_moet - (1 - f) * CF_coll))   MOET base units, at most the
//!         MOET debt; when it would leave a MOET debt above 0 and below min_debt_value,
//!         r_max = MOET debt - min_debt_value (0 when that is negative)
//! repay = min(sent, r_max)
//! out   = floor(repay * (1 - f) / p_coll)      token units, via decimals; at most the collateral
//! repay = ceil(out * p_coll / (1 - f))         recomputed from out, never above the first
//! ```
//! `C` and `D` are the effective collateral and debt (whole MOET) at redemption prices, `T` the
//! redemption health, `f` the fee, `p_coll` the collateral's redemption price. Every division is
//! exact in 512-bit integers: `r_max` and `out` round down (the redeemer gets no more than the
//! formula), the recomputed `repay` rounds up (the redeemer pays at least what `out` is worth).
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::fixed::{
    atoms, div_ceil512, div_floor512, mul512, overflow, pow10, to_u128, to_u256, u512, wad256,
};
use crate::MathError;

#[derive(Clone, Debug, PartialEq)]
pub struct RedemptionInput {
    /// Effective collateral at redemption prices (whole MOET).
    pub effective_collateral: Decimal256,
    /// Effective debt (whole MOET).
    pub effective_debt: Decimal256,
    /// `T`: the health a redemption lifts the position to at most.
    pub target_health: Decimal,
    /// `f`.
    pub fee: Decimal,
    /// The redeemed collateral's collateral factor (0 when it gives no borrowing credit).
    pub collateral_factor: Decimal,
    pub moet_borrow_factor: Decimal,
    /// The position's MOET debt (base units, rounded up).
    pub moet_debt: Uint128,
    pub moet_decimals: u8,
    /// Lowest non-zero debt value (whole MOET).
    pub min_debt_value: Decimal,
    /// MOET sent.
    pub sent: Uint128,
    /// The collateral's redemption price (MOET per whole token).
    pub collateral_price: Decimal,
    pub collateral_decimals: u8,
    /// The position's collateral of that denom (base units, rounded down).
    pub collateral_amount: Uint128,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RedemptionAmounts {
    /// The most MOET that may be redeemed against the position now (0: not eligible).
    pub max_repay: Uint128,
    /// MOET burnt against the debt: never above `sent` nor `max_repay`.
    pub repay: Uint128,
    /// Collateral paid out for `repay`, never above `collateral_amount`.
    pub collateral_out: Uint128,
}

/// `ceil(min_debt_value * 10^decimals)`: the fewest base units worth `min_debt_value` at 1.
fn min_debt_units(input: &RedemptionInput, ctx: &'static str) -> Result<Uint128, MathError> {
    let units = div_ceil512(
        u512(atoms(input.min_debt_value))
            .checked_mul(u512(pow10(input.moet_decimals, ctx)?))
            .map_err(overflow(ctx))?,
        u512(wad256()),
        ctx,
    )?;
    to_u128(to_u256(units, ctx)?, ctx)
}

/// The amounts above; zero amounts are returned as zero, not as errors: callers decide.
pub fn redemption_amounts(input: &RedemptionInput) -> Result<RedemptionAmounts, MathError> {
    const CTX: &str = "redemption_amounts";
    let zero = RedemptionAmounts {
        max_repay: Uint128::zero(),
        repay: Uint128::zero(),
        collateral_out: Uint128::zero(),
    };
    if input.collateral_price.is_zero() || input.fee >= Decimal::one() {
        return Err(MathError::DivideByZero(CTX));
    }
    let t = Decimal256::from(input.target_health);
    let one_minus_f = Decimal256::one().saturating_sub(input.fee.into());
    // T * D - C, in whole MOET (0 or less: not eligible)
    let td = t.checked_mul(input.effective_debt).map_err(overflow(CTX))?;
    let num = td.saturating_sub(input.effective_collateral);
    if num.is_zero() || input.moet_debt.is_zero() {
        return Ok(zero);
    }
    let den = t
        .checked_mul(input.moet_borrow_factor.into())
        .map_err(overflow(CTX))?
        .saturating_sub(
            one_minus_f
                .checked_mul(input.collateral_factor.into())
                .map_err(overflow(CTX))?,
        );
    if den.is_zero() {
        return Err(MathError::DivideByZero(CTX));
    }
    let moet_scale = pow10(input.moet_decimals, CTX)?;
    // floor(num / den * 10^moet_decimals): the atomics' ratio is the decimals' ratio
    let r_max = div_floor512(
        mul512(u512(num.atomics()), u512(moet_scale), CTX)?,
        u512(den.atomics()),
        CTX,
    )?;
    let mut r_max = to_u128(to_u256(r_max, CTX)?, CTX)
        .unwrap_or(Uint128::MAX)
        .min(input.moet_debt);
    let left = input.moet_debt.saturating_sub(r_max);
    let min_units = min_debt_units(input, CTX)?;
    if !left.is_zero() && left < min_units {
        r_max = input.moet_debt.saturating_sub(min_units);
    }
    let repay = input.sent.min(r_max);

    // out = floor(repay * (1 - f) * 10^cd / (p_coll * 10^md))
    let coll_scale = pow10(input.collateral_decimals, CTX)?;
    let k_num = mul512(u512(one_minus_f.atomics()), u512(coll_scale), CTX)?;
    let k_den = mul512(u512(atoms(input.collateral_price)), u512(moet_scale), CTX)?;
    let out = div_floor512(
        mul512(u512(Uint256::from_uint128(repay)), k_num, CTX)?,
        k_den,
        CTX,
    )?;
    let out = to_u128(to_u256(out, CTX)?, CTX)
        .unwrap_or(Uint128::MAX)
        .min(input.collateral_amount);
    // repay = ceil(out * p_coll * 10^md / ((1 - f) * 10^cd)), never above the first
    let recomputed = div_ceil512(
        mul512(u512(Uint256::from_uint128(out)), k_den, CTX)?,
        k_num,
        CTX,
    )?;
    let recomputed = to_u128(to_u256(recomputed, CTX)?, CTX).unwrap_or(Uint128::MAX);
    Ok(RedemptionAmounts {
        max_repay: r_max,
        repay: recomputed.min(repay),
        collateral_out: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn d256(s: &str) -> Decimal256 {
        s.parse().unwrap()
    }

    /// SPEC 3.6a's example: 1 ETH at 2000 (CF 0.8) and 1300 MOET of debt, HF 1.2308.
    fn example(sent: u128) -> RedemptionInput {
        RedemptionInput {
            effective_collateral: d256("1600"),
            effective_debt: d256("1300"),
            target_health: dec("1.3"),
            fee: dec("0.005"),
            collateral_factor: dec("0.8"),
            moet_borrow_factor: dec("1"),
            moet_debt: Uint128::new(1_300_000_000),
            moet_decimals: 6,
            min_debt_value: dec("1"),
            sent: Uint128::new(sent),
            collateral_price: dec("2000"),
            collateral_decimals: 18,
            collateral_amount: Uint128::new(10u128.pow(18)),
        }
    }

    #[test]
    fn the_spec_example_redeems_100_moet_for_0_04975_eth() {
        let a = redemption_amounts(&example(100_000_000)).unwrap();
        // r_max = floor((1.3 * 1300 - 1600) / (1.3 - 0.995 * 0.8)) = floor(178.571428..)
        assert_eq!(a.max_repay, Uint128::new(178_571_428));
        assert_eq!(a.collateral_out, Uint128::new(49_750_000_000_000_000));
        assert_eq!(a.repay, Uint128::new(100_000_000));
    }

    #[test]
    fn sending_more_than_the_cap_redeems_the_cap() {
        let a = redemption_amounts(&example(500_000_000)).unwrap();
        assert_eq!(a.max_repay, Uint128::new(178_571_428));
        // out = floor(178.571428 * 0.995 / 2000 ETH), repay recomputed from it (rounded up)
        assert_eq!(a.collateral_out, Uint128::new(88_839_285_430_000_000));
        assert!(a.repay <= a.max_repay);
        assert_eq!(a.repay, Uint128::new(178_571_428));
    }

    #[test]
    fn a_position_at_or_above_the_target_is_not_redeemable() {
        let mut input = example(100_000_000);
        input.effective_debt = d256("1230.769230769230769231");
        let a = redemption_amounts(&input).unwrap();
        assert_eq!(a.max_repay, Uint128::zero());
        assert_eq!(a.repay, Uint128::zero());
        assert_eq!(a.collateral_out, Uint128::zero());
    }

    #[test]
    fn the_cap_never_leaves_a_debt_below_the_minimum() {
        // 1.5 MOET of debt: the cap (0.75 / 0.504 = 1.488 MOET) would leave 0.012, under 1.
        let input = RedemptionInput {
            effective_collateral: d256("1.2"),
            effective_debt: d256("1.5"),
            moet_debt: Uint128::new(1_500_000),
            sent: Uint128::new(10_000_000),
            ..example(0)
        };
        let a = redemption_amounts(&input).unwrap();
        assert_eq!(a.max_repay, Uint128::new(500_000));
        // with C = 1 the cap is the whole debt: nothing is left
        let all = RedemptionInput {
            effective_collateral: d256("1"),
            ..input
        };
        assert_eq!(
            redemption_amounts(&all).unwrap().max_repay,
            Uint128::new(1_500_000)
        );
    }

    #[test]
    fn collateral_caps_the_payout_and_the_repay_follows() {
        let mut input = example(100_000_000);
        input.collateral_amount = Uint128::new(10_000_000_000_000_000); // 0.01 ETH
        let a = redemption_amounts(&input).unwrap();
        assert_eq!(a.collateral_out, input.collateral_amount);
        // ceil(0.01 * 2000 / 0.995) = 20.100503 MOET
        assert_eq!(a.repay, Uint128::new(20_100_503));
    }
}
