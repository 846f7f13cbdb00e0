//! MOET redemptions (SPEC 3.6a), with the worked numbers of the spec: ETH at 2000 MOET (CF 0.8,
//! LT 0.85, 18 decimals), fee 0.005, redemption health 1.3. Every redemption here is made by a
//! stranger to the position: the owner is never asked.
use anyhow::Result as AnyResult;
use cosmwasm_std::{coins, Addr, Decimal256, Uint128};
use cw20::Cw20ExecuteMsg;
use cw_multi_test::AppResponse;
use keel_tests::*;
use keel_types::liquidator as liq;
use keel_types::market::{
    Automation, ConfigResponse, ConfigUpdate, DrawDownSink, ExecuteMsg, QueryMsg, ReceiveMsg,
    RedeemablePositionsResponse, RedemptionQuoteResponse,
};
use keel_types::HealthBounds;

const YEAR: u64 = 31_536_000;

fn moet(n: u128) -> u128 {
    usdc(n)
}

/// A stranger with 10,000 MOET.
fn redeemer(s: &mut Suite) -> Addr {
    let (bot, token, who) = (s.addr("bot"), s.moet.clone(), s.addr("redeemer"));
    s.exec(
        &bot,
        &token,
        &Cw20ExecuteMsg::Transfer {
            recipient: who.to_string(),
            amount: Uint128::new(moet(10_000)),
        },
        &[],
    )
    .unwrap();
    who
}

/// `eth_amount` of ETH owing `debt` MOET.
fn position(s: &mut Suite, name: &str, eth_amount: u128, debt: u128) -> u64 {
    let owner = s.addr(name);
    s.fund(&owner, eth_amount, ETH);
    let id = s.open(&owner, &coins(eth_amount, ETH)).unwrap();
    let m = s.moet_denom();
    s.borrow(&owner, id, &m, debt).unwrap();
    id
}

fn redeem(
    s: &mut Suite,
    who: &Addr,
    id: u64,
    denom: &str,
    amount: u128,
    min_out: Option<u128>,
) -> AnyResult<AppResponse> {
    let (token, market) = (s.moet.clone(), s.market.clone());
    s.cw20_send(
        who,
        &token,
        &market,
        amount,
        &ReceiveMsg::Redeem {
            position_id: id,
            collateral_denom: denom.to_string(),
            min_collateral_out: min_out.map(Uint128::new),
        },
    )
}

fn quote(s: &Suite, id: u64, denom: &str, amount: Option<u128>) -> RedemptionQuoteResponse {
    s.query_market(&QueryMsg::RedemptionQuote {
        position_id: id,
        collateral_denom: denom.to_string(),
        amount: amount.map(Uint128::new),
    })
    .unwrap()
}

fn hf(s: &Suite, id: u64) -> Decimal256 {
    s.position(id).health.unwrap().health_factor.unwrap()
}

fn lhf(s: &Suite, id: u64) -> Decimal256 {
    s.position(id)
        .health
        .unwrap()
        .liquidation_health_factor
        .unwrap()
}

fn refused(res: AnyResult<AppResponse>, needle: &str) {
    let text = err_text(res.expect_err("the redemption was refused"));
    assert!(text.contains(needle), "expected {needle:?} in: {text}");
}

fn attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm-redeem")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// The spec's example: 1 ETH and 1300 MOET of debt (HF 1.2308); 100 MOET redeem
/// floor(100 * 0.995 / 2000) = 0.04975 ETH, leaving 1200 MOET of debt, 0.95025 ETH, HF 1.267.
#[test]
fn redeeming_100_moet_pays_0_04975_eth_and_lifts_the_health_factor() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let id = position(&mut s, "alice", eth(1), moet(1300));
    let who = redeemer(&mut s);
    let supply_before = s.asset(&m).total_debt;
    let q = quote(&s, id, ETH, Some(moet(100)));
    assert!(q.redeemable);
    let res = redeem(
        &mut s,
        &who,
        id,
        ETH,
        moet(100),
        Some(49_750_000_000_000_000),
    )
    .unwrap();
    assert_eq!(s.balance(&who, ETH).u128(), 49_750_000_000_000_000);
    assert_eq!(s.balance(&who, &m).u128(), moet(10_000) - moet(100));
    let p = s.position(id);
    assert_eq!(debt_of(&p, &m).u128(), moet(1200));
    assert_eq!(collateral_of(&p, ETH).u128(), 950_250_000_000_000_000);
    // HF = 0.95025 * 2000 * 0.8 / 1200 = 1.267
    assert_eq!(hf(&s, id), d256("1.267"));
    // The MOET was burnt: total MOET debt fell by 100.
    assert_eq!(
        s.asset(&m).total_debt.u128(),
        supply_before.u128() - moet(100)
    );
    // The quote made in the same block said exactly this.
    assert_eq!(q.repay_amount.u128(), moet(100));
    assert_eq!(q.collateral_out.u128(), 49_750_000_000_000_000);
    assert_eq!(q.health_after, Some(d256("1.267")));
    // fee = 100 - 0.04975 * 2000 = 0.5 MOET, which stays in the position
    assert_eq!(q.fee_value, d256("0.5"));
    assert_eq!(attr(&res, "repay_amount").as_deref(), Some("100000000"));
    assert_eq!(attr(&res, "redeemer"), Some(who.to_string()));
}

