//! What a bundle for one recipient must leave out, decided to fail closed.
//!
//! Structure first: the persons whose consent does not cover a submission to
//! the recipient, every item linked to them, and every item descended from
//! those (a translation of their testimony, a redacted copy of their photo),
//! transitively. Then text: their pseudonyms (and real names, where the vault
//! holds them) are found in any free text, Unicode-normalised (NFKD, marks
//! and invisible characters dropped), case-folded (ß is ss, ς is σ, ı is i),
//! in scripts that separate words with spaces as words that start where the
//! name starts (and, for names of four letters or more, also when a suffix
//! is joined on, as in Turkish), and anywhere in scripts that do not
//! (Chinese, Japanese, Korean, Thai, Arabic, Hebrew...), one character long
//! or not. A letter of an unspaced script beside a Latin name is a word
//! boundary: "证人Ali说" names Ali. Spaces, line breaks, dashes and
//! underscores between the words of a name count as one space, and a name
//! of several words is also found run together. A mention that is part of a
//! word of a longer name of someone else the sheet holds (the perpetrator
//! "Ivanov" for a witness "Ivan") belongs to that name and stays; someone
//! else's name that holds a withheld one as a word stops the export.
//! Scrubbing works on the
//! typed sheet; whatever cannot be scrubbed (an id, a date, a value of a
//! fixed vocabulary) stops the export and is named, never sent.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;

use super::sheet::{CaseSheet, ConsentUse, Regime, StringKind};

/// What stands in for a withheld name.
pub const WITHHELD: &str = "[withheld]";

/// A withheld value that cannot be scrubbed; the export stops.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{place} names {person}, who is left out for lack of consent to this use, and it cannot be \
     scrubbed; change it (or the person's consent), or leave it out, then export again"
)]
pub struct Unscrubbable {
    /// Where: a field of the sheet, an item's field, a file of the bundle.
    pub place: String,
    /// Which person (their id in the sheet).
    pub person: String,
}

/// One pseudonym, folded.
#[derive(Debug, Clone)]
struct Pattern {
    folded: Vec<char>,
    /// Match anywhere, not only as a whole word.
    anywhere: bool,
    /// Match at the start of a word even with letters joined after it (a
    /// suffix): names of four letters or more, which rarely begin another word.
    with_suffix: bool,
    person: String,
}

/// Finds and scrubs the pseudonyms of withheld persons in text.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<Pattern>,
    /// Names of others (a perpetrator, a unit, a person who consented),
    /// folded: a mention that lies inside one of these, and is shorter, is
    /// part of that name, not the withheld person's ("Ivan" in "Ivanov").
    guarded: Vec<Vec<char>>,
}

/// Characters that change nothing a reader sees: soft hyphen, tatweel,
/// zero-width spaces and joiners, word joiners, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{640}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Scripts written without spaces between words, or whose words take
/// prefixes and particles (so a name is not always a whole word).
fn unspaced(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{05ff}'          // Hebrew
        | '\u{0600}'..='\u{06ff}'        // Arabic
        | '\u{0750}'..='\u{077f}'
        | '\u{08a0}'..='\u{08ff}'
        | '\u{0e00}'..='\u{0eff}'        // Thai, Lao
        | '\u{1000}'..='\u{109f}'        // Myanmar
        | '\u{1100}'..='\u{11ff}'        // Hangul Jamo
        | '\u{1780}'..='\u{17ff}'        // Khmer
        | '\u{3040}'..='\u{30ff}'        // Hiragana, Katakana
        | '\u{3130}'..='\u{318f}'
        | '\u{31f0}'..='\u{31ff}'
        | '\u{3400}'..='\u{4dbf}'        // CJK
        | '\u{4e00}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7af}'        // Hangul
        | '\u{f900}'..='\u{faff}'
        | '\u{fb1d}'..='\u{fdff}'        // Hebrew and Arabic presentation forms
        | '\u{fe70}'..='\u{feff}'
        | '\u{ff66}'..='\u{ff9f}'
        | '\u{20000}'..='\u{3ffff}')
}

