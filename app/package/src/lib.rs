//! `pingan-package`: a whole district — units, boundaries, buildings, address codes, population — with its grid
//! worker roster, its event history and, optionally, an offline basemap, in one versioned, checksummed file.
//!
//! The sync server builds one after every reference-data import and serves it as `GET /v1/district`; the desktop
//! keeps the newest in its cache (so it starts offline) and reads and writes the same bytes as a file
//! (`pingan package export FILE`, `pingan --package FILE`), so a laptop carries a district in one file.
//!
//! # Format (version [`FORMAT`])
//!
//! ```text
//! offset  size          what
//! 0       8             magic "PINGANPK"
//! 8       4             format version, u32 little-endian (readers refuse a newer one)
//! 12      4             length M of the header, u32 LE (at most 1 MiB)
//! 16      M             header: PackageMeta as UTF-8 JSON (readable with `head -c`, no decoder needed)
//! …       8 + n         section "district": n (u64 LE), then postcard(District), deflated
//! …       8 + n         section "workers":  n, then postcard(Vec<GridWorker>), deflated
//! …       8 + n         section "history":  n, then postcard(Vec<EventRecord>), deflated
//! …       8 + n         section "tiles":    n (0: none), then a PMTiles archive of raster tiles, stored as is
//! …       8 + n         section "titles":   n, then postcard(HistoryText), deflated (format 2 on; format 1 files
//!                       have no such section and load with a history without numbers and titles)
//! end-32  32            SHA-256 of every byte before it
//! ```
//!
//! Reading checks, in this order, and stops at the first failure with a [`PackageError`] that says what is wrong:
//! the magic (a foreign file), the format version, the length and checksum (a truncated or corrupt file), each
//! section's bounds and inflated size, the decoded data, and that the district hangs together
//! ([`District::check_references`]), that every worker fits it and every history record names units it has.
//! So a file either loads whole or not at all, and nothing that reads a package can be made to index out of range.
//!
//! Why these pieces: postcard is serde's compact binary form (no field names, varint integers), the fastest to
//! decode of the serde formats we tried for 76k buildings; deflate (`flate2` on the pure-Rust `miniz_oxide`)
//! halves it again and needs no C library; SHA-256 (`sha2`, already used by the server for tokens) is the
//! checksum and gives the HTTP ETag.
//!
//! ## From the server to a pixel
//!
//! ```text
//!  pingan-sync district import / workers import / events import (admin CLI, or --demo through the same code)
//!    └─► one transaction: districts (postcard+deflate), workers (WorkerJoin through the log), history rows,
//!        meta.district_version += 1, packages(version, etag, bytes)
//!  running server: polls meta.district_version every 2 s ─► swaps Arc<District> in the writer and the HTTP state
//!  GET /v1/district (If-None-Match) ─► 304, or the package bytes (shared Arc, no per-request copy)
//!  desktop link, on every connect: ─► progress in LinkStatus.download ─► pingan_package::decode (all checks)
//!    ─► cache.package (SQLite blob) ─► Update::District ─► AppState::replace_district (index, history, assessment)
//!    ─► a changed district: the cached situation is set aside and a snapshot taken, checked against the new one
//!  next start, server down: Link::start decodes the kept package ─► the same district, history and colours at once
//!  a package's basemap (PMTiles bytes) ─► services::basemap::keep: <cache>/basemaps/<sha256>.pmtiles (once, atomic,
//!    checked) ─► AppState.basemap ─► walkers::PmTiles (its own I/O thread) ─► tiles under the 2D overlay
//! ```
//!
//! Why a package of postcard + deflate rather than tables the client queries: the desktop needs the whole district in
//! memory anyway (maps, index, assessment), a single blob is one HTTP response with one ETag and one cache row, and the
//! same bytes are the offline file a laptop carries. Why `dpkg-deb` in `packaging/build-deb.sh` rather than `cargo-deb`:
//! installing `cargo-deb` compiles 69 crates on every fresh CI machine (about 4 minutes of CPU), while the script needs
//! nothing beyond Debian's own tools; the `[package.metadata.deb]` sections describe the same packages for `cargo deb`.

