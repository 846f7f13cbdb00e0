//! The audit's findings, each performed as the attack it describes: the attack fails, and what
//! it touched (positions, books, balances) is as it was. Each test also runs the honest path the
//! fix must leave working. docs/SECURITY.md lists the findings and these tests.
use anyhow::Result as AnyResult;
use cosmwasm_std::{coins, Addr, Uint128};
use cw20::Cw20ExecuteMsg;
use cw_multi_test::AppResponse;
use keel_tests::*;
use keel_types::liquidator as liq;
use keel_types::market::{
    Automation, ConfigUpdate, DrawDownSink, ExecuteMsg, LiquidatablePositionsResponse,
    PositionResponse, QueryMsg, ReceiveMsg, TopUpConsentResponse,
};
use keel_types::HealthBounds;

const YEAR: u64 = 31_536_000;

/// MOET has 6 decimals, like USDC.
fn moet(n: u128) -> u128 {
    usdc(n)
}

fn refused(res: AnyResult<AppResponse>, needle: &str) {
    match res {
        Ok(_) => panic!("the attack succeeded"),
        Err(e) => {
            let text = err_text(e);
            assert!(
                text.to_lowercase().contains(&needle.to_lowercase()),
                "expected an error containing {needle:?}, got: {text}"
            );
        }
    }
}

fn attr(res: &AppResponse, key: &str) -> Option<String> {
    res.events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// `who` receives `amount` MOET from the bot's initial balance.
fn give_moet(s: &mut Suite, who: &Addr, amount: u128) {
    let (bot, token) = (s.addr("bot"), s.moet.clone());
    s.exec(
        &bot,
        &token,
        &Cw20ExecuteMsg::Transfer {
            recipient: who.to_string(),
            amount: Uint128::new(amount),
        },
        &[],
    )
    .unwrap();
}

/// `who` gives the market a cw20 allowance of `amount` MOET.
fn approve_market(s: &mut Suite, who: &Addr, amount: u128) {
    let (market, token) = (s.market.clone(), s.moet.clone());
    s.exec(
        who,
        &token,
        &Cw20ExecuteMsg::IncreaseAllowance {
            spender: market.to_string(),
            amount: Uint128::new(amount),
            expires: None,
        },
        &[],
    )
    .unwrap();
}

fn set_automation(s: &mut Suite, owner: &Addr, id: u64, automation: Automation) {
    s.exec_market(
        owner,
        &ExecuteMsg::SetAutomation {
            position_id: id,
            automation: Some(automation),
        },
        &[],
    )
    .unwrap();
}

fn with_source(source: &Addr, min: &str, target: &str, max: &str) -> Automation {
    Automation {
        draw_down_sink: None,
        top_up_source: Some(source.to_string()),
        health: Some(HealthBounds {
            min: dec(min),
            target: dec(target),
            max: dec(max),
        }),
        self_repay: false,
    }
}

fn rebalance(s: &mut Suite, id: u64) -> AnyResult<AppResponse> {
    let keeper = s.addr("keeper");
    s.exec_market(&keeper, &ExecuteMsg::Rebalance { position_id: id }, &[])
}

fn allow_top_up(s: &mut Suite, source: &Addr, id: u64, amount: u128) -> AnyResult<AppResponse> {
    s.exec_market(
        source,
        &ExecuteMsg::AllowTopUp {
            position_id: id,
            amount: Uint128::new(amount),
        },
        &[],
    )
}

fn consent_left(s: &Suite, id: u64, source: &Addr) -> u128 {
    let r: TopUpConsentResponse = s
        .query_market(&QueryMsg::TopUpConsent {
            position_id: id,
            source: source.to_string(),
        })
        .unwrap();
    r.amount.u128()
}

/// A position of `owner` holding 1 ETH (at 2000) and owing `debt` MOET.
fn eth_position(s: &mut Suite, name: &str, debt: u128) -> (Addr, u64) {
    let owner = s.addr(name);
    s.fund(&owner, eth(1), ETH);
    let id = s.open(&owner, &coins(eth(1), ETH)).unwrap();
    let m = s.moet_denom();
    if debt > 0 {
        s.borrow(&owner, id, &m, debt).unwrap();
    }
    (owner, id)
}

// -------------------------------------------------------------------------------------------
// F1: the top-up source must consent
// -------------------------------------------------------------------------------------------

/// The finding's sequence: the victim allows the market 1000 MOET for its own use; the attacker
/// names the victim as its top-up source with a target no top-up can reach, and a keeper
/// rebalances. Nothing is pulled: the victim never consented to back that position.
#[test]
fn naming_a_stranger_as_top_up_source_pulls_none_of_its_moet() {
    let mut s = setup();
    let m = s.moet_denom();
    let victim = s.addr("victim");
    give_moet(&mut s, &victim, moet(1000));
    let (_, victim_id) = eth_position(&mut s, "victim", 0);
    approve_market(&mut s, &victim, moet(1000));
    // Consent to its own position is not consent to anyone else's.
    allow_top_up(&mut s, &victim, victim_id, moet(1000)).unwrap();

    let (attacker, id) = eth_position(&mut s, "attacker", moet(1000));
    set_automation(
        &mut s,
        &attacker,
        id,
        with_source(&victim, "1000", "100000", "1000000"),
    );
    let before = s.snapshot(&[(&victim, &m), (&attacker, &m)]);
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "reason").as_deref(), Some("no top-up consent"));
    assert_eq!(s.snapshot(&[(&victim, &m), (&attacker, &m)]), before);
    assert_eq!(s.balance(&victim, &m).u128(), moet(1000));
    assert_eq!(consent_left(&s, id, &victim), 0);
}

