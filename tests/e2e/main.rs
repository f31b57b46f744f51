//! End to end against both simulators: full resyncs (`sync`), dry runs (`plan`) and mappings
//! edited in Port (`live`).
//! One test binary for these modules: each binary links the whole dependency graph.

mod common;
mod live;
mod plan;
mod sync;
