//! Operator and builtin edge cases with libjq 1.8.2's results and error texts
//! (texts taken from the conformance fixtures and jq's sources).

use std::cmp::Ordering;

use super::super::*;
use super::cmp::{eq, ge, gt, le, lt, ne};
use super::j;

fn text(v: R<Value>) -> String {
    match v {
        Ok(v) => tojson_string(&v),
        Err(e) => format!("error: {}", e.message()),
    }
}

fn num(t: &str) -> Value {
    Value::number_literal(t)
}

#[test]
fn indexing() {
    assert_eq!(text(index_field(&Value::Null, "a")), "null");
    assert_eq!(text(index_field(&j("{\"a\":1}"), "b")), "null");
    assert_eq!(
        text(index_field(&j("5"), "id")),
        "error: Cannot index number with string (\"id\")"
    );
    assert_eq!(
        text(index_field(&j("\"x\""), "distinct_session_skill_usage")),
        "error: Cannot index string with string (\"distinct_session_skill_u...\")"
    );
    assert_eq!(
        text(index_field(&j("[1]"), "name")),
        "error: Cannot index array with string (\"name\")"
    );
    let arr = j("[1,2,3]");
    assert_eq!(text(index(&arr, &num("1.5"))), "2");
    assert_eq!(text(index(&arr, &num("-1"))), "3");
    assert_eq!(text(index(&arr, &num("-4"))), "null");
    assert_eq!(text(index(&arr, &num("3"))), "null");
    assert_eq!(text(index(&arr, &nan())), "null");
    assert_eq!(text(index(&Value::Null, &num("0"))), "null");
    assert_eq!(
        text(index(&j("{}"), &num("0"))),
        "error: Cannot index object with number (0)"
    );
    assert_eq!(
        text(index(&Value::Null, &Value::Bool(true))),
        "error: Cannot index null with boolean (true)"
    );
    assert_eq!(text(index(&j("[1,2,1,2]"), &j("[1,2]"))), "[0,2]");
}

#[test]
fn slicing() {
    let s = j("\"aé😀bc\"");
    assert_eq!(text(slice(&s, &num("1"), &num("3"))), "\"é😀\"");
    assert_eq!(
        text(slice(&s, &neg(&num("2")).unwrap(), &Value::Null)),
        "\"bc\""
    );
    assert_eq!(text(slice(&Value::Null, &Value::Null, &num("10"))), "null");
    let arr = j("[0,1,2,3,4]");
    assert_eq!(text(slice(&arr, &num("1.2"), &num("2.5"))), "[1,2]");
    assert_eq!(text(slice(&arr, &num("3"), &num("1"))), "[]");
    assert_eq!(text(slice(&arr, &num("-10"), &num("10"))), "[0,1,2,3,4]");
    assert_eq!(
        text(slice(&j("5"), &Value::Null, &num("10"))),
        "error: Cannot index number with object ({\"start\":null,\"end\":10})"
    );
    assert_eq!(
        text(slice(&arr, &j("\"a\""), &Value::Null)),
        "error: Array/string slice indices must be integers"
    );
}

#[test]
fn iteration_errors() {
    assert_eq!(
        iterate(&Value::Null).unwrap_err().message(),
        "Cannot iterate over null (null)"
    );
    assert_eq!(
        iterate(&j("\"not an object\"")).unwrap_err().message(),
        "Cannot iterate over string (\"not an object\")"
    );
    assert_eq!(iterate(&j("{\"a\":1,\"b\":2}")).unwrap().len(), 2);
}

