//! `java.util.Random`: the generator behind Step Functions' seeded random numbers
//! (`$random(seed)` in JSONata, `States.MathRandom(start, end, seed)`), so a seed gives the
//! numbers it gives on AWS.

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const MASK: u64 = (1 << 48) - 1;

pub(crate) struct JavaRandom {
    state: u64,
}

impl JavaRandom {
    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            state: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(0xB) & MASK;
        (self.state >> (48 - bits)) as i32
    }

    /// A double in `[0, 1)`.
    pub fn next_double(&mut self) -> f64 {
        let hi = i64::from(self.next(26));
        let lo = i64::from(self.next(27));
        ((hi << 27) + lo) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An integer in `[0, bound)`; `bound` must be positive.
    pub fn next_int(&mut self, bound: i32) -> i32 {
        if bound & -bound == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_java_sequence() {
        // new java.util.Random(42).nextDouble(), as Step Functions' $random(42) gives it.
        assert_eq!(JavaRandom::new(42).next_double(), 0.7275636800328681);
        // Values printed by Java 17's java.util.Random.
        assert_eq!(JavaRandom::new(42).next_int(10), 0);
        assert_eq!(JavaRandom::new(42).next_int(100), 30);
        assert_eq!(JavaRandom::new(7).next_int(37), 8);
        assert_eq!(JavaRandom::new(-5).next_int(1000), 411);
        let mut r = JavaRandom::new(7);
        assert!((0..1000).all(|_| (0..37).contains(&r.next_int(37))));
    }
}
