//! The explicit stack of the iterative traversals (parsing, printing, comparing): values may
//! nest far deeper than the thread's stack allows recursion, so each traversal keeps its own
//! frames. The first few live inline, so shallow values — nearly all of them — cost no heap
//! allocation; deeper ones spill to a `Vec`.

/// Frames kept inline before spilling to the heap (enough for any ordinary document).
const INLINE: usize = 16;

/// A stack of frames: [`INLINE`] in place, the rest on the heap.
pub(crate) struct Frames<T> {
    inline: [Option<T>; INLINE],
    len: usize,
    spill: Vec<T>,
}

impl<T> Frames<T> {
    pub(crate) fn new() -> Frames<T> {
        Frames {
            inline: [const { None }; INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Number of frames (the nesting depth of what is being visited).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, frame: T) {
        if self.len < INLINE {
            self.inline[self.len] = Some(frame);
        } else {
            self.spill.push(frame);
        }
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        if self.len < INLINE {
            self.inline[self.len].take()
        } else {
            self.spill.pop()
        }
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut T> {
        match self.len {
            0 => None,
            n if n <= INLINE => self.inline[n - 1].as_mut(),
            _ => self.spill.last_mut(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_past_the_inline_frames_and_back() {
        let mut frames = Frames::new();
        for i in 0..100usize {
            frames.push(i);
            assert_eq!(frames.len(), i + 1);
            assert_eq!(frames.last_mut().copied(), Some(i));
        }
        *frames.last_mut().unwrap() = 1000;
        assert_eq!(frames.pop(), Some(1000));
        for i in (0..99).rev() {
            assert_eq!(frames.pop(), Some(i));
        }
        assert_eq!(frames.pop(), None);
        assert!(frames.last_mut().is_none());
    }
}
