//! The adversarial suite: one named test per attack class, each showing that the
//! attack fails or gains nothing. docs/SECURITY.md lists each threat, its defence and the test
//! here that pins it.
use anyhow::Result as AnyResult;
use cosmwasm_std::{coins, to_json_binary, Addr, Decimal, Decimal256, Uint128};
use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
use cw_multi_test::{AppResponse, Executor};
use keel_tests::*;
use keel_types::liquidator as liq;
use keel_types::market::{
    Automation, ConfigUpdate, ExecuteMsg, MaxBorrowResponse, MigrateMsg, PositionResponse,
    QueryMsg, ReceiveMsg,
};
use keel_types::oracle;
use keel_types::HealthBounds;

const YEAR: u64 = 31_536_000;

/// MOET has 6 decimals too.
fn moet(n: u128) -> u128 {
    usdc(n)
}

fn setup() -> Suite {
    Suite::with_eth_and_usdc()
}

fn funded(s: &mut Suite, name: &str, funds: &[(u128, &str)]) -> Addr {
    let a = s.addr(name);
    for (n, d) in funds {
        s.fund(&a, *n, d);
    }
    a
}

fn err_text(res: AnyResult<AppResponse>) -> String {
    match res {
        Ok(_) => panic!("the attack succeeded"),
        Err(e) => format!("{e:#}"),
    }
}

fn assert_fails(res: AnyResult<AppResponse>, needle: &str) {
    let text = err_text(res);
    assert!(
        text.to_lowercase().contains(&needle.to_lowercase()),
        "expected an error containing {needle:?}, got: {text}"
    );
}

/// Feeder `f` (0 or 1) pushes one price.
fn push(s: &mut Suite, f: usize, denom: &str, price: &str) -> AnyResult<AppResponse> {
    let (feeder, o) = (s.feeders[f].clone(), s.oracle.clone());
    s.exec(
        &feeder,
        &o,
        &oracle::ExecuteMsg::PushPrices {
            prices: vec![oracle::PriceInput {
                denom: denom.to_string(),
                price: dec(price),
            }],
        },
        &[],
    )
}

/// Time passes in 200 s steps with both feeders pushing the same prices (a full TWAP window).
fn hold(s: &mut Suite, secs: u64, prices: &[(&str, &str)]) {
    let mut left = secs;
    while left > 0 {
        let step = left.min(200);
        s.advance(step);
        left -= step;
        for (d, p) in prices {
            s.set_price(d, p);
        }
    }
}

fn price(s: &Suite, denom: &str) -> oracle::PriceResponse {
    s.query(
        &s.oracle,
        &oracle::QueryMsg::Price {
            denom: denom.to_string(),
        },
    )
    .unwrap()
}

fn liquidate(
    s: &mut Suite,
    caller: &Addr,
    id: u64,
    debt: &str,
    coll: &str,
    amount: u128,
) -> AnyResult<AppResponse> {
    let liquidator = s.liquidator.clone();
    match debt.strip_prefix("cw20:") {
        Some(token) => s.cw20_send(
            caller,
            &Addr::unchecked(token),
            &liquidator,
            amount,
            &liq::ReceiveMsg::Liquidate {
                position_id: id,
                debt_denom: debt.to_string(),
                collateral_denom: coll.to_string(),
                min_collateral_out: None,
            },
        ),
        None => s.exec(
            caller,
            &liquidator,
            &liq::ExecuteMsg::Liquidate {
                position_id: id,
                debt_denom: debt.to_string(),
                collateral_denom: coll.to_string(),
                min_collateral_out: None,
            },
            &coins(amount, debt),
        ),
    }
}

fn repay(
    s: &mut Suite,
    payer: &Addr,
    id: u64,
    denom: &str,
    amount: u128,
) -> AnyResult<AppResponse> {
    match denom.strip_prefix("cw20:") {
        Some(token) => {
            let market = s.market.clone();
            s.cw20_send(
                payer,
                &Addr::unchecked(token),
                &market,
                amount,
                &ReceiveMsg::Repay { position_id: id },
            )
        }
        None => s.exec_market(
            payer,
            &ExecuteMsg::Repay { position_id: id },
            &coins(amount, denom),
        ),
    }
}

fn withdraw(
    s: &mut Suite,
    owner: &Addr,
    id: u64,
    denom: &str,
    amount: Option<u128>,
) -> AnyResult<AppResponse> {
    s.exec_market(
        owner,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: denom.to_string(),
            amount: amount.map(Uint128::new),
            recipient: None,
        },
        &[],
    )
}

fn deposit(
    s: &mut Suite,
    from: &Addr,
    id: u64,
    funds: &[cosmwasm_std::Coin],
) -> AnyResult<AppResponse> {
    s.exec_market(
        from,
        &ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        funds,
    )
}

fn d(x: Decimal256) -> f64 {
    x.to_string().parse().unwrap()
}

fn lhf(p: &PositionResponse) -> f64 {
    p.health
        .as_ref()
        .and_then(|h| h.liquidation_health_factor)
        .map(d)
        .unwrap_or(f64::INFINITY)
}

/// Wallet (ETH, USDC, MOET) plus the positions' collateral minus debt, at spot, in MOET.
fn net_worth(s: &Suite, who: &Addr, ids: &[u64], eth_price: f64) -> f64 {
    let m = s.moet_denom();
    let wallet = s.balance(who, ETH).u128() as f64 / 1e18 * eth_price
        + s.balance(who, USDC).u128() as f64 / 1e6
        + s.balance(who, &m).u128() as f64 / 1e6;
    let mut positions = 0.0;
    for id in ids {
        let p = s.position(*id);
        positions += p
            .collateral
            .iter()
            .map(|b| d(b.value.unwrap()))
            .sum::<f64>();
        positions -= p.debt.iter().map(|b| d(b.value.unwrap())).sum::<f64>();
    }
    wallet + positions
}

