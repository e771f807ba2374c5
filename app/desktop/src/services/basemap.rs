//! The offline basemap: raster tiles carried in a district package, drawn under the 2D map with no network.
//!
//! A package carries its basemap as a PMTiles archive (one file, a directory of tiles by Hilbert id, read with the
//! `pmtiles` crate). `pingan package add-tiles` takes a PMTiles archive, or an MBTiles file (the SQLite tile store
//! most tile tools write), which is converted to PMTiles with the same crate's writer. When a package with a basemap
//! is opened (or arrives from the server) its archive is kept as a file in the cache dir, named by its content hash,
//! and walkers' `PmTiles` source reads tiles from it on its own I/O thread.

use pmtiles::{AsyncPmTilesReader, PmTilesWriter, TileCoord, TileType};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Tiles are drawn at this size: raster basemaps are 256-px tiles.
pub const TILE_SIZE: u32 = 256;
/// Basemap files in the cache not used for this long are removed when another one is kept.
const UNUSED_DAYS: u64 = 30;

/// Why a basemap cannot be put in a package or kept: each says which file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    /// The async runtime the reader needs did not start.
    #[error("{0}")]
    Runtime(std::io::Error),
    /// The file could not be read, created or written.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done: `read`, `create`, `write`, `write in`.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The kept file could not be put in place.
    #[error("cannot write {}: {source}", path.display())]
    Persist {
        /// The file.
        path: PathBuf,
        /// The error.
        source: tempfile::PersistError,
    },
    /// No scratch file for the MBTiles conversion.
    #[error("no scratch file for the conversion: {0}")]
    Scratch(std::io::Error),
    /// The scratch file could not be written.
    #[error("{0}")]
    ScratchWrite(std::io::Error),
    /// Not a PMTiles archive the reader can open.
    #[error("{} is not a readable PMTiles archive: {source}", path.display())]
    Unreadable {
        /// The archive.
        path: PathBuf,
        /// The reader's error.
        source: pmtiles::PmtError,
    },
    /// The archive holds tiles the map cannot draw.
    #[error("{} holds {tiles} tiles; the offline basemap must be raster tiles (PNG, JPEG or WebP)", path.display())]
    NotRaster {
        /// The archive.
        path: PathBuf,
        /// Its tile type.
        tiles: String,
    },
    /// The header's zoom levels are the wrong way round.
    #[error("{}: zoom levels {min}–{max} are out of order", path.display())]
    ZoomOrder {
        /// The archive.
        path: PathBuf,
        /// Its minimum zoom.
        min: u8,
        /// Its maximum zoom.
        max: u8,
    },
    /// Neither a PMTiles archive nor an MBTiles file.
    #[error(
        "{} is neither a PMTiles archive nor an MBTiles file (it starts with neither PMTiles nor SQLite)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The MBTiles file's database cannot be read.
    #[error("{} is not a usable MBTiles file: {source}", path.display())]
    Mbtiles {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The MBTiles file's tiles are not raster images.
    #[error("{}: its tiles are {format}; the offline basemap must be raster tiles (png, jpg or webp)", path.display())]
    MbtilesNotRaster {
        /// The file.
        path: PathBuf,
        /// Its metadata's format.
        format: String,
    },
    /// The MBTiles file holds no tiles.
    #[error("{} holds no tiles", path.display())]
    NoTiles {
        /// The file.
        path: PathBuf,
    },
    /// A tile's coordinates are outside its zoom level.
    #[error("{}: tile {z}/{x}/{tms_y} is outside its zoom level", path.display())]
    TileOutside {
        /// The file.
        path: PathBuf,
        /// Zoom.
        z: u32,
        /// Column.
        x: u32,
        /// Row, TMS order.
        tms_y: u32,
    },
    /// A tile's coordinates are refused by the PMTiles writer.
    #[error("{}: {source}", path.display())]
    TileCoord {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        source: pmtiles::PmtError,
    },
    /// Writing the PMTiles archive failed.
    #[error("{0}")]
    Write(pmtiles::PmtError),
}

impl BasemapError {
    /// An I/O error doing `what` to `path`.
    fn io(what: &'static str, path: &Path) -> impl Fn(std::io::Error) -> Self + use<> {
        let path = path.to_path_buf();
        move |source| Self::Io { what, path: path.clone(), source }
    }
}

