//! The shared cw-multi-test harness: a whole Keel deployment (oracle, market, MOET as real
//! cw20-base with the market as minter, liquidator) in the order of SPEC 3.0, and small helpers
//! that speak the contracts' JSON messages.
pub mod sink;

pub mod fuzz;

use anyhow::Result as AnyResult;
use cosmwasm_std::{coin, Addr, Coin, Decimal, Empty, Uint128};
use cw20::{Cw20Coin, Cw20ExecuteMsg, Cw20QueryMsg, MinterResponse};
use cw_multi_test::{App, AppResponse, BankSudo, Contract, ContractWrapper, Executor, SudoMsg};
use keel_math::{RateModel, RatePoint};
use keel_types::market::{
    AssetKind, AssetParams, AssetResponse, ExecuteMsg as MarketExecuteMsg,
    InstantiateMsg as MarketInstantiateMsg, PositionResponse, QueryMsg as MarketQueryMsg,
};
use keel_types::{liquidator as liq, oracle};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn market_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            keel_market::contract::execute,
            keel_market::contract::instantiate,
            keel_market::contract::query,
        )
        .with_migrate(keel_market::contract::migrate),
    )
}

pub fn oracle_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            keel_oracle::contract::execute,
            keel_oracle::contract::instantiate,
            keel_oracle::contract::query,
        )
        .with_migrate(keel_oracle::contract::migrate),
    )
}

pub fn liquidator_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            keel_liquidator::contract::execute,
            keel_liquidator::contract::instantiate,
            keel_liquidator::contract::query,
        )
        .with_migrate(keel_liquidator::contract::migrate),
    )
}

/// MOET's code (cw20-base that deletes emptied balances), for MOET and every cw20 collateral, as
/// the deployment and the gas bench use it.
pub fn cw20_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        keel_moet::contract::execute,
        keel_moet::contract::instantiate,
        keel_moet::contract::query,
    ))
}

/// `"0.8"` -> `Decimal`; test input only.
pub fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

/// A piecewise-linear rate model from `(utilization, rate)` pairs.
pub fn curve(points: &[(&str, &str)]) -> RateModel {
    RateModel::Piecewise {
        points: points
            .iter()
            .map(|(utilization, rate)| RatePoint {
                utilization: dec(utilization),
                rate: dec(rate),
            })
            .collect(),
    }
}

/// The SPEC 3.1 example curve: 0% at 0, 15% at 80%, 150% at 100%.
pub fn spec_curve() -> RateModel {
    curve(&[("0", "0"), ("0.8", "0.15"), ("1", "1.5")])
}

/// The SPEC 3.1 example params for a pool asset with `decimals`.
pub fn pool_params(decimals: u8) -> AssetParams {
    AssetParams {
        decimals,
        kind: AssetKind::Pool,
        collateral_factor: dec("0.8"),
        liquidation_threshold: dec("0.85"),
        borrow_factor: dec("1"),
        reserve_factor: dec("0.2"),
        rate_model: spec_curve(),
        supply_cap: None,
        borrow_cap: None,
        deposit_enabled: true,
        borrow_enabled: true,
        collateral_enabled: true,
    }
}

/// MOET: minted, 6 decimals, zero-interest by default.
pub fn moet_params(rate: &str) -> AssetParams {
    AssetParams {
        decimals: 6,
        kind: AssetKind::Minted,
        collateral_factor: dec("0"),
        liquidation_threshold: dec("0"),
        borrow_factor: dec("1"),
        reserve_factor: dec("1"),
        rate_model: RateModel::Fixed { rate: dec(rate) },
        supply_cap: None,
        borrow_cap: None,
        deposit_enabled: false,
        borrow_enabled: true,
        collateral_enabled: false,
    }
}

pub const MAX_AGE: u64 = 300;

