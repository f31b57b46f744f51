//! The compiler's front end: blueprints, port-app-config, diagnostics, mapping directories, robustness.
//! One test binary for these modules: each binary links the whole dependency graph.

mod blueprint;
mod config;
mod diag;
mod mappings;
mod robust;
