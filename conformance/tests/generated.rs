//! The generated programs of `build/programs.rs` (every builtin with every argument shape, the
//! other constructs, random programs). That they all compiled is already proven: the crate
//! builds. Here:
//!
//! - `accepted_as_documented`: prints how many were generated, accepted and rejected (rejections
//!   by construct), and fails when a builtin the table implements natively or a construct the
//!   compiler supports was rejected, when a documented rejection was accepted or rejected for
//!   another reason, or when a random program was rejected for anything but an unsupported
//!   construct or a size limit.
//! - `interpreter_agrees_with_compiled`: runs every accepted program on random JSON inputs
//!   (fixed seed) with the compiled stream function, the compiled first-output function (what
//!   mappings get) and the interpreter (`Program::run` and `Program::first`), and fails on any
//!   difference: outputs (at most `MAX_OUTPUTS`, as values and as `tojson` text), the error that
//!   ended the stream, a panic; the first-output functions are held to the stream's first
//!   output, or its error when that came first. Programs that read the clock or the environment
//!   (`now`, `env`, `$ENV`) are compared by output types only. Every accepted program must be
//!   accepted by the interpreter too (`Program::error` is `None`).

use opsgenie_port_compiler::backend::interp::Program;
use opsgenie_port_compiler::jq::{self, builtins::NATIVES};
use opsgenie_port_conformance::{Expect, GENERATED};
use opsgenie_port_jq::{self as rt, Value};
use opsgenie_port_sim::generate::Rng;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const SEED: u64 = 0x6E6E_7261_7465_6421;
/// Random inputs per program (after the fixed ones).
const INPUTS: usize = 56;
/// Outputs compared per run; a program may be infinite (`range(1e12)`).
const MAX_OUTPUTS: usize = 20;
/// Failures printed in full; the rest are counted.
const PRINT_LIMIT: usize = 25;

#[test]
fn accepted_as_documented() {
    let mut failures = Vec::new();
    let mut rejected_by: BTreeMap<String, usize> = BTreeMap::new();
    let (mut accepted, mut rejected) = (0, 0);
    for g in GENERATED {
        match (g.expect, g.error) {
            (_, None) => accepted += 1,
            (_, Some(error)) => {
                rejected += 1;
                *rejected_by.entry(construct(error)).or_default() += 1;
            }
        }
        let problem = match (g.expect, g.error) {
            (Expect::Native, Some(e)) => Some(format!("native builtin rejected: {e}")),
            (Expect::Supported, Some(e)) => Some(format!("supported construct rejected: {e}")),
            (Expect::Rejected(why), None) => Some(format!("accepted, expected rejected ({why})")),
            (Expect::Rejected(why), Some(e)) if !e.contains(why) => {
                Some(format!("rejected for another reason than {why:?}: {e}"))
            }
            // Unsupported (E0102), too deeply nested (E0105), too large (E0106).
            (Expect::Random, Some(e)) if !["E0102", "E0105", "E0106"].contains(&&e[..5]) => {
                Some(format!("random program rejected, not as unsupported: {e}"))
            }
            _ => None,
        };
        if let Some(p) = problem {
            failures.push(format!("{} ({}): {p}", g.program, g.group));
        }
    }
    // The matrix must cover the table: a builtin it skipped would be unguarded.
    for native in NATIVES.iter().filter(|n| !n.name.starts_with('$')) {
        let group = format!("builtin {}/{}", native.name, native.imp.arity());
        let covered = GENERATED
            .iter()
            .any(|g| g.group == group && g.expect == Expect::Native && g.run.is_some());
        if !covered {
            failures.push(format!("{group}: no accepted call in the builtin matrix"));
        }
    }
    let by_origin = |prefix: &str| {
        GENERATED
            .iter()
            .filter(|g| g.group.starts_with(prefix))
            .count()
    };
    println!(
        "generated: {} programs ({} builtin calls, {} constructs, {} random); {accepted} accepted, \
         {rejected} rejected",
        GENERATED.len(),
        by_origin("builtin"),
        by_origin("construct"),
        by_origin("random"),
    );
    for (what, n) in &rejected_by {
        println!("  rejected {n:>4} × {what}");
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} programs not as documented",
        failures.len()
    );
}

/// What a rejection is about: the construct an `E0102` names, or the error's first clause
/// (without an `E0106` estimate's number).
fn construct(error: &str) -> String {
    let first = error.split("; ").next().unwrap_or(error);
    let first = first.split(" (about").next().unwrap_or(first);
    match first.find(" is not supported") {
        Some(end) => first[..end].trim_start_matches("E0102: ").to_string(),
        None => first.to_string(),
    }
}

