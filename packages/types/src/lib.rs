//! keel-types
