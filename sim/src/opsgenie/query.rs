//! Opsgenie's search query language (`query=` on alerts, incidents, services, users):
//! `field:value`, `field<N` / `<=` / `>` / `>=` on numbers and epoch-millisecond times,
//! `AND` / `OR` / `NOT`, parentheses, `field:(a OR b)`, quoted values, `*` wildcards and bare words
//! (free text). Unknown fields and ill-typed values are errors, which the API reports as 422.

use crate::generate::Account;

/// How a field's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Exact match, case-insensitive (`status:open`).
    Keyword,
    /// Substring match, case-insensitive (`message:auth`).
    Text,
    /// `true` / `false`.
    Bool,
    /// Integers; comparisons allowed.
    Number,
    /// Epoch milliseconds (or an RFC 3339 value); comparisons allowed.
    Time,
}

/// One value of a record's field, handed to a matcher.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    Str(&'a str),
    Bool(bool),
    Num(i64),
}

/// A kind of record the query language can search.
pub trait Searchable {
    /// The type of a queryable field, `None` if the API does not know the field.
    fn field_type(field: &str) -> Option<FieldType>;
    /// Fields a bare word searches.
    const FREE_TEXT_FIELDS: &'static [&'static str];
    /// True if `test` accepts any value of `field` (a name `field_type` accepted).
    fn any_value(&self, field: &str, account: &Account, test: &mut dyn FnMut(Val) -> bool) -> bool;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A parsed and type-checked query.
#[derive(Debug)]
pub enum Expr {
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

#[derive(Debug)]
pub struct Term {
    field: String,
    ty: FieldType,
    op: Op,
    /// Lower-cased value for string matching.
    text: String,
    wildcard: bool,
    number: i64,
    boolean: bool,
}

impl Expr {
    /// Parses and checks `query` against the fields of `T`. An empty query matches everything.
    pub fn compile<T: Searchable>(query: &str) -> Result<Expr, String> {
        let mut p = Parser { src: query, pos: 0 };
        p.skip_ws();
        if p.at_end() {
            return Ok(Expr::All);
        }
        let raw = p.or()?;
        p.skip_ws();
        if !p.at_end() {
            return Err(format!("Unexpected input in query at position {}", p.pos));
        }
        check::<T>(raw)
    }

    pub fn matches<T: Searchable>(&self, record: &T, account: &Account) -> bool {
        match self {
            Expr::All => true,
            Expr::And(items) => items.iter().all(|e| e.matches(record, account)),
            Expr::Or(items) => items.iter().any(|e| e.matches(record, account)),
            Expr::Not(inner) => !inner.matches(record, account),
            Expr::Term(term) => record.any_value(&term.field, account, &mut |v| term.accepts(v)),
        }
    }
}

impl Term {
    fn accepts(&self, value: Val) -> bool {
        match (self.ty, value) {
            (FieldType::Bool, Val::Bool(b)) => b == self.boolean,
            (FieldType::Number | FieldType::Time, Val::Num(n)) => match self.op {
                Op::Eq => n == self.number,
                Op::Lt => n < self.number,
                Op::Le => n <= self.number,
                Op::Gt => n > self.number,
                Op::Ge => n >= self.number,
            },
            (_, Val::Str(s)) if self.wildcard => wildcard_match(&self.text, s),
            (FieldType::Text, Val::Str(s)) => contains_ignore_case(s, &self.text),
            (_, Val::Str(s)) => s.eq_ignore_ascii_case(&self.text),
            _ => false,
        }
    }
}

/// Query syntax before field checking.
enum Raw {
    And(Vec<Raw>),
    Or(Vec<Raw>),
    Not(Box<Raw>),
    /// `field op value`; `field` is `None` for a bare word.
    Term {
        field: Option<String>,
        op: Op,
        value: String,
    },
}

fn check<T: Searchable>(raw: Raw) -> Result<Expr, String> {
    Ok(match raw {
        Raw::And(items) => Expr::And(
            items
                .into_iter()
                .map(check::<T>)
                .collect::<Result<_, _>>()?,
        ),
        Raw::Or(items) => Expr::Or(
            items
                .into_iter()
                .map(check::<T>)
                .collect::<Result<_, _>>()?,
        ),
        Raw::Not(inner) => Expr::Not(Box::new(check::<T>(*inner)?)),
        Raw::Term {
            field: None, value, ..
        } => Expr::Or(
            T::FREE_TEXT_FIELDS
                .iter()
                .map(|f| term(f, FieldType::Text, Op::Eq, &value).map(Expr::Term))
                .collect::<Result<_, _>>()?,
        ),
        Raw::Term {
            field: Some(field),
            op,
            value,
        } => {
            let ty = T::field_type(&field)
                .ok_or_else(|| format!("Invalid query: unknown field [{field}]"))?;
            Expr::Term(term(&field, ty, op, &value)?)
        }
    })
}

fn term(field: &str, ty: FieldType, op: Op, value: &str) -> Result<Term, String> {
    let mut t = Term {
        field: field.to_owned(),
        ty,
        op,
        text: value.to_ascii_lowercase(),
        wildcard: value.contains('*'),
        number: 0,
        boolean: false,
    };
    match ty {
        FieldType::Bool => {
            t.boolean = match t.text.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(format!("Invalid query: [{field}] expects true or false")),
            };
            if op != Op::Eq {
                return Err(format!(
                    "Invalid query: [{field}] does not support comparison"
                ));
            }
        }
        FieldType::Number | FieldType::Time => {
            let parsed = value.parse::<i64>().ok().or_else(|| {
                (ty == FieldType::Time)
                    .then(|| crate::generate::time::parse_millis(value))
                    .flatten()
            });
            t.number = parsed.ok_or_else(|| {
                format!("Invalid query: [{field}] expects a number, got [{value}]")
            })?;
        }
        FieldType::Keyword | FieldType::Text => {
            if op != Op::Eq {
                return Err(format!(
                    "Invalid query: [{field}] does not support comparison"
                ));
            }
        }
    }
    Ok(t)
}

