//! Opaque `nextToken`s. A token is a keyset cursor (the sort key of the last item
//! returned) bound to the listing it came from, so pages stay stable while new
//! items arrive and a token from another listing is refused as `InvalidToken`.

use crate::error::SfnError;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Token {
    /// What was being listed (operation and its filters).
    s: String,
    /// Sort key of the last item of the previous page.
    k: u64,
}

pub fn encode(scope: &str, last_key: u64) -> String {
    common::cursor::encode(&Token {
        s: scope.to_string(),
        k: last_key,
    })
}

/// The cursor of a token issued for `scope`; `None` when there is no token.
pub fn decode(token: Option<&str>, scope: &str) -> Result<Option<u64>, SfnError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let bad = || SfnError::InvalidToken(format!("Invalid Token: '{}'", cut(token)));
    if token.len() > 1024 {
        return Err(SfnError::constraint(
            "'<nextToken>'",
            "nextToken",
            "Member must have length less than or equal to 1024",
        ));
    }
    let t: Token = common::cursor::decode(token).map_err(|_| bad())?;
    if t.s != scope {
        return Err(bad());
    }
    Ok(Some(t.k))
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

/// One page of `items` (already in listing order) after `cursor`; `after` says whether an
/// item's key comes after the cursor in that order. Returns the page and the next token.
pub fn page<T>(
    items: impl Iterator<Item = T>,
    key: impl Fn(&T) -> u64,
    cursor: Option<u64>,
    after: impl Fn(u64, u64) -> bool,
    max: usize,
    scope: &str,
) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut more = false;
    for it in items {
        if let Some(c) = cursor {
            if !after(key(&it), c) {
                continue;
            }
        }
        if out.len() == max {
            more = true;
            break;
        }
        out.push(it);
    }
    let next = if more {
        out.last().map(|l| encode(scope, key(l)))
    } else {
        None
    };
    (out, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_the_listing_and_tokens_are_bound_to_it() {
        let items: Vec<u64> = (1..=5).collect();
        let (p1, t1) = page(items.iter().copied(), |x| *x, None, |k, c| k > c, 2, "a");
        assert_eq!(p1, vec![1, 2]);
        let c = decode(t1.as_deref(), "a").unwrap();
        let (p2, t2) = page(items.iter().copied(), |x| *x, c, |k, c| k > c, 2, "a");
        assert_eq!(p2, vec![3, 4]);
        let c = decode(t2.as_deref(), "a").unwrap();
        let (p3, t3) = page(items.iter().copied(), |x| *x, c, |k, c| k > c, 2, "a");
        assert_eq!(p3, vec![5]);
        assert!(t3.is_none());
        let t = encode("a", 1);
        assert_eq!(
            decode(Some(&t), "b").map_err(|e| e.type_name()),
            Err("InvalidToken")
        );
        assert_eq!(
            decode(Some("garbage!"), "a").map_err(|e| e.type_name()),
            Err("InvalidToken")
        );
    }
}
