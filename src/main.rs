//! `opsgenie-port`: sync Opsgenie into Port with mappings compiled at build time.

fn main() -> std::process::ExitCode {
    opsgenie_port_cli::main(opsgenie_port::built())
}