// -------------------------------------------------------------------------------------------
// 1. Donation to inflate an empty market
// -------------------------------------------------------------------------------------------

/// The classic first-depositor attack: deposit one base unit, donate a fortune to the contract
/// so that one share is worth a fortune, and let the next depositor's share round to zero.
/// Keel tracks cash in its own books and ignores tokens sent outside its messages: the donation
/// changes no index, no share and no liquidity, and is simply lost by the attacker.
#[test]
fn donation_to_an_empty_market_does_not_inflate_shares() {
    let mut s = setup();
    let attacker = funded(&mut s, "attacker", &[(usdc(1_000_000) + 1, USDC)]);
    let victim = funded(&mut s, "victim", &[(usdc(1000), USDC)]);
    let a = s.open(&attacker, &coins(1, USDC)).unwrap();
    let market = s.market.clone();
    s.app
        .send_tokens(
            attacker.clone(),
            market.clone(),
            &coins(usdc(1_000_000), USDC),
        )
        .unwrap();
    let before = s.asset(USDC);
    assert_eq!(before.total_supply, Uint128::new(1));
    assert_eq!(before.supply_index, Decimal256::one());

    let v = s.open(&victim, &coins(usdc(1000), USDC)).unwrap();
    assert_eq!(
        collateral_of(&s.position(v), USDC),
        Uint128::new(usdc(1000))
    );
    assert_eq!(collateral_of(&s.position(a), USDC), Uint128::new(1));

    // The donation cannot be borrowed either: liquidity is the tracked cash only.
    let borrower = funded(&mut s, "borrower", &[(eth(1000), ETH)]);
    let b = s.open(&borrower, &coins(eth(1000), ETH)).unwrap();
    assert_fails(
        s.borrow(&borrower, b, USDC, usdc(1001)),
        "insufficient liquidity",
    );

    // Everyone gets back exactly what they put in; the attacker loses the donation.
    withdraw(&mut s, &attacker, a, USDC, Some(2)).unwrap_err();
    withdraw(&mut s, &attacker, a, USDC, None).unwrap();
    withdraw(&mut s, &victim, v, USDC, None).unwrap();
    assert_eq!(s.balance(&attacker, USDC), Uint128::new(1));
    assert_eq!(s.balance(&victim, USDC), Uint128::new(usdc(1000)));
    assert_eq!(s.balance(&market, USDC), Uint128::new(usdc(1_000_000)));
    assert_eq!(s.asset(USDC).total_supply, Uint128::zero());
}

// -------------------------------------------------------------------------------------------
// 2. Rounding drain
// -------------------------------------------------------------------------------------------

/// Many tiny deposits/withdrawals and borrows/repays at non-round indices: every rounding goes
/// the protocol's way, so the attacker ends with no more than it started with and the pool's
/// cash always covers its claims.
#[test]
fn rounding_drain_by_many_tiny_operations_gains_nothing() {
    let mut s = setup();
    let m = s.moet_denom();
    // Non-round indices: a year of interest at high utilization.
    let lender = funded(&mut s, "lender", &[(usdc(1000), USDC)]);
    s.open(&lender, &coins(usdc(1000), USDC)).unwrap();
    let borrower = funded(&mut s, "borrower", &[(eth(10), ETH)]);
    let b = s.open(&borrower, &coins(eth(10), ETH)).unwrap();
    s.borrow(&borrower, b, USDC, usdc(850)).unwrap();
    s.advance(YEAR / 3 + 17);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let idx = s.asset(USDC);
    assert_ne!(idx.supply_index, Decimal256::one());
    assert_ne!(idx.borrow_index, Decimal256::one());

    let attacker = funded(&mut s, "attacker", &[(usdc(100), USDC), (eth(1), ETH)]);
    // Extra MOET to cover the borrow's rounding up.
    let bot = s.addr("bot");
    let moet_token = s.moet.clone();
    s.exec(
        &bot,
        &moet_token,
        &Cw20ExecuteMsg::Transfer {
            recipient: attacker.to_string(),
            amount: Uint128::new(moet(1)),
        },
        &[],
    )
    .unwrap();
    let start = (
        s.balance(&attacker, USDC).u128(),
        s.balance(&attacker, ETH).u128(),
        s.balance(&attacker, &m).u128(),
    );
    let id = s.open(&attacker, &coins(usdc(10), USDC)).unwrap();
    deposit(&mut s, &attacker, id, &coins(eth(1), ETH)).unwrap();
    for i in 0..150u128 {
        deposit(&mut s, &attacker, id, &coins(1 + i % 3, USDC)).unwrap();
        let _ = withdraw(&mut s, &attacker, id, USDC, Some(1 + (i + 1) % 3));
    }
    // Tiny borrows and repays of a pool asset and of MOET.
    s.borrow(&attacker, id, USDC, usdc(2)).unwrap();
    s.borrow(&attacker, id, &m, moet(2)).unwrap();
    for i in 0..100u128 {
        repay(&mut s, &attacker, id, USDC, 1 + i % 2).unwrap();
        repay(&mut s, &attacker, id, &m, 1 + i % 2).unwrap();
        if i % 10 == 0 {
            let _ = s.borrow(&attacker, id, USDC, 1);
            let _ = s.borrow(&attacker, id, &m, 1);
        }
    }
    let debt_usdc = debt_of(&s.position(id), USDC).u128();
    let debt_moet = debt_of(&s.position(id), &m).u128();
    repay(&mut s, &attacker, id, USDC, debt_usdc + 5).unwrap();
    repay(&mut s, &attacker, id, &m, debt_moet + 5).unwrap();
    withdraw(&mut s, &attacker, id, USDC, None).unwrap();
    withdraw(&mut s, &attacker, id, ETH, None).unwrap();
    let end = (
        s.balance(&attacker, USDC).u128(),
        s.balance(&attacker, ETH).u128(),
        s.balance(&attacker, &m).u128(),
    );
    assert!(end.0 <= start.0, "USDC {} -> {}", start.0, end.0);
    assert!(end.1 <= start.1, "ETH {} -> {}", start.1, end.1);
    assert!(end.2 <= start.2, "MOET {} -> {}", start.2, end.2);
    // The pool still covers its claims.
    let a = s.asset(USDC);
    let cash = s.balance(&s.market.clone(), USDC).u128();
    assert!(cash + a.total_debt.u128() >= a.total_supply.u128() + a.reserves.u128());
}

