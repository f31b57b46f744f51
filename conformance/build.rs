//! Compiles every distinct program of the jq fixture files (default: the Ocean expression corpus
//! and the jq manual's examples; override with `JQ_CONFORMANCE_FIXTURES=<path>`) into a Rust
//! function with
//! opsgenie-port-compiler's untyped front end. Programs the compiler rejects are recorded with
//! their diagnostic, so the test can report them as unsupported.
//!
//! Then the same for generated programs (`build/programs.rs`): every builtin with every argument
//! shape it accepts, the other constructs, and random programs of a small grammar. Their Rust
//! goes to `generated_programs.rs`, so a program the compiler accepts but whose Rust rustc
//! rejects fails this crate's build.

#[path = "build/constructs.rs"]
mod constructs;
#[path = "build/matrix.rs"]
mod matrix;
#[path = "build/programs.rs"]
mod programs;
#[path = "build/random.rs"]
mod random;

use opsgenie_port_compiler::{backend::codegen::ModuleGen, jq};
use quote::{format_ident, quote};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=JQ_CONFORMANCE_FIXTURES");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let fixture_files = match std::env::var("JQ_CONFORMANCE_FIXTURES") {
        Ok(p) if !p.is_empty() => vec![std::fs::canonicalize(&p).unwrap_or_else(|e| {
            panic!("JQ_CONFORMANCE_FIXTURES={p}: {e}");
        })],
        _ => ["ocean-expressions.jsonl", "jq-manual.jsonl"]
            .iter()
            .map(|name| manifest.join("fixtures").join(name))
            .collect(),
    };
    let mut programs: Vec<String> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for fixtures in &fixture_files {
        println!("cargo::rerun-if-changed={}", fixtures.display());
        read_programs(fixtures, &mut programs, &mut seen);
    }

    let mut module = ModuleGen::new(quote!(::opsgenie_port_jq));
    let mut functions = Vec::new();
    let mut entries = Vec::new();
    for (i, program) in programs.iter().enumerate() {
        let name = format_ident!("p{}", i);
        let compiled = jq::compile(program)
            .map_err(|errors| {
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.code, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .map(|expr| module.stream_fn(&name, &expr));
        match compiled {
            Ok(f) => {
                functions.push(f);
                entries.push(quote!(Entry { program: #program, run: Some(#name), error: None }));
            }
            Err(msg) => {
                entries.push(quote!(Entry { program: #program, run: None, error: Some(#msg) }));
            }
        }
    }
    let statics = module.statics();
    let paths: Vec<String> = fixture_files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let code = quote! {
        /// The fixture files these programs were compiled from.
        pub const FIXTURES: &[&str] = &[#(#paths),*];
        #statics
        #(#functions)*
        /// Every distinct program of the fixture files, in order of first appearance.
        pub static PROGRAMS: &[Entry] = &[#(#entries),*];
    };
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("programs.rs"), code.to_string()).expect("OUT_DIR is writable");

    programs::generate(&out_dir);
}

/// Appends the distinct programs of one fixture file, in order of first appearance.
fn read_programs(
    fixtures: &std::path::Path,
    programs: &mut Vec<String>,
    seen: &mut HashMap<String, usize>,
) {
    let file = std::fs::File::open(fixtures)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", fixtures.display()));
    for line in std::io::BufReader::new(file).lines() {
        let line = line.expect("readable fixture file");
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(&line).expect("fixture rows are JSON");
        let program = row["program"]
            .as_str()
            .expect("every row has a program")
            .to_string();
        if !seen.contains_key(&program) {
            seen.insert(program.clone(), programs.len());
            programs.push(program);
        }
    }
}
