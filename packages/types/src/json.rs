//! A small JSON reader for the messages a contract receives.
//!
//! Why: `#[derive(Deserialize)]` generates a visitor per type and per variant (each with a map
//! and a sequence form), monomorphized for the deserializer. For the market's `ExecuteMsg` and
//! `QueryMsg` that was about 80 KB of its wasm. Here a message is read once into a [`Json`] tree
//! (one visitor for every type), then converted field by field with plain functions
//! ([`FromJson`]).
//!
//! The JSON accepted is the one serde's derive accepts for the same `#[cw_serde]` type:
//! externally tagged enums with snake_case variant names (`"name"` for a unit variant,
//! `{"name": {...}}` otherwise), unknown fields ignored, `Option` fields omitted or `null`,
//! `#[serde(default)]` fields omitted, a field given twice refused, integers as JSON numbers,
//! `Uint128`/`Decimal` as strings, `Binary` as base64. The errors read like serde's
//! (`missing field `x``, `unknown variant `x``, `invalid type: ..., expected ...`). The tests in
//! `tests/tests/json.rs` check every message type against what serde writes for it.
//!
//! Types read this way implement `Deserialize` through [`deserialize_via_json!`], so that
//! `from_json`, cw-storage-plus and cosmwasm's entry points use this reader natively and in
//! wasm alike; they keep serde's derived `Serialize` and `JsonSchema`.
use std::fmt;
use std::str::FromStr;

use cosmwasm_std::{Addr, Binary, Decimal, Uint128};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value. Numbers are integers only: serde-json-wasm reads no floats, and no Keel
/// message has one.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    UInt(u64),
    /// A negative integer.
    Int(i64),
    Str(String),
    Array(Vec<Json>),
    /// The members in the order given (duplicates kept: [`Object`] refuses them).
    Object(Vec<(String, Json)>),
}

/// Why a value could not be read; its text becomes the contract's parse error.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError(pub String);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonError {
    /// serde's wording: `invalid type: string "x", expected u64`.
    pub fn invalid_type(found: &Json, expected: &str) -> Self {
        let found = match found {
            Json::Null => "null".to_string(),
            Json::Bool(b) => format!("boolean `{b}`"),
            Json::UInt(n) => format!("integer `{n}`"),
            Json::Int(n) => format!("integer `{n}`"),
            Json::Str(s) => format!("string {s:?}"),
            Json::Array(_) => "sequence".to_string(),
            Json::Object(_) => "map".to_string(),
        };
        JsonError(format!("invalid type: {found}, expected {expected}"))
    }

    pub fn unknown_variant(name: &str) -> Self {
        JsonError(format!("unknown variant `{name}`"))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::UInt(n))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(match u64::try_from(n) {
            Ok(n) => Json::UInt(n),
            Err(_) => Json::Int(n),
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Json>()?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

/// A type read from a [`Json`] value.
pub trait FromJson: Sized {
    fn from_json(value: Json) -> Result<Self, JsonError>;

    /// The value of an omitted field: like serde's derive, `None` for an `Option`, else an
    /// error.
    fn if_missing(field: &str) -> Result<Self, JsonError> {
        Err(JsonError(format!("missing field `{field}`")))
    }
}

/// Reads `T` from JSON bytes (for tests and off-chain code; contracts go through serde).
pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T, JsonError> {
    let value: Json = cosmwasm_std::from_json(bytes).map_err(|e| JsonError(e.to_string()))?;
    T::from_json(value)
}

/// The members of a JSON object, taken out one field at a time. Members that are never taken
/// are ignored (serde's derive ignores unknown fields unless told otherwise).
pub struct Object(Vec<(String, Json)>);

impl Object {
    /// The members of `value`: a JSON object, or the content of an enum variant (`None` for a
    /// variant given as a bare string, which serde refuses for a struct variant).
    pub fn new(value: impl Into<Option<Json>>) -> Result<Self, JsonError> {
        match value.into() {
            Some(Json::Object(members)) => Ok(Object(members)),
            Some(other) => Err(JsonError::invalid_type(&other, "a map")),
            None => Err(JsonError(
                "invalid type: unit variant, expected struct variant".to_string(),
            )),
        }
    }

    /// Takes the member named by any of `names` (a field and its aliases); a second one is a
    /// duplicate, named by `names[0]` as serde does.
    #[inline(never)]
    pub fn take(&mut self, names: &[&str]) -> Result<Option<Json>, JsonError> {
        let mut matching = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, (key, _))| names.contains(&key.as_str()))
            .map(|(i, _)| i);
        let Some(first) = matching.next() else {
            return Ok(None);
        };
        if matching.next().is_some() {
            let name = names.first().copied().unwrap_or_default();
            return Err(JsonError(format!("duplicate field `{name}`")));
        }
        Ok(Some(self.0.swap_remove(first).1))
    }

    // The readers below are kept out of line: one copy per field type, instead of one per field
    // of every message.

    /// A required field (or an `Option`, `None` when omitted).
    #[inline]
    pub fn field<T: FromJson>(&mut self, name: &str) -> Result<T, JsonError> {
        self.field_aliased(&[name])
    }

    /// A field that may also be spelled `names[1..]`.
    #[inline(never)]
    pub fn field_aliased<T: FromJson>(&mut self, names: &[&str]) -> Result<T, JsonError> {
        match self.take(names)? {
            Some(value) => T::from_json(value),
            None => T::if_missing(names.first().copied().unwrap_or_default()),
        }
    }

    /// A `#[serde(default)]` field.
    #[inline(never)]
    pub fn field_or<T: FromJson>(&mut self, name: &str, default: T) -> Result<T, JsonError> {
        match self.take(&[name])? {
            Some(value) => T::from_json(value),
            None => Ok(default),
        }
    }
}