// -------------------------------------------------------------------------------------------
// 3. A price pumped within one block
// -------------------------------------------------------------------------------------------

/// An attacker pumps the spot price inside one block (both feeders confirm it) and borrows
/// against it. Borrowing values collateral at `min(price, twap)`: the TWAP has not moved, so
/// the pump buys no extra borrowing power.
#[test]
fn borrowing_against_a_price_pumped_within_one_block_is_valued_at_the_twap() {
    let mut s = setup();
    let m = s.moet_denom();
    hold(&mut s, 1800, &[(ETH, "2000"), (USDC, "1")]);
    let user = funded(&mut s, "attacker", &[(eth(1), ETH)]);
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    push(&mut s, 0, ETH, "4000").unwrap();
    push(&mut s, 1, ETH, "4000").unwrap();
    let p = price(&s, ETH);
    assert_eq!(p.price, dec("4000"));
    assert_eq!(p.twap, Some(dec("2000")));
    // Spot says HF 2 at 1600 MOET of debt; the conservative floor allows 1600 at most.
    let max: MaxBorrowResponse = s
        .query_market(&QueryMsg::MaxBorrow {
            position_id: id,
            denom: m.clone(),
        })
        .unwrap();
    assert!(max.at_floor <= Uint128::new(moet(1600)), "{max:?}");
    assert_fails(s.borrow(&user, id, &m, moet(3000)), "below the floor");
    assert_fails(s.borrow(&user, id, &m, moet(1601)), "below the floor");
    s.borrow(&user, id, &m, max.at_floor.u128()).unwrap();
    // And withdrawing collateral against the pump is valued the same way.
    assert_fails(
        withdraw(&mut s, &user, id, ETH, Some(eth(1) / 10)),
        "below the floor",
    );
}

// -------------------------------------------------------------------------------------------
// 4. Self-liquidation
// -------------------------------------------------------------------------------------------

/// A borrower liquidates its own position to collect the bonus: the bonus comes out of its own
/// collateral, so its net worth does not grow; and a position at the borrow floor is not
/// liquidatable in the first place (LT > CF).
#[test]
fn self_liquidation_gains_nothing() {
    let mut s = setup();
    let m = s.moet_denom();
    let user = funded(&mut s, "borrower", &[(eth(1), ETH)]);
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    s.borrow(&user, id, &m, moet(1600)).unwrap();
    assert_fails(
        liquidate(&mut s, &user, id, &m, ETH, moet(1600)),
        "not liquidatable",
    );

    s.set_price(ETH, "1800");
    let p = s.position(id);
    assert!(lhf(&p) < 1.0);
    let before = net_worth(&s, &user, &[id], 1800.0);
    liquidate(&mut s, &user, id, &m, ETH, moet(1600)).unwrap();
    let after = net_worth(&s, &user, &[id], 1800.0);
    assert!(after <= before + 1e-9, "net worth {before} -> {after}");
    // It repaid some debt and got its own collateral back with the bonus: a wash at best.
    assert!(debt_of(&s.position(id), &m) < Uint128::new(moet(1600)));
}

// -------------------------------------------------------------------------------------------
// 5. Liquidating a healthy position
// -------------------------------------------------------------------------------------------

/// Neither the liquidator contract nor the liquidator's own address calling `seize` directly
/// (a faulty or compromised liquidator) can touch a healthy position; on a liquidatable one the
/// market itself enforces the close factor and the bonus cap.
#[test]
fn liquidating_a_healthy_position_fails() {
    let mut s = setup();
    let lender = funded(&mut s, "lender", &[(usdc(10_000), USDC)]);
    s.open(&lender, &coins(usdc(10_000), USDC)).unwrap();
    let user = funded(&mut s, "borrower", &[(eth(1), ETH)]);
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    s.borrow(&user, id, USDC, usdc(1500)).unwrap();
    let bot = funded(&mut s, "liquidator-bot", &[(usdc(5000), USDC)]);

    assert_fails(
        liquidate(&mut s, &bot, id, USDC, ETH, usdc(300)),
        "not liquidatable",
    );
    assert_eq!(s.balance(&bot, USDC), Uint128::new(usdc(5000)));

    let liquidator = s.liquidator.clone();
    s.fund(&liquidator, usdc(2000), USDC);
    let seize = |repay: u128, coll: u128| ExecuteMsg::Seize {
        position_id: id,
        debt_denom: USDC.to_string(),
        repay_amount: Uint128::new(repay),
        collateral_denom: ETH.to_string(),
        collateral_amount: Uint128::new(coll),
        recipient: liquidator.to_string(),
    };
    assert_fails(
        s.exec_market(
            &liquidator,
            &seize(usdc(300), eth(1) / 10),
            &coins(usdc(300), USDC),
        ),
        "not liquidatable",
    );
    // Anyone else calling seize is refused outright.
    assert_fails(
        s.exec_market(
            &bot,
            &seize(usdc(300), eth(1) / 10),
            &coins(usdc(300), USDC),
        ),
        "unauthorized",
    );

    s.set_price(ETH, "1700"); // LHF = 1700 * 0.85 / 1500 = 0.963
    assert!(lhf(&s.position(id)) < 1.0);
    // More than the market's close factor (50%)...
    assert_fails(
        s.exec_market(
            &liquidator,
            &seize(usdc(900), eth(1) / 10),
            &coins(usdc(900), USDC),
        ),
        "close factor",
    );
    // ... or collateral worth more than repay * (1 + 15%) is refused.
    assert_fails(
        s.exec_market(
            &liquidator,
            &seize(usdc(300), eth(1) / 4),
            &coins(usdc(300), USDC),
        ),
        "bonus",
    );
    // The permissionless path works and pays the 3% bonus only.
    let coll_before = collateral_of(&s.position(id), ETH).u128();
    liquidate(&mut s, &bot, id, USDC, ETH, usdc(300)).unwrap();
    let got = s.balance(&bot, ETH).u128() as f64 / 1e18 * 1700.0;
    let paid = usdc(5000) as f64 / 1e6 - s.balance(&bot, USDC).u128() as f64 / 1e6;
    assert!(got <= paid * 1.03 + 1e-9, "got {got} for {paid}");
    assert!(collateral_of(&s.position(id), ETH).u128() < coll_before);
}