pub struct Suite {
    pub app: App,
    pub owner: Addr,
    pub feeders: [Addr; 2],
    pub oracle: Addr,
    pub market: Addr,
    pub moet: Addr,
    pub liquidator: Addr,
    cw20_code: u64,
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

/// `n` whole ETH in base units (18 decimals).
pub fn eth(n: u128) -> u128 {
    n * 10u128.pow(18)
}

/// `n` whole USDC (or MOET) in base units (6 decimals).
pub fn usdc(n: u128) -> u128 {
    n * 1_000_000
}

pub fn d256(s: &str) -> cosmwasm_std::Decimal256 {
    s.parse().expect("a Decimal256")
}

/// An error with its whole chain of causes, for `contains` checks.
pub fn err_text(err: anyhow::Error) -> String {
    format!("{err:#}")
}

/// The two pool assets most suites use: 18 and 6 decimals.
pub const ETH: &str = "ueth";
pub const USDC: &str = "uusdc";

impl Suite {
    /// The deployment with ETH (18 decimals, price 2000) and USDC (6 decimals, price 1) listed
    /// as pools with [`pool_params`].
    pub fn with_eth_and_usdc() -> Self {
        let mut s = Suite::new();
        s.list_asset(ETH, pool_params(18)).expect("list ETH");
        s.list_asset(USDC, pool_params(6)).expect("list USDC");
        s.set_price(ETH, "2000");
        s.set_price(USDC, "1");
        s
    }

    /// Oracle, market, MOET (market as minter; `bot` starts with 1,000,000 MOET for
    /// liquidations), MOET listed as the minted asset at 0% fixed, liquidator, config.
    pub fn new() -> Self {
        let mut app = App::default();
        let owner = app.api().addr_make("owner");
        let feeders = [
            app.api().addr_make("feeder1"),
            app.api().addr_make("feeder2"),
        ];
        let oracle_code = app.store_code(oracle_contract());
        let market_code = app.store_code(market_contract());
        let cw20_code = app.store_code(cw20_contract());
        let liquidator_code = app.store_code(liquidator_contract());

        let oracle = app
            .instantiate_contract(
                oracle_code,
                owner.clone(),
                &oracle::InstantiateMsg {
                    owner: owner.to_string(),
                    base_denom: "moet".to_string(),
                    max_age: MAX_AGE,
                    max_deviation: dec("0.1"),
                    twap_window: 1800,
                },
                &[],
                "oracle",
                Some(owner.to_string()),
            )
            .expect("oracle instantiates");
        app.execute_contract(
            owner.clone(),
            oracle.clone(),
            &oracle::ExecuteMsg::SetFeeders {
                add: feeders.iter().map(|f| f.to_string()).collect(),
                remove: vec![],
            },
            &[],
        )
        .expect("feeders set");

        let market = app
            .instantiate_contract(
                market_code,
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
                    redemption_fee: None,
                    redemption_health: None,
                },
                &[],
                "market",
                Some(owner.to_string()),
            )
            .expect("market instantiates");

