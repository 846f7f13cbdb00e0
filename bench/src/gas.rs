//! How wasmd turns what a contract call did into Cosmos SDK gas. Every constant here is the
//! default of wasmd / the Cosmos SDK; docs/GAS.md cites the source files.
use cosmwasm_std::{Attribute, Event};

/// wasmd `x/wasm/types/gas_register.go`: `DefaultGasMultiplier`, CosmWasm (VM) gas per SDK gas.
pub const GAS_MULTIPLIER: u64 = 140_000;
/// wasmd `DefaultInstanceCost`: SDK gas for setting up an instance (execute, query,
/// instantiate, reply...) of a code that is not pinned, the first time the code runs in a
/// transaction (a later instance of the same code in the transaction costs the discount).
pub const INSTANCE_COST: u64 = 60_000;
/// wasmd `DefaultInstanceCostDiscount`: the same for a pinned code (or a reply).
pub const INSTANCE_COST_DISCOUNT: u64 = 2_000;
/// wasmd `DefaultCompileCost`: SDK gas per wasm byte on upload (not part of any message).
pub const COMPILE_COST_PER_BYTE: u64 = 3;
/// wasmd `DefaultEventAttributeDataCost`: SDK gas per byte of event attribute key + value.
pub const EVENT_ATTRIBUTE_DATA_COST: u64 = 1;
/// wasmd `DefaultPerAttributeCost`: SDK gas per event attribute.
pub const PER_ATTRIBUTE_COST: u64 = 10;
/// wasmd `DefaultPerCustomEventCost`: SDK gas per custom event.
pub const PER_CUSTOM_EVENT_COST: u64 = 20;
/// wasmd `DefaultEventAttributeDataFreeTier`: attribute bytes of one response not charged.
pub const EVENT_ATTRIBUTE_DATA_FREE_TIER: u64 = 100;
/// wasmd `DefaultContractMessageDataCost`: SDK gas per byte of the message sent to a contract.
pub const CONTRACT_MESSAGE_DATA_COST: u64 = 0;

/// wasmd `x/wasm/keeper/api.go`: SDK gas of the address callbacks, charged as VM gas
/// (times the multiplier) inside the contract's own gas.
pub const GAS_COST_HUMANIZE: u64 = 5;
pub const GAS_COST_CANONICALIZE: u64 = 4;
pub const GAS_COST_VALIDATE: u64 = GAS_COST_HUMANIZE + GAS_COST_CANONICALIZE;

/// Cosmos SDK `store/types/gas.go` `KVGasConfig()`.
pub const HAS_COST: u64 = 1_000;
pub const DELETE_COST: u64 = 1_000;
pub const READ_COST_FLAT: u64 = 1_000;
pub const READ_COST_PER_BYTE: u64 = 3;
pub const WRITE_COST_FLAT: u64 = 2_000;
pub const WRITE_COST_PER_BYTE: u64 = 30;
pub const ITER_NEXT_COST_FLAT: u64 = 30;

/// wasmd stores a contract's keys under `0x03 | contract address (32 bytes)`
/// (`types.GetContractStorePrefix`), and the SDK's gas-metered store sits under that prefix, so
/// every key is charged 33 bytes longer than the contract sees it.
pub const CONTRACT_KEY_PREFIX_LEN: u64 = 33;

/// `gaskv.Store.Get`: flat + per byte of the full key and of the value (0 when absent).
pub fn read_cost(key_len: usize, value_len: usize) -> u64 {
    READ_COST_FLAT
        + READ_COST_PER_BYTE * (key_len as u64 + CONTRACT_KEY_PREFIX_LEN)
        + READ_COST_PER_BYTE * value_len as u64
}

/// `gaskv.Store.Set`.
pub fn write_cost(key_len: usize, value_len: usize) -> u64 {
    WRITE_COST_FLAT
        + WRITE_COST_PER_BYTE * (key_len as u64 + CONTRACT_KEY_PREFIX_LEN)
        + WRITE_COST_PER_BYTE * value_len as u64
}

/// `gaskv.Store.Delete`.
pub fn delete_cost() -> u64 {
    DELETE_COST
}

/// `gasIterator.consumeSeekGas`: charged when the iterator is created (on its first record) and
/// on every `Next` (on the record it leaves): flat, plus per byte of key and value when valid.
pub fn iter_step_cost(record: Option<(usize, usize)>) -> u64 {
    ITER_NEXT_COST_FLAT
        + record
            .map(|(k, v)| READ_COST_PER_BYTE * (k as u64 + CONTRACT_KEY_PREFIX_LEN + v as u64))
            .unwrap_or(0)
}

/// wasmd `WasmGasRegister.EventCosts(attrs, events)` for one contract response: the response's
/// own attributes and its custom events share one free tier of attribute bytes.
pub fn event_costs(attrs: &[Attribute], events: &[Event]) -> u64 {
    let (mut gas, mut free) = attribute_costs(attrs, EVENT_ATTRIBUTE_DATA_FREE_TIER);
    for e in events {
        gas += PER_CUSTOM_EVENT_COST;
        gas += e.ty.len() as u64 * EVENT_ATTRIBUTE_DATA_COST;
        let (g, f) = attribute_costs(&e.attributes, free);
        gas += g;
        free = f;
    }
    gas
}

fn attribute_costs(attrs: &[Attribute], free_tier: u64) -> (u64, u64) {
    if attrs.is_empty() {
        return (0, free_tier);
    }
    let bytes: u64 = attrs
        .iter()
        .map(|a| (a.key.len() + a.value.len()) as u64)
        .sum();
    let (charged, free_left) = if bytes <= free_tier {
        (0, free_tier - bytes)
    } else {
        (bytes - free_tier, 0)
    };
    (
        EVENT_ATTRIBUTE_DATA_COST * charged + PER_ATTRIBUTE_COST * attrs.len() as u64,
        free_left,
    )
}

/// wasmd `FromWasmVMGas`: VM gas to SDK gas, rounded down (per contract call).
pub fn vm_to_sdk(vm_gas: u64) -> u64 {
    vm_gas / GAS_MULTIPLIER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_costs_follow_the_sdk_config() {
        // 1-byte key, 100-byte value
        assert_eq!(read_cost(1, 100), 1000 + 3 * 34 + 300);
        assert_eq!(write_cost(1, 100), 2000 + 30 * 34 + 3000);
        assert_eq!(iter_step_cost(None), 30);
        assert_eq!(iter_step_cost(Some((1, 10))), 30 + 3 * 44);
    }

    #[test]
    fn event_costs_share_the_free_tier() {
        let attrs = vec![Attribute::new("action", "deposit")]; // 13 bytes
        assert_eq!(event_costs(&attrs, &[]), 10);
        let long = vec![Attribute::new("k", "v".repeat(150))]; // 151 bytes
        assert_eq!(event_costs(&long, &[]), 51 + 10);
        let ev = Event::new("seize").add_attribute("a", "b".repeat(99));
        // 13 bytes of attrs leave 87 free; the event's 100 bytes pay 13
        assert_eq!(event_costs(&attrs, &[ev]), 10 + 20 + 5 + 13 + 10);
    }
}