/// Characters that part the words of a name however it is written: any
/// space or line break, dashes and hyphens, the underscore, the full stop,
/// comma and slash (initials "K. D.", a user name "maria.lopez", a list
/// "Lopez,Maria"), and their full-width forms. A run of them folds to one
/// space, so "Ivan  Petrov", "Ivan-Petrov" and "Ivan" at the end of a line
/// with "Petrov" on the next are one name.
fn separator(c: char) -> bool {
    const PARTING: &[char] = &[
        '-', '_', '.', ',', '/', '\u{2212}', '\u{2e3a}', '\u{2e3b}', '\u{fe58}', '\u{fe63}',
        '\u{ff0c}', '\u{ff0d}', '\u{ff0e}', '\u{ff0f}', '\u{ff3f}',
    ];
    c.is_whitespace() || ('\u{2010}'..='\u{2015}').contains(&c) || PARTING.contains(&c)
}

/// `text` folded for matching, with the index of the original character
/// each folded one came from.
fn fold(text: &str) -> (Vec<char>, Vec<usize>) {
    let mut out = Vec::with_capacity(text.len());
    let mut from = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        for d in std::iter::once(c).nfkd() {
            if unicode_normalization::char::is_combining_mark(d) || invisible(d) {
                continue;
            }
            if separator(d) {
                if out.last() != Some(&' ') {
                    out.push(' ');
                    from.push(i);
                }
                continue;
            }
            for l in d.to_lowercase() {
                // Full case folding where lower-casing one letter falls short.
                let folded: &[char] = match l {
                    'ß' => &['s', 's'],
                    'ς' => &['σ'],
                    'ı' => &['i'],
                    'ſ' => &['s'],
                    'ϐ' => &['β'],
                    'ϑ' => &['θ'],
                    'ϕ' => &['φ'],
                    'ϖ' => &['π'],
                    'ϰ' => &['κ'],
                    'ϱ' => &['ρ'],
                    'ϵ' => &['ε'],
                    _ => std::slice::from_ref(&l),
                };
                for &f in folded {
                    out.push(f);
                    from.push(i);
                }
            }
        }
    }
    (out, from)
}

/// Where each of `names` is written in `folded`, as (start, end) in folded
/// characters: as a whole word in spaced scripts, anywhere in others.
fn occurrences(folded: &[char], names: &[Vec<char>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for name in names {
        let n = name.len();
        if n > folded.len() {
            continue;
        }
        let anywhere = name.iter().any(|c| unspaced(*c));
        for start in 0..=folded.len() - n {
            if folded[start..start + n] != name[..] {
                continue;
            }
            let before = start.checked_sub(1).map(|i| folded[i]);
            let after = folded.get(start + n).copied();
            if anywhere || !(before.is_some_and(is_word) || after.is_some_and(is_word)) {
                out.push((start, start + n));
            }
        }
    }
    out
}

/// Fields of the sheet that hold the name of someone or something other
/// than a person left out: a perpetrator's names and associates, units and
/// institutions, owners, the persons who stay, the submitting organisation.
fn names_another(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    (path.contains(".names[") && last == "value")
        || (path.contains(".associates[") && last == "name")
        || (path.contains(".owners_directors[") && last == "value")
        || (path.starts_with("perpetrators[") && (last == "unit" || last == "institution"))
        || (path.starts_with("persons[") && last == "pseudonym")
        || path == "submission.organisation"
        || path == "submission.contact_name"
        || path.starts_with("submission.partners[")
}

/// A character that continues a word in a spaced script: a letter or digit
/// of a script that separates words with spaces (a Chinese character next to
/// a Latin name is a boundary).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !unspaced(c)
}

