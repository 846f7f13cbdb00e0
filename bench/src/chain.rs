//! A minimal chain around cosmwasm-vm, run the way wasmd runs contracts:
//!
//! - every code is compiled once through one [`Cache`] (file-system cache in `base_dir`, so a
//!   second run of the bench does not compile again), and every contract call gets a fresh
//!   [`Instance`] of it;
//! - each contract has its own key-value store that lives between calls; writes go straight to
//!   it, so a query made during an execution sees the caller's uncommitted writes, as in wasmd;
//! - `WasmQuery::Smart` (and `Raw`, bank balance) queries from a contract are routed to the
//!   callee's own instance, nested to any depth;
//! - the messages a response returns (`WasmMsg::Execute` with funds, `BankMsg::Send`/`Burn`,
//!   sub-messages with `reply_on`) run in order, depth first, after the call that returned them;
//!   a failure rolls back the whole top-level call (a sub-message with a reply on error rolls
//!   back only itself and goes to `reply`);
//! - every call of the tree is recorded with its VM gas (`create_gas_report().used_internally`),
//!   its storage operations and their Cosmos SDK KV gas (33-byte wasmd key prefix included),
//!   the queries it made and the SDK gas of its events ([`CallRecord`]).
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use anyhow::{anyhow, bail, Context, Result};
use bech32::{Bech32, Hrp};
use cosmwasm_std::{
    to_json_binary, Addr, BankMsg, BankQuery, Binary, BlockInfo, Checksum, Coin, ContractInfo,
    ContractResult, CosmosMsg, Empty, Env, Event, MessageInfo, Order, QueryRequest, Record, Reply,
    ReplyOn, Response, SubMsgResponse, SubMsgResult, SystemError, SystemResult, Timestamp,
    TransactionInfo, Uint128, WasmMsg, WasmQuery,
};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, call_reply, BackendApi, BackendError,
    BackendResult, Cache, CacheOptions, GasInfo, Instance, InstanceOptions, Querier, Size, Storage,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::gas;

pub const BECH32_PREFIX: &str = "wasm";
pub const CHAIN_ID: &str = "keel-bench";
/// VM gas limit of a top-level call: 100M SDK gas, far above any message here, so that the
/// limit never changes a result (wasmd's default smart-query limit is 3M SDK gas).
pub const CALL_GAS_LIMIT: u64 = 100_000_000 * gas::GAS_MULTIPLIER;

/// What one contract call (one instance) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// Nesting depth in the call tree (0: the top-level message).
    pub depth: usize,
    /// The contract's label.
    pub contract: String,
    /// `instantiate`, `execute`, `query` or `reply`.
    pub entry: String,
    /// The code's checksum (hex): wasmd discounts later instances of a code within one
    /// transaction.
    pub code: String,
    /// VM gas used by the contract itself (storage, queries and sub-calls excluded).
    pub vm_gas: u64,
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    /// Iterator records read (creation included).
    pub iter_steps: u64,
    /// Bytes of keys (without the wasmd prefix) and values read, iterators included.
    pub read_bytes: u64,
    /// Bytes of keys (without the wasmd prefix) and values written.
    pub write_bytes: u64,
    /// Cosmos SDK KV gas of the storage operations (33-byte key prefix included).
    pub kv_gas: u64,
    /// Contract queries (`WasmQuery::Smart`/`Raw`) made by this call.
    pub queries: u64,
    /// wasmd event gas of the call's response.
    pub event_gas: u64,
    pub ok: bool,
}

#[derive(Clone, Debug, Default)]
struct ContractState {
    checksum: Option<Checksum>,
    label: String,
    storage: BTreeMap<Vec<u8>, Vec<u8>>,
}

#[derive(Clone, Debug, Default)]
struct World {
    contracts: BTreeMap<String, ContractState>,
    /// (address, denom) -> amount
    balances: BTreeMap<(String, String), u128>,
}

impl World {
    fn balance(&self, addr: &str, denom: &str) -> u128 {
        self.balances
            .get(&(addr.to_string(), denom.to_string()))
            .copied()
            .unwrap_or(0)
    }

