//! The Port simulator: API surface, state and faults, the documented default blueprints.
//! One test binary for these modules: each binary links the whole dependency graph.

mod api;
mod defaults;
mod state;
mod support;
