//! What one snapshot measures ([`Snap`]: raw storage, asset books, positions, every tracked
//! account's balances, oracle answers) and the valuations read from it (health factors,
//! liquidatable positions, balances in base units).
use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Record};
use keel_market::state::{AssetState, Position, ASSET_STATE, POSITIONS};
use keel_math::{to_underlying_down, to_underlying_up};
use keel_types::market::{AssetResponse, PositionResponse, QueryMsg as MQ};
use keel_types::oracle;

use super::util::{d256_f64, dec_f64};
use super::world::*;
use super::world::{
    World, MOET, NATIVE_ETH, NATIVE_FAKE, NATIVE_USD, N_ASSETS, N_POOL, N_TOKENS, T_FAKE, T_UFAKE,
};

/// Everything measured in one snapshot.
#[derive(Clone, Debug)]
pub struct Snap {
    pub now: u64,
    pub(super) raw: Vec<Vec<Record>>,
    pub states: Vec<AssetState>,
    pub q_assets: Vec<AssetResponse>,
    pub positions: BTreeMap<u64, Position>,
    /// `wallets[account][token]`.
    pub wallets: Vec<[u128; N_TOKENS]>,
    /// Oracle answer per pool asset (None: no valid price).
    pub prices: Vec<Option<oracle::PriceResponse>>,
    /// Tokens sent straight to the market so far, per asset.
    pub donated: [u128; N_ASSETS],
    /// The `positions` query: every position as the market reports it now (pending self-repay
    /// applied), by id.
    pub q_positions: BTreeMap<u64, PositionResponse>,
}

impl World {
    pub fn snapshot(&self) -> Snap {
        let s = &self.suite;
        let app = &s.app;
        let mut raw = vec![
            app.dump_wasm_raw(&s.market),
            app.dump_wasm_raw(&s.oracle),
            app.dump_wasm_raw(&s.liquidator),
        ];
        for t in &self.cw20s {
            raw.push(app.dump_wasm_raw(t));
        }
        let (states, positions) = {
            let storage = app.contract_storage(&s.market);
            let states: Vec<AssetState> = self
                .assets
                .iter()
                .map(|a| {
                    ASSET_STATE
                        .load(storage.as_ref(), a.id)
                        .expect("asset state")
                })
                .collect();
            let positions: BTreeMap<u64, Position> = POSITIONS
                .range(storage.as_ref(), None)
                .collect::<Result<_, _>>()
                .expect("positions");
            (states, positions)
        };
        let all: Vec<AssetResponse> = s
            .query_market(&MQ::Assets {
                start_after: None,
                limit: Some(100),
            })
            .expect("assets query");
        let q_assets: Vec<AssetResponse> = self
            .assets
            .iter()
            .map(|a| {
                all.iter()
                    .find(|r| r.denom == a.denom)
                    .cloned()
                    .expect("asset listed")
            })
            .collect();
        let mut wallets = vec![[0u128; N_TOKENS]; self.accounts.len()];
        let token_cols: Vec<(usize, &Addr)> = vec![
            (2, &self.cw20s[0]),
            (3, &self.cw20s[1]),
            (MOET, &self.cw20s[2]),
            (T_FAKE, &self.cw20s[3]),
        ];
        for (col, token) in token_cols {
            let storage = app.contract_storage(token);
            for (i, a) in self.accounts.iter().enumerate() {
                wallets[i][col] = cw20_base::state::BALANCES
                    .may_load(storage.as_ref(), a)
                    .expect("cw20 balance")
                    .unwrap_or_default()
                    .u128();
            }
        }
        for (i, a) in self.accounts.iter().enumerate() {
            #[allow(deprecated)]
            let all = app.wrap().query_all_balances(a).expect("bank");
            for c in all {
                let col = match c.denom.as_str() {
                    NATIVE_USD => 0,
                    NATIVE_ETH => 1,
                    NATIVE_FAKE => T_UFAKE,
                    d if d == self.forged[0] => T_FORGED_MOET,
                    d if d == self.forged[1] => T_FORGED_TKA,
                    other => panic!("unexpected native denom {other}"),
                };
                wallets[i][col] = c.amount.u128();
            }
        }
        let prices = self.assets[..N_POOL]
            .iter()
            .map(|a| {
                s.query::<oracle::PriceResponse, _>(
                    &s.oracle,
                    &oracle::QueryMsg::Price {
                        denom: a.denom.clone(),
                    },
                )
                .ok()
            })
            .collect();
        let mut q_positions = BTreeMap::new();
        let mut start = None;
        loop {
            let page: Vec<PositionResponse> = s
                .query_market(&MQ::Positions {
                    owner: None,
                    start_after: start,
                    limit: Some(100),
                })
                .expect("positions query");
            let n = page.len();
            start = page.last().map(|p| p.position_id);
            q_positions.extend(page.into_iter().map(|p| (p.position_id, p)));
            if n < 100 {
                break;
            }
        }
        Snap {
            now: s.now(),
            raw,
            states,
            q_assets,
            positions,
            wallets,
            prices,
            donated: self.donated,
            q_positions,
        }
    }