// -------------------------------------------------------------------------------------------
// 6. Dust positions
// -------------------------------------------------------------------------------------------

/// Dust debt cannot be created (min_debt_value); a small debt is liquidated in full in one go
/// (the dust rule), profitably; and an underwater dust position is seized entirely and the rest
/// written off at once as bad debt, so nothing unliquidatable is left behind.
#[test]
fn dust_positions_cannot_be_left_unliquidatable() {
    let mut s = setup();
    let m = s.moet_denom();
    let user = funded(&mut s, "user", &[(eth(3), ETH)]);
    let big = s.open(&user, &coins(eth(1), ETH)).unwrap();
    assert_fails(s.borrow(&user, big, &m, moet(1) / 2), "below");
    s.borrow(&user, big, &m, moet(100)).unwrap();
    // A repay that would leave dust is refused.
    assert_fails(
        repay(&mut s, &user, big, &m, moet(100) - moet(1) / 2),
        "below",
    );

    // A small position: 0.01 ETH (20 MOET), 12 MOET of debt.
    let small = s.open(&user, &coins(eth(1) / 100, ETH)).unwrap();
    s.borrow(&user, small, &m, moet(12)).unwrap();
    let tiny = s.open(&user, &coins(eth(1) / 100, ETH)).unwrap();
    s.borrow(&user, tiny, &m, moet(12)).unwrap();
    s.set_price(ETH, "1400"); // LHF = 14 * 0.85 / 12 = 0.99
    assert!(lhf(&s.position(small)) < 1.0);
    let bot = s.addr("bot");
    let quote: liq::QuoteResponse = s
        .query(
            &s.liquidator,
            &liq::QueryMsg::Quote {
                position_id: small,
                debt_denom: m.clone(),
                collateral_denom: ETH.to_string(),
                repay_amount: None,
            },
        )
        .unwrap();
    assert_eq!(
        quote.max_repay,
        Uint128::new(moet(12)),
        "whole debt: the rest would be dust"
    );
    assert!(quote.bonus_value > Decimal256::zero());
    liquidate(&mut s, &bot, small, &m, ETH, moet(12)).unwrap();
    assert!(s.position(small).debt.is_empty());

    // Underwater: collateral worth 10, debt 12.
    s.set_price(ETH, "1000");
    let res = liquidate(&mut s, &bot, tiny, &m, ETH, moet(12)).unwrap();
    assert!(res.events.iter().any(|e| e.ty == "wasm-bad_debt"));
    let p = s.position(tiny);
    assert!(p.debt.is_empty() && p.collateral.is_empty());
    assert!(s.asset(&m).deficit > Uint128::zero());
    // The written-off debt is a deficit that reserves must cover first.
    let owner = s.owner.clone();
    assert_fails(
        s.exec_market(
            &owner,
            &ExecuteMsg::WithdrawReserves {
                denom: m.clone(),
                amount: Uint128::new(1),
                recipient: None,
            },
            &[],
        ),
        "reserves",
    );
}

// -------------------------------------------------------------------------------------------
// 7. Stale or unconfirmed prices
// -------------------------------------------------------------------------------------------

/// A single feeder's large jump is held as pending and not used: a crash does not make
/// positions liquidatable, a pump gives no borrowing power. A stale price stops every action
/// that needs one (borrow, withdraw with debt, liquidation), while repay and deposit still work.
#[test]
fn stale_or_unconfirmed_prices_are_not_used() {
    let mut s = setup();
    let m = s.moet_denom();
    let user = funded(&mut s, "user", &[(eth(2), ETH)]);
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    s.borrow(&user, id, &m, moet(1500)).unwrap();
    let bot = s.addr("bot");

    // Unconfirmed crash: one feeder, -40%.
    push(&mut s, 0, ETH, "1200").unwrap();
    assert_eq!(price(&s, ETH).price, dec("2000"));
    assert!(lhf(&s.position(id)) > 1.0);
    assert_fails(
        liquidate(&mut s, &bot, id, &m, ETH, moet(300)),
        "not liquidatable",
    );
    // Unconfirmed pump: one feeder, +100%.
    push(&mut s, 0, ETH, "4000").unwrap();
    assert_eq!(price(&s, ETH).price, dec("2000"));
    assert_fails(s.borrow(&user, id, &m, moet(200)), "below the floor");

    // Stale: no push for more than max_age.
    s.advance(MAX_AGE + 1);
    assert_fails(s.borrow(&user, id, &m, moet(1)), ETH);
    assert_fails(withdraw(&mut s, &user, id, ETH, Some(1)), ETH);
    assert_fails(liquidate(&mut s, &bot, id, &m, ETH, moet(300)), "");
    let p = s.position(id);
    assert_eq!(p.price_error.as_deref(), Some(ETH));
    assert!(p.health.is_none());
    // Repay and deposit never need a price.
    repay(&mut s, &user, id, &m, moet(100)).unwrap();
    deposit(&mut s, &user, id, &coins(eth(1), ETH)).unwrap();
}

