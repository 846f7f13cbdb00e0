//! The liquidator end to end on the shared deployment (`keel_tests::Suite`: oracle, market, MOET
//! as cw20-base minted by the market, liquidator, wired as SPEC 3.0 says). The block time never
//! moves, so no interest accrues and every amount below is exact.
//!
//! The shared `bot` starts with 1,000,000 MOET; these tests count the liquidating bot's MOET from
//! zero, so they use a bot of their own that borrows its MOET (`fund_bot_with_moet`).
use std::ops::{Deref, DerefMut};

use anyhow::Result as AnyResult;
use cosmwasm_std::{coin, coins, Addr, Decimal256, Uint128};
use cw20::{Cw20QueryMsg, TokenInfoResponse};
use cw_multi_test::{AppResponse, Executor};
use keel_tests::*;
use keel_types::liquidator::{
    ConfigResponse as LiquidatorConfig, ExecuteMsg, QueryMsg, QuoteResponse, ReceiveMsg,
};
use keel_types::market::{ConfigUpdate, ExecuteMsg as MarketExecuteMsg, PositionResponse};

const ONE_ETH: u128 = 1_000_000_000_000_000_000;
/// floor(200 * 1.03 / 1100 * 1e18): the worked example's collateral out.
const WORKED_SEIZE: u128 = 187_272_727_272_727_272;

/// The shared suite with ETH (18 decimals, 2000) and USDC (6 decimals, 1) listed as pools, and
/// three actors holding 100 ETH and 100,000 USDC each.
struct LiqSuite {
    suite: Suite,
    borrower: Addr,
    bot: Addr,
    lender: Addr,
}

impl Deref for LiqSuite {
    type Target = Suite;
    fn deref(&self) -> &Suite {
        &self.suite
    }
}

impl DerefMut for LiqSuite {
    fn deref_mut(&mut self) -> &mut Suite {
        &mut self.suite
    }
}

impl LiqSuite {
    fn new() -> Self {
        let mut suite = Suite::with_eth_and_usdc();
        let borrower = suite.addr("borrower");
        let bot = suite.addr("liquidator_bot");
        let lender = suite.addr("lender");
        for who in [&borrower, &bot, &lender] {
            suite.fund(who, 100 * ONE_ETH, ETH);
            suite.fund(who, 100_000_000_000, USDC);
        }
        LiqSuite {
            suite,
            borrower,
            bot,
            lender,
        }
    }

    fn quote(
        &self,
        position_id: u64,
        debt_denom: &str,
        repay_amount: Option<u128>,
    ) -> QuoteResponse {
        self.query(
            &self.liquidator,
            &QueryMsg::Quote {
                position_id,
                debt_denom: debt_denom.to_string(),
                collateral_denom: ETH.to_string(),
                repay_amount: repay_amount.map(Uint128::new),
            },
        )
        .unwrap()
    }

    fn config(&self) -> LiquidatorConfig {
        self.query(&self.liquidator, &QueryMsg::Config {}).unwrap()
    }

    fn moet_balance(&self, who: &Addr) -> u128 {
        self.balance(who, &self.moet_denom()).u128()
    }

    fn moet_supply(&self) -> u128 {
        let info: TokenInfoResponse = self.query(&self.moet, &Cw20QueryMsg::TokenInfo {}).unwrap();
        info.total_supply.u128()
    }

    fn native_balance(&self, who: &Addr, denom: &str) -> u128 {
        self.balance(who, denom).u128()
    }

    /// The bot repays MOET debt through cw20 `send` to the liquidator.
    fn liquidate_moet(
        &mut self,
        position_id: u64,
        amount: u128,
        min_collateral_out: Option<u128>,
    ) -> AnyResult<AppResponse> {
        let hook = ReceiveMsg::Liquidate {
            position_id,
            debt_denom: self.moet_denom(),
            collateral_denom: ETH.to_string(),
            min_collateral_out: min_collateral_out.map(Uint128::new),
        };
        let (bot, moet, liquidator) =
            (self.bot.clone(), self.moet.clone(), self.liquidator.clone());
        self.cw20_send(&bot, &moet, &liquidator, amount, &hook)
    }

