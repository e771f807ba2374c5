//! District packages on the desktop (`pingan-package`): make one from the built-in demo, from a server or from a
//! synced cache (`pingan package export`), add an offline basemap to one (`pingan package add-tiles`), and read
//! one's header (`pingan package info`). Opening one is [`crate::services::source::Source::Package`].

use crate::i18n::Lang;
use crate::services::basemap::{BasemapError, BasemapInfo};
use crate::services::source::{LoadSpec, Source};
use pingan_core::Timestamp;
use pingan_core::assess::EventRecord;
use pingan_demo::{DemoSpec, SimConfig};
use pingan_package::{Package, PackageMeta};
use std::path::{Path, PathBuf};

/// Another crate's error, kept whole (its message is part of ours).
type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a package cannot be made or changed; each says which file, cache or server.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// There is no cache at the path.
    #[error("no cache at {}", path.display())]
    NoCache {
        /// The path.
        path: PathBuf,
    },
    /// The cache does not open.
    #[error("cannot open the cache {}: {source}", path.display())]
    OpenCache {
        /// The cache.
        path: PathBuf,
        /// The store's error.
        source: Cause,
    },
    /// Reading the cache failed.
    #[error("{0}")]
    Cache(Cause),
    /// The cache never synced a district package.
    #[error("the cache {} holds no district package: sync with the server once", path.display())]
    NoPackageInCache {
        /// The cache.
        path: PathBuf,
    },
    /// The cache's package does not decode.
    #[error("the cache's district package: {0}")]
    CachedPackage(Cause),
    /// The async runtime did not start.
    #[error("{0}")]
    Runtime(std::io::Error),
    /// The server's client could not be made.
    #[error("{0}")]
    Api(Cause),
    /// The download failed.
    #[error("{url}: {source}")]
    Download {
        /// The server.
        url: String,
        /// The client's error.
        source: Cause,
    },
    /// The server answered a plain request with 304.
    #[error("the server answered 304 to a plain request")]
    NotModified,
    /// The server's package does not decode.
    #[error("{url} sent a bad package: {source}")]
    BadPackage {
        /// The server.
        url: String,
        /// The decoder's error.
        source: Cause,
    },
    /// The package file does not read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The package file.
        path: PathBuf,
        /// The error.
        source: Cause,
    },
    /// The basemap cannot be used.
    #[error(transparent)]
    Basemap(#[from] BasemapError),
    /// The basemap is elsewhere than the district.
    #[error("{}: the basemap ({info}) does not cover the district {district}", tiles.display())]
    NotCovering {
        /// The basemap file.
        tiles: PathBuf,
        /// What it holds.
        info: BasemapInfo,
        /// The district's name.
        district: String,
    },
    /// The package file cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The package file.
        path: PathBuf,
        /// The error.
        source: Cause,
    },
}

/// The built-in demo as a package: the district, the workers and the history the app shows on it (the open events
/// of the simulation's start count as history too).
pub fn from_demo(spec: &DemoSpec, sim: SimConfig, now: Timestamp) -> Package {
    let load = LoadSpec { seed: spec.seed, sim, now, lang: Lang::Zh, waker: None, replay_days: 0 };
    let loaded = Source::Demo(spec.clone()).load(load, false, &|_| {});
    let mut history = (*loaded.history).clone();
    let mut text = (*loaded.history_text).clone();
    add_events(&mut history, &mut text, &loaded.situation.events);
    let district = std::sync::Arc::unwrap_or_clone(loaded.district);
    let mut p = Package::new(0, now, district, loaded.situation.workers, history).with_history_text(text);
    p.meta.source = "demo".into();
    p
}

/// Add `events` to a history as records, with their numbers and titles when the history has text (a history
/// without text stays without, so that its text never covers only part of it).
fn add_events(
    history: &mut Vec<EventRecord>,
    text: &mut pingan_core::search::HistoryText,
    events: &[pingan_core::Event],
) {
    let with_text = text.len() == history.len();
    for e in events {
        history.push(EventRecord::from(e));
        if with_text {
            text.push(&e.number, &e.title);
        }
    }
}

