//! Export of the current report: charts as PNG and SVG drawn with plotters (with the bundled CJK font), tables as
//! CSV. The folder comes from a dialog behind [`FolderDialog`], so the export itself is tested without one.

use crate::i18n::{Lang, Named};
use crate::services::assessment::ReportData;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Asks the user for a folder (blocking). The app uses [`RfdDialog`]; tests never open a dialog.
pub trait FolderDialog {
    /// The folder chosen, or `None` if cancelled.
    fn pick_folder(&self, title: &str) -> Option<PathBuf>;

    /// A GeoJSON file chosen for import, or `None` if cancelled (the default: no file dialog).
    fn pick_file(&self, _title: &str) -> Option<PathBuf> {
        None
    }
}

/// The desktop's native folder dialog (xdg portal or zenity on Linux).
pub struct RfdDialog;

impl FolderDialog for RfdDialog {
    fn pick_folder(&self, title: &str) -> Option<PathBuf> {
        rfd::FileDialog::new().set_title(title).pick_folder()
    }

    fn pick_file(&self, title: &str) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title(title)
            .add_filter("GeoJSON", &["geojson", "json"])
            .add_filter("*", &["*"])
            .pick_file()
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing a file failed.
    #[error("could not write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Drawing a chart failed.
    #[error("could not draw {path}: {message}")]
    Chart {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Building the PDF report failed (the bundled font could not be read or subset).
    #[error("could not build {path}: {source}")]
    Pdf {
        /// The file.
        path: PathBuf,
        /// Why.
        source: PdfError,
    },
}

/// Why the PDF report ([`crate::services::pdf`]) could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bundled font does not parse.
    #[error("the bundled font does not parse: {0}")]
    FontParse(ttf_parser::FaceParsingError),
    /// The bundled font could not be subset.
    #[error("could not subset the bundled font: {0}")]
    Subset(subsetter::Error),
    /// Drawing the trend chart failed.
    #[error("{0}")]
    Chart(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// The family name the bundled CJK font is registered under with plotters.
pub(crate) const FONT: &str = "pingan-cjk";

/// Register the bundled CJK font with plotters as [`FONT`] (once per process).
pub(crate) fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, crate::theme::CJK_FONT).is_err() {
            tracing::error!("the bundled CJK font could not be registered with plotters");
        }
    });
}

const DOMAIN_COLORS: [RGBColor; 7] = [
    RGBColor(229, 57, 53),
    RGBColor(251, 140, 0),
    RGBColor(253, 216, 53),
    RGBColor(30, 136, 229),
    RGBColor(67, 160, 71),
    RGBColor(142, 36, 170),
    RGBColor(0, 172, 193),
];

fn chart_err(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Chart { path: path.to_path_buf(), message: e.to_string() }
}

/// The 24-month trend of the seven domains (`trend.png`; the PDF report draws it too).
pub(crate) fn draw_trend<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    data: &ReportData,
    lang: Lang,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let months = data.trends.first().map_or(0, |t| t.1.len());
    let max = data.trends.iter().flat_map(|t| t.1.iter().map(|x| x.1)).max().unwrap_or(1).max(1);
    let title = lang.tr("平安法治实时报表 · 近24个月趋势", "Safety report · 24-month trend");
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 30))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0..months.max(1), 0..(max + max / 10 + 1))?;
    let labels: Vec<String> = data
        .trends
        .first()
        .map(|t| t.1.iter().map(|(d, _)| d.format("%y-%m").to_string()).collect())
        .unwrap_or_default();
    chart
        .configure_mesh()
        .x_labels(12)
        .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
        .y_desc(lang.tr("事件数", "events"))
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .draw()?;
    for (k, (domain, series)) in data.trends.iter().enumerate() {
        let color = DOMAIN_COLORS[k % DOMAIN_COLORS.len()];
        chart
            .draw_series(LineSeries::new(series.iter().enumerate().map(|(i, (_, n))| (i, *n)), color.stroke_width(3)))?
            .label(domain.name_in(lang))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()
}

fn draw_categories<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    data: &ReportData,
    lang: Lang,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n = data.category_counts.len();
    let max = data.category_counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    let title = format!("{} · {}", lang.tr("九类重点事件", "Nine key categories"), data.period.label());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 30))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n).into_segmented(), 0..(max + max / 10 + 1))?;
    let names: Vec<&str> = data.category_counts.iter().map(|(c, _)| c.name_in(lang)).collect();
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).map(|s| s.to_string()).unwrap_or_default(),
            _ => String::new(),
        })
        .label_style((FONT, 16))
        .draw()?;
    chart.draw_series(
        Histogram::vertical(&chart)
            .style(RGBColor(30, 136, 229).filled())
            .margin(8)
            .data(data.category_counts.iter().enumerate().map(|(i, (_, n))| (i, *n))),
    )?;
    root.present()
}

