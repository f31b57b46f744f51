//! Runs every case of the fixture file against the compiled programs and compares with libjq
//! 1.8.2's recorded results. Prints `conformance: N passed, M failed, K unsupported` and fails
//! when anything computed a different answer.
//!
//! Then the same for the interpreter (`backend::interp`) on every program the compiler accepts,
//! plus a direct comparison with the compiled function on every case — outputs as values and as
//! `tojson` text, error messages, and `Program::first` against the compiled stream's first
//! output. Prints `interpreter: N passed, M failed; vs compiled: N same, M different` and fails
//! on any failure or difference. A program the code generator rejects must be rejected by the
//! interpreter too (`Program::error`).
//!
//! Ocean rows (`expect`): the first output is compared (Ocean's rule). Manual rows (`outputs`):
//! the whole stream, and the error after it if there is one. Values are compared as jq values
//! after jq.py's boundary conversion (NaN → null, ±∞ → ±f64::MAX).

use opsgenie_port_compiler::{backend::interp::Program, jq};
use opsgenie_port_conformance::{Entry, RunFn, FIXTURES, PROGRAMS};
use opsgenie_port_jq::{self as rt, Value};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::BufRead;

#[derive(serde::Deserialize)]
struct Row<'a> {
    id: String,
    program: String,
    #[serde(borrow)]
    input: Option<&'a RawValue>,
    input_text: Option<String>,
    expect: Option<serde_json::Value>,
    #[serde(borrow)]
    outputs: Option<Vec<&'a RawValue>>,
    outputs_error: Option<String>,
    compile_error: Option<bool>,
    nondeterministic: Option<bool>,
}

enum Outcome {
    Pass,
    Fail(String),
    Unsupported,
}

/// jq.py hands numbers to Python as C doubles: NaN becomes null, infinities the largest double.
fn boundary(v: Value) -> Value {
    match v {
        Value::Number(n) if n.as_f64().is_nan() => Value::Null,
        Value::Number(n) if n.as_f64().is_infinite() => {
            Value::number(if n.as_f64() > 0.0 { f64::MAX } else { f64::MIN })
        }
        // A double on the Python side: literal precision does not survive.
        Value::Number(n) => Value::number(n.as_f64()),
        Value::Array(items) => Value::from(items.iter().cloned().map(boundary).collect::<Vec<_>>()),
        Value::Object(map) => {
            let mut out = rt::Map::with_capacity(map.len());
            for (k, v) in map.iter() {
                out.insert(k.clone(), boundary(v.clone()));
            }
            Value::from(out)
        }
        other => other,
    }
}

fn parse(text: &str) -> Value {
    rt::parse_json(text.as_bytes()).unwrap_or_else(|e| panic!("fixture JSON {text}: {e}"))
}

fn show(v: &Value) -> String {
    rt::tojson_string(v)
}

/// One way to run a program: the compiled function or the interpreter.
#[derive(Clone, Copy)]
enum Runner<'a> {
    Compiled(RunFn),
    Interpreted(&'a Program),
}

/// Outputs (raw: no boundary conversion) and the error that ended the stream, if any.
type Stream = (Vec<Value>, Option<rt::Error>);

impl Runner<'_> {
    /// At most `limit` outputs and the error that ended the stream, if any.
    fn stream(self, input: &Value, limit: usize) -> Stream {
        let mut outs = Vec::new();
        let mut sink = |v| {
            outs.push(v);
            outs.len() < limit
        };
        let result = match self {
            Runner::Compiled(run) => run(input, &mut sink),
            Runner::Interpreted(p) => p.run(input, &mut sink),
        };
        (outs, result.err())
    }

    /// Ocean's rule: the first output. The compiled function stops its stream after one; the
    /// interpreter has its own entry point for it.
    fn first(self, input: &Value) -> Stream {
        match self {
            Runner::Compiled(_) => self.stream(input, 1),
            Runner::Interpreted(p) => match p.first(input) {
                Ok(v) => (v.into_iter().collect(), None),
                Err(e) => (Vec::new(), Some(e)),
            },
        }
    }
}

/// `stream`/`first` with the boundary conversion and error messages, as compared with libjq.
fn boundary_stream((outs, err): Stream) -> (Vec<Value>, Option<String>) {
    (
        outs.into_iter().map(boundary).collect(),
        err.map(|e| e.message()),
    )
}

fn input_of(row: &Row<'_>) -> Value {
    match (&row.input_text, row.input) {
        (Some(text), _) => parse(text),
        (None, Some(raw)) => parse(raw.get()),
        (None, None) => Value::Null,
    }
}

