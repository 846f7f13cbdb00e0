//! Versioned binary records: how every Keel contract stores what it reads often.
//!
//! A record is a **format byte** and a body written with [`crate::codec`]. The format byte is
//! `0x80 | version`. Records written before formats were versioned have no such byte: their
//! first byte is always below `0x80` (a length, a flags byte or a big-endian zero), so they read
//! as version 0, the whole record being the body.
//!
//! Adding a field to a record:
//! 1. bump the record's `VERSION` and write the new field in `encode`;
//! 2. in `decode`, read every older version as it was written, giving the new field the value
//!    that keeps the old behaviour;
//! 3. never reuse a version number, and keep the decoders of older versions for as long as
//!    records of those versions may exist.
//!
//! Records are then migrated lazily: a record of an older version is read as such and written
//! back in the current version the next time a message saves it. Nothing has to rewrite every
//! position in one transaction. A version above the one this code writes is refused with
//! [`RecordError::UnknownVersion`] (a record from a newer contract, e.g. after a downgrade).
use std::marker::PhantomData;

use cosmwasm_std::{Empty, Order, StdError, Storage};
use cw_storage_plus::{Map, PrimaryKey};
use thiserror::Error;

/// The bit that marks a versioned record's format byte.
pub const VERSIONED: u8 = 0x80;

#[derive(Error, Debug, PartialEq)]
pub enum RecordError {
    #[error("{record} record of format version {version}: this code reads versions up to {max}")]
    UnknownVersion {
        record: &'static str,
        version: u8,
        max: u8,
    },

    #[error("{0}")]
    Std(#[from] StdError),
}

impl From<RecordError> for StdError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Std(e) => e,
            other => StdError::generic_err(other.to_string()),
        }
    }
}

/// A record kept in storage in its binary form.
pub trait Record: Sized {
    /// What the record is, for errors.
    const NAME: &'static str;
    /// The format version this code writes.
    const VERSION: u8;
    /// Writes the body (after the format byte).
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StdError>;
    /// Reads a body written in `version` (at most `VERSION`), consuming exactly its bytes.
    fn decode(version: u8, body: &mut &[u8]) -> Result<Self, StdError>;
}

/// The format byte of `version`.
pub const fn format_byte(version: u8) -> u8 {
    VERSIONED | version
}

/// Splits a stored record into its format version and its body (see the module docs).
pub fn unframe<'a>(
    record: &'static str,
    bytes: &'a [u8],
    max: u8,
) -> Result<(u8, &'a [u8]), RecordError> {
    match bytes.split_first() {
        Some((first, body)) if first & VERSIONED != 0 => {
            let version = first & !VERSIONED;
            if version > max || version == 0 {
                return Err(RecordError::UnknownVersion {
                    record,
                    version,
                    max,
                });
            }
            Ok((version, body))
        }
        _ => Ok((0, bytes)),
    }
}

/// The stored form of `record`: its format byte, then its body.
pub fn to_bytes<T: Record>(record: &T) -> Result<Vec<u8>, RecordError> {
    let mut out = Vec::with_capacity(64);
    out.push(format_byte(T::VERSION));
    record.encode(&mut out)?;
    Ok(out)
}

/// Reads a stored record of any version this code knows; trailing bytes are an error.
pub fn from_bytes<T: Record>(bytes: &[u8]) -> Result<T, RecordError> {
    let (version, mut body) = unframe(T::NAME, bytes, T::VERSION)?;
    let record = T::decode(version, &mut body)?;
    if !body.is_empty() {
        return Err(crate::codec::corrupt(T::NAME, "trailing bytes").into());
    }
    Ok(record)
}

/// A map whose values are [`Record`]s: the keys of a cw-storage-plus `Map`, the values in their
/// binary form.
pub struct BinMap<K, T> {
    keys: Map<K, Empty>,
    record: PhantomData<T>,
}

impl<K, T> BinMap<K, T> {
    pub const fn new(namespace: &'static str) -> Self {
        BinMap {
            keys: Map::new(namespace),
            record: PhantomData,
        }
    }
}

impl<'a, K: PrimaryKey<'a>, T: Record> BinMap<K, T> {
    pub fn may_load(&self, storage: &dyn Storage, key: K) -> Result<Option<T>, RecordError> {
        storage
            .get(&self.keys.key(key))
            .map(|bytes| from_bytes(&bytes))
            .transpose()
    }

