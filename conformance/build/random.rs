//! Random programs from a small grammar over the compiled subset of jq: paths, literals,
//! operators, `if`, `try`, `reduce`/`foreach`, `as` bindings and destructuring, `label`/`break`,
//! arrays, objects, interpolated strings and formats, path updates, and calls of native and
//! jq-defined builtins with sub-programs as arguments.
//!
//! Fixed seed and bounded depth, so the same programs every build. Nothing that depends on the
//! clock or the environment (`now`, `env`, `$ENV`, local time) is generated, and sizes that
//! could allocate without bound are literals: `range`, `limit`, `nth` and `skip` counts, and
//! update paths (a path key read from the input could be `1e12`).

use crate::programs::{Case, Expect};
use opsgenie_port_compiler::jq::builtins::{Imp, NATIVES};

const SEED: u64 = 0x6A09_E667_F3BC_C908;
/// Nesting bound: the generated Rust grows with nesting (`if`, `and`, `//` duplicate their
/// continuation), so this keeps the crate's compile time in check.
const MAX_DEPTH: u32 = 4;

/// xorshift64*: small, deterministic, good enough to pick productions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

// Repeats weight the choice: the common shapes, which fail less often than
// arithmetic on mixed types, so more programs get past their first step.
const PATHS: &[&str] = &[
    ".", ".", ".a", ".a", ".b", ".b", ".c", ".a.b", ".[0]?", ".[-1]", ".[]?", ".[]?", ".a?",
    ".[1:]", ".a[0]?", ".[\"c\"]",
];
const LITERALS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "1",
    "2",
    "-1",
    "0.5",
    "10",
    "3.0",
    "\"a\"",
    "\"b c\"",
    "\"é☃\"",
    "\"\"",
    "\"a,b\"",
    "[]",
    "{}",
    "[1, 2]",
    "{\"a\": 1}",
];
const BINOPS: &[&str] = &[
    "+", "+", "-", "*", "/", "%", "==", "==", "!=", "<", "<=", ">", ">=", "and", "and", "or", "or",
    "//", "//",
];
const FORMATS: &[&str] = &[
    "@text", "@json", "@html", "@uri", "@csv", "@tsv", "@sh", "@base64", "@base64d",
];
const PATTERNS: &[&str] = &[
    "\"a\"",
    "\"[a-z]+\"",
    "\"(?<x>\\\\d)\"",
    "\"\"",
    "\"é|b\"",
    "\"^.\"",
    "\"(?<x>a)(?<y>b)?\"",
];
/// Builtins whose filter argument runs per element or as a predicate.
const CLOSURES: &[&str] = &[
    "map",
    "select",
    "sort_by",
    "group_by",
    "unique_by",
    "min_by",
    "max_by",
    "first",
    "last",
    "isempty",
    "any",
    "all",
    "add",
    "with_entries",
    "map_values",
    "walk",
    "IN",
];
const ZERO_ARITY: &[&str] = &[
    "values",
    "nulls",
    "strings",
    "numbers",
    "arrays",
    "objects",
    "iterables",
    "scalars",
    "booleans",
    "recurse",
    "first",
    "last",
    "empty",
];
const UPDATE_PATHS: &[&str] = &[".a", ".b", ".a.b", ".[0]", ".[]", ".a[1]", ".[1:]"];
const UPDATE_OPS: &[&str] = &["|=", "=", "+=", "-=", "//=", "*="];
/// Builtins that fail unless their input is a string.
const STRING_INPUT: &[&str] = &[
    "test",
    "explode",
    "trim",
    "ltrim",
    "rtrim",
    "ascii_downcase",
    "ascii_upcase",
    "fromjson",
    "utf8bytelength",
    "startswith",
    "endswith",
    "split",
    "strptime",
    "fromdate",
    "fromdateiso8601",
];
/// Natives left out: they read the clock, the environment or the local time zone, or (setpath)
/// could be asked for a terabyte array.
const EXCLUDED: &[&str] = &[
    "now",
    "env",
    "localtime",
    "strflocaltime",
    "mktime",
    "setpath",
];

struct Gen {
    rng: Rng,
    vars: Vec<String>,
    labels: Vec<String>,
    next: u32,
    natives: Vec<(&'static str, usize)>,
}

/// Random programs, without end (the caller takes as many distinct ones as it needs).
pub fn programs() -> impl Iterator<Item = Case> {
    let natives = NATIVES
        .iter()
        .filter(|n| !n.name.starts_with('$') && !EXCLUDED.contains(&n.name))
        .filter(|n| !matches!(n.imp, Imp::Binary(_)))
        .map(|n| (n.name, n.imp.arity()))
        .collect();
    let mut g = Gen {
        rng: Rng(SEED),
        vars: Vec::new(),
        labels: Vec::new(),
        next: 0,
        natives,
    };
    std::iter::from_fn(move || {
        g.next = 0;
        // Small programs as well as large: every node of a large one is a chance to fail
        // before the later ones run.
        let depth = 2 + g.rng.below(MAX_DEPTH as usize - 1) as u32;
        Some(Case {
            program: g.compound(depth),
            group: "random".to_string(),
            expect: Expect::Random,
        })
    })
}

impl Gen {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("${prefix}{}", self.next)
    }