/// Compares `runner` (`None`: the program was rejected) with libjq's recorded result.
fn check(row: &Row<'_>, runner: Option<Runner<'_>>) -> Outcome {
    if row.compile_error == Some(true) {
        return match runner {
            None => Outcome::Pass,
            Some(_) => Outcome::Fail("libjq rejects this program, we compiled it".into()),
        };
    }
    let Some(runner) = runner else {
        return Outcome::Unsupported;
    };
    let input = input_of(row);
    if let Some(expect) = &row.expect {
        let (outs, err) = boundary_stream(runner.first(&input));
        return match (expect, outs.first(), err) {
            (e, Some(got), _) if e.get("value").is_some() => {
                let want = boundary(parse(&e["value"].to_string()));
                if want == *got {
                    Outcome::Pass
                } else {
                    Outcome::Fail(format!("want {}, got {}", show(&want), show(got)))
                }
            }
            (e, None, None) if e.get("none").is_some() => Outcome::Pass,
            (e, None, Some(_)) if e.get("error").is_some() => Outcome::Pass,
            (e, got, err) => Outcome::Fail(format!(
                "want {e}, got {}{}",
                got.map_or("no output".to_string(), show),
                err.map_or(String::new(), |m| format!(" / error {m:?}"))
            )),
        };
    }
    let want: Vec<Value> = row
        .outputs
        .as_ref()
        .map(|o| o.iter().map(|r| boundary(parse(r.get()))).collect())
        .unwrap_or_default();
    let (outs, err) = boundary_stream(runner.stream(&input, want.len() + 1));
    let same_values = outs.len() >= want.len() && want.iter().zip(&outs).all(|(a, b)| a == b);
    let stream_ok = match &row.outputs_error {
        Some(_) => outs.len() == want.len() && err.is_some(),
        None => outs.len() == want.len() && err.is_none(),
    };
    if same_values && stream_ok {
        Outcome::Pass
    } else {
        Outcome::Fail(format!(
            "want [{}]{}, got [{}]{}",
            want.iter().map(show).collect::<Vec<_>>().join(", "),
            row.outputs_error
                .as_ref()
                .map_or(String::new(), |e| format!(" then error {e:?}")),
            outs.iter().map(show).collect::<Vec<_>>().join(", "),
            err.map_or(String::new(), |e| format!(" then error {e:?}")),
        ))
    }
}

/// Same value (jq's total order, where NaN equals itself) and same JSON text (key order,
/// literal-preserving numbers).
fn same_value(a: &Value, b: &Value) -> bool {
    rt::compare(a, b) == std::cmp::Ordering::Equal && show(a) == show(b)
}

fn same_stream(a: &Stream, b: &Stream) -> bool {
    a.0.len() == b.0.len()
        && a.0.iter().zip(&b.0).all(|(x, y)| same_value(x, y))
        && match (&a.1, &b.1) {
            (None, None) => true,
            (Some(x), Some(y)) => x.message() == y.message() && same_value(x.value(), y.value()),
            _ => false,
        }
}

fn show_stream((outs, err): &Stream) -> String {
    format!(
        "[{}]{}",
        outs.iter().map(show).collect::<Vec<_>>().join(", "),
        err.as_ref()
            .map_or(String::new(), |e| format!(" then error {:?}", e.message()))
    )
}

/// How many outputs the direct comparison looks at (enough for every fixture's stream, bounded
/// for generators such as `repeat`).
const COMPARE_LIMIT: usize = 200;

/// Interpreter vs compiled on one case: the first output and the stream. `None` when equal.
fn compare_with_compiled(row: &Row<'_>, run: RunFn, program: &Program) -> Option<String> {
    let input = input_of(row);
    let (compiled, interpreted) = (Runner::Compiled(run), Runner::Interpreted(program));
    let (cf, inf) = (compiled.first(&input), interpreted.first(&input));
    if !same_stream(&cf, &inf) {
        return Some(format!(
            "first: compiled {}, interpreter {}",
            show_stream(&cf),
            show_stream(&inf)
        ));
    }
    let (cs, is) = (
        compiled.stream(&input, COMPARE_LIMIT),
        interpreted.stream(&input, COMPARE_LIMIT),
    );
    if !same_stream(&cs, &is) {
        return Some(format!(
            "stream: compiled {}, interpreter {}",
            show_stream(&cs),
            show_stream(&is)
        ));
    }
    None
}

/// The interpreter's programs: for each fixture program, `Some` when the compiler's front end
/// accepts it (the program may still be rejected, see `Program::error`).
fn interpreted_programs() -> HashMap<&'static str, Option<Program>> {
    PROGRAMS
        .iter()
        .map(|e| (e.program, jq::compile(e.program).ok().map(Program::new)))
        .collect()
}