/// The cap for that position: (1.3 * 1300 - 1600) / (1.3 - 0.995 * 0.8) = 178.571428 MOET;
/// sending more refunds the rest, and the position ends at HF 1.3.
#[test]
fn a_redemption_is_capped_where_it_lifts_the_position_to_the_redemption_health() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let id = position(&mut s, "alice", eth(1), moet(1300));
    let who = redeemer(&mut s);
    let q = quote(&s, id, ETH, None);
    assert_eq!(q.repay_amount.u128(), 178_571_428);
    redeem(&mut s, &who, id, ETH, moet(500), None).unwrap();
    assert_eq!(s.balance(&who, &m).u128(), moet(10_000) - 178_571_428);
    assert_eq!(
        debt_of(&s.position(id), &m).u128(),
        moet(1300) - 178_571_428
    );
    let after = hf(&s, id);
    let target: Decimal256 = "1.3".parse().unwrap();
    assert!(
        after <= target && target - after < "0.000001".parse().unwrap(),
        "{after}"
    );
    // At the threshold: nothing more to redeem.
    assert!(!quote(&s, id, ETH, None).redeemable);
    refused(
        redeem(&mut s, &who, id, ETH, moet(10), None),
        "is not redeemable",
    );
}

#[test]
fn a_position_at_or_above_the_redemption_health_is_refused_and_nothing_changes() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    // HF = 1600 / 1230 = 1.3008
    let id = position(&mut s, "alice", eth(1), moet(1230));
    let who = redeemer(&mut s);
    let before = s.snapshot(&[(&who, &m), (&who, ETH)]);
    refused(
        redeem(&mut s, &who, id, ETH, moet(100), None),
        "is not redeemable",
    );
    assert_eq!(s.snapshot(&[(&who, &m), (&who, ETH)]), before);
    let q = quote(&s, id, ETH, Some(moet(100)));
    assert!(!q.redeemable && q.repay_amount.is_zero() && q.collateral_out.is_zero());
}

fn set_bounds(s: &mut Suite, id: u64, owner: &str, sink: bool, bounds: (&str, &str, &str)) {
    let owner = s.addr(owner);
    let sink_addr = s.addr("sink");
    s.exec_market(
        &owner,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(Automation {
                draw_down_sink: sink.then(|| DrawDownSink {
                    address: sink_addr.to_string(),
                    msg: None,
                }),
                top_up_source: None,
                health: Some(HealthBounds {
                    min: dec(bounds.0),
                    target: dec(bounds.1),
                    max: dec(bounds.2),
                }),
                self_repay: false,
            }),
        },
        &[],
    )
    .unwrap();
}

/// An owner's low automation bounds do not shield a position: only its own `max`, and only
/// with a draw-down sink (so that a redemption never sets off a draw-down), lowers the
/// threshold.
#[test]
fn low_automation_bounds_shield_a_position_only_with_a_sink_and_only_down_to_its_max() {
    let mut s = Suite::with_eth_and_usdc();
    let who = redeemer(&mut s);
    // HF = 1600 / 1280 = 1.25
    let id = position(&mut s, "alice", eth(1), moet(1280));
    set_bounds(&mut s, id, "alice", false, ("1.02", "1.05", "1.1"));
    assert!(
        quote(&s, id, ETH, None).redeemable,
        "no sink: the threshold stays 1.3"
    );
    set_bounds(&mut s, id, "alice", true, ("1.1", "1.15", "1.2"));
    assert!(
        !quote(&s, id, ETH, None).redeemable,
        "sink and max 1.2: HF 1.25 is above it"
    );
    refused(
        redeem(&mut s, &who, id, ETH, moet(10), None),
        "not below 1.2",
    );
    set_bounds(&mut s, id, "alice", true, ("1.1", "1.25", "1.4"));
    assert!(
        quote(&s, id, ETH, None).redeemable,
        "max 1.4 is above 1.3: 1.3 applies"
    );
}