    /// The bot repays a native debt with funds attached.
    fn liquidate_native(
        &mut self,
        position_id: u64,
        denom: &str,
        amount: u128,
        min_collateral_out: Option<u128>,
    ) -> AnyResult<AppResponse> {
        let (bot, liquidator) = (self.bot.clone(), self.liquidator.clone());
        self.exec(
            &bot,
            &liquidator,
            &ExecuteMsg::Liquidate {
                position_id,
                debt_denom: denom.to_string(),
                collateral_denom: ETH.to_string(),
                min_collateral_out: min_collateral_out.map(Uint128::new),
            },
            &coins(amount, denom),
        )
    }

    /// The bot gets `amount` MOET by borrowing against 10 ETH of its own.
    fn fund_bot_with_moet(&mut self, amount: u128) {
        let bot = self.bot.clone();
        let id = self.open(&bot, &coins(10 * ONE_ETH, ETH)).unwrap();
        let moet = self.moet_denom();
        self.borrow(&bot, id, &moet, amount).unwrap();
    }

    fn assert_liquidator_holds_nothing(&self) {
        assert_eq!(self.moet_balance(&self.liquidator), 0);
        assert_eq!(self.native_balance(&self.liquidator, ETH), 0);
        assert_eq!(self.native_balance(&self.liquidator, USDC), 0);
    }
}

fn lhf(position: &PositionResponse) -> Option<Decimal256> {
    position
        .health
        .as_ref()
        .and_then(|h| h.liquidation_health_factor)
}

/// 1 ETH at 2000 backs 1000 MOET; ETH falls to 1100 (LHF 0.935).
fn moet_borrower(suite: &mut LiqSuite) -> u64 {
    let borrower = suite.borrower.clone();
    let id = suite.open(&borrower, &coins(ONE_ETH, ETH)).unwrap();
    let moet = suite.moet_denom();
    suite.borrow(&borrower, id, &moet, 1_000_000_000).unwrap();
    id
}

/// A lender supplies 10,000 USDC; the borrower borrows 1,000 USDC against 1 ETH, then ETH falls
/// to 1100: liquidatable.
fn usdc_borrower_underwater(suite: &mut LiqSuite) -> u64 {
    let lender = suite.lender.clone();
    suite.open(&lender, &coins(10_000_000_000, USDC)).unwrap();
    let borrower = suite.borrower.clone();
    let id = suite.open(&borrower, &coins(ONE_ETH, ETH)).unwrap();
    suite.borrow(&borrower, id, USDC, 1_000_000_000).unwrap();
    suite.set_price(ETH, "1100");
    id
}

#[test]
fn liquidator_is_wired_to_the_market_with_default_factors() {
    let suite = LiqSuite::new();
    let cfg = suite.config();
    assert_eq!(cfg.market, suite.market);
    assert_eq!(cfg.close_factor, dec("0.2"));
    assert_eq!(cfg.liquidation_bonus, dec("0.03"));
}

