//! jq 1.8.2's resource limits, and values no operation may turn into an abort. Every check
//! runs on a thread with a 2 MiB stack, what a tokio worker has.

use super::super::*;
use super::j;

/// Runs `f` on a fresh thread with a tokio worker's stack; a stack overflow aborts the whole
/// test binary, so a regression shows as a crash, not a failure.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// `reduce range(n) as $_ (leaf; [.])`.
fn nested_arrays(n: usize, leaf: Value) -> Value {
    (0..n).fold(leaf, |v, _| Value::from(vec![v]))
}

/// `reduce range(n) as $_ (leaf; {a: .})`.
fn nested_objects(n: usize, leaf: Value) -> Value {
    (0..n).fold(leaf, |v, _| {
        let mut m = Map::with_capacity(1);
        m.insert("a", v);
        Value::from(m)
    })
}

fn message<T: std::fmt::Debug>(r: R<T>) -> String {
    r.expect_err("an error").message()
}

#[test]
fn huge_index_assignment_is_an_error_not_an_allocation() {
    small_stack(|| {
        // jq.test: `try (.[999999999] = 0) catch .` on null.
        let at = |i: f64| Value::from(vec![Value::number(i)]);
        let v = Value::from(1usize);
        assert_eq!(
            message(setpath(&Value::Null, &at(999_999_999.0), &v)),
            "Array index too large"
        );
        // Past jq's bound (INT_MAX >> 2), from an array, and clamped huge numbers.
        for i in [536_870_912.0, 1e18, f64::INFINITY] {
            assert_eq!(
                message(setpath(&j("[1,2]"), &at(i), &v)),
                "Array index too large"
            );
        }
        // Within jq's bound but padding more than MAX_ARRAY_PADDING nulls: ours.
        let pad = MAX_ARRAY_PADDING as f64;
        assert_eq!(
            message(setpath(&j("[1,2]"), &at(2.0 + pad + 1.0), &v)),
            "Array index too large"
        );
        let padded = setpath(&j("[1,2]"), &at(2.0 + pad), &v).unwrap();
        assert_eq!(padded.as_array().unwrap().len(), 3 + MAX_ARRAY_PADDING);
        // Through `|=` (update_path), in a nested path, and with the negative-index rule first.
        let steps = [PathKey::Keys(vec![Value::number(1e9)])];
        let e = update_path(Value::Null, &steps, &mut |_| Ok(Some(Value::Null))).unwrap_err();
        assert_eq!(e.message(), "Array index too large");
        let deep_path = j("[\"a\", 0, 600000000]");
        assert_eq!(
            message(setpath(&Value::Null, &deep_path, &v)),
            "Array index too large"
        );
        assert_eq!(
            message(setpath(&j("[1]"), &at(-5.0), &v)),
            "Out of bounds negative array index"
        );
        // Growing one element at a time is never refused.
        let mut grown = Value::Null;
        for i in 0..5 {
            grown = setpath(&grown, &at(f64::from(i)), &v).unwrap();
        }
        assert_eq!(tojson_string(&grown), "[1,1,1,1,1]");
    });
}

#[test]
fn string_repetition_is_bounded() {
    // jq.test: `. * 1000000000` on "" is ""; on "abc", "Repeat string result too long".
    assert_eq!(mul(&j("\"\""), &Value::number(1e9)).unwrap(), j("\"\""));
    assert_eq!(
        message(mul(&j("\"abc\""), &Value::number(1e9))),
        "Repeat string result too long"
    );
    // Ours: a 64 MiB result is refused too (jq would allocate up to 2 GiB).
    let n = Value::from(MAX_STRING_BYTES);
    assert_eq!(
        message(mul(&j("\"x\""), &n)),
        "Repeat string result too long"
    );
    let ok = mul(&j("\"ab\""), &Value::number(100_000.0)).unwrap();
    assert_eq!(ok.as_str().map(str::len), Some(200_000));
    assert_eq!(
        mul(&j("\"ab\""), &Value::number(-1.0)).unwrap(),
        Value::Null
    );
}