/// A source that consented gives at most its consent, in all, over every rebalance; a new
/// consent replaces the remainder and `disallow_top_up` ends it.
#[test]
fn a_consenting_source_gives_at_most_its_consent_in_all() {
    let mut s = setup();
    let m = s.moet_denom();
    let source = s.addr("source");
    give_moet(&mut s, &source, moet(1000));
    approve_market(&mut s, &source, moet(1000));
    // 1 ETH, 1230.769230 MOET of debt: HF 1.3 at 2000.
    let (owner, id) = eth_position(&mut s, "alice", 1_230_769_230);
    set_automation(
        &mut s,
        &owner,
        id,
        with_source(&source, "1.1", "1.3", "1.5"),
    );
    allow_top_up(&mut s, &source, id, moet(100)).unwrap();
    assert_eq!(consent_left(&s, id, &source), moet(100));

    // ETH 1650: C = 1320, HF 1.0725 < 1.1; 215.38 MOET would restore 1.3, the consent gives 100.
    s.set_price(ETH, "1650");
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "topped_up"), Some(moet(100).to_string()));
    assert_eq!(s.balance(&source, &m).u128(), moet(900));
    assert_eq!(consent_left(&s, id, &source), 0);

    // The consent is spent: the next rebalance pulls nothing, though the allowance remains.
    // ETH 1500: C = 1200, HF 1.061 < 1.1 again.
    s.set_price(ETH, "1500");
    let before = s.snapshot(&[(&source, &m)]);
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "reason").as_deref(), Some("no top-up consent"));
    assert_eq!(s.snapshot(&[(&source, &m)]), before);

    // A new consent, then withdrawn: still nothing.
    allow_top_up(&mut s, &source, id, moet(50)).unwrap();
    s.exec_market(&source, &ExecuteMsg::DisallowTopUp { position_id: id }, &[])
        .unwrap();
    assert_eq!(consent_left(&s, id, &source), 0);
    rebalance(&mut s, id).unwrap();
    assert_eq!(s.balance(&source, &m).u128(), moet(900));

    // Consent to a position that does not exist is refused.
    refused(allow_top_up(&mut s, &source, 999, moet(1)), "not found");
}

/// The honest path: an owner naming itself as the source needs no consent.
#[test]
fn an_owners_own_top_up_needs_no_consent() {
    let mut s = setup();
    let m = s.moet_denom();
    let (owner, id) = eth_position(&mut s, "alice", 1_230_769_230);
    approve_market(&mut s, &owner, moet(1000));
    set_automation(&mut s, &owner, id, with_source(&owner, "1.1", "1.3", "1.5"));
    s.set_price(ETH, "1650");
    let res = rebalance(&mut s, id).unwrap();
    // ceil(1230.769230 - 1320 / 1.3) = 215.384615 MOET, from the MOET it borrowed
    assert_eq!(attr(&res, "topped_up"), Some("215384615".to_string()));
    assert_eq!(s.balance(&owner, &m).u128(), 1_230_769_230 - 215_384_615);
}