#[test]
fn interpreter_agrees_with_compiled() {
    quiet_panics();
    let inputs = inputs();
    let mut report = Vec::new();
    let (mut programs, mut runs, mut shape_only, mut failed) = (0, 0, 0, 0);
    // How much the comparison sees: runs with an output, runs ending in an error.
    let (mut with_output, mut with_error) = (0, 0);
    for g in GENERATED {
        let Ok(expr) = jq::compile(g.program) else {
            continue;
        };
        // Clock and environment: values differ between calls, types do not.
        let debug = format!("{expr:?}");
        let nondeterministic = debug.contains("Call(Now,") || debug.contains("Call(Env,");
        let Some(compiled) = g.run else {
            failed += 1;
            report.push(format!(
                "{}: accepted now, rejected at build time",
                g.program
            ));
            continue;
        };
        // Every program the compiler accepts is generated; the interpreter must run it too.
        let program = Program::new(expr);
        if let Some(e) = program.error() {
            failed += 1;
            report.push(format!(
                "{}: the interpreter refuses a program the compiler accepts: {}",
                g.program,
                e.message()
            ));
            continue;
        }
        programs += 1;
        shape_only += usize::from(nondeterministic);
        for input in &inputs {
            runs += 1;
            let want = capture(MAX_OUTPUTS, |sink| compiled(input, sink));
            with_output += usize::from(!want.outputs.is_empty());
            with_error += usize::from(want.error.is_some());
            let want_first = want.first_only();
            let mut diffs = Vec::new();
            if want.panic.is_some() {
                diffs.push("the compiled function panicked".to_string());
            }
            if let Some(first_fn) = g.first {
                let first = capture(1, |sink| {
                    first_fn(input).map(|v| v.map_or((), |v| _ = sink(v)))
                });
                if !same(&want_first, &first, nondeterministic) {
                    diffs.push(format!("compiled first {}", first.show()));
                }
            }
            diffs.extend(interpreter_differences(
                &program,
                input,
                &want,
                &want_first,
                nondeterministic,
            ));
            if !diffs.is_empty() {
                failed += 1;
                if report.len() < PRINT_LIMIT {
                    let mut line = format!(
                        "{} ({})\n    input        {}\n    compiled     {}",
                        g.program,
                        g.group,
                        rt::tojson_string(input),
                        want.show()
                    );
                    for d in diffs {
                        let _ = write!(line, "\n    {d}");
                    }
                    report.push(line);
                }
            }
        }
    }
    for r in &report {
        println!("FAIL {r}");
    }
    println!(
        "generated programs: {programs} run on {} inputs each ({runs} runs: {with_output} with \
         outputs, {with_error} ending in an error; {shape_only} programs compared by type only); \
         compiled stream vs compiled first vs interpreted stream and first; {failed} failed",
        inputs.len(),
    );
    assert_eq!(
        failed, 0,
        "back ends disagree (or panicked) on generated programs"
    );
}

/// How the interpreter differs from the compiled stream `want`: its stream, and `first` against
/// `want_first`.
fn interpreter_differences(
    program: &Program,
    input: &Value,
    want: &Run,
    want_first: &Run,
    types_only: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let stream = capture(MAX_OUTPUTS, |sink| program.run(input, sink));
    if !same(want, &stream, types_only) {
        out.push(format!("interpreted  {}", stream.show()));
    }
    let first = capture(1, |sink| {
        program.first(input).map(|v| v.map_or((), |v| _ = sink(v)))
    });
    if !same(want_first, &first, types_only) {
        out.push(format!("interp first {}", first.show()));
    }
    out
}

/// One run: outputs, then the error that ended the stream or the panic that interrupted it.
struct Run {
    outputs: Vec<Value>,
    error: Option<rt::Error>,
    panic: Option<String>,
}

impl Run {
    /// What a first-output function must give: the first output, or else how the stream ended.
    fn first_only(&self) -> Run {
        let ended = self.outputs.is_empty();
        Run {
            outputs: self.outputs.iter().take(1).cloned().collect(),
            error: self.error.clone().filter(|_| ended),
            panic: self.panic.clone().filter(|_| ended),
        }
    }

    fn show(&self) -> String {
        let outs: Vec<String> = self.outputs.iter().map(rt::tojson_string).collect();
        let mut s = format!("[{}]", outs.join(", "));
        if let Some(e) = &self.error {
            let _ = write!(s, " then error {}", rt::tojson_string(e.value()));
        }
        if let Some(p) = &self.panic {
            let _ = write!(s, " then panic {p:?}");
        }
        s
    }
}

thread_local! {
    /// Set while a program runs: its panics are captured, not printed.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Panics of the programs under test are reported with the program; any other panic (a failed
/// assertion) is printed as usual.
fn quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !RUNNING.with(Cell::get) {
            default(info);
        }
    }));
}

