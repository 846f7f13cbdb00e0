//! Execute handlers, one file per group of messages, and what they share: `Touch` (a position
//! with its assets loaded and accrued, and the message's prices fetched once) and token
//! transfers.
pub mod admin;
pub mod automation;
pub mod liquidate;
pub mod redeem;
pub mod user;

use cosmwasm_std::{
    to_json_binary, Addr, BankMsg, Coin, CosmosMsg, Deps, Env, MessageInfo, QuerierWrapper,
    Storage, Uint128, WasmMsg,
};
use cw20::Cw20ExecuteMsg;

use crate::assets::Assets;
use crate::error::ContractError;
use crate::position::{asset_ids, load_position, load_position_assets};
use crate::prices::{fetch_prices, fetch_prices_lenient, AssetPrice, Prices, Twap};
use crate::state::{AssetId, Config, Position, PositionId, POSITIONS};

/// Tokens that came with the message: native funds, or a cw20 `send`.
#[derive(Clone, Debug)]
pub struct Payment {
    pub denom: String,
    pub amount: Uint128,
    /// Who paid (the cw20 sender for cw20 tokens): refunds go back to them.
    pub payer: Addr,
}

impl Payment {
    /// The native funds of the message. A native denom may not use the `cw20:` prefix that
    /// names cw20 tokens (SPEC 1): such coins would be booked as the cw20 token.
    pub fn from_funds(info: &MessageInfo) -> Result<Vec<Payment>, ContractError> {
        info.funds
            .iter()
            .filter(|c| !c.amount.is_zero())
            .map(|c| {
                if cw20_address(&c.denom).is_some() {
                    return Err(ContractError::UnexpectedFunds {
                        reason: format!("native denom {} uses the reserved prefix cw20:", c.denom),
                    });
                }
                Ok(Payment {
                    denom: c.denom.clone(),
                    amount: c.amount,
                    payer: info.sender.clone(),
                })
            })
            .collect()
    }

    /// Exactly one payment, or an error naming what is wrong.
    pub fn single(payments: Vec<Payment>) -> Result<Payment, ContractError> {
        let mut iter = payments.into_iter();
        match (iter.next(), iter.next()) {
            (Some(p), None) => Ok(p),
            (None, _) => Err(ContractError::NoFunds {}),
            (Some(_), Some(_)) => Err(ContractError::UnexpectedFunds {
                reason: "send exactly one denom".to_string(),
            }),
        }
    }
}

/// `cw20:<address>` -> the token contract.
pub fn cw20_address(denom: &str) -> Option<&str> {
    denom.strip_prefix("cw20:")
}

/// A transfer of `amount` of `denom` from the market to `recipient`.
pub fn send_tokens(
    denom: &str,
    amount: Uint128,
    recipient: &Addr,
) -> Result<CosmosMsg, ContractError> {
    Ok(match cw20_address(denom) {
        Some(token) => WasmMsg::Execute {
            contract_addr: token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: recipient.to_string(),
                amount,
            })?,
            funds: vec![],
        }
        .into(),
        None => BankMsg::Send {
            to_address: recipient.to_string(),
            amount: vec![Coin::new(amount, denom)],
        }
        .into(),
    })
}

