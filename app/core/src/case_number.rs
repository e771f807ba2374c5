//! Case numbers (案件编号): the human name of an event or a task book, `YH-20261123-000042`. One rule for everyone
//! who numbers — the server, the simulator, the desktop's offline demo: a prefix by kind, the district's local date
//! of the moment numbered (China Standard Time unless the district says otherwise), and the serial in
//! [`DIGITS`] digits. Numbers made by older versions (five digits, dated by the UTC day) stay what they are:
//! numbers are never re-made, and the search finds a number by its text whatever its width
//! ([`crate::search`]).

use crate::Timestamp;

/// The serial's width: one width whoever numbers.
pub const DIGITS: usize = 6;

/// What a case number numbers; its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaseKind {
    /// 隐患/事件 — a report (`YH`).
    Report,
    /// 预警 — a sensor warning raised by the desktop's own demo sensors (`YJ`).
    Warning,
    /// 巡查任务书 — a patrol task book (`XC`).
    TaskBook,
    /// A record of the demo's generated history (`YH-…-H…`, so it never equals a live event's number).
    History,
}

impl CaseKind {
    /// The letters a number of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Report | Self::History => "YH",
            Self::Warning => "YJ",
            Self::TaskBook => "XC",
        }
    }
}

/// The case number of the `serial`th thing of `kind`, numbered at `at`, in a district whose local time is `local`.
pub fn case_number(kind: CaseKind, serial: u64, at: Timestamp, local: chrono::FixedOffset) -> String {
    let date = at.with_timezone(&local).format("%Y%m%d");
    let history = if kind == CaseKind::History { "H" } else { "" };
    format!("{}-{date}-{history}{serial:0width$}", kind.prefix(), width = DIGITS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::china_offset;

    fn utc(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).expect("valid").with_timezone(&chrono::Utc)
    }

    #[test]
    fn a_report_at_2330_utc_is_dated_the_next_day_in_china() {
        let n = case_number(CaseKind::Report, 42, utc("2026-11-22T23:30:00Z"), china_offset());
        assert_eq!(n, "YH-20261123-000042");
    }

    #[test]
    fn every_kind_has_one_width() {
        let at = utc("2026-11-23T09:30:00+08:00");
        let numbers: Vec<String> = [CaseKind::Report, CaseKind::Warning, CaseKind::TaskBook, CaseKind::History]
            .into_iter()
            .map(|k| case_number(k, 7, at, china_offset()))
            .collect();
        assert_eq!(numbers, ["YH-20261123-000007", "YJ-20261123-000007", "XC-20261123-000007", "YH-20261123-H000007"]);
        // Another zone, if a district says so: the date follows it.
        let utc0 = chrono::FixedOffset::east_opt(0).expect("valid");
        assert_eq!(case_number(CaseKind::Report, 1, utc("2026-11-22T23:30:00Z"), utc0), "YH-20261122-000001");
    }
}
