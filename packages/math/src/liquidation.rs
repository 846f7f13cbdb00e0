//! Liquidation amounts, SPEC 4:
//! ```text
//! max_repay = debt                     if the debt left after a close-factor repay would be dust
//!           = floor(debt * close_factor) otherwise
//! repay     = min(sent, max_repay)
//! seize     = floor(repay * p_debt * (1 + bonus) / p_coll)   (token units, via decimals)
//! if seize > collateral: seize = collateral,
//!                        repay = ceil(collateral * p_coll / (p_debt * (1 + bonus)))
//! ```
//!
//! `max_repay` uses the dust test of SPEC 3.6/4: with `cf_repay = floor(debt * close_factor)`,
//! the debt is dust when `value_up(debt - cf_repay, debt_decimals, debt_price) <
//! dust_debt_value`. `seize` is evaluated exactly in 512-bit integers:
//! `floor(repay * p_debt * (1 + bonus) * 10^coll_dec / (p_coll * 10^debt_dec))`, and the capped
//! repay as `ceil(collateral * p_coll * 10^debt_dec / (p_debt * (1 + bonus) * 10^coll_dec))`,
//! never above the uncapped repay. A zero price fails with `DivideByZero` (a position cannot be
//! valued, so nothing should be liquidated on it).
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::fixed::{
    atoms, div_ceil512, div_floor512, mul512, overflow, pow10, to_u128, to_u256, u512, wad256,
};
use crate::value::value_up;
use crate::MathError;

#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationInput {
    /// The position's debt in `debt` asset base units (rounded up, as the market reports it).
    pub debt_amount: Uint128,
    pub debt_decimals: u8,
    pub debt_price: Decimal,
    /// The position's collateral in the seized asset (rounded down, as the market reports it).
    pub collateral_amount: Uint128,
    pub collateral_decimals: u8,
    pub collateral_price: Decimal,
    pub close_factor: Decimal,
    pub bonus: Decimal,
    /// A debt whose remaining value (plain value, `value_up`, no borrow factor) would be below
    /// this after a close-factor repay may be repaid in full.
    pub dust_debt_value: Decimal256,
    /// What the liquidator offers to repay (`sent`).
    pub offered: Uint128,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationAmounts {
    pub max_repay: Uint128,
    /// Never above `offered` nor `max_repay`.
    pub repay: Uint128,
    /// Collateral paid out for `repay`, never above `collateral_amount`.
    pub seize: Uint128,
}

