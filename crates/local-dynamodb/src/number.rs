//! DynamoDB numbers: exact decimals of up to 38 significant digits.
//!
//! Kept as sign + significant digits + exponent so that equal values (`1.50`, `1.5`, `15e-1`)
//! have one representation, which makes equality, ordering and key lookups plain derives.

use std::cmp::Ordering;

use crate::error::DynamoError;

/// Value = (-1)^neg × 0.d1d2d3… × 10^exp. Zero has no digits, `exp == 0` and `neg == false`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

const MAX_DIGITS: usize = 38;
/// 9.99…E+125 is the largest magnitude: 0.999… × 10^126.
const MAX_EXP: i32 = 126;
/// 1E-130 is the smallest magnitude: 0.1 × 10^-129.
const MIN_EXP: i32 = -129;

impl Number {
    pub fn zero() -> Self {
        Number {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    /// Parses DynamoDB's number syntax and enforces its precision and range limits.
    pub fn parse(text: &str) -> Result<Self, DynamoError> {
        let invalid =
            || DynamoError::validation("A value provided cannot be converted into a number");
        // No trimming: DynamoDB refuses " 1" and "1 ".
        let s = text;
        let (neg, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let exp10: i64 = match exponent {
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                // Huge exponents are out of range anyway; clamp instead of overflowing.
                let magnitude: i64 = digits.parse::<i64>().unwrap_or(i64::MAX / 4).min(1_000_000);
                if e.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                }
            }
            None => 0,
        };
        let all: Vec<u8> = int_part
            .bytes()
            .chain(frac_part.bytes())
            .map(|b| b - b'0')
            .collect();
        // The decimal point sits after int_part.len() digits of `all`.
        let first_nz = match all.iter().position(|&d| d != 0) {
            Some(p) => p,
            None => return Ok(Number::zero()),
        };
        let last_nz = all.iter().rposition(|&d| d != 0).unwrap_or(first_nz);
        let digits = all[first_nz..=last_nz].to_vec();
        let exp = int_part.len() as i64 - first_nz as i64 + exp10;
        let n = Number {
            neg,
            digits,
            exp: exp.clamp(i32::MIN as i64 / 2, i32::MAX as i64 / 2) as i32,
        };
        n.check()?;
        Ok(n)
    }

    /// Enforces DynamoDB's limits; arithmetic results go through this too.
    fn check(&self) -> Result<(), DynamoError> {
        if self.digits.is_empty() {
            return Ok(());
        }
        if self.digits.len() > MAX_DIGITS {
            return Err(DynamoError::validation(
                "DynamoDB only supports precision up to 38 digits",
            ));
        }
        if self.exp > MAX_EXP {
            return Err(DynamoError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if self.exp < MIN_EXP {
            return Err(DynamoError::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        Ok(())
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Exact sum; an inexact result is an error, as in DynamoDB.
    pub fn add(&self, other: &Number) -> Result<Number, DynamoError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Align both as integers scaled by 10^low, where low is the lowest digit position.
        let low = (self.exp - self.digits.len() as i32).min(other.exp - other.digits.len() as i32);
        let high = self.exp.max(other.exp);
        let width = (high - low) as usize;
        if width > 400 {
            return Err(DynamoError::validation(
                "DynamoDB only supports precision up to 38 digits",
            ));
        }
        let a = self.aligned(low, width);
        let b = other.aligned(low, width);
        let (neg, mut mag) = if self.neg == other.neg {
            (self.neg, add_mag(&a, &b))
        } else {
            match cmp_mag(&a, &b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.neg, sub_mag(&a, &b)),
                Ordering::Less => (other.neg, sub_mag(&b, &a)),
            }
        };
        // `mag` is most significant first with the last digit at position `low`.
        let len = mag.len() as i32;
        let first = mag.iter().position(|&d| d != 0).unwrap_or(mag.len());
        mag.drain(..first);
        while mag.last() == Some(&0) {
            mag.pop();
        }
        if mag.is_empty() {
            return Ok(Number::zero());
        }
        let exp = low + len - first as i32;
        let n = Number {
            neg,
            digits: mag,
            exp,
        };
        n.check()?;
        Ok(n)
    }

    pub fn sub(&self, other: &Number) -> Result<Number, DynamoError> {
        self.add(&other.negated())
    }

    fn negated(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.neg = !n.neg;
        }
        n
    }

    /// Digits as an integer of `width` digits (plus one for carry) scaled by 10^low.
    fn aligned(&self, low: i32, width: usize) -> Vec<u8> {
        let mut out = vec![0u8; width + 1];
        // digit i (0-based) has position exp - 1 - i; index in out = width - (pos - low) ... from the right.
        for (i, d) in self.digits.iter().enumerate() {
            let pos = self.exp - 1 - i as i32 - low; // 0 = least significant
            let idx = width as i32 - pos;
            if idx >= 0 && (idx as usize) < out.len() {
                out[idx as usize] = *d;
            }
        }
        out
    }

    /// DynamoDB's storage size of a number: one byte plus one per base-100 digit pair.
    pub fn size(&self) -> usize {
        if self.digits.is_empty() {
            return 1;
        }
        // Pairs are aligned to the decimal point: positions (exp-1-i) grouped by floor(pos/2).
        let first_pos = self.exp - 1;
        let last_pos = self.exp - self.digits.len() as i32;
        let pair = |p: i32| p.div_euclid(2);
        (pair(first_pos) - pair(last_pos)) as usize + 2
    }

    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(0.0)
    }
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    a.cmp(b)
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0;
    for i in (0..a.len()).rev() {
        let s = a[i] + b[i] + carry;
        out[i] = s % 10;
        carry = s / 10;
    }
    out
}

fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i8;
    for i in (0..a.len()).rev() {
        let mut d = a[i] as i8 - b[i] as i8 - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        let mut s = String::new();
        if self.neg {
            s.push('-');
        }
        let digits: String = self.digits.iter().map(|d| (b'0' + d) as char).collect();
        let n = self.digits.len() as i32;
        if self.exp <= 0 {
            s.push_str("0.");
            for _ in 0..(-self.exp) {
                s.push('0');
            }
            s.push_str(&digits);
        } else if self.exp >= n {
            s.push_str(&digits);
            for _ in 0..(self.exp - n) {
                s.push('0');
            }
        } else {
            let (a, b) = digits.split_at(self.exp as usize);
            s.push_str(a);
            s.push('.');
            s.push_str(b);
        }
        f.write_str(&s)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let mag = self
            .exp
            .cmp(&other.exp)
            .then_with(|| self.digits.cmp(&other.digits));
        if sa < 0 {
            mag.reverse()
        } else {
            mag
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn normalises_output() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("-0.0").to_string(), "0");
        assert_eq!(n("1e3").to_string(), "1000");
        assert_eq!(n("0.000123").to_string(), "0.000123");
        assert_eq!(n("-12.3400").to_string(), "-12.34");
        assert_eq!(n("+007").to_string(), "7");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("15E-1"), n("1.5"));
    }

