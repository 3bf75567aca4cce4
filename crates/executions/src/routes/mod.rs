pub mod cancel;
pub mod describe;
pub mod history;
pub mod list;
pub mod start;
