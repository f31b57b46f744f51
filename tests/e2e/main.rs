//! End to end against both simulators: full resyncs (`sync`) and what they send (`listing`),
//! dry runs (`plan`), mappings edited in Port (`live`), initialisation (`init`), a build whose
//! blueprints Port lacks (`blueprint_changes`), Port's faults (`retries`), pacing by rate-limit
//! signals (`pacing`) and the acceptance runs under faults and `kill -9` in small (`runs`).
//! One test binary for these modules: each binary links the whole dependency graph.

mod blueprint_changes;
mod common;
mod init;
mod listing;
mod live;
mod pacing;
mod plan;
mod retries;
mod runs;
mod sync;
