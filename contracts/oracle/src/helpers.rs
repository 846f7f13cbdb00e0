//! Checks shared by several messages.

use cosmwasm_std::{Addr, Decimal, MessageInfo, Storage};
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;

use crate::error::ContractError;
use crate::state::Config;

/// Fails unless `sender` is the owner (cw-ownable's record).
pub fn ensure_owner(storage: &dyn Storage, sender: &Addr) -> Result<(), ContractError> {
    cw_ownable::assert_owner(storage, sender).map_err(|error| ownership_error(error, sender))
}

/// cw-ownable's refusals as this contract's errors.
pub fn ownership_error(error: OwnershipError, sender: &Addr) -> ContractError {
    let sender = sender.to_string();
    match error {
        OwnershipError::Std(error) => ContractError::Std(error),
        // no message renounces the ownership: `NoOwner` does not occur
        OwnershipError::NotOwner | OwnershipError::NoOwner => {
            ContractError::Unauthorized { sender }
        }
        OwnershipError::NotPendingOwner => ContractError::NotPendingOwner { sender },
        // transfers are proposed without expiry: an expired one does not occur
        OwnershipError::TransferNotFound | OwnershipError::TransferExpired => {
            ContractError::NoPendingOwner {}
        }
    }
}

/// Fails when native funds came with a message: no oracle message takes any (they would stay
/// in the contract).
pub fn nonpayable(info: &MessageInfo) -> Result<(), ContractError> {
    cw_utils::nonpayable(info).map_err(|error| match error {
        PaymentError::NonPayable {} => ContractError::UnexpectedFunds {
            reason: "this message takes no funds".to_string(),
        },
        other => ContractError::UnexpectedFunds {
            reason: other.to_string(),
        },
    })
}

/// `|price - reference| / reference <= max_deviation`, compared exactly in 256-bit integers
/// (`|price - reference| * 1 <= max_deviation * reference`). A zero reference only matches a zero
/// price (it cannot happen: zero prices are rejected).
pub fn within_deviation(price: Decimal, reference: Decimal, max_deviation: Decimal) -> bool {
    let difference = price.abs_diff(reference).atomics();
    difference.full_mul(Decimal::one().atomics())
        <= max_deviation.atomics().full_mul(reference.atomics())
}

pub fn validate_max_age(max_age: u64) -> Result<(), ContractError> {
    if max_age == 0 {
        return Err(ContractError::InvalidConfig {
            reason: "max_age must be greater than zero".to_string(),
        });
    }
    Ok(())
}

pub fn validate_max_deviation(max_deviation: Decimal) -> Result<(), ContractError> {
    if max_deviation.is_zero() {
        return Err(ContractError::InvalidConfig {
            reason: "max_deviation must be greater than zero".to_string(),
        });
    }
    Ok(())
}

pub fn validate_twap_window(twap_window: u64) -> Result<(), ContractError> {
    if twap_window == 0 {
        return Err(ContractError::InvalidConfig {
            reason: "twap_window must be greater than zero".to_string(),
        });
    }
    Ok(())
}

pub fn validate_base_denom(base_denom: &str) -> Result<(), ContractError> {
    if base_denom.trim().is_empty() {
        return Err(ContractError::InvalidConfig {
            reason: "base_denom must not be empty".to_string(),
        });
    }
    Ok(())
}

/// Checks every field of a config.
pub fn validate_config(config: &Config) -> Result<(), ContractError> {
    validate_base_denom(&config.base_denom)?;
    validate_max_age(config.max_age)?;
    validate_max_deviation(config.max_deviation)?;
    validate_twap_window(config.twap_window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn deviation_bound_is_inclusive_and_exact() {
        assert!(within_deviation(d("110"), d("100"), d("0.1")));
        assert!(within_deviation(d("90"), d("100"), d("0.1")));
        assert!(!within_deviation(
            d("110.000000000000000001"),
            d("100"),
            d("0.1")
        ));
        assert!(!within_deviation(
            d("89.999999999999999999"),
            d("100"),
            d("0.1")
        ));
        // relative to the reference, not to the new price
        assert!(within_deviation(d("3"), d("3.3"), d("0.1")));
        assert!(!within_deviation(d("3.3"), d("3"), d("0.09")));
        // extreme values do not overflow
        assert!(within_deviation(Decimal::MAX, Decimal::MAX, d("0.1")));
        assert!(!within_deviation(
            Decimal::MAX,
            d("0.000000000001"),
            d("0.1")
        ));
    }
}
