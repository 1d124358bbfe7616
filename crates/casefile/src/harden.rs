//! Keeping the process's secrets (the vault key, the passphrase, decrypted
//! evidence in memory) out of core dumps and out of reach of other processes
//! of the same user: called first thing by the command line and the desktop.

/// Makes the process non-dumpable and sets its core-dump size to zero. On
/// Linux a non-dumpable process writes no core file, cannot be attached to
/// with ptrace by the same user, and its `/proc/PID/` files (`environ`,
/// `mem`, `maps`) become readable by root only.
pub fn harden_process() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{
            DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit,
        };
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        )?;
        set_dumpable_behavior(DumpableBehavior::NotDumpable)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn the_process_becomes_non_dumpable() {
        // A child process, so the test binary itself stays debuggable.
        let exe = std::env::current_exe().unwrap();
        if std::env::var_os("CASEFILE_HARDEN_CHILD").is_some() {
            super::harden_process().unwrap();
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
            assert!(
                limits
                    .lines()
                    .any(|l| l.starts_with("Max core file size") && l.contains(" 0 "))
            );
            assert!(!status.is_empty());
            return;
        }
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "harden::tests::the_process_becomes_non_dumpable",
                "--nocapture",
            ])
            .env("CASEFILE_HARDEN_CHILD", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
