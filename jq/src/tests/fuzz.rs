//! Randomised parser checks against serde_json (deterministic seed, no deps).

use super::super::*;

/// JSON equality with numbers equal up to the last bit: serde_json's default
/// float parsing is not always correctly rounded (ours is).
fn close_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x == y || (x - y).abs() <= 1e-15 * x.abs().max(y.abs())
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close_json(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| close_json(p, q)))
        }
        _ => a == b,
    }
}

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn gen_string(rng: &mut Rng, out: &mut String) {
    out.push('"');
    for _ in 0..rng.below(12) {
        out.push_str(rng.pick(&[
            "a",
            "Z",
            " ",
            "é",
            "😀",
            "\\n",
            "\\\"",
            "\\\\",
            "\\/",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\\t",
            "\\u0000",
            "abcdefghij",
            "\u{7f}",
        ]));
    }
    out.push('"');
}

fn gen_value(rng: &mut Rng, depth: u32, out: &mut String) {
    let kind = if depth > 4 {
        rng.below(4)
    } else {
        rng.below(7)
    };
    match kind {
        0 => out.push_str(rng.pick(&["null", "true", "false"])),
        1 => out.push_str(rng.pick(&[
            "0",
            "-0",
            "1",
            "-17",
            "3.0",
            "1.50",
            "1e-07",
            "2E+3",
            "123456789012345678901",
            "0.1",
            "1e308",
            "-2.5e-300",
            "9007199254740993",
        ])),
        2 | 3 => gen_string(rng, out),
        4 | 5 => {
            out.push('{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(rng.pick(&["", " ", "\n"]));
                gen_string(rng, out);
                out.push(':');
                gen_value(rng, depth + 1, out);
            }
            out.push('}');
        }
        _ => {
            out.push('[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push_str(rng.pick(&[",", " ,", ", "]));
                }
                gen_value(rng, depth + 1, out);
            }
            out.push(']');
        }
    }
}

#[test]
fn random_documents_parse_like_serde() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3_000 {
        let mut text = String::new();
        gen_value(&mut rng, 0, &mut text);
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ours = parse_json(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(
            close_json(&ours.to_serde(), &theirs),
            "{text}\nours {}\nserde {}",
            ours.to_serde(),
            theirs
        );
        // Writing and re-reading keeps the value.
        assert_eq!(parse_json(tojson_string(&ours).as_bytes()).unwrap(), ours);

        // Damage the text: we must never panic, and must accept whatever serde accepts.
        let mut bytes = text.clone().into_bytes();
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(3) {
            0 => bytes.truncate(at),
            1 => {
                bytes[at] = *b"{}[]\",:\\x0 "
                    .get(rng.below(12) as usize)
                    .unwrap_or(&b'x')
            }
            _ => {
                bytes.remove(at);
            }
        }
        let ours = parse_json(&bytes);
        if let Ok(theirs) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let ours =
                ours.unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&bytes)));
            assert!(close_json(&ours.to_serde(), &theirs));
        }
    }
}