#[test]
fn arithmetic() {
    assert_eq!(text(add(&j("1"), &j("2"))), "3");
    assert_eq!(text(add(&Value::Null, &num("1.50"))), "1.50");
    assert_eq!(text(add(&num("1.0"), &j("0"))), "1");
    assert_eq!(
        text(add(&j("{\"a\":1,\"b\":2}"), &j("{\"a\":3}"))),
        "{\"a\":3,\"b\":2}"
    );
    assert_eq!(
        text(add(&j("1000"), &j("\"_\""))),
        "error: number (1000) and string (\"_\") cannot be added"
    );
    assert_eq!(
        text(add(&j("\"https://app.snyk.io/org/\""), &j("1"))),
        "error: string (\"https://app.snyk.io/org/\") and number (1) cannot be added"
    );
    assert_eq!(
        text(add(&j("\"https://app.snyk.io/org/abc/def\""), &j("1"))),
        "error: string (\"https://app.snyk.io/org/...\") and number (1) cannot be added"
    );
    assert_eq!(
        text(add(&j("{\"name\":\"Backend:Payments team\"}"), &j("1"))),
        "error: object ({\"name\":\"Backend:Payments...}) and number (1) cannot be added"
    );
    assert_eq!(text(sub(&j("[1,2,3,1]"), &j("[1]"))), "[2,3]");
    assert_eq!(text(mul(&j("\"ab\""), &j("3"))), "\"ababab\"");
    assert_eq!(text(mul(&j("2"), &j("\"x\""))), "\"xx\"");
    assert_eq!(text(mul(&j("\"x\""), &j("0"))), "\"\"");
    assert_eq!(text(mul(&j("\"x\""), &j("-1"))), "null");
    assert_eq!(text(div(&j("10"), &j("4"))), "2.5");
    assert_eq!(text(div(&j("10"), &j("2"))), "5");
    assert_eq!(
        text(div(&Value::Null, &j("1000"))),
        "error: null (null) and number (1000) cannot be divided"
    );
    assert_eq!(
        text(div(&j("1"), &j("0"))),
        "error: number (1) and number (0) cannot be divided because the divisor is zero"
    );
    assert_eq!(text(div(&j("\"a,b,\""), &j("\",\""))), "[\"a\",\"b\",\"\"]");
    assert_eq!(text(div(&j("\"\""), &j("\",\""))), "[]");
    assert_eq!(text(rem(&j("7"), &j("3"))), "1");
    assert_eq!(text(rem(&j("-7"), &j("3"))), "-1");
    assert_eq!(text(rem(&j("7.9"), &j("3.9"))), "1");
    assert_eq!(
        text(rem(&j("1"), &j("0.5"))),
        "error: number (1) and number (0.5) cannot be divided (remainder) because the divisor is zero"
    );
    assert_eq!(text(neg(&num("1.50"))), "-1.50");
    assert_eq!(
        text(neg(&j("\"a\""))),
        "error: string (\"a\") cannot be negated"
    );
    assert_eq!(text(mul(&infinite(), &j("1"))), "1.7976931348623157e+308");
    assert_eq!(
        text(mul(&num("1e1000"), &j("1"))),
        "1.7976931348623157e+308"
    );
    assert_eq!(text(Ok(num("1e1000"))), "1E+1000");
}

#[test]
fn ordering() {
    let order = [
        "null",
        "false",
        "true",
        "-1",
        "0",
        "1.5",
        "\"\"",
        "\"a\"",
        "\"b\"",
        "[]",
        "[1]",
        "[1,0]",
        "{}",
        "{\"a\":2}",
        "{\"a\":1,\"b\":0}",
        "{\"b\":0}",
    ];
    for (i, a) in order.iter().enumerate() {
        for (k, b) in order.iter().enumerate() {
            assert_eq!(compare(&j(a), &j(b)), i.cmp(&k), "{a} vs {b}");
        }
    }
    assert_eq!(compare(&nan(), &j("-1e300")), Ordering::Less);
    assert!(lt(&nan(), &nan()), "jq: nan < nan");
    assert!(!eq(&nan(), &nan()));
    assert!(eq(&j("{\"a\":1,\"b\":[1.0]}"), &j("{\"b\":[1],\"a\":1}")));
    assert!(ne(&j("1"), &j("\"1\"")));
    assert!(ge(&j("2"), &j("2")) && le(&j("2"), &j("2")) && !gt(&j("2"), &j("2")));
}

