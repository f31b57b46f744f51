//! This test binary's allocator: the system allocator, counting the bytes each thread has
//! allocated and not freed, and the peak of that count since the thread last asked, so a test
//! can measure the memory its own work takes while other tests run alongside.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

#[global_allocator]
static ALLOC: Counting = Counting;

thread_local! {
    /// (live bytes, peak live bytes) of this thread; const-initialised, so using it allocates
    /// nothing.
    static BYTES: Cell<(isize, isize)> = const { Cell::new((0, 0)) };
}

fn add(delta: isize) {
    // During thread teardown the slot may be gone; those bytes are not counted.
    let _ = BYTES.try_with(|b| {
        let (live, peak) = b.get();
        let live = live + delta;
        b.set((live, peak.max(live)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Starts a measurement on this thread: resets its peak to what it holds now, and returns that.
pub fn start_peak() -> usize {
    BYTES.with(|b| {
        let (live, _) = b.get();
        b.set((live, live));
        live.max(0) as usize
    })
}

/// The most this thread has held since [`start_peak`].
pub fn peak() -> usize {
    BYTES.with(|b| b.get().1.max(0) as usize)
}

#[test]
fn counts_this_threads_allocations() {
    let base = start_peak();
    let v: Vec<u8> = Vec::with_capacity(10 << 20);
    drop(v);
    // Within a page: the harness may free a little of what the thread held before.
    let grown = peak() - base;
    assert!(((10 << 20) - 4096..11 << 20).contains(&grown), "{grown}");
    // Another thread's allocations are not counted here.
    let base = start_peak();
    std::thread::spawn(|| drop(Vec::<u8>::with_capacity(50 << 20)))
        .join()
        .unwrap();
    assert!(peak() - base < 1 << 20);
}
