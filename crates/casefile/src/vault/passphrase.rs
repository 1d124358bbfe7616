//! How strong a new passphrase is: estimated with zxcvbn (the estimator of
//! Dropbox's password meter), so "password" or "kitten12" is refused with a
//! sentence saying why and what would do, while four uncommon words pass.

use serde::Serialize;

use super::VaultError;

/// The shortest passphrase a new vault accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// The lowest zxcvbn score (0–4) accepted: 3 means about 10^8 guesses or
/// more, out of reach of online guessing and slowed to years offline by
/// Argon2id at 64 MiB.
pub const MIN_SCORE: u8 = 3;

/// What a new passphrase must be, said before one is asked for.
pub const RULES: &str = "Choose a new passphrase for this vault: at least 8 characters and hard to guess \
(four or five uncommon words, or a long sentence only you would write; not your name). \
It is stored nowhere: without it or the recovery code shown next, nothing in the vault can be opened.";

/// An estimate of a passphrase's strength, for a meter while typing.
#[derive(Debug, Clone, Serialize)]
pub struct Strength {
    /// 0 (guessed at once) to 4 (very hard to guess).
    pub score: u8,
    /// log10 of the guesses needed.
    pub guesses_log10: f64,
    /// Whether a new vault accepts it.
    pub acceptable: bool,
    /// Why it is weak, if it is.
    pub warning: Option<String>,
    /// What would make it stronger.
    pub suggestions: Vec<String>,
}

/// Estimates `passphrase`; `context` holds words an attacker would try
/// first (the collector's name).
pub fn strength(passphrase: &str, context: &[&str]) -> Strength {
    let chars = passphrase.chars().count();
    let e = zxcvbn::zxcvbn(passphrase, context);
    let score = u8::from(e.score());
    let feedback = e.feedback();
    Strength {
        score,
        guesses_log10: e.guesses_log10(),
        acceptable: score >= MIN_SCORE && chars >= MIN_PASSPHRASE_CHARS,
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

/// Refuses a new passphrase that is too short or too easy to guess.
pub fn check_new(passphrase: &str, context: &[&str]) -> Result<(), VaultError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::WeakPassphrase(format!(
            "it is shorter than {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    let s = strength(passphrase, context);
    if s.acceptable {
        return Ok(());
    }
    let why = s
        .warning
        .unwrap_or_else(|| "it follows a pattern that is guessed early".into());
    Err(VaultError::WeakPassphrase(format!(
        "it would be guessed too soon ({}; about 10^{:.0} guesses)",
        why.trim_end_matches('.').to_lowercase(),
        s.guesses_log10
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_ones_are_refused_and_words_pass() {
        for weak in [
            "password",
            "kitten12",
            "12345678",
            "qwertyuiop",
            "Password1",
        ] {
            assert!(check_new(weak, &[]).is_err(), "{weak}");
        }
        for strong in ["correct horse battery staple", "test passphrase 4 casefile"] {
            assert!(check_new(strong, &[]).is_ok(), "{strong}");
        }
        assert!(check_new("short", &[]).is_err());
        let e = check_new("password", &[]).unwrap_err().to_string();
        assert!(e.contains("common password"), "{e}");
        assert!(!strength("amina karimova 1", &["Amina Karimova"]).acceptable);
    }
}
