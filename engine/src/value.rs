//! The engine's JSON value: the shape of `serde_json::Value`, with a map of
//! our own. A record's objects are small (a dozen keys) and are built,
//! searched and dropped once per record, so a [`Map`] is a vector of
//! entries in their order, searched by comparing keys: no hash table to
//! allocate, no SipHash per lookup. Past [`INDEXED_FROM`] entries a map
//! also keeps a hash index of its positions, so an object of a million
//! keys costs what it costs in serde_json and a hostile record cannot make
//! the lookups quadratic.
//!
//! Numbers are serde_json's own [`Number`], so arithmetic, comparison and
//! the digits written out are serde_json's; [`Value`] reads and writes
//! through serde, so serde_json parses and prints it with its errors
//! (line and column) and its formatting. Objects compare as serde_json's
//! do: equal when they hold the same keys with equal values, in any order.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

pub use serde_json::Number;

/// A JSON value.
#[derive(Clone, Default, PartialEq)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json holds it.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its keys in the order written.
    Object(Map),
}

/// Whether two keys are the same text. Keys are short, and a call of
/// `memcmp` per key compared was the largest single cost of looking one up
/// (records are searched in order, not hashed): up to 16 bytes this
/// compares two overlapping words, which cover every byte.
#[inline]
pub(crate) fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word8 =
        |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let word4 =
        |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        8.. if word8(a, 0) != word8(b, 0) => false,
        8..=16 => word8(a, n - 8) == word8(b, n - 8),
        4..8 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        _ => a == b,
    }
}

/// The number of entries from which a [`Map`] keeps a hash index.
const INDEXED_FROM: usize = 24;

/// An object's entries in their order (a key written twice keeps its first
/// place and its last value, as in serde_json with `preserve_order`).
#[derive(Clone, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
    /// Positions in `entries` by key hash, once there are [`INDEXED_FROM`].
    /// Boxed: most maps never have one, and unboxed it made every `Value`
    /// 72 bytes instead of 40.
    index: Option<Box<Index>>,
}

#[derive(Clone)]
struct Index {
    hasher: std::hash::RandomState,
    positions: HashTable<usize>,
}

impl Index {
    fn of(entries: &[(String, Value)]) -> Index {
        let hasher = std::hash::RandomState::new();
        let mut positions = HashTable::with_capacity(entries.len());
        for (i, (key, _)) in entries.iter().enumerate() {
            let hash = hasher.hash_one(key.as_str());
            positions.insert_unique(hash, i, |&j: &usize| hasher.hash_one(entries[j].0.as_str()));
        }
        Index { hasher, positions }
    }

    fn find(&self, entries: &[(String, Value)], key: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        self.positions
            .find(hash, |&i| same_key(&entries[i].0, key))
            .copied()
    }

    fn add(&mut self, entries: &[(String, Value)], at: usize) {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(entries[at].0.as_str());
        self.positions
            .insert_unique(hash, at, |&j| hasher.hash_one(entries[j].0.as_str()));
    }
}

impl Map {
    /// An empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Map {
        Map {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.find(&self.entries, key),
            None => self.entries.iter().position(|(k, _)| same_key(k, key)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// The key and value of `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&String, &Value)> {
        self.position(key).map(|i| {
            let (k, v) = &self.entries[i];
            (k, v)
        })
    }

    /// Whether the map holds `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`: in its place if the key is there (giving back
    /// the old value), else at the end.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        self.push_new(key, value);
        None
    }

    /// Appends an entry whose key the map does not hold (the caller knows:
    /// the JSON reader, which has compared fingerprints of every key).
    pub(crate) fn push_new(&mut self, key: String, value: Value) {
        self.entries.push((key, value));
        let at = self.entries.len() - 1;
        match &mut self.index {
            Some(index) => index.add(&self.entries, at),
            None if self.entries.len() >= INDEXED_FROM => {
                self.index = Some(Box::new(Index::of(&self.entries)))
            }
            None => {}
        }
    }