    fn atom(&mut self) -> String {
        let r = self.rng.below(100);
        if r < 10 && !self.vars.is_empty() {
            return self.rng.pick(&self.vars).clone();
        }
        if r < 45 {
            // Half optional: indexing a value of the wrong type is the most common error, and
            // a program that always fails at its first step tests little beyond it.
            let path = *self.rng.pick(PATHS);
            return if path != "." && !path.ends_with('?') && self.rng.chance(50) {
                format!("{path}?")
            } else {
                path.to_string()
            };
        }
        if r < 75 {
            return self.rng.pick(LITERALS).to_string();
        }
        if r < 80 {
            return self.rng.pick(FORMATS).to_string();
        }
        if r < 87 {
            return self.rng.pick(ZERO_ARITY).to_string();
        }
        if r < 90 && !self.labels.is_empty() {
            return format!("break {}", self.rng.pick(&self.labels));
        }
        let arity0: Vec<&str> = self
            .natives
            .iter()
            .filter(|(_, a)| *a == 0)
            .map(|(n, _)| *n)
            .collect();
        self.rng.pick(&arity0).to_string()
    }

    /// A program of nesting at most `depth`.
    fn filter(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self.atom();
        }
        self.compound(depth)
    }

    /// `filter` in parentheses unless it is an atom: where jq's grammar wants a term (a `try`
    /// body, a `reduce` source, the left of `as`, an object value).
    fn term(&mut self, depth: u32) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self.atom();
        }
        format!("({})", self.compound(depth))
    }

    /// A program that is not an atom.
    fn compound(&mut self, depth: u32) -> String {
        let d = depth - 1;
        match self.rng.below(22) {
            0 | 1 => format!("{} | {}", self.filter(d), self.filter(d)),
            2 => format!("{}, {}", self.filter(d), self.filter(d)),
            3 | 4 => {
                let op = *self.rng.pick(BINOPS);
                format!("({}) {op} ({})", self.filter(d), self.filter(d))
            }
            5 => {
                let (c, t) = (self.filter(d), self.filter(d));
                match self.rng.below(3) {
                    0 => format!("if {c} then {t} end"),
                    1 => format!("if {c} then {t} else {} end", self.filter(d)),
                    _ => format!(
                        "if {c} then {t} elif {} then {} else {} end",
                        self.filter(d),
                        self.filter(d),
                        self.filter(d)
                    ),
                }
            }
            6 => match self.rng.below(3) {
                0 => format!("try {} catch {}", self.term(d), self.term(d)),
                1 => format!("try {}", self.term(d)),
                _ => format!("({})?", self.filter(d)),
            },
            7 => self.fold(d),
            8 | 9 => self.bind(d),
            10 => {
                let label = self.fresh("l");
                self.labels.push(label.clone());
                let body = self.filter(d);
                self.labels.pop();
                format!("label {label} | {body}")
            }
            11 => format!("[{}]", self.filter(d)),
            12 => self.object(d),
            13 => self.string(d),
            14 | 15 => self.native_call(d),
            16 | 17 => self.closure_call(d),
            18 => self.regex_call(d),
            19 => {
                let path = *self.rng.pick(UPDATE_PATHS);
                let op = *self.rng.pick(UPDATE_OPS);
                format!("{path} {op} ({})", self.filter(d))
            }
            20 => self.counted_call(d),
            _ => match self.rng.below(3) {
                0 => format!("-({})", self.filter(d)),
                1 => format!("{} // {}", self.term(d), self.atom()),
                _ => {
                    let path = *self.rng.pick(&[".a", ".[0]", ".a.b", ".[0]"]);
                    let f = ["path", "del", "pick"][self.rng.below(3)];
                    format!("{f}({path})")
                }
            },
        }
    }

    fn with_var<T>(&mut self, var: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        self.vars.push(var.to_string());
        let out = f(self);
        self.vars.pop();
        out
    }

    /// `reduce`/`foreach`, binding a variable or an array pattern.
    fn fold(&mut self, d: u32) -> String {
        let mut source = self.term(d);
        let init = self.filter(d);
        let var = self.fresh("x");
        let (pattern, bound) = if self.rng.chance(30) {
            let second = self.fresh("x");
            source = self.arrays_of(&source);
            (format!("[{var}, {second}]"), vec![var, second])
        } else {
            (var.clone(), vec![var])
        };
        let n = self.vars.len();
        self.vars.extend(bound);
        let update = self.filter(d);
        let text = match self.rng.below(3) {
            0 => format!("reduce {source} as {pattern} ({init}; {update})"),
            1 => format!("foreach {source} as {pattern} ({init}; {update})"),
            _ => {
                let extract = self.filter(d);
                format!("foreach {source} as {pattern} ({init}; {update}; {extract})")
            }
        };
        self.vars.truncate(n);
        text
    }

    /// `f as $x | g`, or a destructuring pattern.
    fn bind(&mut self, d: u32) -> String {
        let source = self.term(d);
        let var = self.fresh("v");
        match self.rng.below(4) {
            0 => {
                let source = self.arrays_of(&source);
                let other = self.fresh("v");
                let n = self.vars.len();
                self.vars.extend([var.clone(), other.clone()]);
                let body = self.filter(d);
                self.vars.truncate(n);
                format!("{source} as [{var}, {other}] | {body}")
            }
            1 => {
                let source = if self.rng.chance(70) {
                    format!("{{a: {source}}}")
                } else {
                    source
                };
                let body = self.with_var(&var, |g| g.filter(d));
                format!("{source} as {{a: {var}}} | {body}")
            }
            _ => {
                let body = self.with_var(&var, |g| g.filter(d));
                format!("{source} as {var} | {body}")
            }
        }
    }

    fn object(&mut self, d: u32) -> String {
        let mut entries = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let key = match self.rng.below(4) {
                0 => "a".to_string(),
                1 => "\"b c\"".to_string(),
                2 => format!("({} | tostring)", self.filter(d)),
                _ => format!("\"k\\({})\"", self.filter(d)),
            };
            entries.push(format!("{key}: {}", self.term(d)));
        }
        format!("{{{}}}", entries.join(", "))
    }

    fn string(&mut self, d: u32) -> String {
        let body = format!("x\\({})y\\({})", self.filter(d), self.atom());
        if self.rng.chance(40) {
            format!("{} \"{body}\"", self.rng.pick(FORMATS))
        } else {
            format!("\"{body}\"")
        }
    }

    /// `source` as the value an array pattern destructures: mostly `[source]`, an array.
    fn arrays_of(&mut self, source: &str) -> String {
        if self.rng.chance(70) {
            format!("[{source}]")
        } else {
            source.to_string()
        }
    }

    /// The input of a builtin that wants a string: mostly made one with `tostring`.
    fn stringly(&mut self, name: &str) -> &'static str {
        if STRING_INPUT.contains(&name) && self.rng.chance(60) {
            "tostring | "
        } else {
            ""
        }
    }

    fn native_call(&mut self, d: u32) -> String {
        let (name, arity) = *self.rng.pick(&self.natives);
        if arity == 0 {
            let to_string = self.stringly(name);
            return format!("{} | {to_string}{name}", self.filter(d));
        }
        if let Some(to_string) = Some(self.stringly(name)).filter(|s| !s.is_empty()) {
            let args: Vec<String> = (0..arity).map(|_| self.filter(d)).collect();
            return format!("{to_string}{name}({})", args.join("; "));
        }
        let args: Vec<String> = (0..arity).map(|_| self.filter(d)).collect();
        format!("{name}({})", args.join("; "))
    }

    fn closure_call(&mut self, d: u32) -> String {
        let name = *self.rng.pick(CLOSURES);
        if matches!(name, "any" | "all") && self.rng.chance(50) {
            return format!("{name}({}; {})", self.filter(d), self.filter(d));
        }
        format!("{name}({})", self.filter(d))
    }

    fn regex_call(&mut self, d: u32) -> String {
        let pattern = *self.rng.pick(PATTERNS);
        let flags = *self
            .rng
            .pick(&["", "; \"g\"", "; \"i\"", "; null", "; \"gx\""]);
        let text = self.stringly("test");
        format!("{text}{}", self.regex(pattern, flags, d))
    }

    fn regex(&mut self, pattern: &str, flags: &str, d: u32) -> String {
        match self.rng.below(8) {
            0 => format!("test({pattern}{flags})"),
            1 => format!("[match({pattern}{flags})]"),
            2 => format!("capture({pattern}{flags})"),
            3 => format!("[scan({pattern}{flags})]"),
            4 => format!("[splits({pattern}{flags})]"),
            5 => format!("split({pattern}; null)"),
            6 => format!("sub({pattern}; {}{flags})", self.filter(d)),
            _ => format!("gsub({pattern}; {}{flags})", self.filter(d)),
        }
    }

    /// Builtins taking a count: literal counts only.
    fn counted_call(&mut self, d: u32) -> String {
        let n = self.rng.below(4);
        match self.rng.below(6) {
            0 => format!("range({n})"),
            1 => format!("range({n}; {})", n + self.rng.below(4)),
            2 => format!("limit({n}; {})", self.filter(d)),
            3 => format!("nth({n}; {})", self.filter(d)),
            4 => format!("skip({n}; {})", self.filter(d)),
            _ => format!("first(range({n}))"),
        }
    }
}