/// A cw20 message to the token contract of `denom` (minted MOET: mint, burn, send).
pub fn cw20_msg(denom: &str, msg: &Cw20ExecuteMsg) -> Result<CosmosMsg, ContractError> {
    let token = cw20_address(denom).ok_or_else(|| ContractError::InvalidParams {
        denom: denom.to_string(),
        reason: "not a cw20 token".to_string(),
    })?;
    Ok(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}

/// A position loaded with every asset it holds (accrued to now), and the message's prices,
/// fetched at most once.
pub struct Touch {
    pub config: Config,
    /// The market's own address.
    pub contract: Addr,
    pub position_id: PositionId,
    pub position: Position,
    /// The position's owner, humanized once from the record's canonical address.
    pub owner: Addr,
    pub assets: Assets,
    prices: Option<Prices>,
    /// Whether `prices` asks for the TWAP: yes unless the message said it never values the
    /// position conservatively (`skip_twap`), so that forgetting costs gas, never safety.
    twap: Twap,
    /// Assets the message brings in besides the position's own.
    extra: Vec<AssetId>,
}

impl Touch {
    pub fn load(deps: Deps, env: &Env, position_id: PositionId) -> Result<Self, ContractError> {
        let config = Config::load(deps.storage, deps.api)?;
        let position = load_position(deps.storage, position_id)?;
        let owner = deps.api.addr_humanize(&position.owner)?;
        Self::with_position(deps.storage, env, config, position_id, position, owner)
    }

    pub fn with_position(
        storage: &dyn Storage,
        env: &Env,
        config: Config,
        position_id: PositionId,
        position: Position,
        owner: Addr,
    ) -> Result<Self, ContractError> {
        let mut assets = Assets::new(env.block.time.seconds());
        load_position_assets(storage, &position, &mut assets)?;
        Ok(Touch {
            config,
            contract: env.contract.address.clone(),
            position_id,
            position,
            owner,
            assets,
            prices: None,
            twap: Twap::Fetch,
            extra: vec![],
        })
    }

    /// Loads asset `denom` for this message; its price will be fetched with the others.
    pub fn include(
        &mut self,
        storage: &dyn Storage,
        denom: &str,
    ) -> Result<AssetId, ContractError> {
        let id = self.assets.load_denom(storage, denom)?;
        if !self.extra.contains(&id) {
            self.extra.push(id);
        }
        Ok(id)
    }

    /// Loads the minted asset (MOET) for this message.
    pub fn include_moet(&mut self, storage: &dyn Storage) -> Result<AssetId, ContractError> {
        let id = self.config.moet.ok_or(ContractError::NoMintedAsset {})?;
        self.assets.load(storage, id)?;
        if !self.extra.contains(&id) {
            self.extra.push(id);
        }
        Ok(id)
    }

    pub fn require_owner(&self, sender: &Addr, action: &str) -> Result<(), ContractError> {
        if *sender != self.owner {
            return Err(ContractError::unauthorized(action, sender));
        }
        Ok(())
    }

    /// For messages that value the position at `price` only (repay, seize): the oracle skips the
    /// TWAP. A conservative valuation then fails (see `position::health`).
    pub fn skip_twap(&mut self) {
        self.twap = Twap::Skip;
    }

    /// The prices of every asset of the position and of the message, in one oracle query.
    pub fn prices(&mut self, querier: &QuerierWrapper) -> Result<Prices, ContractError> {
        if self.prices.is_none() {
            let ids = self.ids();
            let fetched = fetch_prices(querier, &self.config.oracle, &self.assets, ids, self.twap)?;
            self.prices = Some(fetched);
        }
        Ok(self.prices.clone().unwrap_or_default())
    }

    /// Uses `prices`, fetched elsewhere, as the message's prices (a query that priced many
    /// positions in one batch).
    pub fn set_prices(&mut self, prices: Prices) {
        self.prices = Some(prices);
    }

    /// Prices for the borrow health floor, where collateral without a valid price counts as
    /// zero (SPEC 3.3): the whole set when every asset is priced, else what could be priced.
    pub fn floor_prices(&mut self, querier: &QuerierWrapper) -> Result<Prices, ContractError> {
        if let Some(prices) = &self.prices {
            return Ok(prices.clone());
        }
        let ids = self.ids();
        let (prices, missing) =
            fetch_prices_lenient(querier, &self.config.oracle, &self.assets, &ids, self.twap)?;
        if missing.is_none() {
            self.prices = Some(prices.clone());
        }
        Ok(prices)
    }

    /// Fails with the price-unavailable error unless every asset of `ids` has a valid price:
    /// from the message's prices when fetched, else in one query for those assets alone.
    pub fn require_priced(
        &self,
        querier: &QuerierWrapper,
        ids: &[AssetId],
    ) -> Result<(), ContractError> {
        if ids.is_empty() {
            return Ok(());
        }
        let fetched;
        let prices = match &self.prices {
            Some(prices) => prices,
            None => {
                fetched = fetch_prices(
                    querier,
                    &self.config.oracle,
                    &self.assets,
                    ids.iter().copied(),
                    Twap::Skip,
                )?;
                &fetched
            }
        };
        for id in ids {
            prices.get(*id, self.assets.get(*id)?.denom())?;
        }
        Ok(())
    }

    /// The position's assets and the message's, each once.
    fn ids(&self) -> Vec<AssetId> {
        let mut ids = asset_ids(&self.position);
        for id in &self.extra {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        ids
    }

    /// The price of `id` among the message's prices, when they were fetched.
    pub fn fetched_price(&self, id: AssetId) -> Option<AssetPrice> {
        let denom = self.assets.get(id).ok()?.denom();
        self.prices.as_ref()?.get(id, denom).ok()
    }

    /// The price of one loaded asset: from the message's prices when already fetched, else
    /// from a query for that asset alone (not kept: it is not the position's full set).
    pub fn price_of(
        &self,
        querier: &QuerierWrapper,
        id: AssetId,
    ) -> Result<AssetPrice, ContractError> {
        let denom = self.assets.get(id)?.denom();
        match &self.prices {
            Some(prices) => prices.get(id, denom),
            None => fetch_prices(querier, &self.config.oracle, &self.assets, [id], self.twap)?
                .get(id, denom),
        }
    }

    /// Writes the position and every changed asset.
    pub fn save(&self, storage: &mut dyn Storage) -> Result<(), ContractError> {
        POSITIONS.save(storage, self.position_id, &self.position)?;
        self.assets.save(storage, self.prices.as_ref())
    }
}
