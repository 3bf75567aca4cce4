//! What every crate of the project shares, each thing once: the clock (time is injected
//! everywhere, so tests drive it by hand), the codec of opaque cursors, the short hash that
//! labels secrets in logs and makes opaque ids, and the Step Functions rule for names.
//!
//! It is a leaf: the Lambda handlers, the ASL engine and the local runtime all depend on it,
//! and it depends on none of them.

pub mod clock;
pub mod cursor;
pub mod hash;
pub mod names;

pub use clock::{Busy, Clock, ManualClock, SystemClock};
pub use hash::short_hash;
pub use names::{check_name, NameError};
