//! `include_mappings!`: compiles a mapping directory into Rust at macro-expansion time.
//!
//! A thin shim over `opsgenie-port-compiler`, which the root package's `build.rs` uses too.
//! Useful where a crate needs a second mapping set (tests, tools) and for compile-fail tests,
//! since rustc reports the diagnostics at the macro call.
//!
//! ```ignore
//! mod ocean { opsgenie_port_macros::include_mappings!("mappings/ocean-2026"); }
//! // or, inline:
//! opsgenie_port_macros::include_mappings!(config = "resources: …", blueprints = "[…]");
//! ```
//! Paths are relative to the calling crate's `CARGO_MANIFEST_DIR`.

use proc_macro::TokenStream;
use quote::quote;
use std::path::PathBuf;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

enum Input {
    Dir(LitStr),
    /// Mapping text inline; without `blueprints`, the default set's blueprints are used.
    Inline {
        config: LitStr,
        blueprints: Option<LitStr>,
    },
}

/// The default mapping set's blueprints, for inline mappings that do not bring their own.
const DEFAULT_BLUEPRINTS: &str = include_str!("../../mappings/blueprints.json");

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let dir: LitStr = input.parse()?;
            let _ = input.parse::<Option<Token![,]>>()?;
            return Ok(Input::Dir(dir));
        }
        let (mut config, mut blueprints) = (None, None);
        while !input.is_empty() {
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: LitStr = input.parse()?;
            match key.to_string().as_str() {
                "config" => config = Some(value),
                "blueprints" => blueprints = Some(value),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`; expected `config` or `blueprints`"),
                    ))
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        match config {
            Some(config) => Ok(Input::Inline { config, blueprints }),
            None => Err(input.error(
                "expected a mapping directory path, or `config = \"…\"` (and optionally `blueprints = \"…\"`)",
            )),
        }
    }
}

#[proc_macro]
pub fn include_mappings(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mappings/sources");
    let caller = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let (compiled, span) = match &input {
        Input::Dir(dir) => {
            // Relative to the calling crate; failing that, to this workspace (trybuild runs
            // test cases from a generated crate elsewhere).
            let own = caller.join(dir.value());
            let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(dir.value());
            let path = if own.is_dir() || !workspace.is_dir() {
                own
            } else {
                workspace
            };
            (
                opsgenie_port_compiler::compile_dir(&path, &sources),
                dir.span(),
            )
        }
        Input::Inline { config, blueprints } => (
            opsgenie_port_compiler::compile_texts(
                ("port-app-config.yaml", config.value()),
                (
                    "blueprints.json",
                    blueprints
                        .as_ref()
                        .map_or(DEFAULT_BLUEPRINTS.to_string(), LitStr::value),
                ),
                &sources,
            ),
            config.span(),
        ),
    };
    // Recompile when an input file changes.
    let tracked = compiled
        .inputs
        .iter()
        .filter(|p| p.is_file())
        .map(|p| p.display().to_string())
        .map(|p| {
            quote!(
                const _: &[u8] = ::core::include_bytes!(#p);
            )
        });
    match (&compiled.tokens, compiled.has_errors()) {
        (Some(tokens), false) => quote!(#(#tracked)* #tokens).into(),
        _ => {
            // One compile_error! per diagnostic, each rendered with its YAML/JSON snippet.
            let errors = compiled
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| opsgenie_port_compiler::diag::render_human(d, &compiled.sm));
            let errors = errors.map(|m| quote::quote_spanned!(span=> ::core::compile_error!(#m);));
            // The mapping still exists, empty, so code using it gets no follow-on errors.
            let empty = opsgenie_port_compiler::backend::codegen::empty_mapping();
            quote::quote_spanned! {span=>
                #(#errors)*
                #(#tracked)*
                #empty
            }
            .into()
        }
    }
}