// -------------------------------------------------------------------------------------------
// 8. A cw20 that is not the listed one
// -------------------------------------------------------------------------------------------

/// The asset of a cw20 hook is the token contract that calls `receive` (`cw20:<sender>`), never
/// something the message claims: a look-alike token, or a user calling `receive` directly with a
/// made-up `Cw20ReceiveMsg`, is an unlisted asset; a listed token cannot pay another's debt.
#[test]
fn a_cw20_that_is_not_the_listed_one_cannot_use_the_receive_hook() {
    let mut s = setup();
    let m = s.moet_denom();
    let user = s.addr("user");
    s.fund(&user, eth(1), ETH);
    let real = s.create_cw20("TKA", 6, &[(&user, usdc(1000))]);
    let fake = s.create_cw20("TKA", 6, &[(&user, usdc(1_000_000))]);
    s.list_asset(&format!("cw20:{real}"), pool_params(6))
        .unwrap();
    s.set_price(&format!("cw20:{real}"), "5");
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    s.borrow(&user, id, &m, moet(100)).unwrap();
    let market = s.market.clone();

    let hooks = [
        ReceiveMsg::OpenPosition {
            automation: None,
            push_to_draw_down_sink: false,
        },
        ReceiveMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        ReceiveMsg::Repay { position_id: id },
        ReceiveMsg::Seize {
            position_id: id,
            debt_denom: m.clone(),
            repay_amount: Uint128::new(usdc(1000)),
            collateral_denom: ETH.to_string(),
            collateral_amount: Uint128::new(eth(1)),
            recipient: user.to_string(),
        },
    ];
    for hook in &hooks {
        let res = s.cw20_send(&user, &fake, &market, usdc(1000), hook);
        let text = err_text(res);
        assert!(
            text.contains("not listed") || text.contains("unauthorized"),
            "{hook:?}: {text}"
        );
    }
    assert_eq!(
        s.balance(&user, &format!("cw20:{fake}")),
        Uint128::new(usdc(1_000_000))
    );

    // A user pretending to be a token contract.
    for hook in &hooks {
        let forged = ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: user.to_string(),
            amount: Uint128::new(usdc(1_000_000)),
            msg: to_json_binary(hook).unwrap(),
        });
        let text = err_text(s.exec_market(&user, &forged, &[]));
        assert!(
            text.contains("not listed") || text.contains("unauthorized"),
            "{text}"
        );
    }
    // The listed token cannot repay MOET debt.
    assert_fails(
        s.cw20_send(
            &user,
            &real,
            &market,
            usdc(10),
            &ReceiveMsg::Repay { position_id: id },
        ),
        "no debt",
    );
    // Nor can the look-alike pay a liquidation of MOET debt.
    let liquidator = s.liquidator.clone();
    assert_fails(
        s.cw20_send(
            &user,
            &fake,
            &liquidator,
            usdc(100),
            &liq::ReceiveMsg::Liquidate {
                position_id: id,
                debt_denom: m.clone(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
        ),
        "debt denom",
    );
    assert_eq!(debt_of(&s.position(id), &m), Uint128::new(moet(100)));
}

// -------------------------------------------------------------------------------------------
// 9. Unauthorised calls
// -------------------------------------------------------------------------------------------

/// Every admin and privileged message of the market, the oracle, the liquidator and MOET, sent
/// by someone without the right, fails; so do owner-only position messages from another user.
#[test]
fn unauthorised_calls_to_every_admin_and_privileged_message_fail() {
    let mut s = setup();
    let m = s.moet_denom();
    let guardian = s.addr("guardian");
    let owner = s.owner.clone();
    s.update_config(ConfigUpdate {
        guardian: Some(guardian.to_string()),
        ..Default::default()
    });
    let mallory = funded(&mut s, "mallory", &[(usdc(1000), USDC)]);
    let user = funded(&mut s, "user", &[(eth(1), ETH)]);
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    s.borrow(&user, id, &m, moet(100)).unwrap();
    let market = s.market.clone();

    let market_msgs = vec![
        ExecuteMsg::ListAsset {
            denom: "unew".to_string(),
            params: pool_params(6),
        },
        ExecuteMsg::UpdateAsset {
            denom: ETH.to_string(),
            params: pool_params(18),
        },
        ExecuteMsg::UpdateConfig(ConfigUpdate {
            liquidator: Some(mallory.to_string()),
            ..Default::default()
        }),
        ExecuteMsg::UpdateConfig(ConfigUpdate {
            oracle: Some(mallory.to_string()),
            ..Default::default()
        }),
        ExecuteMsg::TransferOwnership {
            new_owner: mallory.to_string(),
        },
        ExecuteMsg::AcceptOwnership {},
        ExecuteMsg::WithdrawReserves {
            denom: m.clone(),
            amount: Uint128::new(1),
            recipient: Some(mallory.to_string()),
        },
        ExecuteMsg::Withdraw {
            position_id: id,
            denom: ETH.to_string(),
            amount: None,
            recipient: Some(mallory.to_string()),
        },
        ExecuteMsg::Borrow {
            position_id: id,
            denom: m.clone(),
            amount: Uint128::new(moet(10)),
            recipient: Some(mallory.to_string()),
            to_collateral: false,
        },
        ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(Automation {
                draw_down_sink: Some(keel_types::market::DrawDownSink {
                    address: mallory.to_string(),
                    msg: None,
                }),
                top_up_source: None,
                health: None,
                self_repay: false,
            }),
        },
    ];
    for msg in &market_msgs {
        assert_fails(s.exec_market(&mallory, msg, &[]), "unauthorized");
    }
    // Seize from anyone but the liquidator; deposit asking for a push on another's position.
    assert_fails(
        s.exec_market(
            &mallory,
            &ExecuteMsg::Seize {
                position_id: id,
                debt_denom: USDC.to_string(),
                repay_amount: Uint128::new(usdc(10)),
                collateral_denom: ETH.to_string(),
                collateral_amount: Uint128::new(eth(1)),
                recipient: mallory.to_string(),
            },
            &coins(usdc(10), USDC),
        ),
        "unauthorized",
    );
    assert_fails(
        s.exec_market(
            &mallory,
            &ExecuteMsg::Deposit {
                position_id: id,
                push_to_draw_down_sink: true,
            },
            &coins(usdc(10), USDC),
        ),
        "unauthorized",
    );
    // A pending owner is not the owner; only it may accept.
    s.exec_market(
        &owner,
        &ExecuteMsg::TransferOwnership {
            new_owner: user.to_string(),
        },
        &[],
    )
    .unwrap();
    assert_fails(
        s.exec_market(&mallory, &ExecuteMsg::AcceptOwnership {}, &[]),
        "unauthorized",
    );
    assert_fails(
        s.exec_market(
            &user,
            &ExecuteMsg::ListAsset {
                denom: "unew".to_string(),
                params: pool_params(6),
            },
            &[],
        ),
        "unauthorized",
    );
    // The guardian may only disable.
    let mut params = s.asset(ETH).params;
    params.collateral_factor = dec("0.9");
    params.liquidation_threshold = dec("0.95");
    assert_fails(
        s.exec_market(
            &guardian,
            &ExecuteMsg::UpdateAsset {
                denom: ETH.to_string(),
                params,
            },
            &[],
        ),
        "unauthorized",
    );

    // Oracle.
    let o = s.oracle.clone();
    let oracle_msgs = vec![
        oracle::ExecuteMsg::SetFeeders {
            add: vec![mallory.to_string()],
            remove: vec![],
        },
        oracle::ExecuteMsg::SetPriceSources {
            denom: ETH.to_string(),
            sources: vec![oracle::PriceSource::Fixed {
                price: dec("1000000"),
            }],
            max_age: None,
            max_deviation: None,
        },
        oracle::ExecuteMsg::UpdateConfig {
            base_denom: None,
            max_age: Some(10_000_000),
            max_deviation: Some(dec("100")),
            twap_window: None,
        },
        oracle::ExecuteMsg::TransferOwnership {
            new_owner: mallory.to_string(),
        },
        oracle::ExecuteMsg::AcceptOwnership {},
        oracle::ExecuteMsg::PushPrices {
            prices: vec![oracle::PriceInput {
                denom: ETH.to_string(),
                price: dec("100000"),
            }],
        },
    ];
    for msg in &oracle_msgs {
        assert!(s.exec(&mallory, &o, msg, &[]).is_err(), "oracle {msg:?}");
    }
    assert_eq!(price(&s, ETH).price, dec("2000"));

    // Liquidator.
    let l = s.liquidator.clone();
    let liq_msgs = vec![
        liq::ExecuteMsg::UpdateConfig {
            market: Some(mallory.to_string()),
            close_factor: Some(Decimal::one()),
            liquidation_bonus: Some(dec("0.9")),
        },
        liq::ExecuteMsg::TransferOwnership {
            new_owner: mallory.to_string(),
        },
        liq::ExecuteMsg::AcceptOwnership {},
    ];
    for msg in &liq_msgs {
        assert!(
            s.exec(&mallory, &l, msg, &[]).is_err(),
            "liquidator {msg:?}"
        );
    }

    // MOET: only the market mints.
    let moet_token = s.moet.clone();
    assert!(s
        .exec(
            &mallory,
            &moet_token,
            &Cw20ExecuteMsg::Mint {
                recipient: mallory.to_string(),
                amount: Uint128::new(moet(1_000_000)),
            },
            &[],
        )
        .is_err());

    // Migration is the chain admin's (the owner's) only.
    let code = s.app.contract_data(&market).unwrap().code_id;
    assert!(s
        .app
        .migrate_contract(mallory.clone(), market.clone(), &MigrateMsg {}, code)
        .is_err());

    // Nothing moved.
    assert_eq!(s.balance(&mallory, &m), Uint128::zero());
    assert_eq!(s.balance(&mallory, ETH), Uint128::zero());
    assert_eq!(collateral_of(&s.position(id), ETH), Uint128::new(eth(1)));
}