    fn transfer(&mut self, from: &str, to: &str, coins: &[Coin]) -> Result<()> {
        for c in coins {
            let have = self.balance(from, &c.denom);
            let amount = c.amount.u128();
            if have < amount {
                bail!(
                    "insufficient funds: {from} has {have}{}, needs {amount}",
                    c.denom
                );
            }
            self.balances
                .insert((from.to_string(), c.denom.clone()), have - amount);
            let to_have = self.balance(to, &c.denom);
            self.balances
                .insert((to.to_string(), c.denom.clone()), to_have + amount);
        }
        Ok(())
    }

    fn burn(&mut self, from: &str, coins: &[Coin]) -> Result<()> {
        for c in coins {
            let have = self.balance(from, &c.denom);
            let amount = c.amount.u128();
            if have < amount {
                bail!("insufficient funds to burn: {from} has {have}{}", c.denom);
            }
            self.balances
                .insert((from.to_string(), c.denom.clone()), have - amount);
        }
        Ok(())
    }
}

/// Address conversions with wasmd's gas (bech32, prefix `wasm`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ChainApi;

impl ChainApi {
    fn canonicalize(human: &str) -> Result<Vec<u8>, BackendError> {
        let (hrp, data) =
            bech32::decode(human).map_err(|_| BackendError::user_err("Error decoding bech32"))?;
        if hrp.as_str() != BECH32_PREFIX {
            return Err(BackendError::user_err("Wrong bech32 prefix"));
        }
        if human != human.to_lowercase() {
            return Err(BackendError::user_err("Address is not normalized"));
        }
        if data.is_empty() || data.len() > 255 {
            return Err(BackendError::user_err("Invalid canonical length"));
        }
        Ok(data)
    }

    fn humanize(canonical: &[u8]) -> Result<String, BackendError> {
        let hrp = Hrp::parse(BECH32_PREFIX).expect("valid prefix");
        bech32::encode::<Bech32>(hrp, canonical)
            .map_err(|_| BackendError::user_err("Invalid data to be encoded to bech32"))
    }
}

impl BackendApi for ChainApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let gas = GasInfo::with_cost(gas::GAS_COST_VALIDATE * gas::GAS_MULTIPLIER);
        let result = Self::canonicalize(input).and_then(|c| {
            let back = Self::humanize(&c)?;
            if back != input {
                return Err(BackendError::user_err("Address is not normalized"));
            }
            Ok(())
        });
        (result, gas)
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        let gas = GasInfo::with_cost(gas::GAS_COST_CANONICALIZE * gas::GAS_MULTIPLIER);
        (Self::canonicalize(human), gas)
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        let gas = GasInfo::with_cost(gas::GAS_COST_HUMANIZE * gas::GAS_MULTIPLIER);
        (Self::humanize(canonical), gas)
    }
}

/// The storage of one contract during one call, metering as the SDK's gas KV store does.
pub struct ContractStore {
    chain: Rc<ChainInner>,
    contract: String,
    record: Rc<RefCell<CallRecord>>,
    iterators: Vec<(Vec<Record>, usize)>,
}

/// `KEEL_BENCH_TRACE=1`: print every storage operation (to analyse where KV gas goes).
fn trace_enabled() -> bool {
    thread_local!(static ON: bool = std::env::var_os("KEEL_BENCH_TRACE").is_some());
    ON.with(|on| *on)
}

