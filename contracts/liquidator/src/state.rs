//! Storage: one item, the config.
use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal};
use cw_storage_plus::Item;

#[cw_serde]
pub struct Config {
    pub owner: Addr,
    /// Proposed by `transfer_ownership`, becomes the owner on `accept_ownership`.
    pub pending_owner: Option<Addr>,
    pub market: Addr,
    /// Share of a debt one liquidation may repay (capped by the market's `max_close_factor`).
    pub close_factor: Decimal,
    /// Bonus paid in collateral on top of the repaid value (capped by the market's
    /// `max_liquidation_bonus`).
    pub liquidation_bonus: Decimal,
}

pub const CONFIG: Item<Config> = Item::new("c");
