//! A position's record: its owner, scaled balances and automation.
use cosmwasm_std::{Binary, CanonicalAddr, Decimal256, StdResult, Uint128, Uint256};
use keel_math::HealthBounds;
use keel_types::codec::{
    corrupt, flags, put_bytes, put_decimal, put_uint, take, take_canonical, take_decimal, take_u8,
    take_uint,
};
use keel_types::record::Record;

use super::AssetId;

/// One balance of a position: asset id and scaled amount; `mark` is the supply index at the last
/// touch when the position self-repays (the interest since then goes to repaying MOET).
///
/// Stored as `[asset, scaled]` or `[asset, scaled, mark]` (8 bytes less per balance than an
/// object with keys: the position record is rewritten by every message, at 30 SDK gas a byte).
#[derive(Clone, Debug, PartialEq)]
pub struct Balance {
    pub asset: AssetId,
    pub scaled: Uint128,
    /// Self-repay: the supply index at the collateral's last touch.
    pub mark: Option<Decimal256>,
}

/// A position's automation, its addresses canonical like the owner's.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAutomation {
    pub sink: Option<StoredSink>,
    pub source: Option<CanonicalAddr>,
    pub health: Option<HealthBounds>,
    pub self_repay: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredSink {
    pub address: CanonicalAddr,
    pub msg: Option<Binary>,
}

/// A position. Written by nearly every message, so it is stored in a binary form
/// (see its [`Record`] impl) rather than JSON: about half the bytes, and every byte written costs 30
/// SDK gas.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    /// The owner's canonical address: 20 or 32 bytes where the bech32 string takes 43-65, in a
    /// record nearly every message rewrites (`Touch` holds the human form).
    pub owner: CanonicalAddr,
    pub collateral: Vec<Balance>,
    pub debt: Vec<Balance>,
    pub automation: Option<StoredAutomation>,
}

const SINK: u8 = 1;
const SINK_MSG: u8 = 2;
const SOURCE: u8 = 4;
const HEALTH: u8 = 8;
const SELF_REPAY: u8 = 16;