fn printable(key: &[u8]) -> String {
    key.iter()
        .map(|b| {
            if b.is_ascii_graphic() {
                (*b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

impl ContractStore {
    fn trace(&self, op: &str, key: &[u8], value_len: usize, gas: u64) {
        if trace_enabled() {
            eprintln!(
                "    [{}] {op:<5} {:<40} key {:>3} value {:>5} gas {gas}",
                self.record.borrow().contract,
                printable(key),
                key.len(),
                value_len
            );
        }
    }

    fn charge(&self, kv_gas: u64) -> GasInfo {
        self.record.borrow_mut().kv_gas += kv_gas;
        GasInfo::with_externally_used(kv_gas * gas::GAS_MULTIPLIER)
    }
}

impl Storage for ContractStore {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self
            .chain
            .world
            .borrow()
            .contracts
            .get(&self.contract)
            .and_then(|c| c.storage.get(key).cloned());
        let value_len = value.as_ref().map(|v| v.len()).unwrap_or(0);
        {
            let mut r = self.record.borrow_mut();
            r.reads += 1;
            r.read_bytes += (key.len() + value_len) as u64;
        }
        let cost = gas::read_cost(key.len(), value_len);
        self.trace("get", key, value_len, cost);
        let gas = self.charge(cost);
        (Ok(value), gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let world = self.chain.world.borrow();
        let empty = BTreeMap::new();
        let storage = world
            .contracts
            .get(&self.contract)
            .map(|c| &c.storage)
            .unwrap_or(&empty);
        let in_range = |k: &Vec<u8>| {
            start.map(|s| k.as_slice() >= s).unwrap_or(true)
                && end.map(|e| k.as_slice() < e).unwrap_or(true)
        };
        let mut records: Vec<Record> = storage
            .iter()
            .filter(|(k, _)| in_range(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        drop(world);
        if order == Order::Descending {
            records.reverse();
        }
        // gaskv charges a seek on the first record when the iterator is created
        let first = records.first().map(|(k, v)| (k.len(), v.len()));
        {
            let mut r = self.record.borrow_mut();
            r.iter_steps += 1;
            if let Some((k, v)) = first {
                r.read_bytes += (k + v) as u64;
            }
        }
        let cost = gas::iter_step_cost(first);
        self.trace("scan", start.unwrap_or_default(), 0, cost);
        let gas = self.charge(cost);
        self.iterators.push((records, 0));
        let id = (self.iterators.len() - 1) as u32;
        (Ok(id), gas)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some((records, pos)) = self.iterators.get_mut(iterator_id as usize) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let Some(record) = records.get(*pos).cloned() else {
            // an exhausted iterator: wasmvm returns without touching the store
            return (Ok(None), GasInfo::free());
        };
        *pos += 1;
        let (k, v) = (record.0.len(), record.1.len());
        {
            let mut r = self.record.borrow_mut();
            r.iter_steps += 1;
            r.read_bytes += (k + v) as u64;
        }
        let cost = gas::iter_step_cost(Some((k, v)));
        self.trace("next", &record.0, v, cost);
        let gas = self.charge(cost);
        (Ok(Some(record)), gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.chain
            .world
            .borrow_mut()
            .contracts
            .entry(self.contract.clone())
            .or_default()
            .storage
            .insert(key.to_vec(), value.to_vec());
        {
            let mut r = self.record.borrow_mut();
            r.writes += 1;
            r.write_bytes += (key.len() + value.len()) as u64;
        }
        let cost = gas::write_cost(key.len(), value.len());
        self.trace("set", key, value.len(), cost);
        let gas = self.charge(cost);
        (Ok(()), gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        if let Some(c) = self
            .chain
            .world
            .borrow_mut()
            .contracts
            .get_mut(&self.contract)
        {
            c.storage.remove(key);
        }
        self.record.borrow_mut().deletes += 1;
        self.trace("del", key, 0, gas::delete_cost());
        let gas = self.charge(gas::delete_cost());
        (Ok(()), gas)
    }
}

/// Routes a contract's queries to the other contracts' instances.
pub struct ChainQuerier {
    chain: Rc<ChainInner>,
    depth: usize,
    record: Rc<RefCell<CallRecord>>,
}

impl Querier for ChainQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let request: QueryRequest<Empty> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Ok(SystemResult::Err(SystemError::InvalidRequest {
                        error: e.to_string(),
                        request: Binary::from(request),
                    })),
                    GasInfo::free(),
                )
            }
        };
        match request {
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                self.record.borrow_mut().queries += 1;
                let before = self.chain.trace_len();
                let result = self.chain.query_contract(
                    &contract_addr,
                    msg.as_slice(),
                    gas_limit,
                    self.depth + 1,
                );
                // the sub-tree's SDK gas is charged to the caller's meter (externally used)
                let sdk = self.chain.sdk_gas_since(before);
                let gas = GasInfo::with_externally_used(sdk.saturating_mul(gas::GAS_MULTIPLIER));
                match result {
                    Ok(r) => (Ok(SystemResult::Ok(r)), gas),
                    Err(e) => (
                        Ok(SystemResult::Err(SystemError::NoSuchContract {
                            addr: format!("{contract_addr}: {e}"),
                        })),
                        gas,
                    ),
                }
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                self.record.borrow_mut().queries += 1;
                let value = self
                    .chain
                    .world
                    .borrow()
                    .contracts
                    .get(&contract_addr)
                    .and_then(|c| c.storage.get(key.as_slice()).cloned());
                let kv = gas::read_cost(key.len(), value.as_ref().map(|v| v.len()).unwrap_or(0));
                self.record.borrow_mut().kv_gas += kv;
                (
                    Ok(SystemResult::Ok(ContractResult::Ok(Binary::from(
                        value.unwrap_or_default(),
                    )))),
                    GasInfo::with_externally_used(kv * gas::GAS_MULTIPLIER),
                )
            }
            QueryRequest::Bank(BankQuery::Balance { address, denom }) => {
                let amount = self.chain.world.borrow().balance(&address, &denom);
                let response = cosmwasm_std::BalanceResponse::new(Coin::new(amount, denom));
                (
                    Ok(SystemResult::Ok(ContractResult::Ok(
                        to_json_binary(&response).expect("serializable"),
                    ))),
                    GasInfo::free(),
                )
            }
            other => (
                Ok(SystemResult::Err(SystemError::UnsupportedRequest {
                    kind: format!("{other:?}"),
                })),
                GasInfo::free(),
            ),
        }
    }
}

pub struct ChainInner {
    cache: Cache<ChainApi, ContractStore, ChainQuerier>,
    world: RefCell<World>,
    block: RefCell<BlockInfo>,
    trace: RefCell<Vec<CallRecord>>,
    next_contract: Cell<u64>,
}

type VmInstance = Instance<ChainApi, ContractStore, ChainQuerier>;

impl ChainInner {
    fn trace_len(&self) -> usize {
        self.trace.borrow().len()
    }

    /// SDK gas (VM + KV, no instance or event costs) of the calls recorded since `start`.
    fn sdk_gas_since(&self, start: usize) -> u64 {
        self.trace.borrow()[start..]
            .iter()
            .map(|c| gas::vm_to_sdk(c.vm_gas) + c.kv_gas)
            .sum()
    }

    fn env(&self, contract: &str) -> Env {
        Env {
            block: self.block.borrow().clone(),
            transaction: Some(TransactionInfo { index: 0 }),
            contract: ContractInfo {
                address: Addr::unchecked(contract),
            },
        }
    }

    fn instance(
        self: &Rc<Self>,
        contract: &str,
        entry: &str,
        depth: usize,
        gas_limit: u64,
    ) -> Result<(VmInstance, Rc<RefCell<CallRecord>>)> {
        let (checksum, label) = {
            let world = self.world.borrow();
            let c = world
                .contracts
                .get(contract)
                .ok_or_else(|| anyhow!("no contract at {contract}"))?;
            (
                c.checksum
                    .ok_or_else(|| anyhow!("{contract} is not a contract"))?,
                c.label.clone(),
            )
        };
        let record = Rc::new(RefCell::new(CallRecord {
            depth,
            contract: label,
            entry: entry.to_string(),
            code: checksum.to_hex(),
            ..Default::default()
        }));
        let backend = cosmwasm_vm::Backend {
            api: ChainApi,
            storage: ContractStore {
                chain: Rc::clone(self),
                contract: contract.to_string(),
                record: Rc::clone(&record),
                iterators: vec![],
            },
            querier: ChainQuerier {
                chain: Rc::clone(self),
                depth,
                record: Rc::clone(&record),
            },
        };
        let instance = self
            .cache
            .get_instance(&checksum, backend, InstanceOptions { gas_limit })
            .map_err(|e| anyhow!("instance of {contract}: {e}"))?;
        Ok((instance, record))
    }

    /// Records a finished call; returns its index in the trace.
    fn finish(&self, instance: &mut VmInstance, record: Rc<RefCell<CallRecord>>, ok: bool) {
        let report = instance.create_gas_report();
        let mut r = record.borrow().clone();
        r.vm_gas = report.used_internally;
        r.ok = ok;
        self.trace.borrow_mut().push(r);
    }

    fn query_contract(
        self: &Rc<Self>,
        contract: &str,
        msg: &[u8],
        gas_limit: u64,
        depth: usize,
    ) -> Result<ContractResult<Binary>> {
        let (mut instance, record) = self.instance(contract, "query", depth, gas_limit)?;
        let env = self.env(contract);
        let result = call_query(&mut instance, &env, msg);
        let ok = matches!(result, Ok(ContractResult::Ok(_)));
        self.finish(&mut instance, record, ok);
        result.map_err(|e| anyhow!("query of {contract}: {e}"))
    }

    /// Runs a response's messages in order, then returns the data to pass up.
    fn dispatch(
        self: &Rc<Self>,
        contract: &str,
        response: Response<Empty>,
        depth: usize,
    ) -> Result<(Option<Binary>, Vec<Event>)> {
        let mut data = response.data.clone();
        let mut events = vec![Event::new("wasm").add_attributes(response.attributes.clone())];
        events.extend(response.events.iter().cloned());
        for sub in response.messages {
            let snapshot = (sub.reply_on != ReplyOn::Never).then(|| self.world.borrow().clone());
            let result = self.dispatch_msg(contract, &sub.msg, depth + 1);
            let reply_result = match (result, &sub.reply_on) {
                (Ok((sub_data, sub_events)), ReplyOn::Always | ReplyOn::Success) =>
                {
                    #[allow(deprecated)]
                    SubMsgResult::Ok(SubMsgResponse {
                        events: sub_events,
                        data: sub_data,
                        msg_responses: vec![],
                    })
                }
                (Ok((_, sub_events)), _) => {
                    events.extend(sub_events);
                    continue;
                }
                (Err(e), ReplyOn::Always | ReplyOn::Error) => {
                    if let Some(s) = snapshot {
                        *self.world.borrow_mut() = s;
                    }
                    SubMsgResult::Err(format!("{e:#}"))
                }
                (Err(e), _) => return Err(e),
            };
            let reply = Reply {
                id: sub.id,
                payload: sub.payload.clone(),
                gas_used: 0,
                result: reply_result,
            };
            let (reply_data, reply_events) = self.call_reply(contract, &reply, depth)?;
            events.extend(reply_events);
            if reply_data.is_some() {
                data = reply_data;
            }
        }
        Ok((data, events))
    }

    fn dispatch_msg(
        self: &Rc<Self>,
        sender: &str,
        msg: &CosmosMsg<Empty>,
        depth: usize,
    ) -> Result<(Option<Binary>, Vec<Event>)> {
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                self.world
                    .borrow_mut()
                    .transfer(sender, to_address, amount)?;
                Ok((None, vec![]))
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                self.world.borrow_mut().burn(sender, amount)?;
                Ok((None, vec![]))
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => self.execute_contract(sender, contract_addr, msg.as_slice(), funds, depth),
            other => bail!("unsupported message from {sender}: {other:?}"),
        }
    }

    fn execute_contract(
        self: &Rc<Self>,
        sender: &str,
        contract: &str,
        msg: &[u8],
        funds: &[Coin],
        depth: usize,
    ) -> Result<(Option<Binary>, Vec<Event>)> {
        self.world.borrow_mut().transfer(sender, contract, funds)?;
        let (mut instance, record) = self.instance(contract, "execute", depth, CALL_GAS_LIMIT)?;
        let env = self.env(contract);
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds: funds.to_vec(),
        };
        let result = call_execute::<_, _, _, Empty>(&mut instance, &env, &info, msg);
        self.handle_result(contract, instance, record, result, depth)
    }

    fn call_reply(
        self: &Rc<Self>,
        contract: &str,
        reply: &Reply,
        depth: usize,
    ) -> Result<(Option<Binary>, Vec<Event>)> {
        let (mut instance, record) = self.instance(contract, "reply", depth, CALL_GAS_LIMIT)?;
        let env = self.env(contract);
        let result = call_reply::<_, _, _, Empty>(&mut instance, &env, reply);
        self.handle_result(contract, instance, record, result, depth)
    }

    fn handle_result(
        self: &Rc<Self>,
        contract: &str,
        mut instance: VmInstance,
        record: Rc<RefCell<CallRecord>>,
        result: cosmwasm_vm::VmResult<ContractResult<Response<Empty>>>,
        depth: usize,
    ) -> Result<(Option<Binary>, Vec<Event>)> {
        match result {
            Ok(ContractResult::Ok(response)) => {
                record.borrow_mut().event_gas =
                    gas::event_costs(&response.attributes, &response.events);
                self.finish(&mut instance, record, true);
                drop(instance);
                self.dispatch(contract, response, depth)
            }
            Ok(ContractResult::Err(e)) => {
                self.finish(&mut instance, record, false);
                bail!("{contract}: {e}")
            }
            Err(e) => {
                self.finish(&mut instance, record, false);
                bail!("{contract}: VM error: {e}")
            }
        }
    }
}

/// The measurements of one top-level message: every call of its tree, in completion order.
#[derive(Clone, Debug, Default)]
pub struct Measure {
    pub calls: Vec<CallRecord>,
    pub data: Option<Binary>,
    pub events: Vec<Event>,
}

impl Measure {
    pub fn attribute(&self, key: &str) -> Option<String> {
        self.events
            .iter()
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.clone())
    }
}

