//! Oracle messages and responses (SPEC section 2).
//!
//! Prices are MOET per whole token (`Decimal`); times are block times in seconds.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Decimal;

/// `{"owner", "base_denom": "moet", "max_age": 300, "max_deviation": "0.1", "twap_window": 1800}`
#[cw_serde]
pub struct InstantiateMsg {
    pub owner: String,
    /// The unit of account prices are quoted in (informational).
    pub base_denom: String,
    /// A price is fresh while its age (seconds) is at most `max_age`.
    pub max_age: u64,
    /// Largest relative move `|new - reference| / reference` accepted without a confirmation (the
    /// reference: the accepted price as the block began).
    pub max_deviation: Decimal,
    /// TWAP window in seconds.
    pub twap_window: u64,
}

/// One source of a denom's price; a query uses the first valid one of the denom's list.
#[cw_serde]
pub enum PriceSource {
    /// `{"feed": {}}`: the last accepted price pushed by a feeder, while fresh.
    Feed {},
    /// `{"twap": {}}`: the time-weighted average of the accepted feed prices over `twap_window`.
    Twap {},
    /// `{"fixed": {"price": "1"}}`: always valid.
    Fixed { price: Decimal },
}

/// Which kind of source served a price: `"feed"`, `"twap"` or `"fixed"`.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum PriceSourceKind {
    Feed,
    Twap,
    Fixed,
}

/// One entry of `push_prices`.
#[cw_serde]
pub struct PriceInput {
    pub denom: String,
    pub price: Decimal,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Owner: adds and removes feeders (an address may not be in both lists).
    SetFeeders {
        #[serde(default)]
        add: Vec<String>,
        #[serde(default)]
        remove: Vec<String>,
    },
    /// Owner: replaces the denom's ordered sources and its overrides of the global `max_age` and
    /// `max_deviation` (`null` = use the global value).
    SetPriceSources {
        denom: String,
        sources: Vec<PriceSource>,
        max_age: Option<u64>,
        max_deviation: Option<Decimal>,
    },
    /// Owner: changes the given fields of the config.
    UpdateConfig {
        base_denom: Option<String>,
        max_age: Option<u64>,
        max_deviation: Option<Decimal>,
        twap_window: Option<u64>,
    },
    /// Owner: proposes a new owner, who must accept.
    TransferOwnership { new_owner: String },
    /// Pending owner: becomes the owner.
    AcceptOwnership {},
    /// Feeders: pushes prices; fails as a whole, storing nothing, if any entry is rejected.
    PushPrices { prices: Vec<PriceInput> },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// The price of `denom` from its first valid source.
    #[returns(PriceResponse)]
    Price { denom: String },
    /// The prices of `denoms`, in order; fails as a whole naming the first denom without a
    /// valid source. `skip_twap: true` (an extension of SPEC 2 for callers that only use
    /// `price`, e.g. the market outside its borrow-floor checks) leaves `twap` null and does not
    /// read the TWAP ring unless a `twap` source has to serve the price.
    #[returns(Vec<PriceResponse>)]
    Prices {
        denoms: Vec<String>,
        skip_twap: Option<bool>,
    },
    /// Denoms' sources in denom order (default limit 10, maximum 100).
    #[returns(Vec<PriceSourcesResponse>)]
    PriceSources {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// All feeders, sorted.
    #[returns(Vec<String>)]
    Feeders {},
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: String,
    pub pending_owner: Option<String>,
    pub base_denom: String,
    pub max_age: u64,
    pub max_deviation: Decimal,
    pub twap_window: u64,
}

#[cw_serde]
pub struct PriceResponse {
    pub denom: String,
    pub price: Decimal,
    /// The TWAP when valid (whichever source served `price`), else `null`.
    pub twap: Option<Decimal>,
    pub source: PriceSourceKind,
    /// Feed: the push time of the accepted price; twap: the newest accepted push; fixed: the
    /// current block time.
    pub updated_at: u64,
    /// Whether some feeder holds a pending price for the denom (a move beyond the deviation guard
    /// awaiting confirmation; `price` is still the old one). Always written; read as `false` when
    /// absent, so answers of an oracle without it still read.
    #[serde(default)]
    pub pending: bool,
}

#[cw_serde]
pub struct PriceSourcesResponse {
    pub denom: String,
    pub sources: Vec<PriceSource>,
    /// The denom's override of the global `max_age` (`null` = global).
    pub max_age: Option<u64>,
    /// The denom's override of the global `max_deviation` (`null` = global).
    pub max_deviation: Option<Decimal>,
}
