//! Property tests of keel-math. Case counts are set per block so that the whole suite runs in
//! well under a minute in a debug build on two cores.
use std::cmp::Ordering;

use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256, Uint512};
use keel_math::*;
use proptest::prelude::*;

const WAD: u128 = 1_000_000_000_000_000_000;

fn u512(x: impl Into<Uint512>) -> Uint512 {
    x.into()
}

fn pow10(d: u8) -> Uint512 {
    Uint512::from(10u128).pow(u32::from(d))
}

// ---------------------------------------------------------------------------------------------
// exp

/// `floor(e^x * 10^60)` for `x = atomics / 1e18 <= ~20`, by the plain Taylor series (no range
/// reduction, no stored constant: an independent method), each term truncated. The error is
/// below 1e-57 absolute, far below the 1e-18 resolution checked against.
fn exp_reference_60(atomics: u128) -> Uint512 {
    let one = Uint512::from(10u128).pow(60);
    let x = Uint512::from(atomics);
    let wad = Uint512::from(WAD);
    let mut sum = one;
    let mut term = one;
    let mut k = 1u128;
    while !term.is_zero() {
        term = term * x / (wad * Uint512::from(k));
        sum += term;
        k += 1;
    }
    sum
}

/// Checks `exp(x)` against the reference: never above the true value, and at most one atomic
/// (1e-18 absolute, so at most 1e-18 relative as e^x >= 1) below it. Returns the error in
/// atomics.
fn check_exp(atomics: u128) -> Uint512 {
    let got = exp(Decimal256::raw(atomics)).unwrap();
    let reference = exp_reference_60(atomics);
    let got42 = u512(got.atomics()) * Uint512::from(10u128).pow(42);
    // The reference is itself truncated by < 1e-57: allow that much above it.
    assert!(
        got42 <= reference + Uint512::from(1000u128),
        "exp({atomics}e-18) = {got} above the reference {reference}"
    );
    let floor18 = reference / Uint512::from(10u128).pow(42);
    let err = floor18.saturating_sub(u512(got.atomics()));
    assert!(
        err <= Uint512::one(),
        "exp({atomics}e-18) = {got}, reference {reference}"
    );
    err
}

#[test]
fn exp_grid_against_reference() {
    // Every 0.01 from 0 to 10, plus the neighbours of integers.
    let mut worst = Uint512::zero();
    for i in 0..=1000u128 {
        worst = worst.max(check_exp(i * WAD / 100));
    }
    for n in 1..=10u128 {
        worst = worst.max(check_exp(n * WAD - 1));
        worst = worst.max(check_exp(n * WAD + 1));
    }
    assert!(worst <= Uint512::one());
}

/// Prints how far `exp` is from the exactly truncated value over a fine grid (run with
/// `--nocapture` to see it); asserts the one-atomic bound.
#[test]
fn exp_measured_accuracy() {
    let (mut exact, mut one_below) = (0u32, 0u32);
    for i in 0..=2000u128 {
        // 0 .. 10 in steps of 0.005, offset so the points are not round numbers.
        let atomics = i * WAD / 200 + 123_456_789_012_345;
        if check_exp(atomics).is_zero() {
            exact += 1;
        } else {
            one_below += 1;
        }
    }
    println!("exp on 2001 points in [0, 10]: {exact} exact floor, {one_below} one atomic below");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn exp_matches_reference_up_to_10(atomics in 0u128..=10 * WAD) {
        check_exp(atomics);
    }

    #[test]
    fn exp_matches_reference_small(atomics in 0u128..=1_000_000_000_000) {
        // Typical accrual exponents: r * dt / year.
        check_exp(atomics);
    }

    #[test]
    fn exp_matches_f64(atomics in 0u128..=10 * WAD) {
        let x = atomics as f64 / 1e18;
        let got: f64 = exp(Decimal256::raw(atomics)).unwrap().to_string().parse().unwrap();
        let expected = x.exp();
        prop_assert!(((got - expected) / expected).abs() < 1e-12, "{x}: {got} vs {expected}");
    }

    #[test]
    fn exp_is_multiplicative(a in 0u128..=5 * WAD, b in 0u128..=5 * WAD) {
        let ea = exp(Decimal256::raw(a)).unwrap();
        let eb = exp(Decimal256::raw(b)).unwrap();
        let eab = exp(Decimal256::raw(a + b)).unwrap();
        let product = ea * eb;
        // Each factor is within 1e-18 of the truth: the product within ~(ea + eb + 1) * 1e-18.
        let tolerance = Decimal256::raw(2) * (ea + eb + Decimal256::one());
        prop_assert!(product.abs_diff(eab) <= tolerance, "{product} vs {eab}");
    }

    #[test]
    fn exp_is_monotone(a in 0u128..=100 * WAD, b in 0u128..=100 * WAD) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(exp(Decimal256::raw(lo)).unwrap() <= exp(Decimal256::raw(hi)).unwrap());
    }

}

