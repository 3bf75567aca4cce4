use app_core::ports::Random;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;

/// [`Random`] over a `StdRng`; seedable so tests get a reproducible sequence.
pub struct SeededRandom(Mutex<StdRng>);

impl SeededRandom {
    pub fn from_os() -> Self {
        Self(Mutex::new(StdRng::from_os_rng()))
    }

    pub fn seeded(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl Random for SeededRandom {
    fn next_f64(&self) -> f64 {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random::<f64>()
    }
}
