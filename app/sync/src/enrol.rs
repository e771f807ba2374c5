//! Enrolment without typing a token: `pingan-sync user enrol NAME` makes a one-time code for a grid worker's user
//! and shows it with the server's address as a QR code (in the terminal, and as a PNG); the phone sends the code to
//! `POST /v1/enrol` and gets a token of that user, bound to their worker.
//!
//! A code is 10 characters of an alphabet without look-alikes (`K7PM-2XQF-9H`, ~49 bits), stored only as its
//! SHA-256, single use and good for [`CODE_HOURS`]. Redeeming is one conditional `UPDATE` (unused and unexpired), so
//! two phones racing with one code get one token between them; a refused code says why (`unknown`, `used`,
//! `expired`), and unknown codes count as failed logins for the per-address guard ([`crate::guard`]).

use crate::db::{Db, DbError, User};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use pingan_core::sync::Role;
use sqlx::Row as _;

/// How long a code is good for.
pub const CODE_HOURS: i64 = 24;

/// The characters a code is made of: no 0/O, 1/I/L.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Characters in a code.
const CODE_LEN: usize = 10;

/// The most characters a code may arrive with (its own, dashes, spaces).
pub const MAX_TYPED: usize = 32;

/// A code made for a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    /// The code as shown (`XXXX-XXXX-XX`).
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Why a code could not be made or redeemed.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// Only a grid worker bound to a worker enrols a phone.
    #[error("{0} is a {1}: only a grid_worker bound to a worker enrols a phone (see `user add --worker`)")]
    NotAWorker(String, &'static str),
    /// No such code (or not one at all).
    #[error("this enrolment code is not known: check it, or ask for a new one")]
    Unknown,
    /// Already redeemed.
    #[error("this enrolment code was used already: each code enrols one phone; ask for a new one")]
    Used,
    /// Past its time.
    #[error("this enrolment code expired (codes are good for {CODE_HOURS} hours): ask for a new one")]
    Expired,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl EnrolError {
    /// The word for a refusal, as the answer's `reason`.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::Unknown => Some("unknown"),
            Self::Used => Some("used"),
            Self::Expired => Some("expired"),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for EnrolError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sql(e))
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A code as typed or scanned, reduced to its characters (dashes, spaces and case do not matter).
fn normal(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

fn hash(code: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(normal(code).as_bytes()))
}

/// Make a new code for `user` (a grid worker bound to a worker), good for [`CODE_HOURS`] from `now`.
pub async fn new_code(db: &Db, user: &User, now: DateTime<Utc>) -> Result<Code, EnrolError> {
    if user.role != Role::GridWorker || user.worker.is_none() {
        return Err(EnrolError::NotAWorker(user.name.clone(), user.role.name()));
    }
    use rand::Rng as _;
    let mut rng = rand::rng();
    let raw: String = (0..CODE_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    let code = format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..]);
    let expires_at = now + Duration::hours(CODE_HOURS);
    sqlx::query("INSERT INTO enrol_codes (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(hash(&code))
        .bind(user.id)
        .bind(stamp(now))
        .bind(stamp(expires_at))
        .execute(&db.pool)
        .await?;
    Ok(Code { code, expires_at })
}

/// Redeem `code` at `now`: the user it was made for, and a new token of theirs (the role's lifetime).
pub async fn redeem(db: &Db, code: &str, now: DateTime<Utc>) -> Result<(User, String), EnrolError> {
    // No code is longer (with its dashes and spaces typed in): not worth hashing, and no different from unknown.
    if code.chars().count() > MAX_TYPED {
        return Err(EnrolError::Unknown);
    }
    let h = hash(code);
    let taken =
        sqlx::query("UPDATE enrol_codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(stamp(now))
            .bind(&h)
            .execute(&db.pool)
            .await?;
    if taken.rows_affected() != 1 {
        let row =
            sqlx::query("SELECT used_at FROM enrol_codes WHERE hash = $1").bind(&h).fetch_optional(&db.pool).await?;
        return Err(match row {
            None => EnrolError::Unknown,
            Some(r) if r.try_get::<Option<String>, _>(0)?.is_some() => EnrolError::Used,
            Some(_) => EnrolError::Expired,
        });
    }
    let row = sqlx::query(
        "SELECT u.id, u.name, u.role, u.worker_id, u.unit FROM users u JOIN enrol_codes c ON c.user_id = u.id \
         WHERE c.hash = $1",
    )
    .bind(&h)
    .fetch_one(&db.pool)
    .await?;
    let user = crate::db::user_from_row(&row)?;
    let token = crate::tokens::issue(db, &user, crate::tokens::default_ttl(user.role)).await?;
    Ok((user, token))
}

/// What the QR code holds: the server's address with the code, as a link the phone opens.
pub fn link(server: &str, code: &str) -> String {
    format!("{}/field/#enrol={}", server.trim_end_matches('/'), code)
}

/// `text` as a QR code drawn with block characters, light on dark (for a terminal).
pub fn qr_text(text: &str) -> Result<String, qrcode::types::QrError> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(text.as_bytes())?;
    Ok(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build())
}

/// `text` as a QR code in a PNG: 8 pixels a module, a 4-module quiet zone, black on white.
pub fn qr_png(text: &str) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let n = code.width();
    let colors = code.to_colors();
    let side = (n + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x0, y0) = ((i % n + QUIET) * SCALE, (i / n + QUIET) * SCALE);
            for y in y0..y0 + SCALE {
                pixels[y * side + x0..y * side + x0 + SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header()?.write_image_data(&pixels)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed_and_qr_codes_draw() {
        assert_eq!(hash("k7pm-2xqf-9h"), hash("K7PM 2XQF 9H"));
        assert_ne!(hash("K7PM-2XQF-9H"), hash("K7PM-2XQF-9J"));
        let text = qr_text(&link("https://pingan.example:7878/", "K7PM-2XQF-9H")).unwrap();
        assert!(text.lines().count() > 10 && text.contains('█'));
        let png = qr_png("https://pingan.example:7878/field/#enrol=K7PM-2XQF-9H").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let d = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let (w, h) = d.info().size();
        assert!(w == h && w >= (21 + 8) * 8, "{w}×{h}");
    }
}
