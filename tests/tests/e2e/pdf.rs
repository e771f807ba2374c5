//! The PDF report (`report.pdf`): read back with poppler's `pdfinfo`, `pdffonts`, `pdftotext` and `pdftoppm`
//! (Debian `poppler-utils`; installed by `.ci/run` and `packaging/dev-setup.sh`). Without them a test fails under
//! `CI=true` and is skipped with a message elsewhere.

use pingan_core::assess::RiskConfig;
use pingan_desktop::Lang;
use pingan_desktop::services::assessment::{ReportData, RiskView, compute};
use pingan_desktop::services::pdf::{export_report_and_pdf, write_report_pdf};
use pingan_tests::test_now;
use std::path::Path;
use std::process::Command;

/// Run a poppler tool; `None` (after failing under CI, or printing SKIPPED elsewhere) when it is not installed.
fn poppler(tool: &str, args: &[&str]) -> Option<String> {
    let out = match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let what = format!("`{tool}` is not installed (apt-get install poppler-utils)");
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("cannot run under CI: {what}");
            }
            // Straight to stderr, past the test harness's capture, so that it shows although the test passes.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED: {what}\n").as_bytes());
            return None;
        }
        Err(e) => panic!("{tool} did not start: {e}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?} failed: {stderr}");
    // Poppler complains on stderr about anything malformed (fonts, streams, xref) and carries on.
    assert!(!stderr.contains("Error") && !stderr.contains("Warning"), "{tool} {args:?}: {stderr}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn page_count(pdf: &Path) -> Option<usize> {
    let info = poppler("pdfinfo", &[pdf.to_str().unwrap()])?;
    let line = info.lines().find(|l| l.starts_with("Pages:")).expect("pdfinfo names the page count");
    Some(line["Pages:".len()..].trim().parse().expect("a number of pages"))
}

/// Render every page at 50 dpi; returns, per page in order, (pixels, non-white pixels, coloured pixels).
fn render(pdf: &Path, dir: &Path) -> Option<Vec<(usize, usize, usize)>> {
    let prefix = dir.join("page");
    poppler("pdftoppm", &["-r", "50", "-png", pdf.to_str().unwrap(), prefix.to_str().unwrap()])?;
    let mut pngs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("page-"))
        .collect();
    pngs.sort();
    let pages = pngs
        .iter()
        .map(|p| {
            let img = image::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).to_rgb8();
            // A4 landscape at 50 dpi: 585 × 413 px.
            assert!(img.width() > img.height(), "{}: landscape", p.display());
            let inked = img.pixels().filter(|px| px.0.iter().any(|c| *c < 235)).count();
            let coloured = img
                .pixels()
                .filter(|px| {
                    let (lo, hi) = (px.0.iter().min().unwrap(), px.0.iter().max().unwrap());
                    hi - lo > 60
                })
                .count();
            (img.pixels().len(), inked, coloured)
        })
        .collect();
    Some(pages)
}

fn demo_report() -> (pingan_core::District, ReportData) {
    let d = pingan_demo::generate(&pingan_demo::DemoSpec::small(7));
    let history = pingan_demo::generate_history(&d, &pingan_demo::HistorySpec::default(), test_now());
    let data = compute(&d, &history, RiskView::default(), test_now(), &RiskConfig::default());
    (d, data)
}

