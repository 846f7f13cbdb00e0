//! The fixed scenario: a deployment as in SPEC 3.0 (oracle, market, MOET as real cw20-base with
//! the market as minter, liquidator) on a fresh chain, then every user-facing message once,
//! measured; and the scaling runs (borrow, liquidate and repay with 1, 2, 5 and 10 collateral
//! assets).
//!
//! Messages are keel-types' (the contracts' JSON interface); instantiate messages are written as
//! JSON with only the required fields, so that new optional config fields do not break the bench.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cosmwasm_std::Checksum;
use cosmwasm_std::{to_json_binary, Decimal, Uint128};
use cw20::Cw20ExecuteMsg;
use keel_math::{RateModel, RatePoint};
use keel_types::liquidator::{ExecuteMsg as LiqExecuteMsg, ReceiveMsg as LiqReceiveMsg};
use keel_types::market::{
    AssetKind, AssetParams, Automation, ConfigUpdate, DrawDownSink, ExecuteMsg, QueryMsg,
    ReceiveMsg,
};
use keel_types::oracle::{ExecuteMsg as OracleExecuteMsg, PriceInput, PriceSource};
use serde_json::{json, Value};

use crate::chain::{coins, Chain, Measure};
use crate::report::Row;

/// The wasm files the bench runs, by contract.
pub struct Artifacts {
    pub dir: PathBuf,
}

pub const CONTRACTS: [&str; 4] = ["keel_market", "keel_oracle", "keel_liquidator", "keel_moet"];

impl Artifacts {
    pub fn new(dir: &Path) -> Self {
        Artifacts {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.wasm"))
    }

    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        let p = self.path(name);
        std::fs::read(&p)
            .with_context(|| format!("reading {} (run scripts/build-wasm.sh first)", p.display()))
    }

    /// (contract, bytes) of every artifact.
    pub fn sizes(&self) -> Result<Vec<(String, u64)>> {
        CONTRACTS
            .iter()
            .map(|c| {
                let len = std::fs::metadata(self.path(c))
                    .with_context(|| format!("{} missing", self.path(c).display()))?
                    .len();
                Ok((c.to_string(), len))
            })
            .collect()
    }
}

pub struct Codes {
    pub market: Checksum,
    pub oracle: Checksum,
    pub liquidator: Checksum,
    pub cw20: Checksum,
}