#[test]
fn collection_builtins() {
    assert_eq!(text(length(&num("-5.50"))), "5.50");
    assert_eq!(
        text(length(&Value::Bool(true))),
        "error: boolean (true) has no length"
    );
    assert_eq!(text(keys(&j("-7"))), "error: number (-7) has no keys");
    assert_eq!(
        text(keys_unsorted(&j("{\"b\":1,\"a\":2}"))),
        "[\"b\",\"a\"]"
    );
    assert_eq!(text(has(&j("[1,2]"), &j("-0.5"))), "true");
    assert_eq!(
        text(has(&j("[1]"), &j("\"a\""))),
        "error: Cannot check whether array has a string key"
    );
    assert_eq!(
        text(from_entries(&j("[{\"name\":\"a\",\"value\":1},{\"k\":\"b\",\"Key\":\"c\",\"Value\":2},{\"key\":false,\"Name\":\"d\",\"value\":null}]"))),
        "{\"a\":1,\"c\":2,\"d\":null}"
    );
    assert_eq!(text(from_entries(&j("[]"))), "{}");
    assert_eq!(
        text(from_entries(&j("[{\"value\":1}]"))),
        "error: Cannot use null (null) as object key"
    );
    assert_eq!(
        text(to_entries(&j("[\"x\"]"))),
        "[{\"key\":0,\"value\":\"x\"}]"
    );
    assert_eq!(text(add_all(&j("{\"a\":[1],\"b\":[2]}"))), "[1,2]");
    assert_eq!(
        text(add_all(&Value::Null)),
        "error: Cannot iterate over null (null)"
    );
    assert_eq!(text(unique(&j("[3,1,\"a\",1,null]"))), "[null,1,3,\"a\"]");
    assert_eq!(text(min(&j("[]"))), "null");
    assert_eq!(
        text(max(&j("{\"a\":1}"))),
        "error: object ({\"a\":1}) and object ({\"a\":1}) cannot be iterated over"
    );
    assert_eq!(
        text(max_by_keys(
            &j("[1,2,3]"),
            vec![j("[1]"), j("[1]"), j("[0]")]
        )),
        "2"
    );
    assert_eq!(
        text(sort_by_keys(&j("{\"a\":1}"), vec![j("[1]")])),
        "error: object ({\"a\":1}) and array ([[1]]) cannot be sorted, as they are not both arrays"
    );
    assert_eq!(
        text(reverse(&j("\"abc\""))),
        "error: Cannot index string with number (2)"
    );
    assert_eq!(text(reverse(&Value::Null)), "[]");
    assert_eq!(
        text(contains(&Value::Null, &j("\"_\""))),
        "error: null (null) and string (\"_\") cannot have their containment checked"
    );
    assert_eq!(text(contains(&j("{\"a\":1}"), &j("{\"b\":null}"))), "false");
    assert_eq!(
        text(flatten_depth(&j("[[[1]]]"), &j("-1"))),
        "error: flatten depth must not be negative"
    );
    assert_eq!(text(indices(&j("\"aéaa\""), &j("\"a\""))), "[0,2,3]");
    assert_eq!(text(indices(&j("\"aaa\""), &j("\"aa\""))), "[0,1]");
    assert_eq!(text(abs(&j("\"abc\""))), "\"abc\"");
    assert_eq!(
        text(floor(&j("\"x\""))),
        "error: string (\"x\") number required"
    );
}

#[test]
fn walk_keeps_first_outputs_in_objects_and_all_in_arrays() {
    // Numbers yield twice, 2 yields nothing, everything else itself.
    let mut f = |v: &Value| -> R<Vec<Value>> {
        Ok(match v {
            Value::Number(_) if *v == num("2") => Vec::new(),
            Value::Number(_) => vec![v.clone(), v.clone()],
            _ => vec![v.clone()],
        })
    };
    let out = walk(&j("[1,{\"a\":2,\"b\":3},[2]]"), &mut f).unwrap();
    let texts: Vec<String> = out.into_iter().map(|v| text(Ok(v))).collect();
    assert_eq!(texts, ["[1,1,{\"b\":3},[]]"]);
    let mut failing = |_: &Value| -> R<Vec<Value>> { Err(Error::msg("boom")) };
    assert!(walk(&j("[1]"), &mut failing).is_err());
}

#[test]
fn transpose_and_bsearch() {
    assert_eq!(text(transpose(&j("[[1],[2,3]]"))), "[[1,2],[null,3]]");
    assert_eq!(text(transpose(&j("[]"))), "[]");
    // `.[][$i]` on a row that is not an array raises jq's indexing error.
    assert_eq!(
        text(transpose(&j("[[1],\"ab\"]"))),
        "error: Cannot index string with number (0)"
    );
    assert_eq!(text(bsearch(&j("[1,3,5]"), &j("5"))), "2");
    assert_eq!(text(bsearch(&j("[1,3,5]"), &j("2"))), "-2");
    assert_eq!(text(bsearch(&j("[1,3,5]"), &j("9"))), "-4");
    assert_eq!(text(bsearch(&j("[]"), &j("1"))), "-1");
    assert_eq!(
        text(bsearch(&j("{\"a\":1}"), &j("1"))),
        "error: object ({\"a\":1}) cannot be searched from"
    );
}