use pingan_core::assess::EventRecord;
use pingan_core::search::HistoryText;
use pingan_core::{District, GridWorker, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::io::{Read as _, Write as _};

/// The format version this crate writes and the newest it reads.
pub const FORMAT: u32 = 2;
/// The first eight bytes of every package.
pub const MAGIC: &[u8; 8] = b"PINGANPK";
/// Largest header (JSON) accepted.
pub const MAX_META: usize = 1 << 20;
/// Largest inflated section accepted (a deflate bomb stops here).
pub const MAX_INFLATED: u64 = 4 << 30;
/// The MIME type the server serves a package with.
pub const MIME: &str = "application/vnd.pingan.package";

/// The package's header: what it holds, readable without decoding the rest ([`peek`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackageMeta {
    /// Format version ([`FORMAT`]).
    pub format: u32,
    /// The district's version on the server that built it (bumped by every import), 0 for a local package.
    pub version: u64,
    /// The district's name, e.g. 余杭区.
    pub name: String,
    /// The district's address code.
    pub code: String,
    /// When the package was built.
    pub created_at: Timestamp,
    /// Towns, communities, grids and buildings.
    pub units: [usize; 4],
    /// Buildings.
    pub buildings: usize,
    /// Grid workers in the roster.
    pub workers: usize,
    /// Event history records.
    pub history: usize,
    /// Bytes of the offline basemap (0: none).
    pub tiles: usize,
    /// Where it came from (a server's URL, `demo`, a file), for the operator.
    #[serde(default)]
    pub source: String,
}

/// A whole district with its roster, history and optional basemap.
#[derive(Clone, Debug, PartialEq)]
pub struct Package {
    /// The header.
    pub meta: PackageMeta,
    /// The district.
    pub district: District,
    /// The grid workers (their last known status and position included).
    pub workers: Vec<GridWorker>,
    /// Past events, for the five-colour assessment and the report.
    pub history: Vec<EventRecord>,
    /// An offline basemap: a PMTiles archive of raster tiles over the district, as is.
    pub tiles: Option<Vec<u8>>,
    /// The history records' case numbers and titles, by record (empty: a history without text), for the search.
    pub history_text: HistoryText,
}

/// Why a package cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PackageError {
    /// Not a package at all.
    #[error("not a Pingan district package (it does not start with PINGANPK)")]
    Foreign,
    /// Written by a newer Pingan.
    #[error("the package has format {0}; this Pingan reads format {FORMAT} and older — update Pingan")]
    NewerFormat(u32),
    /// Cut short.
    #[error("the package is truncated: {0}")]
    Truncated(String),
    /// Bytes changed after it was written.
    #[error("the package is corrupt: its checksum does not match (changed or damaged after it was written)")]
    Checksum,
    /// A part cannot be decoded or does not hang together.
    #[error("the package's {section} is invalid: {why}")]
    Invalid {
        /// Which part.
        section: &'static str,
        /// What is wrong.
        why: String,
    },
}

fn invalid(section: &'static str, why: impl std::fmt::Display) -> PackageError {
    PackageError::Invalid { section, why: why.to_string() }
}

impl Package {
    /// A package of `district`, `workers` and `history` as of `created_at`, with the header filled in.
    pub fn new(
        version: u64,
        created_at: Timestamp,
        district: District,
        workers: Vec<GridWorker>,
        history: Vec<EventRecord>,
    ) -> Self {
        let meta = PackageMeta {
            format: FORMAT,
            version,
            name: district.name.clone(),
            code: district.code.to_string(),
            created_at,
            units: [district.towns.len(), district.communities.len(), district.grids.len(), district.buildings.len()],
            buildings: district.buildings.len(),
            workers: workers.len(),
            history: history.len(),
            tiles: 0,
            source: String::new(),
        };
        Self { meta, district, workers, history, tiles: None, history_text: HistoryText::new() }
    }

    /// The same, with the history's numbers and titles (one per record).
    pub fn with_history_text(mut self, text: HistoryText) -> Self {
        self.history_text = text;
        self
    }

    /// Set (or remove) the offline basemap, keeping the header in step.
    pub fn set_tiles(&mut self, tiles: Option<Vec<u8>>) {
        self.meta.tiles = tiles.as_ref().map_or(0, Vec::len);
        self.tiles = tiles;
    }
}

/// Why a package (or a district on its own) cannot be written. Each message carries its cause in words, so the cause
/// is not also chained as a `source` (a chain printer would say it twice).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A section's data does not serialize.
    #[error("the package's {section} cannot be serialized: {cause}")]
    Serialize {
        /// Which part.
        section: &'static str,
        /// What postcard said.
        cause: postcard::Error,
    },
    /// A section cannot be deflated.
    #[error("the package's {section} cannot be deflated: {cause}")]
    Deflate {
        /// Which part.
        section: &'static str,
        /// What the encoder said.
        cause: std::io::Error,
    },
    /// The header does not serialize.
    #[error("the package's header cannot be written: {0}")]
    Header(serde_json::Error),
}