proptest! {
    // Each case sums a ~400-term reference series in 512 bits: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn exp_large_values_relative(atomics in 10 * WAD..=135 * WAD) {
        // Up to e^135 the relative error stays far below 1e-12 (the reference loses nothing
        // here either: its terms go up to ~1e57 * 1e60, within 512 bits).
        let got = exp(Decimal256::raw(atomics)).unwrap();
        let reference = exp_reference_60(atomics) / Uint512::from(10u128).pow(42);
        let err = reference.saturating_sub(u512(got.atomics()));
        prop_assert!(u512(got.atomics()) <= reference);
        prop_assert!(err * Uint512::from(10u128).pow(30) <= reference, "{got}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// rate models

/// A valid piecewise curve: 2 to 6 points, utilizations strictly increasing from 0 to 1, rates
/// non-decreasing up to `MAX_RATE`.
fn valid_curve() -> impl Strategy<Value = RateModel> {
    (
        proptest::collection::btree_set(1u128..WAD, 0..5),
        proptest::collection::vec(0u128..=100 * WAD, 6),
    )
        .prop_map(|(inner, mut rates)| {
            let mut us: Vec<u128> = vec![0];
            us.extend(inner);
            us.push(WAD);
            rates.truncate(us.len());
            rates.sort_unstable();
            RateModel::Piecewise {
                points: us
                    .into_iter()
                    .zip(rates)
                    .map(|(u, r)| RatePoint {
                        utilization: Decimal::raw(u),
                        rate: Decimal::raw(r),
                    })
                    .collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn rate_is_monotone_and_within_its_points(
        model in valid_curve(),
        a in 0u128..=2 * WAD,
        b in 0u128..=2 * WAD,
    ) {
        model.validate().unwrap();
        let RateModel::Piecewise { points } = &model else { unreachable!() };
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let r_lo = model.rate(Decimal::raw(lo)).unwrap();
        let r_hi = model.rate(Decimal::raw(hi)).unwrap();
        prop_assert!(r_lo <= r_hi);
        let first = points.first().unwrap().rate;
        let last = points.last().unwrap().rate;
        prop_assert!(first <= r_lo && r_hi <= last);
        // Every kink is hit exactly.
        for p in points {
            prop_assert_eq!(model.rate(p.utilization).unwrap(), p.rate);
        }
    }

    #[test]
    fn rate_rounds_up_by_less_than_one_atomic(model in valid_curve(), u in 0u128..=WAD) {
        // Compare with the exact rational interpolation.
        let RateModel::Piecewise { points } = &model else { unreachable!() };
        let got = model.rate(Decimal::raw(u)).unwrap().atomics().u128();
        let seg = points
            .windows(2)
            .find(|w| w[0].utilization.atomics().u128() <= u && u <= w[1].utilization.atomics().u128())
            .unwrap();
        let (u0, u1) = (seg[0].utilization.atomics().u128(), seg[1].utilization.atomics().u128());
        let (r0, r1) = (seg[0].rate.atomics().u128(), seg[1].rate.atomics().u128());
        // got - r0 >= (r1 - r0)(u - u0)/(u1 - u0) > got - r0 - 1
        let exact_num = Uint256::from(r1 - r0) * Uint256::from(u - u0);
        let span = Uint256::from(u1 - u0);
        prop_assert!(Uint256::from(got - r0) * span >= exact_num);
        prop_assert!(Uint256::from(got - r0) * span < exact_num + span);
    }

    #[test]
    fn utilization_bounds(s in 0u128..u128::MAX, r in 0u128..u128::MAX, d in 0u128..u128::MAX) {
        let (s, r, d) = (Decimal256::raw(s), Decimal256::raw(r), Decimal256::raw(d));
        let u = utilization(s, r, d).unwrap();
        prop_assert!(u <= Decimal::one());
        if (s + r).is_zero() {
            prop_assert_eq!(u, Decimal::zero());
        } else if d >= s + r {
            prop_assert_eq!(u, Decimal::one());
        } else {
            // Rounded up: u * (S + R) >= D > (u - 1e-18) * (S + R).
            let total = u512(s.atomics()) + u512(r.atomics());
            let u_a = u512(Uint256::from(u.atomics()));
            let d18 = u512(d.atomics()) * Uint512::from(WAD);
            prop_assert!(u_a * total >= d18);
            prop_assert!((u_a - Uint512::one()) * total < d18);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// scaled balances

fn index_up_to_scale() -> impl Strategy<Value = Decimal256> {
    // 1e-6 .. 1e6, the range where a round trip loses at most one base unit.
    (1_000_000_000_000u128..=1_000_000 * WAD).prop_map(Decimal256::raw)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn deposit_withdraw_never_creates_value(
        amount in 0u128..=1_000_000_000_000_000_000_000_000_000_000u128,
        index in index_up_to_scale(),
    ) {
        let amount = Uint128::new(amount);
        let scaled = to_scaled_down(amount, index).unwrap();
        let back = to_underlying_down(scaled, index).unwrap();
        prop_assert!(back <= amount);
        prop_assert!(amount - back <= Uint128::one(), "lost {} of {amount}", amount - back);
    }

    #[test]
    fn borrow_repay_never_forgives_debt(
        amount in 0u128..=1_000_000_000_000_000_000_000_000_000_000u128,
        index in index_up_to_scale(),
    ) {
        let amount = Uint128::new(amount);
        let scaled = to_scaled_up(amount, index).unwrap();
        let owed = to_underlying_up(scaled, index).unwrap();
        prop_assert!(owed >= amount);
        prop_assert!(owed - amount <= Uint128::one(), "added {} to {amount}", owed - amount);
    }

    #[test]
    fn round_trips_hold_at_any_index(
        amount in 0u128..=1_000_000_000_000_000_000_000_000u128,
        index in 1u128..=u128::MAX,
    ) {
        // Outside 1e-6..1e6 the loss bound grows, but the directions still hold.
        let index = Decimal256::raw(index);
        let amount = Uint128::new(amount);
        if let Ok(s) = to_scaled_down(amount, index) {
            prop_assert!(to_underlying_down(s, index).unwrap() <= amount);
        }
        if let Ok(s) = to_scaled_up(amount, index) {
            if let Ok(owed) = to_underlying_up(s, index) {
                prop_assert!(owed >= amount);
            }
        }
    }

    #[test]
    fn underlying_down_exact_up_are_ordered(scaled in any::<u128>(), index in 1u128..=1_000_000_000 * WAD) {
        let index = Decimal256::raw(index);
        let scaled = Uint128::new(scaled);
        let exact = to_underlying_exact(scaled, index).unwrap();
        if let (Ok(down), Ok(up)) = (to_underlying_down(scaled, index), to_underlying_up(scaled, index)) {
            prop_assert!(Decimal256::from_ratio(down, 1u128) <= exact);
            prop_assert!(exact <= Decimal256::from_ratio(up, 1u128));
            prop_assert!(up - down <= Uint128::one());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// values

/// Prices from 1e-12 to 1e12.
fn price() -> impl Strategy<Value = Decimal> {
    (1_000_000u128..=1_000_000_000_000 * WAD).prop_map(Decimal::raw)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn value_down_up_bracket_the_exact_value(amount in any::<u128>(), decimals in 0u8..=18, p in price()) {
        let down = value_down(Uint128::new(amount), decimals, p).unwrap();
        let up = value_up(Uint128::new(amount), decimals, p).unwrap();
        prop_assert!(down <= up);
        prop_assert!(up - down <= Decimal256::raw(1));
        // Exact: down * 10^dec <= amount * price < (down + 1e-18) * 10^dec.
        let exact = Uint512::from(amount) * Uint512::from(p.atomics().u128());
        prop_assert!(u512(down.atomics()) * pow10(decimals) <= exact);
        prop_assert!((u512(down.atomics()) + Uint512::one()) * pow10(decimals) > exact);
        prop_assert_eq!(up == down, u512(down.atomics()) * pow10(decimals) == exact);
    }

    #[test]
    fn amount_for_value_round_trips(
        value in 0u128..=u128::MAX,
        decimals in 0u8..=18,
        p in price(),
    ) {
        let value = Decimal256::raw(value);
        if let Ok(a) = amount_for_value_down(value, decimals, p) {
            prop_assert!(value_down(a, decimals, p).unwrap() <= value);
            // One more base unit is worth more than `value`.
            if let Some(next) = a.u128().checked_add(1) {
                prop_assert!(value_up(Uint128::new(next), decimals, p).unwrap() > value);
            }
        }
        if let Ok(a) = amount_for_value_up(value, decimals, p) {
            prop_assert!(value_up(a, decimals, p).unwrap() >= value);
            if !a.is_zero() {
                prop_assert!(value_down(a - Uint128::one(), decimals, p).unwrap() < value);
            }
        }
    }

    #[test]
    fn value_is_monotone(a in any::<u128>(), b in any::<u128>(), decimals in 0u8..=18, p in price()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(value_down(Uint128::new(lo), decimals, p).unwrap() <= value_down(Uint128::new(hi), decimals, p).unwrap());
        prop_assert!(value_up(Uint128::new(lo), decimals, p).unwrap() <= value_up(Uint128::new(hi), decimals, p).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------
// accrual

#[derive(Debug, Clone)]
struct AccrualCase {
    input: AccrualInput,
}

fn accrual_case() -> impl Strategy<Value = AccrualCase> {
    (
        // indices 1 .. 100
        WAD..=100 * WAD,
        WAD..=100 * WAD,
        // scaled totals up to 1e36 (1e30 base units at index 1)
        0u128..=1_000_000_000_000_000_000_000_000_000_000_000_000u128,
        1u128..=1_000_000_000_000_000_000_000_000_000_000_000_000u128,
        0u128..=100_000_000_000_000_000_000_000_000_000_000_000_000u128,
        // rate up to 10 (1000%), dt up to a year: exponents up to 10
        0u128..=10 * WAD,
        0u128..=WAD,
        1u64..=31_536_000,
    )
        .prop_map(|(si, bi, ss, ds, r, rate, rf, dt)| AccrualCase {
            input: AccrualInput {
                supply_index: Decimal256::raw(si),
                borrow_index: Decimal256::raw(bi),
                scaled_supply: Uint128::new(ss),
                scaled_debt: Uint128::new(ds),
                reserves: Decimal256::raw(r),
                rate: Decimal::raw(rate),
                reserve_factor: Decimal::raw(rf),
                dt,
            },
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn accrual_conserves_value(case in accrual_case()) {
        let input = &case.input;
        let out = accrue(input).unwrap();
        let s0 = to_underlying_exact(input.scaled_supply, input.supply_index).unwrap();
        let s1 = to_underlying_exact(input.scaled_supply, out.supply_index).unwrap();
        let d0 = to_underlying_exact(input.scaled_debt, input.borrow_index).unwrap();
        let d1 = to_underlying_exact(input.scaled_debt, out.borrow_index).unwrap();
        prop_assert!(out.supply_index >= input.supply_index);
        prop_assert!(out.borrow_index >= input.borrow_index);
        prop_assert!(out.reserves >= input.reserves);

        let supply_growth = s1 - s0;
        let reserve_growth = out.reserves - input.reserves;
        let debt_growth = d1 - d0;
        let interest = out.interest;

        // Nothing is created: lenders + reserves get at most the interest, and the interest is
        // at most what borrowers now owe on top.
        prop_assert!(supply_growth + reserve_growth <= interest);
        prop_assert!(interest <= debt_growth);

        // ..and little is lost: the truncation of each index, 1e-18 of an index unit on the
        // scaled total (S_s / SCALE atomics), plus a few atomics.
        let scale = Uint256::from(SCALE);
        let supply_slack = Uint256::from(input.scaled_supply.u128()) / scale
            + (interest.atomics() / s0.atomics().max(Uint256::one()))
            + Uint256::from(3u8);
        let debt_slack = Uint256::from(input.scaled_debt.u128()) / scale
            + Decimal256::raw(2).atomics() * (out.borrow_index / input.borrow_index).to_uint_ceil()
            + Uint256::from(3u8);
        prop_assert!(
            interest.atomics() - (supply_growth + reserve_growth).atomics() <= supply_slack,
            "lost {} > {}", interest.atomics() - (supply_growth + reserve_growth).atomics(), supply_slack
        );
        prop_assert!(debt_growth.atomics() - interest.atomics() <= debt_slack);

        // The interest is D * (g - 1) with g = e^(r dt / year): check against f64 loosely.
        let x = input.rate.atomics().u128() as f64 / 1e18 * input.dt as f64 / 31_536_000.0;
        let d0f: f64 = d0.to_string().parse().unwrap();
        let expected = d0f * x.exp_m1();
        let got: f64 = interest.to_string().parse().unwrap();
        prop_assert!((got - expected).abs() <= 1e-9 * expected + 1e-6, "{got} vs {expected}");

        if input.scaled_supply.is_zero() {
            prop_assert_eq!(out.supply_index, input.supply_index);
            prop_assert_eq!(reserve_growth, interest);
        } else {
            // The reserves' share is interest * rf, truncated.
            let share = interest.atomics() * Uint256::from(input.reserve_factor.atomics().u128())
                / Uint256::from(WAD);
            prop_assert_eq!(reserve_growth.atomics(), share);
        }
    }

}

proptest! {
    // Up to 51 accruals per case: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accrual_in_steps_compounds_continuously(
        rate in 0u128..=2 * WAD,
        steps in 1u64..=50,
    ) {
        // n accruals of dt each give the same borrow index as one of n * dt, to ~n atomics.
        let base = AccrualInput {
            supply_index: Decimal256::one(),
            borrow_index: Decimal256::one(),
            scaled_supply: Uint128::new(1_000_000_000_000),
            scaled_debt: Uint128::new(500_000_000_000),
            reserves: Decimal256::zero(),
            rate: Decimal::raw(rate),
            reserve_factor: Decimal::percent(10),
            dt: 86_400,
        };
        let mut state = base.clone();
        for _ in 0..steps {
            let out = accrue(&state).unwrap();
            state.borrow_index = out.borrow_index;
            state.supply_index = out.supply_index;
            state.reserves = out.reserves;
        }
        let once = accrue(&AccrualInput { dt: 86_400 * steps, ..base }).unwrap();
        let diff = once.borrow_index.abs_diff(state.borrow_index);
        prop_assert!(diff <= Decimal256::raw(10 * u128::from(steps)), "{diff}");
    }
}

// ---------------------------------------------------------------------------------------------
// health

fn factor(lo: u128, hi: u128) -> impl Strategy<Value = Decimal> {
    (lo..=hi).prop_map(Decimal::raw)
}

fn collateral_items() -> impl Strategy<Value = Vec<CollateralItem>> {
    proptest::collection::vec(
        (0u128..=1_000_000_000 * WAD, factor(0, WAD), factor(0, WAD)).prop_map(|(v, a, b)| {
            CollateralItem {
                value: Decimal256::raw(v),
                collateral_factor: a.min(b),
                liquidation_threshold: a.max(b),
            }
        }),
        0..4,
    )
}

fn debt_items() -> impl Strategy<Value = Vec<DebtItem>> {
    proptest::collection::vec(
        (0u128..=1_000_000_000 * WAD, factor(WAD, 3 * WAD)).prop_map(|(v, bf)| DebtItem {
            value: Decimal256::raw(v),
            borrow_factor: bf,
        }),
        0..4,
    )
}

/// Orders optional health factors with `None` as infinity.
fn cmp_hf(a: &Option<Decimal256>, b: &Option<Decimal256>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn more_collateral_never_lowers_health(
        coll in collateral_items(),
        debt in debt_items(),
        which in any::<prop::sample::Index>(),
        extra in 0u128..=1_000_000 * WAD,
    ) {
        let before = compute_health(&coll, &debt).unwrap();
        let mut more = coll.clone();
        if more.is_empty() {
            more.push(CollateralItem {
                value: Decimal256::raw(extra),
                collateral_factor: Decimal::percent(50),
                liquidation_threshold: Decimal::percent(60),
            });
        } else {
            let i = which.index(more.len());
            more[i].value += Decimal256::raw(extra);
        }
        let after = compute_health(&more, &debt).unwrap();
        prop_assert!(after.effective_collateral >= before.effective_collateral);
        prop_assert!(after.liquidation_limit >= before.liquidation_limit);
        prop_assert_ne!(cmp_hf(&after.health_factor, &before.health_factor), Ordering::Less);
        prop_assert_ne!(
            cmp_hf(&after.liquidation_health_factor, &before.liquidation_health_factor),
            Ordering::Less
        );
        // borrow_limit_used never rises (None = infinite).
        prop_assert_ne!(cmp_hf(&after.borrow_limit_used, &before.borrow_limit_used), Ordering::Greater);
    }

    #[test]
    fn more_debt_never_raises_health(
        coll in collateral_items(),
        debt in debt_items(),
        which in any::<prop::sample::Index>(),
        extra in 0u128..=1_000_000 * WAD,
    ) {
        let before = compute_health(&coll, &debt).unwrap();
        let mut more = debt.clone();
        if more.is_empty() {
            more.push(DebtItem { value: Decimal256::raw(extra), borrow_factor: Decimal::one() });
        } else {
            let i = which.index(more.len());
            more[i].value += Decimal256::raw(extra);
        }
        let after = compute_health(&coll, &more).unwrap();
        prop_assert!(after.effective_debt >= before.effective_debt);
        prop_assert_ne!(cmp_hf(&after.health_factor, &before.health_factor), Ordering::Greater);
        prop_assert_ne!(
            cmp_hf(&after.liquidation_health_factor, &before.liquidation_health_factor),
            Ordering::Greater
        );
    }

    #[test]
    fn health_figures_round_as_documented(coll in collateral_items(), debt in debt_items()) {
        let h = compute_health(&coll, &debt).unwrap();
        let wad = Uint512::from(WAD);
        let c36: Uint512 = coll.iter().map(|c| c.value.atomics().full_mul(Uint256::from(c.collateral_factor.atomics().u128()))).fold(Uint512::zero(), |a, b| a + b);
        let d36: Uint512 = debt.iter().map(|d| d.value.atomics().full_mul(Uint256::from(d.borrow_factor.atomics().u128()))).fold(Uint512::zero(), |a, b| a + b);
        let c = u512(h.effective_collateral.atomics());
        let d = u512(h.effective_debt.atomics());
        prop_assert!(c * wad <= c36 && c36 < (c + Uint512::one()) * wad);
        prop_assert!(d * wad >= d36 && (d.is_zero() || d36 > (d - Uint512::one()) * wad));
        match h.health_factor {
            None => prop_assert!(d.is_zero()),
            Some(hf) => {
                // HF <= C / D < HF + 1e-18
                let hf = u512(hf.atomics());
                prop_assert!(hf * d <= c * wad && c * wad < (hf + Uint512::one()) * d);
            }
        }
        match h.borrow_limit_used {
            None => prop_assert!(c.is_zero() && !d.is_zero()),
            Some(b) => {
                let b = u512(b.atomics());
                if d.is_zero() {
                    prop_assert!(b.is_zero());
                } else {
                    prop_assert!(b * c >= d * wad && (b - Uint512::one()) * c < d * wad);
                }
            }
        }
        if let Some(lhf) = h.liquidation_health_factor {
            prop_assert!(Some(lhf) >= h.health_factor);
        }
    }

    #[test]
    fn band_is_monotone_in_health(hf_a in 0u128..=3 * WAD, hf_b in 0u128..=3 * WAD) {
        // With LHF >= HF (LT >= CF), a higher HF is never in a worse band.
        let bounds = HealthBounds {
            min: Decimal::percent(110),
            target: Decimal::percent(130),
            max: Decimal::percent(150),
        };
        let health = |hf: u128| Health {
            effective_collateral: Decimal256::zero(),
            liquidation_limit: Decimal256::zero(),
            effective_debt: Decimal256::one(),
            health_factor: Some(Decimal256::raw(hf)),
            liquidation_health_factor: Some(Decimal256::raw(hf)),
            borrow_limit_used: None,
        };
        let rank = |b: Band| b as u8;
        let (lo, hi) = if hf_a <= hf_b { (hf_a, hf_b) } else { (hf_b, hf_a) };
        prop_assert!(rank(band(&health(lo), &bounds)) <= rank(band(&health(hi), &bounds)));
    }

    #[test]
    fn to_target_reaches_the_target(
        c in 0u128..=1_000_000_000 * WAD,
        d in 0u128..=1_000_000_000 * WAD,
        target in 1_000_000_000_000_000_001u128..=3 * WAD,
        decimals in 0u8..=18,
        p in (1_000_000u128..=1_000_000 * WAD).prop_map(Decimal::raw),
        bf in factor(WAD, 3 * WAD),
    ) {
        let (c, d, t) = (Decimal256::raw(c), Decimal256::raw(d), Decimal::raw(target));
        let borrow = borrow_to_target(c, d, t, decimals, p, bf).unwrap();
        let repay = repay_to_target(c, d, t, decimals, p, bf).unwrap();
        // Never both.
        prop_assert!(borrow.is_zero() || repay.is_zero());
        // Exact effective value of x base units: x * p * bf / 10^dec, as a 36-decimal number.
        let exact36 = |x: Uint128| Uint512::from(x.u128()) * Uint512::from(p.atomics().u128()) * Uint512::from(bf.atomics().u128()) / pow10(decimals);
        let c36 = u512(c.atomics()) * Uint512::from(WAD);
        let d36 = u512(d.atomics()) * Uint512::from(WAD);
        let t_a = Uint512::from(t.atomics().u128());
        // Borrowing x keeps C >= (D + x) * target; one more unit would not.
        if !borrow.is_zero() && borrow != Uint128::MAX {
            let new_d = d36 + exact36(borrow);
            prop_assert!(c36 * Uint512::from(WAD) >= new_d * t_a);
            let over = d36 + exact36(borrow + Uint128::one());
            prop_assert!(c36 * Uint512::from(WAD) < over * t_a);
        }
        if !repay.is_zero() {
            // Repaying x reaches C >= (D - x) * target; one unit less would not.
            let new_d = d36.saturating_sub(exact36(repay));
            prop_assert!(c36 * Uint512::from(WAD) >= new_d * t_a);
            let under = d36.saturating_sub(exact36(repay - Uint128::one()));
            prop_assert!(c36 * Uint512::from(WAD) < under * t_a);
        }
        // Zero repay means HF >= target already; zero borrow means HF <= target already, or
        // less room than one base unit.
        if repay.is_zero() {
            prop_assert!(c36 * Uint512::from(WAD) >= d36 * t_a);
        }
        if borrow.is_zero() && c36 * Uint512::from(WAD) > d36 * t_a {
            let one_more = d36 + exact36(Uint128::one());
            prop_assert!(c36 * Uint512::from(WAD) < one_more * t_a);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// liquidation

fn liquidation_input() -> impl Strategy<Value = LiquidationInput> {
    (
        (any::<u128>(), 0u8..=18, price()),
        (any::<u128>(), 0u8..=18, price()),
        (factor(0, WAD), factor(0, WAD / 2)),
        (0u128..=1_000 * WAD, any::<u128>()),
        any::<bool>(),
    )
        .prop_map(
            |((debt, dd, pd), (coll, cd, pc), (cf, bonus), (dust, offered), small)| {
                // Half the cases use realistic sizes, so the interesting paths are hit often.
                let shrink = |x: u128| {
                    if small {
                        x % 1_000_000_000_000_000_000_000_000
                    } else {
                        x
                    }
                };
                LiquidationInput {
                    debt_amount: Uint128::new(shrink(debt)),
                    debt_decimals: dd,
                    debt_price: pd,
                    collateral_amount: Uint128::new(shrink(coll)),
                    collateral_decimals: cd,
                    collateral_price: pc,
                    close_factor: cf,
                    bonus,
                    dust_debt_value: Decimal256::raw(dust),
                    offered: Uint128::new(shrink(offered)),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8192))]

    #[test]
    fn liquidation_bounds(input in liquidation_input()) {
        let out = liquidation_amounts(&input).unwrap();
        prop_assert!(out.max_repay <= input.debt_amount);
        prop_assert!(out.repay <= input.offered);
        prop_assert!(out.repay <= out.max_repay);
        prop_assert!(out.seize <= input.collateral_amount);

        // max_repay is the close-factor share or, for dust, the whole debt.
        let cf_share = input.debt_amount.mul_floor(input.close_factor);
        let left_value = value_up(input.debt_amount - cf_share, input.debt_decimals, input.debt_price).unwrap();
        if left_value < input.dust_debt_value {
            prop_assert_eq!(out.max_repay, input.debt_amount);
        } else {
            prop_assert_eq!(out.max_repay, cf_share);
        }

        // seize * p_coll / 10^cd <= repay * p_debt * (1 + bonus) / 10^dd, exactly.
        let one_plus_bonus = Uint512::from(WAD + input.bonus.atomics().u128());
        let seize_side = Uint512::from(out.seize.u128())
            * Uint512::from(input.collateral_price.atomics().u128())
            * Uint512::from(WAD)
            * pow10(input.debt_decimals);
        let repay_side = Uint512::from(out.repay.u128())
            * Uint512::from(input.debt_price.atomics().u128())
            * one_plus_bonus
            * pow10(input.collateral_decimals);
        prop_assert!(seize_side <= repay_side);
        // And one more collateral unit would exceed it (seize is the floor), unless capped.
        if out.seize < input.collateral_amount {
            let requested = input.offered.min(out.max_repay);
            prop_assert_eq!(out.repay, requested);
            let next = Uint512::from(out.seize.u128() + 1)
                * Uint512::from(input.collateral_price.atomics().u128())
                * Uint512::from(WAD)
                * pow10(input.debt_decimals);
            prop_assert!(next > repay_side);
        } else if out.repay > Uint128::zero() {
            // Capped (or exactly all): one repay unit less would not pay for the collateral.
            let less = Uint512::from(out.repay.u128() - 1)
                * Uint512::from(input.debt_price.atomics().u128())
                * one_plus_bonus
                * pow10(input.collateral_decimals);
            prop_assert!(less < seize_side || out.repay == input.offered.min(out.max_repay));
        }

        // The market's own check, with its rounding: value_down(seize) <= value_up(repay) * (1 + bonus).
        let seize_value = value_down(out.seize, input.collateral_decimals, input.collateral_price).unwrap();
        let repay_value = value_up(out.repay, input.debt_decimals, input.debt_price).unwrap();
        if let Ok(limit) = repay_value.checked_mul(Decimal256::one() + Decimal256::from(input.bonus)) {
            prop_assert!(seize_value <= limit + Decimal256::raw(1));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// redemptions

fn redemption_input() -> impl Strategy<Value = RedemptionInput> {
    (
        (1u128..=10_000_000, 1u128..=10_000_000),
        (
            1_001u128..=2_000,
            1u128..=100,
            0u128..=1000,
            1_000u128..=3_000,
        ),
        (0u128..=10u128.pow(15), 0u8..=18, 0u128..=10u128.pow(15)),
        (
            0u128..=u128::from(u64::MAX),
            1u128..=10u128.pow(24),
            0u8..=18,
        ),
    )
        .prop_map(
            |((c, d), (t, f, cf, bf), (debt, md, min), (sent, p, cd))| RedemptionInput {
                effective_collateral: Decimal256::from_ratio(c, 1000u128),
                effective_debt: Decimal256::from_ratio(d, 1000u128),
                target_health: Decimal::permille(t as u64),
                fee: Decimal::permille(f as u64),
                collateral_factor: Decimal::permille(cf as u64),
                moet_borrow_factor: Decimal::permille(bf as u64),
                moet_debt: Uint128::new(debt),
                moet_decimals: md,
                min_debt_value: Decimal::from_ratio(min, 10u128.pow(12)),
                sent: Uint128::new(sent),
                collateral_price: Decimal::raw(p),
                collateral_decimals: cd,
                collateral_amount: Uint128::new(sent / 3),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The redeemer never gets more than `1 - f` of collateral per MOET burnt (at the redemption
    /// price), never burns more than it sent or than the cap, and never takes more collateral
    /// than the position holds; the cap leaves no debt below the minimum.
    #[test]
    fn redemption_bounds(input in redemption_input()) {
        let a = redemption_amounts(&input).unwrap();
        prop_assert!(a.repay <= input.sent && a.repay <= a.max_repay);
        prop_assert!(a.max_repay <= input.moet_debt);
        prop_assert!(a.collateral_out <= input.collateral_amount);
        // out * p / 10^cd <= repay * (1 - f) / 10^md, exactly
        let out_value = u512(a.collateral_out) * u512(input.collateral_price.atomics()) * pow10(input.moet_decimals);
        let repay_value = u512(a.repay) * u512((Decimal::one() - input.fee).atomics()) * pow10(input.collateral_decimals);
        prop_assert!(out_value <= repay_value, "{a:?}");
        let left = input.moet_debt - a.max_repay;
        if !left.is_zero() && !a.max_repay.is_zero() {
            // value of what is left >= min_debt_value
            prop_assert!(u512(left) * u512(WAD) >= u512(input.min_debt_value.atomics()) * pow10(input.moet_decimals));
        }
    }
}
