//! How long each free-text field and list that comes from outside may be, and the check of a text against its limit.
//! A leaf module: the server, the desktop and every check in [`crate::validate`] and [`crate::patrol`] ask these.

/// Longest event title (characters).
pub const MAX_TITLE: usize = 200;
/// Longest human-readable place (characters).
pub const MAX_PLACE: usize = 200;
/// Longest case number (characters).
pub const MAX_NUMBER: usize = 40;
/// Longest note on a feedback, close or rework step (characters).
pub const MAX_NOTE: usize = 2000;
/// Longest reason for an escalation or a reopening (characters).
pub const MAX_REASON: usize = 1000;
/// Longest person's name (characters).
pub const MAX_NAME: usize = 64;
/// Longest phone number (characters: digits, spaces, `+`, `-`).
pub const MAX_PHONE: usize = 20;
/// Most grids one worker serves.
pub const MAX_WORKER_GRIDS: usize = 64;
/// Most history steps an event may arrive with (a report carries none; a snapshot carries what was logged).
pub const MAX_HISTORY: usize = 10_000;
/// Most duplicate reports one event may gather.
pub const MAX_LINKED: usize = 1_000;
/// Most readings a warning's evidence may carry.
pub const MAX_EVIDENCE: usize = 400;

/// Why a free-text field is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than its limit.
    #[error("{field} is {len} characters long; at most {max}")]
    TooLong {
        /// The field, in words.
        field: String,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A control character other than newline and tab.
    #[error("{field} contains the control character {c:?}")]
    Control {
        /// The field, in words.
        field: String,
        /// The character.
        c: char,
    },
    /// A reason that must be given, left blank.
    #[error("{field} is empty: say why")]
    Blank {
        /// The field, in words.
        field: String,
    },
}

/// Check a free-text field: at most `max` characters and no control characters other than newline and tab.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), TextError> {
    let len = value.chars().count();
    if len > max {
        return Err(TextError::TooLong { field: field.to_string(), len, max });
    }
    if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
        return Err(TextError::Control { field: field.to_string(), c });
    }
    Ok(())
}

/// Check a reason that must be given (rework, escalation, reopening, re-routing): not blank, and within limits.
pub fn check_reason(field: &str, value: &str, max: usize) -> Result<(), TextError> {
    if value.trim().is_empty() {
        return Err(TextError::Blank { field: field.to_string() });
    }
    check_text(field, value, max)
}

/// Why data from outside (a command, a snapshot record, a change, a file) does not fit the district or the rules,
/// in words for the operator. The variant says what kind of misfit it is; the server answers every one of them
/// with a refusal, the desktop skips the record and says why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Invalid {
    /// A free-text field over its limit, with a control character, or blank where a reason is needed.
    #[error(transparent)]
    Text(#[from] TextError),
    /// It names something that does not exist: a grid, building, event, worker, task book or stop.
    #[error("{0}")]
    Unknown(String),
    /// A time further ahead than the allowed clock skew.
    #[error("{0}")]
    Future(String),
    /// A position off the map, outside the district, or far from the worker's grids.
    #[error("{0}")]
    Position(String),
    /// A value that breaks a rule: a size, the order of two times, parts that do not belong together.
    #[error("{0}")]
    Rule(String),
    /// One of the above, about a named part (`event YH-…`, `task book XC-…`).
    #[error("{what}: {source}")]
    In {
        /// The part, in words.
        what: String,
        /// What is wrong with it.
        source: Box<Invalid>,
    },
}

impl Invalid {
    /// This misfit, said of `what`.
    pub fn within(self, what: impl Into<String>) -> Invalid {
        Invalid::In { what: what.into(), source: Box::new(self) }
    }
}
