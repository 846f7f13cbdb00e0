//! Listed assets in memory: loaded once per message, accrued to the block time on load, and
//! written back only when changed.
use std::collections::BTreeMap;

use cosmwasm_std::{Decimal, Decimal256, Storage, Uint128};
use keel_math::{accrue, to_underlying_down, to_underlying_exact, to_underlying_up, utilization};
use keel_math::{AccrualInput, RateModel};
use keel_types::market::AssetKind;

use crate::error::ContractError;
use crate::prices::Prices;
use crate::state::{
    load_asset, AssetId, AssetInfo, AssetState, StoredPrice, ASSET_STATE, DENOM_IDS,
};

#[derive(Clone)]
pub struct LoadedAsset {
    pub id: AssetId,
    pub info: AssetInfo,
    pub state: AssetState,
    dirty: bool,
}

impl LoadedAsset {
    pub fn denom(&self) -> &str {
        &self.info.denom
    }

    pub fn is_minted(&self) -> bool {
        self.info.params.kind == AssetKind::Minted
    }

    pub fn decimals(&self) -> u8 {
        self.info.params.decimals
    }

    /// Marks the state as changed so that `Assets::save` writes it.
    pub fn touch(&mut self) -> &mut AssetState {
        self.dirty = true;
        &mut self.state
    }

    /// `S` exact (base units, 18 decimals).
    pub fn supply_exact(&self) -> Result<Decimal256, ContractError> {
        Ok(to_underlying_exact(
            self.state.scaled_supply,
            self.state.supply_index,
        )?)
    }

    /// `D` exact (base units, 18 decimals).
    pub fn debt_exact(&self) -> Result<Decimal256, ContractError> {
        Ok(to_underlying_exact(
            self.state.scaled_debt,
            self.state.borrow_index,
        )?)
    }

    /// Lenders' total supply in base units, rounded down.
    pub fn total_supply(&self) -> Result<Uint128, ContractError> {
        Ok(to_underlying_down(
            self.state.scaled_supply,
            self.state.supply_index,
        )?)
    }

    /// Total debt in base units, rounded up.
    pub fn total_debt(&self) -> Result<Uint128, ContractError> {
        Ok(to_underlying_up(
            self.state.scaled_debt,
            self.state.borrow_index,
        )?)
    }

    /// Reserves in whole base units, rounded down.
    pub fn reserves(&self) -> Uint128 {
        Uint128::try_from(self.state.reserves.to_uint_floor()).unwrap_or(Uint128::MAX)
    }

    pub fn utilization(&self) -> Result<Decimal, ContractError> {
        Ok(utilization(
            self.supply_exact()?,
            self.state.reserves,
            self.debt_exact()?,
        )?)
    }

    /// The yearly borrow rate now: minted assets use their fixed rate.
    pub fn borrow_rate(&self) -> Result<Decimal, ContractError> {
        match &self.info.params.rate_model {
            RateModel::Fixed { rate } => Ok(*rate),
            model @ RateModel::Piecewise { .. } => {
                let u = if self.is_minted() {
                    Decimal::zero()
                } else {
                    self.utilization()?
                };
                Ok(model.rate(u)?)
            }
        }
    }

    /// Lenders' yearly rate now: `r * D * (1 - reserve_factor) / S` (0 without lenders).
    pub fn supply_rate(&self) -> Result<Decimal, ContractError> {
        let supply = self.supply_exact()?;
        if supply.is_zero() {
            return Ok(Decimal::zero());
        }
        let lenders_share = Decimal256::one()
            .checked_sub(Decimal256::from(self.info.params.reserve_factor))
            .map_err(ContractError::Overflow)?;
        let yearly = self
            .debt_exact()?
            .checked_mul(Decimal256::from(self.borrow_rate()?))
            .and_then(|x| x.checked_mul(lenders_share))
            .map_err(|_| keel_math::MathError::Overflow("supply_rate"))?;
        let rate = yearly
            .checked_div(supply)
            .map_err(|_| keel_math::MathError::DivideByZero("supply_rate"))?;
        Ok(Decimal::try_from(rate).unwrap_or(Decimal::MAX))
    }

