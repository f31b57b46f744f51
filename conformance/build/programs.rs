//! Generated programs: the builtin matrix ([`crate::matrix`]) and random programs
//! ([`crate::random`]), each compiled like a fixture program — `jq::compile`, then
//! `ModuleGen::stream_fn` — and like a mapping leaf — `ModuleGen::first_fn`, Ocean's first-output
//! rule, the function real mappings get — into `$OUT_DIR/generated_programs.rs`.
//!
//! Nothing the compiler accepts is filtered out: if its Rust does not compile, this crate's build
//! fails, which is the point (every program the compiler accepts must produce Rust that
//! compiles). The file is pretty-printed and every function carries its jq program as a doc
//! comment, so rustc's error points at a readable line naming the program.
//! `generated_programs.txt` next to it lists every program with its origin and outcome.

use opsgenie_port_compiler::{backend::codegen::ModuleGen, jq};
use quote::{format_ident, quote};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

/// What the test may expect of a generated program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A call of a builtin the table implements natively: must be accepted.
    Native,
    /// Any other construct the compiler documents as supported: must be accepted.
    Supported,
    /// A documented unsupported construct or an invalid program: must be rejected, with an
    /// error containing this text.
    Rejected(&'static str),
    /// A random program: either, but a rejection must name an unsupported construct.
    Random,
}

/// One generated program.
pub struct Case {
    pub program: String,
    /// Where it came from: `builtin test/2`, `construct reduce`, `random`.
    pub group: String,
    pub expect: Expect,
}

/// Random programs generated; their seed is fixed in [`crate::random`].
const RANDOM_PROGRAMS: usize = 400;

pub fn generate(out_dir: &Path) {
    let mut cases = crate::matrix::cases();
    // The same text twice would be the same function twice; the first origin wins.
    let mut seen = HashSet::new();
    cases.retain(|c| seen.insert(c.program.clone()));
    let random = crate::random::programs().filter(|c| seen.insert(c.program.clone()));
    cases.extend(random.take(RANDOM_PROGRAMS));

    let mut module = ModuleGen::new(quote!(::opsgenie_port_jq));
    let mut functions = Vec::new();
    let mut entries = Vec::new();
    let mut listing = String::new();
    for (i, case) in cases.iter().enumerate() {
        let (name, first) = (format_ident!("g{}", i), format_ident!("f{}", i));
        let compiled = jq::compile(&case.program)
            .map_err(|errors| {
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.code, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .map(|expr| {
                let stream = module.stream_fn(&name, &expr);
                let first = module.first_fn(&first, &expr);
                quote!(#stream #first)
            });
        let (program, group) = (&case.program, &case.group);
        let expect = match case.expect {
            Expect::Native => quote!(Expect::Native),
            Expect::Supported => quote!(Expect::Supported),
            Expect::Rejected(why) => quote!(Expect::Rejected(#why)),
            Expect::Random => quote!(Expect::Random),
        };
        let _ = write!(listing, "g{i}\t{group}\t{program}\t");
        match compiled {
            Ok(fns) => {
                let doc = format!(" jq: `{program}` ({group})");
                functions.push(quote!(#[doc = #doc] #fns));
                entries.push(quote! {
                    Generated {
                        program: #program, group: #group, expect: #expect,
                        run: Some(#name), first: Some(#first), error: None,
                    }
                });
                listing.push_str("ok\n");
            }
            Err(msg) => {
                entries.push(quote! {
                    Generated {
                        program: #program, group: #group, expect: #expect,
                        run: None, first: None, error: Some(#msg),
                    }
                });
                let _ = writeln!(listing, "{msg}");
            }
        }
    }
    let statics = module.statics();
    let code = quote! {
        #statics
        #(#functions)*
        /// Every generated program, in generation order (matrix first, then random).
        pub static GENERATED: &[Generated] = &[#(#entries),*];
    };
    let file = syn::parse2(code).expect("generated code is a Rust file");
    let text = prettyplease::unparse(&file);
    std::fs::write(out_dir.join("generated_programs.rs"), text).expect("OUT_DIR is writable");
    std::fs::write(out_dir.join("generated_programs.txt"), listing).expect("OUT_DIR is writable");
}