fn capture(limit: usize, f: impl FnOnce(&mut dyn FnMut(Value) -> bool) -> rt::R<()>) -> Run {
    let mut outputs = Vec::new();
    RUNNING.with(|r| r.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        f(&mut |v| {
            outputs.push(v);
            outputs.len() < limit
        })
    }));
    RUNNING.with(|r| r.set(false));
    match result {
        Ok(r) => Run {
            outputs,
            error: r.err(),
            panic: None,
        },
        Err(payload) => Run {
            outputs,
            error: None,
            panic: Some(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
        },
    }
}

fn same(a: &Run, b: &Run, types_only: bool) -> bool {
    let values = a.outputs.len() == b.outputs.len()
        && a.outputs.iter().zip(&b.outputs).all(|(x, y)| {
            if types_only {
                x.kind_name() == y.kind_name()
            } else {
                same_value(x, y)
            }
        });
    let errors = if types_only {
        a.error.is_some() == b.error.is_some()
    } else {
        same_error(&a.error, &b.error)
    };
    values && errors && a.panic == b.panic
}

fn same_error(a: &Option<rt::Error>, b: &Option<rt::Error>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => same_value(x.value(), y.value()),
        _ => false,
    }
}

/// Equal as jq text (number literals, key order) and as values, NaN equal to NaN (`tojson`
/// prints NaN as `null`, so text alone would not tell them apart).
fn same_value(a: &Value, b: &Value) -> bool {
    rt::tojson_string(a) == rt::tojson_string(b) && same_structure(a, b)
}

fn same_structure(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64(), y.as_f64());
            x == y || (x.is_nan() && y.is_nan())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_structure(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((kx, vx), (ky, vy))| kx == ky && same_structure(vx, vy))
        }
        _ => a.kind_name() == b.kind_name() && a == b,
    }
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "abc",
    "a,b, c",
    "b c",
    "é☃😀",
    "Ünïcödé",
    "  padded\t",
    "2015-03-05T23:51:47Z",
    "10 March 2015",
    "1425599507",
    "a.b*c",
    "(x)[y]",
    "\\d+",
    "[a-z]+",
    "a|b",
    "123",
    "-1.5",
    "null",
    "{\"a\":1}",
    "%Y-%m-%d",
    "A1b2",
    "aAbB",
    "\"quoted\"",
    "line\nbreak",
];

/// Number literals as JSON text: integers, non-integers, literals jq 1.8 keeps (`3.0`, `1e3`),
/// epoch seconds and milliseconds, and numbers beyond 2^53 and near f64::MAX. None lies between
/// 2^20 and 2^30, where `"x" * n` would build a string of that size rather than fail.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3.0",
    "1.5",
    "-0.5",
    "100",
    "1e3",
    "0.1",
    "1425599507",
    "1717200000000",
    "12345678901234567890",
    "1.7976931348623157e308",
    "-0",
];

/// Fixed inputs every program sees, then random ones.
fn inputs() -> Vec<Value> {
    let fixed = [
        "null",
        "{}",
        "[]",
        "\"a,b\"",
        "{\"a\": {\"b\": 1}, \"b\": [1, 2], \"c\": \"x\"}",
        "[{\"key\": \"a\", \"value\": 1}, {\"name\": \"b\", \"v\": null}]",
        "[3, 1, \"b\", null, [2], {\"a\": 0}]",
        "[2015, 2, 5, 23, 51, 47, 4, 63]",
    ];
    let mut rng = Rng::for_entity(SEED, b"generated-inputs", 0);
    let mut texts: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
    for _ in 0..INPUTS {
        let mut text = String::new();
        value(&mut rng, 0, &mut text);
        texts.push(text);
    }
    texts
        .iter()
        .map(|t| rt::parse_json(t.as_bytes()).unwrap_or_else(|e| panic!("input {t}: {e}")))
        .collect()
}

/// A random JSON value as text; objects use the keys `a`, `b`, `c` (what programs read).
fn value(rng: &mut Rng, depth: usize, out: &mut String) {
    let kind = match depth {
        // Mostly objects at the top: programs read `.a`, `.b`, `.c`.
        0 => *rng.pick(&[5, 5, 5, 5, 5, 4, 4, 0, 1, 2]),
        1 | 2 => rng.below(7),
        _ => rng.below(4),
    };
    match kind {
        0 => out.push_str(rng.pick::<&str>(&["null", "true", "false"])),
        1 => out.push_str(rng.pick::<&str>(NUMBERS)),
        2 | 3 => {
            let s = *rng.pick(STRINGS);
            out.push_str(&serde_json::Value::from(s).to_string());
        }
        4 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                value(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            let mut first = true;
            for key in ["a", "b", "c"] {
                if rng.chance(70) {
                    if !std::mem::take(&mut first) {
                        out.push(',');
                    }
                    let _ = write!(out, "\"{key}\":");
                    value(rng, depth + 1, out);
                }
            }
            out.push('}');
        }
    }
}
