//! [`HistoryText`]: the case number and one-line title of every history record, beside the records.
//!
//! The history is hundreds of thousands to millions of [`crate::assess::EventRecord`]s, which stay small and `Copy`
//! (the assessment copies them by the million). Their text lives apart, in one string with the end offset of each
//! entry: about 45 bytes a record and two allocations in all, instead of two `String`s per record.

use serde::{Deserialize, Serialize};

/// Separates a record's number from its title inside the column (never typed by people).
const SEP: char = '\u{1f}';

/// A history record's number and title have an event's limits.
pub use crate::limits::{MAX_NUMBER, MAX_TITLE};

/// Whether `c` may appear in a number or title: no control characters (line breaks, the separator) and no
/// invisible format characters (bidirectional overrides that would make a title display as something else).
fn allowed(c: char) -> bool {
    !c.is_control()
        && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// Check one record's number and title: at most [`MAX_NUMBER`] and [`MAX_TITLE`] characters, no control or
/// invisible format characters. The server checks every imported line with it, and a package's column is checked
/// with it when read.
pub fn check_entry(number: &str, title: &str) -> Result<(), EntryError> {
    if number.chars().count() > MAX_NUMBER || !number.chars().all(allowed) {
        return Err(EntryError::Number);
    }
    if title.chars().count() > MAX_TITLE || !title.chars().all(allowed) {
        return Err(EntryError::Title);
    }
    Ok(())
}

/// Why a record's number or title is refused ([`check_entry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The case number is too long or holds control or invisible characters.
    #[error("the number is longer than {MAX_NUMBER} characters or holds control characters")]
    Number,
    /// The title is too long or holds control or invisible characters.
    #[error("the title is longer than {MAX_TITLE} characters or holds control characters")]
    Title,
}

/// Why a column of numbers and titles is not whole ([`HistoryText::check`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Another number of entries than of records.
    #[error("{titles} titles for {records} records")]
    Count {
        /// Entries in the column.
        titles: usize,
        /// Records in the history.
        records: usize,
    },
    /// An entry's end offset lies before its start or past the text.
    #[error("title {0} ends outside the text")]
    OutOfBounds(usize),
    /// An entry that does not read (not on a character boundary, or without its separator).
    #[error("title {0} is damaged")]
    Damaged(usize),
    /// An entry whose number or title is refused.
    #[error("record {record}: {source}")]
    Entry {
        /// The record's index.
        record: usize,
        /// What is wrong with it.
        source: EntryError,
    },
}

/// The numbers and titles of the history records, by record index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryText {
    /// Every entry, `number SEP title`, one after the other.
    text: String,
    /// Where each entry ends in `text` (entry `i` starts where `i - 1` ends).
    ends: Vec<u64>,
}

impl HistoryText {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` entries of about `bytes` bytes each.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Self { text: String::with_capacity(n * bytes), ends: Vec::with_capacity(n) }
    }

    /// Add the next record's number and title (a separator character in either is dropped).
    pub fn push(&mut self, number: &str, title: &str) {
        self.text.extend(number.chars().filter(|c| *c != SEP));
        self.text.push(SEP);
        self.text.extend(title.chars().filter(|c| *c != SEP));
        self.ends.push(self.text.len() as u64);
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Record `i`'s number and title (`None`: no such entry, or a damaged column).
    pub fn get(&self, i: usize) -> Option<(&str, &str)> {
        let end = usize::try_from(*self.ends.get(i)?).ok()?;
        let start = if i == 0 { 0 } else { usize::try_from(self.ends[i - 1]).ok()? };
        self.text.get(start..end)?.split_once(SEP)
    }

    /// Record `i`'s number, or `""`.
    pub fn number(&self, i: usize) -> &str {
        self.get(i).map_or("", |(n, _)| n)
    }

    /// Record `i`'s title, or `""`.
    pub fn title(&self, i: usize) -> &str {
        self.get(i).map_or("", |(_, t)| t)
    }

    /// Whether the column is whole: `records` entries (or none at all: a history without text), offsets rising
    /// inside the text, each entry with its separator. A column read from a file or the network is checked once
    /// with this, so [`HistoryText::get`] never meets a damaged one in use (it would answer `None` even then).
    pub fn check(&self, records: usize) -> Result<(), TextError> {
        if !self.is_empty() && self.len() != records {
            return Err(TextError::Count { titles: self.len(), records });
        }
        let mut start = 0u64;
        for (i, end) in self.ends.iter().enumerate() {
            if *end < start || *end > self.text.len() as u64 {
                return Err(TextError::OutOfBounds(i));
            }
            let Some((number, title)) = self.get(i) else {
                return Err(TextError::Damaged(i));
            };
            check_entry(number, title).map_err(|source| TextError::Entry { record: i, source })?;
            start = *end;
        }
        Ok(())
    }

    /// Append `other`'s entries.
    pub fn extend(&mut self, other: &HistoryText) {
        for i in 0..other.len() {
            let (n, t) = other.get(i).unwrap_or_default();
            self.push(n, t);
        }
    }

    /// Bytes held (text and offsets).
    pub fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_and_a_damaged_column_is_refused() {
        let mut t = HistoryText::new();
        t.push("YH-20260101-H00001", "家暴求助");
        t.push("", "");
        t.push("N\u{1f}3", "租房纠纷");
        assert_eq!(t.get(0), Some(("YH-20260101-H00001", "家暴求助")));
        assert_eq!(t.get(1), Some(("", "")));
        assert_eq!(t.get(2), Some(("N3", "租房纠纷")));
        assert_eq!(t.get(3), None);
        assert!(t.check(3).is_ok());
        assert!(t.check(4).is_err());
        assert!(HistoryText::new().check(10).is_ok(), "no text at all is fine");
        let mut bad = t.clone();
        bad.ends[1] = 2; // inside a multi-byte character
        assert!(bad.check(3).is_err());
        bad.ends[1] = 10_000;
        assert!(bad.check(3).is_err());
        assert_eq!(bad.get(1), None);
    }
}
