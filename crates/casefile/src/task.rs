//! Progress reporting and cancellation for long operations.

use std::sync::atomic::{AtomicBool, Ordering};

/// How a long operation reports progress and learns it should stop.
#[derive(Clone, Copy, Default)]
pub struct Task<'a> {
    progress: Option<&'a dyn Fn(u64)>,
    total: Option<&'a dyn Fn(u64)>,
    cancel: Option<&'a AtomicBool>,
}

impl<'a> Task<'a> {
    /// A task nobody watches and nobody cancels.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reports each advance (in bytes) to `f`.
    pub fn with_progress(mut self, f: &'a dyn Fn(u64)) -> Self {
        self.progress = Some(f);
        self
    }

    /// Learns from `f` how many bytes the operation will report in all, once
    /// it knows (an export, after choosing what to send).
    pub fn with_total(mut self, f: &'a dyn Fn(u64)) -> Self {
        self.total = Some(f);
        self
    }

    /// Says how many bytes the advances will add up to.
    pub fn total(&self, n: u64) {
        if let Some(f) = self.total {
            f(n);
        }
    }

    /// Stops the operation cleanly once `flag` becomes true.
    pub fn with_cancel(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Reports an advance of `n` bytes.
    pub fn advance(&self, n: u64) {
        if let Some(f) = self.progress {
            f(n);
        }
    }

    /// The flag that cancels the operation, for work on another thread
    /// that cannot hold the task itself (it is not `Sync`).
    pub fn cancel_flag(&self) -> Option<&'a AtomicBool> {
        self.cancel
    }

    /// True once cancellation was asked for.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}