/// The collateral chosen caps the payout: 10 USDC held, 100 MOET sent.
#[test]
fn a_redemption_capped_by_the_collateral_held_takes_all_of_it_for_less_moet() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    let owner = s.addr("alice");
    let id = position(&mut s, "alice", eth(1), moet(1000));
    s.fund(&owner, usdc(10), USDC);
    s.exec_market(
        &owner,
        &ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        &coins(usdc(10), USDC),
    )
    .unwrap();
    s.borrow(&owner, id, &m, moet(250)).unwrap(); // HF = 1608 / 1250 = 1.2864
    redeem(&mut s, &who, id, USDC, moet(100), None).unwrap();
    assert_eq!(s.balance(&who, USDC).u128(), usdc(10));
    // repay = ceil(10 / 0.995) = ceil(10.0502512..) = 10.050252 MOET; the rest refunded
    assert_eq!(s.balance(&who, &m).u128(), moet(10_000) - 10_050_252);
    let p = s.position(id);
    assert_eq!(collateral_of(&p, USDC), Uint128::zero());
    assert_eq!(debt_of(&p, &m).u128(), moet(1250) - 10_050_252);
}

/// A liquidatable position may be redeemed while the redemption raises its LHF, and not once
/// it would lower it (LHF at or below 0.995 * 0.85 = 0.84575): such positions are left to
/// liquidation.
#[test]
fn a_liquidatable_position_is_redeemed_while_its_lhf_rises_and_left_to_liquidation_below() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    let id = position(&mut s, "alice", eth(1), moet(1500));
    s.set_price(ETH, "1700"); // LHF 1445 / 1500 = 0.963
    let before = lhf(&s, id);
    assert!(before < Decimal256::one());
    redeem(&mut s, &who, id, ETH, moet(100), None).unwrap();
    assert!(lhf(&s, id) > before);

    s.set_price(ETH, "1400"); // LHF 1190 / 1400 = 0.85 ... then lower
    s.set_price(ETH, "1300");
    let before = s.snapshot(&[(&who, &m), (&who, ETH)]);
    refused(
        redeem(&mut s, &who, id, ETH, moet(100), None),
        "would lower the liquidation health factor",
    );
    assert_eq!(s.snapshot(&[(&who, &m), (&who, ETH)]), before);
    assert!(!quote(&s, id, ETH, Some(moet(100))).redeemable);
    // The liquidator takes it.
    let (bot, liquidator, token) = (s.addr("bot"), s.liquidator.clone(), s.moet.clone());
    s.cw20_send(
        &bot,
        &token,
        &liquidator,
        moet(300),
        &liq::ReceiveMsg::Liquidate {
            position_id: id,
            debt_denom: m.clone(),
            collateral_denom: ETH.to_string(),
            min_collateral_out: None,
        },
    )
    .unwrap();
}

/// While a feeder holds a pending price for the collateral, the served price may lag a
/// confirmed move: refused.
#[test]
fn a_pending_price_for_the_collateral_refuses_the_redemption() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    let id = position(&mut s, "alice", eth(1), moet(1300));
    let (feeder, oracle) = (s.feeders[0].clone(), s.oracle.clone());
    s.exec(
        &feeder,
        &oracle,
        &keel_types::oracle::ExecuteMsg::PushPrices {
            prices: vec![keel_types::oracle::PriceInput {
                denom: ETH.to_string(),
                price: dec("2600"),
            }],
        },
        &[],
    )
    .unwrap();
    let before = s.snapshot(&[(&who, &m), (&who, ETH)]);
    refused(
        redeem(&mut s, &who, id, ETH, moet(100), None),
        "pending confirmation",
    );
    assert_eq!(s.snapshot(&[(&who, &m), (&who, ETH)]), before);
    assert!(!quote(&s, id, ETH, None).redeemable);
}