impl Matcher {
    /// A matcher for `(person id, pseudonym)` pairs; empty pseudonyms are skipped.
    pub fn new<'a>(names: impl IntoIterator<Item = (&'a str, &'a str)>) -> Matcher {
        let mut patterns: Vec<Pattern> = Vec::new();
        for (person, name) in names {
            let (mut folded, _) = fold(name.trim());
            // "K.D." is the words "k d": what parts them, not what ends them.
            while folded.last() == Some(&' ') {
                folded.pop();
            }
            while folded.first() == Some(&' ') {
                folded.remove(0);
            }
            // A name of several words is also found run together ("IvanPetrov").
            let joined: Vec<char> = folded.iter().copied().filter(|c| *c != ' ').collect();
            let forms = if joined.len() < folded.len() {
                vec![folded, joined]
            } else {
                vec![folded]
            };
            for folded in forms.into_iter().filter(|f| !f.is_empty()) {
                patterns.push(Pattern {
                    anywhere: folded.iter().any(|c| unspaced(*c)),
                    with_suffix: folded.iter().filter(|c| c.is_alphabetic()).count() >= 4,
                    folded,
                    person: person.to_string(),
                });
            }
        }
        // Longest first, so "Ali Hassan" is scrubbed whole before "Ali".
        patterns.sort_by_key(|p| std::cmp::Reverse(p.folded.len()));
        Matcher {
            patterns,
            guarded: Vec::new(),
        }
    }

    /// The same matcher, leaving alone the names of others: where one of
    /// `names` is written, a withheld name inside it that is shorter is
    /// part of it, and stays.
    pub fn guarding<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Matcher {
        self.guarded.extend(
            names
                .into_iter()
                .map(|n| fold(n.trim()).0)
                .map(|f| {
                    f.into_iter()
                        .collect::<String>()
                        .trim()
                        .chars()
                        .collect::<Vec<char>>()
                })
                .filter(|f| !f.is_empty()),
        );
        self
    }

    /// Whether a name holds Cyrillic letters, so texts are also read in the
    /// byte encodings of Cyrillic (Windows-1251, KOI8-R).
    pub fn has_cyrillic(&self) -> bool {
        self.patterns
            .iter()
            .any(|p| p.folded.iter().any(|c| ('\u{400}'..='\u{52f}').contains(c)))
    }

    /// The most characters a mention can span once folded; a window this
    /// wide around any position is enough to see a whole mention.
    pub fn longest(&self) -> usize {
        self.patterns
            .iter()
            .map(|p| p.folded.len())
            .chain(self.guarded.iter().map(Vec::len))
            .max()
            .unwrap_or(0)
    }

    /// True when there is nobody to look for.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Ranges of original characters (start, end exclusive) where a name is
    /// mentioned, with whose; overlapping ranges are merged.
    /// `suffixes`: whether a long name with letters joined after it counts
    /// (in free text, where a suffix may be written on; not in fixed values).
    fn spans(&self, text: &str, suffixes: bool) -> Vec<(usize, usize, &str)> {
        if self.patterns.is_empty() || text.is_empty() {
            return Vec::new();
        }
        let (folded, from) = fold(text);
        // Original characters that fold to nothing (marks, invisibles) after
        // a match belong to it: "José" written with a combining accent.
        let silent: Vec<bool> = text
            .chars()
            .map(|c| {
                std::iter::once(c)
                    .nfkd()
                    .all(|d| unicode_normalization::char::is_combining_mark(d) || invisible(d))
            })
            .collect();
        let guarded = occurrences(&folded, &self.guarded);
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        for p in &self.patterns {
            let n = p.folded.len();
            if n > folded.len() {
                continue;
            }
            for start in 0..=folded.len() - n {
                if folded[start..start + n] != p.folded[..] {
                    continue;
                }
                let mut stop = start + n;
                if !p.anywhere {
                    let before = start.checked_sub(1).map(|i| folded[i]);
                    let after = folded.get(start + n).copied();
                    if before.is_some_and(is_word)
                        || (!(suffixes && p.with_suffix) && after.is_some_and(is_word))
                    {
                        continue;
                    }
                    // A suffix goes with the name: "[withheld]ın" would
                    // still say a name stood there and how it ended.
                    while folded.get(stop).copied().is_some_and(is_word) {
                        stop += 1;
                    }
                }
                // Inside another's name only as part of a word of it: a
                // withheld name that is a word of it ("Ivan's mother",
                // "Ivan.") is a mention, and in unspaced scripts no one
                // can tell, so it is scrubbed there too.
                let part_of_word =
                    !p.anywhere && folded.get(start + n).copied().is_some_and(is_word);
                if part_of_word && guarded.iter().any(|&(s, e)| s <= start && start + n <= e) {
                    continue;
                }
                let mut end = from[stop - 1] + 1;
                while silent.get(end).copied().unwrap_or(false) {
                    end += 1;
                }
                spans.push((from[start], end, p.person.as_str()));
            }
        }
        spans.sort();
        let mut merged: Vec<(usize, usize, &str)> = Vec::new();
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.0 <= last.1 => last.1 = last.1.max(s.1),
                _ => merged.push(s),
            }
        }
        merged
    }

    /// The person whose pseudonym `text` mentions, if any.
    /// Free text is read with suffixes joined on.
    pub fn find(&self, text: &str) -> Option<&str> {
        self.spans(text, true).first().map(|s| s.2)
    }

    /// `text` with every mention replaced by [`WITHHELD`].
    pub fn scrub(&self, text: &str) -> String {
        let spans = self.spans(text, true);
        if spans.is_empty() {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, _) in spans {
            out.extend(&chars[at..start]);
            out.push_str(WITHHELD);
            at = end;
        }
        out.extend(&chars[at..]);
        out
    }

    /// Fails, naming `place`, when `text` mentions a withheld person. For
    /// values that cannot be scrubbed (ids, dates, values of a fixed
    /// vocabulary, what a bundle says after scrubbing): whole words only, so
    /// a pseudonym "Jour" does not stop every bundle with a journalist.
    pub fn check(&self, place: &str, text: &str) -> Result<(), Unscrubbable> {
        match self.spans(text, false).first().map(|s| s.2) {
            Some(person) => Err(Unscrubbable {
                place: place.to_string(),
                person: person.to_string(),
            }),
            None => Ok(()),
        }
    }
}

