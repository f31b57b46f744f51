//! Table tests: program text → outputs (as JSON text) and the error that ends the stream.
//! Every case also checks [`Program::first`] against the stream's first output or error. The
//! expectations are jq 1.8's (and codegen's) order and messages; `conformance` compares the
//! interpreter with the compiled programs on the whole fixture corpus.

use super::Program;
use crate::jq::ir::{Expr, ExprKind};
use opsgenie_port_jq::{self as rt, Value};

fn program(text: &str) -> Program {
    let expr = crate::jq::compile(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    Program::new(expr)
}

fn json(text: &str) -> Value {
    rt::parse_json(text.as_bytes()).expect("test input is JSON")
}

/// (program, input, outputs as JSON text, error after them)
type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
);

fn check(cases: &[Case]) {
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
fn values() {
    check(&[
        (".", r#"{"a":1}"#, &[r#"{"a":1}"#], None),
        ("[..]", r#"{"a":[1]}"#, &[r#"[{"a":[1]},[1],1]"#], None),
        ("null, true, false", "0", &["null", "true", "false"], None),
        // Literals keep their text unless they are plain small integers.
        (
            "1, 1.50, 1e2, 100000000000000000001, 007",
            "null",
            &["1", "1.50", "1E+2", "100000000000000000001", "7"],
            None,
        ),
        (r#""s", "a\tb""#, "null", &[r#""s""#, r#""a\tb""#], None),
        (
            "[], [.[] * 2], [empty]",
            "[1,2]",
            &["[]", "[2,4]", "[]"],
            None,
        ),
    ]);
}

#[test]
fn strings() {
    check(&[
        // The last interpolation is the outermost loop.
        (
            r#""a\(1,2)b\(3,4)""#,
            "null",
            &[r#""a1b3""#, r#""a2b3""#, r#""a1b4""#, r#""a2b4""#],
            None,
        ),
        (r#""\(.) \([.])""#, r#""x""#, &[r#""x [\"x\"]""#], None),
        (r#"@base64 "x\(.)y""#, r#""hi""#, &[r#""xaGk=y""#], None),
        (r#"@json "v=\(.)""#, r#""a""#, &[r#""v=\"a\"""#], None),
        (r#"@text "v=\(.)""#, r#"[1]"#, &[r#""v=[1]""#], None),
        // Last interpolation first: its error wins.
        (
            r#""\(error("first"))\(error("last"))""#,
            "null",
            &[],
            Some("last"),
        ),
        (
            r#"@csv "\(.)""#,
            r#""x""#,
            &[],
            Some("string (\"x\") cannot be csv-formatted, only array"),
        ),
    ]);
}

#[test]
fn objects() {
    check(&[
        (
            r#"{a: .x, "b": 2, (.k): 3}"#,
            r#"{"x":1,"k":"c"}"#,
            &[r#"{"a":1,"b":2,"c":3}"#],
            None,
        ),
        // Entries in order, first outermost; the key outside its value.
        (
            "{a: (1,2), b: (3,4)}",
            "null",
            &[
                r#"{"a":1,"b":3}"#,
                r#"{"a":1,"b":4}"#,
                r#"{"a":2,"b":3}"#,
                r#"{"a":2,"b":4}"#,
            ],
            None,
        ),
        (
            r#"{("a","b"): (1,2)}"#,
            "null",
            &[r#"{"a":1}"#, r#"{"a":2}"#, r#"{"b":1}"#, r#"{"b":2}"#],
            None,
        ),
        ("{a: 1, a: 2}", "null", &[r#"{"a":2}"#], None),
        (
            "{(1): 2}",
            "null",
            &[],
            Some("Cannot use number (1) as object key"),
        ),
        // Evaluation errors come before the insertion of a bad key, in both evaluators.
        (r#"{(1): 2, b: error("later")}"#, "null", &[], Some("later")),
        // …but a generator's first combination is inserted before its later outputs run.
        (
            r#"{(1): 2, b: (3, error("later"))}"#,
            "null",
            &[],
            Some("Cannot use number (1) as object key"),
        ),
        (
            r#"{(1,"a"): 2}"#,
            "null",
            &[],
            Some("Cannot use number (1) as object key"),
        ),
        (
            r#"{("a",1): 2}"#,
            "null",
            &[r#"{"a":2}"#],
            Some("Cannot use number (1) as object key"),
        ),
        ("{a: .[]}", "[1,2]", &[r#"{"a":1}"#, r#"{"a":2}"#], None),
        ("{}", "null", &["{}"], None),
    ]);
}

#[test]
fn operators() {
    check(&[
        // The right operand is the outer loop.
        ("(1,2) + (10,20)", "null", &["11", "12", "21", "22"], None),
        (
            "(1,2) < (2,1)",
            "null",
            &["true", "false", "false", "false"],
            None,
        ),
        (
            r#"error("left") + error("right")"#,
            "null",
            &[],
            Some("right"),
        ),
        (
            "{} - 1",
            "null",
            &[],
            Some("object ({}) and number (1) cannot be subtracted"),
        ),
        (
            "10 / 4, 7 % 3, 2 * 3, 1 == 1.0, 1 != 2",
            "null",
            &["2.5", "1", "6", "true", "true"],
            None,
        ),
        ("-(1,2)", "null", &["-1", "-2"], None),
        (
            r#"-"a""#,
            "null",
            &[],
            Some("string (\"a\") cannot be negated"),
        ),
        (
            "(true,false) and (true,false)",
            "null",
            &["true", "false", "false"],
            None,
        ),
        (
            "(true,false) or (true,false)",
            "null",
            &["true", "true", "false"],
            None,
        ),
        ("false and error", "null", &["false"], None),
        ("1 or error", "null", &["true"], None),
        (
            "null and true, 1 and null",
            "null",
            &["false", "false"],
            None,
        ),
        // `//`: every truthy output of the left; if none, the right; left errors propagate.
        ("(null, 1, false, 2) // 3", "null", &["1", "2"], None),
        ("(null, false) // (3, 4)", "null", &["3", "4"], None),
        ("empty // 1", "null", &["1"], None),
        (r#"(1, error("e")) // 2"#, "null", &["1"], Some("e")),
        (r#"error("e") // 2"#, "null", &[], Some("e")),
        (".a // .b // \"d\"", r#"{"b":false}"#, &[r#""d""#], None),
        (".a // .b", r#"{"b":0}"#, &["0"], None),
    ]);
}

#[test]
fn pipes_and_variables() {
    check(&[
        (".a | .b", r#"{"a":{"b":3}}"#, &["3"], None),
        ("(1,2) as $x | $x * 10", "null", &["10", "20"], None),
        (". as $x | [$x, .]", "1", &["[1,1]"], None),
        (". as [$a, $b] | $b, $a", "[1,2]", &["2", "1"], None),
        (". as {a: $x} | $x", r#"{"a":5}"#, &["5"], None),
        ("[.[] as $x | $x + 1]", "[1,2]", &["[2,3]"], None),
        // Each binding keeps its own slot while an inner one changes.
        (
            "1 as $x | (2 as $y | $x + $y), $x",
            "null",
            &["3", "1"],
            None,
        ),
        (
            "def f(g): . as $v | g + $v; f(.) , f(10)",
            "1",
            &["2", "11"],
            None,
        ),
        ("1, empty, 2", "null", &["1", "2"], None),
        (
            "if (true, false) then \"a\" else \"b\" end",
            "null",
            &[r#""a""#, r#""b""#],
            None,
        ),
        ("if . then 1 end", "false", &["false"], None),
        (
            "if .a then .a elif .b then .b else 0 end",
            r#"{"b":2}"#,
            &["2"],
            None,
        ),
    ]);
}

#[test]
fn indexing() {
    check(&[
        (
            ".a, .a.b, .[0]?",
            r#"{"a":{"b":1}}"#,
            &[r#"{"b":1}"#, "1"],
            None,
        ),
        (
            ".[0], .[-1], .[5], .[1.7]",
            "[1,2,3]",
            &["1", "3", "null", "2"],
            None,
        ),
        (".a", "null", &["null"], None),
        (
            ".a",
            "1",
            &[],
            Some("Cannot index number with string (\"a\")"),
        ),
        (".a?", "1", &[], None),
        (".a?.b", r#"{"a":{"b":2}}"#, &["2"], None),
        (
            ".[null]",
            "{}",
            &[],
            Some("Cannot index object with null (null)"),
        ),
        (r#".["a"]"#, r#"{"a":1}"#, &["1"], None),
        (r#".[("a","b")]"#, r#"{"a":1,"b":2}"#, &["1", "2"], None),
        // The key is the outer loop, the base the inner.
        (
            r#"(.a, .b)[("x","y")]"#,
            r#"{"a":{"x":1,"y":2},"b":{"x":3,"y":4}}"#,
            &["1", "3", "2", "4"],
            None,
        ),
        (".[.k]", r#"{"k":"v","v":9}"#, &["9"], None),
        (
            ".[1:3], .[:1], .[-1:]",
            "[1,2,3,4]",
            &["[2,3]", "[1]", "[4]"],
            None,
        ),
        (".[2:]", r#""abcd""#, &[r#""cd""#], None),
        (".[1:]?", "1", &[], None),
        (
            ".[1:]",
            "1",
            &[],
            Some("Cannot index number with object ({\"start\":1,\"end\":null})"),
        ),
        (".[]", r#"{"a":1,"b":[2]}"#, &["1", "[2]"], None),
        (".[]?", "1", &[], None),
        (".[]", "1", &[], Some("Cannot iterate over number (1)")),
        ("[.[][]]", "[[1],[2,3]]", &["[1,2,3]"], None),
        (".a[]?", r#"{"a":3}"#, &[], None),
    ]);
}

#[test]
fn try_catch() {
    check(&[
        (r#"try error("x") catch ."#, "null", &[r#""x""#], None),
        (r#"try error({"a":1}) catch .a"#, "null", &["1"], None),
        ("try error(null) catch .", "null", &["null"], None),
        // Outputs before the error, then the handler.
        (
            r#"try (1, error("e"), 3) catch "c""#,
            "null",
            &["1", r#""c""#],
            None,
        ),
        (r#"(1, error("x"), 2)?"#, "null", &["1"], None),
        (
            r#"[.[] | try (if . == 2 then error("e") else . end)]"#,
            "[1,2,3]",
            &["[1,3]"],
            None,
        ),
        // Errors raised after the `try`, by its continuation, are not caught.
        (
            r#"(try (1,2) catch "c") | if . == 2 then error("cont") else . end"#,
            "null",
            &["1"],
            Some("cont"),
        ),
        (
            r#"try error("x") catch error("again: " + .)"#,
            "null",
            &[],
            Some("again: x"),
        ),
        ("try .a catch \"no\"", "1", &[r#""no""#], None),
        ("try .a catch \"no\"", r#"{"a":1}"#, &["1"], None),
        ("(.a)?", "1", &[], None),
        ("error(null)", "null", &[], Some("null (not a string)")),
        ("error", r#""boom""#, &[], Some("boom")),
        (r#"error("x")"#, "null", &[], Some("x")),
        ("[.[] | (1 / .)?]", "[1,0,2]", &["[1,0.5]"], None),
    ]);
}

#[test]
fn folds() {
    check(&[
        ("reduce .[] as $x (0; . + $x)", "[1,2,3]", &["6"], None),
        // jq 1.8: the last output of the update is the state; none gives null.
        ("reduce .[] as $x (0; ., 10)", "[1,2]", &["10"], None),
        ("reduce .[] as $x (0; empty)", "[1,2]", &["null"], None),
        ("reduce empty as $x (1; .)", "null", &["1"], None),
        (
            "reduce .[] as $x ((0, 100); . + $x)",
            "[1,2]",
            &["3", "103"],
            None,
        ),
        (
            "reduce .[] as [$a, $b] (0; . + $a * $b)",
            "[[1,2],[3,4]]",
            &["14"],
            None,
        ),
        (
            "foreach .[] as $x (0; . + $x)",
            "[1,2,3]",
            &["1", "3", "6"],
            None,
        ),
        (
            "foreach .[] as $x (0; . + $x; [$x, .])",
            "[1,2]",
            &["[1,1]", "[2,3]"],
            None,
        ),
        (
            "[foreach .[] as $x (0; (. + $x), (. - $x))]",
            "[1,2]",
            &["[1,-1,1,-3]"],
            None,
        ),
        ("[foreach .[] as $x (0; empty; .)]", "[1,2]", &["[]"], None),
        (
            "foreach .[] as $x (0; . + $x; select(. > 1))",
            "[1,2]",
            &["3"],
            None,
        ),
        (
            "reduce .[] as $x (0; . + $x) | . * 2",
            "[1,2]",
            &["6"],
            None,
        ),
        (r#"reduce .[] as $x (0; error("u"))"#, "[1]", &[], Some("u")),
    ]);
}

#[test]
fn labels_and_early_exits() {
    check(&[
        (
            "label $out | 1, 2, break $out, 3",
            "null",
            &["1", "2"],
            None,
        ),
        (
            "[label $f | .[] | if . > 2 then break $f else . end]",
            "[1,2,3,4]",
            &["[1,2]"],
            None,
        ),
        (
            "label $f | reduce .[] as $x (0; if $x > 2 then break $f else . + $x end)",
            "[1,2,3]",
            &[],
            None,
        ),
        ("label $a | label $b | 1, break $a, 2", "null", &["1"], None),
        (
            "[label $a | (label $b | 1, break $b, 2), 3]",
            "null",
            &["[1,3]"],
            None,
        ),
        (
            "[.[] | label $f | if . > 1 then ., break $f else . end]",
            "[1,2,3]",
            &["[1,2,3]"],
            None,
        ),
        (
            "[label $f | [.[] | if . > 1 then break $f else . end]]",
            "[1,2]",
            &["[]"],
            None,
        ),
        ("first(.[])", "[5,6]", &["5"], None),
        ("first(empty)", "null", &[], None),
        (r#"first(1, error("x"))"#, "null", &["1"], None),
        ("first(.a)", r#"{"a":2}"#, &["2"], None),
        ("[first(range(10;0;-3))]", "null", &["[10]"], None),
        ("[limit(2; .[])]", "[1,2,3]", &["[1,2]"], None),
        ("[limit(0; 1, 2)]", "null", &["[]"], None),
        ("[limit((1,2); (10,20,30))]", "null", &["[10,10,20]"], None),
        (r#"[limit(1; 1, error("x"))]"#, "null", &["[1]"], None),
        (
            "limit(-1; 1)",
            "null",
            &[],
            Some("limit doesn't support negative count"),
        ),
        (
            "isempty(empty), isempty(1, 2)",
            "null",
            &["true", "false"],
            None,
        ),
        (r#"isempty(1, error("x"))"#, "null", &["false"], None),
        (r#"isempty(error("x"))"#, "null", &[], Some("x")),
        (
            "any(.[]; . > 2), all(.[]; . > 0)",
            "[1,2,3]",
            &["true", "true"],
            None,
        ),
        (
            "any(empty; .), all(empty; .)",
            "null",
            &["false", "true"],
            None,
        ),
        (r#"any(1, error("x"); . == 1)"#, "null", &["true"], None),
        (r#"all(0, error("x"); . == 1)"#, "null", &["false"], None),
        (r#"any(0, error("x"); . == 1)"#, "null", &[], Some("x")),
        ("any(.[]; (false, true))", "[1]", &["true"], None),
        ("any, all", "[true, false]", &["true", "false"], None),
        (
            "[range(3)], [range(1; 3)], [range(0; 10; 3)], [range(5; 0; -2)]",
            "null",
            &["[0,1,2]", "[1,2]", "[0,3,6,9]", "[5,3,1]"],
            None,
        ),
        // `from` is the outermost loop.
        (
            "[range(0,1; 3,4)]",
            "null",
            &["[0,1,2,0,1,2,3,1,2,1,2,3]"],
            None,
        ),
        ("[range(0; 1; 0)]", "null", &["[]"], None),
        (
            r#"range("a"; 2)"#,
            "null",
            &[],
            Some("Range bounds must be numeric"),
        ),
        ("range(1.5; 3)", "null", &["1.5", "2.5"], None),
    ]);
}

#[test]
fn updates() {
    check(&[
        (".a |= . + 1", r#"{"a":1}"#, &[r#"{"a":2}"#], None),
        (".a = (1, 2)", "{}", &[r#"{"a":1}"#, r#"{"a":2}"#], None),
        // `=`'s right side is evaluated on the original input.
        (".a = .b", r#"{"b":3}"#, &[r#"{"b":3,"a":3}"#], None),
        (
            ".a += 1, .a -= 1, .a *= 2, .a /= 2, .a %= 2",
            r#"{"a":3}"#,
            &[
                r#"{"a":4}"#,
                r#"{"a":2}"#,
                r#"{"a":6}"#,
                r#"{"a":1.5}"#,
                r#"{"a":1}"#,
            ],
            None,
        ),
        (
            ".a //= 3, .b //= 3",
            r#"{"a":1}"#,
            &[r#"{"a":1}"#, r#"{"a":1,"b":3}"#],
            None,
        ),
        (".a |= empty", r#"{"a":1,"b":2}"#, &[r#"{"b":2}"#], None),
        // `|=` takes the first output, but evaluates them all.
        (".a |= (., 5)", r#"{"a":1}"#, &[r#"{"a":1}"#], None),
        (r#".a |= (1, error("x"))"#, "{}", &[], Some("x")),
        (".[] |= . * 2", "[1,2]", &["[2,4]"], None),
        (".[0] -= 1", "[5]", &["[4]"], None),
        (".a.b |= 7", "null", &[r#"{"a":{"b":7}}"#], None),
        (".[1:] = [9]", "[1,2,3]", &["[1,9]"], None),
        (r#".[("a","b")] = 0"#, "{}", &[r#"{"a":0,"b":0}"#], None),
        (".[.k] = 1", r#"{"k":"z"}"#, &[r#"{"k":"z","z":1}"#], None),
        (
            ".a += 1",
            r#"{"a":"x"}"#,
            &[],
            Some("string (\"x\") and number (1) cannot be added"),
        ),
        (
            ".a |= 1",
            "[]",
            &[],
            Some("Cannot index array with string (\"a\")"),
        ),
        (
            "map(. + 1), map_values(. * 2)",
            "[1,2]",
            &["[2,3]", "[2,4]"],
            None,
        ),
        (
            "to_entries | map(.value) | add",
            r#"{"a":1,"b":2}"#,
            &["3"],
            None,
        ),
    ]);
}

#[test]
fn builtins() {
    check(&[
        (
            "length, has(\"a\"), keys",
            r#"{"a":1}"#,
            &["1", "true", r#"["a"]"#],
            None,
        ),
        // Arguments: the first is the outermost loop.
        ("pow(1,2; 3,4)", "null", &["1", "1", "8", "16"], None),
        (
            r#"[splits(", *"; null)], join("-")"#,
            r#""a, b""#,
            &[r#"["a","b"]"#],
            Some("Cannot iterate over string (\"a, b\")"),
        ),
        (
            "nan | isnan, (infinite | isinfinite), (now | type)",
            "null",
            &["true", "true", r#""number""#],
            None,
        ),
        (
            r#"has(.[])"#,
            r#"{"a":1}"#,
            &[],
            Some("Cannot check whether object has a number key"),
        ),
        (
            r#"ltrimstr("a"), startswith("a"), ascii_upcase, tostring, tojson"#,
            r#""ab""#,
            &[r#""b""#, "true", r#""AB""#, r#""ab""#, r#""\"ab\"""#],
            None,
        ),
        (
            "tostring, tojson, (tojson | fromjson)",
            "[1.50]",
            &[r#""[1.50]""#, r#""[1.50]""#, "[1.50]"],
            None,
        ),
        ("length", "true", &[], Some("boolean (true) has no length")),
        (
            "getpath([\"a\",\"b\"]), setpath([\"a\"]; 1), delpaths([[\"a\"]])",
            r#"{"a":{"b":2}}"#,
            &["2", r#"{"a":1}"#, "{}"],
            None,
        ),
        ("pick(.a)", r#"{"a":1,"b":2}"#, &[r#"{"a":1}"#], None),
        (
            "@base64, @uri, @html, @sh",
            r#""<a b>""#,
            &[
                r#""PGEgYj4=""#,
                r#""%3Ca%20b%3E""#,
                r#""&lt;a b&gt;""#,
                r#""'<a b>'""#,
            ],
            None,
        ),
        (
            "@csv, @tsv, @json, @text",
            r#"[1,"a"]"#,
            &[
                r#""1,\"a\"""#,
                r#""1\ta""#,
                r#""[1,\"a\"]""#,
                r#""[1,\"a\"]""#,
            ],
            None,
        ),
        ("@base64d", r#""aGk=""#, &[r#""hi""#], None),
        (
            "sort_by(.a), group_by(.a), unique_by(.a), min_by(.a), max_by(.a)",
            r#"[{"a":2},{"a":1},{"a":2}]"#,
            &[
                r#"[{"a":1},{"a":2},{"a":2}]"#,
                r#"[[{"a":1}],[{"a":2},{"a":2}]]"#,
                r#"[{"a":1},{"a":2}]"#,
                r#"{"a":1}"#,
                r#"{"a":2}"#,
            ],
            None,
        ),
        (
            "sort_by(.a, .b)",
            r#"[{"a":1,"b":2},{"a":1,"b":1}]"#,
            &[r#"[{"a":1,"b":1},{"a":1,"b":2}]"#],
            None,
        ),
        (
            "sort_by(.)",
            "1",
            &[],
            Some("Cannot iterate over number (1)"),
        ),
        ("select(. > 1), (.[]? | select(. > 1))", "2", &["2"], None),
        (
            "walk(if type == \"number\" then . + 1 else . end)",
            r#"[1,{"a":2}]"#,
            &[r#"[2,{"a":3}]"#],
            None,
        ),
        // Arrays keep every output, objects the first (none deletes the key).
        (
            "walk(if type == \"number\" then empty else . end)",
            r#"[1,{"a":2,"b":"x"}]"#,
            &[r#"[{"b":"x"}]"#],
            None,
        ),
        (
            "walk(if type == \"number\" then (., .) else . end)",
            "[1]",
            &["[1,1]"],
            None,
        ),
        (
            r#"walk(if . == 2 then error("w") else . end)"#,
            "[1,2]",
            &[],
            Some("w"),
        ),
    ]);
}

#[test]
fn regexes() {
    check(&[
        (
            r#"test("a"), test("A"; "i"), test("A"; null)"#,
            r#""cat""#,
            &["true", "true", "false"],
            None,
        ),
        (
            r#"[match("a"; "g") | .offset]"#,
            r#""aXa""#,
            &["[0,2]"],
            None,
        ),
        (r#"[match("a") | .offset]"#, r#""aXa""#, &["[0]"], None),
        (
            r#"capture("(?<n>\\d+)")"#,
            r#""x12""#,
            &[r#"{"n":"12"}"#],
            None,
        ),
        (r#"[scan("\\d")]"#, r#""a1b2""#, &[r#"["1","2"]"#], None),
        (
            r#"[splits(", *")], split(", *"; null)"#,
            r#""a, b,c""#,
            &[r#"["a","b","c"]"#, r#"["a","b","c"]"#],
            None,
        ),
        (
            r#"sub("a"; "b"), gsub("a"; "b"), sub("a"; "b"; "g")"#,
            r#""aa""#,
            &[r#""ba""#, r#""bb""#, r#""bb""#],
            None,
        ),
        (
            r#"sub("(?<x>a)"; "<\(.x)>"; "g")"#,
            r#""ab""#,
            &[r#""<a>b""#],
            None,
        ),
        // Output i of the replacement builds output i.
        (
            r#"[gsub("a"; "b", "c")]"#,
            r#""aa""#,
            &[r#"["bb","cc"]"#],
            None,
        ),
        (r#"gsub("z"; "y")"#, r#""aa""#, &[r#""aa""#], None),
        (r#"sub("a"; error("r"))"#, r#""a""#, &[], Some("r")),
        (
            r#"test("a")"#,
            "1",
            &[],
            Some("number (1) cannot be matched, as it is not a string"),
        ),
        // Computed patterns and flags: the pattern is the outer loop.
        (
            r#"("p", "q") as $p | [("pq", "qq") | test($p)]"#,
            "null",
            &["[true,false]", "[true,true]"],
            None,
        ),
        (
            r#"[.[] as $re | "abc" | test($re)]"#,
            r#"["b","^b",["B","i"]]"#,
            &["[true,false,true]"],
            None,
        ),
        (
            r#"[test(("a","b"); ("", "x"))]"#,
            r#""a""#,
            &["[true,true,false,false]"],
            None,
        ),
        (
            r#""(" as $p | test($p)"#,
            r#""x""#,
            &[],
            Some("Regex failure: end pattern with unmatched parenthesis"),
        ),
        (
            r#""q" as $f | test("a"; $f)"#,
            r#""a""#,
            &[],
            Some("q is not a valid modifier string"),
        ),
        (
            r#"1 as $p | test($p)"#,
            r#""a""#,
            &[],
            Some("number cannot be matched, as it is not a string"),
        ),
        (
            r#""a" as $p | gsub($p; "b")"#,
            r#""aa""#,
            &[r#""bb""#],
            None,
        ),
        (
            r#""a" as $p | [scan($p)], [match($p) | .offset], [capture($p)]"#,
            r#""aa""#,
            &[r#"["a","a"]"#, "[0]", "[{}]"],
            None,
        ),
    ]);
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

/// A `break` that would leave a closure codegen generates is refused, not run.
#[test]
fn break_out_of_a_closure_is_an_error() {
    for text in [
        "label $f | try break $f catch .",
        "label $f | walk(break $f)",
        r#"label $f | sub("a"; break $f)"#,
        "label $f | .a |= break $f",
    ] {
        let p = program(text);
        let why = p
            .error()
            .unwrap_or_else(|| panic!("{text}: accepted"))
            .message();
        assert!(why.contains("`break` out of a `try` body"), "{text}: {why}");
        let err = p.run(&json(r#"{"a":"a"}"#), &mut |_| true).unwrap_err();
        assert_eq!(err.message(), why, "{text}");
        assert_eq!(p.first(&json("1")).unwrap_err().message(), why, "{text}");
    }
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

#[test]
fn unsupported_nodes_are_errors() {
    let p = Program::new(Expr::new(ExprKind::Unsupported("`path(..)`"), 0..0));
    assert_eq!(p.error().unwrap().message(), "`path(..)` is not supported");
    assert_eq!(
        p.run(&Value::Null, &mut |_| true).unwrap_err().message(),
        "`path(..)` is not supported"
    );
}

/// Evaluation recurses per IR level: a 200-level program runs on a 1 MiB stack.
#[test]
fn deep_nesting_fits_a_small_stack() {
    let depth = 200;
    // A generator with one output at every level (continuations, not the single-value path),
    // of mixed kinds; the input `[0]` keeps `.[]` at one element.
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
    // The front end needs more stack than the interpreter for this; give it what it needs.
    let p = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || program(&text))
        .unwrap()
        .join()
        .unwrap();
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