#[test]
fn moet_debt_is_partially_liquidated_through_cw20_send_with_refund() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    let id = moet_borrower(&mut suite);
    suite.set_price(ETH, "1100");

    let quote = suite.quote(id, &suite.moet_denom(), None);
    assert!(quote.liquidatable);
    assert_eq!(quote.max_repay, Uint128::new(200_000_000));
    assert_eq!(quote.repay_amount, Uint128::new(200_000_000));
    assert_eq!(quote.collateral_out, Uint128::new(WORKED_SEIZE));
    assert_eq!(
        quote.bonus_value,
        "5.9999999999999992".parse::<Decimal256>().unwrap()
    );
    assert_eq!(
        quote.health_before,
        Some("0.935".parse::<Decimal256>().unwrap())
    );

    let eth_before = suite.native_balance(&suite.bot, ETH);
    let supply_before = suite.moet_supply();
    let res = suite
        .liquidate_moet(id, 500_000_000, Some(WORKED_SEIZE))
        .unwrap();
    // The liquidator says who offered what; the market's `seize` event has the amounts.
    let event = |ty: &str, key: &str| {
        res.events
            .iter()
            .filter(|e| e.ty == ty)
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.clone())
            .unwrap_or_else(|| panic!("no {key} in {ty}"))
    };
    assert_eq!(event("wasm", "offered"), "500000000");
    assert_eq!(event("wasm", "liquidator"), suite.bot.to_string());
    assert_eq!(event("wasm-seize", "repay_amount"), "200000000");
    assert_eq!(
        event("wasm-seize", "collateral_amount"),
        WORKED_SEIZE.to_string()
    );
    assert_eq!(event("wasm-seize", "recipient"), suite.bot.to_string());
    assert_eq!(event("wasm", "refund"), "300000000");

    // The bot paid exactly 200 MOET (300 came back) and got the collateral.
    assert_eq!(suite.moet_balance(&suite.bot), 800_000_000);
    assert_eq!(
        suite.native_balance(&suite.bot, ETH),
        eth_before + WORKED_SEIZE
    );
    // The repaid MOET was burnt.
    assert_eq!(suite.moet_supply(), supply_before - 200_000_000);
    suite.assert_liquidator_holds_nothing();

    let position = suite.position(id);
    let moet = suite.moet_denom();
    assert_eq!(debt_of(&position, &moet).u128(), 800_000_000);
    assert_eq!(collateral_of(&position, ETH).u128(), ONE_ETH - WORKED_SEIZE);
    assert_eq!(lhf(&position), quote.health_after);
    assert!(lhf(&position) > quote.health_before);
}

#[test]
fn repeated_liquidations_each_take_the_close_factor_of_what_is_left() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    let id = moet_borrower(&mut suite);
    suite.set_price(ETH, "1100");

    suite.liquidate_moet(id, 200_000_000, None).unwrap();
    // Still liquidatable: 20% of the remaining 800 MOET.
    let quote = suite.quote(id, &suite.moet_denom(), None);
    assert!(quote.liquidatable);
    assert_eq!(quote.max_repay, Uint128::new(160_000_000));
    suite
        .liquidate_moet(id, 1_000_000_000 - 200_000_000, None)
        .unwrap();
    let position = suite.position(id);
    assert_eq!(debt_of(&position, &suite.moet_denom()).u128(), 640_000_000);
    assert_eq!(suite.moet_balance(&suite.bot), 1_000_000_000 - 360_000_000);
    suite.assert_liquidator_holds_nothing();
}

#[test]
fn native_debt_is_liquidated_with_attached_funds_and_refund() {
    let mut suite = LiqSuite::new();
    let id = usdc_borrower_underwater(&mut suite);

    let usdc_before = suite.native_balance(&suite.bot, USDC);
    let eth_before = suite.native_balance(&suite.bot, ETH);
    suite
        .liquidate_native(id, USDC, 500_000_000, Some(WORKED_SEIZE))
        .unwrap();

    assert_eq!(
        suite.native_balance(&suite.bot, USDC),
        usdc_before - 200_000_000
    );
    assert_eq!(
        suite.native_balance(&suite.bot, ETH),
        eth_before + WORKED_SEIZE
    );
    suite.assert_liquidator_holds_nothing();
    let position = suite.position(id);
    assert_eq!(debt_of(&position, USDC).u128(), 800_000_000);
    assert_eq!(collateral_of(&position, ETH).u128(), ONE_ETH - WORKED_SEIZE);
}