/// What a bundle for one recipient leaves out.
#[derive(Debug, Clone)]
pub struct Withholding {
    /// The recipient.
    pub recipient: Regime,
    /// Ids of the persons left out.
    pub persons: Vec<String>,
    /// Items left out: linked to those persons, or descended from such an item.
    pub items: BTreeSet<String>,
    /// Finds their pseudonyms.
    pub matcher: Matcher,
}

impl Withholding {
    /// Decides by structure. `children` gives the items derived directly
    /// from an item; `real_name` a person's real identity, where the vault
    /// keeps one (it is looked for too, whole and word by word).
    pub fn decide(
        sheet: &CaseSheet,
        recipient: Regime,
        children: &mut dyn FnMut(&str) -> Vec<String>,
        real_name: &mut dyn FnMut(&str) -> Option<String>,
    ) -> Withholding {
        let withheld: Vec<&super::sheet::Person> = sheet
            .persons
            .iter()
            .filter(|p| !p.consent.covers(ConsentUse::Submission, recipient))
            .collect();
        let persons: Vec<String> = withheld.iter().map(|p| p.id.clone()).collect();
        let mut items: BTreeSet<String> = sheet
            .evidence
            .iter()
            .filter(|l| l.party.as_ref().is_some_and(|p| persons.contains(p)))
            .map(|l| l.item.clone())
            .collect();
        let mut todo: Vec<String> = items.iter().cloned().collect();
        while let Some(id) = todo.pop() {
            for child in children(&id) {
                if items.insert(child.clone()) {
                    todo.push(child);
                }
            }
        }
        let mut names: Vec<(String, String)> = withheld
            .iter()
            .map(|p| (p.id.clone(), p.pseudonym.clone()))
            .collect();
        for p in &withheld {
            // The first line of a stored identity is the name; what follows
            // (a birth date, an address, a telephone) is kept, not looked
            // for, or "Moscow" and "phone" would be scrubbed from every text.
            let real = real_name(&p.id).and_then(|r| {
                r.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
            });
            if let Some(real) = real {
                names.extend(
                    real.split_whitespace()
                        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
                        .map(|w| (p.id.clone(), w.to_string())),
                );
                // Family name first or last: both orders are looked for.
                let words: Vec<&str> = real.split_whitespace().collect();
                if words.len() > 1 {
                    let reversed: Vec<&str> = words.iter().rev().copied().collect();
                    names.push((p.id.clone(), reversed.join(" ")));
                }
                names.push((p.id.clone(), real));
            }
        }
        // The names of everyone and everything else, so that a withheld
        // "Ivan" leaves the perpetrator "Ivanov" whole.
        let mut others = sheet.clone();
        others.persons.retain(|p| !persons.contains(&p.id));
        let mut guarded = Vec::new();
        others.visit_strings(&mut |path, _, value| {
            if names_another(path) {
                guarded.push(value.clone());
            }
        });
        let matcher = Matcher::new(names.iter().map(|(p, n)| (p.as_str(), n.as_str())))
            .guarding(guarded.iter().map(String::as_str));
        Withholding {
            recipient,
            persons,
            items,
            matcher,
        }
    }

