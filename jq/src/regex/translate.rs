//! Translation of Oniguruma patterns (jq: `ONIG_SYNTAX_PERL_NG`, UTF-8) into the
//! syntax `fancy-regex` accepts, keeping Oniguruma's meaning where the two differ:
//!
//! - `^` is the start of the string and `$` is the end or before a final newline
//!   (Oniguruma's Perl syntax is "single line"); inline `(?m)` makes them line anchors.
//! - `\Z` is end-or-before-final-newline; `\h`, `\v`, `\u`, `\pL`, `\<`, `\>` and
//!   other escapes Oniguruma does not know are literal characters; `\R`, `\N`,
//!   `\O`, `\Q…\E`, `\o{…}`, octal `\0nn`, `\xHH` byte sequences and `\cX` are
//!   rewritten.
//! - A `{` that does not start a valid interval is a literal; a quantifier on a
//!   quantified atom (`a**`) repeats it again.
//! - Extended mode (`x`) white space and comments are removed here, since in
//!   Oniguruma they do not apply inside character classes.
//! - `\w`/`\W` and POSIX brackets (`[:alpha:]`) use Oniguruma's Unicode
//!   definitions.
//! - Group names come from here (Oniguruma allows a name on several groups).
//!
//! Syntax errors Oniguruma reports are detected here with Oniguruma's messages.

mod class;
#[cfg(test)]
mod tests;

/// The jq flags that change how a pattern is read.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PatternFlags {
    pub ignore_case: bool,
    pub extended: bool,
    /// `.` matches a newline (jq `m`/`p`; Oniguruma's "multiline" option).
    pub dot_all: bool,
}

/// A translated pattern and the name of each capture group (group 1 first).
#[derive(Debug)]
pub(crate) struct Translated {
    pub pattern: String,
    pub names: Vec<Option<String>>,
}

/// Options that Oniguruma scopes to groups and that this translator applies itself.
#[derive(Clone, Copy)]
struct Scope {
    extended: bool,
    line_anchors: bool,
}

/// An open group: the options outside it and where it starts in the output.
struct OpenGroup {
    outer: Scope,
    out_start: usize,
    lookaround: bool,
}

/// What precedes the cursor, for quantifier rules.
#[derive(Clone, Copy)]
enum Last {
    /// Start of the pattern, a group or an alternative: nothing to repeat.
    Nothing,
    /// An anchor or look-around: repeating it is invalid.
    Anchor,
    /// An atom starting at this output offset.
    Atom(usize),
    /// A quantified atom; a `?` or `+` next modifies the quantifier.
    Quantified(usize),
    /// A quantified atom with its lazy/possessive modifier.
    Modified(usize),
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    out: String,
    groups: Vec<OpenGroup>,
    scope: Scope,
    last: Last,
    names: Vec<Option<String>>,
    numbered_backrefs: Vec<usize>,
    named_backrefs: Vec<String>,
}

/// Translates `pattern`; the error is Oniguruma's message for the same mistake.
pub(crate) fn translate(pattern: &str, flags: PatternFlags) -> Result<Translated, String> {
    let mut t = Translator {
        chars: pattern.chars().collect(),
        pos: 0,
        out: String::with_capacity(pattern.len() + 8),
        groups: Vec::new(),
        scope: Scope {
            extended: flags.extended,
            line_anchors: false,
        },
        last: Last::Nothing,
        names: Vec::new(),
        numbered_backrefs: Vec::new(),
        named_backrefs: Vec::new(),
    };
    if flags.ignore_case {
        t.out.push_str("(?i)");
    }
    if flags.dot_all {
        t.out.push_str("(?s)");
    }
    t.run()?;
    if t.numbered_backrefs.iter().any(|&n| n > t.names.len()) {
        return Err("invalid backref number/name".to_string());
    }
    if let Some(missing) = t
        .named_backrefs
        .iter()
        .find(|n| !t.names.iter().any(|g| g.as_ref() == Some(*n)))
    {
        return Err(format!("undefined name <{missing}> reference"));
    }
    Ok(Translated {
        pattern: t.out,
        names: t.names,
    })
}