#[test]
fn deep_values_drop_without_recursion() {
    small_stack(|| {
        // `reduce range(100000) as $i (null; [.])`, and the same with objects and a mix.
        drop(nested_arrays(100_000, Value::Null));
        drop(nested_objects(100_000, Value::Null));
        let mixed = (0..100_000).fold(Value::from("leaf"), |v, i| {
            if i % 2 == 0 {
                Value::from(vec![Value::Null, v, Value::from(1usize)])
            } else {
                nested_objects(1, v)
            }
        });
        drop(mixed);
        // Shared parts: the first drop only releases references, the last one frees.
        let inner = nested_arrays(50_000, Value::Null);
        let outer = nested_objects(50_000, inner.clone());
        drop(outer);
        drop(inner);
        // Wide and deep: many deep chains under one array.
        let wide: Value = (0..20)
            .map(|_| nested_arrays(20_000, Value::Null))
            .collect();
        drop(wide);
    });
}

#[test]
fn printing_skips_past_jqs_print_depth() {
    small_stack(|| {
        // jq.test (#3413): 10,000 wraps print whole; 10,001 show the marker.
        let n = nested_arrays(MAX_PRINT_DEPTH, j("[]"));
        let text = tojson_string(&n);
        assert!(!text.contains(SKIPPED_TOO_DEEP));
        assert_eq!(text.len(), 2 * (MAX_PRINT_DEPTH + 1));
        let n1 = nested_arrays(MAX_PRINT_DEPTH + 1, j("[]"));
        let text = tojson_string(&n1);
        let open = "[".repeat(MAX_PRINT_DEPTH + 1);
        let close = "]".repeat(MAX_PRINT_DEPTH + 1);
        assert_eq!(text, format!("{open}{SKIPPED_TOO_DEEP}{close}"));
        // Any kind is skipped at that depth, siblings above it are not.
        let v = nested_objects(MAX_PRINT_DEPTH + 1, Value::from(1usize));
        let text = tojson_string(&v);
        assert!(text.ends_with(&format!(":{SKIPPED_TOO_DEEP}{}", "}".repeat(10_001))));
        let both = Value::from(vec![n1.clone(), Value::from("x")]);
        assert!(tojson_string(&both).ends_with("]],\"x\"]"));
        // tostring, interpolation, @json and error texts go through the same printer.
        assert!(tostring(&n1)
            .unwrap()
            .as_str()
            .unwrap()
            .contains(SKIPPED_TOO_DEEP));
        assert!(format("@json", &nested_arrays(100_000, Value::Null)).is_ok());
        let e = iterate(&Value::from(1usize)).unwrap_err();
        assert_eq!(e.message(), "Cannot iterate over number (1)");
        let e = index(&nested_arrays(100_000, Value::Null), &Value::from("k")).unwrap_err();
        assert_eq!(e.message(), "Cannot index array with string (\"k\")");
        let e = add(&nested_arrays(100_000, Value::Null), &Value::from(1usize)).unwrap_err();
        assert_eq!(
            e.message(),
            "array ([[[[[[[[[[[[[[[[[[[[[[[[[...]) and number (1) cannot be added"
        );
        // What Port receives stays JSON.
        let mut port = String::new();
        write_port(&n1, &mut port);
        assert!(port.contains("[\"<skipped: too deep>\"]"));
        assert!(
            parse_json(port.as_bytes()).is_err(),
            "10,002 levels: over the parse limit"
        );
        let mut port = String::new();
        write_port(&nested_arrays(MAX_PRINT_DEPTH, j("[]")), &mut port);
        assert_eq!(port, tojson_string(&n));
    });
}

