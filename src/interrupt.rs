//! Ctrl-C (or SIGTERM) during a long operation: the first asks it to stop
//! cleanly (a send deletes the parts it wrote, an export its partial
//! output, an add what it had begun); a second ends the process at once.

use std::sync::Once;
use std::sync::atomic::AtomicBool;

static STOP: AtomicBool = AtomicBool::new(false);
static CATCH: Once = Once::new();

/// Starts catching interrupts (once per process; a long operation is the
/// last thing a command does) and returns the flag they set. If the
/// handlers cannot be installed, interrupts keep their default effect.
pub fn catch() -> &'static AtomicBool {
    CATCH.call_once(|| {
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // The shutdown goes first, so it fires only on the second signal.
            let _ = signal_hook::flag::register_conditional_shutdown(
                signal,
                i32::from(crate::errors::CANCELLED),
                &STOP,
            )
            .and_then(|_| signal_hook::flag::register(signal, &STOP));
        }
    });
    &STOP
}