/// Section `section`: `value` in postcard, deflated.
fn deflate<T: Serialize + ?Sized>(section: &'static str, value: &T) -> Result<Vec<u8>, EncodeError> {
    let raw = postcard::to_stdvec(value).map_err(|cause| EncodeError::Serialize { section, cause })?;
    let mut z = flate2::write::DeflateEncoder::new(Vec::with_capacity(raw.len() / 2), flate2::Compression::fast());
    z.write_all(&raw).and_then(|()| z.finish()).map_err(|cause| EncodeError::Deflate { section, cause })
}

fn inflate<T: serde::de::DeserializeOwned>(section: &'static str, bytes: &[u8]) -> Result<T, PackageError> {
    let mut raw = Vec::with_capacity(bytes.len().saturating_mul(2));
    flate2::read::DeflateDecoder::new(bytes)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut raw)
        .map_err(|e| invalid(section, format!("cannot inflate: {e}")))?;
    if raw.len() as u64 > MAX_INFLATED {
        return Err(invalid(section, format!("inflates to more than {MAX_INFLATED} bytes")));
    }
    let (value, rest) = postcard::take_from_bytes(&raw).map_err(|e| invalid(section, format!("cannot decode: {e}")))?;
    if !rest.is_empty() {
        return Err(invalid(section, format!("{} bytes left over after the data", rest.len())));
    }
    Ok(value)
}

/// A district on its own, compact (postcard, deflated): how the server stores a district version.
pub fn encode_district(d: &District) -> Result<Vec<u8>, EncodeError> {
    deflate("district", d)
}

/// Read what [`encode_district`] wrote, and check that the district hangs together.
pub fn decode_district(bytes: &[u8]) -> Result<District, PackageError> {
    let d: District = inflate("district", bytes)?;
    d.check_references().map_err(|e| invalid("district", e))?;
    Ok(d)
}

/// Write a package.
pub fn encode(p: &Package) -> Result<Vec<u8>, EncodeError> {
    let mut meta = p.meta.clone();
    meta.format = FORMAT;
    meta.tiles = p.tiles.as_ref().map_or(0, Vec::len);
    let meta = serde_json::to_vec(&meta).map_err(EncodeError::Header)?;
    let sections = [
        deflate("district", &p.district)?,
        deflate("roster", &p.workers)?,
        deflate("history", &p.history)?,
        p.tiles.clone().unwrap_or_default(),
        deflate("titles", &p.history_text)?,
    ];
    let total = 16 + meta.len() + sections.iter().map(|s| 8 + s.len()).sum::<usize>() + 32;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    for s in &sections {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    Ok(out)
}

/// The checked parts of a package's bytes: header and the sections (four in format 1, five from format 2), not yet
/// decoded; a missing section is empty.
struct Parts<'a> {
    meta: PackageMeta,
    sections: [&'a [u8]; 5],
}

fn split(bytes: &[u8], verify: bool) -> Result<Parts<'_>, PackageError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(PackageError::Foreign);
    }
    let u32_at = |at: usize| -> Result<u32, PackageError> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| PackageError::Truncated(format!("it ends at byte {} inside the header", bytes.len())))
    };
    let format = u32_at(8)?;
    if format > FORMAT || format == 0 {
        return Err(PackageError::NewerFormat(format));
    }
    let meta_len = u32_at(12)? as usize;
    if meta_len > MAX_META {
        return Err(invalid("header", format!("{meta_len} bytes long; at most {MAX_META}")));
    }
    if bytes.len() < 16 + meta_len + 32 {
        return Err(PackageError::Truncated(format!("{} bytes, too short for its own header", bytes.len())));
    }
    if verify {
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != sum {
            return Err(PackageError::Checksum);
        }
    }
    let meta: PackageMeta = serde_json::from_slice(&bytes[16..16 + meta_len])
        .map_err(|e| invalid("header", format!("not readable: {e}")))?;
    let end = bytes.len() - 32;
    let mut at = 16 + meta_len;
    let mut sections: [&[u8]; 5] = [&[]; 5];
    let names = ["district", "workers", "history", "tiles", "titles"];
    for (i, name) in names.into_iter().enumerate().take(if format >= 2 { 5 } else { 4 }) {
        let len = bytes
            .get(at..at + 8)
            .filter(|_| at + 8 <= end)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .ok_or_else(|| PackageError::Truncated(format!("the {name} section's length is missing")))?;
        let start = at + 8;
        let stop = usize::try_from(len).ok().and_then(|n| start.checked_add(n)).filter(|&s| s <= end);
        let Some(stop) = stop else {
            return Err(PackageError::Truncated(format!("the {name} section claims {len} bytes; fewer are left")));
        };
        sections[i] = &bytes[start..stop];
        at = stop;
    }
    if at != end {
        return Err(invalid("layout", format!("{} unexpected bytes before the checksum", end - at)));
    }
    Ok(Parts { meta, sections })
}

