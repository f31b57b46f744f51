//! The compiler's front end: blueprints, port-app-config, diagnostics, mapping directories,
//! robustness, and mappings compiled from Port's JSON at run time.
//! One test binary for these modules: each binary links the whole dependency graph.

mod blueprint;
mod config;
mod diag;
mod mappings;
mod port;
mod robust;