#[test]
fn fromjson_follows_jqs_parse_depth() {
    small_stack(|| {
        // jq.test (#3413): (N-1) parses back and flattens; (N) is refused by the parser.
        let text = tojson(&nested_arrays(MAX_PARSING_DEPTH - 1, j("[]"))).unwrap();
        let back = fromjson(&text).unwrap();
        assert_eq!(flatten(&back).unwrap(), j("[]"));
        let text = tojson(&nested_arrays(MAX_PARSING_DEPTH, j("[]"))).unwrap();
        let err = fromjson(&text).unwrap_err().message();
        assert!(
            err.contains("Exceeds depth limit for parsing"),
            "{}",
            &err[..80]
        );
        assert!(!err.contains(SKIPPED_TOO_DEEP));
        // Objects count the same.
        let ok = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert!(parse_json(ok.as_bytes()).is_ok());
        let deep = format!("{}1{}", "{\"a\":".repeat(10_001), "}".repeat(10_001));
        let e = parse_json(deep.as_bytes()).unwrap_err();
        assert_eq!(e.message, "Exceeds depth limit for parsing");
        let p = Projection::some(vec![("a", Projection::ALL)], None);
        assert!(parse_json_projected(ok.as_bytes(), &p).is_ok());
        assert!(parse_json_projected(deep.as_bytes(), &p).is_err());
        // A document of a million open brackets is an error, not a crash.
        assert!(parse_json("[".repeat(1_000_000).as_bytes()).is_err());
    });
}