fn contains_ignore_case(haystack: &str, lower_needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), lower_needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// `*` matches any run of characters; the rest compares case-insensitively.
fn wildcard_match(lower_pattern: &str, text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let parts: Vec<&str> = lower_pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    /// Consumes keyword `kw` if it is next and is followed by a delimiter.
    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if let Some(tail) = rest.strip_prefix(kw) {
            let after = tail.chars().next();
            if after.is_none_or(|c| c.is_whitespace() || c == '(') {
                self.pos += kw.len();
                return true;
            }
        }
        false
    }

    fn or(&mut self) -> Result<Raw, String> {
        let mut items = vec![self.and()?];
        while self.keyword("OR") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Raw::Or(items)
        })
    }

    fn and(&mut self) -> Result<Raw, String> {
        let mut items = vec![self.unary()?];
        loop {
            if self.keyword("AND") {
                items.push(self.unary()?);
                continue;
            }
            self.skip_ws();
            // Adjacent terms without an operator are ANDed.
            let rest = self.rest();
            if self.at_end() || rest.starts_with(')') || self.clone_keyword("OR") {
                break;
            }
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Raw::And(items)
        })
    }

    fn clone_keyword(&self, kw: &str) -> bool {
        let mut probe = Parser {
            src: self.src,
            pos: self.pos,
        };
        probe.keyword(kw)
    }

    fn unary(&mut self) -> Result<Raw, String> {
        if self.keyword("NOT") {
            return Ok(Raw::Not(Box::new(self.unary()?)));
        }
        self.skip_ws();
        match self.peek() {
            None => Err("Invalid query: unexpected end".into()),
            Some('(') => {
                self.pos += 1;
                let inner = self.or()?;
                self.expect_close()?;
                Ok(inner)
            }
            Some(')') => Err(format!("Invalid query: unexpected ')' at {}", self.pos)),
            Some(_) => self.term(),
        }
    }

    fn expect_close(&mut self) -> Result<(), String> {
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            Ok(())
        } else {
            Err("Invalid query: missing ')'".into())
        }
    }

    fn term(&mut self) -> Result<Raw, String> {
        if self.peek() == Some('"') {
            let value = self.quoted()?;
            return Ok(Raw::Term {
                field: None,
                op: Op::Eq,
                value,
            });
        }
        let word_len = self
            .rest()
            .find(|c: char| c.is_whitespace() || "():<>=\"".contains(c))
            .unwrap_or(self.rest().len());
        let word = self.rest()[..word_len].to_owned();
        self.pos += word_len;
        let save = self.pos;
        self.skip_ws();
        let Some(op) = self.op() else {
            self.pos = save;
            if word.is_empty() {
                return Err(format!(
                    "Invalid query: unexpected character at {}",
                    self.pos
                ));
            }
            return Ok(Raw::Term {
                field: None,
                op: Op::Eq,
                value: word,
            });
        };
        if word.is_empty() {
            return Err("Invalid query: missing field name".into());
        }
        self.skip_ws();
        if op == Op::Eq && self.peek() == Some('(') {
            // `field:(a OR b)`: the group's bare words are values of `field`.
            self.pos += 1;
            let group = self.or()?;
            self.expect_close()?;
            return bind_field(group, &word);
        }
        let value = self.value()?;
        Ok(Raw::Term {
            field: Some(word),
            op,
            value,
        })
    }

    fn op(&mut self) -> Option<Op> {
        let rest = self.rest();
        let (op, len) = if rest.starts_with("<=") {
            (Op::Le, 2)
        } else if rest.starts_with(">=") {
            (Op::Ge, 2)
        } else if rest.starts_with('<') {
            (Op::Lt, 1)
        } else if rest.starts_with('>') {
            (Op::Gt, 1)
        } else if rest.starts_with(':') || rest.starts_with('=') {
            (Op::Eq, 1)
        } else {
            return None;
        };
        self.pos += len;
        Some(op)
    }

    fn value(&mut self) -> Result<String, String> {
        if self.peek() == Some('"') {
            return self.quoted();
        }
        let len = self
            .rest()
            .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err("Invalid query: missing value".into());
        }
        let value = self.rest()[..len].to_owned();
        self.pos += len;
        Ok(value)
    }

    fn quoted(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                _ => out.push(c),
            }
        }
        Err("Invalid query: unterminated quote".into())
    }
}