/// Computes the amounts above. Zero amounts are returned as zero, not as errors: callers decide.
pub fn liquidation_amounts(input: &LiquidationInput) -> Result<LiquidationAmounts, MathError> {
    const CTX: &str = "liquidation_amounts";
    if input.debt_price.is_zero() || input.collateral_price.is_zero() {
        return Err(MathError::DivideByZero(CTX));
    }
    let one_plus_bonus = wad256()
        .checked_add(atoms(input.bonus))
        .map_err(overflow(CTX))?;

    // max_repay, with the dust rule.
    let cf_repay = Uint256::from_uint128(input.debt_amount)
        .checked_mul(atoms(input.close_factor))
        .map_err(overflow(CTX))?
        .checked_div(wad256())
        .map_err(overflow(CTX))?;
    let cf_repay = to_u128(cf_repay, CTX)?.min(input.debt_amount);
    let left = input
        .debt_amount
        .checked_sub(cf_repay)
        .map_err(overflow(CTX))?;
    let left_value = value_up(left, input.debt_decimals, input.debt_price)?;
    let max_repay = if left_value < input.dust_debt_value {
        input.debt_amount
    } else {
        cf_repay
    };
    let repay = input.offered.min(max_repay);

    // seize = floor(repay * p_debt * (1 + bonus) * 10^cd / (p_coll * 10^18 * 10^dd)).
    let debt_scale = pow10(input.debt_decimals, CTX)?;
    let coll_scale = pow10(input.collateral_decimals, CTX)?;
    // k_num / k_den is the collateral base units one debt base unit buys, bonus included.
    let k_num = mul512(
        atoms(input.debt_price).full_mul(one_plus_bonus),
        u512(coll_scale),
        CTX,
    )?;
    let k_den = mul512(
        atoms(input.collateral_price).full_mul(wad256()),
        u512(debt_scale),
        CTX,
    )?;
    let seize = div_floor512(
        mul512(u512(Uint256::from_uint128(repay)), k_num, CTX)?,
        k_den,
        CTX,
    )?;
    let seize = to_u256(seize, CTX).and_then(|s| to_u128(s, CTX));
    let (repay, seize) = match seize {
        Ok(seize) if seize <= input.collateral_amount => (repay, seize),
        // More than the collateral (or beyond Uint128): take all of it, for the least repay.
        _ => {
            let capped = div_ceil512(
                mul512(
                    u512(Uint256::from_uint128(input.collateral_amount)),
                    k_den,
                    CTX,
                )?,
                k_num,
                CTX,
            )?;
            let capped = to_u128(to_u256(capped, CTX)?, CTX)?;
            (capped.min(repay), input.collateral_amount)
        }
    };
    Ok(LiquidationAmounts {
        max_repay,
        repay,
        seize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// 1000 MOET (6 decimals) of debt against 10 ETH (18 decimals) at 2000; 20% / 3%.
    fn base() -> LiquidationInput {
        LiquidationInput {
            debt_amount: Uint128::new(1_000_000_000),
            debt_decimals: 6,
            debt_price: Decimal::one(),
            collateral_amount: Uint128::new(10_000_000_000_000_000_000),
            collateral_decimals: 18,
            collateral_price: dec("2000"),
            close_factor: dec("0.2"),
            bonus: dec("0.03"),
            dust_debt_value: Decimal256::from_str("10").unwrap(),
            offered: Uint128::new(500_000_000),
        }
    }

    #[test]
    fn spec_example() {
        let out = liquidation_amounts(&base()).unwrap();
        assert_eq!(out.max_repay, Uint128::new(200_000_000));
        assert_eq!(out.repay, Uint128::new(200_000_000));
        // 200 * 1.03 / 2000 = 0.103 ETH.
        assert_eq!(out.seize, Uint128::new(103_000_000_000_000_000));
    }

    #[test]
    fn offered_less_than_max() {
        let out = liquidation_amounts(&LiquidationInput {
            offered: Uint128::new(50_000_000),
            ..base()
        })
        .unwrap();
        assert_eq!(out.max_repay, Uint128::new(200_000_000));
        assert_eq!(out.repay, Uint128::new(50_000_000));
        assert_eq!(out.seize, Uint128::new(25_750_000_000_000_000));
    }

    #[test]
    fn seize_rounds_down_across_decimals() {
        // BTC with 8 decimals at 60000: 200 * 1.03 / 60000 = 0.00343333.. BTC -> 343333 sats.
        let out = liquidation_amounts(&LiquidationInput {
            collateral_amount: Uint128::new(100_000_000),
            collateral_decimals: 8,
            collateral_price: dec("60000"),
            ..base()
        })
        .unwrap();
        assert_eq!(out.repay, Uint128::new(200_000_000));
        assert_eq!(out.seize, Uint128::new(343_333));
        // A debt asset with more decimals than the collateral: 18-decimal debt at 0.5,
        // 6-decimal collateral at 3: 1e18 * 0.5 * 1.03 / 3 = 0.171666.. -> 171666.
        let out = liquidation_amounts(&LiquidationInput {
            debt_amount: Uint128::new(10_000_000_000_000_000_000),
            debt_decimals: 18,
            debt_price: dec("0.5"),
            collateral_amount: Uint128::new(1_000_000_000),
            collateral_decimals: 6,
            collateral_price: dec("3"),
            offered: Uint128::new(1_000_000_000_000_000_000),
            dust_debt_value: Decimal256::zero(),
            ..base()
        })
        .unwrap();
        assert_eq!(out.max_repay, Uint128::new(2_000_000_000_000_000_000));
        assert_eq!(out.repay, Uint128::new(1_000_000_000_000_000_000));
        assert_eq!(out.seize, Uint128::new(171_666));
    }

    #[test]
    fn capped_to_collateral() {
        // Only 0.05 ETH left: seize it all for ceil(0.05 * 2000 / 1.03) = 97.087378|64.. MOET.
        let out = liquidation_amounts(&LiquidationInput {
            collateral_amount: Uint128::new(50_000_000_000_000_000),
            ..base()
        })
        .unwrap();
        assert_eq!(out.max_repay, Uint128::new(200_000_000));
        assert_eq!(out.seize, Uint128::new(50_000_000_000_000_000));
        assert_eq!(out.repay, Uint128::new(97_087_379));
        // No collateral at all: nothing.
        let out = liquidation_amounts(&LiquidationInput {
            collateral_amount: Uint128::zero(),
            ..base()
        })
        .unwrap();
        assert_eq!(out.repay, Uint128::zero());
        assert_eq!(out.seize, Uint128::zero());
    }

    #[test]
    fn dust_debt_is_repaid_in_full() {
        // 12 MOET: 9.6 would be left, below the dust value 10: everything may be repaid.
        let out = liquidation_amounts(&LiquidationInput {
            debt_amount: Uint128::new(12_000_000),
            ..base()
        })
        .unwrap();
        assert_eq!(out.max_repay, Uint128::new(12_000_000));
        assert_eq!(out.repay, Uint128::new(12_000_000));
        assert_eq!(out.seize, Uint128::new(6_180_000_000_000_000));
        // 12.5 MOET leaves exactly 10: not dust.
        let out = liquidation_amounts(&LiquidationInput {
            debt_amount: Uint128::new(12_500_000),
            ..base()
        })
        .unwrap();
        assert_eq!(out.max_repay, Uint128::new(2_500_000));
        // Dust value 0 disables the rule, even for a tiny debt.
        let out = liquidation_amounts(&LiquidationInput {
            debt_amount: Uint128::new(7),
            dust_debt_value: Decimal256::zero(),
            ..base()
        })
        .unwrap();
        assert_eq!(out.max_repay, Uint128::new(1));
    }

    #[test]
    fn zero_offer_and_zero_debt() {
        let out = liquidation_amounts(&LiquidationInput {
            offered: Uint128::zero(),
            ..base()
        })
        .unwrap();
        assert_eq!((out.repay, out.seize), (Uint128::zero(), Uint128::zero()));
        let out = liquidation_amounts(&LiquidationInput {
            debt_amount: Uint128::zero(),
            ..base()
        })
        .unwrap();
        assert_eq!(
            (out.max_repay, out.repay, out.seize),
            (Uint128::zero(), Uint128::zero(), Uint128::zero())
        );
    }

    #[test]
    fn extremes_do_not_overflow() {
        // u128::MAX of an 18-decimal debt at 1e12 against a 0-decimal collateral at 1e-12.
        let out = liquidation_amounts(&LiquidationInput {
            debt_amount: Uint128::MAX,
            debt_decimals: 0,
            debt_price: dec("1000000000000"),
            collateral_amount: Uint128::MAX,
            collateral_decimals: 18,
            collateral_price: Decimal::raw(1_000_000),
            offered: Uint128::MAX,
            ..base()
        })
        .unwrap();
        assert_eq!(out.seize, Uint128::MAX);
        assert!(out.repay < out.max_repay);
        assert!(out.repay > Uint128::zero());
    }

    #[test]
    fn zero_prices() {
        for (p_debt, p_coll) in [(Decimal::zero(), dec("1")), (dec("1"), Decimal::zero())] {
            assert_eq!(
                liquidation_amounts(&LiquidationInput {
                    debt_price: p_debt,
                    collateral_price: p_coll,
                    ..base()
                }),
                Err(MathError::DivideByZero("liquidation_amounts"))
            );
        }
    }
}
