//! What the modules above share about failing: the answer while no district is held, and an error written out
//! with its causes (as the log and the demo's status have always shown them).

use std::fmt;

/// What the server answers while it holds no district.
pub const NO_DISTRICT: &str = "no district imported yet: run pingan-sync district import FILE, or start with --demo";

/// An error and each of its causes, `outer: cause: cause` (the form `{:#}` gives an `anyhow::Error`).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}