        let bot = app.api().addr_make("bot");
        let moet = app
            .instantiate_contract(
                cw20_code,
                owner.clone(),
                &cw20_base::msg::InstantiateMsg {
                    name: "MOET".to_string(),
                    symbol: "MOET".to_string(),
                    decimals: 6,
                    initial_balances: vec![Cw20Coin {
                        address: bot.to_string(),
                        amount: Uint128::new(1_000_000_000_000),
                    }],
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
            .expect("moet instantiates");

        let mut suite = Suite {
            app,
            owner: owner.clone(),
            feeders,
            oracle,
            market: market.clone(),
            moet,
            liquidator: Addr::unchecked(""),
            cw20_code,
        };
        let moet_denom = suite.moet_denom();
        suite
            .list_asset(&moet_denom, moet_params("0"))
            .expect("moet listed");

        let liquidator = suite
            .app
            .instantiate_contract(
                liquidator_code,
                owner.clone(),
                &liq::InstantiateMsg {
                    owner: owner.to_string(),
                    market: market.to_string(),
                    close_factor: None,
                    liquidation_bonus: None,
                },
                &[],
                "liquidator",
                Some(owner.to_string()),
            )
            .expect("liquidator instantiates");
        suite.liquidator = liquidator.clone();
        suite.update_config(keel_types::market::ConfigUpdate {
            liquidator: Some(liquidator.to_string()),
            ..Default::default()
        });
        suite
    }

    /// The owner's `update_config` of the market; panics if refused.
    pub fn update_config(&mut self, update: keel_types::market::ConfigUpdate) {
        let owner = self.owner.clone();
        self.exec_market(&owner, &MarketExecuteMsg::UpdateConfig(update), &[])
            .expect("update_config by the owner");
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn moet_denom(&self) -> String {
        format!("cw20:{}", self.moet)
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    /// Moves time (and the block height) forward.
    pub fn advance(&mut self, seconds: u64) {
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += 1 + seconds / 5;
        });
    }

    pub fn exec<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> AnyResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), contract.clone(), msg, funds)
    }

    pub fn exec_market(
        &mut self,
        sender: &Addr,
        msg: &MarketExecuteMsg,
        funds: &[Coin],
    ) -> AnyResult<AppResponse> {
        let market = self.market.clone();
        self.exec(sender, &market, msg, funds)
    }

    pub fn query<T: DeserializeOwned, M: Serialize>(
        &self,
        contract: &Addr,
        msg: &M,
    ) -> AnyResult<T> {
        Ok(self.app.wrap().query_wasm_smart(contract, msg)?)
    }

    pub fn query_market<T: DeserializeOwned>(&self, msg: &MarketQueryMsg) -> AnyResult<T> {
        self.query(&self.market, msg)
    }

    pub fn list_asset(&mut self, denom: &str, params: AssetParams) -> AnyResult<AppResponse> {
        let owner = self.owner.clone();
        self.exec_market(
            &owner,
            &MarketExecuteMsg::ListAsset {
                denom: denom.to_string(),
                params,
            },
            &[],
        )
    }

    /// Gives `denom` a feed source (once) and makes `price` the accepted price now, confirming
    /// it with the second feeder when the deviation guard holds it.
    pub fn set_price(&mut self, denom: &str, price: &str) {
        let sources: Vec<oracle::PriceSourcesResponse> = self
            .query(
                &self.oracle,
                &oracle::QueryMsg::PriceSources {
                    start_after: None,
                    limit: Some(100),
                },
            )
            .expect("price sources");
        if !sources.iter().any(|s| s.denom == denom) {
            let (owner, oracle) = (self.owner.clone(), self.oracle.clone());
            self.exec(
                &owner,
                &oracle,
                &oracle::ExecuteMsg::SetPriceSources {
                    denom: denom.to_string(),
                    sources: vec![oracle::PriceSource::Feed {}],
                    max_age: None,
                    max_deviation: None,
                },
                &[],
            )
            .expect("sources set");
        }
        let msg = oracle::ExecuteMsg::PushPrices {
            prices: vec![oracle::PriceInput {
                denom: denom.to_string(),
                price: dec(price),
            }],
        };
        let oracle = self.oracle.clone();
        for feeder in self.feeders.clone() {
            self.exec(&feeder, &oracle, &msg, &[])
                .expect("price pushed");
        }
    }

    /// Mints native tokens to `to`.
    pub fn fund(&mut self, to: &Addr, amount: u128, denom: &str) {
        self.app
            .sudo(SudoMsg::Bank(BankSudo::Mint {
                to_address: to.to_string(),
                amount: vec![coin(amount, denom)],
            }))
            .expect("mint");
    }

    /// A cw20-base token held by `holders`, listed as a pool asset (`cw20:<address>`) with
    /// [`pool_params`] and fed at `price`: returns its address and denom.
    pub fn list_cw20(
        &mut self,
        symbol: &str,
        decimals: u8,
        holders: &[(&Addr, u128)],
        price: &str,
    ) -> (Addr, String) {
        let token = self.create_cw20(symbol, decimals, holders);
        let denom = format!("cw20:{token}");
        self.list_asset(&denom, pool_params(decimals))
            .expect("list the cw20");
        self.set_price(&denom, price);
        (token, denom)
    }

    /// A new cw20 token with `decimals`, `holders` funded; returns its address.
    pub fn create_cw20(&mut self, symbol: &str, decimals: u8, holders: &[(&Addr, u128)]) -> Addr {
        let owner = self.owner.clone();
        self.app
            .instantiate_contract(
                self.cw20_code,
                owner,
                &cw20_base::msg::InstantiateMsg {
                    name: symbol.to_string(),
                    symbol: symbol.to_string(),
                    decimals,
                    initial_balances: holders
                        .iter()
                        .map(|(a, n)| Cw20Coin {
                            address: a.to_string(),
                            amount: Uint128::new(*n),
                        })
                        .collect(),
                    mint: None,
                    marketing: None,
                },
                &[],
                symbol,
                None,
            )
            .expect("cw20 instantiates")
    }

    /// Balance of `denom` (native, or `cw20:<addr>`) held by `who`.
    pub fn balance(&self, who: &Addr, denom: &str) -> Uint128 {
        match denom.strip_prefix("cw20:") {
            Some(token) => {
                let r: cw20::BalanceResponse = self
                    .app
                    .wrap()
                    .query_wasm_smart(
                        token,
                        &Cw20QueryMsg::Balance {
                            address: who.to_string(),
                        },
                    )
                    .expect("cw20 balance");
                r.balance
            }
            None => {
                self.app
                    .wrap()
                    .query_balance(who, denom)
                    .expect("bank balance")
                    .amount
            }
        }
    }

    /// cw20 `send` of `amount` of token `token` from `from` to `contract` with hook `msg`.
    pub fn cw20_send<M: Serialize>(
        &mut self,
        from: &Addr,
        token: &Addr,
        contract: &Addr,
        amount: u128,
        msg: &M,
    ) -> AnyResult<AppResponse> {
        let send = Cw20ExecuteMsg::Send {
            contract: contract.to_string(),
            amount: Uint128::new(amount),
            msg: cosmwasm_std::to_json_binary(msg)?,
        };
        self.exec(from, token, &send, &[])
    }

    /// Opens a position for `owner` with native `funds`; returns its id.
    pub fn open(&mut self, owner: &Addr, funds: &[Coin]) -> AnyResult<u64> {
        let res = self.exec_market(
            owner,
            &MarketExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
            funds,
        )?;
        position_id_of(&res)
    }

    pub fn position(&self, id: u64) -> PositionResponse {
        self.query_market(&MarketQueryMsg::Position { position_id: id })
            .expect("position query")
    }

    pub fn asset(&self, denom: &str) -> AssetResponse {
        self.query_market(&MarketQueryMsg::Asset {
            denom: denom.to_string(),
        })
        .expect("asset query")
    }

    pub fn borrow(
        &mut self,
        owner: &Addr,
        id: u64,
        denom: &str,
        amount: u128,
    ) -> AnyResult<AppResponse> {
        self.exec_market(
            owner,
            &MarketExecuteMsg::Borrow {
                position_id: id,
                denom: denom.to_string(),
                amount: Uint128::new(amount),
                recipient: None,
                to_collateral: false,
            },
            &[],
        )
    }
}

