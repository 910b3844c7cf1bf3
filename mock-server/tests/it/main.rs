//! The integration-test binary of mock-server: one module per API and per platform part.

mod admin;
mod alta;
mod astral;
mod cli;
mod ektru;
mod faults;
mod generated;
mod invariants;
mod namespaces;
mod properties;
mod support;
mod true_api;
mod true_api_billing;
mod true_api_doc_examples;
mod true_api_listv2;
