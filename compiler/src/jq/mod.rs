//! The jq front end: parse (jaq-core's `load` parser), lower to our IR, check constant regexes;
//! then [`types`] and [`infer`] type the IR against the Opsgenie schemas and record what it reads.
//! Every stage is bounded ([`limits`], [`cost`]): the programs it accepts compile in time, memory
//! and stack proportional to their size, and generate code that cannot fail to be generated.

pub mod builtins;
pub mod cost;
pub mod infer;
pub mod ir;
pub mod limits;
pub mod lower;
pub mod parse;
mod regexcheck;
pub mod types;

use std::ops::Range;

/// A problem with one jq program, located in the program's text.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprError {
    /// `E0100` syntax, `E0101` unknown function/arity, `E0102` unsupported construct,
    /// `E0103` invalid regex, `E0104` undefined variable, `E0105` too deeply nested, `E0106` too
    /// large (see [`limits`]).
    pub code: &'static str,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// Parses and lowers a jq program (already through Ocean's quote rewrite) and validates its
/// constant regexes. Errors are reported together (up to [`lower::MAX_ERRORS`]), except that a
/// program over one of the [`limits`] gets that one error. The IR returned is within every
/// limit (including [`cost`]'s), and code generation for it cannot fail.
pub fn compile(program: &str) -> Result<ir::Expr, Vec<ExprError>> {
    limits::check_text(program).map_err(|e| vec![e])?;
    let tokens = parse::lex(program).map_err(syntax_errors)?;
    let term = parse::parse(program, &tokens).map_err(syntax_errors)?;
    let expr = lower::lower(program, &term).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| ExprError {
                code: e.code,
                span: e.span,
                message: e.message,
                help: e.help,
            })
            .collect::<Vec<_>>()
    })?;
    limits::check_ir(&expr).map_err(|e| vec![e])?;
    cost::check(&expr).map_err(|e| vec![e])?;
    let regex_errors = regexcheck::check(&expr);
    if regex_errors.is_empty() {
        Ok(expr)
    } else {
        Err(regex_errors)
    }
}

fn syntax_errors(errors: Vec<parse::SyntaxError>) -> Vec<ExprError> {
    errors
        .into_iter()
        .map(|e| ExprError {
            code: "E0100",
            span: e.span,
            message: format!("jq syntax error: {}", e.message),
            help: None,
        })
        .collect()
}