// -------------------------------------------------------------------------------------------
// F2: the close factor re-check in `seize`
// -------------------------------------------------------------------------------------------

fn rogue_liquidator(s: &mut Suite) -> Addr {
    let rogue = s.addr("rogue");
    s.update_config(ConfigUpdate {
        liquidator: Some(rogue.to_string()),
        ..Default::default()
    });
    s.fund(&rogue, usdc(5000), USDC);
    rogue
}

fn seize(id: u64, repay: u128, collateral: u128, recipient: &Addr) -> ExecuteMsg {
    ExecuteMsg::Seize {
        position_id: id,
        debt_denom: USDC.to_string(),
        repay_amount: Uint128::new(repay),
        collateral_denom: ETH.to_string(),
        collateral_amount: Uint128::new(collateral),
        recipient: recipient.to_string(),
    }
}

/// A USDC debt of `debt` against `eth_amount` of ETH (at 2000), with a lender behind the pool.
fn usdc_debtor(s: &mut Suite, eth_amount: u128, debt: u128) -> u64 {
    let lender = s.addr("lender");
    s.fund(&lender, usdc(10_000), USDC);
    s.open(&lender, &coins(usdc(10_000), USDC)).unwrap();
    let alice = s.addr("alice");
    s.fund(&alice, eth_amount, ETH);
    let id = s.open(&alice, &coins(eth_amount, ETH)).unwrap();
    s.borrow(&alice, id, USDC, debt).unwrap();
    id
}

/// With `max_close_factor` 0.5, the liquidator address asks to repay 99.5% of a 1000 USDC debt
/// (leaving 5 USDC, under the 10 MOET dust value): refused, since a 50% repay leaves no dust.
#[test]
fn a_liquidator_cannot_pass_the_close_factor_by_leaving_dust() {
    let mut s = setup();
    let id = usdc_debtor(&mut s, eth(1), usdc(1000));
    s.set_price(ETH, "1100"); // LHF 0.935
    let rogue = rogue_liquidator(&mut s);
    let before = s.snapshot(&[(&rogue, USDC), (&rogue, ETH)]);
    refused(
        s.exec_market(
            &rogue,
            &seize(id, usdc(995), 1, &rogue),
            &coins(usdc(995), USDC),
        ),
        "close factor",
    );
    assert_eq!(s.snapshot(&[(&rogue, USDC), (&rogue, ETH)]), before);
    // The close factor itself goes through.
    s.exec_market(
        &rogue,
        &seize(id, usdc(500), 1, &rogue),
        &coins(usdc(500), USDC),
    )
    .unwrap();
    assert_eq!(debt_of(&s.position(id), USDC).u128(), usdc(500));
}

/// The honest dust close: when a 50% repay would itself leave dust, the whole debt may go.
#[test]
fn a_debt_whose_close_factor_repay_leaves_dust_may_be_closed_in_full() {
    let mut s = setup();
    // 0.01 ETH (20 MOET, C = 16) against 15 USDC; at 1700 L = 14.45 < 15.
    let id = usdc_debtor(&mut s, eth(1) / 100, usdc(15));
    s.set_price(ETH, "1700");
    let rogue = rogue_liquidator(&mut s);
    // 7.5 USDC left after a 50% repay is under the 10 MOET dust value: all 15 may be repaid,
    // for all 0.01 ETH (17 MOET <= 15 * 1.15).
    s.exec_market(
        &rogue,
        &seize(id, usdc(15), eth(1) / 100, &rogue),
        &coins(usdc(15), USDC),
    )
    .unwrap();
    let p = s.position(id);
    assert!(p.debt.is_empty() && p.collateral.is_empty());
}

// -------------------------------------------------------------------------------------------
// F4: dust of an unpriced asset
// -------------------------------------------------------------------------------------------

