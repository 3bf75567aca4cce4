//! Opaque `next` cursors, written with the project's one codec ([`common::cursor`]);
//! [`listing`] holds the cursor of `GET /status`.

mod listing;

pub use crate::schema::{list_shard_of, JobIndex, LIST_SHARDS};
pub use common::cursor::{decode, encode, CodecError, MAX_CURSOR_CHARS};
pub use listing::{Cursor, CursorError, PartitionState, Position};