    /// Takes `key` out, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.shift_remove(key)
    }

    /// Takes `key` out, keeping the order of the others.
    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let (_, value) = self.entries.remove(i);
        self.reindex();
        Some(value)
    }

    fn reindex(&mut self) {
        self.index =
            (self.entries.len() >= INDEXED_FROM).then(|| Box::new(Index::of(&self.entries)));
    }

    /// Keeps the entries `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        let before = self.entries.len();
        self.entries.retain_mut(|(k, v)| keep(k, v));
        if self.entries.len() != before {
            self.reindex();
        }
    }

    /// Moves every entry of `other` into this map, `other`'s values winning.
    pub fn append(&mut self, other: &mut Map) {
        for (k, v) in std::mem::take(other) {
            self.insert(k, v);
        }
    }

    /// The entry of `key`, to fill or change in place.
    pub fn entry(&mut self, key: impl Into<String>) -> Entry<'_> {
        let key = key.into();
        match self.position(&key) {
            Some(i) => Entry::Occupied(&mut self.entries[i].1),
            None => Entry::Vacant(self, key),
        }
    }

    /// The entry at `i`, in order.
    pub(crate) fn entry_at(&self, i: usize) -> Option<(&str, &Value)> {
        self.entries.get(i).map(|(k, v)| (k.as_str(), v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries in order, values to change.
    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&String, &mut Value)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in order, to change.
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The entry at position `i`.
    pub fn get_index(&self, i: usize) -> Option<(&String, &Value)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }
}

/// An entry of a [`Map`], from [`Map::entry`].
pub enum Entry<'a> {
    /// The key is there; its value.
    Occupied(&'a mut Value),
    /// The key is not there.
    Vacant(&'a mut Map, String),
}

impl<'a> Entry<'a> {
    /// The value, set to `default` first if the key was not there.
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        self.or_insert_with(|| default)
    }

    /// The value, set to `make()` first if the key was not there.
    pub fn or_insert_with(self, make: impl FnOnce() -> Value) -> &'a mut Value {
        match self {
            Entry::Occupied(v) => v,
            Entry::Vacant(map, key) => {
                map.push_new(key, make());
                let last = map.entries.len() - 1;
                &mut map.entries[last].1
            }
        }
    }
}

impl PartialEq for Map {
    /// The same keys with equal values, in any order (as serde_json's maps).
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len()
            && self
                .entries
                .iter()
                .enumerate()
                .all(|(i, (k, v))| match other.entries.get(i) {
                    // Maps built alike share their order: try the same place first.
                    Some((k2, v2)) if k2 == k => v == v2,
                    _ => other.get(k) == Some(v),
                })
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = std::iter::Map<
        std::slice::IterMut<'a, (String, Value)>,
        fn(&'a mut (String, Value)) -> (&'a String, &'a mut Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Map {
        let mut map = Map::new();
        map.extend(iter);
        map
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

static NULL: Value = Value::Null;

impl Value {
    /// The text, if a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `f64`, if a number.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// The number as an `i64`, if a whole number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The number as a `u64`, if a whole number that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// The items, if an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The items, if an array, to change.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The entries, if an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The entries, if an object, to change.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Whether `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether a boolean.
    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }

    /// Whether a number.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    /// Whether a whole number that fits an `i64`.
    pub fn is_i64(&self) -> bool {
        self.as_number().is_some_and(Number::is_i64)
    }

    /// Whether a whole number that fits a `u64`.
    pub fn is_u64(&self) -> bool {
        self.as_number().is_some_and(Number::is_u64)
    }

    /// Whether a number held as an `f64`.
    pub fn is_f64(&self) -> bool {
        self.as_number().is_some_and(Number::is_f64)
    }

    /// Whether a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// Whether an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    /// Whether an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// The value of `key` in an object, or of item `i` in an array.
    pub fn get<I: ValueIndex>(&self, at: I) -> Option<&Value> {
        at.index_into(self)
    }

    /// The value of `key` in an object, or of item `i` in an array, to change.
    pub fn get_mut<I: ValueIndex>(&mut self, at: I) -> Option<&mut Value> {
        at.index_into_mut(self)
    }

    /// The value, leaving `null` in its place.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }

    /// The value at a JSON Pointer (RFC 6901), to change, as serde_json's
    /// `pointer_mut`.
    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/').try_fold(self, |v, token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match v {
                Value::Object(m) => m.get_mut(&token),
                Value::Array(a) => pointer_index(&token).and_then(|i| a.get_mut(i)),
                _ => None,
            }
        })
    }
}

/// An array index in a JSON Pointer: digits, no leading zero.
fn pointer_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() > 1) {
        return None;
    }
    token.parse().ok()
}

/// What [`Value::get`] takes: a key or an array position.
pub trait ValueIndex {
    /// The value this indexes in `v`.
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
    /// The value this indexes in `v`, to change.
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value>;
}