/// What a basemap archive holds (checked before it is put in a package or drawn).
#[derive(Clone, Debug, PartialEq)]
pub struct BasemapInfo {
    /// The tiles' image format (`png`, `jpeg`, `webp`).
    pub format: &'static str,
    /// Zoom levels held.
    pub zooms: (u8, u8),
    /// Extent (west, south, east, north), degrees WGS84.
    pub bounds: [f64; 4],
    /// Tiles addressed (when the archive says).
    pub tiles: Option<u64>,
}

impl std::fmt::Display for BasemapInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [w, s, e, n] = self.bounds;
        write!(f, "{} tiles, zoom {}–{}, {w:.4},{s:.4} – {e:.4},{n:.4}", self.format, self.zooms.0, self.zooms.1)?;
        if let Some(t) = self.tiles {
            write!(f, ", {t} tiles")?;
        }
        Ok(())
    }
}

/// Read a PMTiles archive's header and root directory, and check that it holds raster tiles the map can draw.
pub fn inspect(path: &Path) -> Result<BasemapInfo, BasemapError> {
    let rt = tokio::runtime::Builder::new_current_thread().build().map_err(BasemapError::Runtime)?;
    let reader = rt
        .block_on(AsyncPmTilesReader::new_with_path(path))
        .map_err(|source| BasemapError::Unreadable { path: path.to_path_buf(), source })?;
    let h = reader.get_header();
    let format = match h.tile_type {
        TileType::Png => "png",
        TileType::Jpeg => "jpeg",
        TileType::Webp => "webp",
        other => {
            return Err(BasemapError::NotRaster { path: path.to_path_buf(), tiles: format!("{other:?}") });
        }
    };
    if h.min_zoom > h.max_zoom {
        return Err(BasemapError::ZoomOrder { path: path.to_path_buf(), min: h.min_zoom, max: h.max_zoom });
    }
    Ok(BasemapInfo {
        format,
        zooms: (h.min_zoom, h.max_zoom),
        bounds: [h.min_longitude, h.min_latitude, h.max_longitude, h.max_latitude],
        tiles: h.n_addressed_tiles().map(u64::from),
    })
}

/// The basemap to put in a package from `path`: a PMTiles archive as is, or an MBTiles file converted to one.
/// Checked either way; returns the archive's bytes and what it holds.
pub fn read_for_package(path: &Path) -> Result<(Vec<u8>, BasemapInfo), BasemapError> {
    let read = BasemapError::io("read", path);
    let mut head = [0u8; 16];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(&read)?;
        f.read(&mut head).map_err(&read)?
    };
    let head = &head[..n];
    if head.starts_with(b"SQLite format 3") {
        let bytes = mbtiles_to_pmtiles(path)?;
        let tmp = tempfile_in(path)?;
        std::fs::write(tmp.path(), &bytes).map_err(BasemapError::ScratchWrite)?;
        let info = inspect(tmp.path())?;
        return Ok((bytes, info));
    }
    if !head.starts_with(b"PMTiles") {
        return Err(BasemapError::UnknownFormat { path: path.to_path_buf() });
    }
    let info = inspect(path)?;
    let bytes = std::fs::read(path).map_err(&read)?;
    Ok((bytes, info))
}

/// A scratch file beside the system's temp dir (falls back to the input's folder).
fn tempfile_in(near: &Path) -> Result<tempfile::NamedTempFile, BasemapError> {
    tempfile::NamedTempFile::new()
        .or_else(|_| tempfile::NamedTempFile::new_in(near.parent().unwrap_or(Path::new("."))))
        .map_err(BasemapError::Scratch)
}