#[test]
fn healthy_position_cannot_be_liquidated_and_the_bot_keeps_its_tokens() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    let id = moet_borrower(&mut suite);

    let quote = suite.quote(id, &suite.moet_denom(), None);
    assert!(!quote.liquidatable);
    assert_eq!(quote.max_repay, Uint128::zero());
    assert_eq!(quote.collateral_out, Uint128::zero());
    assert!(quote.health_before.is_some());
    assert_eq!(quote.health_after, quote.health_before);

    let err = suite.liquidate_moet(id, 200_000_000, None).unwrap_err();
    assert!(
        err.root_cause().to_string().contains("not liquidatable"),
        "{err:?}"
    );
    assert_eq!(suite.moet_balance(&suite.bot), 1_000_000_000);
    let position = suite.position(id);
    assert_eq!(
        debt_of(&position, &suite.moet_denom()).u128(),
        1_000_000_000
    );
    assert_eq!(collateral_of(&position, ETH).u128(), ONE_ETH);
}

#[test]
fn slippage_guard_reverts_everything() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    let id = moet_borrower(&mut suite);
    suite.set_price(ETH, "1100");

    let eth_before = suite.native_balance(&suite.bot, ETH);
    let err = suite
        .liquidate_moet(id, 500_000_000, Some(WORKED_SEIZE + 1))
        .unwrap_err();
    assert!(err.root_cause().to_string().contains("slippage"), "{err:?}");
    assert_eq!(suite.moet_balance(&suite.bot), 1_000_000_000);
    assert_eq!(suite.native_balance(&suite.bot, ETH), eth_before);
    assert_eq!(
        debt_of(&suite.position(id), &suite.moet_denom()).u128(),
        1_000_000_000
    );
}

#[test]
fn seize_is_capped_at_the_collateral_and_repay_rounded_up_end_to_end() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    // 0.1 ETH + 1000 USDC back 900 MOET; then ETH falls to 1100 and USDC to 0.9.
    let borrower = suite.borrower.clone();
    let id = suite
        .open(
            &borrower,
            &[coin(ONE_ETH / 10, ETH), coin(1_000_000_000, USDC)],
        )
        .unwrap();
    let moet = suite.moet_denom();
    suite.borrow(&borrower, id, &moet, 900_000_000).unwrap();
    suite.set_price(ETH, "1100");
    suite.set_price(USDC, "0.9");

    // 180 MOET would buy 0.1685 ETH: only 0.1 ETH is there.
    let quote = suite.quote(id, &moet, None);
    assert_eq!(quote.max_repay, Uint128::new(180_000_000));
    assert_eq!(quote.repay_amount, Uint128::new(106_796_117));
    assert_eq!(quote.collateral_out, Uint128::new(ONE_ETH / 10));

    let eth_before = suite.native_balance(&suite.bot, ETH);
    suite.liquidate_moet(id, 180_000_000, None).unwrap();
    assert_eq!(suite.moet_balance(&suite.bot), 1_000_000_000 - 106_796_117);
    assert_eq!(
        suite.native_balance(&suite.bot, ETH),
        eth_before + ONE_ETH / 10
    );
    suite.assert_liquidator_holds_nothing();
    let position = suite.position(id);
    assert_eq!(debt_of(&position, &moet).u128(), 900_000_000 - 106_796_117);
    assert_eq!(collateral_of(&position, ETH).u128(), 0);
    assert_eq!(collateral_of(&position, USDC).u128(), 1_000_000_000);
}

#[test]
fn dust_debt_is_liquidated_in_full() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    // 0.01 ETH at 2000 backs 12 MOET; at 1300 LHF = 11.05 / 12.
    let borrower = suite.borrower.clone();
    let id = suite.open(&borrower, &coins(ONE_ETH / 100, ETH)).unwrap();
    let moet = suite.moet_denom();
    suite.borrow(&borrower, id, &moet, 12_000_000).unwrap();
    suite.set_price(ETH, "1300");

    // floor(12 * 1.03 / 1300 * 1e18)
    let seize = 9_507_692_307_692_307;
    let quote = suite.quote(id, &moet, None);
    assert_eq!(quote.max_repay, Uint128::new(12_000_000));
    assert_eq!(quote.collateral_out, Uint128::new(seize));
    assert_eq!(quote.health_after, None);

    let eth_before = suite.native_balance(&suite.bot, ETH);
    suite.liquidate_moet(id, 20_000_000, Some(seize)).unwrap();
    assert_eq!(suite.moet_balance(&suite.bot), 1_000_000_000 - 12_000_000);
    assert_eq!(suite.native_balance(&suite.bot, ETH), eth_before + seize);
    let position = suite.position(id);
    assert!(position.debt.is_empty(), "{:?}", position.debt);
    assert_eq!(collateral_of(&position, ETH).u128(), ONE_ETH / 100 - seize);
    suite.assert_liquidator_holds_nothing();
}