const ATOM: &str = "uatom";

/// ATOM (6 decimals) listed at 10 MOET.
fn with_atom() -> Suite {
    let mut s = setup();
    s.list_asset(ATOM, pool_params(6)).unwrap();
    s.set_price(ATOM, "10");
    s
}

/// Time passes until ATOM's price is stale; ETH and USDC are pushed again.
fn atom_goes_stale(s: &mut Suite, eth_price: &str) {
    s.advance(MAX_AGE + 1);
    s.set_price(ETH, eth_price);
    s.set_price(USDC, "1");
}

fn deposit(
    s: &mut Suite,
    from: &Addr,
    id: u64,
    amount: u128,
    denom: &str,
) -> AnyResult<AppResponse> {
    s.exec_market(
        from,
        &ExecuteMsg::Deposit {
            position_id: id,
            push_to_draw_down_sink: false,
        },
        &coins(amount, denom),
    )
}

/// A stranger deposits one base unit of an asset whose feed is stale into an underwater
/// position, to make its liquidation fail for want of a price: refused, and the liquidation
/// goes through.
#[test]
fn a_stranger_cannot_add_an_unpriced_denom_to_block_a_liquidation() {
    let mut s = with_atom();
    let m = s.moet_denom();
    let (_, id) = eth_position(&mut s, "alice", moet(1500));
    let stranger = s.addr("stranger");
    s.fund(&stranger, 10, ATOM);
    atom_goes_stale(&mut s, "1700"); // LHF 1445 / 1500 < 1
    let before = s.snapshot(&[(&stranger, ATOM)]);
    refused(deposit(&mut s, &stranger, id, 1, ATOM), "unauthorized");
    assert_eq!(s.snapshot(&[(&stranger, ATOM)]), before);
    // Priced or not, a stranger never adds a denom.
    s.set_price(ATOM, "10");
    refused(deposit(&mut s, &stranger, id, 1, ATOM), "unauthorized");

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
    assert!(debt_of(&s.position(id), &m).u128() < moet(1500));
}

/// The owner may add a denom only while it is priced; anyone may add to a denom it holds.
#[test]
fn an_owner_adds_only_priced_denoms_and_anyone_adds_to_held_ones() {
    let mut s = with_atom();
    let (owner, id) = eth_position(&mut s, "alice", moet(500));
    s.fund(&owner, usdc(100), ATOM);
    atom_goes_stale(&mut s, "2000");
    let before = s.snapshot(&[(&owner, ATOM)]);
    refused(
        deposit(&mut s, &owner, id, usdc(100), ATOM),
        "price unavailable for uatom",
    );
    assert_eq!(s.snapshot(&[(&owner, ATOM)]), before);
    // A new position takes only priced denoms too.
    refused(
        s.open(&owner, &coins(usdc(100), ATOM))
            .map(|_| AppResponse::default()),
        "uatom",
    );

    let stranger = s.addr("stranger");
    s.fund(&stranger, eth(1), ETH);
    deposit(&mut s, &stranger, id, eth(1), ETH).unwrap();
    assert_eq!(collateral_of(&s.position(id), ETH).u128(), eth(2));
}

/// A held collateral whose price went stale counts as zero at the borrow floor: the owner can
/// still withdraw it, and withdraw the rest while what is priced covers the debt.
#[test]
fn an_unpriced_collateral_does_not_freeze_the_owners_withdrawals() {
    let mut s = with_atom();
    let (owner, id) = eth_position(&mut s, "alice", moet(1000));
    s.fund(&owner, usdc(100), ATOM);
    deposit(&mut s, &owner, id, usdc(100), ATOM).unwrap();
    atom_goes_stale(&mut s, "2000");
    // 0.2 ETH out: C = 0.8 * 1600 = 1280 >= 1000 without ATOM.
    s.exec_market(
        &owner,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: ETH.to_string(),
            amount: Some(Uint128::new(eth(1) / 5)),
            recipient: None,
        },
        &[],
    )
    .unwrap();
    // Half an ETH more would leave C = 480 < 1000: refused, naming the unpriced collateral.
    refused(
        s.exec_market(
            &owner,
            &ExecuteMsg::Withdraw {
                position_id: id,
                denom: ETH.to_string(),
                amount: Some(Uint128::new(eth(1) / 2)),
                recipient: None,
            },
            &[],
        ),
        "price unavailable for uatom",
    );
    // The stale ATOM itself comes out whole.
    s.exec_market(
        &owner,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: ATOM.to_string(),
            amount: None,
            recipient: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.balance(&owner, ATOM).u128(), usdc(100));
}

