//! End to end with cw-multi-test: oracle, market, MOET (cw20-base minted by the market) and the
//! liquidator, wired as SPEC 3.0 says. Prices come from fixed oracle sources, changed by the
//! owner to move the market; the block time never moves, so no interest accrues and every amount
//! below is exact.
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{coin, coins, to_json_binary, Addr, Coin, Decimal, Decimal256, Empty, Uint128};
use cw20::{BalanceResponse, Cw20ExecuteMsg, MinterResponse, TokenInfoResponse};
use cw_multi_test::error::AnyResult;
use cw_multi_test::{App, AppResponse, Contract, ContractWrapper, Executor};
use keel_types::liquidator::{
    ConfigResponse as LiquidatorConfig, ExecuteMsg, InstantiateMsg, QueryMsg, QuoteResponse,
    ReceiveMsg,
};
use keel_types::market::{
    AssetKind, AssetParams, ConfigUpdate, ExecuteMsg as MarketExecuteMsg,
    InstantiateMsg as MarketInstantiateMsg, PositionResponse, QueryMsg as MarketQueryMsg,
};
use keel_types::oracle::{
    ExecuteMsg as OracleExecuteMsg, InstantiateMsg as OracleInstantiateMsg, PriceSource,
};
use keel_types::{RateModel, RatePoint};

const ETH: &str = "weth";
const USDC: &str = "uusdc";
const ONE_ETH: u128 = 1_000_000_000_000_000_000;
/// floor(200 * 1.03 / 1100 * 1e18): the worked example's collateral out.
const WORKED_SEIZE: u128 = 187_272_727_272_727_272;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn market_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        keel_market::contract::execute,
        keel_market::contract::instantiate,
        keel_market::contract::query,
    ))
}

fn oracle_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        keel_oracle::contract::execute,
        keel_oracle::contract::instantiate,
        keel_oracle::contract::query,
    ))
}

fn cw20_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    ))
}

fn liquidator_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            keel_liquidator::contract::execute,
            keel_liquidator::contract::instantiate,
            keel_liquidator::contract::query,
        )
        .with_migrate(keel_liquidator::contract::migrate),
    )
}

fn pool_params(decimals: u8) -> AssetParams {
    AssetParams {
        decimals,
        kind: AssetKind::Pool,
        collateral_factor: dec("0.8"),
        liquidation_threshold: dec("0.85"),
        borrow_factor: Decimal::one(),
        reserve_factor: dec("0.2"),
        rate_model: RateModel::Piecewise {
            points: vec![
                RatePoint {
                    utilization: Decimal::zero(),
                    rate: Decimal::zero(),
                },
                RatePoint {
                    utilization: dec("0.8"),
                    rate: dec("0.15"),
                },
                RatePoint {
                    utilization: Decimal::one(),
                    rate: dec("1.5"),
                },
            ],
        },
        supply_cap: None,
        borrow_cap: None,
        deposit_enabled: true,
        borrow_enabled: true,
        collateral_enabled: true,
    }
}

fn moet_params() -> AssetParams {
    AssetParams {
        decimals: 6,
        kind: AssetKind::Minted,
        collateral_factor: Decimal::zero(),
        liquidation_threshold: Decimal::zero(),
        borrow_factor: Decimal::one(),
        reserve_factor: Decimal::zero(),
        rate_model: RateModel::Fixed {
            rate: Decimal::zero(),
        },
        supply_cap: None,
        borrow_cap: None,
        deposit_enabled: false,
        borrow_enabled: true,
        collateral_enabled: false,
    }
}

struct Suite {
    app: App,
    owner: Addr,
    borrower: Addr,
    bot: Addr,
    lender: Addr,
    oracle: Addr,
    market: Addr,
    moet: Addr,
    liquidator: Addr,
}

