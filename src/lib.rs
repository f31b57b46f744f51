//! opsgenie-port as a library: the compiled mapping ([`generated::compiled`]) and the runtime it
//! drives. The binary (`src/main.rs`) hands it to the command-line interface
//! (`opsgenie-port-cli`), which does not depend on it: a mapping edit recompiles this crate only.

pub mod generated;

pub use opsgenie_port_runtime as runtime;

/// The mapping this package was built with, as the command line takes it.
pub fn built() -> opsgenie_port_cli::Built {
    opsgenie_port_cli::Built {
        mapping: generated::compiled,
        sources: generated::SOURCES,
        source: generated::SOURCE,
    }
}