pub(crate) fn write(path: PathBuf, text: String) -> Result<PathBuf, ExportError> {
    std::fs::write(&path, text).map_err(|source| ExportError::Io { path: path.clone(), source })?;
    Ok(path)
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn pct(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{:.1}", v * 100.0))
}

/// Write the report into `dir`: `trend.png`, `trend.svg`, `categories.png`, `categories.svg`, `league.csv`,
/// `domains.csv` (district), `domains_by_town.csv` (each town). `town_names` label the towns in district order.
/// Returns the files written.
pub fn export_report(
    dir: &Path,
    data: &ReportData,
    town_names: &[String],
    lang: Lang,
) -> Result<Vec<PathBuf>, ExportError> {
    register_font();
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io { path: dir.to_path_buf(), source })?;
    let mut out = Vec::new();
    let size = (1600u32, 900u32);
    let p = dir.join("trend.png");
    draw_trend(BitMapBackend::new(&p, size).into_drawing_area(), data, lang).map_err(|e| chart_err(&p, e))?;
    out.push(p);
    let p = dir.join("trend.svg");
    draw_trend(SVGBackend::new(&p, size).into_drawing_area(), data, lang).map_err(|e| chart_err(&p, e))?;
    out.push(p);
    let p = dir.join("categories.png");
    draw_categories(BitMapBackend::new(&p, size).into_drawing_area(), data, lang).map_err(|e| chart_err(&p, e))?;
    out.push(p);
    let p = dir.join("categories.svg");
    draw_categories(SVGBackend::new(&p, size).into_drawing_area(), data, lang).map_err(|e| chart_err(&p, e))?;
    out.push(p);
    let opt = |x: Option<f64>, scale: f64| x.map_or(String::new(), |v| format!("{:.1}", v * scale));
    let mut league = String::from(
        "rank,town,score,events,grade,previous_rank,rank_change,on_time_pct,overdue,escalations,median_close_min\n",
    );
    for r in &data.league {
        let l = data.loops.towns.get(r.unit).cloned().unwrap_or_default();
        league.push_str(&format!(
            "{},{},{:.3},{},{},{},{},{},{},{},{}\n",
            r.rank,
            csv_field(&r.name),
            r.score,
            r.events,
            r.grade.name_in(lang),
            r.previous_rank,
            r.rank_change(),
            opt(l.on_time_rate(), 100.0),
            l.overdue,
            l.escalations,
            opt(l.median_close_min, 1.0)
        ));
    }
    out.push(write(dir.join("league.csv"), league)?);
    let mut loops = String::from("level,reported,closed,on_time,on_time_pct,overdue,escalations,median_close_min\n");
    let levels = pingan_core::routing::Level::ALL.iter().zip(&data.loops.levels).map(|(l, s)| (l.name(), s));
    for (name, s) in levels.chain(std::iter::once(("district_total", &data.loops.district))) {
        loops.push_str(&format!(
            "{name},{},{},{},{},{},{},{}\n",
            s.reported,
            s.closed,
            s.on_time,
            opt(s.on_time_rate(), 100.0),
            s.overdue,
            s.escalations,
            opt(s.median_close_min, 1.0)
        ));
    }
    out.push(write(dir.join("loops.csv"), loops)?);
    let mut domains =
        String::from("domain,today,month,year,month_on_month_pct,year_on_year_pct,ytd_year_on_year_pct\n");
    for f in &data.figures {
        domains.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            csv_field(f.domain.name_in(lang)),
            f.day,
            f.month,
            f.year,
            pct(f.mom),
            pct(f.yoy),
            pct(f.ytd_yoy)
        ));
    }
    out.push(write(dir.join("domains.csv"), domains)?);
    let mut by_town = String::from("town");
    for d in pingan_core::report::Domain::ALL {
        by_town.push(',');
        by_town.push_str(&csv_field(d.name_in(lang)));
    }
    by_town.push('\n');
    for (name, row) in town_names.iter().zip(&data.town_domains) {
        by_town.push_str(&csv_field(name));
        for v in row {
            by_town.push_str(&format!(",{v}"));
        }
        by_town.push('\n');
    }
    out.push(write(dir.join("domains_by_town.csv"), by_town)?);
    // Warning precision per rule: warnings closed with an outcome this period, the useful ones, the share.
    let mut precision = String::from("rule,checked,useful,false_alarms,precision_pct\n");
    for (rule, useful, false_alarms) in &data.loops.precision {
        precision.push_str(&format!(
            "{},{},{useful},{false_alarms},{}\n",
            csv_field(lang.tr(rule.zh(), rule.en())),
            useful + false_alarms,
            opt(data.loops.precision_of(*rule), 100.0)
        ));
    }
    out.push(write(dir.join("precision.csv"), precision)?);
    // Patrol task books issued this period, by town.
    let mut books = String::from("town,issued,closed,on_time,overdue,checks_done,checks,problems,completion_pct\n");
    for (name, c) in town_names.iter().zip(&data.patrol) {
        books.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            csv_field(name),
            c.issued,
            c.closed,
            c.on_time,
            c.overdue,
            c.checks_done,
            c.checks,
            c.problems,
            opt(c.rate(), 100.0)
        ));
    }
    out.push(write(dir.join("task_books.csv"), books)?);
    Ok(out)
}