    pub fn load(&self, storage: &dyn Storage, key: K) -> Result<T, RecordError> {
        self.may_load(storage, key)?
            .ok_or_else(|| StdError::not_found(T::NAME).into())
    }

    pub fn save(&self, storage: &mut dyn Storage, key: K, value: &T) -> Result<(), RecordError> {
        storage.set(&self.keys.key(key), &to_bytes(value)?);
        Ok(())
    }

    /// The full storage key of `key` (for raw reads, e.g. by tests).
    pub fn key(&self, key: K) -> Vec<u8> {
        self.keys.key(key).to_vec()
    }
}

impl<T: Record> BinMap<u64, T> {
    /// Records with a key above `start_after`, ascending.
    pub fn range<'a>(
        &self,
        storage: &'a dyn Storage,
        start_after: Option<u64>,
    ) -> impl Iterator<Item = Result<(u64, T), RecordError>> + 'a {
        let key_of_zero = self.keys.key(0).to_vec();
        let prefix = key_of_zero
            .get(..key_of_zero.len().saturating_sub(8))
            .unwrap_or_default()
            .to_vec();
        let end = [prefix.as_slice(), &[0xff; 9]].concat();
        let start = match start_after {
            Some(id) => match id.checked_add(1) {
                Some(next) => self.keys.key(next).to_vec(),
                // nothing after u64::MAX: an empty range
                None => end.clone(),
            },
            None => prefix.clone(),
        };
        let id_at = prefix.len();
        storage
            .range(Some(&start), Some(&end), Order::Ascending)
            .map(move |(key, value)| {
                let id: [u8; 8] = key
                    .get(id_at..)
                    .and_then(|k| k.try_into().ok())
                    .ok_or_else(|| crate::codec::corrupt("key", "not 8 bytes"))?;
                Ok((u64::from_be_bytes(id), from_bytes(&value)?))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Version 1 holds `a`; version 2 adds `b` (default 7 for records of version 0 and 1).
    #[derive(Debug, PartialEq)]
    struct Sample {
        a: u8,
        b: u8,
    }

    impl Record for Sample {
        const NAME: &'static str = "sample";
        const VERSION: u8 = 2;
        fn encode(&self, out: &mut Vec<u8>) -> Result<(), StdError> {
            out.extend_from_slice(&[self.a, self.b]);
            Ok(())
        }
        fn decode(version: u8, body: &mut &[u8]) -> Result<Self, StdError> {
            let a = crate::codec::take_u8(body)?;
            let b = if version >= 2 {
                crate::codec::take_u8(body)?
            } else {
                7
            };
            Ok(Sample { a, b })
        }
    }

    #[test]
    fn a_record_is_its_format_byte_and_its_body() {
        let bytes = to_bytes(&Sample { a: 1, b: 2 }).unwrap();
        assert_eq!(bytes, vec![0x82, 1, 2]);
        assert_eq!(from_bytes::<Sample>(&bytes).unwrap(), Sample { a: 1, b: 2 });
    }

    #[test]
    fn older_versions_read_with_the_new_fields_defaulted() {
        // version 1, and an unversioned record (first byte below 0x80): version 0
        assert_eq!(
            from_bytes::<Sample>(&[0x81, 5]).unwrap(),
            Sample { a: 5, b: 7 }
        );
        assert_eq!(from_bytes::<Sample>(&[5]).unwrap(), Sample { a: 5, b: 7 });
    }

    #[test]
    fn unknown_versions_and_trailing_bytes_are_refused() {
        assert_eq!(
            from_bytes::<Sample>(&[0x83, 1, 2, 3]).unwrap_err(),
            RecordError::UnknownVersion {
                record: "sample",
                version: 3,
                max: 2
            }
        );
        assert!(matches!(
            from_bytes::<Sample>(&[0x80, 1]).unwrap_err(),
            RecordError::UnknownVersion { version: 0, .. }
        ));
        assert!(from_bytes::<Sample>(&[0x82, 1, 2, 3]).is_err());
        assert!(from_bytes::<Sample>(&[0x82, 1]).is_err());
        assert!(from_bytes::<Sample>(&[]).is_err());
    }
}