// -------------------------------------------------------------------------------------------
// 10. Overflow at the largest amounts
// -------------------------------------------------------------------------------------------

/// The largest amounts and prices the SPEC covers (decimals 18, price 1e12) and beyond: every
/// message either works or fails with an error; nothing panics, nothing is partially applied,
/// and queries keep answering.
#[test]
fn overflow_at_the_largest_amounts_fails_cleanly() {
    let mut s = setup();
    let m = s.moet_denom();
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::UpdateAsset {
            denom: m.clone(),
            params: moet_params("0.05"),
        },
        &[],
    )
    .unwrap();
    let big = "ubig";
    s.list_asset(big, pool_params(18)).unwrap();
    s.set_price(big, "1000000000000");
    let whale = s.addr("whale");
    s.fund(&whale, u128::MAX, big);

    // u128::MAX base units: the scaled amount does not fit (SCALE extra digits): refused.
    assert!(s.open(&whale, &coins(u128::MAX, big)).is_err());
    assert_eq!(s.balance(&whale, big), Uint128::MAX);
    // 1e32 base units (1e14 tokens at 1e12 MOET each: 1e26 MOET of value) works.
    let n = 10u128.pow(32);
    let id = s.open(&whale, &coins(n, big)).unwrap();
    let p = s.position(id);
    assert_eq!(collateral_of(&p, big), Uint128::new(n));
    assert!(p.health.is_some());
    // Borrowing more than exists, or u128::MAX, fails cleanly.
    assert!(s.borrow(&whale, id, &m, u128::MAX).is_err());
    assert!(s.borrow(&whale, id, big, n + 1).is_err());
    assert!(withdraw(&mut s, &whale, id, big, Some(u128::MAX)).is_err());
    // A huge but valid MOET debt, then a year of interest.
    let debt = 10u128.pow(30);
    s.borrow(&whale, id, &m, debt).unwrap();
    s.advance(YEAR);
    s.set_price(big, "1000000000000");
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let owed = debt_of(&s.position(id), &m).u128();
    assert!(owed > debt);
    // Repaying u128::MAX-ish amounts refunds the excess; the whale owes a bit of interest more
    // than it holds, so it first gets more MOET.
    s.borrow(&whale, id, &m, owed / 10).unwrap();
    let owed = debt_of(&s.position(id), &m).u128();
    let held = s.balance(&whale, &m).u128();
    repay(&mut s, &whale, id, &m, held.min(owed)).unwrap();
    let queries: AnyResult<Vec<PositionResponse>> = s.query_market(&QueryMsg::Positions {
        owner: None,
        start_after: None,
        limit: None,
    });
    assert!(queries.is_ok());
    withdraw(&mut s, &whale, id, big, Some(n / 2)).unwrap();
    // Prices at the edges of the SPEC range value without overflow.
    s.set_price(big, "0.000000000001");
    let p = s.position(id);
    assert!(p.health.is_some());
}

