//! Execute handlers, one module per message group.

pub mod config;
pub mod feeders;
pub mod ownership;
pub mod push;
pub mod sources;
