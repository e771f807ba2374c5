//! Time as the domain sees it: instants in UTC, shown in a district's local time, and how far a client's clock may
//! run ahead of the server's. A leaf module. The domain never reads a clock: the caller passes `now`.

/// Time as the domain sees it: an instant in UTC. Shown to users in the district's local time ([`china_offset`]
/// unless the district says otherwise).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// China Standard Time, UTC+8, with no daylight saving: the zone every command room works in.
pub fn china_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// How far in the future a timestamp may lie: the clock skew allowed between a field phone (or a sensor gateway,
/// or a second server) and the server that checks it. The one such allowance; every check asks [`max_future`].
pub const MAX_CLOCK_SKEW_S: i64 = 5 * 60;

/// [`MAX_CLOCK_SKEW_S`] as a duration.
pub fn max_future() -> chrono::Duration {
    chrono::Duration::seconds(MAX_CLOCK_SKEW_S)
}

/// Whether `at` lies no further in the future than the allowed clock skew, seen at `now`.
pub fn not_in_future(at: Timestamp, now: Timestamp) -> bool {
    at <= now + max_future()
}