// -------------------------------------------------------------------------------------------
// F5: sub-unit balances
// -------------------------------------------------------------------------------------------

/// With USDC's supply index above 1, the owner withdraws exactly what the query shows of its
/// USDC; then ETH crashes and liquidations take all of the ETH. No balance worth less than a
/// base unit keeps the position alive: the rest of the debt is written off at once.
#[test]
fn a_withdrawal_at_an_index_above_one_leaves_nothing_that_blocks_the_bad_debt_write_off() {
    let mut s = setup();
    let m = s.moet_denom();
    // A year of lending lifts USDC's supply index.
    let lender = s.addr("lender");
    s.fund(&lender, usdc(10_000), USDC);
    s.open(&lender, &coins(usdc(10_000), USDC)).unwrap();
    let (bob, bob_id) = eth_position(&mut s, "bob", 0);
    s.fund(&bob, eth(9), ETH);
    deposit(&mut s, &bob, bob_id, eth(9), ETH).unwrap();
    s.borrow(&bob, bob_id, USDC, usdc(8_000)).unwrap();
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    assert!(s.asset(USDC).supply_index > cosmwasm_std::Decimal256::one());

    let (carol, id) = eth_position(&mut s, "carol", 0);
    s.fund(&carol, 1_234_567, USDC);
    deposit(&mut s, &carol, id, 1_234_567, USDC).unwrap();
    s.borrow(&carol, id, &m, moet(1000)).unwrap();
    let held = collateral_of(&s.position(id), USDC);
    s.exec_market(
        &carol,
        &ExecuteMsg::Withdraw {
            position_id: id,
            denom: USDC.to_string(),
            amount: Some(held),
            recipient: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(collateral_of(&s.position(id), USDC), Uint128::zero());

    s.set_price(ETH, "100");
    let (bot, liquidator, token) = (s.addr("bot"), s.liquidator.clone(), s.moet.clone());
    let res = s
        .cw20_send(
            &bot,
            &token,
            &liquidator,
            moet(200),
            &liq::ReceiveMsg::Liquidate {
                position_id: id,
                debt_denom: m.clone(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
        )
        .unwrap();
    assert!(
        res.events.iter().any(|e| e.ty == "wasm-bad_debt"),
        "the remaining debt is written off"
    );
    let p = s.position(id);
    assert!(p.collateral.is_empty() && p.debt.is_empty());
    assert!(s.asset(&m).deficit > Uint128::zero());
}

// -------------------------------------------------------------------------------------------
// F6: native coins named like a cw20
// -------------------------------------------------------------------------------------------

/// Native coins whose denom is `cw20:<MOET address>` are not MOET: every path refuses them, the
/// market's and the liquidator's.
#[test]
fn native_coins_named_cw20_are_refused_everywhere() {
    let mut s = setup();
    let m = s.moet_denom();
    let (_, id) = eth_position(&mut s, "alice", moet(1500));
    let forger = s.addr("forger");
    s.fund(&forger, moet(5000), &m);
    let watched = [(&forger, m.as_str())];
    let before = s.snapshot(&watched);
    refused(
        s.exec_market(
            &forger,
            &ExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
            &coins(moet(1000), &m),
        ),
        "reserved prefix",
    );
    refused(
        s.exec_market(
            &forger,
            &ExecuteMsg::Repay { position_id: id },
            &coins(moet(1000), &m),
        ),
        "reserved prefix",
    );
    refused(
        deposit(&mut s, &forger, id, moet(1000), &m),
        "reserved prefix",
    );
    s.set_price(ETH, "1700");
    let liquidator = s.liquidator.clone();
    refused(
        s.exec(
            &forger,
            &liquidator,
            &liq::ExecuteMsg::Liquidate {
                position_id: id,
                debt_denom: m.clone(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
            &coins(moet(300), &m),
        ),
        "reserved prefix",
    );
    s.set_price(ETH, "2000");
    assert_eq!(s.snapshot(&watched), before);
}

// -------------------------------------------------------------------------------------------
// F7: the asset limit
// -------------------------------------------------------------------------------------------

fn limit_assets(s: &mut Suite, max: u32) {
    s.update_config(ConfigUpdate {
        max_position_assets: Some(max),
        ..Default::default()
    });
}

/// With the limit at 1, an auto-borrow would add MOET as a second denom: it borrows nothing,
/// and adding more of the held collateral stays possible.
#[test]
fn auto_borrow_never_takes_a_position_past_the_asset_limit() {
    let mut s = setup();
    limit_assets(&mut s, 1);
    let owner = s.addr("alice");
    let sink = s.addr("sink");
    s.fund(&owner, eth(2), ETH);
    let automation = Automation {
        draw_down_sink: Some(DrawDownSink {
            address: sink.to_string(),
            msg: None,
        }),
        top_up_source: None,
        health: None,
        self_repay: false,
    };
    let res = s
        .exec_market(
            &owner,
            &ExecuteMsg::OpenPosition {
                automation: Some(automation),
                push_to_draw_down_sink: true,
            },
            &coins(eth(1), ETH),
        )
        .unwrap();
    let id = position_id_of(&res).unwrap();
    let p = s.position(id);
    assert!(p.debt.is_empty(), "nothing borrowed: {p:?}");
    assert_eq!(s.balance(&sink, &s.moet_denom()), Uint128::zero());
    let res = rebalance(&mut s, id).unwrap();
    assert_eq!(attr(&res, "reason").as_deref(), Some("nothing to borrow"));
    deposit(&mut s, &owner, id, eth(1), ETH).unwrap();
    assert_eq!(collateral_of(&s.position(id), ETH).u128(), eth(2));
}

/// A limit lowered below what a position holds: more of a held denom is always accepted, a new
/// denom is not.
#[test]
fn adding_to_a_held_denom_is_allowed_above_a_lowered_limit() {
    let mut s = setup();
    let m = s.moet_denom();
    let (owner, id) = eth_position(&mut s, "alice", moet(500));
    limit_assets(&mut s, 1);
    s.fund(&owner, eth(1), ETH);
    deposit(&mut s, &owner, id, eth(1), ETH).unwrap();
    s.borrow(&owner, id, &m, moet(100)).unwrap();
    s.fund(&owner, usdc(100), USDC);
    let before = s.snapshot(&[(&owner, USDC)]);
    refused(
        deposit(&mut s, &owner, id, usdc(100), USDC),
        "more than 1 assets",
    );
    assert_eq!(s.snapshot(&[(&owner, USDC)]), before);
}

// -------------------------------------------------------------------------------------------
// F8: zero cw20 sends
// -------------------------------------------------------------------------------------------

/// cw20-base 2.x forwards a `send` of zero; every hook refuses it as a zero amount.
#[test]
fn a_cw20_send_of_zero_is_refused_by_every_hook() {
    let mut s = setup();
    let m = s.moet_denom();
    let (owner, id) = eth_position(&mut s, "alice", moet(1000));
    let (token, market, liquidator) = (s.moet.clone(), s.market.clone(), s.liquidator.clone());
    let before = s.snapshot(&[(&owner, &m)]);
    refused(
        s.cw20_send(
            &owner,
            &token,
            &market,
            0,
            &ReceiveMsg::Repay { position_id: id },
        ),
        "zero amount",
    );
    s.set_price(ETH, "1400");
    refused(
        s.cw20_send(
            &owner,
            &token,
            &liquidator,
            0,
            &liq::ReceiveMsg::Liquidate {
                position_id: id,
                debt_denom: m.clone(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
        ),
        "zero amount",
    );
    s.set_price(ETH, "2000");
    assert_eq!(s.snapshot(&[(&owner, &m)]), before);
    // A cw20 collateral: a zero send opens nothing and deposits nothing.
    let (tkn, denom) = s.list_cw20("TKN", 6, &[(&owner, usdc(100))], "1");
    refused(
        s.cw20_send(
            &owner,
            &tkn,
            &market,
            0,
            &ReceiveMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
        ),
        "zero amount",
    );
    refused(
        s.cw20_send(
            &owner,
            &tkn,
            &market,
            0,
            &ReceiveMsg::Deposit {
                position_id: id,
                push_to_draw_down_sink: false,
            },
        ),
        "zero amount",
    );
    assert_eq!(s.balance(&owner, &denom).u128(), usdc(100));
}

// -------------------------------------------------------------------------------------------
// F9: queries as of now
// -------------------------------------------------------------------------------------------

/// A self-repaying position whose stored debt makes it liquidatable and whose pending
/// write-off does not: every query shows it as of now, so bots are not shown a liquidation
/// the market will refuse.
#[test]
fn list_queries_report_a_pending_self_repay_like_the_position_query() {
    let mut s = setup();
    let m = s.moet_denom();
    let alice = s.addr("alice");
    s.fund(&alice, usdc(10_000), USDC);
    let id = s.open(&alice, &coins(usdc(10_000), USDC)).unwrap();
    set_automation(
        &mut s,
        &alice,
        id,
        Automation {
            draw_down_sink: None,
            top_up_source: None,
            health: None,
            self_repay: true,
        },
    );
    s.borrow(&alice, id, &m, moet(7_000)).unwrap();
    let (bob, bob_id) = eth_position(&mut s, "bob", 0);
    s.fund(&bob, eth(9), ETH);
    deposit(&mut s, &bob, bob_id, eth(9), ETH).unwrap();
    s.borrow(&bob, bob_id, USDC, usdc(8_000)).unwrap();
    // A year: 1035.74 USDC of interest on Alice's collateral. At USDC 0.74 the stored books give
    // LHF 0.85 * 11035.74 * 0.74 / 7000 = 0.992; with the write-off of 766.45 MOET, 1.009.
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "0.74");

    let one: PositionResponse = s.position(id);
    let listed: Vec<PositionResponse> = s
        .query_market(&QueryMsg::Positions {
            owner: Some(alice.to_string()),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(listed, vec![one.clone()]);
    let lhf = one
        .health
        .as_ref()
        .unwrap()
        .liquidation_health_factor
        .unwrap();
    assert!(lhf >= cosmwasm_std::Decimal256::one(), "LHF {lhf}");
    assert!(debt_of(&one, &m).u128() < moet(7_000));

    let liquidatable: LiquidatablePositionsResponse = s
        .query_market(&QueryMsg::LiquidatablePositions {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert!(liquidatable.positions.is_empty(), "{liquidatable:?}");
    let quote: liq::QuoteResponse = s
        .query(
            &s.liquidator,
            &liq::QueryMsg::Quote {
                position_id: id,
                debt_denom: m.clone(),
                collateral_denom: USDC.to_string(),
                repay_amount: None,
            },
        )
        .unwrap();
    assert!(!quote.liquidatable);
    // ... and the market agrees.
    let (bot, liquidator, token) = (s.addr("bot"), s.liquidator.clone(), s.moet.clone());
    refused(
        s.cw20_send(
            &bot,
            &token,
            &liquidator,
            moet(300),
            &liq::ReceiveMsg::Liquidate {
                position_id: id,
                debt_denom: m.clone(),
                collateral_denom: USDC.to_string(),
                min_collateral_out: None,
            },
        ),
        "not liquidatable",
    );
    // The next touch leaves the position exactly as the queries showed it.
    rebalance(&mut s, id).unwrap();
    let after = s.position(id);
    assert_eq!(after.debt, one.debt);
    assert_eq!(after.collateral, one.collateral);
}

fn setup() -> Suite {
    Suite::with_eth_and_usdc()
}

/// A supply index that falls (lenders absorbing bad debt) can leave another position's
/// collateral worth zero base units: 1 unit of a 0-decimal asset at index 0.64. Nothing can be
/// seized from it, so anyone's `rebalance` writes the debt off.
#[test]
fn collateral_left_worthless_by_a_falling_index_is_written_off_by_anyones_rebalance() {
    const GOLD: &str = "ugold";
    let mut s = setup();
    let m = s.moet_denom();
    s.list_asset(GOLD, pool_params(0)).unwrap();
    s.set_price(GOLD, "2000");
    let lender = s.addr("lender");
    s.fund(&lender, 10, GOLD);
    s.open(&lender, &coins(10, GOLD)).unwrap();
    // The victim: 1 GOLD (C = 1600) owing 1000 MOET.
    let victim = s.addr("victim");
    s.fund(&victim, 1, GOLD);
    let victim_id = s.open(&victim, &coins(1, GOLD)).unwrap();
    s.borrow(&victim, victim_id, &m, moet(1000)).unwrap();
    // A borrower of 5 GOLD against 10 ETH, then ETH crashes to 100.
    let (borrower, bid) = eth_position(&mut s, "borrower", 0);
    s.fund(&borrower, eth(9), ETH);
    deposit(&mut s, &borrower, bid, eth(9), ETH).unwrap();
    s.borrow(&borrower, bid, GOLD, 5).unwrap();
    s.set_price(ETH, "100");
    let bot = s.addr("bot");
    s.fund(&bot, 5, GOLD);
    let liquidator = s.liquidator.clone();
    let res = s
        .exec(
            &bot,
            &liquidator,
            &liq::ExecuteMsg::Liquidate {
                position_id: bid,
                debt_denom: GOLD.to_string(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
            &coins(1, GOLD),
        )
        .unwrap();
    assert!(res.events.iter().any(|e| e.ty == "wasm-bad_debt"));
    // 4 GOLD lost by lenders: the index is 7 / 11.
    assert!(s.asset(GOLD).supply_index < cosmwasm_std::Decimal256::percent(64));
    let p = s.position(victim_id);
    assert!(p.collateral.is_empty(), "worth zero base units: {p:?}");
    assert_eq!(debt_of(&p, &m).u128(), moet(1000));

    // Nothing to seize...
    let token = s.moet.clone();
    refused(
        s.cw20_send(
            &bot,
            &token,
            &liquidator,
            moet(200),
            &liq::ReceiveMsg::Liquidate {
                position_id: victim_id,
                debt_denom: m.clone(),
                collateral_denom: GOLD.to_string(),
                min_collateral_out: None,
            },
        ),
        "collateral out is zero",
    );
    // ... so a stranger's rebalance writes the debt off into MOET's deficit.
    let res = rebalance(&mut s, victim_id).unwrap();
    assert!(res.events.iter().any(|e| e.ty == "wasm-bad_debt"));
    assert!(s.position(victim_id).debt.is_empty());
    assert_eq!(s.asset(&m).deficit.u128(), moet(1000));
}

/// At a supply index above 1, one base unit deposited rounds down to a balance worth nothing:
/// refused, rather than booked as a balance the position does not hold.
#[test]
fn a_deposit_worth_less_than_a_base_unit_at_an_index_above_one_is_refused() {
    let mut s = setup();
    let lender = s.addr("lender");
    s.fund(&lender, usdc(10_000), USDC);
    s.open(&lender, &coins(usdc(10_000), USDC)).unwrap();
    let (bob, bob_id) = eth_position(&mut s, "bob", 0);
    s.fund(&bob, eth(9), ETH);
    deposit(&mut s, &bob, bob_id, eth(9), ETH).unwrap();
    s.borrow(&bob, bob_id, USDC, usdc(8_000)).unwrap();
    s.advance(YEAR);
    s.set_price(ETH, "2000");
    s.set_price(USDC, "1");
    let (carol, id) = eth_position(&mut s, "carol", 0);
    s.fund(&carol, 1, USDC);
    let before = s.snapshot(&[(&carol, USDC)]);
    refused(deposit(&mut s, &carol, id, 1, USDC), "zero amount");
    assert_eq!(s.snapshot(&[(&carol, USDC)]), before);
    s.fund(&carol, 1, USDC);
    deposit(&mut s, &carol, id, 2, USDC).unwrap();
    assert_eq!(collateral_of(&s.position(id), USDC).u128(), 1);
}