#[test]
fn pdf_report_has_its_pages_chinese_text_map_and_chart() {
    let (d, data) = demo_report();
    let dir = tempfile::tempdir().unwrap();
    let files = export_report_and_pdf(dir.path(), &data, &d, Lang::Zh).expect("export");
    let pdf = dir.path().join("report.pdf");
    assert_eq!(files.len(), 11);
    assert_eq!(files.last(), Some(&pdf));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // The font is subset: the two bundled faces are 2 MiB each.
    assert!(bytes.len() < 1_500_000, "{} bytes", bytes.len());

    let Some(pages) = page_count(&pdf) else { return };
    assert!(pages >= 2, "{pages} pages");
    let fonts = poppler("pdffonts", &[pdf.to_str().unwrap()]).unwrap();
    let embedded: Vec<&str> = fonts.lines().filter(|l| l.contains("CID TrueType")).collect();
    assert_eq!(embedded.len(), 2, "regular and bold:\n{fonts}");
    assert!(embedded.iter().all(|l| l.contains(" yes yes ")), "embedded and subset:\n{fonts}");

    let text = poppler("pdftotext", &[pdf.to_str().unwrap(), "-"]).unwrap();
    let league = &data.league;
    assert_eq!(league.len(), 12);
    for want in [
        d.name.as_str(),
        "平安法治实时报表",
        "刑事案件",
        "非正常死亡",
        "环比",
        "同比",
        "平安赛马榜",
        "九类重点事件",
        "五色图",
        "近24个月趋势",
        &data.period.label(),
        &league[0].name,
        &league[11].name,
    ] {
        assert!(text.contains(want), "the PDF's text lacks {want:?}:\n{text}");
    }
    // Every town of the league is in it, and the month's count of criminal cases.
    for row in league {
        assert!(text.contains(&row.name), "{}", row.name);
    }
    let criminal = data.figures.iter().find(|f| f.domain == pingan_core::report::Domain::Criminal).unwrap();
    assert!(text.contains(&criminal.month.to_string()));

    let rendered = render(&pdf, dir.path()).unwrap();
    assert_eq!(rendered.len(), pages, "pdftoppm wrote one PNG per page");
    for (i, (all, inked, coloured)) in rendered.iter().enumerate() {
        assert!(*inked > all / 100, "page {}: only {inked} of {all} pixels are not white", i + 1);
        assert!(*coloured > 100, "page {}: {coloured} coloured pixels", i + 1);
    }
    // Page 2 carries the map (towns filled in the five colours) and the chart's coloured lines.
    assert!(rendered[1].2 > rendered[1].0 / 20, "page 2: {} coloured of {}", rendered[1].2, rendered[1].0);
}

#[test]
fn pdf_report_in_english_and_on_odd_data() {
    let (d, mut data) = demo_report();
    let dir = tempfile::tempdir().unwrap();

    // English: every line in English.
    let en = dir.path().join("en.pdf");
    write_report_pdf(&en, &data, &d, Lang::En).expect("English report");

    // A league too long for page 1 goes on to pages of its own.
    let long = dir.path().join("long.pdf");
    let rows = data.league.clone();
    for _ in 0..4 {
        data.league.extend(rows.iter().cloned());
    }
    write_report_pdf(&long, &data, &d, Lang::Zh).expect("long league");

    // No towns, no outline, no name, no events: a shorter report, not a panic.
    let mut empty = d.clone();
    empty.name.clear();
    empty.towns.clear();
    empty.communities.clear();
    empty.outline = pingan_core::Polygon::default();
    let none = compute(&d, &[], RiskView::default(), test_now(), &RiskConfig::default());
    let odd = dir.path().join("odd.pdf");
    write_report_pdf(&odd, &none, &empty, Lang::Zh).expect("empty district");
    assert!(export_report_and_pdf(&dir.path().join("odd"), &none, &empty, Lang::Zh).is_ok());
    // A folder that cannot be written gives an error.
    assert!(write_report_pdf(&dir.path().join("missing").join("r.pdf"), &none, &empty, Lang::Zh).is_err());

    let Some(pages) = page_count(&en) else { return };
    assert!(pages >= 2);
    let text = poppler("pdftotext", &[en.to_str().unwrap(), "-"]).unwrap();
    for want in ["safety report", "Criminal cases", "MoM", "YoY", "League table", "Five-colour map", &rows[0].name] {
        assert!(text.contains(want), "{want:?}:\n{text}");
    }
    for zh in ["环比", "同比", "刑事案件", "赛马", "统计周期"] {
        assert!(!text.contains(zh), "{zh:?} in the English report");
    }

    let long_pages = page_count(&long).unwrap();
    assert!(long_pages >= 4, "60 towns need pages of their own: {long_pages}");
    let text = poppler("pdftotext", &[long.to_str().unwrap(), "-"]).unwrap();
    assert!(text.contains("（续）"));
    assert_eq!(text.matches(rows[0].name.as_str()).count(), 5 + 1, "five league rows and the map's label");

    assert_eq!(page_count(&odd).unwrap(), 2);
    let text = poppler("pdftotext", &[odd.to_str().unwrap(), "-"]).unwrap();
    assert!(text.contains("本辖区") && text.contains("无边界数据"), "{text}");
    let rendered = render(&odd, dir.path()).unwrap();
    assert_eq!(rendered.len(), 2);
    assert!(rendered.iter().all(|(all, inked, _)| *inked > all / 200));
}
