//! The scenario file format: types ([`model`]), parsing with positions ([`parse`]) and the
//! published JSON Schema ([`schema`]). Kept apart from execution, as hurl does.

pub mod model;
pub mod parse;
pub mod schema;
