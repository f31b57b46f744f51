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

fn message(r: R<Value>) -> String {
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
    let n = Value::from(MAX_REPEAT_BYTES);
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