const UNMATCHED_OPEN: &str = "end pattern with unmatched parenthesis";
const UNMATCHED_CLOSE: &str = "unmatched close parenthesis";
const END_AT_ESCAPE: &str = "end pattern at escape";
const NO_REPEAT_TARGET: &str = "target of repeat operator is not specified";
const INVALID_REPEAT_TARGET: &str = "target of repeat operator is invalid";
/// Oniguruma's Unicode word characters (`\w`): alphabetic, marks, all numbers
/// and connector punctuation (fancy-regex's `\w` lacks `²`/`½` and has ZWJ).
const WORD: &str = r"\p{Alphabetic}\p{M}\p{N}\p{Pc}";
/// Matches nothing: what a code point beyond Unicode can match.
const NEVER: &str = r"[^\s\S]";

impl Translator {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c))
    }

    /// Marks the output from here on as one atom.
    fn atom(&mut self) -> usize {
        let start = self.out.len();
        self.last = Last::Atom(start);
        start
    }

    fn anchor(&mut self, text: &str) {
        self.out.push_str(text);
        self.last = Last::Anchor;
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => self.escape()?,
                '[' => {
                    self.atom();
                    self.class()?;
                }
                '(' => self.open_group()?,
                ')' => {
                    let group = self
                        .groups
                        .pop()
                        .ok_or_else(|| UNMATCHED_CLOSE.to_string())?;
                    self.scope = group.outer;
                    self.out.push(')');
                    self.last = if group.lookaround {
                        Last::Anchor
                    } else {
                        Last::Atom(group.out_start)
                    };
                }
                '|' => {
                    self.out.push('|');
                    self.last = Last::Nothing;
                }
                '^' => self.anchor(if self.scope.line_anchors {
                    "(?m:^)"
                } else {
                    "^"
                }),
                '$' => self.anchor(if self.scope.line_anchors {
                    "(?m:$)"
                } else {
                    r"(?=\n?\z)"
                }),
                '*' | '+' | '?' => self.quantifier(&c.to_string())?,
                '{' => self.brace()?,
                '#' if self.scope.extended => {
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        if c == '\n' {
                            break;
                        }
                    }
                }
                c if self.scope.extended && c.is_ascii_whitespace() => {}
                '.' => {
                    self.atom();
                    self.out.push('.');
                }
                c => {
                    self.atom();
                    push_literal(&mut self.out, c);
                }
            }
        }
        if self.groups.is_empty() {
            Ok(())
        } else {
            Err(UNMATCHED_OPEN.to_string())
        }
    }

    /// Emits a quantifier (`*`, `+`, `?` or an interval) after what precedes it.
    fn quantifier(&mut self, text: &str) -> Result<(), String> {
        let is_modifier = matches!(text, "?" | "+");
        match self.last {
            Last::Nothing => return Err(NO_REPEAT_TARGET.to_string()),
            Last::Anchor => return Err(INVALID_REPEAT_TARGET.to_string()),
            Last::Atom(start) => self.last = Last::Quantified(start),
            Last::Quantified(start) if is_modifier => self.last = Last::Modified(start),
            Last::Quantified(start) | Last::Modified(start) => {
                // Oniguruma repeats the quantified atom again.
                self.out.insert_str(start, "(?:");
                self.out.push(')');
                self.last = Last::Quantified(start);
            }
        }
        self.out.push_str(text);
        Ok(())
    }

    /// `{`: an interval quantifier `{n}`, `{n,}`, `{n,m}`, or else a literal brace.
    fn brace(&mut self) -> Result<(), String> {
        let rest: String = self.chars[self.pos..].iter().take(24).collect();
        let interval = rest.find('}').map(|end| &rest[..end]).filter(|body| {
            let (lo, hi) = body.split_once(',').unwrap_or((body, ""));
            !lo.is_empty()
                && lo.bytes().all(|b| b.is_ascii_digit())
                && hi.bytes().all(|b| b.is_ascii_digit())
        });
        let Some(body) = interval.map(str::to_string) else {
            self.atom();
            self.out.push_str(r"\{");
            return Ok(());
        };
        let (lo, hi) = body.split_once(',').unwrap_or((&body, &body));
        let lo: u64 = lo.parse().unwrap_or(u64::MAX);
        let hi: Option<u64> = if hi.is_empty() {
            None
        } else {
            Some(hi.parse().unwrap_or(u64::MAX))
        };
        if lo > 100_000 || hi.is_some_and(|h| h > 100_000) {
            return Err("too big number for repeat range".to_string());
        }
        if hi.is_some_and(|h| h < lo) {
            return Err("upper is smaller than lower in repeat range".to_string());
        }
        self.pos += body.chars().count() + 1;
        self.quantifier(&format!("{{{body}}}"))
    }

    fn open_group(&mut self) -> Result<(), String> {
        if self.peek(0) != Some('?') {
            self.names.push(None);
            self.push_group("(", false);
            return Ok(());
        }
        if self.peek(1) == Some('#') {
            // `(?#…)` comment.
            while let Some(c) = self.peek(0) {
                self.pos += 1;
                if c == ')' {
                    return Ok(());
                }
            }
            return Err("end pattern in group".to_string());
        }
        if self.option_group()? {
            return Ok(());
        }
        if self.starts_with("?<=") || self.starts_with("?<!") {
            let opener = if self.starts_with("?<=") {
                "(?<="
            } else {
                "(?<!"
            };
            self.pos += 3;
            self.push_group(opener, true);
        } else if self.starts_with("?=") || self.starts_with("?!") {
            let opener = if self.starts_with("?=") { "(?=" } else { "(?!" };
            self.pos += 2;
            self.push_group(opener, true);
        } else if self.starts_with("?>") || self.starts_with("?:") {
            let opener = if self.starts_with("?>") { "(?>" } else { "(?:" };
            self.pos += 2;
            self.push_group(opener, false);
        } else if self.starts_with("?<") || self.starts_with("?'") {
            let close = if self.starts_with("?'") { '\'' } else { '>' };
            self.pos += 2;
            let mut name = String::new();
            loop {
                match self.peek(0) {
                    Some(c) if c == close => break,
                    Some(c) if c.is_alphanumeric() || c == '_' => name.push(c),
                    _ => return Err(format!("invalid group name <{name}>")),
                }
                self.pos += 1;
            }
            self.pos += 1;
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(format!("invalid group name <{name}>"));
            }
            // fancy-regex wants unique names; the real names are kept in `names`.
            let emitted = if self
                .names
                .iter()
                .any(|n| n.as_deref() == Some(name.as_str()))
            {
                format!("{name}__{}", self.names.len() + 1)
            } else {
                name.clone()
            };
            self.names.push(Some(name));
            self.push_group(&format!("(?<{emitted}>"), false);
        } else {
            return Err("undefined group option".to_string());
        }
        Ok(())
    }

    /// Option groups `(?imsx-imsx)` and `(?imsx-imsx:…)`; `false` if not one.
    fn option_group(&mut self) -> Result<bool, String> {
        let mut i = 1;
        while self
            .peek(i)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '-')
        {
            i += 1;
        }
        if i == 1 || !matches!(self.peek(i), Some(')' | ':')) {
            return Ok(false);
        }
        let letters: String = self.chars[self.pos + 1..self.pos + i].iter().collect();
        let isolated = self.peek(i) == Some(')');
        self.pos += i + 1;
        let mut scope = self.scope;
        let mut kept = String::new();
        let mut negate = false;
        for c in letters.chars() {
            match c {
                '-' => {
                    negate = true;
                    kept.push('-');
                }
                'm' => scope.line_anchors = !negate,
                'x' => scope.extended = !negate,
                'i' | 's' => kept.push(c),
                _ => return Err("undefined group option".to_string()),
            }
        }
        let kept = kept.trim_end_matches('-').to_string();
        if isolated {
            // Applies to the rest of the enclosing group.
            self.scope = scope;
            if !kept.is_empty() {
                self.out.push_str(&format!("(?{kept})"));
            }
            self.last = Last::Nothing;
        } else {
            self.push_group(&format!("(?{kept}:"), false);
            self.scope = scope;
        }
        Ok(true)
    }

    fn push_group(&mut self, opener: &str, lookaround: bool) {
        self.groups.push(OpenGroup {
            outer: self.scope,
            out_start: self.out.len(),
            lookaround,
        });
        self.out.push_str(opener);
        self.last = Last::Nothing;
    }

    /// An escape outside a character class (the backslash is consumed).
    fn escape(&mut self) -> Result<(), String> {
        let c = self.peek(0).ok_or_else(|| END_AT_ESCAPE.to_string())?;
        self.pos += 1;
        match c {
            'b' | 'B' | 'A' | 'z' | 'G' | 'K' => self.anchor(&format!("\\{c}")),
            'Z' => self.anchor(r"(?=\n?\z)"),
            _ => {
                self.atom();
                self.escaped_atom(c)?;
            }
        }
        Ok(())
    }

    fn escaped_atom(&mut self, c: char) -> Result<(), String> {
        match c {
            'w' => self.out.push_str(&format!("[{WORD}]")),
            'W' => self.out.push_str(&format!("[^{WORD}]")),
            's' | 'S' | 'd' | 'D' | 'X' => {
                self.out.push('\\');
                self.out.push(c);
            }
            'R' => self
                .out
                .push_str(r"(?:\r\n|[\n\x0B\x0C\r\x{85}\x{2028}\x{2029}])"),
            'N' => self.out.push_str(r"[^\n]"),
            'O' => self.out.push_str(r"(?s:.)"),
            'Q' => {
                // Each quoted character is its own atom (a quantifier after `\E`
                // repeats the last one).
                while let Some(q) = self.peek(0) {
                    if q == '\\' && self.peek(1) == Some('E') {
                        self.pos += 2;
                        break;
                    }
                    self.pos += 1;
                    self.atom();
                    push_literal(&mut self.out, q);
                }
            }
            'k' | 'g' if matches!(self.peek(0), Some('<' | '\'')) => {
                let close = if self.peek(0) == Some('<') { '>' } else { '\'' };
                let mut name = String::new();
                self.pos += 1;
                while let Some(n) = self.peek(0) {
                    self.pos += 1;
                    if n == close {
                        break;
                    }
                    name.push(n);
                }
                if c == 'g' {
                    return Err(format!(
                        "subexpression calls (\\g<{name}>) are not supported"
                    ));
                }
                if let Ok(number) = name.parse::<usize>() {
                    self.numbered_backrefs.push(number);
                    self.out.push_str(&format!(r"\{number}"));
                } else {
                    self.named_backrefs.push(name.clone());
                    self.out.push_str(&format!(r"\k<{name}>"));
                }
            }
            // Only `\p{…}` is a property; `\pL` is the letters `pL`.
            'p' | 'P' if self.peek(0) == Some('{') => {
                let property = self.property(c)?;
                self.out.push_str(&property);
            }
            '1'..='9' => {
                let mut digits = c.to_string();
                while let Some(d) = self.peek(0).filter(char::is_ascii_digit) {
                    digits.push(d);
                    self.pos += 1;
                }
                self.numbered_backrefs
                    .push(digits.parse().unwrap_or(usize::MAX));
                self.out.push('\\');
                self.out.push_str(&digits);
            }
            _ => match self.escaped_char(c)? {
                Some(literal) => push_literal(&mut self.out, literal),
                None => self.out.push_str(NEVER),
            },
        }
        Ok(())
    }

    /// `\p{Name}` / `\p{^Name}` / `\P{…}` (the letter consumed) as fancy-regex text,
    /// checked against the property names fancy-regex knows.
    fn property(&mut self, letter: char) -> Result<String, String> {
        let mut body = String::new();
        self.pos += 1; // `{`
        loop {
            let c = self
                .peek(0)
                .ok_or_else(|| format!("invalid character property name {{{body}"))?;
            self.pos += 1;
            if c == '}' {
                break;
            }
            body.push(c);
        }
        let (negated, name) = match body.strip_prefix('^') {
            Some(name) => (letter == 'p', name),
            None => (letter == 'P', body.as_str()),
        };
        let text = format!("\\{}{{{name}}}", if negated { 'P' } else { 'p' });
        if fancy_regex::Regex::new(&text).is_err() {
            return Err(format!("invalid character property name {{{body}}}"));
        }
        Ok(text)
    }

    /// The character an escape stands for, where it stands for one character:
    /// control escapes, hex/octal code points, and literal (unknown) escapes.
    /// `None` for a code point beyond Unicode (which matches nothing).
    fn escaped_char(&mut self, c: char) -> Result<Option<char>, String> {
        Ok(match c {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'f' => Some('\u{c}'),
            'a' => Some('\u{7}'),
            'e' => Some('\u{1b}'),
            'x' if self.peek(0) == Some('{') => {
                let (value, len) = self.digits_until_brace(16)?;
                self.pos += len;
                char::from_u32(value)
            }
            'x' => Some(self.raw_bytes()?),
            'o' if self.peek(0) == Some('{') => {
                let (value, len) = self.digits_until_brace(8)?;
                self.pos += len;
                char::from_u32(value)
            }
            '0' => {
                let mut value = 0;
                for _ in 0..2 {
                    let Some(d) = self.peek(0).and_then(|d| d.to_digit(8)) else {
                        break;
                    };
                    value = value * 8 + d;
                    self.pos += 1;
                }
                char::from_u32(value)
            }
            'c' => {
                let target = self.peek(0).ok_or_else(|| END_AT_ESCAPE.to_string())?;
                self.pos += 1;
                if target == '?' {
                    Some('\u{7f}')
                } else {
                    char::from_u32(u32::from(target) & 0x1f)
                }
            }
            other => Some(other),
        })
    }

    /// `\xHH` (the `\x` consumed): a byte. Bytes from 0x80 must continue as further
    /// `\xHH` escapes that together spell one UTF-8 character, as Oniguruma
    /// assembles them.
    fn raw_bytes(&mut self) -> Result<char, String> {
        let mut bytes = Vec::new();
        loop {
            let mut value = 0u8;
            for _ in 0..2 {
                let Some(d) = self.peek(0).and_then(|d| d.to_digit(16)) else {
                    break;
                };
                value = value * 16 + d as u8;
                self.pos += 1;
            }
            bytes.push(value);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                return text
                    .chars()
                    .next()
                    .ok_or_else(|| "invalid code point value".to_string());
            }
            if bytes.len() >= 4 || !self.starts_with("\\x") || self.peek(2) == Some('{') {
                return Err("too short multibyte code string".to_string());
            }
            self.pos += 2;
        }
    }

    /// Reads `{digits}` in `radix` at the cursor; returns the value and the length.
    fn digits_until_brace(&self, radix: u32) -> Result<(u32, usize), String> {
        let mut value: u32 = 0;
        let mut i = 1;
        while let Some(d) = self.peek(i).and_then(|d| d.to_digit(radix)) {
            value = value
                .checked_mul(radix)
                .and_then(|v| v.checked_add(d))
                .ok_or("too big wide-char value")?;
            i += 1;
        }
        if i == 1 || self.peek(i) != Some('}') {
            return Err("invalid code point value".to_string());
        }
        Ok((value, i + 1))
    }
}

/// A literal character: characters special to fancy-regex anywhere (including in
/// classes and extended mode) escaped, control characters as hex. (`<` and `>`
/// stay bare: escaped they would be word boundaries.)
fn push_literal(out: &mut String, c: char) {
    let special = "\\.+*?()|[]{}^$#&-~ ";
    if special.contains(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_control() {
        out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
    } else {
        out.push(c);
    }
}
