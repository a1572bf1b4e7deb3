//! Helpers for the optional `serde` feature: the rules every serialized type of
//! this crate follows, for its users' `#[serde(serialize_with = ...)]` too.

use serde::Serializer;

/// `#[serde(serialize_with = "ocfs2_format::serialize::exact")]`: a 64-bit value
/// that can pass 2^53 (a heartbeat generation or sequence number, a quota limit,
/// a lock's total wait) is printed as a decimal string, always, so that jq and
/// JavaScript, whose numbers are doubles, keep every digit
/// (`"generation": "3083580395946342917"`; `tonumber` in jq 1.7 and `BigInt(...)`
/// in JavaScript read it back). Whether a field is a string is a property of the
/// field, never of its value.
pub fn exact<T: Exact, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    value.exact(s)
}

/// What [`exact`] prints as a decimal string: 64-bit integers, and `None`
/// (null) or the string for an optional one.
pub trait Exact {
    /// Serializes `self` as [`exact`] describes.
    fn exact<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

impl Exact for u64 {
    fn exact<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Exact for i64 {
    fn exact<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<T: Exact> Exact for Option<T> {
    fn exact<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.exact(s),
            None => s.serialize_none(),
        }
    }
}

/// `#[serde(serialize_with = "ocfs2_format::serialize::lossy")]`: a name stored
/// as bytes (a directory entry's, an orphan's) as UTF-8 text, invalid bytes
/// replaced by U+FFFD.
pub fn lossy<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn exact_values_are_decimal_strings_and_names_text() {
        #[derive(serde::Serialize)]
        struct T {
            /// The largest u64.
            #[serde(serialize_with = "super::exact")]
            a: u64,
            /// The first integer a double cannot hold.
            #[serde(serialize_with = "super::exact")]
            b: Option<u64>,
            /// None: null.
            #[serde(serialize_with = "super::exact")]
            c: Option<u64>,
            /// The smallest i64.
            #[serde(serialize_with = "super::exact")]
            d: i64,
            /// A name with a byte that is not UTF-8.
            #[serde(serialize_with = "super::lossy")]
            e: Vec<u8>,
        }
        let t = T { a: u64::MAX, b: Some((1 << 53) + 1), c: None, d: i64::MIN, e: b"a\xffb".to_vec() };
        assert_eq!(
            serde_json::to_string(&t).expect("serializes"),
            "{\"a\":\"18446744073709551615\",\"b\":\"9007199254740993\",\"c\":null,\
             \"d\":\"-9223372036854775808\",\"e\":\"a\u{fffd}b\"}"
        );
    }
}