#[test]
fn string_builtins() {
    assert_eq!(
        text(ltrimstr(&j("5"), &j("\"a\""))),
        "error: startswith() requires string inputs"
    );
    assert_eq!(
        text(split(&Value::Null, &j("\",\""))),
        "error: split input and separator must be strings"
    );
    assert_eq!(
        text(split(&j("\"abc\""), &j("\"\""))),
        "[\"a\",\"b\",\"c\"]"
    );
    assert_eq!(
        text(join(&j("[\"a\",null,\"b\"]"), &j("\",\""))),
        "\"a,,b\""
    );
    assert_eq!(text(join(&j("[]"), &j("\",\""))), "\"\"");
    assert_eq!(
        text(join(&j("[\"a\",[1]]"), &j("\",\""))),
        "error: string (\"a,\") and array ([1]) cannot be added"
    );
    assert_eq!(text(join(&j("[1,2]"), &Value::Null)), "\"12\"");
    assert_eq!(
        text(explode(&Value::Null)),
        "error: explode input must be a string"
    );
    assert_eq!(text(implode(&j("[65,-1,55296]"))), "\"A\u{FFFD}\u{FFFD}\"");
    assert_eq!(text(tonumber(&j("\"1.50\""))), "1.50");
    assert_eq!(
        text(tonumber(&j("\" 1\""))),
        "error: string (\" 1\") cannot be parsed as a number"
    );
    assert_eq!(
        text(tonumber(&j("\"12a\""))),
        "error: string (\"12a\") cannot be parsed as a number"
    );
    assert_eq!(
        text(tonumber(&Value::Null)),
        "error: null (null) cannot be parsed as a number"
    );
    assert_eq!(text(tonumber(&j("\"-0012\""))), "-12");
    assert_eq!(
        text(tostring(&j("[1,\"a\",null]"))),
        "\"[1,\\\"a\\\",null]\""
    );
    assert_eq!(
        text(fromjson(&Value::Null)),
        "error: null (null) only strings can be parsed"
    );
    assert!(fromjson(&j("\"{\\\"a\\\":\""))
        .unwrap_err()
        .message()
        .ends_with("(while parsing '{\"a\":')"));
    assert_eq!(text(trim(&j("\"\\u00a0 x\\u3000\""))), "\"x\"");
    assert_eq!(text(trim(&j("1"))), "error: trim input must be a string");
    let mut out = String::new();
    push_interpolated(&mut out, &j("\"s\""));
    push_interpolated(&mut out, &j("{\"a\":[1.0]}"));
    assert_eq!(out, "s{\"a\":[1.0]}");
}