#[test]
fn bad_redemptions_are_refused_and_change_nothing() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    let id = position(&mut s, "alice", eth(1), moet(1300));
    let token = s.create_cw20("TKN", 6, &[(&who, usdc(100))]);
    s.list_asset(&format!("cw20:{token}"), pool_params(6))
        .unwrap();
    let watched = [(&who, m.as_str()), (&who, ETH)];
    let before = s.snapshot(&watched);
    // slippage
    refused(
        redeem(
            &mut s,
            &who,
            id,
            ETH,
            moet(100),
            Some(49_750_000_000_000_001),
        ),
        "below min_collateral_out",
    );
    // collateral not held
    refused(
        redeem(&mut s, &who, id, USDC, moet(100), None),
        "holds no uusdc",
    );
    // unlisted collateral, unknown position
    refused(
        redeem(&mut s, &who, id, "uxyz", moet(100), None),
        "not listed",
    );
    refused(redeem(&mut s, &who, 99, ETH, moet(100), None), "not found");
    // zero
    refused(redeem(&mut s, &who, id, ETH, 0, None), "zero amount");
    // another token than MOET
    let market = s.market.clone();
    refused(
        s.cw20_send(
            &who,
            &token,
            &market,
            usdc(100),
            &ReceiveMsg::Redeem {
                position_id: id,
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
        ),
        "redeem takes MOET",
    );
    // paused, by the guardian; the owner resumes
    let guardian = s.addr("guardian");
    s.update_config(ConfigUpdate {
        guardian: Some(guardian.to_string()),
        ..Default::default()
    });
    s.exec_market(
        &guardian,
        &ExecuteMsg::SetRedemptionsPaused { paused: true },
        &[],
    )
    .unwrap();
    refused(redeem(&mut s, &who, id, ETH, moet(100), None), "paused");
    assert!(!quote(&s, id, ETH, None).redeemable);
    refused(
        s.exec_market(
            &guardian,
            &ExecuteMsg::SetRedemptionsPaused { paused: false },
            &[],
        ),
        "unauthorized",
    );
    let c: ConfigResponse = s.query_market(&QueryMsg::Config {}).unwrap();
    assert!(c.redemptions_paused);
    assert_eq!(s.snapshot(&watched), before);
    let owner = s.owner.clone();
    s.exec_market(
        &owner,
        &ExecuteMsg::SetRedemptionsPaused { paused: false },
        &[],
    )
    .unwrap();
    redeem(&mut s, &who, id, ETH, moet(100), None).unwrap();
}

/// The cap leaves no MOET debt below `min_debt_value` (1 MOET): 1.5 MOET owed against 1.2 of
/// credit would be capped at (1.95 - 1.2) / 0.504 = 1.488 MOET, leaving 0.012; the cap is 0.5.
#[test]
fn a_redemption_never_leaves_a_moet_debt_below_the_minimum() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    // 0.00075 ETH owing 1.5 MOET, borrowed at 4000 (C = 2.4), then ETH back at 2000 (C = 1.2)
    s.set_price(ETH, "4000");
    let id = position(&mut s, "alice", eth(1) * 75 / 100_000, 1_500_000);
    s.set_price(ETH, "2000");
    let q = quote(&s, id, ETH, None);
    assert!(q.redeemable, "{q:?}");
    assert_eq!(q.repay_amount.u128(), 500_000);
    redeem(&mut s, &who, id, ETH, 1_000_000, None).unwrap();
    assert_eq!(debt_of(&s.position(id), &m).u128(), 1_000_000);
    assert_eq!(s.balance(&who, &m).u128(), moet(10_000) - 500_000);
}