impl ValueIndex for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_array().and_then(|a| a.get(*self))
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_array_mut().and_then(|a| a.get_mut(*self))
    }
}

impl ValueIndex for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_object().and_then(|m| m.get(self))
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_object_mut().and_then(|m| m.get_mut(self))
    }
}

impl ValueIndex for String {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        self.as_str().index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        self.as_str().index_into_mut(v)
    }
}

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(v)
    }
}

impl<I: ValueIndex> std::ops::Index<I> for Value {
    type Output = Value;
    /// The value at `at`, or `null` (as serde_json's `value["key"]`).
    fn index(&self, at: I) -> &Value {
        at.index_into(self).unwrap_or(&NULL)
    }
}

impl std::ops::IndexMut<&str> for Value {
    /// The value of `key`, added as `null` if missing; `null` becomes an
    /// empty object first (as serde_json's). Panics on any other kind, as
    /// serde_json's does: for tests and literal-built values only.
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(Map::new());
        }
        match self {
            Value::Object(m) => m.entry(key).or_insert(Value::Null),
            other => panic!("cannot index {} with a key", kind(other)),
        }
    }
}

impl std::ops::IndexMut<usize> for Value {
    /// Item `i` of an array; panics when there is none, as serde_json's.
    fn index_mut(&mut self, i: usize) -> &mut Value {
        match self {
            Value::Array(a) => &mut a[i],
            other => panic!("cannot index {} with a position", kind(other)),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Number(n) => write!(f, "Number({n})"),
            Value::String(s) => write!(f, "String({s:?})"),
            Value::Array(a) => {
                f.write_str("Array ")?;
                f.debug_list().entries(a).finish()
            }
            Value::Object(m) => {
                f.write_str("Object ")?;
                fmt::Debug::fmt(m, f)
            }
        }
    }
}

impl fmt::Display for Value {
    /// Compact JSON, as serde_json's `Display` (`{:#}` for indented).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if f.alternate() {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        }
        .map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(t) => s.serialize_str(t),
            Value::Array(a) => a.serialize(s),
            Value::Object(m) => m.serialize(s),
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(m),
            other => Err(serde::de::Error::custom(format!(
                "expected an object, found {}",
                kind(&other)
            ))),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_i128<E: serde::de::Error>(self, n: i128) -> Result<Value, E> {
        Number::from_i128(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }
    fn visit_u128<E: serde::de::Error>(self, n: u128) -> Result<Value, E> {
        Number::from_u128(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        // As serde_json: a float that is not finite becomes null.
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(0).min(4096));
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Number(n) => serde_json::Value::Number(n),
            Value::String(s) => serde_json::Value::String(s),
            Value::Array(a) => serde_json::Value::Array(a.into_iter().map(Into::into).collect()),
            Value::Object(m) => {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect())
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

macro_rules! from_integer {
    ($($t:ty)*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n.into())
            }
        }
    )*};
}
from_integer!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