/// Everything a failed message must leave as it was: every position, every asset's books and
/// the balances of the named holders.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub positions: Vec<PositionResponse>,
    pub assets: Vec<AssetResponse>,
    pub balances: Vec<(String, String, Uint128)>,
}

impl Suite {
    /// The state a refused message must not change (see [`Snapshot`]).
    pub fn snapshot(&self, holders: &[(&Addr, &str)]) -> Snapshot {
        let mut positions = vec![];
        let mut start_after = None;
        loop {
            let page: Vec<PositionResponse> = self
                .query_market(&MarketQueryMsg::Positions {
                    owner: None,
                    start_after,
                    limit: Some(100),
                })
                .expect("positions query");
            let Some(last) = page.last() else { break };
            start_after = Some(last.position_id);
            positions.extend(page);
        }
        let assets: Vec<AssetResponse> = self
            .query_market(&MarketQueryMsg::Assets {
                start_after: None,
                limit: Some(100),
            })
            .expect("assets query");
        let balances = holders
            .iter()
            .map(|(who, denom)| (who.to_string(), denom.to_string(), self.balance(who, denom)))
            .collect();
        Snapshot {
            positions,
            assets,
            balances,
        }
    }
}

/// The `position_id` attribute of an `open_position` response.
pub fn position_id_of(res: &AppResponse) -> AnyResult<u64> {
    let attr = res
        .events
        .iter()
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == "position_id")
        .ok_or_else(|| anyhow::anyhow!("no position_id attribute"))?;
    Ok(attr.value.parse()?)
}

/// The amount of `denom` in a position's collateral (0 when absent).
pub fn collateral_of(p: &PositionResponse, denom: &str) -> Uint128 {
    p.collateral
        .iter()
        .find(|b| b.denom == denom)
        .map(|b| b.amount)
        .unwrap_or_default()
}

/// The amount of `denom` in a position's debt (0 when absent).
pub fn debt_of(p: &PositionResponse, denom: &str) -> Uint128 {
    p.debt
        .iter()
        .find(|b| b.denom == denom)
        .map(|b| b.amount)
        .unwrap_or_default()
}
