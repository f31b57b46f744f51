//! End to end against both simulators: full resyncs (`sync`), dry runs (`plan`), mappings
//! edited in Port (`live`), initialisation (`init`) and Port's faults (`retries`).
//! One test binary for these modules: each binary links the whole dependency graph.

mod common;
mod init;
mod live;
mod plan;
mod retries;
mod sync;
