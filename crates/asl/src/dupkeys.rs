//! Finds keys that appear twice in one JSON object (serde_json keeps only the last one,
//! but AWS refuses a definition that names a state twice).

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

struct Scan<'a> {
    path: String,
    dups: &'a RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(k) = map.next_key::<String>()? {
            let path = format!("{}/{k}", self.path);
            if !seen.insert(k) {
                self.dups.borrow_mut().push(path.clone());
            }
            map.next_value_seed(Scan {
                path,
                dups: self.dups,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Scan {
                path: format!("{}/{i}", self.path),
                dups: self.dups,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Locations (`/States/A`) of every repeated key; empty when the text is not JSON.
pub(crate) fn duplicate_keys(text: &str) -> Vec<String> {
    let dups = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let scan = Scan {
        path: String::new(),
        dups: &dups,
    };
    if scan.deserialize(&mut de).is_err() {
        return Vec::new();
    }
    dups.into_inner()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_nested_duplicates() {
        let d = super::duplicate_keys(r#"{"States":{"A":1,"B":[{"x":1,"x":2}],"A":2}}"#);
        assert_eq!(
            d,
            vec!["/States/B/0/x".to_string(), "/States/A".to_string()]
        );
    }
}