/// Gives the bare words of a `field:( … )` group the field; nested fields are an error.
fn bind_field(raw: Raw, field: &str) -> Result<Raw, String> {
    let bind_all = |items: Vec<Raw>| {
        items
            .into_iter()
            .map(|r| bind_field(r, field))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match raw {
        Raw::And(items) => Raw::And(bind_all(items)?),
        Raw::Or(items) => Raw::Or(bind_all(items)?),
        Raw::Not(inner) => Raw::Not(Box::new(bind_field(*inner, field)?)),
        Raw::Term {
            field: None, value, ..
        } => Raw::Term {
            field: Some(field.to_owned()),
            op: Op::Eq,
            value,
        },
        Raw::Term { .. } => return Err("Invalid query: field inside a value group".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record with a keyword, a text, a bool, a time and a list field.
    struct Doc {
        status: &'static str,
        message: &'static str,
        seen: bool,
        created: i64,
        tags: Vec<&'static str>,
    }

    impl Searchable for Doc {
        fn field_type(field: &str) -> Option<FieldType> {
            Some(match field {
                "status" | "tag" => FieldType::Keyword,
                "message" => FieldType::Text,
                "isSeen" => FieldType::Bool,
                "createdAt" => FieldType::Time,
                _ => return None,
            })
        }
        const FREE_TEXT_FIELDS: &'static [&'static str] = &["message"];
        fn any_value(&self, field: &str, _: &Account, test: &mut dyn FnMut(Val) -> bool) -> bool {
            match field {
                "status" => test(Val::Str(self.status)),
                "message" => test(Val::Str(self.message)),
                "isSeen" => test(Val::Bool(self.seen)),
                "createdAt" => test(Val::Num(self.created)),
                "tag" => self.tags.iter().any(|t| test(Val::Str(t))),
                _ => false,
            }
        }
    }

    fn hits(query: &str) -> Result<Vec<usize>, String> {
        let docs = [
            Doc {
                status: "open",
                message: "Disk full on db-1",
                seen: true,
                created: 100,
                tags: vec!["db"],
            },
            Doc {
                status: "closed",
                message: "CPU high",
                seen: false,
                created: 200,
                tags: vec![],
            },
            Doc {
                status: "open",
                message: "Login Auth not working",
                seen: false,
                created: 300,
                tags: vec!["auth", "login"],
            },
        ];
        let expr = Expr::compile::<Doc>(query)?;
        let account = Account::empty();
        Ok((0..docs.len())
            .filter(|&i| expr.matches(&docs[i], &account))
            .collect())
    }

    #[test]
    fn fields_booleans_and_comparisons() {
        assert_eq!(hits("").unwrap(), [0, 1, 2]);
        assert_eq!(hits("status:open").unwrap(), [0, 2]);
        assert_eq!(hits("status:OPEN AND isSeen:false").unwrap(), [2]);
        assert_eq!(hits("createdAt>100").unwrap(), [1, 2]);
        assert_eq!(hits("createdAt>=100 AND createdAt<300").unwrap(), [0, 1]);
        assert_eq!(hits("createdAt<=100").unwrap(), [0]);
        assert_eq!(hits("createdAt>1970-01-01T00:00:00.2Z").unwrap(), [2]);
        assert_eq!(hits("tag:login").unwrap(), [2]);
        assert_eq!(hits("tag:log*").unwrap(), [2]);
    }

    #[test]
    fn boolean_structure_and_groups() {
        assert_eq!(hits("status:closed OR tag:db").unwrap(), [0, 1]);
        assert_eq!(hits("NOT status:open").unwrap(), [1]);
        assert_eq!(
            hits("(status:closed OR tag:auth) AND isSeen:false").unwrap(),
            [1, 2]
        );
        assert_eq!(hits("message: (disk OR cpu)").unwrap(), [0, 1]);
        assert_eq!(hits("message:\"auth not\"").unwrap(), [2]);
        assert_eq!(hits("auth").unwrap(), [2]);
        assert_eq!(hits("status:open isSeen:true").unwrap(), [0]);
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        assert!(hits("is_seen:true").unwrap_err().contains("is_seen"));
        assert!(hits("isSeen:True").is_ok());
        assert!(hits("isSeen:yes").is_err());
        assert!(hits("createdAt>soon").is_err());
        assert!(hits("status>open").is_err());
        assert!(hits("(status:open").is_err());
        assert!(hits("status:open)").is_err());
        assert!(hits("status:").is_err());
        assert!(hits("message:\"open").is_err());
    }
}