/// The header of a package, from its first bytes (checks the magic and format, not the checksum): what the desktop
/// shows before it loads a file, and how it compares versions.
pub fn peek(bytes: &[u8]) -> Result<PackageMeta, PackageError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(PackageError::Foreign);
    }
    let format = bytes.get(8..12).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let meta_len = bytes.get(12..16).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let (Some(format), Some(meta_len)) = (format, meta_len) else {
        return Err(PackageError::Truncated("it ends inside the header".into()));
    };
    if format > FORMAT || format == 0 {
        return Err(PackageError::NewerFormat(format));
    }
    let meta_len = (meta_len as usize).min(MAX_META + 1);
    let Some(meta) = bytes.get(16..16 + meta_len) else {
        return Err(PackageError::Truncated("it ends inside the header".into()));
    };
    serde_json::from_slice(meta).map_err(|e| invalid("header", format!("not readable: {e}")))
}

/// Read a whole package: every check in the module's description, then the decoded parts.
pub fn decode(bytes: &[u8]) -> Result<Package, PackageError> {
    let Parts { meta, sections } = split(bytes, true)?;
    let district: District = inflate("district", sections[0])?;
    district.check_references().map_err(|e| invalid("district", e))?;
    let workers: Vec<GridWorker> = inflate("roster", sections[1])?;
    // In id order: dense in a whole roster, with holes in the roster a scoped reader gets (the workers they may see).
    for (i, w) in workers.iter().enumerate() {
        if i > 0 && workers[i - 1].id >= w.id {
            return Err(invalid("roster", format!("worker #{i} (id {}) is out of order", w.id.0)));
        }
        pingan_core::validate::check_worker(w, &district).map_err(|e| invalid("roster", e))?;
    }
    let history: Vec<EventRecord> = inflate("history", sections[2])?;
    let (nt, nc, ng, nb) =
        (district.towns.len(), district.communities.len(), district.grids.len(), district.buildings.len());
    if let Some((i, _)) = history.iter().enumerate().find(|(_, r)| {
        r.town.index() >= nt
            || r.community.index() >= nc
            || r.grid.index() >= ng
            || r.building.is_some_and(|b| b.index() >= nb)
    }) {
        return Err(invalid("history", format!("record {i} names a unit the district does not have")));
    }
    let tiles = (!sections[3].is_empty()).then(|| sections[3].to_vec());
    let history_text: HistoryText =
        if sections[4].is_empty() { HistoryText::new() } else { inflate("titles", sections[4])? };
    history_text.check(history.len()).map_err(|e| invalid("titles", e))?;
    if meta.name != district.name {
        return Err(invalid("header", format!("names {:?} but holds {:?}", meta.name, district.name)));
    }
    Ok(Package { meta, district, workers, history, tiles, history_text })
}

/// The package's checksum as a quoted strong HTTP ETag, e.g. `"7-3fa9c0d1e2b4a5c6"` (version, then the first 16
/// hex digits of its SHA-256): equal bytes, equal tag.
pub fn etag(bytes: &[u8]) -> String {
    let version = peek(bytes).map_or(0, |m| m.version);
    let sum = if bytes.len() >= 32 { hex::encode(&bytes[bytes.len() - 32..][..8]) } else { "0".repeat(16) };
    format!("\"{version}-{sum}\"")
}

/// Write a package file: into a temporary file beside it, flushed to disk, then renamed over `path`, so that a
/// crash or a full disk never leaves half a package where a good one was.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "package".into());
    let tmp = dir.join(format!(".{name}.part"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Largest package file [`read_file`] reads (a district with a city's basemap fits; a wrong file is not read whole).
pub const MAX_FILE: u64 = 8 << 30;

/// Read and decode a package file.
pub fn read_file(path: &std::path::Path) -> Result<Package, FileError> {
    let len = std::fs::metadata(path).map_err(FileError::Io)?.len();
    if len > MAX_FILE {
        return Err(FileError::TooLarge(len));
    }
    let bytes = std::fs::read(path).map_err(FileError::Io)?;
    decode(&bytes).map_err(FileError::Package)
}

/// Why a package file cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file cannot be read.
    #[error("cannot read the file: {0}")]
    Io(std::io::Error),
    /// Far larger than any package.
    #[error("the file is {0} bytes; a package is at most {MAX_FILE}")]
    TooLarge(u64),
    /// Read, but not a good package.
    #[error("{0}")]
    Package(PackageError),
}