/// Convert an MBTiles file (SQLite: `metadata(name, value)`, `tiles(zoom_level, tile_column, tile_row, tile_data)`
/// with rows in TMS order, south up) into a PMTiles archive.
pub fn mbtiles_to_pmtiles(path: &Path) -> Result<Vec<u8>, BasemapError> {
    let bad = |source: rusqlite::Error| BasemapError::Mbtiles { path: path.to_path_buf(), source };
    let db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(bad)?;
    let meta = |name: &str| -> Option<String> {
        db.query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| r.get::<_, String>(0)).ok()
    };
    let tile_type = match meta("format").as_deref().unwrap_or("png") {
        "png" => TileType::Png,
        "jpg" | "jpeg" => TileType::Jpeg,
        "webp" => TileType::Webp,
        other => {
            return Err(BasemapError::MbtilesNotRaster { path: path.to_path_buf(), format: other.to_string() });
        }
    };
    let mut writer = PmTilesWriter::new(tile_type).tile_compression(pmtiles::Compression::None);
    if let Some(b) = meta("bounds") {
        let v: Vec<f64> = b.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        if let [w, s, e, n] = v[..] {
            writer = writer.bounds(w, s, e, n).center((w + e) / 2.0, (s + n) / 2.0);
        }
    }
    let mut rows = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .map_err(bad)?
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?, r.get::<_, Vec<u8>>(3)?)))
        .map_err(bad)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    if rows.is_empty() {
        return Err(BasemapError::NoTiles { path: path.to_path_buf() });
    }
    let mut coords = Vec::with_capacity(rows.len());
    for (z, x, tms_y, _) in &rows {
        let (z, x, tms_y) = (*z, *x, *tms_y);
        let side = 1u64 << z.min(31);
        if z > 24 || u64::from(x) >= side || u64::from(tms_y) >= side {
            return Err(BasemapError::TileOutside { path: path.to_path_buf(), z, x, tms_y });
        }
        let y = (side - 1 - u64::from(tms_y)) as u32;
        let coord = TileCoord::new(z as u8, x, y)
            .map_err(|source| BasemapError::TileCoord { path: path.to_path_buf(), source })?;
        coords.push(pmtiles::TileId::from(coord));
    }
    // The writer wants tiles in increasing id order.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| coords[i]);
    let (min_zoom, max_zoom) = rows.iter().fold((u8::MAX, 0u8), |(lo, hi), r| (lo.min(r.0 as u8), hi.max(r.0 as u8)));
    writer = writer.min_zoom(min_zoom).max_zoom(max_zoom).center_zoom(min_zoom);
    let mut out = std::io::Cursor::new(Vec::new());
    let mut stream = writer.create(&mut out).map_err(BasemapError::Write)?;
    for i in order {
        let data = std::mem::take(&mut rows[i].3);
        stream.add_raw_tile(coords[i].into(), &data).map_err(BasemapError::Write)?;
    }
    stream.finalize().map_err(BasemapError::Write)?;
    Ok(out.into_inner())
}

/// Where kept basemaps live: `basemaps/` in the app's cache dir (`dir`), or in the system temp dir without one.
pub fn dir(cache_dir: Option<&Path>) -> PathBuf {
    cache_dir.map_or_else(|| std::env::temp_dir().join("pingan"), Path::to_path_buf).join("basemaps")
}

/// Keep a package's basemap as a file in `dir` (named by its content hash, written whole or not at all, not written
/// again when it is already there) and check it; returns its path. Other basemaps there unused for 30 days go.
pub fn keep(tiles: &[u8], dir: &Path) -> Result<PathBuf, BasemapError> {
    let hash = Sha256::digest(tiles);
    let name: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(dir).map_err(BasemapError::io("create", dir))?;
    let path = dir.join(format!("{name}.pmtiles"));
    let fresh = std::fs::metadata(&path).map(|m| m.len() != tiles.len() as u64).unwrap_or(true);
    if fresh {
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(BasemapError::io("write in", dir))?;
        std::fs::write(tmp.path(), tiles).map_err(BasemapError::io("write", tmp.path()))?;
        tmp.persist(&path).map_err(|source| BasemapError::Persist { path: path.clone(), source })?;
    } else if let Ok(f) = std::fs::File::options().append(true).open(&path) {
        // Mark it used (the clean-up below goes by modification time).
        let _ = f.set_modified(std::time::SystemTime::now());
    }
    if let Err(e) = inspect(&path) {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    forget_unused(dir, &path);
    Ok(path)
}

/// Remove basemaps in `dir` other than `keep` that were not used for [`UNUSED_DAYS`].
fn forget_unused(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let limit = std::time::Duration::from_secs(UNUSED_DAYS * 86_400);
    for e in entries.flatten() {
        let p = e.path();
        let old =
            e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|a| a > limit);
        if p != keep && old && p.extension().is_some_and(|x| x == "pmtiles") {
            tracing::info!("removing the unused basemap {}", p.display());
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The tile source for a kept basemap (tiles are read and decoded on walkers' I/O thread; the map repaints as they
/// arrive).
pub fn open(path: &Path, ctx: &egui::Context) -> walkers::PmTiles {
    walkers::PmTiles::with_style_and_tile_size(path, walkers::Style, TILE_SIZE, ctx.clone())
}