/// An externally tagged enum value: `"name"` (no content) or `{"name": content}`.
pub fn variant(value: Json) -> Result<(String, Option<Json>), JsonError> {
    match value {
        Json::Str(name) => Ok((name, None)),
        Json::Object(mut members) if members.len() == 1 => match members.pop() {
            Some((name, content)) => Ok((name, Some(content))),
            None => Err(JsonError("expected an enum".to_string())),
        },
        other => Err(JsonError::invalid_type(&other, "an enum")),
    }
}

/// The content of a unit variant: none (serde-json-wasm refuses `{"name": null}` too).
pub fn unit(content: Option<Json>) -> Result<(), JsonError> {
    match content {
        None => Ok(()),
        Some(other) => Err(JsonError::invalid_type(&other, "unit variant")),
    }
}

/// The content of a newtype variant (`{"name": value}`).
pub fn newtype<T: FromJson>(content: Option<Json>) -> Result<T, JsonError> {
    match content {
        Some(value) => T::from_json(value),
        None => Err(JsonError(
            "invalid type: unit variant, expected newtype variant".to_string(),
        )),
    }
}

/// Builds `$path { field: .., ... }` from the members of a JSON object: `field` is required (or
/// `None` when an omitted `Option`), `field = default` is a `#[serde(default)]` field.
#[macro_export]
macro_rules! read_object {
    ($value:expr, $($path:ident)::+ { $($field:ident $(= $default:expr)?),* $(,)? }) => {{
        #[allow(unused_mut, unused_variables)]
        let mut object = $crate::json::Object::new($value)?;
        $($path)::+ { $($field: $crate::read_object!(@field object, $field $(, $default)?),)* }
    }};
    (@field $object:ident, $field:ident) => {
        $object.field(stringify!($field))?
    };
    (@field $object:ident, $field:ident, $default:expr) => {
        $object.field_or(stringify!($field), $default)?
    };
}

/// `impl FromJson` for a struct read by [`read_object!`].
#[macro_export]
macro_rules! json_struct {
    ($ty:ident { $($body:tt)* }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(value: $crate::json::Json) -> Result<Self, $crate::json::JsonError> {
                Ok($crate::read_object!(value, $ty { $($body)* }))
            }
        }
    };
}

/// `impl Deserialize` through [`Json`] and [`FromJson`].
#[macro_export]
macro_rules! deserialize_via_json {
    ($($ty:ty),* $(,)?) => {$(
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <$crate::json::Json as ::serde::Deserialize>::deserialize(d)?;
                <$ty as $crate::json::FromJson>::from_json(value).map_err(::serde::de::Error::custom)
            }
        }
    )*};
}

impl FromJson for Json {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        Ok(value)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }

    fn if_missing(_field: &str) -> Result<Self, JsonError> {
        Ok(None)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Array(items) => items.into_iter().map(T::from_json).collect(),
            other => Err(JsonError::invalid_type(&other, "a sequence")),
        }
    }
}

impl FromJson for String {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Str(s) => Ok(s),
            other => Err(JsonError::invalid_type(&other, "a string")),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Bool(b) => Ok(b),
            other => Err(JsonError::invalid_type(&other, "a boolean")),
        }
    }
}

