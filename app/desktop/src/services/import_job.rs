//! Imported scenarios: a GeoJSON file read and checked off the UI thread, then either run as the district
//! (replacing the demo) or drawn over the current map (an overlay). The accepted file is kept, with how it was read,
//! in the scenario folder of the local data dir, so the next start shows it again until the user removes it.
//!
//! Files in the scenario folder: `scenario.geojson` (a copy of the source) and `scenario.json` ([`ScenarioMeta`]).
//! A new import is staged as `pending.*` and only renamed over them when the user accepts it, so a failed or
//! abandoned import never touches what is already loaded or saved.

use crate::services::fills::OverlayFills;
use crate::services::source::{LoadSpec, Loaded, Source};
use pingan_core::import::{self, Crs, ImportAs, Imported};
use pingan_store::wake;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;

/// Replace the demo district, or draw over it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportMode {
    /// The imported units and buildings become the district: the map, the five-colour view, the simulated feed.
    #[default]
    Replace,
    /// The imported features are drawn over the current district, which stays as it is.
    Overlay,
}

/// What the user asked to import.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRequest {
    /// The file.
    pub path: PathBuf,
    /// The datum assumed for its coordinates.
    pub crs: Crs,
    /// What its features are.
    pub as_: ImportAs,
    /// Replace or overlay.
    pub mode: ImportMode,
}

impl ImportRequest {
    /// A first guess for a picked file: GCJ-02 when the name says it comes from Amap or DataV, else WGS84; the
    /// feature kind from the file; replace the district, or overlay it when the situation comes from a server (whose
    /// events belong to its district).
    pub fn guess(path: PathBuf, linked: bool) -> Self {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let crs = if name.contains("gcj") || name.contains("datav") || name.contains("amap") {
            Crs::Gcj02
        } else {
            Crs::Wgs84
        };
        let mode = if linked { ImportMode::Overlay } else { ImportMode::Replace };
        Self { path, crs, as_: ImportAs::Auto, mode }
    }
}

/// How a kept scenario was read (saved as `scenario.json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioMeta {
    /// Shown name (the source file's stem).
    pub name: String,
    /// Where the file came from.
    pub source: PathBuf,
    /// Its datum.
    pub crs: Crs,
    /// What its features were taken as.
    pub as_: ImportAs,
    /// Replace or overlay.
    pub mode: ImportMode,
    /// Features left out when the user accepted it.
    pub problems: usize,
}

/// A loaded scenario, as the app holds it.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// How it was read.
    pub meta: ScenarioMeta,
    /// What was read (drawn as the overlay, and POIs in either mode).
    pub imported: Arc<Imported>,
    /// Overlay mode: its building footprints triangulated for the 2D map (empty when replacing).
    pub overlay_fills: Arc<OverlayFills>,
}

/// What a finished job hands back.
pub struct Finished {
    /// The scenario read (`None`: the built-in demo district was rebuilt).
    pub scenario: Option<Scenario>,
    /// Features with problems (left out); the user must agree before a new import with problems is applied.
    pub problems: Vec<import::Problem>,
    /// Warnings about the whole file (e.g. a declared CRS that differs from the assumed one).
    pub warnings: Vec<String>,
    /// For replace (and for the demo): the new district, loaded.
    pub prepared: Option<Loaded>,
    /// Whether this reloads the kept scenario at start (already accepted: applied without asking).
    pub from_saved: bool,
}

/// Which phase a job is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading the file.
    Reading,
    /// Parsing and checking features.
    Checking,
    /// Building the district, its history and simulation.
    Building,
}

/// Why an import failed; each names the file (or folder) and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ImportJobError {
    /// The file does not open.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is too big, or not GeoJSON that can be imported.
    #[error("{}: {source}", path.display())]
    Import {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: import::ImportError,
    },
    /// None of its features can be imported.
    #[error(
        "{}: none of its {features} features can be imported{}",
        path.display(),
        first.as_ref().map(|p| format!(": {p}")).unwrap_or_default()
    )]
    NothingUsable {
        /// The file.
        path: PathBuf,
        /// How many features it has.
        features: usize,
        /// The first problem found, as told.
        first: Option<String>,
    },
    /// The copy kept for the next start could not be written.
    #[error("cannot keep a copy in {}: {source}", dir.display())]
    Stage {
        /// The scenario folder.
        dir: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// It has nothing a district can be built of.
    #[error(
        "{}: it has no unit or building polygons, so it cannot replace the district (overlay it instead)",
        path.display()
    )]
    CannotReplace {
        /// The file.
        path: PathBuf,
    },
    /// The worker thread ended without an answer.
    #[error("the import thread stopped unexpectedly")]
    Stopped,
}