#[test]
fn conformance() {
    // jq's own manual tests run with PAGER=less (the `env.PAGER` examples); set before the
    // runtime first reads the environment.
    std::env::set_var("PAGER", "less");
    let by_program: HashMap<&str, &Entry> = PROGRAMS.iter().map(|e| (e.program, e)).collect();
    let interpreted = interpreted_programs();
    let (mut passed, mut failed, mut unsupported, mut skipped) = (0, 0, 0, 0);
    let mut interp = InterpTally::default();
    let mut report = Vec::new();
    let mut unsupported_programs = std::collections::BTreeMap::new();
    let mut per_file = Vec::new();
    for fixtures in FIXTURES {
        let before = (passed, failed, unsupported);
        let file = std::fs::File::open(fixtures).expect("fixture file");
        for line in std::io::BufReader::new(file).lines() {
            let line = line.expect("readable");
            if line.trim().is_empty() {
                continue;
            }
            let row: Row<'_> = serde_json::from_str(&line).expect("row");
            if row.nondeterministic == Some(true) {
                skipped += 1;
                continue;
            }
            let entry = by_program[row.program.as_str()];
            let compiled = entry.run.map(Runner::Compiled);
            // A panic in generated or runtime code is a failure of that case, not of the run.
            let outcome = std::panic::catch_unwind(|| check(&row, compiled))
                .unwrap_or_else(|_| Outcome::Fail("panicked".into()));
            interp.case(&row, entry, interpreted[row.program.as_str()].as_ref());
            match outcome {
                Outcome::Pass => passed += 1,
                Outcome::Unsupported => {
                    unsupported += 1;
                    unsupported_programs.insert(row.program.clone(), entry.error.unwrap_or(""));
                }
                Outcome::Fail(why) => {
                    failed += 1;
                    if report.len() < 80 {
                        report.push(format!("FAIL {}: {}\n    {}", row.id, row.program, why));
                    }
                }
            }
        }
        let name = std::path::Path::new(fixtures).file_name().map_or_else(
            || fixtures.to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        per_file.push(format!(
            "conformance ({name}): {} passed, {} failed, {} unsupported",
            passed - before.0,
            failed - before.1,
            unsupported - before.2
        ));
    }
    for r in &report {
        println!("{r}");
    }
    for (program, why) in &unsupported_programs {
        println!("UNSUPPORTED {program}\n    {why}");
    }
    if skipped > 0 {
        println!("({skipped} nondeterministic rows not compared)");
    }
    for line in &per_file {
        println!("{line}");
    }
    println!("conformance: {passed} passed, {failed} failed, {unsupported} unsupported");
    for r in &interp.report {
        println!("{r}");
    }
    println!(
        "interpreter: {} passed, {} failed; vs compiled: {} same, {} different",
        interp.passed, interp.failed, interp.same, interp.different
    );
    assert_eq!(
        failed, 0,
        "conformance cases computed a different answer than libjq 1.8.2"
    );
    assert_eq!(
        (interp.failed, interp.different),
        (0, 0),
        "the interpreter disagrees with libjq 1.8.2 or with the compiled programs"
    );
}

/// The interpreter's figures.
#[derive(Default)]
struct InterpTally {
    /// Against libjq, on cases of programs the compiler accepts.
    passed: usize,
    failed: usize,
    /// Against the compiled function; a program both back ends reject counts as the same.
    same: usize,
    different: usize,
    report: Vec<String>,
}

impl InterpTally {
    fn case(&mut self, row: &Row<'_>, entry: &Entry, program: Option<&Program>) {
        let runnable = program.filter(|p| p.error().is_none());
        let Some(run) = entry.run else {
            // Codegen rejected it: the interpreter must not run it either.
            match runnable {
                None => self.same += 1,
                Some(_) => {
                    self.differ(row, "codegen rejects this program, the interpreter runs it")
                }
            }
            return;
        };
        let Some(program) = runnable else {
            let why = program
                .and_then(|p| p.error())
                .map_or("front end".to_string(), |e| e.message());
            self.differ(
                row,
                &format!("compiled, but the interpreter rejects it: {why}"),
            );
            self.failed += 1;
            return;
        };
        let outcome = std::panic::catch_unwind(|| check(row, Some(Runner::Interpreted(program))))
            .unwrap_or_else(|_| Outcome::Fail("interpreter panicked".into()));
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Unsupported => unreachable!("the interpreter was given a program"),
            Outcome::Fail(why) => {
                self.failed += 1;
                self.note(format!(
                    "INTERP FAIL {}: {}\n    {}",
                    row.id, row.program, why
                ));
            }
        }
        match std::panic::catch_unwind(|| compare_with_compiled(row, run, program)) {
            Ok(None) => self.same += 1,
            Ok(Some(why)) => self.differ(row, &why),
            Err(_) => self.differ(row, "panicked"),
        }
    }

    fn differ(&mut self, row: &Row<'_>, why: &str) {
        self.different += 1;
        self.note(format!(
            "INTERP DIFF {}: {}\n    {}",
            row.id, row.program, why
        ));
    }

    fn note(&mut self, line: String) {
        if self.report.len() < 80 {
            self.report.push(line);
        }
    }
}
