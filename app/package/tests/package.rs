//! A package round-trips a whole district bit for bit, and every kind of damaged or foreign file is refused with
//! the error that names what is wrong — never a panic, never a half-read package.

use pingan_core::assess::EventRecord;
use pingan_core::{BuildingId, District, GridId};
use pingan_demo::{DemoSpec, HistorySpec, SimConfig, Simulator};
use pingan_package::{FORMAT, Package, PackageError, decode, decode_district, encode, encode_district, etag, peek};

fn now() -> pingan_core::Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-06-15T02:00:00Z").map(|t| t.to_utc()).unwrap_or_default()
}

fn sample() -> Package {
    let district = pingan_demo::generate(&DemoSpec::small(7));
    let (situation, _) = Simulator::start(&district, 7, SimConfig::default(), now());
    let history = pingan_demo::generate_history(
        &district,
        &HistorySpec { seed: 7, days: 60, per_day: 40.0 },
        now() - chrono::Duration::days(3),
    );
    let text = pingan_demo::history_text(&history, 7);
    Package::new(3, now(), district, situation.workers, history).with_history_text(text)
}

#[test]
fn round_trips_district_roster_history_and_tiles() {
    let mut p = sample();
    assert!(p.district.buildings.len() > 1000 && p.workers.len() > 100 && p.history.len() > 1000);
    p.set_tiles(Some(b"PMTiles archive bytes".to_vec()));
    let bytes = encode(&p).expect("encode");
    let back = decode(&bytes).expect("decodes");
    assert_eq!(back, p);
    assert_eq!(back.meta.format, FORMAT);
    assert_eq!(back.meta.tiles, 21);
    assert_eq!(back.history_text.len(), p.history.len());
    assert!(back.history_text.title(0).chars().count() >= 2, "{:?}", back.history_text.get(0));
    // The header alone, without the checksum pass.
    let meta = peek(&bytes).expect("peek");
    assert_eq!((meta.version, meta.name.as_str()), (3, p.district.name.as_str()));
    assert_eq!(meta.buildings, p.district.buildings.len());
    // Equal bytes, equal tag; the tag names the version.
    assert_eq!(etag(&bytes), etag(&encode(&p).expect("encode")));
    assert!(etag(&bytes).starts_with("\"3-"), "{}", etag(&bytes));
    // The district alone, as the server stores it.
    assert_eq!(decode_district(&encode_district(&p.district).expect("encode")).expect("district"), p.district);
}

#[test]
fn refuses_foreign_truncated_corrupt_and_newer_files() {
    let bytes = encode(&sample()).expect("encode");
    assert_eq!(decode(b"{\"type\":\"FeatureCollection\"}"), Err(PackageError::Foreign));
    assert_eq!(decode(b""), Err(PackageError::Foreign));
    for cut in [9, 15, 20, 200, bytes.len() / 2, bytes.len() - 1] {
        let e = decode(&bytes[..cut]).expect_err("a truncated package");
        assert!(matches!(e, PackageError::Truncated(_) | PackageError::Checksum), "cut at {cut}: {e}");
    }
    for at in [20, bytes.len() / 3, bytes.len() - 40, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x5a;
        assert_eq!(decode(&bad), Err(PackageError::Checksum), "byte {at} flipped");
    }
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(FORMAT + 1).to_le_bytes());
    assert_eq!(decode(&newer), Err(PackageError::NewerFormat(FORMAT + 1)));
    assert!(peek(&newer).is_err());
    // Every message is a sentence an operator can act on.
    assert!(PackageError::Checksum.to_string().contains("corrupt"));
}

#[test]
fn refuses_a_well_formed_package_whose_data_does_not_hang_together() {
    // Written by a buggy or hostile tool: correct checksum, but ids that would index out of range.
    let mut p = sample();
    p.district.grids[0].buildings.push(BuildingId(9_999_999));
    let e = decode(&encode(&p).expect("encode")).expect_err("dangling building");
    assert!(matches!(&e, PackageError::Invalid { section: "district", .. }), "{e}");

    let mut p = sample();
    p.workers[0].grids = vec![GridId(9_999_999)];
    let e = decode(&encode(&p).expect("encode")).expect_err("worker of no grid");
    assert!(matches!(&e, PackageError::Invalid { section: "roster", .. }), "{e}");

    let mut p = sample();
    let r = p.history[0];
    p.history.push(EventRecord { grid: GridId(p.district.grids.len() as u32), ..r });
    let e = decode(&encode(&p).expect("encode")).expect_err("history of no grid");
    assert!(matches!(&e, PackageError::Invalid { section: "history", .. }), "{e}");

    let mut d: District = sample().district;
    d.towns.swap(0, 1);
    assert!(decode_district(&encode_district(&d).expect("encode")).is_err());
}

#[test]
fn files_are_written_whole_or_not_at_all() {
    let dir = tempfile_dir();
    let path = dir.join("district.pingan");
    let bytes = encode(&sample()).expect("encode");
    pingan_package::write_file(&path, &bytes).expect("write");
    assert_eq!(pingan_package::read_file(&path).expect("read").meta.version, 3);
    assert!(!dir.join(".district.pingan.part").exists());
    std::fs::write(&path, &bytes[..bytes.len() - 7]).expect("truncate");
    let e = pingan_package::read_file(&path).expect_err("truncated file");
    assert!(e.to_string().contains("truncated") || e.to_string().contains("corrupt"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pingan-package-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn reads_a_format_1_file_without_titles_and_refuses_titles_that_do_not_fit() {
    // A format-1 file: the same sections without the titles, its format and checksum set as version 1 wrote them.
    let mut p = sample();
    p.history_text = pingan_core::search::HistoryText::new();
    let bytes = encode(&p).expect("encode");
    let end = bytes.len() - 32;
    let titles = {
        // The last section is the (empty) titles: its deflated bytes follow its 8-byte length.
        let mut at = end;
        for n in 1..64 {
            let len = u64::from_le_bytes(bytes[end - n - 8..end - n].try_into().unwrap());
            if len == n as u64 {
                at = end - n - 8;
                break;
            }
        }
        at
    };
    assert!(titles < end, "found the titles section");
    let mut v1 = bytes[..titles].to_vec();
    v1[8..12].copy_from_slice(&1u32.to_le_bytes());
    let sum = <sha2::Sha256 as sha2::Digest>::digest(&v1);
    v1.extend_from_slice(&sum);
    let back = decode(&v1).expect("a format-1 file still loads");
    assert_eq!((back.history.len(), back.history_text.len()), (p.history.len(), 0));
    // Titles for other records than the history holds: refused, not half-read.
    let mut q = sample();
    q.history.pop();
    let e = decode(&encode(&q).expect("encode")).expect_err("titles that do not fit");
    assert!(matches!(e, PackageError::Invalid { section: "titles", .. }), "{e}");
}
