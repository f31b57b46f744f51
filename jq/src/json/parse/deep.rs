//! The iterative half of the parser: a state machine with its own stack of open containers,
//! for whatever nests deeper than the recursive descent reads (see `Parser::value`). It
//! accepts exactly the same grammar, with the same messages, up to jq's nesting limit.

use super::*;

/// How to treat a value: build it, build what a projection keeps, or only validate it.
#[derive(Clone, Copy)]
pub(super) enum Mode<'p> {
    Build,
    /// A projection that does not keep everything (`all` is false).
    Project(&'p Projection),
    Skip,
}

impl Mode<'_> {
    pub(super) fn of(projection: &Projection) -> Mode<'_> {
        if projection.all {
            Mode::Build
        } else {
            Mode::Project(projection)
        }
    }
}

/// An open object or array.
#[derive(Clone, Copy)]
struct Open<'p> {
    object: bool,
    mode: Mode<'p>,
    /// Where its entries (objects) or items (arrays) start on the scratch stacks.
    base: usize,
    /// Objects: the value being parsed has a reserved entry to fill.
    slot: bool,
}

impl Parser<'_> {
    /// The value at the cursor (whitespace already skipped), treated as `mode` says; `None`
    /// when it was only validated. Iterative: nesting costs frames on the heap past the
    /// first few, not stack, and is refused past [`MAX_PARSING_DEPTH`] as jq does. Scalars
    /// inside containers are stored as they are read; only containers use the frames.
    pub(super) fn parse_value<'p>(&mut self, mode: Mode<'p>) -> Result<Option<Value>, JsonError> {
        if !matches!(self.peek(), Some(b'{' | b'[')) {
            return self.scalar_in(mode);
        }
        let mut open: Frames<Open<'p>> = Frames::new();
        let mut mode = mode;
        // At a container's opening bracket, in `mode`.
        'container: loop {
            if self.depth + open.len() >= MAX_PARSING_DEPTH {
                return Err(self.error("Exceeds depth limit for parsing"));
            }
            let object = self.peek() == Some(b'{');
            self.pos += 1;
            let mut frame = Open {
                object,
                mode,
                base: if object {
                    self.entries.len()
                } else {
                    self.items.len()
                },
                slot: false,
            };
            self.skip_whitespace();
            // A closed container's value, to store in its parent (`Some(None)`: validated only).
            let mut finished = if self.peek() == Some(if object { b'}' } else { b']' }) {
                self.pos += 1;
                Some(self.finish(frame))
            } else {
                let next = self.item(&mut frame)?;
                open.push(frame);
                if let Some(inner) = next {
                    mode = inner;
                    continue 'container;
                }
                None
            };
            // After an item of the innermost open container: a separator and the next item,
            // or its end (its value is then stored in its own container, and so on up).
            loop {
                let Some(top) = open.last_mut() else {
                    return Ok(finished.flatten());
                };
                if let Some(value) = finished.take() {
                    self.store(top, value);
                }
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_whitespace();
                        if let Some(inner) = self.item(top)? {
                            mode = inner;
                            continue 'container;
                        }
                        continue;
                    }
                    Some(b'}') if top.object => {}
                    Some(b']') if !top.object => {}
                    None => return Err(self.error("Unfinished JSON term at EOF")),
                    Some(_) => return Err(self.error("Expected separator between values")),
                }
                self.pos += 1;
                finished = open.pop().map(|frame| self.finish(frame));
            }
        }
    }

    /// A scalar (or string) at the cursor in `mode`.
    fn scalar_in(&mut self, mode: Mode<'_>) -> Result<Option<Value>, JsonError> {
        match mode {
            Mode::Skip => self.skip_scalar().map(|()| None),
            _ => self.scalar_or_string().map(Some),
        }
    }

    /// Reads the next item of `frame` (the cursor is on it; for an object, on its key). A
    /// scalar is stored (or skipped) at once; for a container the item's place is reserved
    /// and the mode to read it in returned.
    fn item<'p>(&mut self, frame: &mut Open<'p>) -> Result<Option<Mode<'p>>, JsonError> {
        if !frame.object {
            let mode = match frame.mode {
                Mode::Project(p) => p.elements.as_deref().map_or(Mode::Skip, Mode::of),
                other => other,
            };
            return match self.peek() {
                Some(b'{' | b'[') => Ok(Some(mode)),
                None => Err(self.error("Unfinished JSON term at EOF")),
                Some(_) => {
                    match self.scalar_in(mode)? {
                        Some(v) => self.items.push(v),
                        // An element a projection drops still holds its place.
                        None if matches!(frame.mode, Mode::Project(_)) => {
                            self.items.push(Value::Null)
                        }
                        None => {}
                    }
                    Ok(None)
                }
            };
        }
        match self.peek() {
            Some(b'"') => {}
            None => return Err(self.error("Unfinished JSON term at EOF")),
            Some(_) => return Err(self.error("Object keys must be strings")),
        }
        self.pos += 1;
        let key = self.string_body(!matches!(frame.mode, Mode::Skip))?;
        self.skip_whitespace();
        match self.peek() {
            Some(b':') => self.pos += 1,
            None => return Err(self.error("Unfinished JSON term at EOF")),
            Some(_) => return Err(self.error("Objects must consist of key:value pairs")),
        }
        self.skip_whitespace();
        let container = match self.peek() {
            Some(b'{' | b'[') => true,
            None => return Err(self.error("Unfinished JSON term at EOF")),
            Some(_) => false,
        };
        let (key, mode) = match frame.mode {
            Mode::Build => (Some(self.key(key)), Mode::Build),
            Mode::Project(p) => match p.fields.iter().find(|(name, _)| key_eq(name, &key)) {
                // The key equals `name` (escaped or not): share the projection's.
                Some((name, sub)) => (Some(name.clone()), Mode::of(sub)),
                None => (None, Mode::Skip),
            },
            Mode::Skip => (None, Mode::Skip),
        };
        if container {
            if let Some(key) = key {
                self.entries.push((key, Value::Null));
                frame.slot = true;
            }
            return Ok(Some(mode));
        }
        if let (Some(key), Some(value)) = (key, self.scalar_in(mode)?) {
            self.entries.push((key, value));
        }
        Ok(None)
    }

    /// Stores the value of a closed container in the container around it.
    fn store(&mut self, frame: &mut Open<'_>, value: Option<Value>) {
        if frame.object {
            if std::mem::take(&mut frame.slot) {
                if let (Some(v), Some(entry)) = (value, self.entries.last_mut()) {
                    entry.1 = v;
                }
            }
            return;
        }
        match (value, frame.mode) {
            (Some(v), _) => self.items.push(v),
            (None, Mode::Project(_)) => self.items.push(Value::Null),
            (None, _) => {}
        }
    }

    /// The value of a closed container (`None` when it was only validated).
    fn finish(&mut self, frame: Open<'_>) -> Option<Value> {
        match (frame.mode, frame.object) {
            (Mode::Skip, _) => None,
            (_, true) => Some(self.finish_object(frame.base)),
            (_, false) => Some(self.finish_array(frame.base)),
        }
    }

    /// A string, null, true, false or a number.
    fn scalar_or_string(&mut self) -> Result<Value, JsonError> {
        if self.peek() == Some(b'"') {
            return Ok(Value::String(self.string()?));
        }
        self.scalar()
    }

    /// Validates a string, null, true, false or a number without building it.
    fn skip_scalar(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string_body(false).map(|_| ())
            }
            Some(b'-' | b'0'..=b'9') => self.scan_number().map(|_| ()),
            _ => self.scalar().map(|_| ()),
        }
    }
}