impl Suite {
    fn new() -> Self {
        let api = MockApi::default();
        let owner = api.addr_make("owner");
        let borrower = api.addr_make("borrower");
        let bot = api.addr_make("bot");
        let lender = api.addr_make("lender");
        let mut app = App::new(|router, _, storage| {
            for who in [&borrower, &bot, &lender] {
                router
                    .bank
                    .init_balance(
                        storage,
                        who,
                        vec![coin(100 * ONE_ETH, ETH), coin(100_000_000_000, USDC)],
                    )
                    .unwrap();
            }
        });
        let app_ref = &mut app;

        let oracle_id = app_ref.store_code(oracle_contract());
        let market_id = app_ref.store_code(market_contract());
        let cw20_id = app_ref.store_code(cw20_contract());
        let liquidator_id = app_ref.store_code(liquidator_contract());

        let oracle = app_ref
            .instantiate_contract(
                oracle_id,
                owner.clone(),
                &OracleInstantiateMsg {
                    owner: owner.to_string(),
                    base_denom: "moet".to_string(),
                    max_age: 300,
                    max_deviation: dec("0.1"),
                    twap_window: 1800,
                },
                &[],
                "oracle",
                None,
            )
            .unwrap();
        let market = app_ref
            .instantiate_contract(
                market_id,
                owner.clone(),
                &MarketInstantiateMsg {
                    owner: owner.to_string(),
                    oracle: oracle.to_string(),
                    liquidator: None,
                    guardian: None,
                    treasury: None,
                    default_health: None,
                    borrow_health_floor: None,
                    min_debt_value: None,
                    dust_debt_value: None,
                    max_close_factor: None,
                    max_liquidation_bonus: None,
                    max_position_assets: None,
                },
                &[],
                "market",
                Some(owner.to_string()),
            )
            .unwrap();
        let moet = app_ref
            .instantiate_contract(
                cw20_id,
                owner.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: "Keel MOET".to_string(),
                    symbol: "MOET".to_string(),
                    decimals: 6,
                    initial_balances: vec![],
                    mint: Some(MinterResponse {
                        minter: market.to_string(),
                        cap: None,
                    }),
                    marketing: None,
                },
                &[],
                "moet",
                None,
            )
            .unwrap();
        let mut suite = Suite {
            app,
            owner: owner.clone(),
            borrower,
            bot,
            lender,
            oracle,
            market: market.clone(),
            moet,
            liquidator: Addr::unchecked(""),
        };
        suite.market_exec(
            &owner,
            &MarketExecuteMsg::ListAsset {
                denom: suite.moet_denom(),
                params: moet_params(),
            },
        );
        suite.market_exec(
            &owner,
            &MarketExecuteMsg::ListAsset {
                denom: ETH.to_string(),
                params: pool_params(18),
            },
        );
        suite.market_exec(
            &owner,
            &MarketExecuteMsg::ListAsset {
                denom: USDC.to_string(),
                params: pool_params(6),
            },
        );
        suite.set_price(ETH, "2000");
        suite.set_price(USDC, "1");

