//! # conformance
//!
//! Replays scenario files against the mock server or a vendor's sandbox and reports where they
//! disagree. The scenario format ([`scenario`]) is kept apart from execution ([`run`]);
//! [`matchers`] check expectations, [`drift`] compares two runs, [`report`] renders results.

pub mod cli;
pub mod clock;
pub mod drift;
pub mod matchers;
pub mod record;
pub mod report;
pub mod run;
pub mod scenario;
pub mod target;
pub mod template;
