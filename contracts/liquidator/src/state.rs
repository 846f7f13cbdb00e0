//! Storage: one record, the config, in a binary form (read by every liquidation: every byte read
//! costs 3 SDK gas, and a bech32 address is twice its canonical bytes).
use cosmwasm_std::{Addr, Api, Decimal, StdError, StdResult, Storage};
use keel_types::codec::{put_bytes, take_canonical};

#[derive(Clone, Debug, PartialEq)]
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

const CONFIG_KEY: &[u8] = b"c";

fn corrupt() -> StdError {
    StdError::generic_err("corrupt liquidator config")
}

/// `close_factor:u128be liquidation_bonus:u128be` (the decimals' atomics), then the owner, the
/// market and the pending owner if any, each `len:u8` and its canonical bytes
/// (`keel_types::codec`).
impl Config {
    pub fn load(storage: &dyn Storage, api: &dyn Api) -> StdResult<Self> {
        let bytes = storage
            .get(CONFIG_KEY)
            .ok_or_else(|| StdError::not_found("liquidator config"))?;
        let (close_factor, rest) = bytes.split_first_chunk::<16>().ok_or_else(corrupt)?;
        let (bonus, mut rest) = rest.split_first_chunk::<16>().ok_or_else(corrupt)?;
        let mut addrs = vec![];
        while !rest.is_empty() {
            addrs.push(api.addr_humanize(&take_canonical(&mut rest)?)?);
        }
        let mut addrs = addrs.into_iter();
        let (Some(owner), Some(market), pending_owner, None) =
            (addrs.next(), addrs.next(), addrs.next(), addrs.next())
        else {
            return Err(corrupt());
        };
        Ok(Config {
            owner,
            pending_owner,
            market,
            close_factor: Decimal::raw(u128::from_be_bytes(*close_factor)),
            liquidation_bonus: Decimal::raw(u128::from_be_bytes(*bonus)),
        })
    }

    pub fn save(&self, storage: &mut dyn Storage, api: &dyn Api) -> StdResult<()> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&self.close_factor.atomics().to_be_bytes());
        out.extend_from_slice(&self.liquidation_bonus.atomics().to_be_bytes());
        for addr in [
            Some(&self.owner),
            Some(&self.market),
            self.pending_owner.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            put_bytes(&mut out, &api.addr_canonicalize(addr.as_str())?)?;
        }
        storage.set(CONFIG_KEY, &out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{MockApi, MockStorage};

    #[test]
    fn config_round_trips_with_and_without_a_pending_owner() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        let mut config = Config {
            owner: api.addr_make("owner"),
            pending_owner: None,
            market: api.addr_make("market"),
            close_factor: Decimal::percent(20),
            liquidation_bonus: Decimal::percent(3),
        };
        config.save(&mut storage, &api).unwrap();
        assert_eq!(Config::load(&storage, &api).unwrap(), config);
        assert_eq!(storage.get(CONFIG_KEY).unwrap().len(), 32 + 2 * 33);
        config.pending_owner = Some(api.addr_make("next"));
        config.save(&mut storage, &api).unwrap();
        assert_eq!(Config::load(&storage, &api).unwrap(), config);
        let bytes = storage.get(CONFIG_KEY).unwrap();
        for cut in 1..bytes.len() {
            storage.set(CONFIG_KEY, &bytes[..cut]);
            // a prefix ending between addresses reads as fewer addresses: only those with both
            // the owner and the market parse, and then as a different config
            if let Ok(read) = Config::load(&storage, &api) {
                assert_ne!(read, config, "prefix of {cut} bytes");
            }
        }
    }
}