pub struct Chain {
    inner: Rc<ChainInner>,
}

impl Chain {
    /// A chain whose compiled modules are cached (on disk) in `cache_dir`.
    pub fn new(cache_dir: &Path) -> Result<Self> {
        let capabilities: HashSet<String> = [
            "iterator",
            "staking",
            "stargate",
            "cosmwasm_1_1",
            "cosmwasm_1_2",
            "cosmwasm_1_3",
            "cosmwasm_1_4",
            "cosmwasm_2_0",
            "cosmwasm_2_1",
            "cosmwasm_2_2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let options = CacheOptions::new(cache_dir, capabilities, Size::mebi(512), Size::mebi(32));
        // SAFETY: the cache directory is the bench's own (target/), written only by cosmwasm-vm.
        let cache = unsafe { Cache::new(options) }.map_err(|e| anyhow!("cache: {e}"))?;
        Ok(Chain {
            inner: Rc::new(ChainInner {
                cache,
                world: RefCell::new(World::default()),
                block: RefCell::new(BlockInfo {
                    height: 1_000_000,
                    time: Timestamp::from_seconds(1_700_000_000),
                    chain_id: CHAIN_ID.to_string(),
                }),
                trace: RefCell::new(vec![]),
                next_contract: Cell::new(1),
            }),
        })
    }

    /// Stores (and compiles, once per cache) a wasm code, with the checks a chain runs.
    pub fn store_code(&self, wasm: &[u8]) -> Result<Checksum> {
        self.inner
            .cache
            .store_code(wasm, true, true)
            .map_err(|e| anyhow!("store_code: {e}"))
    }

    /// A user address: bech32 of the first 20 bytes of sha256(name).
    pub fn user(&self, name: &str) -> String {
        let digest = Sha256::digest(name.as_bytes());
        ChainApi::humanize(&digest[..20]).expect("valid address")
    }

    pub fn now(&self) -> u64 {
        self.inner.block.borrow().time.seconds()
    }

    pub fn advance(&self, seconds: u64) {
        let mut b = self.inner.block.borrow_mut();
        b.time = b.time.plus_seconds(seconds);
        b.height += 1 + seconds / 5;
    }

    pub fn mint(&self, to: &str, amount: u128, denom: &str) {
        let mut w = self.inner.world.borrow_mut();
        let have = w.balance(to, denom);
        w.balances
            .insert((to.to_string(), denom.to_string()), have + amount);
    }

    pub fn balance(&self, addr: &str, denom: &str) -> u128 {
        self.inner.world.borrow().balance(addr, denom)
    }

    /// Runs a top-level call, rolling everything back on error.
    fn run<T>(&self, f: impl FnOnce(&Rc<ChainInner>) -> Result<T>) -> Result<(T, Vec<CallRecord>)> {
        let snapshot = self.inner.world.borrow().clone();
        self.inner.trace.borrow_mut().clear();
        let result = f(&self.inner);
        let calls = std::mem::take(&mut *self.inner.trace.borrow_mut());
        match result {
            Ok(v) => Ok((v, calls)),
            Err(e) => {
                *self.inner.world.borrow_mut() = snapshot;
                Err(e)
            }
        }
    }

    pub fn instantiate<M: Serialize>(
        &self,
        code: &Checksum,
        sender: &str,
        msg: &M,
        funds: &[Coin],
        label: &str,
    ) -> Result<(String, Measure)> {
        let n = self.inner.next_contract.get();
        self.inner.next_contract.set(n + 1);
        let digest = Sha256::digest(format!("contract/{n}/{label}").as_bytes());
        let addr = ChainApi::humanize(&digest).expect("valid address");
        self.inner.world.borrow_mut().contracts.insert(
            addr.clone(),
            ContractState {
                checksum: Some(*code),
                label: label.to_string(),
                storage: BTreeMap::new(),
            },
        );
        let msg = cosmwasm_std::to_json_vec(msg)?;
        let a = addr.clone();
        let result = self.run(|chain| {
            chain.world.borrow_mut().transfer(sender, &a, funds)?;
            let (mut instance, record) = chain.instance(&a, "instantiate", 0, CALL_GAS_LIMIT)?;
            let env = chain.env(&a);
            let info = MessageInfo {
                sender: Addr::unchecked(sender),
                funds: funds.to_vec(),
            };
            let result = call_instantiate::<_, _, _, Empty>(&mut instance, &env, &info, &msg);
            chain.handle_result(&a, instance, record, result, 0)
        });
        match result {
            Ok(((data, events), calls)) => Ok((
                addr,
                Measure {
                    calls,
                    data,
                    events,
                },
            )),
            Err(e) => {
                self.inner.world.borrow_mut().contracts.remove(&addr);
                Err(e).with_context(|| format!("instantiate {label}"))
            }
        }
    }

    pub fn execute<M: Serialize>(
        &self,
        sender: &str,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<Measure> {
        let msg = cosmwasm_std::to_json_vec(msg)?;
        let ((data, events), calls) =
            self.run(|chain| chain.execute_contract(sender, contract, &msg, funds, 0))?;
        Ok(Measure {
            calls,
            data,
            events,
        })
    }

    pub fn query<M: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<(T, Measure)> {
        let msg = cosmwasm_std::to_json_vec(msg)?;
        let (result, calls) =
            self.run(|chain| chain.query_contract(contract, &msg, CALL_GAS_LIMIT, 0))?;
        match result {
            ContractResult::Ok(bin) => Ok((
                cosmwasm_std::from_json(&bin)?,
                Measure {
                    calls,
                    data: None,
                    events: vec![],
                },
            )),
            ContractResult::Err(e) => bail!("query of {contract} failed: {e}"),
        }
    }
}

/// `amount` of a native denom.
pub fn coins(amount: u128, denom: &str) -> Vec<Coin> {
    vec![Coin {
        denom: denom.to_string(),
        amount: Uint128::new(amount),
    }]
}