impl From<f64> for Value {
    /// A finite float, or `null` (as serde_json).
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for Value {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl PartialEq<i64> for Value {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

impl PartialEq<serde_json::Value> for Value {
    fn eq(&self, other: &serde_json::Value) -> bool {
        match (self, other) {
            (Value::Null, serde_json::Value::Null) => true,
            (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
            (Value::Number(a), serde_json::Value::Number(b)) => a == b,
            (Value::String(a), serde_json::Value::String(b)) => a == b,
            (Value::Array(a), serde_json::Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Value::Object(a), serde_json::Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w))
            }
            _ => false,
        }
    }
}

/// A [`Value`] written as JSON, as serde_json's `json!` writes it.
#[macro_export]
macro_rules! json {
    ($($json:tt)+) => {
        $crate::Value::from(::serde_json::json!($($json)+))
    };
}

/// Any serialisable value as a [`Value`], as `serde_json::to_value`.
pub fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, serde_json::Error> {
    serde_json::to_value(v).map(Value::from)
}

/// A deserialisable value from a [`Value`], as `serde_json::from_value`.
pub fn from_value<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(v.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    proptest::proptest! {
        // Keys of every length around the word sizes, equal or differing in
        // one byte anywhere (the first, the last, the middle of a word).
        #[test]
        fn same_key_is_text_equality(a in "[a-c]{0,20}", at in 0usize..20, b in 0u8..3) {
            let mut other = a.clone().into_bytes();
            if let Some(byte) = other.get_mut(at) {
                *byte = b"abc"[b as usize];
            }
            let other = String::from_utf8(other).unwrap();
            proptest::prop_assert_eq!(same_key(&a, &other), a == other);
            proptest::prop_assert!(same_key(&a, &a));
            let longer = format!("{a}a");
            proptest::prop_assert!(!same_key(&a, &longer));
        }
    }

    #[test]
    fn parses_and_writes_as_serde_json_does() {
        let texts = [
            r#"{"b":1,"a":[1.5,-0.0,1e400,true,null,"x\u00e9"],"c":{"d":18446744073709551615}}"#,
            r#"[{"k":"v"},[],{},"",0.1]"#,
            r#""\ud83d\ude00 \n""#,
        ];
        for text in texts {
            let ours =
                serde_json::from_str::<Value>(text).map(|v| serde_json::to_string(&v).unwrap());
            let theirs = serde_json::from_str::<serde_json::Value>(text)
                .map(|v| serde_json::to_string(&v).unwrap());
            assert_eq!(ours.ok(), theirs.ok(), "{text}");
        }
    }

    #[test]
    fn errors_keep_serde_json_line_and_column() {
        let text = "{\"a\": 1,\n \"b\": tru}";
        let ours = serde_json::from_str::<Value>(text).unwrap_err();
        let theirs = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!((ours.line(), ours.column()), (2, 10));
        assert_eq!(ours.to_string(), theirs.to_string());
    }

    #[test]
    fn a_key_written_twice_keeps_its_place_and_its_last_value() {
        let v = parse(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn objects_compare_as_maps_in_any_order() {
        assert_eq!(parse(r#"{"a":1,"b":[2]}"#), parse(r#"{"b":[2],"a":1}"#));
        assert_ne!(parse(r#"{"a":1,"b":[2]}"#), parse(r#"{"a":1,"b":[3]}"#));
        assert_ne!(parse(r#"{"a":1}"#), parse(r#"{"a":1,"b":null}"#));
    }

    #[test]
    fn a_large_map_finds_inserts_and_removes_through_its_index() {
        let mut map = Map::new();
        for i in 0..1000 {
            assert_eq!(map.insert(format!("k{i}"), Value::from(i)), None);
        }
        assert!(map.index.is_some());
        assert_eq!(
            map.insert("k500".into(), Value::from("x")),
            Some(Value::from(500))
        );
        assert_eq!(map.get("k500"), Some(&Value::from("x")));
        assert_eq!(map.remove("k3"), Some(Value::from(3)));
        assert_eq!(map.get("k4"), Some(&Value::from(4)));
        assert_eq!(map.get("k3"), None);
        assert_eq!(map.len(), 999);
        assert_eq!(map.keys().nth(3).map(String::as_str), Some("k4"));
        map.retain(|k, _| k.len() < 4);
        assert_eq!(map.len(), 99, "k0..k99 but k3");
        assert!(map.index.is_some());
        assert_eq!(map.get("k99"), Some(&Value::from(99)));
    }

    #[test]
    fn a_parsed_record_of_many_keys_is_indexed() {
        let text: String = std::iter::once("{".to_string())
            .chain((0..1000).map(|i| format!("{}\"k{i}\":{i}", if i > 0 { "," } else { "" })))
            .chain(std::iter::once("}".to_string()))
            .collect();
        let v = parse(&text);
        assert!(v.as_object().unwrap().index.is_some());
        assert_eq!(v["k999"], Value::from(999));
    }

    #[test]
    fn pointer_mut_finds_what_serde_json_finds() {
        let text = r#"{"a/b":{"c":[10,20]},"~":1}"#;
        let mut v = parse(text);
        let mut sj: serde_json::Value = serde_json::from_str(text).unwrap();
        for p in ["", "/a~1b/c/1", "/~0", "/a~1b/c/01", "/x", "a"] {
            assert_eq!(
                v.pointer_mut(p).map(|v| serde_json::Value::from(v.clone())),
                sj.pointer_mut(p).map(|v| v.clone()),
                "{p}"
            );
        }
    }

    #[test]
    fn converts_both_ways_with_serde_json() {
        let sj = serde_json::json!({"z": [1, {"y": null}], "a": "t", "n": 2.5});
        let ours = Value::from(sj.clone());
        assert_eq!(ours, sj);
        assert_eq!(serde_json::Value::from(ours), sj);
    }
}
