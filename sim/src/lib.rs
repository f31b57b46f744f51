//! Opsgenie and Port API simulators on loopback, for tests, benches and `opsgenie-port demo`.
//!
//! Both are axum servers bound to `127.0.0.1:0`; they stand in for the real services, so they enforce
//! what the real ones enforce (limits, auth, validation) and can inject faults deterministically.
#![forbid(unsafe_code)]

pub mod faults;
pub mod generate;
pub mod opsgenie;
pub mod port;
