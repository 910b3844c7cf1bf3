//! The integration-test binary of conformance: the runner against in-process mock servers.

mod cli;
mod drift;
mod run;
mod scenario_format;
mod support;
