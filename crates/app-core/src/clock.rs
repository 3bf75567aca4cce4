//! The project's one clock, re-exported: handlers read time through [`Clock`], tests set it
//! with [`ManualClock`].

pub use common::clock::{Busy, Clock, ManualClock, SystemClock};