// -------------------------------------------------------------------------------------------
// 11. A top-up source that drains
// -------------------------------------------------------------------------------------------

/// A position relies on a top-up source that then empties its balance or revokes its allowance
/// while the position is liquidatable: the rebalance pulls nothing and fails (all-or-nothing),
/// the position stays liquidatable and liquidators can still close it. A source that can give
/// enough rescues it.
#[test]
fn a_draining_top_up_source_cannot_keep_a_position_from_liquidation() {
    let mut s = setup();
    let m = s.moet_denom();
    let moet_token = s.moet.clone();
    let market = s.market.clone();
    let bot = s.addr("bot");
    let source = s.addr("source");
    s.exec(
        &bot,
        &moet_token,
        &Cw20ExecuteMsg::Transfer {
            recipient: source.to_string(),
            amount: Uint128::new(moet(2000)),
        },
        &[],
    )
    .unwrap();
    let allow = |n: u128| Cw20ExecuteMsg::IncreaseAllowance {
        spender: market.to_string(),
        amount: Uint128::new(n),
        expires: None,
    };
    s.exec(&source, &moet_token, &allow(moet(2000)), &[])
        .unwrap();

    let user = funded(&mut s, "user", &[(eth(2), ETH)]);
    let id = s.open(&user, &coins(eth(1), ETH)).unwrap();
    s.borrow(&user, id, &m, moet(1500)).unwrap();
    s.exec_market(
        &user,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(Automation {
                draw_down_sink: None,
                top_up_source: Some(source.to_string()),
                health: Some(HealthBounds {
                    min: dec("1.1"),
                    target: dec("1.3"),
                    max: dec("1.5"),
                }),
                self_repay: false,
            }),
        },
        &[],
    )
    .unwrap();
    s.exec_market(
        &source,
        &ExecuteMsg::AllowTopUp {
            position_id: id,
            amount: Uint128::new(moet(2000)),
        },
        &[],
    )
    .unwrap();
    s.set_price(ETH, "1700"); // LHF 0.963, liquidatable
    assert!(lhf(&s.position(id)) < 1.0);

    // The source drains its balance to 10 MOET.
    let elsewhere = s.addr("elsewhere");
    s.exec(
        &source,
        &moet_token,
        &Cw20ExecuteMsg::Transfer {
            recipient: elsewhere.to_string(),
            amount: Uint128::new(moet(1990)),
        },
        &[],
    )
    .unwrap();
    let keeper = s.addr("keeper");
    let debt_before = debt_of(&s.position(id), &m);
    assert!(s
        .exec_market(&keeper, &ExecuteMsg::Rebalance { position_id: id }, &[])
        .is_err());
    assert_eq!(s.balance(&source, &m), Uint128::new(moet(10)));
    assert_eq!(debt_of(&s.position(id), &m), debt_before);

    // Balance back, allowance revoked.
    s.exec(
        &elsewhere,
        &moet_token,
        &Cw20ExecuteMsg::Transfer {
            recipient: source.to_string(),
            amount: Uint128::new(moet(1990)),
        },
        &[],
    )
    .unwrap();
    s.exec(
        &source,
        &moet_token,
        &Cw20ExecuteMsg::DecreaseAllowance {
            spender: market.to_string(),
            amount: Uint128::new(moet(1995)),
            expires: None,
        },
        &[],
    )
    .unwrap();
    assert!(s
        .exec_market(&keeper, &ExecuteMsg::Rebalance { position_id: id }, &[])
        .is_err());
    assert_eq!(s.balance(&source, &m), Uint128::new(moet(2000)));

    // Liquidators are not blocked by the automation.
    liquidate(&mut s, &bot, id, &m, ETH, moet(300)).unwrap();
    assert!(debt_of(&s.position(id), &m) < debt_before);

    // A source that can give enough rescues the position.
    s.exec(&source, &moet_token, &allow(moet(2000)), &[])
        .unwrap();
    assert!(
        lhf(&s.position(id)) < 1.0,
        "still liquidatable after one liquidation"
    );
    let before = s.balance(&source, &m);
    let res = s
        .exec_market(&keeper, &ExecuteMsg::Rebalance { position_id: id }, &[])
        .unwrap();
    assert!(res
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .any(|a| a.key == "topped_up"));
    assert!(lhf(&s.position(id)) >= 1.0);
    let hf = d(s.position(id).health.unwrap().health_factor.unwrap());
    assert!((1.3..1.31).contains(&hf), "back to the target: {hf}");
    assert!(s.balance(&source, &m) < before);
}