impl Codes {
    pub fn store(chain: &Chain, artifacts: &Artifacts) -> Result<Codes> {
        Ok(Codes {
            market: chain.store_code(&artifacts.read("keel_market")?)?,
            oracle: chain.store_code(&artifacts.read("keel_oracle")?)?,
            liquidator: chain.store_code(&artifacts.read("keel_liquidator")?)?,
            cw20: chain.store_code(&artifacts.read("keel_moet")?)?,
        })
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

pub fn pool_params(decimals: u8) -> AssetParams {
    AssetParams {
        decimals,
        kind: AssetKind::Pool,
        collateral_factor: dec("0.8"),
        liquidation_threshold: dec("0.85"),
        borrow_factor: dec("1"),
        reserve_factor: dec("0.2"),
        rate_model: RateModel::Piecewise {
            points: vec![
                RatePoint {
                    utilization: dec("0"),
                    rate: dec("0"),
                },
                RatePoint {
                    utilization: dec("0.8"),
                    rate: dec("0.15"),
                },
                RatePoint {
                    utilization: dec("1"),
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

pub fn moet_params() -> AssetParams {
    AssetParams {
        decimals: 6,
        kind: AssetKind::Minted,
        collateral_factor: dec("0"),
        liquidation_threshold: dec("0"),
        borrow_factor: dec("1"),
        reserve_factor: dec("1"),
        rate_model: RateModel::Fixed { rate: dec("0") },
        supply_cap: None,
        borrow_cap: None,
        deposit_enabled: false,
        borrow_enabled: true,
        collateral_enabled: false,
    }
}

/// One whole token of an asset with `decimals`.
pub fn unit(decimals: u8) -> u128 {
    10u128.pow(decimals as u32)
}

/// Price history before the measured messages: 70 pushes (every `PRICE_REFRESH`), well past the
/// TWAP window, so each denom's ring holds the window (16 observations), the steady state of a
/// live chain.
pub const WARM_UP: u64 = 70 * PRICE_REFRESH;

/// Seconds between two measured messages: one block.
pub const BLOCK_SECONDS: u64 = 6;
/// Prices are pushed again when older than this (the oracle's max_age is 300 s).
const PRICE_REFRESH: u64 = 120;

/// A deployed Keel: addresses, listed assets and their current prices.
pub struct Deploy<'a> {
    pub chain: &'a Chain,
    pub owner: String,
    pub feeders: [String; 2],
    pub bot: String,
    pub oracle: String,
    pub market: String,
    pub moet: String,
    pub liquidator: String,
    /// (denom, price) of every priced asset.
    pub prices: Vec<(String, String)>,
    last_push: u64,
    codes_cw20: Checksum,
}

impl<'a> Deploy<'a> {
    /// SPEC 3.0 order: oracle, market, MOET (market as minter), list MOET, liquidator, config.
    pub fn new(chain: &'a Chain, codes: &Codes, tag: &str, market_extra: Value) -> Result<Self> {
        let owner = chain.user(&format!("{tag}/owner"));
        let feeders = [
            chain.user(&format!("{tag}/feeder1")),
            chain.user(&format!("{tag}/feeder2")),
        ];
        let bot = chain.user(&format!("{tag}/bot"));
        let (oracle, _) = chain.instantiate(
            &codes.oracle,
            &owner,
            &json!({"owner": owner, "base_denom": "moet", "max_age": 300,
                    "max_deviation": "0.1", "twap_window": 1800}),
            &[],
            "oracle",
        )?;
        chain.execute(
            &owner,
            &oracle,
            &OracleExecuteMsg::SetFeeders {
                add: feeders.to_vec(),
                remove: vec![],
            },
            &[],
        )?;
        let mut market_msg = json!({"owner": owner, "oracle": oracle});
        if let (Some(m), Some(extra)) = (market_msg.as_object_mut(), market_extra.as_object()) {
            for (k, v) in extra {
                m.insert(k.clone(), v.clone());
            }
        }
        let (market, _) = chain.instantiate(&codes.market, &owner, &market_msg, &[], "market")?;
        let (moet, _) = chain.instantiate(
            &codes.cw20,
            &owner,
            &json!({"name": "MOET", "symbol": "MOET", "decimals": 6,
                    "initial_balances": [{"address": bot, "amount": "1000000000000"}],
                    "mint": {"minter": market, "cap": null}, "marketing": null}),
            &[],
            "moet",
        )?;
        let mut d = Deploy {
            chain,
            owner: owner.clone(),
            feeders,
            bot,
            oracle,
            market: market.clone(),
            moet,
            liquidator: String::new(),
            prices: vec![],
            last_push: 0,
            codes_cw20: codes.cw20,
        };
        let moet_denom = d.moet_denom();
        d.list_asset(&moet_denom, moet_params())?;
        let (liquidator, _) = chain.instantiate(
            &codes.liquidator,
            &owner,
            &json!({"owner": owner, "market": market}),
            &[],
            "liquidator",
        )?;
        d.liquidator = liquidator.clone();
        chain.execute(
            &owner,
            &market,
            &ExecuteMsg::UpdateConfig(ConfigUpdate {
                liquidator: Some(liquidator),
                ..Default::default()
            }),
            &[],
        )?;
        Ok(d)
    }

    pub fn moet_denom(&self) -> String {
        format!("cw20:{}", self.moet)
    }

    pub fn list_asset(&mut self, denom: &str, params: AssetParams) -> Result<Measure> {
        self.chain.execute(
            &self.owner,
            &self.market,
            &ExecuteMsg::ListAsset {
                denom: denom.to_string(),
                params,
            },
            &[],
        )
    }

    /// Lists a pool asset with a feed price.
    pub fn add_pool_asset(&mut self, denom: &str, decimals: u8, price: &str) -> Result<()> {
        self.list_asset(denom, pool_params(decimals))?;
        self.chain.execute(
            &self.owner,
            &self.oracle,
            &OracleExecuteMsg::SetPriceSources {
                denom: denom.to_string(),
                sources: vec![PriceSource::Feed {}],
                max_age: None,
                max_deviation: None,
            },
            &[],
        )?;
        self.prices.push((denom.to_string(), price.to_string()));
        self.push_prices()?;
        Ok(())
    }

    /// A new cw20 token (cw20-base, the MOET code) with initial balances.
    pub fn create_cw20(
        &self,
        symbol: &str,
        decimals: u8,
        holders: &[(&str, u128)],
    ) -> Result<String> {
        let balances: Vec<Value> = holders
            .iter()
            .map(|(a, n)| json!({"address": a, "amount": n.to_string()}))
            .collect();
        let (addr, _) = self.chain.instantiate(
            &self.codes_cw20,
            &self.owner,
            &json!({"name": symbol, "symbol": symbol, "decimals": decimals,
                    "initial_balances": balances, "mint": null, "marketing": null}),
            &[],
            &symbol.to_lowercase(),
        )?;
        Ok(addr)
    }

    fn push_msg(&self) -> OracleExecuteMsg {
        OracleExecuteMsg::PushPrices {
            prices: self
                .prices
                .iter()
                .map(|(denom, price)| PriceInput {
                    denom: denom.clone(),
                    price: dec(price),
                })
                .collect(),
        }
    }

    /// Every price pushed by both feeders (the second confirms a deviating price).
    pub fn push_prices(&mut self) -> Result<()> {
        let msg = self.push_msg();
        for f in self.feeders.clone() {
            self.chain.execute(&f, &self.oracle, &msg, &[])?;
        }
        self.last_push = self.chain.now();
        Ok(())
    }

    pub fn set_price(&mut self, denom: &str, price: &str) -> Result<()> {
        for p in self.prices.iter_mut() {
            if p.0 == denom {
                p.1 = price.to_string();
            }
        }
        self.push_prices()
    }

    /// One block later, with prices no older than `PRICE_REFRESH`.
    pub fn next_block(&mut self) -> Result<()> {
        self.chain.advance(BLOCK_SECONDS);
        if self.chain.now() >= self.last_push + PRICE_REFRESH {
            self.push_prices()?;
            self.chain.advance(BLOCK_SECONDS);
        }
        Ok(())
    }

    /// Advances time by `seconds`, pushing prices every `PRICE_REFRESH` on the way (so that the
    /// TWAP window fills as on a live chain).
    pub fn warm_up(&mut self, seconds: u64) -> Result<()> {
        let end = self.chain.now() + seconds;
        while self.chain.now() + PRICE_REFRESH <= end {
            self.chain.advance(PRICE_REFRESH);
            self.push_prices()?;
        }
        Ok(())
    }

    pub fn exec(
        &self,
        sender: &str,
        msg: &ExecuteMsg,
        funds: &[cosmwasm_std::Coin],
    ) -> Result<Measure> {
        self.chain.execute(sender, &self.market, msg, funds)
    }

    /// cw20 `send` of `amount` of `token` from `from` to `contract` with `hook`.
    pub fn cw20_send<M: serde::Serialize>(
        &self,
        from: &str,
        token: &str,
        contract: &str,
        amount: u128,
        hook: &M,
    ) -> Result<Measure> {
        self.chain.execute(
            from,
            token,
            &Cw20ExecuteMsg::Send {
                contract: contract.to_string(),
                amount: Uint128::new(amount),
                msg: to_json_binary(hook)?,
            },
            &[],
        )
    }

    pub fn cw20_transfer(
        &self,
        from: &str,
        token: &str,
        to: &str,
        amount: u128,
    ) -> Result<Measure> {
        self.chain.execute(
            from,
            token,
            &Cw20ExecuteMsg::Transfer {
                recipient: to.to_string(),
                amount: Uint128::new(amount),
            },
            &[],
        )
    }

    /// Opens a position with native funds; returns its id.
    pub fn open(
        &self,
        owner: &str,
        funds: &[cosmwasm_std::Coin],
        automation: Option<Automation>,
    ) -> Result<(u64, Measure)> {
        let m = self.exec(
            owner,
            &ExecuteMsg::OpenPosition {
                automation,
                push_to_draw_down_sink: false,
            },
            funds,
        )?;
        Ok((position_id(&m)?, m))
    }

    pub fn borrow(&self, owner: &str, id: u64, denom: &str, amount: u128) -> Result<Measure> {
        self.exec(
            owner,
            &ExecuteMsg::Borrow {
                position_id: id,
                denom: denom.to_string(),
                amount: Uint128::new(amount),
                recipient: None,
                to_collateral: false,
            },
            &[],
        )
    }

    /// Liquidates MOET debt through the liquidator (cw20 `send` of MOET with the hook).
    pub fn liquidate_moet(
        &self,
        liquidator: &str,
        id: u64,
        collateral: &str,
        repay: u128,
    ) -> Result<Measure> {
        let hook = LiqReceiveMsg::Liquidate {
            position_id: id,
            debt_denom: self.moet_denom(),
            collateral_denom: collateral.to_string(),
            min_collateral_out: None,
        };
        let moet = self.moet.clone();
        self.cw20_send(liquidator, &moet, &self.liquidator, repay, &hook)
    }

    /// Liquidates native debt through the liquidator (funds attached).
    pub fn liquidate_native(
        &self,
        liquidator: &str,
        id: u64,
        debt: &str,
        collateral: &str,
        repay: u128,
    ) -> Result<Measure> {
        self.chain.execute(
            liquidator,
            &self.liquidator,
            &LiqExecuteMsg::Liquidate {
                position_id: id,
                debt_denom: debt.to_string(),
                collateral_denom: collateral.to_string(),
                min_collateral_out: None,
            },
            &coins(repay, debt),
        )
    }

    pub fn query_market(&self, msg: &QueryMsg) -> Result<(Value, Measure)> {
        self.chain.query(&self.market, msg)
    }
}

/// The `position_id` attribute of an `open_position` response.
pub fn position_id(m: &Measure) -> Result<u64> {
    match m.attribute("position_id") {
        Some(v) => Ok(v.parse()?),
        None => bail!("no position_id attribute"),
    }
}

const ATOM: &str = "uatom";
const OSMO: &str = "uosmo";
const JUNO: &str = "ujuno";

/// The message-by-message scenario. Returns one row per measured message, in order.
pub fn main_scenario(chain: &Chain, codes: &Codes) -> Result<Vec<Row>> {
    let mut rows = vec![];
    let mut d = Deploy::new(chain, codes, "main", json!({}))?;
    let alice = chain.user("alice");
    let lender = chain.user("lender");
    let carol = chain.user("carol");
    let carol_sink = chain.user("carol-sink");
    let dave = chain.user("dave");
    let dave_source = chain.user("dave-source");
    let erin = chain.user("erin");
    let frank = chain.user("frank");
    let gina = chain.user("gina");
    let bot = d.bot.clone();

    let weth = d.create_cw20("WETH", 18, &[(&alice, 10 * unit(18))])?;
    let weth_denom = format!("cw20:{weth}");
    d.add_pool_asset(ATOM, 6, "10")?;
    d.add_pool_asset(OSMO, 6, "1")?;
    d.add_pool_asset(JUNO, 6, "1")?;
    d.add_pool_asset(&weth_denom, 18, "3000")?;
    // a live chain: the TWAP window (1800 s) is covered and the ring is full
    d.warm_up(WARM_UP)?;

    chain.mint(&alice, 10_000 * unit(6), ATOM);
    chain.mint(&lender, 100_000 * unit(6), OSMO);
    chain.mint(&carol, 1_000 * unit(6), ATOM);
    for who in [&dave, &erin, &frank, &gina] {
        chain.mint(who, 1_000 * unit(6), JUNO);
    }
    chain.mint(&bot, 10_000 * unit(6), OSMO);
    chain.mint(&alice, 10_000 * unit(6), OSMO);

    let mut measure = |d: &mut Deploy,
                       name: &str,
                       f: &mut dyn FnMut(&Deploy) -> Result<Measure>|
     -> Result<Measure> {
        d.next_block()?;
        if std::env::var_os("KEEL_BENCH_TRACE").is_some() {
            eprintln!("== {name}");
        }
        let m = f(d).with_context(|| format!("scenario step `{name}`"))?;
        rows.push(Row::from_measure(name, &m));
        Ok(m)
    };

    // --- positions, deposits, borrows ---
    let m = measure(&mut d, "open_position (native)", &mut |d| {
        d.exec(
            &alice,
            &ExecuteMsg::OpenPosition {
                automation: None,
                push_to_draw_down_sink: false,
            },
            &coins(1_000 * unit(6), ATOM),
        )
    })?;
    let a = position_id(&m)?;
    measure(&mut d, "deposit (native)", &mut |d| {
        d.exec(
            &alice,
            &ExecuteMsg::Deposit {
                position_id: a,
                push_to_draw_down_sink: false,
            },
            &coins(100 * unit(6), ATOM),
        )
    })?;
    measure(&mut d, "deposit (cw20)", &mut |d| {
        d.cw20_send(
            &alice,
            &weth,
            &d.market,
            unit(18),
            &ReceiveMsg::Deposit {
                position_id: a,
                push_to_draw_down_sink: false,
            },
        )
    })?;
    d.next_block()?;
    let (lender_pos, _) = d.open(&lender, &coins(100_000 * unit(6), OSMO), None)?;
    measure(&mut d, "borrow (pool, native out)", &mut |d| {
        d.borrow(&alice, a, OSMO, 1_000 * unit(6))
    })?;
    let moet_denom = d.moet_denom();
    measure(&mut d, "borrow (MOET, mint)", &mut |d| {
        d.borrow(&alice, a, &moet_denom, 500 * unit(6))
    })?;
    d.chain.advance(3600);
    d.push_prices()?;
    measure(&mut d, "repay (native)", &mut |d| {
        d.exec(
            &alice,
            &ExecuteMsg::Repay { position_id: a },
            &coins(500 * unit(6), OSMO),
        )
    })?;
    let moet = d.moet.clone();
    measure(&mut d, "repay (MOET, cw20 + burn)", &mut |d| {
        d.cw20_send(
            &alice,
            &moet,
            &d.market,
            200 * unit(6),
            &ReceiveMsg::Repay { position_id: a },
        )
    })?;
    measure(&mut d, "withdraw (with health check)", &mut |d| {
        d.exec(
            &alice,
            &ExecuteMsg::Withdraw {
                position_id: a,
                denom: ATOM.to_string(),
                amount: Some(Uint128::new(50 * unit(6))),
                recipient: None,
            },
            &[],
        )
    })?;
    measure(&mut d, "withdraw (no debt)", &mut |d| {
        d.exec(
            &lender,
            &ExecuteMsg::Withdraw {
                position_id: lender_pos,
                denom: OSMO.to_string(),
                amount: Some(Uint128::new(1_000 * unit(6))),
                recipient: None,
            },
            &[],
        )
    })?;

    // --- automation ---
    d.next_block()?;
    let (carol_pos, _) = d.open(
        &carol,
        &coins(100 * unit(6), ATOM),
        Some(Automation {
            draw_down_sink: Some(DrawDownSink {
                address: carol_sink.clone(),
                msg: None,
            }),
            top_up_source: None,
            health: None,
            self_repay: false,
        }),
    )?;
    measure(&mut d, "rebalance (draw down to sink)", &mut |d| {
        d.exec(
            &bot,
            &ExecuteMsg::Rebalance {
                position_id: carol_pos,
            },
            &[],
        )
    })?;

    // dave (top-up), erin (MOET debt) and frank (OSMO debt) hold JUNO, whose price will drop
    d.next_block()?;
    let (dave_pos, _) = d.open(
        &dave,
        &coins(1_000 * unit(6), JUNO),
        Some(Automation {
            draw_down_sink: None,
            top_up_source: Some(dave_source.clone()),
            health: None,
            self_repay: false,
        }),
    )?;
    d.borrow(&dave, dave_pos, &moet_denom, 600 * unit(6))?;
    d.cw20_transfer(&bot, &moet, &dave_source, 1_000 * unit(6))?;
    d.chain.execute(
        &dave_source,
        &moet,
        &Cw20ExecuteMsg::IncreaseAllowance {
            spender: d.market.clone(),
            amount: Uint128::new(1_000 * unit(6)),
            expires: None,
        },
        &[],
    )?;
    // the source consents to back dave's position (SPEC 3.5)
    d.chain.execute(
        &dave_source,
        &d.market,
        &ExecuteMsg::AllowTopUp {
            position_id: dave_pos,
            amount: Uint128::new(1_000 * unit(6)),
        },
        &[],
    )?;
    let (erin_pos, _) = d.open(&erin, &coins(1_000 * unit(6), JUNO), None)?;
    d.borrow(&erin, erin_pos, &moet_denom, 700 * unit(6))?;
    let (frank_pos, _) = d.open(&frank, &coins(1_000 * unit(6), JUNO), None)?;
    d.borrow(&frank, frank_pos, OSMO, 700 * unit(6))?;

    // positions up to 100 for the scan, each with a debt (so that the scan prices it)
    let mut n = frank_pos;
    let mut i = 0;
    while n < 100 {
        let who = chain.user(&format!("filler-{i}"));
        chain.mint(&who, 100 * unit(6), ATOM);
        d.next_block()?;
        let (id, _) = d.open(&who, &coins(100 * unit(6), ATOM), None)?;
        d.borrow(&who, id, &moet_denom, 300 * unit(6))?;
        n = id;
        i += 1;
    }

    // gina's position: 1000 JUNO at 1 (C = 800) owing 700 MOET, HF 1.14, below the redemption
    // health 1.3: the bot redeems 50 MOET of it for JUNO
    let (gina_pos, _) = d.open(&gina, &coins(1_000 * unit(6), JUNO), None)?;
    d.borrow(&gina, gina_pos, &moet_denom, 700 * unit(6))?;
    measure(&mut d, "redeem (MOET for collateral)", &mut |d| {
        let moet = d.moet.clone();
        d.cw20_send(
            &bot,
            &moet,
            &d.market,
            50 * unit(6),
            &ReceiveMsg::Redeem {
                position_id: gina_pos,
                collateral_denom: JUNO.to_string(),
                min_collateral_out: None,
            },
        )
    })?;

    // JUNO falls 20%: both feeders confirm it
    d.next_block()?;
    d.set_price(JUNO, "0.8")?;
    measure(&mut d, "rebalance (top up from source)", &mut |d| {
        d.exec(
            &bot,
            &ExecuteMsg::Rebalance {
                position_id: dave_pos,
            },
            &[],
        )
    })?;
    measure(&mut d, "liquidate (native debt)", &mut |d| {
        d.liquidate_native(&bot, frank_pos, OSMO, JUNO, 140 * unit(6))
    })?;
    measure(&mut d, "liquidate (MOET debt, cw20)", &mut |d| {
        d.liquidate_moet(&bot, erin_pos, JUNO, 140 * unit(6))
    })?;

    // --- queries ---
    d.next_block()?;
    let (_, m) = d.query_market(&QueryMsg::Position { position_id: a })?;
    rows.push(Row::from_measure("position query (health)", &m));
    let (v, m) = d.query_market(&QueryMsg::LiquidatablePositions {
        start_after: None,
        limit: Some(100),
    })?;
    if v["last_scanned"].as_u64() != Some(100) {
        bail!(
            "liquidatable_positions scanned {:?}, expected 100",
            v["last_scanned"]
        );
    }
    rows.push(Row::from_measure("liquidatable_positions (100)", &m));

    // --- oracle ---
    d.next_block()?;
    let feeder = d.feeders[0].clone();
    let oracle = d.oracle.clone();
    let m = chain.execute(
        &feeder,
        &oracle,
        &OracleExecuteMsg::PushPrices {
            prices: vec![PriceInput {
                denom: ATOM.to_string(),
                price: dec("10.01"),
            }],
        },
        &[],
    )?;
    rows.push(Row::from_measure("oracle push_prices (1 denom)", &m));
    Ok(rows)
}

/// The collateral denoms of the scaling runs.
pub fn coin(i: usize) -> String {
    format!("ucoin{i}")
}

pub const SCALING: [usize; 4] = [1, 2, 5, 10];

/// Borrow and liquidate with N collateral assets (N = 1, 2, 5, 10) plus the debt asset.
/// Returns rows named `<message>, N=<n>`.
pub fn scaling_scenario(chain: &Chain, codes: &Codes) -> Result<Vec<Row>> {
    let mut rows = vec![];
    // 10 collateral denoms + the debt: one more than the default max_position_assets
    let mut d = Deploy::new(chain, codes, "scale", json!({"max_position_assets": 11}))?;
    for i in 1..=10 {
        d.add_pool_asset(&coin(i), 6, "1")?;
    }
    d.add_pool_asset(OSMO, 6, "1")?;
    d.warm_up(WARM_UP)?;
    let lender = chain.user("scale-lender");
    chain.mint(&lender, 1_000_000 * unit(6), OSMO);
    d.next_block()?;
    d.open(&lender, &coins(1_000_000 * unit(6), OSMO), None)?;
    let moet_denom = d.moet_denom();
    let bot = d.bot.clone();
    chain.mint(&bot, 100_000 * unit(6), OSMO);

    // (n, moet borrower position, pool borrower position)
    let mut positions = vec![];
    for n in SCALING {
        let mut ids = vec![];
        for kind in ["moet", "pool"] {
            let who = chain.user(&format!("scale-{kind}-{n}"));
            // collateral worth 1000 MOET: coin1 carries most, the others 10 each
            let mut funds = vec![];
            for i in 1..=n {
                let amount = if i == 1 {
                    1000 - 10 * (n as u128 - 1)
                } else {
                    10
                };
                chain.mint(&who, amount * unit(6), &coin(i));
                funds.push(cosmwasm_std::Coin::new(amount * unit(6), coin(i)));
            }
            funds.sort_by(|a, b| a.denom.cmp(&b.denom));
            d.next_block()?;
            let (id, _) = d.open(&who, &funds, None)?;
            d.next_block()?;
            let (denom, name) = if kind == "moet" {
                (moet_denom.clone(), "borrow (MOET)")
            } else {
                (OSMO.to_string(), "borrow (pool)")
            };
            let m = d.borrow(&who, id, &denom, 700 * unit(6))?;
            rows.push(Row::from_measure(&format!("{name}, N={n}"), &m));
            ids.push(id);
        }
        positions.push((n, ids[0], ids[1]));
    }
    // every collateral falls 20%
    d.next_block()?;
    for i in 1..=10 {
        let denom = coin(i);
        for p in d.prices.iter_mut() {
            if p.0 == denom {
                p.1 = "0.8".to_string();
            }
        }
    }
    d.push_prices()?;
    for (n, moet_pos, pool_pos) in positions {
        d.next_block()?;
        let (_, m) = d.query_market(&QueryMsg::Position {
            position_id: moet_pos,
        })?;
        rows.push(Row::from_measure(&format!("position query, N={n}"), &m));
        d.next_block()?;
        let m = d.liquidate_moet(&bot, moet_pos, &coin(1), 140 * unit(6))?;
        rows.push(Row::from_measure(
            &format!("liquidate (MOET debt), N={n}"),
            &m,
        ));
        d.next_block()?;
        let m = d.liquidate_native(&bot, pool_pos, OSMO, &coin(1), 140 * unit(6))?;
        rows.push(Row::from_measure(
            &format!("liquidate (native debt), N={n}"),
            &m,
        ));
        // a partial repay of the pool debt left (560 OSMO): the minimum debt check prices it
        d.next_block()?;
        let owner = chain.user(&format!("scale-pool-{n}"));
        chain.mint(&owner, 100 * unit(6), OSMO);
        let m = d.exec(
            &owner,
            &ExecuteMsg::Repay {
                position_id: pool_pos,
            },
            &coins(100 * unit(6), OSMO),
        )?;
        rows.push(Row::from_measure(&format!("repay (pool), N={n}"), &m));
    }
    Ok(rows)
}

/// Runs both scenarios on a fresh chain whose compiled modules are cached in `cache_dir`.
pub fn run_all(artifacts: &Artifacts, cache_dir: &Path) -> Result<(Vec<Row>, Vec<Row>)> {
    let chain = Chain::new(cache_dir)?;
    let codes = Codes::store(&chain, artifacts)?;
    let main = main_scenario(&chain, &codes)?;
    let scaling = scaling_scenario(&chain, &codes)?;
    Ok((main, scaling))
}
