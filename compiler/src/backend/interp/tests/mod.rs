//! Unit tests of the interpreter. Table tests ([`values`], [`control`]): program text →
//! outputs (as JSON text) and the error that ends the stream; every case also checks
//! [`Program::first`] against the stream's first output or error. The expectations are jq 1.8's
//! (and codegen's) order and messages, written out by hand so that each can fail; `conformance`
//! compares the interpreter with the compiled programs on the whole fixture corpus. This file
//! tests the API: laziness, threads, refused programs, stack depth.

mod control;
mod values;

use super::Program;
use crate::jq::ir::{Expr, ExprKind, LabelId};
use opsgenie_port_jq::{self as rt, Value};

pub(super) fn program(text: &str) -> Program {
    let expr = crate::jq::compile(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    Program::new(expr)
}

pub(super) fn json(text: &str) -> Value {
    rt::parse_json(text.as_bytes()).expect("test input is JSON")
}

/// (program, input, outputs as JSON text, error after them)
pub(super) type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
);

pub(super) fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for &(text, input, want, want_err) in cases {
        let p = program(text);
        assert!(p.error().is_none(), "{text}: rejected");
        let input = json(input);
        let mut outs = Vec::new();
        let res = p.run(&input, &mut |v| {
            outs.push(rt::tojson_string(&v));
            true
        });
        let err = res.err().map(|e| e.message());
        if outs != want || err.as_deref() != want_err {
            failures.push(format!(
                "{text}\n    want {want:?} {want_err:?}\n    got  {outs:?} {err:?}"
            ));
        }
        let first = p.first(&input);
        let first_ok = match (want.first(), &first) {
            (Some(w), Ok(Some(v))) => rt::tojson_string(v) == *w,
            (None, Ok(None)) => want_err.is_none(),
            (None, Err(e)) => Some(e.message().as_str()) == want_err,
            _ => false,
        };
        if !first_ok {
            failures.push(format!("{text}\n    first: got {first:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn first_is_lazy() {
    let p = program(r#"1, error("later")"#);
    assert_eq!(
        rt::tojson_string(&p.first(&Value::Null).unwrap().unwrap()),
        "1"
    );
    let p = program(r#".[] | select(. > 1) | if . == 3 then error("not reached") else . end"#);
    assert_eq!(
        rt::tojson_string(&p.first(&json("[1,2,3]")).unwrap().unwrap()),
        "2"
    );
    let p = program(r#"error("e"), 1"#);
    assert_eq!(p.first(&Value::Null).unwrap_err().message(), "e");
    assert!(program("empty").first(&Value::Null).unwrap().is_none());
    assert!(program(".a?").first(&json("1")).unwrap().is_none());
    // A sink that stops ends the run without evaluating the rest.
    let p = program(r#"label $x | (1, 2, error("not reached"))"#);
    let mut seen = 0;
    p.run(&Value::Null, &mut |_| {
        seen += 1;
        seen < 2
    })
    .unwrap();
    assert_eq!(seen, 2);
}

#[test]
fn programs_are_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Program>();
    let p =
        program(r#"[.[] as $x | $x * 2] | {s: add, t: (map(tostring) | join(",") | test("^2"))}"#);
    std::thread::scope(|s| {
        for t in 1..=4 {
            let p = &p;
            s.spawn(move || {
                for i in 0..200 {
                    let input = Value::from(vec![Value::from(t as i64), Value::from(i as i64)]);
                    let out = p.first(&input).unwrap().unwrap();
                    let want = format!(r#"{{"s":{},"t":{}}}"#, 2 * (t + i), t == 1);
                    assert_eq!(rt::tojson_string(&out), want);
                }
            });
        }
    });
}

/// A `break` that would leave a closure codegen generates is refused by the front end; an IR
/// built otherwise that holds one is refused by the interpreter, not run.
#[test]
fn break_out_of_a_closure_is_an_error() {
    for text in [
        "label $f | try break $f catch .",
        "label $f | walk(break $f)",
        r#"label $f | sub("a"; break $f)"#,
        "label $f | .a |= break $f",
    ] {
        let errors = crate::jq::compile(text).expect_err(text);
        assert!(
            errors
                .iter()
                .any(|e| e.code == "E0102" && e.message.contains("break")),
            "{text}: {errors:?}"
        );
    }
    let at = || 0..0;
    let label = LabelId(1);
    let body = Expr::new(
        ExprKind::Try {
            body: Box::new(Expr::new(ExprKind::Break(label), at())),
            handler: None,
        },
        at(),
    );
    let p = Program::new(Expr::new(ExprKind::Label(label, Box::new(body)), at()));
    let why = p.error().expect("refused").message();
    assert!(why.contains("`break` out of a `try` body"), "{why}");
    let err = p.run(&json(r#"{"a":"a"}"#), &mut |_| true).unwrap_err();
    assert_eq!(err.message(), why);
    assert_eq!(p.first(&json("1")).unwrap_err().message(), why);
    // Inside the try body, a label of its own is fine; so is breaking from the handler.
    check(&[
        (
            "try (label $f | 1, break $f, 2) catch .",
            "null",
            &["1"],
            None,
        ),
        (
            r#"label $f | try error("x") catch (., break $f)"#,
            "null",
            &[r#""x""#],
            None,
        ),
    ]);
}

/// Evaluation recurses per IR level: the deepest program of this shape the front end accepts
/// (its nesting limits) runs on a 1 MiB stack.
#[test]
fn deep_nesting_fits_a_small_stack() {
    // A generator with one output at every level (continuations, not the single-value path),
    // of mixed kinds; the input `[0]` keeps `.[]` at one element.
    let nested = |depth: usize| {
        let mut text = String::from(".");
        for i in 0..depth {
            text = match i % 5 {
                0 => format!("(.[] as $v{i} | [{text}])"),
                1 => format!("(if (true, empty) then {text} else 0 end)"),
                2 => format!("(try ({text}) catch 0)"),
                3 => format!("(reduce .[] as $r{i} (.; {text}))"),
                _ => format!("first({text}, 1)"),
            };
        }
        text
    };
    // The front end needs more stack than the interpreter for this; give it what it needs.
    let (depth, p) = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut deepest = None;
            for depth in 1.. {
                match crate::jq::compile(&nested(depth)) {
                    Ok(expr) => deepest = Some((depth, Program::new(expr))),
                    Err(_) => break,
                }
            }
            deepest.expect("shallow programs compile")
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(depth >= 40, "only {depth} levels accepted");
    let stack: usize = std::env::var("INTERP_TEST_STACK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 20);
    let input = json("[0]");
    let out = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let mut n = 0;
            p.run(&input, &mut |_| {
                n += 1;
                true
            })
            .map(|()| n)
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert_eq!(out.unwrap(), 1);
}