/// Self-repay is applied first, and a quote in the same block equals the redemption.
#[test]
fn a_self_repaying_position_is_redeemed_after_its_pending_write_off() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    let alice = s.addr("alice");
    s.fund(&alice, usdc(10_000), USDC);
    let id = s.open(&alice, &coins(usdc(10_000), USDC)).unwrap();
    s.exec_market(
        &alice,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(Automation {
                draw_down_sink: None,
                top_up_source: None,
                health: None,
                self_repay: true,
            }),
        },
        &[],
    )
    .unwrap();
    // HF 8000 / 7500 = 1.067; a year's interest (1035.74 USDC) writes 1035.74 MOET off: 1.238
    s.borrow(&alice, id, &m, moet(7_500)).unwrap();
    let bob = s.addr("bob");
    s.fund(&bob, eth(10), ETH);
    let bob_id = s.open(&bob, &coins(eth(10), ETH)).unwrap();
    s.borrow(&bob, bob_id, USDC, usdc(8_000)).unwrap();
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let shown = debt_of(&s.position(id), &m).u128();
    assert!(shown < moet(6_500), "the query shows the write-off");
    let q = quote(&s, id, USDC, Some(moet(100)));
    let res = redeem(&mut s, &who, id, USDC, moet(100), None).unwrap();
    assert!(res
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .any(|a| a.key == "self_repaid"));
    assert_eq!(s.balance(&who, USDC), q.collateral_out);
    assert_eq!(
        debt_of(&s.position(id), &m).u128(),
        shown - q.repay_amount.u128()
    );
}

#[test]
fn redeemable_positions_lists_those_below_their_redemption_health() {
    let mut s = Suite::with_eth_and_usdc();
    let a = position(&mut s, "a", eth(1), moet(1300)); // 1.2308: listed
    let _b = position(&mut s, "b", eth(1), moet(1000)); // 1.6: not
    let c = position(&mut s, "c", eth(1), moet(1500)); // 1.0667: listed
    let all: RedeemablePositionsResponse = s
        .query_market(&QueryMsg::RedeemablePositions {
            start_after: None,
            limit: None,
        })
        .unwrap();
    let ids: Vec<u64> = all.positions.iter().map(|p| p.position_id).collect();
    assert_eq!(ids, vec![a, c]);
    assert_eq!(all.positions[0].moet_debt.u128(), moet(1300));
    assert_eq!(all.last_scanned, Some(c));
    let page: RedeemablePositionsResponse = s
        .query_market(&QueryMsg::RedeemablePositions {
            start_after: Some(a),
            limit: Some(1),
        })
        .unwrap();
    assert!(page.positions.is_empty());
    assert_eq!(page.last_scanned, Some(a + 1));
}

/// Redeem, then liquidate: the books stay whole and the liquidation sees the redeemed position.
#[test]
fn a_redeemed_position_is_later_liquidated_on_what_is_left() {
    let mut s = Suite::with_eth_and_usdc();
    let m = s.moet_denom();
    let who = redeemer(&mut s);
    let id = position(&mut s, "alice", eth(1), moet(1500));
    redeem(&mut s, &who, id, ETH, moet(200), None).unwrap();
    let debt = debt_of(&s.position(id), &m).u128();
    assert_eq!(debt, moet(1300));
    s.set_price(ETH, "1500"); // L = 0.85 * 0.90050 * 1500 = 1148 < 1300
    let (bot, liquidator, token) = (s.addr("bot"), s.liquidator.clone(), s.moet.clone());
    s.cw20_send(
        &bot,
        &token,
        &liquidator,
        moet(1000),
        &liq::ReceiveMsg::Liquidate {
            position_id: id,
            debt_denom: m.clone(),
            collateral_denom: ETH.to_string(),
            min_collateral_out: None,
        },
    )
    .unwrap();
    // 20% close factor of 1300
    assert_eq!(debt_of(&s.position(id), &m).u128(), moet(1040));
}

/// The config's redemption parameters are validated and reported.
#[test]
fn redemption_parameters_are_bounded() {
    let mut s = Suite::with_eth_and_usdc();
    let owner = s.owner.clone();
    for (fee, health) in [("0.0009", "1.3"), ("0.11", "1.3"), ("0.005", "1")] {
        let res = s.exec_market(
            &owner,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                redemption_fee: Some(dec(fee)),
                redemption_health: Some(dec(health)),
                ..Default::default()
            }),
            &[],
        );
        assert!(res.is_err(), "{fee} / {health}");
    }
    s.update_config(ConfigUpdate {
        redemption_fee: Some(dec("0.01")),
        redemption_health: Some(dec("1.25")),
        ..Default::default()
    });
    let c: ConfigResponse = s.query_market(&QueryMsg::Config {}).unwrap();
    assert_eq!(
        (c.redemption_fee, c.redemption_health),
        (dec("0.01"), dec("1.25"))
    );
}
