//! The compiler's front end: blueprints, port-app-config, diagnostics, mapping directories,
//! robustness, hostile inputs, and mappings compiled from Port's JSON at run time.
//! One test binary for these modules: each binary links the whole dependency graph.

mod alloc;
mod blueprint;
mod config;
mod diag;
mod documents;
mod files;
mod hostile;
mod mappings;
mod port;
mod robust;