// -------------------------------------------------------------------------------------------
// Redemptions
// -------------------------------------------------------------------------------------------

fn redeem_msg(id: u64, denom: &str) -> ReceiveMsg {
    ReceiveMsg::Redeem {
        position_id: id,
        collateral_denom: denom.to_string(),
        min_collateral_out: None,
    }
}

/// A redeemer with `n` MOET from the bot.
fn moet_holder(s: &mut Suite, name: &str, n: u128) -> Addr {
    let (bot, token, who) = (s.addr("bot"), s.moet.clone(), s.addr(name));
    s.exec(
        &bot,
        &token,
        &Cw20ExecuteMsg::Transfer {
            recipient: who.to_string(),
            amount: Uint128::new(n),
        },
        &[],
    )
    .unwrap();
    who
}

/// Many redemptions of one base unit of MOET each: every one pays at most 0.995 of a unit in
/// collateral (rounded down), so the redeemer ends with less value than it started with and
/// the position never loses value.
#[test]
fn tiny_redemptions_gain_nothing_from_rounding() {
    let mut s = setup();
    let m = s.moet_denom();
    let owner = funded(&mut s, "owner", &[(eth(1), ETH)]);
    let id = s.open(&owner, &coins(eth(1), ETH)).unwrap();
    s.borrow(&owner, id, &m, moet(1300)).unwrap();
    let who = moet_holder(&mut s, "attacker", moet(1));
    let (token, market) = (s.moet.clone(), s.market.clone());
    let worth_before = net_worth(&s, &who, &[], 2000.0);
    let owner_before = net_worth(&s, &owner, &[id], 2000.0);
    for _ in 0..200 {
        s.cw20_send(&who, &token, &market, 1, &redeem_msg(id, ETH))
            .unwrap();
    }
    let worth_after = net_worth(&s, &who, &[], 2000.0);
    assert!(
        worth_after < worth_before,
        "{worth_before} -> {worth_after}"
    );
    // 200 units of MOET for at most 200 * 0.995 units of value
    assert!(worth_before - worth_after >= 200.0 * 0.005e-6 * 0.99);
    assert!(net_worth(&s, &owner, &[id], 2000.0) >= owner_before);
}

/// A feeder pushes the collateral's price down within the guard in the block of the
/// redemption, to be paid more collateral per MOET: the redemption price is
/// `max(price, twap)`, and the TWAP has not moved.
#[test]
fn a_price_pushed_down_in_the_redemptions_block_pays_no_more_collateral() {
    let mut s = setup();
    let m = s.moet_denom();
    hold(&mut s, 1800, &[(ETH, "2000"), (USDC, "1")]);
    let owner = funded(&mut s, "owner", &[(eth(1), ETH)]);
    let id = s.open(&owner, &coins(eth(1), ETH)).unwrap();
    s.borrow(&owner, id, &m, moet(1300)).unwrap();
    push(&mut s, 0, ETH, "1850").unwrap();
    push(&mut s, 1, ETH, "1850").unwrap();
    let p = price(&s, ETH);
    assert_eq!((p.price, p.twap), (dec("1850"), Some(dec("2000"))));
    let who = moet_holder(&mut s, "attacker", moet(100));
    let (token, market) = (s.moet.clone(), s.market.clone());
    s.cw20_send(&who, &token, &market, moet(100), &redeem_msg(id, ETH))
        .unwrap();
    // at 2000, not 1850: floor(100 * 0.995 / 2000) ETH
    assert_eq!(s.balance(&who, ETH).u128(), 49_750_000_000_000_000);
}

/// Redeem a liquidatable position, then liquidate it: the redemption lifts its LHF, so the
/// pair gains no more than the liquidation's bonus would alone.
#[test]
fn redeeming_a_position_then_liquidating_it_gains_no_more_than_the_bonus() {
    let mut s = setup();
    let m = s.moet_denom();
    let owner = funded(&mut s, "owner", &[(eth(1), ETH)]);
    let id = s.open(&owner, &coins(eth(1), ETH)).unwrap();
    s.borrow(&owner, id, &m, moet(1500)).unwrap();
    s.set_price(ETH, "1700"); // LHF 0.963
    let who = moet_holder(&mut s, "attacker", moet(2000));
    let before = net_worth(&s, &who, &[], 1700.0);
    let lhf_before = lhf(&s.position(id));
    let (token, market) = (s.moet.clone(), s.market.clone());
    s.cw20_send(&who, &token, &market, moet(300), &redeem_msg(id, ETH))
        .unwrap();
    assert!(lhf(&s.position(id)) > lhf_before);
    let repaid_by_liquidation = if lhf(&s.position(id)) < 1.0 {
        let debt = debt_of(&s.position(id), &m).u128();
        liquidate(&mut s, &who, id, &m, ETH, debt).unwrap();
        (debt - debt_of(&s.position(id), &m).u128()) as f64 / 1e6
    } else {
        assert_fails(
            liquidate(&mut s, &who, id, &m, ETH, moet(300)),
            "not liquidatable",
        );
        0.0
    };
    let gain = net_worth(&s, &who, &[], 1700.0) - before;
    // the redemption itself loses the fee; the liquidation gains at most 3% of what it repaid
    assert!(gain <= repaid_by_liquidation * 0.03 + 1e-6, "gain {gain}");
}