    #[test]
    fn compares_numerically() {
        assert!(n("2") > n("10").sub(&n("9")).unwrap());
        assert!(n("-5") < n("-4.99"));
        assert!(n("0") > n("-1e-100"));
        assert!(n("100") > n("99.999"));
        assert!(n("0.01") < n("0.1"));
    }

    #[test]
    fn enforces_limits() {
        assert!(Number::parse("abc").is_err());
        assert!(Number::parse("1e126").is_err());
        assert!(Number::parse("9.9e125").is_ok());
        assert!(Number::parse("1e-131").is_err());
        assert!(Number::parse("123456789012345678901234567890123456789").is_err());
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
        assert!(Number::parse("").is_err());
        assert!(Number::parse("1e").is_err());
        assert!(Number::parse("1.2.3").is_err());
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(n("0.1").add(&n("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(n("5").sub(&n("7.5")).unwrap().to_string(), "-2.5");
        assert_eq!(n("99").add(&n("1")).unwrap().to_string(), "100");
        assert_eq!(n("-3").add(&n("3")).unwrap().to_string(), "0");
        assert!(n("1e100").add(&n("1")).is_err());
    }

    #[test]
    fn storage_size_counts_digit_pairs() {
        assert_eq!(n("1.5").size(), 3);
        assert_eq!(n("0").size(), 1);
        assert_eq!(n("1000").size(), 2);
        assert_eq!(n("1").size(), 2);
    }
}