/// Frees a serde_json value without serde_json's recursive drop.
fn drop_serde(v: serde_json::Value) {
    let mut pending = vec![v];
    while let Some(v) = pending.pop() {
        match v {
            serde_json::Value::Array(items) => pending.extend(items),
            serde_json::Value::Object(map) => pending.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[test]
fn serde_conversions_any_depth() {
    small_stack(|| {
        // To serde_json: kept to serde_json's own depth, the rest marked.
        let s = nested_arrays(100_000, Value::Null).to_serde();
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            text,
            format!(
                "{}\"{SKIPPED_TOO_DEEP}\"{}",
                "[".repeat(129),
                "]".repeat(129)
            )
        );
        drop_serde(s);
        // From serde_json: a deep value built in code converts without recursion.
        let mut deep = serde_json::Value::Null;
        for _ in 0..100_000 {
            deep = serde_json::Value::Array(vec![deep, serde_json::json!({"k": 1})]);
        }
        let v = Value::from_serde(&deep);
        drop_serde(deep);
        let mut depth = 0;
        let mut at = &v;
        while let Some(items) = at.as_array() {
            assert_eq!(tojson_string(&items[1]), "{\"k\":1}");
            at = &items[0];
            depth += 1;
        }
        assert_eq!(depth, 100_000);
    });
}

/// `[range(n) | 0]`.
fn zeros(n: usize) -> Value {
    (0..n).map(|_| Value::from(0usize)).collect()
}

#[test]
fn paths_follow_jqs_path_depth() {
    small_stack(|| {
        // jq.test (CVE-2026-33947).
        let set = setpath(&Value::Null, &zeros(MAX_PATH_DEPTH), &Value::from(0usize)).unwrap();
        assert_eq!(flatten(&set).unwrap(), j("[0]"));
        let too_long = zeros(MAX_PATH_DEPTH + 1);
        assert_eq!(
            message(setpath(&Value::Null, &too_long, &Value::Null)),
            "Path too deep"
        );
        assert_eq!(
            getpath(&Value::Null, &zeros(MAX_PATH_DEPTH)).unwrap(),
            Value::Null
        );
        assert_eq!(message(getpath(&Value::Null, &too_long)), "Path too deep");
        let one = |p: Value| Value::from(vec![p]);
        assert_eq!(
            delpaths(&Value::Null, &one(zeros(MAX_PATH_DEPTH))).unwrap(),
            Value::Null
        );
        assert_eq!(
            message(delpaths(&Value::Null, &one(too_long))),
            "Path too deep"
        );
        // The same paths on a value that has them: read, replace, delete all the way down.
        assert_eq!(
            getpath(&set, &zeros(MAX_PATH_DEPTH)).unwrap(),
            Value::from(0usize)
        );
        let replaced = setpath(&set, &zeros(MAX_PATH_DEPTH), &Value::from("x")).unwrap();
        assert_eq!(flatten(&replaced).unwrap(), j("[\"x\"]"));
        let deleted = delpaths(&set, &one(zeros(MAX_PATH_DEPTH))).unwrap();
        assert_eq!(flatten(&deleted).unwrap(), j("[]"));
        let two = Value::from(vec![zeros(MAX_PATH_DEPTH), zeros(3)]);
        let deleted = delpaths(&set, &two).unwrap();
        assert_eq!(tojson_string(&deleted), "[[[]]]");
        // `|=` through a deep value.
        let steps = [PathKey::Keys(vec![Value::from(0usize)])];
        let bumped = update_path(set, &steps, &mut |v| Ok(Some(Value::from(vec![v])))).unwrap();
        assert_eq!(flatten(&bumped).unwrap(), j("[0]"));
    });
}

#[test]
fn containment_and_merge_follow_jqs_depth() {
    small_stack(|| {
        // jq.test (CVE-2026-40612, CVE-2026-43896).
        let x = nested_arrays(MAX_COMPARE_DEPTH, j("[]"));
        assert_eq!(contains(&x, &j("[[]]")).unwrap(), Value::Bool(true));
        let x1 = nested_arrays(MAX_COMPARE_DEPTH + 1, j("[]"));
        assert_eq!(message(contains(&x1, &x1)), "Containment check too deep");
        assert_eq!(message(inside(&x1, &x1)), "Containment check too deep");
        let o = nested_objects(MAX_COMPARE_DEPTH, j("{}"));
        assert_eq!(length(&mul(&o, &o).unwrap()).unwrap(), Value::from(1usize));
        let o1 = nested_objects(MAX_COMPARE_DEPTH + 1, j("{}"));
        assert_eq!(message(mul(&o1, &o1)), "Object merge too deep");
        // Deep but different high up: answered without reaching the limit.
        let other = Value::from(vec![Value::from(1usize), x1.clone()]);
        assert_eq!(contains(&other, &j("[2]")).unwrap(), Value::Bool(false));
        // Containment's rules at depth: missing keys, substrings, any-element matches.
        let deep_obj = nested_objects(20_000, j("{\"s\":\"needle in hay\",\"n\":[1,2,3]}"));
        let want = nested_objects(20_000, j("{\"s\":\"needle\"}"));
        assert_eq!(
            contains_within_for_tests(&deep_obj, &want),
            Some(true),
            "unlimited containment answers"
        );
        let missing = nested_objects(3, j("{\"t\":null}"));
        assert_eq!(
            contains(&nested_objects(3, j("{}")), &missing).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            contains(&j("[[1,2],[3]]"), &j("[[3],[2,1]]")).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            contains(&j("[[1,2],[3]]"), &j("[[3,4]]")).unwrap(),
            Value::Bool(false)
        );
    });
}

/// Containment with no depth limit, for deep checks of the engine's rules.
fn contains_within_for_tests(a: &Value, b: &Value) -> Option<bool> {
    crate::compare::contains_within(a, b, usize::MAX).ok()
}

#[test]
fn comparisons_follow_jqs_depth() {
    small_stack(|| {
        // jq.test: deep structural equality and ordering comparisons.
        let x = nested_arrays(MAX_COMPARE_DEPTH + 1, j("[]"));
        let y = nested_arrays(MAX_COMPARE_DEPTH + 1, j("[]"));
        let pair = Value::from(vec![x.clone(), x.clone()]);
        assert_eq!(message(sort(&pair)), "Comparison too deep");
        assert_eq!(message(unique(&pair)), "Comparison too deep");
        let o = nested_objects(MAX_COMPARE_DEPTH + 1, j("{}"));
        let pair_o = Value::from(vec![o.clone(), o.clone()]);
        assert_eq!(message(sort(&pair_o)), "Comparison too deep");
        assert_eq!(message(unique(&pair_o)), "Comparison too deep");
        assert_eq!(message(min(&pair)), "Comparison too deep");
        assert_eq!(message(max(&pair_o)), "Comparison too deep");
        assert_eq!(message(bsearch(&pair, &x)), "Comparison too deep");
        let keys = vec![x.clone(), y.clone()];
        assert_eq!(
            message(group_by_keys(&pair, keys.clone())),
            "Comparison too deep"
        );
        // Equality past the limit: jq's message where a builtin can raise it.
        let list = |v: &Value| Value::from(vec![v.clone()]);
        assert_eq!(
            message(sub(&list(&x), &list(&y))),
            "Equality check too deep"
        );
        assert_eq!(
            message(indices(&list(&x), &list(&y))),
            "Equality check too deep"
        );
        // The operators raise jq's messages too.
        assert_eq!(message(eq(&x, &y)), "Equality check too deep");
        assert_eq!(message(ne(&x, &y)), "Equality check too deep");
        let z = nested_arrays(MAX_COMPARE_DEPTH + 1, j("[1]"));
        assert_eq!(message(lt(&x, &z)), "Comparison too deep");
        assert_eq!(message(ge(&z, &y)), "Comparison too deep");
        // Sorting keys (`compare`) has no error to raise: it answers at any depth.
        assert_eq!(compare(&x, &z), std::cmp::Ordering::Less);
        let big = nested_arrays(100_000, j("{\"a\":[1,2]}"));
        let big2 = nested_arrays(100_000, j("{\"a\":[1,2]}"));
        assert!(big == big2 && compare(&big, &big2).is_eq());
        // At jq's limit everything still works.
        let ok = nested_arrays(MAX_COMPARE_DEPTH, j("[]"));
        let ok_pair = Value::from(vec![ok.clone(), ok.clone()]);
        assert_eq!(
            length(&unique(&ok_pair).unwrap()).unwrap(),
            Value::from(1usize)
        );
        // Objects compare their key lists a level down, their keys two: the limit comes one
        // level sooner than for arrays (jq: `jvp_cmp` on `jv_keys`).
        let ok_o = nested_objects(MAX_COMPARE_DEPTH - 1, j("{}"));
        let pair_ok_o = Value::from(vec![ok_o.clone(), ok_o]);
        assert!(sort(&pair_ok_o).is_ok());
        let edge_o = nested_objects(MAX_COMPARE_DEPTH, j("{}"));
        let pair_edge = Value::from(vec![edge_o.clone(), edge_o]);
        assert_eq!(message(sort(&pair_edge)), "Comparison too deep");
    });
}

#[test]
fn flatten_and_walk_any_depth() {
    small_stack(|| {
        let deep = nested_arrays(100_000, j("[1,[2]]"));
        assert_eq!(flatten(&deep).unwrap(), j("[1,2]"));
        let two = flatten_depth(&deep, &Value::from(2usize)).unwrap();
        assert_eq!(length(&two).unwrap(), Value::from(1usize));
        // walk(if type == "number" then . + 1 else . end), then walk(..) dropping numbers.
        let mut bump = |v: &Value| -> R<Vec<Value>> {
            Ok(vec![match v {
                Value::Number(_) => add(v, &Value::from(1usize))?,
                other => other.clone(),
            }])
        };
        let walked = walk(&deep, &mut bump).unwrap().remove(0);
        assert_eq!(flatten(&walked).unwrap(), j("[2,3]"));
        let obj = nested_objects(100_000, j("{\"n\":1,\"s\":\"x\"}"));
        let mut drop_numbers = |v: &Value| -> R<Vec<Value>> {
            Ok(match v {
                Value::Number(_) => vec![],
                other => vec![other.clone()],
            })
        };
        let walked = walk(&obj, &mut drop_numbers).unwrap().remove(0);
        let mut at = &walked;
        for _ in 0..100_000 {
            at = at.as_object().unwrap().get("a").unwrap();
        }
        assert_eq!(tojson_string(at), "{\"s\":\"x\"}");
    });
}

#[test]
fn recursion_over_values_is_lazy() {
    small_stack(|| {
        // `reduce range(64) as $_ (0; [., .])`: 64 arrays, 2^64 paths to the leaf.
        let shared = (0..64).fold(Value::from(0usize), |v, _| Value::from(vec![v.clone(), v]));
        let mut all = recurse_values(&shared);
        assert_eq!(all.next().as_ref(), Some(&shared));
        // Down the left edge to the first leaf, then its sibling.
        let firsts: Vec<Value> = all.by_ref().take(64).collect();
        assert_eq!(firsts[63], Value::from(0usize));
        assert_eq!(all.next(), Some(Value::from(0usize)));
        // A deep chain visits every level without recursion.
        assert_eq!(
            recurse_values(&nested_arrays(100_000, Value::Null)).count(),
            100_001
        );
    });
}

#[test]
fn printing_a_shared_value_is_bounded() {
    small_stack(|| {
        // `reduce range(40) as $_ ($s; [., .])`, $s a 1 MiB string: 40 arrays that print as
        // 2^40 MiB.
        let leaf = Value::from("x".repeat(1 << 20));
        let shared = (0..40).fold(leaf, |v, _| Value::from(vec![v.clone(), v]));
        let started = std::time::Instant::now();
        assert_eq!(message(tojson(&shared)), "String too long");
        assert_eq!(message(tostring(&shared)), "String too long");
        for name in ["@json", "@text", "@base64", "@uri", "@html"] {
            assert_eq!(message(format(name, &shared)), "String too long", "{name}");
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "gave up early, not after 2^40 elements"
        );
        // Below the bound, the same shape prints whole.
        let small = (0..10).fold(Value::from(0usize), |v, _| Value::from(vec![v.clone(), v]));
        let text = tojson(&small).unwrap();
        assert_eq!(text.as_str().map(|t| t.matches('0').count()), Some(1024));
    });
}

#[test]
fn amplifying_builtins_are_bounded() {
    small_stack(|| {
        // One row of 2^20 + 2 elements and two empty ones: 2^20 + 2 nulls of padding.
        let long: Value = (0..MAX_ARRAY_PADDING / 2 + 1).map(Value::from).collect();
        let rows = Value::from(vec![long.clone(), j("[]"), j("[]")]);
        assert_eq!(message(transpose(&rows)), "transpose result too large");
        let ok = Value::from(vec![long, j("[]")]);
        assert_eq!(
            length(&transpose(&ok).unwrap()).unwrap(),
            Value::from(MAX_ARRAY_PADDING / 2 + 1)
        );
        // jq's own errors still come first.
        assert_eq!(
            message(transpose(&j("[\"abc\", [1]]"))),
            "Cannot index string with number (0)"
        );
        assert_eq!(
            tojson_string(&transpose(&j("[[1,2],[3]]")).unwrap()),
            "[[1,3],[2,null]]"
        );
        // A thrown value that prints without bound gives a bounded message.
        let leaf = Value::from("x".repeat(1 << 20));
        let shared = (0..40).fold(leaf, |v, _| Value::from(vec![v.clone(), v]));
        let text = error(&shared).message();
        assert!(text.ends_with("... (not a string)"));
        assert!(text.len() < MAX_STRING_BYTES + (2 << 20));
        assert_eq!(error(&j("[1]")).message(), "[1] (not a string)");
        // Numbers print in bounded space whatever their exponent.
        for (text, printed) in [
            ("1E+999999999", "1E+999999999"),
            ("1E+1000000000", "1.7976931348623157e+308"),
            ("-1e-999999999", "-1E-999999999"),
        ] {
            let n = Value::number_literal(text);
            assert_eq!(tostring(&n).unwrap().as_str(), Some(printed));
        }
        let big = pow(&Value::Null, &Value::from(10usize), &Value::from(400usize)).unwrap();
        assert_eq!(
            tostring(&big).unwrap().as_str(),
            Some("1.7976931348623157e+308")
        );
    });
}