/// A background import (or demo rebuild). Poll it each frame; it never blocks the UI.
pub struct ImportJob {
    /// What is being imported (`None`: rebuilding the demo district).
    pub request: Option<ImportRequest>,
    progress: Arc<AtomicU32>,
    rx: mpsc::Receiver<Result<Finished, ImportJobError>>,
}

const READ_CHUNK: usize = 4 << 20;

impl ImportJob {
    /// Start reading `request.path` on a worker thread. A copy of the file is staged in `dir` (when given) for keeping.
    pub fn start(request: ImportRequest, dir: Option<PathBuf>, spec: LoadSpec, from_saved: bool) -> Self {
        let progress = Arc::new(AtomicU32::new(0));
        let (tx, rx) = mpsc::channel();
        let (p, r) = (progress.clone(), request.clone());
        std::thread::Builder::new()
            .name("import".into())
            .spawn(move || {
                let waker = spec.waker.clone();
                let out = run(&r, dir.as_deref(), spec, &p, from_saved);
                if let Err(e) = &out {
                    tracing::warn!("import of {} failed: {e}", r.path.display());
                }
                tx.send(out).ok();
                wake(&waker);
            })
            // Without a thread the sender is gone with the closure: `poll` reports the job as failed.
            .map_err(|e| tracing::error!("could not start the import thread: {e}"))
            .ok();
        Self { request: Some(request), progress, rx }
    }

    /// Rebuild the built-in demo district on a worker thread (after a replacing scenario is removed).
    pub fn demo(demo: pingan_demo::DemoSpec, spec: LoadSpec) -> Self {
        let progress = Arc::new(AtomicU32::new(encode(Phase::Building, 0.0)));
        let (tx, rx) = mpsc::channel();
        let p = progress.clone();
        std::thread::Builder::new()
            .name("demo".into())
            .spawn(move || {
                let waker = spec.waker.clone();
                let prepared =
                    Source::Demo(demo).load(spec, true, &|f| p.store(encode(Phase::Building, f), Ordering::Relaxed));
                tx.send(Ok(Finished {
                    scenario: None,
                    problems: Vec::new(),
                    warnings: Vec::new(),
                    prepared: Some(prepared),
                    from_saved: false,
                }))
                .ok();
                wake(&waker);
            })
            .map_err(|e| tracing::error!("could not start the demo rebuild thread: {e}"))
            .ok();
        Self { request: None, progress, rx }
    }

    /// The phase and its fraction done (0..1).
    pub fn progress(&self) -> (Phase, f32) {
        decode(self.progress.load(Ordering::Relaxed))
    }

    /// The result, once there is one.
    pub fn poll(&self) -> Option<Result<Finished, ImportJobError>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(ImportJobError::Stopped)),
        }
    }
}

fn encode(phase: Phase, f: f32) -> u32 {
    (phase as u32) << 16 | (f.clamp(0.0, 1.0) * 1000.0) as u32
}

fn decode(v: u32) -> (Phase, f32) {
    let phase = match v >> 16 {
        0 => Phase::Reading,
        1 => Phase::Checking,
        _ => Phase::Building,
    };
    (phase, (v & 0xffff) as f32 / 1000.0)
}