/// An unsigned integer given as a JSON number, checked against `max`.
#[inline(never)]
fn read_uint(value: Json, max: u64, expected: &str) -> Result<u64, JsonError> {
    match value {
        Json::UInt(n) if n <= max => Ok(n),
        Json::UInt(n) => Err(JsonError(format!(
            "invalid value: integer `{n}`, expected {expected}"
        ))),
        Json::Int(n) => Err(JsonError(format!(
            "invalid value: integer `{n}`, expected {expected}"
        ))),
        other => Err(JsonError::invalid_type(&other, expected)),
    }
}

macro_rules! uint_from_json {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(value: Json) -> Result<Self, JsonError> {
                let n = read_uint(value, <$t>::MAX.into(), stringify!($t))?;
                <$t>::try_from(n).map_err(|_| JsonError(format!("{n} is out of range")))
            }
        }
    )*};
}
uint_from_json!(u8, u16, u32, u64);

/// A string parsed by `FromStr`, with cosmwasm-std's error texts.
fn read_parsed<T: FromStr>(value: Json, expected: &str, error: &str) -> Result<T, JsonError>
where
    T::Err: fmt::Display,
{
    match value {
        Json::Str(s) => s.parse().map_err(|e| {
            JsonError(match error {
                "decimal" => format!("Error parsing decimal '{s}': {e}"),
                int => format!("invalid {int} '{s}' - {e}"),
            })
        }),
        other => Err(JsonError::invalid_type(&other, expected)),
    }
}

impl FromJson for Uint128 {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        read_parsed(value, "string-encoded integer", "Uint128")
    }
}

impl FromJson for Decimal {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        read_parsed(value, "string-encoded decimal", "decimal")
    }
}

impl FromJson for Addr {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        String::from_json(value).map(Addr::unchecked)
    }
}

impl FromJson for Binary {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let encoded = String::from_json(value)?;
        Binary::from_base64(&encoded).map_err(|_| JsonError(format!("invalid base64: {encoded}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Json {
        cosmwasm_std::from_json(s.as_bytes()).unwrap()
    }

    #[test]
    fn reads_every_kind_of_value() {
        assert_eq!(
            parse(r#"{"a":[null,true,1,-2,"x\"y",{}],"b":{"c":[]}}"#),
            Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Null,
                        Json::Bool(true),
                        Json::UInt(1),
                        Json::Int(-2),
                        Json::Str("x\"y".into()),
                        Json::Object(vec![]),
                    ])
                ),
                (
                    "b".into(),
                    Json::Object(vec![("c".into(), Json::Array(vec![]))])
                ),
            ])
        );
    }

    #[test]
    fn a_field_given_twice_is_refused_even_through_an_alias() {
        let mut o = Object::new(parse(r#"{"a":1,"b":2}"#)).unwrap();
        assert_eq!(
            o.field_aliased::<u64>(&["a", "b"]).unwrap_err().0,
            "duplicate field `a`"
        );
        let mut o = Object::new(parse(r#"{"b":2,"c":3}"#)).unwrap();
        assert_eq!(o.field_aliased::<u64>(&["a", "b"]).unwrap(), 2);
    }

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(u8::from_json(Json::UInt(255)).unwrap(), 255);
        assert!(u8::from_json(Json::UInt(256)).is_err());
        assert!(u64::from_json(Json::Int(-1)).is_err());
        assert!(u64::from_json(Json::Str("1".into())).is_err());
        assert_eq!(u64::from_json(Json::UInt(u64::MAX)).unwrap(), u64::MAX);
    }

    #[test]
    fn options_are_none_when_omitted_or_null() {
        let mut o = Object::new(parse(r#"{"a":null}"#)).unwrap();
        assert_eq!(o.field::<Option<u64>>("a").unwrap(), None);
        assert_eq!(o.field::<Option<u64>>("b").unwrap(), None);
        assert_eq!(o.field::<u64>("b").unwrap_err().0, "missing field `b`");
    }

    #[test]
    fn strings_parse_into_numbers_and_binary() {
        assert_eq!(
            Uint128::from_json(Json::Str("12".into())).unwrap(),
            Uint128::new(12)
        );
        assert!(Uint128::from_json(Json::UInt(12)).is_err());
        assert!(Decimal::from_json(Json::Str("1.5x".into())).is_err());
        assert_eq!(
            Binary::from_json(Json::Str("aGk=".into())).unwrap(),
            Binary::from(b"hi")
        );
        assert!(Binary::from_json(Json::Str("!".into())).is_err());
    }
}