    /// Spot prices for valuing balances: the oracle's, else the last known.
    pub(super) fn value_prices(&self, snap: &Snap) -> [f64; N_ASSETS] {
        let mut px = [1.0; N_ASSETS];
        for (i, p) in px.iter_mut().enumerate().take(N_POOL) {
            *p = snap.prices[i]
                .as_ref()
                .map(|r| dec_f64(r.price))
                .unwrap_or_else(|| dec_f64(self.last_px[i]));
        }
        px
    }

    /// `(effective collateral, liquidation limit, effective debt)` of a position from exact
    /// balances (accrued indices); None when a needed price is missing.
    pub(super) fn health(
        &self,
        snap: &Snap,
        p: &Position,
        conservative: bool,
    ) -> Option<(f64, f64, f64)> {
        self.health_with(snap, p, conservative, false)
    }

    /// `health`, with the balances rounded the market's way (collateral down, debt up) when
    /// `rounded`. `conservative` values as the borrow floor does: collateral at
    /// `min(price, twap)` (zero without a price), debt at `max(price, twap)`.
    pub(super) fn health_with(
        &self,
        snap: &Snap,
        p: &Position,
        conservative: bool,
        rounded: bool,
    ) -> Option<(f64, f64, f64)> {
        let (mut c, mut l, mut d) = (0.0, 0.0, 0.0);
        for b in &p.collateral {
            let i = self.assets.iter().position(|a| a.id == b.asset)?;
            // At the borrow floor a collateral without a valid price counts as zero (SPEC 3.3).
            let px = match snap.prices.get(i)?.as_ref() {
                Some(px) => px,
                None if conservative => continue,
                None => return None,
            };
            let mut price = dec_f64(px.price);
            if conservative {
                if let Some(t) = px.twap {
                    price = price.min(dec_f64(t));
                }
            }
            let amount = if rounded {
                to_underlying_down(b.scaled, snap.q_assets[i].supply_index)
                    .ok()?
                    .u128() as f64
            } else {
                b.scaled.u128() as f64 * d256_f64(snap.q_assets[i].supply_index) / 1e6
            };
            let v = amount / 10f64.powi(self.assets[i].decimals as i32) * price;
            let params = &snap.q_assets[i].params;
            if params.collateral_enabled {
                c += v * dec_f64(params.collateral_factor);
            }
            l += v * dec_f64(params.liquidation_threshold);
        }
        for b in &p.debt {
            let i = self.assets.iter().position(|a| a.id == b.asset)?;
            let mut price = 1.0;
            if !self.assets[i].minted {
                let px = snap.prices.get(i)?.as_ref()?;
                price = dec_f64(px.price);
                if conservative {
                    if let Some(t) = px.twap {
                        price = price.max(dec_f64(t));
                    }
                }
            }
            let amount = if rounded {
                to_underlying_up(b.scaled, snap.q_assets[i].borrow_index)
                    .ok()?
                    .u128() as f64
            } else {
                b.scaled.u128() as f64 * d256_f64(snap.q_assets[i].borrow_index) / 1e6
            };
            let v = amount / 10f64.powi(self.assets[i].decimals as i32) * price;
            d += v * dec_f64(snap.q_assets[i].params.borrow_factor);
        }
        Some((c, l, d))
    }

    pub(super) fn hf(&self, snap: &Snap, id: u64, conservative: bool) -> Option<f64> {
        let p = snap.positions.get(&id)?;
        if p.debt.is_empty() {
            return Some(f64::INFINITY);
        }
        let (c, _, d) = self.health(snap, p, conservative)?;
        Some(if d == 0.0 { f64::INFINITY } else { c / d })
    }

    pub(super) fn lhf(&self, snap: &Snap, id: u64) -> Option<f64> {
        let p = snap.positions.get(&id)?;
        if p.debt.is_empty() {
            return Some(f64::INFINITY);
        }
        let (_, l, d) = self.health(snap, p, false)?;
        Some(if d == 0.0 { f64::INFINITY } else { l / d })
    }

    /// Position ids that are liquidatable (LHF < 1) in `snap`, by my own valuation.
    pub(super) fn liquidatable(&self, snap: &Snap) -> Vec<u64> {
        snap.positions
            .keys()
            .copied()
            .filter(|id| self.lhf(snap, *id).map(|l| l < 1.0).unwrap_or(false))
            .collect()
    }
}