fn run(
    r: &ImportRequest,
    dir: Option<&Path>,
    spec: LoadSpec,
    progress: &AtomicU32,
    from_saved: bool,
) -> Result<Finished, ImportJobError> {
    use std::io::Read as _;
    let path = &r.path;
    let read = |source| ImportJobError::Read { path: path.clone(), source };
    let bad = |source| ImportJobError::Import { path: path.clone(), source };
    let mut file = std::fs::File::open(path).map_err(|source| ImportJobError::Open { path: path.clone(), source })?;
    let size = file.metadata().map_err(read)?.len();
    import::check_size(size).map_err(bad)?;
    let mut bytes = Vec::with_capacity(size as usize);
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = file.read(&mut chunk).map_err(read)?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        import::check_size(bytes.len() as u64).map_err(bad)?;
        progress.store(encode(Phase::Reading, bytes.len() as f32 / size.max(1) as f32), Ordering::Relaxed);
    }
    progress.store(encode(Phase::Checking, 0.0), Ordering::Relaxed);
    let mut imported = import::parse_with_progress(&bytes, r.crs, r.as_, &mut |done, total| {
        progress.store(encode(Phase::Checking, done as f32 / total.max(1) as f32), Ordering::Relaxed);
    })
    .map_err(bad)?;
    let usable = imported.units.len() + imported.buildings.len() + imported.pois.len() + imported.roads.len();
    if usable == 0 {
        let first = imported.problems.first().map(|p| p.to_string());
        return Err(ImportJobError::NothingUsable { path: path.clone(), features: imported.features, first });
    }
    progress.store(encode(Phase::Building, 0.0), Ordering::Relaxed);
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "导入".into());
    let name = if from_saved { saved_name(dir).unwrap_or(name) } else { name };
    let meta = ScenarioMeta {
        name: name.clone(),
        source: path.clone(),
        crs: r.crs,
        as_: r.as_,
        mode: r.mode,
        problems: imported.problems.len(),
    };
    // The copy is kept now and the file's bytes let go of before the district is built (275 MB at a million
    // buildings); when the build fails, the app drops the staged copy with the error (`poll_import`).
    if let (Some(dir), false) = (dir, from_saved) {
        stage(dir, &bytes, &meta).map_err(|source| ImportJobError::Stage { dir: dir.to_path_buf(), source })?;
    }
    drop(bytes);
    let prepared = match r.mode {
        ImportMode::Replace => {
            let built = pingan_core::scenario::district_from_import(&name, &imported)
                .ok_or_else(|| ImportJobError::CannotReplace { path: path.clone() })?;
            let source = Source::Imported { district: Box::new(built.district), notes: built.left_out };
            Some(source.load(spec, true, &|f| progress.store(encode(Phase::Building, f), Ordering::Relaxed)))
        }
        ImportMode::Overlay => None,
    };
    if r.mode == ImportMode::Replace {
        // The district now holds the footprints; the scenario keeps the rest (counts, names, points of interest):
        // at a million buildings that is some 200 MB less held for as long as the scenario is open.
        for b in &mut imported.buildings {
            b.polygons = Vec::new();
        }
    }
    let (problems, warnings) = (imported.problems.clone(), imported.warnings.clone());
    let overlay_fills = Arc::new(match r.mode {
        ImportMode::Overlay => OverlayFills::of(&imported),
        ImportMode::Replace => Default::default(),
    });
    Ok(Finished {
        scenario: Some(Scenario { meta, imported: Arc::new(imported), overlay_fills }),
        problems,
        warnings,
        prepared,
        from_saved,
    })
}

fn saved_name(dir: Option<&Path>) -> Option<String> {
    load_meta(dir?).map(|m| m.name)
}

fn stage(dir: &Path, bytes: &[u8], meta: &ScenarioMeta) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("pending.geojson"), bytes)?;
    std::fs::write(dir.join("pending.json"), serde_json::to_vec_pretty(meta)?)?;
    Ok(())
}

/// Keep the staged import: rename `pending.*` over `scenario.*` (the data file first, then the description).
pub fn commit(dir: &Path) -> std::io::Result<()> {
    std::fs::rename(dir.join("pending.geojson"), dir.join("scenario.geojson"))?;
    std::fs::rename(dir.join("pending.json"), dir.join("scenario.json"))
}

/// Drop a staged import the user did not accept.
pub fn discard(dir: &Path) {
    std::fs::remove_file(dir.join("pending.geojson")).ok();
    std::fs::remove_file(dir.join("pending.json")).ok();
}

/// Forget the kept scenario.
pub fn remove(dir: &Path) -> std::io::Result<()> {
    for f in ["scenario.json", "scenario.geojson"] {
        match std::fs::remove_file(dir.join(f)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// How the kept scenario was read, if there is one (a missing or unreadable description: none, logged).
pub fn load_meta(dir: &Path) -> Option<ScenarioMeta> {
    let path = dir.join("scenario.json");
    let bytes = std::fs::read(&path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!("{}: {e}; the kept scenario is ignored", path.display());
            None
        }
    }
}

/// The request that reloads the kept scenario.
pub fn saved_request(dir: &Path) -> Option<ImportRequest> {
    let meta = load_meta(dir)?;
    let path = dir.join("scenario.geojson");
    path.exists().then_some(ImportRequest { path, crs: meta.crs, as_: meta.as_, mode: meta.mode })
}

/// The platform's folder for the kept scenario (`~/.local/share/pingan/scenario` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "pingan", "Pingan").map(|d| d.data_dir().join("scenario"))
}
