//! Translation tests; the error texts are Oniguruma's (checked against libjq 1.8.2).

use super::*;

fn tr(p: &str) -> Result<String, String> {
    translate(p, PatternFlags::default()).map(|t| t.pattern)
}

#[test]
fn anchors_follow_oniguruma_single_line_mode() {
    assert_eq!(tr(r"^a$").unwrap(), r"^a(?=\n?\z)");
    assert_eq!(tr(r"(?m)^a$").unwrap(), r"(?m:^)a(?m:$)");
    assert_eq!(tr(r"a\Z").unwrap(), r"a(?=\n?\z)");
    assert_eq!(tr(r"(?m:^a)$").unwrap(), r"(?:(?m:^)a)(?=\n?\z)");
}

#[test]
fn literal_braces_and_unknown_escapes() {
    assert_eq!(tr("a{").unwrap(), r"a\{");
    assert_eq!(tr("{foo}").unwrap(), r"\{foo\}");
    assert_eq!(tr("a{,3}").unwrap(), r"a\{,3\}");
    assert_eq!(tr("a{2,3}?").unwrap(), "a{2,3}?");
    assert_eq!(tr(r"\h\v\u0041\<\>\pL").unwrap(), "hvu0041<>pL");
    assert_eq!(
        tr(r"\e\x41\x{263A}\0101").unwrap(),
        "\\x{1B}A\u{263A}\\x{8}1"
    );
    assert_eq!(tr(r"\xc3\xa9\o{351}").unwrap(), "éé");
    assert_eq!(tr(r"\x{110000}").unwrap(), r"[^\s\S]");
    assert_eq!(tr(r"\Qa.b\E*").unwrap(), r"a\.b*");
}

#[test]
fn nested_quantifiers_repeat_again() {
    assert_eq!(tr("a**").unwrap(), "(?:a*)*");
    assert_eq!(tr("a+?*").unwrap(), "(?:a+?)*");
    assert_eq!(tr("a*+").unwrap(), "a*+");
    assert_eq!(tr("(ab){2}{3}").unwrap(), "(?:(ab){2}){3}");
}

#[test]
fn groups_options_and_names() {
    let t = translate(r"(?<h>x)(?'n'y)(z)(?<h>w)\k<h>", PatternFlags::default()).unwrap();
    assert_eq!(t.pattern, r"(?<h>x)(?<n>y)(z)(?<h__4>w)\k<h>");
    assert_eq!(
        t.names,
        vec![Some("h".into()), Some("n".into()), None, Some("h".into())]
    );
    assert_eq!(tr(r"\](?=[^$])").unwrap(), r"\](?=[^\$])");
    assert_eq!(tr(r"(?#comment)a").unwrap(), "a");
    assert_eq!(tr(r"(?i-m:a)").unwrap(), "(?i:a)");
    let extended = PatternFlags {
        extended: true,
        ..PatternFlags::default()
    };
    assert_eq!(
        translate("a b c # spaces are ignored", extended)
            .unwrap()
            .pattern,
        "abc"
    );
    assert_eq!(translate("[ #] x", extended).unwrap().pattern, r"[\ \#]x");
    assert_eq!(tr("(?x: a b )c d").unwrap(), r"(?:ab)c\ d");
}

#[test]
fn classes() {
    assert_eq!(
        tr(r"[^A-Za-z0-9@_.+:\\/='-]").unwrap(),
        r"[^A-Za-z0-9@_\.\+:\\/='\-]"
    );
    assert_eq!(tr(r"[\w-]").unwrap(), r"[\p{Alphabetic}\p{M}\p{N}\p{Pc}\-]");
    assert_eq!(tr(r"\W").unwrap(), r"[^\p{Alphabetic}\p{M}\p{N}\p{Pc}]");
    assert_eq!(tr(r"[\d-z]").unwrap(), r"[\d\-z]");
    assert_eq!(tr(r"[]a]").unwrap(), r"[\]a]");
    assert_eq!(
        tr(r"[[:alpha:][:^digit:]]").unwrap(),
        r"[\p{Alphabetic}[^\p{Nd}]]"
    );
    assert_eq!(tr(r"[a-z&&[^aeiou]]").unwrap(), r"[a-z&&[^aeiou]]");
    assert_eq!(tr(r"[\p{^L}\h]").unwrap(), r"[\P{L}h]");
}

#[test]
fn oniguruma_error_messages() {
    let cases = [
        ("(a", "end pattern with unmatched parenthesis"),
        ("a)", "unmatched close parenthesis"),
        ("[a", "premature end of char-class"),
        ("[]", "empty char-class"),
        ("a\\", "end pattern at escape"),
        ("*a", "target of repeat operator is not specified"),
        ("(?:|*)", "target of repeat operator is not specified"),
        ("^*", "target of repeat operator is invalid"),
        (r"\b+", "target of repeat operator is invalid"),
        ("(?=a)*", "target of repeat operator is invalid"),
        ("a{3,2}", "upper is smaller than lower in repeat range"),
        ("a{100001}", "too big number for repeat range"),
        ("[z-a]", "empty range in char class"),
        (r"[a-\d]", "char-class value at end of range"),
        ("[[:foo:]]", "invalid POSIX bracket type"),
        ("(?P<x>a)", "undefined group option"),
        ("(?z)", "undefined group option"),
        ("(?#x", "end pattern in group"),
        (r"\k<zz>", "undefined name <zz> reference"),
        (r"(a)\2", "invalid backref number/name"),
        (r"\p{Foo}", "invalid character property name {Foo}"),
        (r"\xe9", "too short multibyte code string"),
    ];
    for (pattern, message) in cases {
        assert_eq!(tr(pattern).unwrap_err(), message, "{pattern}");
    }
}