    /// Accrues interest up to `now` (SPEC 3.2).
    pub fn accrue_to(&mut self, now: u64) -> Result<(), ContractError> {
        if now <= self.state.last_updated {
            return Ok(());
        }
        if self.state.scaled_debt.is_zero() {
            // No debt, no interest: skip the rate and utilization (most collateral assets).
            self.state.last_updated = now;
            return Ok(());
        }
        let dt = now.saturating_sub(self.state.last_updated);
        let out = accrue(&AccrualInput {
            supply_index: self.state.supply_index,
            borrow_index: self.state.borrow_index,
            scaled_supply: self.state.scaled_supply,
            scaled_debt: self.state.scaled_debt,
            reserves: self.state.reserves,
            rate: self.borrow_rate()?,
            reserve_factor: self.info.params.reserve_factor,
            dt,
        })?;
        // Not `touch()`: accruing alone changes nothing that must be stored (a later load
        // accrues from the stored state again, as a query does). Only an asset whose totals
        // the message changes is written back (with its accrual): a message that merely values
        // the position's other assets does not rewrite them, which saves a storage write
        // (about 6k SDK gas) per untouched asset.
        let state = &mut self.state;
        state.supply_index = out.supply_index;
        state.borrow_index = out.borrow_index;
        state.reserves = out.reserves;
        state.last_updated = now;
        Ok(())
    }
}

/// The assets one message works with, each accrued to `now` on first load.
#[derive(Clone)]
pub struct Assets {
    now: u64,
    loaded: BTreeMap<AssetId, LoadedAsset>,
}

impl Assets {
    pub fn new(now: u64) -> Self {
        Assets {
            now,
            loaded: BTreeMap::new(),
        }
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn id_of(storage: &dyn Storage, denom: &str) -> Result<AssetId, ContractError> {
        DENOM_IDS
            .may_load(storage, denom)?
            .ok_or_else(|| ContractError::UnknownAsset {
                denom: denom.to_string(),
            })
    }

    /// Loads (once) and accrues asset `id`.
    pub fn load(&mut self, storage: &dyn Storage, id: AssetId) -> Result<(), ContractError> {
        if self.loaded.contains_key(&id) {
            return Ok(());
        }
        let (info, state) = load_asset(storage, id)?;
        let mut asset = LoadedAsset {
            id,
            info,
            state,
            dirty: false,
        };
        asset.accrue_to(self.now)?;
        self.loaded.insert(id, asset);
        Ok(())
    }

    /// Loads asset `denom`, returning its id.
    pub fn load_denom(
        &mut self,
        storage: &dyn Storage,
        denom: &str,
    ) -> Result<AssetId, ContractError> {
        // an asset already loaded is found by its denom without another storage read
        if let Some(asset) = self.loaded.values().find(|a| a.info.denom == denom) {
            return Ok(asset.id);
        }
        let id = Self::id_of(storage, denom)?;
        self.load(storage, id)?;
        Ok(id)
    }

    pub fn get(&self, id: AssetId) -> Result<&LoadedAsset, ContractError> {
        self.loaded
            .get(&id)
            .ok_or_else(|| ContractError::Std(cosmwasm_std::StdError::not_found("asset")))
    }

    pub fn get_mut(&mut self, id: AssetId) -> Result<&mut LoadedAsset, ContractError> {
        self.loaded
            .get_mut(&id)
            .ok_or_else(|| ContractError::Std(cosmwasm_std::StdError::not_found("asset")))
    }

    pub fn iter(&self) -> impl Iterator<Item = &LoadedAsset> {
        self.loaded.values()
    }

    /// Writes back every asset whose state changed, with the price the message fetched for it
    /// (for the minimum-debt rule of a later repay).
    pub fn save(
        &self,
        storage: &mut dyn Storage,
        prices: Option<&Prices>,
    ) -> Result<(), ContractError> {
        for asset in self.loaded.values().filter(|a| a.dirty) {
            let fetched = prices
                .filter(|_| !asset.is_minted())
                .and_then(|p| p.get(asset.id, asset.denom()).ok());
            match fetched {
                Some(p) => {
                    let mut state = asset.state.clone();
                    state.last_price = Some(StoredPrice {
                        price: p.price,
                        time: self.now,
                    });
                    ASSET_STATE.save(storage, asset.id, &state)?;
                }
                None => ASSET_STATE.save(storage, asset.id, &asset.state)?,
            }
        }
        Ok(())
    }
}

impl LoadedAsset {
    /// For tests and queries: a loaded asset without storage.
    pub fn from_parts(id: AssetId, info: AssetInfo, state: AssetState) -> Self {
        LoadedAsset {
            id,
            info,
            state,
            dirty: false,
        }
    }
}