/// A position's automation: `flags:u8` (sink 1, sink hook 2, source 4, health 8, self-repay 16),
/// then the sink's canonical address (`len:u8 bytes`), its hook `len:u32be bytes`, the source's
/// canonical address and the health bounds (three `uint`s), each when present.
fn put_automation(out: &mut Vec<u8>, a: &StoredAutomation) -> StdResult<()> {
    let msg = a.sink.as_ref().and_then(|sink| sink.msg.as_ref());
    let flags = flags([
        (a.sink.is_some(), SINK),
        (msg.is_some(), SINK_MSG),
        (a.source.is_some(), SOURCE),
        (a.health.is_some(), HEALTH),
        (a.self_repay, SELF_REPAY),
    ]);
    out.push(flags);
    if let Some(sink) = &a.sink {
        put_bytes(out, sink.address.as_slice())?;
    }
    if let Some(msg) = msg {
        let len = u32::try_from(msg.len()).map_err(|_| corrupt("automation", "hook too long"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(msg);
    }
    if let Some(source) = &a.source {
        put_bytes(out, source.as_slice())?;
    }
    if let Some(HealthBounds { min, target, max }) = &a.health {
        for d in [min, target, max] {
            put_decimal(out, *d);
        }
    }
    Ok(())
}

fn take_automation(bytes: &mut &[u8]) -> StdResult<StoredAutomation> {
    let flags = take_u8(bytes)?;
    let sink_address = if flags & SINK != 0 {
        Some(take_canonical(bytes)?)
    } else {
        None
    };
    let msg = if flags & SINK_MSG != 0 {
        let len = take(bytes, 4)?;
        let len = u32::from_be_bytes([
            len.first().copied().unwrap_or_default(),
            len.get(1).copied().unwrap_or_default(),
            len.get(2).copied().unwrap_or_default(),
            len.get(3).copied().unwrap_or_default(),
        ]);
        let len = usize::try_from(len).map_err(|_| corrupt("automation", "hook too long"))?;
        Some(Binary::from(take(bytes, len)?))
    } else {
        None
    };
    let source = if flags & SOURCE != 0 {
        Some(take_canonical(bytes)?)
    } else {
        None
    };
    let health = if flags & HEALTH != 0 {
        Some(HealthBounds {
            min: take_decimal(bytes)?,
            target: take_decimal(bytes)?,
            max: take_decimal(bytes)?,
        })
    } else {
        None
    };
    let sink = match (sink_address, msg) {
        (Some(address), msg) => Some(StoredSink { address, msg }),
        (None, None) => None,
        (None, Some(_)) => return Err(corrupt("automation", "hook without a sink")),
    };
    Ok(StoredAutomation {
        sink,
        source,
        health,
        self_repay: flags & SELF_REPAY != 0,
    })
}

/// The binary form of a position (version 1):
/// `owner_len:u8 owner:canonical n_collateral:u8 balance* n_debt:u8 balance* automation:(0 | 1
/// automation)`, a balance being `asset:u16be scaled:uint mark:(0 | 1 uint)`, each `uint` a
/// length byte and the big-endian bytes without leading zeros, and the automation as
/// `put_automation` writes it. A position holds at most 32 assets (`max_position_assets`), so
/// counts fit one byte. Version 0 (unversioned) had no presence byte: the automation was
/// whatever followed the balances, which left no room for a new field.
impl Record for Position {
    const NAME: &'static str = "position";
    const VERSION: u8 = 1;

    fn encode(&self, out: &mut Vec<u8>) -> StdResult<()> {
        let owner = self.owner.as_slice();
        out.push(
            u8::try_from(owner.len()).map_err(|_| corrupt("position", "owner over 255 bytes"))?,
        );
        out.extend_from_slice(owner);
        for balances in [&self.collateral, &self.debt] {
            out.push(
                u8::try_from(balances.len())
                    .map_err(|_| corrupt("position", "over 255 balances"))?,
            );
            for b in balances {
                out.extend_from_slice(&b.asset.to_be_bytes());
                put_uint(out, &b.scaled.to_be_bytes());
                match &b.mark {
                    None => out.push(0),
                    Some(mark) => {
                        out.push(1);
                        put_uint(out, &mark.atomics().to_be_bytes());
                    }
                }
            }
        }
        match &self.automation {
            None => out.push(0),
            Some(automation) => {
                out.push(1);
                put_automation(out, automation)?;
            }
        }
        Ok(())
    }

    fn decode(version: u8, bytes: &mut &[u8]) -> StdResult<Self> {
        let owner_len = usize::from(take_u8(bytes)?);
        let owner = CanonicalAddr::from(take(bytes, owner_len)?);
        let mut lists = [vec![], vec![]];
        for list in &mut lists {
            let count = usize::from(take_u8(bytes)?);
            for _ in 0..count {
                let asset = take(bytes, 2)?;
                let asset = u16::from_be_bytes([
                    asset.first().copied().unwrap_or_default(),
                    asset.get(1).copied().unwrap_or_default(),
                ]);
                let scaled = Uint128::new(u128::from_be_bytes(take_uint::<16>(bytes)?));
                let mark = match take_u8(bytes)? {
                    0 => None,
                    _ => Some(Decimal256::new(Uint256::from_be_bytes(take_uint::<32>(
                        bytes,
                    )?))),
                };
                list.push(Balance {
                    asset,
                    scaled,
                    mark,
                });
            }
        }
        let [collateral, debt] = lists;
        let automation = match version {
            // version 0: the automation, if any, is the rest of the record
            0 if bytes.is_empty() => None,
            0 => Some(take_automation(bytes)?),
            _ => match take_u8(bytes)? {
                0 => None,
                _ => Some(take_automation(bytes)?),
            },
        };
        Ok(Position {
            owner,
            collateral,
            debt,
            automation,
        })
    }
}