        suite.liquidator = suite
            .app
            .instantiate_contract(
                liquidator_id,
                owner.clone(),
                &InstantiateMsg {
                    owner: owner.to_string(),
                    market: market.to_string(),
                    close_factor: None,
                    liquidation_bonus: None,
                },
                &[],
                "liquidator",
                Some(owner.to_string()),
            )
            .unwrap();
        let liquidator = suite.liquidator.to_string();
        suite.market_exec(
            &owner,
            &MarketExecuteMsg::UpdateConfig(ConfigUpdate {
                liquidator: Some(liquidator),
                ..ConfigUpdate::default()
            }),
        );
        suite
    }

    fn moet_denom(&self) -> String {
        format!("cw20:{}", self.moet)
    }

    fn market_exec(&mut self, sender: &Addr, msg: &MarketExecuteMsg) -> AppResponse {
        self.market_exec_funds(sender, msg, &[])
    }

    fn market_exec_funds(
        &mut self,
        sender: &Addr,
        msg: &MarketExecuteMsg,
        funds: &[Coin],
    ) -> AppResponse {
        self.app
            .execute_contract(sender.clone(), self.market.clone(), msg, funds)
            .unwrap()
    }

    /// The owner sets a fixed price: moves the market at once (no deviation guard on fixed).
    fn set_price(&mut self, denom: &str, price: &str) {
        self.app
            .execute_contract(
                self.owner.clone(),
                self.oracle.clone(),
                &OracleExecuteMsg::SetPriceSources {
                    denom: denom.to_string(),
                    sources: vec![PriceSource::Fixed { price: dec(price) }],
                    max_age: None,
                    max_deviation: None,
                },
                &[],
            )
            .unwrap();
    }

    fn open_position(&mut self, owner: &Addr, funds: &[Coin]) -> u64 {
        let res = self.market_exec_funds(
            owner,
            &MarketExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
            funds,
        );
        res.events
            .iter()
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == "position_id")
            .map(|a| a.value.parse().unwrap())
            .expect("open_position emits position_id")
    }

    fn borrow(&mut self, owner: &Addr, position_id: u64, denom: &str, amount: u128) {
        self.market_exec(
            owner,
            &MarketExecuteMsg::Borrow {
                position_id,
                denom: denom.to_string(),
                amount: Uint128::new(amount),
                recipient: None,
                to_collateral: false,
            },
        );
    }

    fn position(&self, position_id: u64) -> PositionResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.market, &MarketQueryMsg::Position { position_id })
            .unwrap()
    }

    fn quote(
        &self,
        position_id: u64,
        debt_denom: &str,
        repay_amount: Option<u128>,
    ) -> QuoteResponse {
        self.app
            .wrap()
            .query_wasm_smart(
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

    fn moet_balance(&self, who: &Addr) -> u128 {
        let res: BalanceResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.moet,
                &cw20::Cw20QueryMsg::Balance {
                    address: who.to_string(),
                },
            )
            .unwrap();
        res.balance.u128()
    }

    fn moet_supply(&self) -> u128 {
        let res: TokenInfoResponse = self
            .app
            .wrap()
            .query_wasm_smart(&self.moet, &cw20::Cw20QueryMsg::TokenInfo {})
            .unwrap();
        res.total_supply.u128()
    }

    fn native_balance(&self, who: &Addr, denom: &str) -> u128 {
        self.app
            .wrap()
            .query_balance(who, denom)
            .unwrap()
            .amount
            .u128()
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
        self.app.execute_contract(
            self.bot.clone(),
            self.moet.clone(),
            &Cw20ExecuteMsg::Send {
                contract: self.liquidator.to_string(),
                amount: Uint128::new(amount),
                msg: to_json_binary(&hook).unwrap(),
            },
            &[],
        )
    }

    /// The bot repays a native debt with funds attached.
    fn liquidate_native(
        &mut self,
        position_id: u64,
        denom: &str,
        amount: u128,
        min_collateral_out: Option<u128>,
    ) -> AnyResult<AppResponse> {
        self.app.execute_contract(
            self.bot.clone(),
            self.liquidator.clone(),
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
        let id = self.open_position(&bot, &coins(10 * ONE_ETH, ETH));
        let moet = self.moet_denom();
        self.borrow(&bot, id, &moet, amount);
    }

    fn assert_liquidator_holds_nothing(&self) {
        assert_eq!(self.moet_balance(&self.liquidator), 0);
        assert_eq!(self.native_balance(&self.liquidator, ETH), 0);
        assert_eq!(self.native_balance(&self.liquidator, USDC), 0);
    }
}

fn amount_of(balances: &[keel_types::market::PositionBalance], denom: &str) -> u128 {
    balances
        .iter()
        .find(|b| b.denom == denom)
        .map(|b| b.amount.u128())
        .unwrap_or(0)
}

fn lhf(position: &PositionResponse) -> Option<Decimal256> {
    position
        .health
        .as_ref()
        .and_then(|h| h.liquidation_health_factor)
}

/// 1 ETH at 2000 backs 1000 MOET; ETH falls to 1100 (LHF 0.935).
fn moet_borrower(suite: &mut Suite) -> u64 {
    let borrower = suite.borrower.clone();
    let id = suite.open_position(&borrower, &coins(ONE_ETH, ETH));
    let moet = suite.moet_denom();
    suite.borrow(&borrower, id, &moet, 1_000_000_000);
    id
}

#[test]
fn liquidator_is_wired_to_the_market_with_default_factors() {
    let suite = Suite::new();
    let cfg: LiquidatorConfig = suite
        .app
        .wrap()
        .query_wasm_smart(&suite.liquidator, &QueryMsg::Config {})
        .unwrap();
    assert_eq!(cfg.market, suite.market);
    assert_eq!(cfg.close_factor, dec("0.2"));
    assert_eq!(cfg.liquidation_bonus, dec("0.03"));
}

#[test]
fn moet_debt_is_partially_liquidated_through_cw20_send_with_refund() {
    let mut suite = Suite::new();
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
    let wasm = res
        .events
        .iter()
        .find(|e| {
            e.ty == "wasm"
                && e.attributes
                    .iter()
                    .any(|a| a.key == "action" && a.value == "liquidate")
        })
        .expect("liquidate event");
    let attr = |k: &str| {
        wasm.attributes
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
            .unwrap()
    };
    assert_eq!(attr("repay_amount"), "200000000");
    assert_eq!(attr("collateral_amount"), WORKED_SEIZE.to_string());
    assert_eq!(attr("refund"), "300000000");
    assert_eq!(attr("liquidator"), suite.bot.to_string());

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
    assert_eq!(amount_of(&position.debt, &moet), 800_000_000);
    assert_eq!(amount_of(&position.collateral, ETH), ONE_ETH - WORKED_SEIZE);
    assert_eq!(lhf(&position), quote.health_after);
    assert!(lhf(&position) > quote.health_before);
}

#[test]
fn repeated_liquidations_each_take_the_close_factor_of_what_is_left() {
    let mut suite = Suite::new();
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
    assert_eq!(amount_of(&position.debt, &suite.moet_denom()), 640_000_000);
    assert_eq!(suite.moet_balance(&suite.bot), 1_000_000_000 - 360_000_000);
    suite.assert_liquidator_holds_nothing();
}

#[test]
fn native_debt_is_liquidated_with_attached_funds_and_refund() {
    let mut suite = Suite::new();
    // A lender supplies the USDC the borrower borrows.
    let lender = suite.lender.clone();
    suite.open_position(&lender, &coins(10_000_000_000, USDC));
    let borrower = suite.borrower.clone();
    let id = suite.open_position(&borrower, &coins(ONE_ETH, ETH));
    suite.borrow(&borrower, id, USDC, 1_000_000_000);
    suite.set_price(ETH, "1100");

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
    assert_eq!(amount_of(&position.debt, USDC), 800_000_000);
    assert_eq!(amount_of(&position.collateral, ETH), ONE_ETH - WORKED_SEIZE);
}

#[test]
fn healthy_position_cannot_be_liquidated_and_the_bot_keeps_its_tokens() {
    let mut suite = Suite::new();
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
        amount_of(&position.debt, &suite.moet_denom()),
        1_000_000_000
    );
    assert_eq!(amount_of(&position.collateral, ETH), ONE_ETH);
}

