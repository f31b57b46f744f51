//! opsgenie-port as a library: the compiled mapping ([`generated::compiled`]) and the runtime it
//! drives. The binary (`src/main.rs`) is the command-line interface over this.

pub mod generated;

pub use opsgenie_port_runtime as runtime;
