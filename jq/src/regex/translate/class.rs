//! Bracket expressions: nested classes, `&&`, ranges, POSIX brackets and escapes,
//! with every literal escaped so fancy-regex's class operators (`-`, `&&`, `~~`,
//! `--`, `[`) and extended-mode white space/comments keep no special meaning.

use super::{push_literal, Translator};

const PREMATURE_END_OF_CLASS: &str = "premature end of char-class";

enum ClassItem {
    Char(char),
    /// Text for a set of characters (`\d`, `\p{L}`, a POSIX bracket).
    Set(String),
    /// Already written to the output (nested class, `&&`), or nothing to write.
    Written,
}

impl Translator {
    /// A bracket expression; the `[` is consumed.
    pub(super) fn class(&mut self) -> Result<(), String> {
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.pos += 1;
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let c = self
                .peek(0)
                .ok_or_else(|| PREMATURE_END_OF_CLASS.to_string())?;
            self.pos += 1;
            let item = match c {
                ']' if !first => {
                    self.out.push(']');
                    return Ok(());
                }
                ']' => {
                    // `]` first is literal when another `]` closes the class.
                    if !self.chars[self.pos..].contains(&']') {
                        return Err("empty char-class".to_string());
                    }
                    ClassItem::Char(']')
                }
                '[' => match self.posix_bracket()? {
                    Some(set) => ClassItem::Set(set),
                    None => {
                        self.class()?;
                        ClassItem::Written
                    }
                },
                '&' if self.peek(0) == Some('&') => {
                    self.pos += 1;
                    self.out.push_str("&&");
                    ClassItem::Written
                }
                '\\' => self.class_escape()?,
                c => ClassItem::Char(c),
            };
            first = false;
            let dash_follows = self.peek(0) == Some('-') && self.peek(1).is_some_and(|c| c != ']');
            match item {
                ClassItem::Char(start) => {
                    push_literal(&mut self.out, start);
                    if dash_follows {
                        self.pos += 1;
                        self.range_end(start)?;
                    }
                }
                ClassItem::Set(set) => {
                    self.out.push_str(&set);
                    // A class escape followed by `-` is a literal minus.
                    if dash_follows {
                        self.pos += 1;
                        self.out.push_str(r"\-");
                    }
                }
                ClassItem::Written => {}
            }
        }
    }

    /// The end of a range whose start and `-` were read.
    fn range_end(&mut self, start: char) -> Result<(), String> {
        let end = match self.peek(0) {
            Some('\\') => {
                self.pos += 1;
                self.class_escape()?
            }
            Some(c) => {
                self.pos += 1;
                ClassItem::Char(c)
            }
            None => return Err(PREMATURE_END_OF_CLASS.to_string()),
        };
        match end {
            ClassItem::Char(end) if end < start => Err("empty range in char class".to_string()),
            ClassItem::Char(end) => {
                self.out.push('-');
                push_literal(&mut self.out, end);
                Ok(())
            }
            _ => Err("char-class value at end of range".to_string()),
        }
    }

    /// `[:name:]` or `[:^name:]` after a `[` inside a class; `None` if the text is
    /// not POSIX-bracket shaped (then it is a nested class).
    fn posix_bracket(&mut self) -> Result<Option<String>, String> {
        if self.peek(0) != Some(':') {
            return Ok(None);
        }
        let rest: String = self.chars[self.pos + 1..].iter().take(12).collect();
        let Some(end) = rest.find(":]") else {
            return Ok(None);
        };
        let (negated, name) = match rest[..end].strip_prefix('^') {
            Some(name) => (true, name),
            None => (false, &rest[..end]),
        };
        if !name.chars().all(|c| c.is_ascii_alphabetic()) {
            return Ok(None);
        }
        let set = match name {
            "alnum" => r"\p{Alphabetic}\p{Nd}",
            "alpha" => r"\p{Alphabetic}",
            "ascii" => r"\x00-\x7F",
            "blank" => r"\p{Zs}\t",
            "cntrl" => r"\p{Cc}",
            "digit" => r"\p{Nd}",
            "graph" => r"[^\s\p{Cc}\p{Cn}]",
            "lower" => r"\p{Lowercase}",
            "print" => r"[^\p{Cc}\p{Cn}\p{Zl}\p{Zp}]",
            "punct" => r"\p{P}\p{S}",
            "space" => r"\s",
            "upper" => r"\p{Uppercase}",
            "xdigit" => "0-9A-Fa-f",
            // Unlike `\w`, without the non-decimal numbers.
            "word" => r"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}",
            _ => return Err("invalid POSIX bracket type".to_string()),
        };
        self.pos += 1 + end + 2;
        Ok(Some(if negated {
            format!("[^{set}]")
        } else {
            set.to_string()
        }))
    }

    /// An escape inside a class (the backslash is consumed).
    fn class_escape(&mut self) -> Result<ClassItem, String> {
        let c = self
            .peek(0)
            .ok_or_else(|| super::END_AT_ESCAPE.to_string())?;
        self.pos += 1;
        Ok(match c {
            'w' => ClassItem::Set(super::WORD.to_string()),
            'W' => ClassItem::Set(format!("[^{}]", super::WORD)),
            's' | 'S' | 'd' | 'D' => ClassItem::Set(format!("\\{c}")),
            'p' | 'P' if self.peek(0) == Some('{') => ClassItem::Set(self.property(c)?),
            'b' => ClassItem::Char('\u{8}'),
            '1'..='7' => {
                // In a class, digits are octal.
                let mut value = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let Some(d) = self.peek(0).and_then(|d| d.to_digit(8)) else {
                        break;
                    };
                    value = value * 8 + d;
                    self.pos += 1;
                }
                char::from_u32(value).map_or(ClassItem::Written, ClassItem::Char)
            }
            other => self
                .escaped_char(other)?
                .map_or(ClassItem::Written, ClassItem::Char),
        })
    }
}
