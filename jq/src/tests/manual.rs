//! The jq-manual examples that are plain builtin/operator calls, run through our
//! functions and compared with libjq 1.8.2's output text.

use super::super::*;
use super::cmp::{eq, gt, lt};
use super::{fixture, j};

type Case = fn(&Value) -> R<Vec<Value>>;

fn one(v: R<Value>) -> R<Vec<Value>> {
    v.map(|v| vec![v])
}

fn each(v: &Value, f: impl Fn(&Value) -> R<Value>) -> R<Vec<Value>> {
    iterate(v)?.iter().map(f).collect()
}

fn map_array(v: &Value, f: impl Fn(&Value) -> R<Value>) -> R<Vec<Value>> {
    one(Ok(Value::from(each(v, f)?)))
}

/// `sort_by(f)` style keys: `[f]` for each element.
fn keys_by(v: &Value, f: impl Fn(&Value) -> R<Vec<Value>>) -> R<Vec<Value>> {
    iterate(v)?.iter().map(|x| f(x).map(Value::from)).collect()
}

fn s(text: &str) -> Value {
    Value::from(text)
}

/// The implementation of a manual example, by its program text.
fn case(program: &str) -> Option<Case> {
    Some(match program {
        "." => |v| one(Ok(v.clone())),
        "[., tojson] == if have_decnum then [12345678909876543212345,\"12345678909876543212345\"] else [12345678909876543000000,\"12345678909876543000000\"] end" => {
            |v| {
                let pair = Value::from(vec![v.clone(), tojson(v)?]);
                one(Ok(Value::Bool(eq(&pair, &j("[12345678909876543212345,\"12345678909876543212345\"]")))))
            }
        }
        "[1234567890987654321,-1234567890987654321 | tojson] == if have_decnum then [\"1234567890987654321\",\"-1234567890987654321\"] else [\"1234567890987654400\",\"-1234567890987654400\"] end" => {
            |_| {
                let a = tojson(&Value::number_literal("1234567890987654321"))?;
                let b = tojson(&neg(&Value::number_literal("1234567890987654321"))?)?;
                let want = j("[\"1234567890987654321\",\"-1234567890987654321\"]");
                one(Ok(Value::Bool(eq(&Value::from(vec![a, b]), &want))))
            }
        }
        ". < 0.12345678901234567890123456788" => {
            |v| one(Ok(Value::Bool(lt(v, &Value::number_literal("0.12345678901234567890123456788")))))
        }
        "map([., . == 1]) | tojson == if have_decnum then \"[[1,true],[1.000,true],[1.0,true],[1.00,true]]\" else \"[[1,true],[1,true],[1,true],[1,true]]\" end" => {
            |v| {
                let pairs = map_array(v, |x| {
                    Ok(Value::from(vec![x.clone(), Value::Bool(eq(x, &Value::number_literal("1")))]))
                })?;
                let text = tojson(&pairs[0])?;
                one(Ok(Value::Bool(eq(&text, &s("[[1,true],[1.000,true],[1.0,true],[1.00,true]]")))))
            }
        }
        ". as $big | [$big, $big + 1] | map(. > 10000000000000000000000000000000) | . == if have_decnum then [true, false] else [false, false] end" => {
            |v| {
                let limit = Value::number_literal("10000000000000000000000000000000");
                let bigger = add(v, &Value::number_literal("1"))?;
                let got = Value::from(vec![Value::Bool(gt(v, &limit)), Value::Bool(gt(&bigger, &limit))]);
                one(Ok(Value::Bool(eq(&got, &j("[true,false]")))))
            }
        }
        ".foo" | ".foo?" => |v| one(index_field(v, "foo")),
        ".[\"foo\"]" | ".[\"foo\"]?" => |v| one(index(v, &s("foo"))),
        ".[0]" => |v| one(index(v, &Value::number_literal("0"))),
        ".[2]" => |v| one(index(v, &Value::number_literal("2"))),
        ".[-2]" => |v| one(index(v, &neg(&Value::number_literal("2"))?)),
        ".[2:4]" => |v| one(slice(v, &Value::number_literal("2"), &Value::number_literal("4"))),
        ".[:3]" => |v| one(slice(v, &Value::Null, &Value::number_literal("3"))),
        ".[-2:]" => |v| one(slice(v, &neg(&Value::number_literal("2"))?, &Value::Null)),
        ".[]" => iterate,
        ".foo[]" => |v| iterate(&index_field(v, "foo")?),
        ".[4,2]" => |v| Ok(vec![index(v, &Value::number_literal("4"))?, index(v, &Value::number_literal("2"))?]),
        "(. + 2) * 5" => |v| one(mul(&add(v, &Value::number_literal("2"))?, &Value::number_literal("5"))),
        ".a + 1" => |v| one(add(&index_field(v, "a")?, &Value::number_literal("1"))),
        ".a + .b" => |v| one(add(&index_field(v, "a")?, &index_field(v, "b")?)),
        ".a + null" => |v| one(add(&index_field(v, "a")?, &Value::Null)),
        "{a: 1} + {b: 2} + {c: 3} + {a: 42}" => |_| {
            let mut acc = j("{\"a\":1}");
            for o in ["{\"b\":2}", "{\"c\":3}", "{\"a\":42}"] {
                acc = add(&acc, &j(o))?;
            }
            one(Ok(acc))
        },
        "4 - .a" => |v| one(sub(&Value::number_literal("4"), &index_field(v, "a")?)),
        ". - [\"xml\", \"yaml\"]" => |v| one(sub(v, &j("[\"xml\",\"yaml\"]"))),
        "10 / . * 3" => |v| one(mul(&div(&Value::number_literal("10"), v)?, &Value::number_literal("3"))),
        ". / \", \"" => |v| one(div(v, &s(", "))),
        "{\"k\": {\"a\": 1, \"b\": 2}} * {\"k\": {\"a\": 0,\"c\": 3}}" => {
            |_| one(mul(&j("{\"k\": {\"a\": 1, \"b\": 2}}"), &j("{\"k\": {\"a\": 0,\"c\": 3}}")))
        }
        ".[] | (1 / .)?" => |v| Ok(iterate(v)?.iter().filter_map(|x| div(&Value::number_literal("1"), x).ok()).collect()),
        "map(abs)" => |v| map_array(v, abs),
        ".[] | length" => |v| each(v, length),
        "utf8bytelength" => |v| one(utf8bytelength(v)),
        "keys" => |v| one(keys(v)),
        "map(has(\"foo\"))" => |v| map_array(v, |x| has(x, &s("foo"))),
        "map(has(2))" => |v| map_array(v, |x| has(x, &Value::number_literal("2"))),
        ".[] | in({\"foo\": 42})" => |v| each(v, |x| in_(x, &j("{\"foo\": 42}"))),
        "map(in([0,1]))" => |v| map_array(v, |x| in_(x, &j("[0,1]"))),
        "del(.foo)" => |v| one(delpaths(v, &j("[[\"foo\"]]"))),
        "del(.[1, 2])" => |v| one(delpaths(v, &j("[[1],[2]]"))),
        "getpath([\"a\",\"b\"])" => |v| one(getpath(v, &j("[\"a\",\"b\"]"))),
        "[getpath([\"a\",\"b\"], [\"a\",\"c\"])]" => {
            |v| one(Ok(Value::from(vec![getpath(v, &j("[\"a\",\"b\"]"))?, getpath(v, &j("[\"a\",\"c\"]"))?])))
        }
        "setpath([\"a\",\"b\"]; 1)" => |v| one(setpath(v, &j("[\"a\",\"b\"]"), &j("1"))),
        "setpath([0,\"a\"]; 1)" => |v| one(setpath(v, &j("[0,\"a\"]"), &j("1"))),
        "delpaths([[\"a\",\"b\"]])" => |v| one(delpaths(v, &j("[[\"a\",\"b\"]]"))),
        "to_entries" => |v| one(to_entries(v)),
        "from_entries" => |v| one(from_entries(v)),
        "add" => |v| one(add_all(v)),
        "any" => |v| one(any0(v)),
        "all" => |v| one(all0(v)),
        "flatten" => |v| one(flatten(v)),
        "flatten(1)" => |v| one(flatten_depth(v, &j("1"))),
        "floor" => |v| one(floor(v)),
        "sqrt" => |v| one(sqrt(v)),
        ".[] | tonumber" => |v| each(v, tonumber),
        ".[] | toboolean" => |v| each(v, toboolean),
        ".[] | tostring" => |v| each(v, tostring),
        "map(type)" => |v| map_array(v, type_of),
        ".[] | (infinite * .) < 0" => |v| each(v, |x| Ok(Value::Bool(lt(&mul(&infinite(), x)?, &j("0"))))),
        "infinite, nan | type" => |_| Ok(vec![type_of(&infinite())?, type_of(&nan())?]),
        "sort" => |v| one(sort(v)),
        "sort_by(.foo)" => |v| one(sort_by_keys(v, keys_by(v, |x| Ok(vec![index_field(x, "foo")?]))?)),
        "sort_by(.foo, .bar)" => {
            |v| one(sort_by_keys(v, keys_by(v, |x| Ok(vec![index_field(x, "foo")?, index_field(x, "bar")?]))?))
        }
        "group_by(.foo)" => |v| one(group_by_keys(v, keys_by(v, |x| Ok(vec![index_field(x, "foo")?]))?)),
        "min" => |v| one(min(v)),
        "max_by(.foo)" => |v| one(max_by_keys(v, keys_by(v, |x| Ok(vec![index_field(x, "foo")?]))?)),
        "unique" => |v| one(unique(v)),
        "unique_by(.foo)" => |v| one(unique_by_keys(v, keys_by(v, |x| Ok(vec![index_field(x, "foo")?]))?)),
        "unique_by(length)" => |v| one(unique_by_keys(v, keys_by(v, |x| Ok(vec![length(x)?]))?)),
        "reverse" => |v| one(reverse(v)),
        "contains(\"bar\")" => |v| one(contains(v, &s("bar"))),
        "contains([\"baz\", \"bar\"])" => |v| one(contains(v, &j("[\"baz\", \"bar\"]"))),
        "contains([\"bazzzzz\", \"bar\"])" => |v| one(contains(v, &j("[\"bazzzzz\", \"bar\"]"))),
        "contains({foo: 12, bar: [{barp: 12}]})" => |v| one(contains(v, &j("{\"foo\": 12, \"bar\": [{\"barp\": 12}]}"))),
        "contains({foo: 12, bar: [{barp: 15}]})" => |v| one(contains(v, &j("{\"foo\": 12, \"bar\": [{\"barp\": 15}]}"))),
        "indices(\", \")" => |v| one(indices(v, &s(", "))),
        "indices(1)" => |v| one(indices(v, &j("1"))),
        "indices([1,2])" => |v| one(indices(v, &j("[1,2]"))),
        "index(\", \")" => |v| one(index_of(v, &s(", "))),
        "index(1)" => |v| one(index_of(v, &j("1"))),
        "index([1,2])" => |v| one(index_of(v, &j("[1,2]"))),
        "rindex(\", \")" => |v| one(rindex_of(v, &s(", "))),
        "rindex(1)" => |v| one(rindex_of(v, &j("1"))),
        "rindex([1,2])" => |v| one(rindex_of(v, &j("[1,2]"))),
        "inside(\"foobar\")" => |v| one(inside(v, &s("foobar"))),
        "inside([\"foobar\", \"foobaz\", \"blarp\"])" => |v| one(inside(v, &j("[\"foobar\", \"foobaz\", \"blarp\"]"))),
        "inside({\"foo\": 12, \"bar\":[1,2,{\"barp\":12, \"blip\":13}]})" => {
            |v| one(inside(v, &j("{\"foo\": 12, \"bar\":[1,2,{\"barp\":12, \"blip\":13}]}")))
        }
        "[.[]|startswith(\"foo\")]" => |v| map_array(v, |x| startswith(x, &s("foo"))),
        "[.[]|endswith(\"foo\")]" => |v| map_array(v, |x| endswith(x, &s("foo"))),
        "[.[]|ltrimstr(\"foo\")]" => |v| map_array(v, |x| ltrimstr(x, &s("foo"))),
        "[.[]|rtrimstr(\"foo\")]" => |v| map_array(v, |x| rtrimstr(x, &s("foo"))),
        "[.[]|trimstr(\"foo\")]" => |v| map_array(v, |x| trimstr(x, &s("foo"))),
        "trim, ltrim, rtrim" => |v| Ok(vec![trim(v)?, ltrim(v)?, rtrim(v)?]),
        "explode" => |v| one(explode(v)),
        "implode" => |v| one(implode(v)),
        "split(\", \")" => |v| one(split(v, &s(", "))),
        "join(\", \")" => |v| one(join(v, &s(", "))),
        "join(\" \")" => |v| one(join(v, &s(" "))),
        "ascii_upcase" => |v| one(ascii_upcase(v)),
        "[.[]|tostring]" => |v| map_array(v, tostring),
        "[.[]|tojson]" => |v| map_array(v, tojson),
        "[.[]|tojson|fromjson]" => |v| map_array(v, |x| fromjson(&tojson(x)?)),
        "@html" => |v| one(format("@html", v)),
        "@sh \"echo \\(.)\"" => |v| {
            let mut out = String::from("echo ");
            push_interpolated(&mut out, &format("@sh", v)?);
            one(Ok(Value::from(out)))
        },
        "@base64" => |v| one(format("@base64", v)),
        "@base64d" => |v| one(format("@base64d", v)),
        ". == false" => |v| one(Ok(Value::Bool(eq(v, &Value::Bool(false))))),
        ". == {\"b\": {\"d\": (4 + 1e-20), \"c\": 3}, \"a\":1}" => |v| {
            let d = add(&j("4"), &Value::number_literal("1e-20"))?;
            let mut inner = Map::new();
            inner.insert("d", d);
            inner.insert("c", j("3"));
            let mut outer = Map::new();
            outer.insert("b", Value::from(inner));
            outer.insert("a", j("1"));
            one(Ok(Value::Bool(eq(v, &Value::from(outer)))))
        },
        ".[] == 1" => |v| each(v, |x| Ok(Value::Bool(eq(x, &j("1"))))),
        ". < 5" => |v| one(Ok(Value::Bool(lt(v, &j("5"))))),
        _ => return None,
    })
}

#[test]
fn manual_examples_match_libjq() {
    let text = fixture("jq-manual.jsonl");
    let mut checked = 0;
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let program = record["program"].as_str().unwrap();
        let Some(run) = case(program) else { continue };
        let id = record["id"].as_str().unwrap();
        let input = j(record["input_text"].as_str().unwrap());
        let want: Vec<&str> = record["outputs_text"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap())
            .collect();
        match run(&input) {
            Ok(outputs) => {
                let got: Vec<String> = outputs.iter().map(tojson_string).collect();
                assert_eq!(got, want, "{id}: {program}");
                assert!(
                    record.get("outputs_error").is_none(),
                    "{id}: expected an error"
                );
            }
            Err(e) => assert_eq!(
                Some(e.message().as_str()),
                record["outputs_error"].as_str(),
                "{id}: {program}"
            ),
        }
        checked += 1;
    }
    // Guard against the table silently matching nothing.
    eprintln!("jq manual: {checked} examples checked");
    assert!(checked >= 100, "only {checked} manual examples matched");
}
