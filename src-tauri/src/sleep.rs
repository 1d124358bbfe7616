//! Locks the vault when the machine has slept. The wall clock keeps moving
//! while a machine is suspended and the monotonic clock (what `Instant`
//! reads) does not, so the gap between them grows by the time asleep. This
//! needs no platform service and also catches hibernation; a user who moves
//! the clock forward by more than the threshold is locked out too, which is
//! the safe side to err on.

use std::time::{Duration, Instant, SystemTime};

use tauri::{Emitter, Manager, Runtime};

use crate::state::AppState;

/// How often the clocks are compared.
const TICK: Duration = Duration::from_secs(3);
/// A jump larger than this between two ticks counts as sleep.
const THRESHOLD: Duration = Duration::from_secs(15);

/// Tells from successive clock readings whether the machine slept.
pub struct Detector {
    start_wall: SystemTime,
    start_mono: Instant,
    last_gap: Option<Duration>,
}

impl Detector {
    /// A detector whose reference is now.
    pub fn new() -> Self {
        Detector {
            start_wall: SystemTime::now(),
            start_mono: Instant::now(),
            last_gap: None,
        }
    }

    /// Feeds one pair of readings; true when the wall clock ran ahead of the
    /// monotonic clock by more than the threshold since the last pair.
    pub fn observe(&mut self, wall: SystemTime, mono: Instant) -> bool {
        let walled = wall.duration_since(self.start_wall).unwrap_or_default();
        let gap = walled.saturating_sub(mono.duration_since(self.start_mono));
        let slept = self.last_gap.is_some_and(|last| gap > last + THRESHOLD);
        self.last_gap = Some(gap);
        slept
    }
}

/// Watches for sleep on a background thread; locks and tells the window.
pub fn watch<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        let mut detector = Detector::new();
        loop {
            std::thread::sleep(TICK);
            if detector.observe(SystemTime::now(), Instant::now()) {
                let state = app.state::<AppState>();
                if state.token().is_some() {
                    // The window forgets everything at once; the vault is
                    // closed as soon as running work lets go of it.
                    state.revoke();
                    let _ = app.emit("vault-locked", "sleep");
                    if let Some(vault) = state.slot().take() {
                        let _ = vault.close();
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_jump_means_sleep_and_steady_time_does_not() {
        let mut d = Detector::new();
        let (w0, m0) = (d.start_wall, d.start_mono);
        let at = |secs: u64, slept: u64| {
            (
                w0 + Duration::from_secs(secs + slept),
                m0 + Duration::from_secs(secs),
            )
        };
        let (w, m) = at(3, 0);
        assert!(
            !d.observe(w, m),
            "the first reading only sets the reference"
        );
        let (w, m) = at(6, 0);
        assert!(!d.observe(w, m));
        let (w, m) = at(9, 2);
        assert!(!d.observe(w, m), "a small clock correction is not sleep");
        let (w, m) = at(12, 600);
        assert!(d.observe(w, m), "ten minutes asleep");
        let (w, m) = at(15, 600);
        assert!(!d.observe(w, m), "once only");
        let (w, m) = at(18, 500);
        assert!(!d.observe(w, m), "the clock set back is not sleep");
    }
}