#[test]
fn slippage_guard_reverts_everything() {
    let mut suite = Suite::new();
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
        amount_of(&suite.position(id).debt, &suite.moet_denom()),
        1_000_000_000
    );
}

#[test]
fn seize_is_capped_at_the_collateral_and_repay_rounded_up_end_to_end() {
    let mut suite = Suite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    // 0.1 ETH + 1000 USDC back 900 MOET; then ETH falls to 1100 and USDC to 0.9.
    let borrower = suite.borrower.clone();
    let id = suite.open_position(
        &borrower,
        &[coin(ONE_ETH / 10, ETH), coin(1_000_000_000, USDC)],
    );
    let moet = suite.moet_denom();
    suite.borrow(&borrower, id, &moet, 900_000_000);
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
    assert_eq!(amount_of(&position.debt, &moet), 900_000_000 - 106_796_117);
    assert_eq!(amount_of(&position.collateral, ETH), 0);
    assert_eq!(amount_of(&position.collateral, USDC), 1_000_000_000);
}

#[test]
fn dust_debt_is_liquidated_in_full() {
    let mut suite = Suite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    // 0.01 ETH at 2000 backs 12 MOET; at 1300 LHF = 11.05 / 12.
    let borrower = suite.borrower.clone();
    let id = suite.open_position(&borrower, &coins(ONE_ETH / 100, ETH));
    let moet = suite.moet_denom();
    suite.borrow(&borrower, id, &moet, 12_000_000);
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
    assert_eq!(amount_of(&position.collateral, ETH), ONE_ETH / 100 - seize);
    suite.assert_liquidator_holds_nothing();
}

#[test]
fn native_funds_for_a_cw20_debt_are_rejected() {
    let mut suite = Suite::new();
    let id = moet_borrower(&mut suite);
    suite.set_price(ETH, "1100");
    let moet = suite.moet_denom();
    let err = suite
        .app
        .execute_contract(
            suite.bot.clone(),
            suite.liquidator.clone(),
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
    let mut suite = Suite::new();
    let lender = suite.lender.clone();
    suite.open_position(&lender, &coins(10_000_000_000, USDC));
    let borrower = suite.borrower.clone();
    let id = suite.open_position(&borrower, &coins(ONE_ETH, ETH));
    suite.borrow(&borrower, id, USDC, 1_000_000_000);
    suite.set_price(ETH, "1100");

    // Calling the market directly with the liquidator's numbers fails: the bot is not it.
    let bot = suite.bot.clone();
    let market = suite.market.clone();
    suite
        .app
        .execute_contract(
            bot.clone(),
            market,
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
    assert_eq!(amount_of(&suite.position(id).debt, USDC), 1_000_000_000);
}

#[test]
fn migrate_through_the_chain_keeps_the_config() {
    let mut suite = Suite::new();
    let code_id = suite.app.store_code(liquidator_contract());
    suite
        .app
        .migrate_contract(
            suite.owner.clone(),
            suite.liquidator.clone(),
            &keel_types::liquidator::MigrateMsg {},
            code_id,
        )
        .unwrap();
    let cfg: LiquidatorConfig = suite
        .app
        .wrap()
        .query_wasm_smart(&suite.liquidator, &QueryMsg::Config {})
        .unwrap();
    assert_eq!(cfg.market, suite.market);
}

#[test]
fn market_maximums_below_the_liquidators_factors_are_respected() {
    let mut suite = Suite::new();
    suite.fund_bot_with_moet(1_000_000_000);
    let id = moet_borrower(&mut suite);
    let owner = suite.owner.clone();
    suite.market_exec(
        &owner,
        &MarketExecuteMsg::UpdateConfig(ConfigUpdate {
            max_close_factor: Some(dec("0.1")),
            max_liquidation_bonus: Some(dec("0.01")),
            ..ConfigUpdate::default()
        }),
    );
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
        amount_of(&suite.position(id).debt, &suite.moet_denom()),
        900_000_000
    );
}
