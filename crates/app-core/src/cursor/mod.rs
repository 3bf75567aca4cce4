//! Opaque `next` cursors, written with the project's one codec ([`common::cursor`]);
//! [`listing`] holds the cursor of `GET /status`.

mod listing;

pub use listing::{Cursor, CursorError, PartitionState, Position};
