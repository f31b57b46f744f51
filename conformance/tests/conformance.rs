//! Runs every case of the fixture file against the compiled programs and compares with libjq
//! 1.8.2's recorded results. Prints `conformance: N passed, M failed, K unsupported` and fails
//! when anything computed a different answer.
//!
//! Ocean rows (`expect`): the first output is compared (Ocean's rule). Manual rows (`outputs`):
//! the whole stream, and the error after it if there is one. Values are compared as jq values
//! after jq.py's boundary conversion (NaN → null, ±∞ → ±f64::MAX).

use opsgenie_port_conformance::{Entry, FIXTURES, PROGRAMS};
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

/// Runs `entry` on `input`, collecting at most `limit` outputs and the error that ended the
/// stream, if any.
fn run(entry: &Entry, input: &Value, limit: usize) -> (Vec<Value>, Option<String>) {
    let mut outs = Vec::new();
    let run = entry.run.expect("supported");
    let result = run(input, &mut |v| {
        outs.push(boundary(v));
        outs.len() < limit
    });
    (outs, result.err().map(|e| e.message()))
}

fn check(row: &Row<'_>, entry: &Entry) -> Outcome {
    if row.compile_error == Some(true) {
        return match entry.run {
            None => Outcome::Pass,
            Some(_) => Outcome::Fail("libjq rejects this program, we compiled it".into()),
        };
    }
    if entry.run.is_none() {
        return Outcome::Unsupported;
    }
    let input = match (&row.input_text, row.input) {
        (Some(text), _) => parse(text),
        (None, Some(raw)) => parse(raw.get()),
        (None, None) => Value::Null,
    };
    if let Some(expect) = &row.expect {
        let (outs, err) = run(entry, &input, 1);
        return match (expect, outs.first(), err) {
            (e, Some(got), _) if e.get("value").is_some() => {
                let want = boundary(parse(&e["value"].to_string()));
                if rt::eq(&want, got) {
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
    let (outs, err) = run(entry, &input, want.len() + 1);
    let same_values = outs.len() >= want.len() && want.iter().zip(&outs).all(|(a, b)| rt::eq(a, b));
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

#[test]
fn conformance() {
    // jq's own manual tests run with PAGER=less (the `env.PAGER` examples); set before the
    // runtime first reads the environment.
    std::env::set_var("PAGER", "less");
    let by_program: HashMap<&str, &Entry> = PROGRAMS.iter().map(|e| (e.program, e)).collect();
    let (mut passed, mut failed, mut unsupported, mut skipped) = (0, 0, 0, 0);
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
            // A panic in generated or runtime code is a failure of that case, not of the run.
            let outcome = std::panic::catch_unwind(|| check(&row, entry))
                .unwrap_or_else(|_| Outcome::Fail("panicked".into()));
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
    assert_eq!(
        failed, 0,
        "conformance cases computed a different answer than libjq 1.8.2"
    );
}