#[test]
fn native_funds_for_a_cw20_debt_are_rejected() {
    let mut suite = LiqSuite::new();
    let id = moet_borrower(&mut suite);
    suite.set_price(ETH, "1100");
    let moet = suite.moet_denom();
    let (bot, liquidator) = (suite.bot.clone(), suite.liquidator.clone());
    let err = suite
        .exec(
            &bot,
            &liquidator,
            &ExecuteMsg::Liquidate {
                position_id: id,
                debt_denom: moet,
                collateral_denom: ETH.to_string(),
                min_collateral_out: None,
            },
            &coins(200_000_000, USDC),
        )
        .unwrap_err();
    assert!(
        err.root_cause().to_string().contains("wrong funds"),
        "{err:?}"
    );
}

#[test]
fn the_market_accepts_seize_only_from_the_liquidator() {
    let mut suite = LiqSuite::new();
    let id = usdc_borrower_underwater(&mut suite);

    // Calling the market directly with the liquidator's numbers fails: the bot is not it.
    let bot = suite.bot.clone();
    suite
        .exec_market(
            &bot,
            &MarketExecuteMsg::Seize {
                position_id: id,
                debt_denom: USDC.to_string(),
                repay_amount: Uint128::new(200_000_000),
                collateral_denom: ETH.to_string(),
                collateral_amount: Uint128::new(WORKED_SEIZE),
                recipient: bot.to_string(),
            },
            &coins(200_000_000, USDC),
        )
        .unwrap_err();
    assert_eq!(debt_of(&suite.position(id), USDC).u128(), 1_000_000_000);
}

#[test]
fn migrate_through_the_chain_keeps_the_config() {
    let mut suite = LiqSuite::new();
    let code_id = suite.app.store_code(liquidator_contract());
    let (owner, liquidator) = (suite.owner.clone(), suite.liquidator.clone());
    suite
        .app
        .migrate_contract(
            owner,
            liquidator,
            &keel_types::liquidator::MigrateMsg {},
            code_id,
        )
        .unwrap();
    let cfg = suite.config();
    assert_eq!(cfg.market, suite.market);
}

#[test]
fn market_maximums_below_the_liquidators_factors_are_respected() {
    let mut suite = LiqSuite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    let id = moet_borrower(&mut suite);
    suite.update_config(ConfigUpdate {
        max_close_factor: Some(dec("0.1")),
        max_liquidation_bonus: Some(dec("0.01")),
        ..ConfigUpdate::default()
    });
    suite.set_price(ETH, "1100");

    // 10% of 1000 MOET, at a 1% bonus: floor(100 * 1.01 / 1100 * 1e18).
    let seize = 91_818_181_818_181_818;
    let quote = suite.quote(id, &suite.moet_denom(), None);
    assert_eq!(quote.max_repay, Uint128::new(100_000_000));
    assert_eq!(quote.collateral_out, Uint128::new(seize));

    let eth_before = suite.native_balance(&suite.bot, ETH);
    suite.liquidate_moet(id, 500_000_000, None).unwrap();
    assert_eq!(suite.moet_balance(&suite.bot), 900_000_000);
    assert_eq!(suite.native_balance(&suite.bot, ETH), eth_before + seize);
    assert_eq!(
        debt_of(&suite.position(id), &suite.moet_denom()).u128(),
        900_000_000
    );
}