    /// The sheet as the recipient may see it: withheld persons and their
    /// links gone, their pseudonyms scrubbed from every free-text field.
    /// Fails, naming the field, where a mention cannot be scrubbed.
    pub fn sheet(&self, sheet: &CaseSheet) -> Result<CaseSheet, Unscrubbable> {
        let withheld = |id: &String| self.persons.contains(id);
        let link_goes = |l: &super::sheet::EvidenceLink| {
            self.items.contains(&l.item) || l.party.as_ref().is_some_and(withheld)
        };
        // Fields are named by their place in the sheet the user wrote, so
        // the walk runs before anything is taken out, past what will be.
        let mut removed: Vec<String> = Vec::new();
        for (i, p) in sheet.persons.iter().enumerate() {
            if withheld(&p.id) {
                removed.push(format!("persons[{i}]"));
            }
        }
        for (i, inc) in sheet.incidents.iter().enumerate() {
            for (j, p) in inc.persons.iter().enumerate() {
                if withheld(p) {
                    removed.push(format!("incidents[{i}].persons[{j}]"));
                }
            }
        }
        for (i, l) in sheet.evidence.iter().enumerate() {
            if link_goes(l) {
                removed.push(format!("evidence[{i}]"));
            }
        }
        let goes = |path: &str| {
            removed.iter().any(|r| {
                path.strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
        };
        let mut out = sheet.clone();
        let mut problem = None;
        out.visit_strings(&mut |path, kind, value| {
            if problem.is_some() || goes(path) {
                return;
            }
            match kind {
                StringKind::Free if names_another(path) => {
                    // Someone else's name that holds a withheld one as a
                    // word, or is the same: scrubbing would change whom it
                    // names, and leaving it would name the person left out.
                    if let Some(person) = self.matcher.find(value) {
                        problem = Some(Unscrubbable {
                            place: format!(
                                "case sheet field {path}, someone else's name that holds the name of a person left out,"
                            ),
                            person: person.to_string(),
                        });
                    }
                }
                StringKind::Free => *value = self.matcher.scrub(value),
                StringKind::Id | StringKind::Date => {
                    if let Err(e) = self
                        .matcher
                        .check(&format!("case sheet field {path}"), value)
                    {
                        problem = Some(e);
                    }
                }
            }
        });
        if let Some(e) = problem {
            return Err(e);
        }
        out.persons.retain(|p| !withheld(&p.id));
        for inc in &mut out.incidents {
            inc.persons.retain(|p| !withheld(p));
        }
        out.evidence.retain(|l| !link_goes(l));
        // What the typed walk does not reach (values of fixed vocabularies)
        // is checked as the recipient will read it.
        let json = serde_json::to_value(&out).unwrap_or_default();
        check_json(&self.matcher, "case sheet field ", &json)?;
        Ok(out)
    }
}

/// Checks every string of a JSON value, naming the path of the first that
/// mentions a withheld person.
pub fn check_json(m: &Matcher, place: &str, v: &serde_json::Value) -> Result<(), Unscrubbable> {
    fn walk(m: &Matcher, path: &str, v: &serde_json::Value) -> Result<(), Unscrubbable> {
        match v {
            serde_json::Value::String(s) => m.check(path, s),
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .try_for_each(|(i, x)| walk(m, &format!("{path}[{i}]"), x)),
            serde_json::Value::Object(o) => o.iter().try_for_each(|(k, x)| {
                m.check(&format!("{path}.{k} (a key)"), k)?;
                walk(m, &format!("{path}.{k}"), x)
            }),
            _ => Ok(()),
        }
    }
    walk(m, place.trim_end(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(names: &[&str]) -> Matcher {
        Matcher::new(names.iter().map(|n| ("W1", *n)))
    }

    #[test]
    fn whole_words_in_any_case_and_normalisation() {
        let ali = m(&["Ali"]);
        for text in [
            "Ali saw it",
            "ali saw",
            "ALI.",
            "asked Ali,",
            "\u{ff21}\u{ff4c}\u{ff49} said",
        ] {
            assert_eq!(ali.find(text), Some("W1"), "{text}");
        }
        for text in ["alibaba", "Kali", "journalist", "Alice"] {
            assert_eq!(ali.find(text), None, "{text}");
        }
        assert_eq!(
            ali.scrub("Ali and ALI met alibaba"),
            "[withheld] and [withheld] met alibaba"
        );
        // NFD and NFC forms, marks dropped.
        let jose = m(&["José"]);
        assert_eq!(jose.find("Jose\u{301} testified"), Some("W1"));
        assert_eq!(jose.find("JOSÉ"), Some("W1"));
        assert_eq!(jose.scrub("by Jose\u{301}."), "by [withheld].");
        // Invisible characters do not hide a name.
        assert_eq!(ali.find("A\u{200b}li"), Some("W1"));
        // A Latin name beside letters of an unspaced script.
        assert_eq!(ali.scrub("证人Ali说他看见了"), "证人[withheld]说他看见了");
        assert_eq!(ali.find("confirmed by Ali的证词"), Some("W1"));
        // Full case folding.
        assert_eq!(m(&["Strauß"]).find("STRAUSS saw it"), Some("W1"));
        assert_eq!(m(&["Νίκος"]).find("ΝΙΚΟΣ ΚΑΙ ΑΛΛΟΙ"), Some("W1"));
        assert_eq!(m(&["Işık"]).find("IŞIK was there"), Some("W1"));
        // A suffix joined to a longer name, as Turkish writes it.
        assert_eq!(m(&["Dilan"]).find("Dilanın evi yandı"), Some("W1"));
        assert_eq!(m(&["Dilan"]).find("Odilan"), None);
        assert_eq!(ali.find("Alice"), None, "short names only as whole words");
    }

    #[test]
    fn anywhere_in_unspaced_scripts_even_one_character() {
        let mei = m(&["梅"]);
        assert_eq!(mei.find("证人梅说"), Some("W1"));
        assert_eq!(mei.scrub("证人梅说"), "证人[withheld]说");
        let arabic = m(&["علي"]);
        assert_eq!(arabic.find("وعلي قال"), Some("W1"), "with a prefix");
        assert_eq!(arabic.find("عَلي"), Some("W1"), "with a vowel mark");
    }

    #[test]
    fn longest_first_and_merged() {
        let both = Matcher::new([("W1", "Ali"), ("W2", "Ali Hassan")]);
        assert_eq!(
            both.scrub("Ali Hassan and Ali"),
            "[withheld] and [withheld]"
        );
        assert!(m(&[""]).is_empty());
    }

    #[test]
    fn a_suffix_goes_with_the_name() {
        assert_eq!(
            m(&["Dilan"]).scrub("Dilanın evi yandı"),
            "[withheld] evi yandı"
        );
        assert_eq!(m(&["Ivan"]).scrub("Ivana's"), "[withheld]'s");
    }

    #[test]
    fn names_of_others_are_left_whole() {
        let ivan = m(&["Ivan"]).guarding(["Ivanov", "Swallow Battalion"]);
        assert_eq!(
            ivan.scrub("IVANOV beat Ivan; Ivanovich too"),
            "IVANOV beat [withheld]; [withheld] too"
        );
        let swal = m(&["Swal"]).guarding(["Swallow Battalion"]);
        assert_eq!(
            swal.scrub("the Swallow Battalion, Swal, a swallow"),
            "the Swallow Battalion, [withheld], a [withheld]"
        );
        // In an unspaced script no one can tell a name from a part of
        // another's: it is scrubbed there too.
        let mei = m(&["梅"]).guarding(["梅建国"]);
        assert_eq!(mei.scrub("梅建国打了梅"), "[withheld]建国打了[withheld]");
        // The same name is not told apart, nor a word of another's name.
        let same = m(&["Ivanov"]).guarding(["Ivanov"]);
        assert_eq!(same.scrub("Ivanov"), "[withheld]");
        let word = m(&["Ivan"]).guarding(["Ivan Petrov", "Ivan's mother"]);
        assert_eq!(word.find("Ivan Petrov"), Some("W1"));
        assert_eq!(word.find("Ivan's mother"), Some("W1"));
        assert_eq!(word.scrub("Ivan."), "[withheld].");
    }

    #[test]
    fn however_the_words_of_a_name_are_parted() {
        let ivan = m(&["Ivan Petrov"]);
        for text in [
            "Ivan  Petrov",
            "Ivan\nPetrov",
            "Ivan\r\n  Petrov",
            "Ivan-Petrov",
            "Ivan_Petrov",
            "Ivan\u{2011}Petrov",
            "IvanPetrov",
            "IVAN PETROV",
        ] {
            assert_eq!(ivan.scrub(text), "[withheld]", "{text:?}");
        }
        assert_eq!(
            ivan.scrub("seen by Ivan\nPetrov at dawn"),
            "seen by [withheld] at dawn"
        );
        let w9 = m(&["W-9"]);
        for text in ["W-9", "W\u{2011}9", "W - 9", "W 9", "w_9", "W9"] {
            assert_eq!(w9.scrub(text), "[withheld]", "{text:?}");
        }
        // A suffix goes with it; a one-word name is not found spelt apart.
        assert_eq!(ivan.scrub("Ivan Petrovich"), "[withheld]");
        assert_eq!(m(&["Ali"]).scrub("Al-i"), "Al-i");
    }
}