/// What a synced cache holds, as a package: the server's district package kept there, with the workers as last
/// synced and the cached events added to the history.
pub fn from_cache(path: &Path) -> Result<Package, PackageError> {
    if !path.exists() {
        return Err(PackageError::NoCache { path: path.to_path_buf() });
    }
    let cache = pingan_store::Cache::open(path)
        .map_err(|e| PackageError::OpenCache { path: path.to_path_buf(), source: e.into() })?;
    let (_, bytes) = cache
        .package()
        .map_err(|e| PackageError::Cache(e.into()))?
        .ok_or_else(|| PackageError::NoPackageInCache { path: path.to_path_buf() })?;
    let mut p = pingan_package::decode(&bytes).map_err(|e| PackageError::CachedPackage(e.into()))?;
    let mut cached = cache.load().map_err(|e| PackageError::Cache(e.into()))?;
    let dropped = pingan_core::validate::retain_fitting(&mut cached.situation, &p.district);
    if !dropped.is_empty() {
        tracing::warn!("{} cached records do not fit the district and are left out", dropped.len());
    }
    if !cached.situation.workers.is_empty()
        && cached.situation.workers.iter().enumerate().all(|(i, w)| w.id.index() == i)
    {
        p.workers = cached.situation.workers;
    }
    add_events(&mut p.history, &mut p.history_text, &cached.situation.events);
    p.meta.workers = p.workers.len();
    p.meta.history = p.history.len();
    p.meta.source = format!("cache {}", path.display());
    Ok(p)
}

/// Download a server's district package as is (`GET /v1/district`), checked before it is returned.
pub fn from_server(url: &str, token: &str) -> Result<Vec<u8>, PackageError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(PackageError::Runtime)?;
    let api = pingan_store::Api::new(url, token).map_err(|e| PackageError::Api(e.into()))?;
    let got = rt.block_on(api.district(None, |got, total| {
        if let Some(t) = total.filter(|t| *t > 0) {
            tracing::debug!("{got} / {t} bytes");
        }
    }));
    let (_, bytes) = got
        .map_err(|e| PackageError::Download { url: url.to_string(), source: e.into() })?
        .ok_or(PackageError::NotModified)?;
    pingan_package::decode(&bytes).map_err(|e| PackageError::BadPackage { url: url.to_string(), source: e.into() })?;
    Ok(bytes)
}

/// Put an offline basemap (a PMTiles archive of raster tiles, or an MBTiles file, converted) into the package file at
/// `package` (written whole or not at all); `None` removes it. Returns the new header.
pub fn set_tiles(package: &Path, tiles: Option<&Path>) -> Result<PackageMeta, PackageError> {
    let mut p = pingan_package::read_file(package)
        .map_err(|e| PackageError::Read { path: package.to_path_buf(), source: e.into() })?;
    let bytes = match tiles {
        Some(t) => {
            let (bytes, info) = crate::services::basemap::read_for_package(t)?;
            let [w, s, e, n] = info.bounds;
            let b = p.district.bbox();
            if e < b.min.lon || w > b.max.lon || n < b.min.lat || s > b.max.lat {
                return Err(PackageError::NotCovering {
                    tiles: t.to_path_buf(),
                    info,
                    district: p.district.name.clone(),
                });
            }
            tracing::info!("basemap {}: {info}", t.display());
            Some(bytes)
        }
        None => None,
    };
    p.set_tiles(bytes);
    let write = |e: Cause| PackageError::Write { path: package.to_path_buf(), source: e };
    let bytes = pingan_package::encode(&p).map_err(|e| write(e.into()))?;
    pingan_package::write_file(package, &bytes).map_err(|e| write(e.into()))?;
    Ok(p.meta)
}