#[test]
fn formats_of_jq_test_string() {
    // jq.test: `@text,@json,([1,.]|@csv,@tsv),@html,(@uri|.,@urid),@sh,(@base64|.,@base64d)`
    let input = j(r#""!()<>&'\"\t""#);
    let row = Value::from(vec![j("1"), input.clone()]);
    let uri = format("@uri", &input).unwrap();
    let b64 = format("@base64", &input).unwrap();
    let got: Vec<String> = [
        format("@text", &input),
        format("@json", &input),
        format("@csv", &row),
        format("@tsv", &row),
        format("@html", &input),
        Ok(uri.clone()),
        format("@urid", &uri),
        format("@sh", &input),
        Ok(b64.clone()),
        format("@base64d", &b64),
    ]
    .into_iter()
    .map(text)
    .collect();
    let want = [
        r#""!()<>&'\"\t""#,
        r#""\"!()<>&'\\\"\\t\"""#,
        r#""1,\"!()<>&'\"\"\t\"""#,
        r#""1\t!()<>&'\"\\t""#,
        r#""!()&lt;&gt;&amp;&apos;&quot;\t""#,
        r#""%21%28%29%3C%3E%26%27%22%09""#,
        r#""!()<>&'\"\t""#,
        r#""'!()<>&'\\''\"\t'""#,
        r#""ISgpPD4mJyIJ""#,
        r#""!()<>&'\"\t""#,
    ];
    assert_eq!(got, want);
    assert_eq!(
        text(format("@base64", &j("\"foóbar\\n\""))),
        "\"Zm/Ds2Jhcgo=\""
    );
    assert_eq!(
        text(format("@base64d", &j("\"Zm/Ds2Jhcgo=\""))),
        "\"foóbar\\n\""
    );
}

#[test]
fn jq_test_number_cases() {
    // From jq 1.8.2's tests/jq.test.
    assert_eq!(text(div(&j("1"), &num("1e-17"))), "1e+17");
    assert_eq!(
        text(sub(
            &add(&num("1e-19"), &num("1e-20")).unwrap(),
            &num("5e-21")
        )),
        "1.05e-19"
    );
    for (lit, want) in [
        ("9E999999999", "9E+999999999"),
        ("9999999999E999999990", "9.999999999E+999999999"),
        ("1E-999999999", "1E-999999999"),
        ("0.000000001E-999999990", "1E-999999999"),
    ] {
        assert_eq!(text(Ok(num(lit))), want);
    }
    let big = j("13911860366432393");
    assert_eq!(text(tostring(&big)), "\"13911860366432393\"");
    assert_eq!(text(sub(&big, &j("10"))), "13911860366432382");
    assert_eq!(text(neg(&big)), "-13911860366432393");
    assert!(!eq(&big, &num("13911860366432392")));
    for (n, want) in [
        ("-9007199254740993", "-9007199254740992"),
        ("9007199254740993", "9007199254740992"),
    ] {
        let computed = add(&j(n), &j("0")).unwrap();
        assert_eq!(text(tostring(&computed)), format!("\"{want}\""));
        assert!(
            eq(&computed, &j(n)),
            "{n}: computed equals the literal by double value"
        );
    }
    let all_one = j("[1, 1.0, 1.000, 100e-2, 1e+0, 0.0001e4]");
    assert!(iterate(&all_one).unwrap().iter().all(|v| eq(v, &j("1"))));
    let mods: Vec<String> = [
        (infinite(), j("1")),
        (infinite(), j("-1")),
        (infinite(), infinite()),
        (neg(&infinite()).unwrap(), infinite()),
    ]
    .iter()
    .map(|(a, b)| text(rem(a, b)))
    .collect();
    assert_eq!(mods, ["0", "0", "0", "-1"]);
    assert_eq!(text(rem(&j("25"), &j("7"))), "4");
    assert_eq!(text(isnan(&rem(&nan(), &j("1")).unwrap())), "true");
    for nan_text in ["\"nan\"", "\"NaN\"", "\"-NaN\""] {
        assert_eq!(text(isnan(&fromjson(&j(nan_text)).unwrap())), "true");
    }
    assert_eq!(
        text(
            implode(&j("[-1,0,1114111,1114112,55295,55296,57343,57344,1.1,1.9]"))
                .and_then(|s| explode(&s))
        ),
        "[65533,0,1114111,65533,55295,65533,65533,57344,1,1]"
    );
    assert_eq!(
        text(implode(&j("[\"a\"]"))),
        "error: string (\"a\") can't be imploded, unicode codepoint needs to be numeric"
    );
    assert_eq!(
        text(implode(&Value::from(vec![nan()]))),
        "error: number (null) can't be imploded, unicode codepoint needs to be numeric"
    );
    assert_eq!(
        text(utf8bytelength(&j("[1,2]"))),
        "error: array ([1,2]) only strings have UTF-8 byte length"
    );
    assert_eq!(
        text(setpath(&j("{\"hi\":\"hello\"}"), &j("[1]"), &j("1"))),
        "error: Cannot index object with number (1)"
    );
    assert_eq!(
        text(setpath(&j("[]"), &j("[[1]]"), &j("1"))),
        "error: Cannot update field at array index of array"
    );
    assert_eq!(text(delpaths(&j("[1,2,3]"), &j("[[-200]]"))), "[1,2,3]");
    assert_eq!(text(setpath(&j("[0]"), &j("[-1]"), &j("1"))), "[1]");
    assert_eq!(text(indices(&j("\"🇬🇧oo\""), &j("\"o\""))), "[2,3]");
    assert_eq!(
        text(join(
            &j("[\"1\",\"2\",{\"a\":{\"b\":{\"c\":33}}}]"),
            &j("\",\"")
        )),
        "error: string (\"1,2,\") and object ({\"a\":{\"b\":{\"c\":33}}}) cannot be added"
    );
    assert_eq!(
        text(join(&j("[\"1\",2,true,false,3.4]"), &j("\",\""))),
        "\"1,2,true,false,3.4\""
    );
}

#[test]
fn formats() {
    assert_eq!(
        text(format("@csv", &j("[1,\"a\\\"b\",null,true]"))),
        "\"1,\\\"a\\\"\\\"b\\\",,true\""
    );
    assert_eq!(
        text(format("@tsv", &j("[\"a\\tb\",\"c\\\\\"]"))),
        "\"a\\\\tb\\tc\\\\\\\\\""
    );
    assert_eq!(text(format("@uri", &j("\"a b/é\""))), "\"a%20b%2F%C3%A9\"");
    assert_eq!(
        text(format("@html", &j("\"<'&\\\">\""))),
        "\"&lt;&apos;&amp;&quot;&gt;\""
    );
    assert_eq!(text(format("@sh", &j("[\"a'b\",1]"))), "\"'a'\\\\''b' 1\"");
    assert_eq!(text(format("@base64", &j("\"ab\""))), "\"YWI=\"");
    assert_eq!(text(format("@base64d", &j("\"YWI\""))), "\"ab\"");
    assert_eq!(text(format("@json", &j("\"x\""))), "\"\\\"x\\\"\"");
    assert_eq!(
        text(format("@csv", &j("{}"))),
        "error: object ({}) cannot be csv-formatted, only array"
    );
}

#[test]
fn paths_and_updates() {
    let doc = j("{\"a\":{\"b\":1},\"c\":[1,2,3]}");
    let steps = [PathKey::Keys(vec![j("\"c\"")]), PathKey::Iterate];
    let doubled = update_path(doc.clone(), &steps, &mut |v| Ok(Some(mul(&v, &j("2"))?))).unwrap();
    assert_eq!(tojson_string(&doubled), "{\"a\":{\"b\":1},\"c\":[2,4,6]}");
    let removed = update_path(doc.clone(), &steps, &mut |v| {
        Ok(if eq(&v, &j("2")) { None } else { Some(v) })
    })
    .unwrap();
    assert_eq!(tojson_string(&removed), "{\"a\":{\"b\":1},\"c\":[1,3]}");
    let created = update_path(
        Value::Null,
        &[
            PathKey::Keys(vec![j("\"x\"")]),
            PathKey::Keys(vec![j("\"y\"")]),
        ],
        &mut |_| Ok(Some(j("1"))),
    )
    .unwrap();
    assert_eq!(tojson_string(&created), "{\"x\":{\"y\":1}}");
    let sliced = update_path(
        j("[1,2,3]"),
        &[PathKey::Slice(j("1"), Value::Null)],
        &mut |_| Ok(Some(j("[9]"))),
    )
    .unwrap();
    assert_eq!(tojson_string(&sliced), "[1,9]");
    assert_eq!(
        text(setpath(&j("[1]"), &j("[-3]"), &j("0"))),
        "error: Out of bounds negative array index"
    );
    assert_eq!(text(setpath(&j("[]"), &j("[2]"), &j("1"))), "[null,null,1]");
    assert_eq!(
        text(delpaths(
            &j("[1,2,3,4]"),
            &j("[[0],[-1],[{\"start\":1,\"end\":2}]]")
        )),
        "[3]"
    );
    assert_eq!(
        text(getpath(&j("{\"a\":null}"), &j("[\"a\",\"b\",0]"))),
        "null"
    );
    let all: Vec<String> = recurse_values(&j("{\"a\":[1,{\"b\":2}]}"))
        .map(|v| tojson_string(&v))
        .collect();
    assert_eq!(
        all,
        [
            "{\"a\":[1,{\"b\":2}]}",
            "[1,{\"b\":2}]",
            "1",
            "{\"b\":2}",
            "2"
        ]
    );
}

#[test]
fn control_helpers() {
    let r: Vec<String> = range_values(&j("0"), &j("10"), &j("3"))
        .unwrap()
        .map(|v| tojson_string(&v))
        .collect();
    assert_eq!(r, ["0", "3", "6", "9"]);
    assert_eq!(
        range_values(&j("0"), &j("-5"), &j("-1")).unwrap().count(),
        5
    );
    assert_eq!(range_values(&j("0"), &j("5"), &j("0")).unwrap().count(), 0);
    assert!(range_values(&j("\"a\""), &j("5"), &j("1")).is_err());
    assert_eq!(limit_count(&j("3")).unwrap(), 3.0);
    assert_eq!(
        limit_count(&j("-1")).unwrap_err().message(),
        "limit doesn't support negative count"
    );
    let e = error(&j("{\"a\":1}"));
    assert_eq!(e.message(), "{\"a\":1} (not a string)");
    assert_eq!(tojson_string(&catch_value(e).unwrap()), "{\"a\":1}");
    let mut map = Map::new();
    assert_eq!(
        object_insert(&mut map, j("1"), Value::Null)
            .unwrap_err()
            .message(),
        "Cannot use number (1) as object key"
    );
}
