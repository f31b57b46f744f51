//! End to end against both simulators: full resyncs (`sync`) and dry runs (`plan`).
//! One test binary for these modules: each binary links the whole dependency graph.

mod common;
mod plan;
mod sync;
