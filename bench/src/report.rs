//! Totals of a message's call tree, and the tables.
use serde::Serialize;

use crate::chain::{CallRecord, Measure};
use crate::gas;

/// One measured message: totals over its whole tree of calls and queries.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// VM gas of every contract call of the tree (each contract's own `used_internally`).
    pub vm_gas: u64,
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    pub iter_steps: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Cosmos SDK KV gas of all storage operations of the tree.
    pub kv_gas: u64,
    /// Contract queries made (smart and raw), at any depth.
    pub queries: u64,
    /// Contract instances: every execute, query, instantiate and reply call.
    pub instances: u64,
    /// wasmd event gas of the responses.
    pub event_gas: u64,
    /// The Mars-comparable figure: sum over calls of `vm_gas / 140_000` (rounded down per call,
    /// as wasmd does) plus the KV gas; no instance or event costs.
    pub sdk_gas: u64,
    /// `sdk_gas` + event gas + 2,000 per instance (every code pinned).
    pub sdk_pinned: u64,
    /// `sdk_gas` + event gas + 60,000 per instance (nothing pinned, every call charged in full:
    /// the rule the Mars figures of docs/GAS.md were measured with).
    pub sdk_unpinned: u64,
    /// What wasmd v0.60 charges with nothing pinned: `sdk_gas` + event gas + 60,000 for the
    /// first instance of each code in the transaction and 2,000 for each later one (a code
    /// already loaded in the transaction is charged the discounted cost).
    pub sdk_wasmd: u64,
    /// The calls of the tree (completion order).
    #[serde(skip)]
    pub calls: Vec<CallRecord>,
}

impl Row {
    pub fn from_measure(name: &str, m: &Measure) -> Row {
        Row::from_calls(name, &m.calls)
    }

    pub fn from_calls(name: &str, calls: &[CallRecord]) -> Row {
        let mut r = Row {
            name: name.to_string(),
            calls: calls.to_vec(),
            ..Default::default()
        };
        for c in calls {
            r.vm_gas += c.vm_gas;
            r.reads += c.reads;
            r.writes += c.writes;
            r.deletes += c.deletes;
            r.iter_steps += c.iter_steps;
            r.read_bytes += c.read_bytes;
            r.write_bytes += c.write_bytes;
            r.kv_gas += c.kv_gas;
            r.queries += c.queries;
            r.instances += 1;
            r.event_gas += c.event_gas;
            r.sdk_gas += gas::vm_to_sdk(c.vm_gas) + c.kv_gas;
        }
        r.sdk_pinned = r.sdk_gas + r.event_gas + r.instances * gas::INSTANCE_COST_DISCOUNT;
        let mut codes: Vec<&str> = calls.iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let distinct = codes.len() as u64;
        r.sdk_unpinned = r.sdk_gas + r.event_gas + r.instances * gas::INSTANCE_COST;
        r.sdk_wasmd = r.sdk_gas
            + r.event_gas
            + distinct * gas::INSTANCE_COST
            + (r.instances - distinct) * gas::INSTANCE_COST_DISCOUNT;
        r
    }

    /// `contract.entry` of each call, outermost first, e.g. `market.execute > oracle.query`.
    pub fn tree(&self) -> String {
        let mut calls: Vec<&CallRecord> = self.calls.iter().collect();
        // completion order puts callees first; show them by depth, stable
        calls.sort_by_key(|c| c.depth);
        let mut counts: Vec<(String, u32)> = vec![];
        for c in calls {
            let key = format!("{}.{}", c.contract, short_entry(&c.entry));
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 += 1,
                None => counts.push((key, 1)),
            }
        }
        counts
            .into_iter()
            .map(|(k, n)| if n > 1 { format!("{k} x{n}") } else { k })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn short_entry(entry: &str) -> &str {
    match entry {
        "execute" => "exec",
        "instantiate" => "init",
        other => other,
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The message-by-message table (markdown).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| message | VM gas | reads | writes | dels | iter | bytes r/w | queries | instances | KV gas | events | **SDK gas** | +pinned | +unpinned | wasmd | calls |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {}/{} | {} | {} | {} | {} | **{}** | {} | {} | {} | {} |\n",
            r.name,
            thousands(r.vm_gas),
            r.reads,
            r.writes,
            r.deletes,
            r.iter_steps,
            r.read_bytes,
            r.write_bytes,
            r.queries,
            r.instances,
            thousands(r.kv_gas),
            r.event_gas,
            thousands(r.sdk_gas),
            thousands(r.sdk_pinned),
            thousands(r.sdk_unpinned),
            thousands(r.sdk_wasmd),
            r.tree(),
        ));
    }
    out
}

/// Per-call detail of some rows (markdown).
pub fn detail(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| message | call | VM gas | reads | writes | iter | bytes r/w | KV gas | queries |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let mut calls: Vec<&CallRecord> = r.calls.iter().collect();
        calls.sort_by_key(|c| c.depth);
        for c in calls {
            out.push_str(&format!(
                "| {} | {}{}.{} | {} | {} | {} | {} | {}/{} | {} | {} |\n",
                r.name,
                "&nbsp;&nbsp;".repeat(c.depth),
                c.contract,
                c.entry,
                thousands(c.vm_gas),
                c.reads,
                c.writes,
                c.iter_steps,
                c.read_bytes,
                c.write_bytes,
                thousands(c.kv_gas),
                c.queries,
            ));
        }
    }
    out
}
