//! Prices: one batched `prices` query to the oracle per message. MOET's price is 1 by
//! definition and is never asked for. The TWAP is asked for only when the message may value the
//! position conservatively (the borrow health floor): a liquidation, a repay or a position query
//! uses `price` alone and saves the oracle its TWAP ring reads (`skip_twap`).
use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Decimal, QuerierWrapper};
use keel_types::oracle::{PriceResponse, QueryMsg as OracleQueryMsg};

use crate::assets::Assets;
use crate::error::ContractError;
use crate::state::AssetId;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AssetPrice {
    pub price: Decimal,
    /// The oracle's TWAP when valid.
    pub twap: Option<Decimal>,
    /// Some feeder holds a pending price: the served price may lag a confirmed move.
    pub pending: bool,
}

impl AssetPrice {
    pub const ONE: AssetPrice = AssetPrice {
        price: Decimal::one(),
        twap: None,
        pending: false,
    };

    /// Collateral at its redemption price: `max(price, twap)` (SPEC 3.6a).
    pub fn redemption(&self) -> Decimal {
        match self.twap {
            Some(twap) => self.price.max(twap),
            None => self.price,
        }
    }

    /// Collateral valued conservatively: `min(price, twap)`.
    pub fn collateral(&self, conservative: bool) -> Decimal {
        match (conservative, self.twap) {
            (true, Some(twap)) => self.price.min(twap),
            _ => self.price,
        }
    }

    /// Debt valued conservatively: `max(price, twap)`.
    pub fn debt(&self, conservative: bool) -> Decimal {
        match (conservative, self.twap) {
            (true, Some(twap)) => self.price.max(twap),
            _ => self.price,
        }
    }
}

/// Whether a price query asks for the TWAP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Twap {
    /// Spot prices only: enough for liquidation, rebalancing a top-up, repay and queries.
    Skip,
    /// Spot and TWAP: needed by any conservative valuation (borrow health floor).
    #[default]
    Fetch,
}

/// Prices by asset id.
#[derive(Clone, Debug, Default)]
pub struct Prices {
    by_asset: BTreeMap<AssetId, AssetPrice>,
    twap: Twap,
}

impl Prices {
    pub fn new(twap: Twap) -> Self {
        Prices {
            by_asset: BTreeMap::new(),
            twap,
        }
    }

    /// Whether the TWAP was asked for: a conservative valuation without it would silently use
    /// spot prices, so `health` refuses one.
    pub fn has_twap(&self) -> bool {
        self.twap == Twap::Fetch
    }

    pub fn get(&self, id: AssetId, denom: &str) -> Result<AssetPrice, ContractError> {
        self.by_asset
            .get(&id)
            .copied()
            .ok_or_else(|| ContractError::PriceUnavailable {
                denom: denom.to_string(),
            })
    }

    pub fn insert(&mut self, id: AssetId, price: AssetPrice) {
        self.by_asset.insert(id, price);
    }
}

/// Fetches the prices of `ids` (all loaded in `assets`) in one oracle query. On failure, asks
/// denom by denom only to name the first one without a valid price (the message fails anyway).
pub fn fetch_prices(
    querier: &QuerierWrapper,
    oracle: &Addr,
    assets: &Assets,
    ids: impl IntoIterator<Item = AssetId>,
    twap: Twap,
) -> Result<Prices, ContractError> {
    let mut prices = Prices::new(twap);
    let mut asked: Vec<(AssetId, String)> = vec![];
    for id in ids {
        let asset = assets.get(id)?;
        if asset.is_minted() {
            prices.insert(id, AssetPrice::ONE);
        } else if !asked.iter().any(|(a, _)| *a == id) {
            asked.push((id, asset.denom().to_string()));
        }
    }
    if asked.is_empty() {
        return Ok(prices);
    }
    let denoms: Vec<String> = asked.iter().map(|(_, d)| d.clone()).collect();
    let answer: Result<Vec<PriceResponse>, _> = querier.query_wasm_smart(
        oracle,
        &OracleQueryMsg::Prices {
            denoms,
            skip_twap: (twap == Twap::Skip).then_some(true),
        },
    );
    let answer = match answer {
        Ok(answer) => answer,
        Err(_) => return Err(first_unavailable(querier, oracle, &asked)),
    };
    for (id, denom) in &asked {
        let found = answer
            .iter()
            .find(|p| &p.denom == denom)
            .filter(|p| !p.price.is_zero())
            .ok_or_else(|| ContractError::PriceUnavailable {
                denom: denom.clone(),
            })?;
        prices.insert(
            *id,
            AssetPrice {
                price: found.price,
                twap: found.twap.filter(|t| !t.is_zero()),
                pending: found.pending,
            },
        );
    }
    Ok(prices)
}

/// The error naming the first denom of `asked` the oracle cannot price.
fn first_unavailable(
    querier: &QuerierWrapper,
    oracle: &Addr,
    asked: &[(AssetId, String)],
) -> ContractError {
    for (_, denom) in asked {
        let one: Result<PriceResponse, _> = querier.query_wasm_smart(
            oracle,
            &OracleQueryMsg::Price {
                denom: denom.clone(),
            },
        );
        if one.is_err() {
            return ContractError::PriceUnavailable {
                denom: denom.clone(),
            };
        }
    }
    ContractError::PriceUnavailable {
        denom: asked.first().map(|(_, d)| d.clone()).unwrap_or_default(),
    }
}

/// Like `fetch_prices` for queries that must not fail for want of a price: returns what could
/// be priced and the first denom that could not.
pub fn fetch_prices_lenient(
    querier: &QuerierWrapper,
    oracle: &Addr,
    assets: &Assets,
    ids: &[AssetId],
    twap: Twap,
) -> Result<(Prices, Option<String>), ContractError> {
    match fetch_prices(querier, oracle, assets, ids.iter().copied(), twap) {
        Ok(prices) => Ok((prices, None)),
        Err(ContractError::PriceUnavailable { denom }) => {
            let mut prices = Prices::new(twap);
            for id in ids {
                if let Ok(one) = fetch_prices(querier, oracle, assets, [*id], twap) {
                    if let Ok(p) = one.get(*id, "") {
                        prices.insert(*id, p);
                    }
                }
            }
            Ok((prices, Some(denom)))
        }
        Err(e) => Err(e),
    }
}
