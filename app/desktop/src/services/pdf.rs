//! The report as one PDF for the weekly meeting (平安法治实时报表), A4 landscape: page 1 the seven domains with
//! today / month / year, 环比 and 同比, and the league of towns (平安赛马榜); page 2 the 24-month trend, the
//! five-colour map of the towns and the key categories' counts. A league too long for page 1 continues on pages of
//! its own.
//!
//! Written with `pdf-writer` (objects and content streams) and `subsetter`: the bundled CJK font is cut down to the
//! glyphs used and embedded as a CID font with a ToUnicode map, so the text is selectable and `pdftotext` reads it
//! back. The trend is plotters' drawing of `trend.png` into an RGB buffer; the map is vector paths from the
//! district's outlines. Odd data (no towns, no outlines, no events) gives a shorter report, never a panic.

use crate::i18n::{Lang, Named};
use crate::services::assessment::{ReportData, RiskView};
use crate::services::export::{ExportError, PdfError};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use pingan_core::assess::Grade;
use pingan_core::{District, LonLat, Polygon, Timestamp};
use std::path::{Path, PathBuf};

/// A4 landscape, in points.
const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 36.0;
/// Where the content of a page ends (the footer sits below).
const CONTENT_BOTTOM: f32 = PAGE_H - MARGIN - 12.0;
const ROW_H: f32 = 19.0;
const TABLE_TEXT: f32 = 10.0;

type Rgb = [f32; 3];
const INK: Rgb = [0.1, 0.1, 0.12];
const GREY: Rgb = [0.42, 0.45, 0.5];
const RULE: Rgb = [0.78, 0.8, 0.84];
const HEADER_BG: Rgb = [0.9, 0.92, 0.95];
const STRIPE: Rgb = [0.965, 0.972, 0.982];
const ACCENT: Rgb = [0.09, 0.33, 0.6];
const WHITE: Rgb = [1.0, 1.0, 1.0];

/// Resource names of the regular and the bold font.
const FONT_NAMES: [&[u8]; 2] = [b"F0", b"F1"];

fn rgb(c: egui::Color32) -> Rgb {
    [f32::from(c.r()) / 255.0, f32::from(c.g()) / 255.0, f32::from(c.b()) / 255.0]
}

fn grade_rgb(g: Grade) -> Rgb {
    rgb(crate::theme::RISK[g.index()])
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

/// The bundled font, and the glyphs this document used so far (their new ids are the CIDs the text is written in).
struct Font {
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    /// PostScript name with the six-letter subset tag.
    base_name: &'static str,
    remapper: subsetter::GlyphRemapper,
    /// By new glyph id: the character first drawn with it (none for .notdef) and its advance in 1/1000 em.
    glyphs: Vec<(Option<char>, f32)>,
    per_mille: f32,
}

impl Font {
    fn new(data: &'static [u8], base_name: &'static str) -> Result<Self, PdfError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(PdfError::FontParse)?;
        let per_mille = 1000.0 / f32::from(face.units_per_em().max(1));
        let mut font =
            Self { data, face, base_name, remapper: subsetter::GlyphRemapper::new(), glyphs: Vec::new(), per_mille };
        // The remapper starts with .notdef as glyph 0.
        font.glyphs.push((None, font.advance(ttf_parser::GlyphId(0))));
        Ok(font)
    }

    fn glyph(&self, c: char) -> ttf_parser::GlyphId {
        self.face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0))
    }

    fn advance(&self, g: ttf_parser::GlyphId) -> f32 {
        self.face.glyph_hor_advance(g).map_or(0.0, |a| f32::from(a) * self.per_mille)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size / 1000.0
    }

    /// The text as two-byte CIDs (Identity-H), noting each new glyph.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let g = self.glyph(c);
            let cid = self.remapper.remap(g.0);
            if usize::from(cid) == self.glyphs.len() {
                self.glyphs.push((Some(c), self.advance(g)));
            }
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    fn scaled(&self, v: i16) -> f32 {
        f32::from(v) * self.per_mille
    }
}

/// An RGB raster, deflated.
struct Image {
    width: u32,
    height: u32,
    deflated: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// One cell of a table: its text, colour, and an optional colour swatch before it.
struct Cell {
    text: String,
    color: Rgb,
    swatch: Option<Rgb>,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), color: INK, swatch: None }
    }

    fn colored(text: impl Into<String>, color: Rgb) -> Self {
        Self { text: text.into(), color, swatch: None }
    }
}

/// The document being drawn, in points with y measured down from the top of the page (text at its baseline).
struct Doc {
    fonts: [Font; 2],
    pages: Vec<Content>,
    page: Content,
    images: Vec<Image>,
    footer: String,
}

impl Doc {
    fn new(footer: String) -> Result<Self, PdfError> {
        let regular = Font::new(crate::theme::CJK_FONT, "PAREGU+NotoSansCJKsc-Regular")?;
        let bold = Font::new(crate::theme::CJK_FONT_BOLD, "PABOLD+NotoSansCJKsc-Bold")?;
        let mut doc =
            Self { fonts: [regular, bold], pages: Vec::new(), page: Content::new(), images: Vec::new(), footer };
        doc.draw_footer();
        Ok(doc)
    }

    fn draw_footer(&mut self) {
        let text = format!("{} · {}", self.footer, self.pages.len() + 1);
        let w = self.width(&text, 8.0, false);
        self.text(PAGE_W - MARGIN - w, PAGE_H - MARGIN + 4.0, 8.0, false, GREY, &text);
    }

    fn new_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.draw_footer();
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        self.fonts[usize::from(bold)].width(text, size)
    }

    /// `text` cut with "…" to fit `max_w`.
    fn fit(&self, text: &str, size: f32, bold: bool, max_w: f32) -> String {
        if self.width(text, size, bold) <= max_w {
            return text.to_string();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let cut: String = chars.iter().chain(std::iter::once(&'…')).collect();
            if self.width(&cut, size, bold) <= max_w {
                return cut;
            }
        }
        String::new()
    }

    fn text(&mut self, x: f32, baseline: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        let bytes = self.fonts[usize::from(bold)].encode(text);
        self.page.set_fill_rgb(color[0], color[1], color[2]);
        self.page.begin_text();
        self.page.set_font(Name(FONT_NAMES[usize::from(bold)]), size);
        self.page.next_line(x, PAGE_H - baseline);
        self.page.show(Str(&bytes));
        self.page.end_text();
    }

    fn fill_rect(&mut self, x: f32, top: f32, w: f32, h: f32, color: Rgb) {
        self.page.set_fill_rgb(color[0], color[1], color[2]);
        self.page.rect(x, PAGE_H - top - h, w, h);
        self.page.fill_nonzero();
    }

    fn hline(&mut self, x: f32, top: f32, w: f32, width: f32, color: Rgb) {
        self.page.set_stroke_rgb(color[0], color[1], color[2]);
        self.page.set_line_width(width);
        self.page.move_to(x, PAGE_H - top);
        self.page.line_to(x + w, PAGE_H - top);
        self.page.stroke();
    }

    fn image(&mut self, image: Image, x: f32, top: f32, w: f32) {
        let h = w * image.height as f32 / image.width.max(1) as f32;
        let name = format!("Im{}", self.images.len());
        self.images.push(image);
        self.page.save_state();
        self.page.transform([w, 0.0, 0.0, h, x, PAGE_H - top - h]);
        self.page.x_object(Name(name.as_bytes()));
        self.page.restore_state();
    }

    /// A section heading; returns the top of what follows.
    fn heading(&mut self, x: f32, top: f32, text: &str) -> f32 {
        self.fill_rect(x, top + 1.0, 3.0, 13.0, ACCENT);
        self.text(x + 7.0, top + 12.0, 12.0, true, INK, text);
        top + 20.0
    }

    /// A table with a header row and zebra stripes; returns its bottom.
    fn table(&mut self, x: f32, top: f32, columns: &[(&str, f32, Align)], rows: &[Vec<Cell>]) -> f32 {
        let total: f32 = columns.iter().map(|c| c.1).sum();
        self.fill_rect(x, top, total, ROW_H, HEADER_BG);
        let header: Vec<Cell> = columns.iter().map(|c| Cell::colored(c.0, GREY)).collect();
        self.row(x, top, columns, &header, true);
        let mut y = top + ROW_H;
        for (i, row) in rows.iter().enumerate() {
            if i % 2 == 1 {
                self.fill_rect(x, y, total, ROW_H, STRIPE);
            }
            self.row(x, y, columns, row, false);
            y += ROW_H;
        }
        self.hline(x, y, total, 0.6, RULE);
        y
    }

    fn row(&mut self, x: f32, top: f32, columns: &[(&str, f32, Align)], cells: &[Cell], bold: bool) {
        let baseline = top + ROW_H - 5.5;
        let mut left = x;
        for ((_, w, align), cell) in columns.iter().zip(cells) {
            let pad = 4.0;
            let mut text_x = left + pad;
            let mut room = w - 2.0 * pad;
            if let Some(color) = cell.swatch {
                self.fill_rect(text_x, top + (ROW_H - 9.0) / 2.0, 9.0, 9.0, color);
                text_x += 13.0;
                room -= 13.0;
            }
            let text = self.fit(&cell.text, TABLE_TEXT, bold, room.max(0.0));
            if let Align::Right = align {
                text_x = left + w - pad - self.width(&text, TABLE_TEXT, bold);
            }
            self.text(text_x, baseline, TABLE_TEXT, bold, cell.color, &text);
            left += w;
        }
    }

    /// A polygon with its holes (even-odd), filled and/or stroked; `to_page` maps lonlat to page points.
    fn polygon(
        &mut self,
        poly: &Polygon,
        to_page: &impl Fn(LonLat) -> (f32, f32),
        fill: Option<Rgb>,
        stroke: (Rgb, f32),
    ) {
        let rings = std::iter::once(&poly.exterior).chain(&poly.holes).filter(|r| r.len() >= 3);
        let mut any = false;
        for ring in rings {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = to_page(*p);
                if i == 0 {
                    self.page.move_to(x, PAGE_H - y);
                } else {
                    self.page.line_to(x, PAGE_H - y);
                }
            }
            self.page.close_path();
            any = true;
        }
        if !any {
            return;
        }
        let (color, width) = stroke;
        self.page.set_stroke_rgb(color[0], color[1], color[2]);
        self.page.set_line_width(width);
        match fill {
            Some(f) => {
                self.page.set_fill_rgb(f[0], f[1], f[2]);
                self.page.fill_even_odd_and_stroke();
            }
            None => {
                self.page.stroke();
            }
        }
    }

    /// Write the pages, the subset fonts and the images into one PDF.
    fn finish(mut self, title: &str, generated: Timestamp) -> Result<Vec<u8>, PdfError> {
        let last = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(last);
        let mut next_id = 0;
        let mut next = || {
            next_id += 1;
            Ref::new(next_id)
        };
        let (catalog, tree, info) = (next(), next(), next());
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (next(), next())).collect();
        let font_ids: Vec<[Ref; 5]> = self.fonts.iter().map(|_| [next(), next(), next(), next(), next()]).collect();
        let image_ids: Vec<Ref> = self.images.iter().map(|_| next()).collect();
        let image_names: Vec<String> = (0..self.images.len()).map(|i| format!("Im{i}")).collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().map(|p| p.0)).count(page_ids.len() as i32);
        for (content, (page_id, content_id)) in self.pages.into_iter().zip(&page_ids) {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(tree).contents(*content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            for (name, ids) in FONT_NAMES.iter().zip(&font_ids) {
                fonts.pair(Name(name), ids[0]);
            }
            fonts.finish();
            let mut x_objects = resources.x_objects();
            for (name, id) in image_names.iter().zip(&image_ids) {
                x_objects.pair(Name(name.as_bytes()), *id);
            }
            x_objects.finish();
            resources.finish();
            page.finish();
            pdf.stream(*content_id, &deflate(&content.finish())).filter(Filter::FlateDecode);
        }
        let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
        for (font, [type0, cid, descriptor, file, to_unicode]) in self.fonts.iter().zip(font_ids) {
            let base = Name(font.base_name.as_bytes());
            pdf.type0_font(type0)
                .base_font(base)
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid)
                .to_unicode(to_unicode);
            let mut cid_font = pdf.cid_font(cid);
            cid_font
                .subtype(CidFontType::Type2)
                .base_font(base)
                .system_info(system_info)
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            cid_font.widths().consecutive(0, font.glyphs.iter().map(|g| g.1));
            cid_font.finish();
            let b = font.face.global_bounding_box();
            pdf.font_descriptor(descriptor)
                .name(base)
                .flags(FontFlags::SYMBOLIC)
                .bbox(Rect::new(font.scaled(b.x_min), font.scaled(b.y_min), font.scaled(b.x_max), font.scaled(b.y_max)))
                .italic_angle(0.0)
                .ascent(font.scaled(font.face.ascender()))
                .descent(font.scaled(font.face.descender()))
                .cap_height(font.scaled(font.face.capital_height().unwrap_or(font.face.ascender())))
                .stem_v(80.0)
                .font_file2(file);
            let subset = subsetter::subset(font.data, 0, &font.remapper).map_err(PdfError::Subset)?;
            pdf.stream(file, &deflate(&subset)).filter(Filter::FlateDecode).pair(Name(b"Length1"), subset.len() as i32);
            let mut cmap = UnicodeCmap::new(Name(b"Pingan-UTF16"), system_info);
            for (cid, (c, _)) in font.glyphs.iter().enumerate() {
                if let (Some(c), Ok(cid)) = (c, u16::try_from(cid)) {
                    cmap.pair(cid, *c);
                }
            }
            pdf.stream(to_unicode, &deflate(&cmap.finish())).filter(Filter::FlateDecode);
        }
        for (image, id) in self.images.iter().zip(&image_ids) {
            let mut x = pdf.image_xobject(*id, &image.deflated);
            x.filter(Filter::FlateDecode);
            x.width(image.width as i32).height(image.height as i32).bits_per_component(8);
            x.color_space().device_rgb();
        }
        let at = generated.with_timezone(&pingan_core::china_offset());
        let as_u8 = |v: u32| u8::try_from(v).unwrap_or(0);
        let date = Date::new(u16::try_from(chrono::Datelike::year(&at)).unwrap_or(2000))
            .month(as_u8(chrono::Datelike::month(&at)))
            .day(as_u8(chrono::Datelike::day(&at)))
            .hour(as_u8(chrono::Timelike::hour(&at)))
            .minute(as_u8(chrono::Timelike::minute(&at)))
            .utc_offset_hour(8)
            .utc_offset_minute(0);
        pdf.document_info(info)
            .title(TextStr(title))
            .creator(TextStr("Pingan 平安"))
            .producer(TextStr("Pingan (pdf-writer)"))
            .creation_date(date);
        Ok(pdf.finish())
    }
}

/// 环比/同比 as "▲ 12%" (more incidents: red), "▼ 5%" (green), "= 0%", or "—" without a base.
fn change_cell(x: Option<f64>) -> Cell {
    match x {
        None => Cell::colored("—", GREY),
        Some(v) if v > 0.0 => Cell::colored(format!("▲ {:.0}%", v * 100.0), grade_rgb(Grade::Red)),
        Some(v) if v < 0.0 => Cell::colored(format!("▼ {:.0}%", -v * 100.0), grade_rgb(Grade::Green)),
        Some(_) => Cell::colored("= 0%", GREY),
    }
}

/// Places gained in the league (up is good: green).
fn rank_change_cell(change: i64) -> Cell {
    match change {
        0 => Cell::colored("—", GREY),
        c if c > 0 => Cell::colored(format!("▲ {c}"), grade_rgb(Grade::Green)),
        c => Cell::colored(format!("▼ {}", -c), grade_rgb(Grade::Red)),
    }
}

fn grade_cell(g: Grade, lang: Lang) -> Cell {
    Cell { text: g.name_in(lang).to_string(), color: INK, swatch: Some(grade_rgb(g)) }
}

fn local_time(t: Timestamp) -> String {
    t.with_timezone(&pingan_core::china_offset()).format("%Y-%m-%d %H:%M").to_string()
}

/// Page 1: title, the seven domains, the district's grade, and the league (continued on more pages if long).
fn summary_pages(doc: &mut Doc, data: &ReportData, district_name: &str, lang: Lang, generated: Timestamp) {
    let title = format!("{district_name} {}", lang.tr("平安法治实时报表", "safety report"));
    doc.text(MARGIN, MARGIN + 14.0, 20.0, true, INK, &title);
    let period = format!("{} {}", RiskView::period_label(data.period.kind, lang), data.period.label());
    let subtitle = format!(
        "{}{period} · {} · {} {} · {} {}",
        lang.tr("统计周期：", "Period: "),
        RiskView::category_label(data.view.category, lang),
        lang.tr("数据截至", "data as of"),
        local_time(data.now),
        lang.tr("生成于", "generated"),
        local_time(generated),
    );
    doc.text(MARGIN, MARGIN + 32.0, 9.5, false, GREY, &subtitle);
    doc.hline(MARGIN, MARGIN + 40.0, PAGE_W - 2.0 * MARGIN, 1.0, ACCENT);

    let top = doc.heading(MARGIN, MARGIN + 52.0, lang.tr("七大领域 · 今日 / 本月 / 本年", "Seven domains"));
    let columns = [
        (lang.tr("领域", "Domain"), 112.0, Align::Left),
        (lang.tr("今日", "Today"), 40.0, Align::Right),
        (lang.tr("本月", "Month"), 44.0, Align::Right),
        (lang.tr("本年", "Year"), 48.0, Align::Right),
        (lang.tr("环比", "MoM"), 50.0, Align::Right),
        (lang.tr("同比", "YoY"), 50.0, Align::Right),
        (lang.tr("本年同比", "YTD YoY"), 56.0, Align::Right),
    ];
    let rows: Vec<Vec<Cell>> = data
        .figures
        .iter()
        .map(|f| {
            vec![
                Cell::plain(f.domain.name_in(lang)),
                Cell::plain(f.day.to_string()),
                Cell::plain(f.month.to_string()),
                Cell::plain(f.year.to_string()),
                change_cell(f.mom),
                change_cell(f.yoy),
                change_cell(f.ytd_yoy),
            ]
        })
        .collect();
    let bottom = doc.table(MARGIN, top, &columns, &rows);
    let note = lang.tr(
        "环比：本月与上月同期（1日至今日）相比；同比：与去年同期相比。▲ 增加  ▼ 减少",
        "MoM: this month vs the same days last month; YoY: vs the same days a year ago. ▲ up  ▼ down",
    );
    doc.text(MARGIN, bottom + 13.0, 8.0, false, GREY, note);

    let top = doc.heading(MARGIN, bottom + 32.0, lang.tr("全区五色等级", "The district's grade"));
    let score = &data.assessment.district;
    let line = format!(
        "{} · {} {:.3} · {} {}",
        score.grade.name_in(lang),
        lang.tr("得分", "score"),
        score.normalised,
        lang.tr("事件", "events"),
        score.events
    );
    doc.fill_rect(MARGIN + 7.0, top + 2.0, 12.0, 12.0, grade_rgb(score.grade));
    doc.text(MARGIN + 24.0, top + 12.0, 10.5, true, INK, &line);
    let mut counts = [0usize; 5];
    for t in &data.assessment.towns {
        counts[t.grade.index()] += 1;
    }
    let mut x = MARGIN + 7.0;
    doc.text(x, top + 32.0, 9.5, false, GREY, lang.tr("镇街：", "Towns: "));
    x += doc.width(lang.tr("镇街：", "Towns: "), 9.5, false) + 4.0;
    for g in Grade::ALL {
        doc.fill_rect(x, top + 23.0, 9.0, 9.0, grade_rgb(g));
        let label = format!("{} {}", g.name_in(lang), counts[g.index()]);
        doc.text(x + 12.0, top + 32.0, 9.5, false, INK, &label);
        x += 12.0 + doc.width(&label, 9.5, false) + 12.0;
    }

    // The league, right column; rows that do not fit go on to pages of their own.
    let league_title = format!("{} · {period}", lang.tr("平安赛马榜 · 镇街", "League table · towns"));
    let columns = [
        (lang.tr("排名", "#"), 30.0, Align::Right),
        (lang.tr("镇街", "Town"), 94.0, Align::Left),
        (lang.tr("得分", "Score"), 48.0, Align::Right),
        (lang.tr("事件", "Events"), 42.0, Align::Right),
        (lang.tr("等级", "Grade"), 60.0, Align::Left),
        (lang.tr("上期", "Prev."), 38.0, Align::Right),
        (lang.tr("升降", "±"), 38.0, Align::Right),
    ];
    let left = PAGE_W - MARGIN - columns.iter().map(|c| c.1).sum::<f32>();
    let rows: Vec<Vec<Cell>> = data
        .league
        .iter()
        .map(|r| {
            vec![
                Cell::plain(r.rank.to_string()),
                Cell::plain(r.name.clone()),
                Cell::plain(format!("{:.3}", r.score)),
                Cell::plain(r.events.to_string()),
                grade_cell(r.grade, lang),
                Cell::plain(r.previous_rank.to_string()),
                rank_change_cell(r.rank_change()),
            ]
        })
        .collect();
    let mut top = doc.heading(left, MARGIN + 52.0, &league_title);
    let mut rest: &[Vec<Cell>] = &rows;
    if rest.is_empty() {
        doc.text(left + 7.0, top + 12.0, 9.5, false, GREY, lang.tr("本辖区没有镇街", "No towns in this district"));
    }
    let mut x = left;
    while !rest.is_empty() {
        let fits = (((CONTENT_BOTTOM - top) / ROW_H) as usize).saturating_sub(1).max(1);
        let (now, later) = rest.split_at(fits.min(rest.len()));
        doc.table(x, top, &columns, now);
        rest = later;
        if !rest.is_empty() {
            doc.new_page();
            x = MARGIN;
            let cont = format!("{league_title} {}", lang.tr("（续）", "(continued)"));
            top = doc.heading(MARGIN, MARGIN, &cont);
        }
    }
}

/// The five-colour map of the towns in the box (`x`, `top`, `w`, `h`), with town names; false when there is
/// nothing to draw.
fn draw_map(doc: &mut Doc, data: &ReportData, district: &District, (x, top, w, h): (f32, f32, f32, f32)) -> bool {
    let points = district
        .towns
        .iter()
        .flat_map(|t| t.outline.exterior.iter())
        .chain(&district.outline.exterior)
        .filter(|p| p.lon.is_finite() && p.lat.is_finite())
        .copied();
    let Some(bbox) = pingan_core::geom::BBox::of(points) else { return false };
    let mid_lat = (bbox.min.lat + bbox.max.lat) / 2.0;
    let x_per_lon = mid_lat.to_radians().cos().max(0.1);
    let span_x = ((bbox.max.lon - bbox.min.lon) * x_per_lon).max(1e-9);
    let span_y = (bbox.max.lat - bbox.min.lat).max(1e-9);
    let scale = (f64::from(w) / span_x).min(f64::from(h) / span_y);
    let off_x = f64::from(x) + (f64::from(w) - span_x * scale) / 2.0;
    let off_y = f64::from(top) + (f64::from(h) - span_y * scale) / 2.0;
    let to_page = |p: LonLat| {
        let px = off_x + (p.lon - bbox.min.lon) * x_per_lon * scale;
        let py = off_y + (bbox.max.lat - p.lat) * scale;
        (px as f32, py as f32)
    };
    for (i, town) in district.towns.iter().enumerate() {
        let fill = data.assessment.towns.get(i).map_or(HEADER_BG, |s| grade_rgb(s.grade));
        doc.polygon(&town.outline, &to_page, Some(fill), (WHITE, 0.8));
    }
    for community in &district.communities {
        doc.polygon(&community.outline, &to_page, None, ([0.97, 0.97, 0.97], 0.2));
    }
    doc.polygon(&district.outline, &to_page, None, (INK, 1.0));
    for town in &district.towns {
        let (px, py) = to_page(town.label_at);
        let width = doc.width(&town.name, 7.0, true);
        doc.text(px - width / 2.0, py + 2.5, 7.0, true, INK, &town.name);
    }
    true
}

/// Page 2: the trend chart, the key categories, the five-colour map with its legend.
fn charts_page(doc: &mut Doc, data: &ReportData, district: &District, district_name: &str, lang: Lang) {
    doc.new_page();
    let period = format!("{} {}", RiskView::period_label(data.period.kind, lang), data.period.label());
    let title = format!("{district_name} · {}", lang.tr("趋势与五色图", "trends and the five-colour map"));
    doc.text(MARGIN, MARGIN + 14.0, 16.0, true, INK, &title);
    doc.hline(MARGIN, MARGIN + 24.0, PAGE_W - 2.0 * MARGIN, 1.0, ACCENT);

    let top = doc.heading(MARGIN, MARGIN + 34.0, lang.tr("近24个月趋势 · 七大领域", "24-month trend · seven domains"));
    let chart_w = 470.0;
    let chart_bottom = match trend_image(data, lang) {
        Ok(image) => {
            let h = chart_w * image.height as f32 / image.width.max(1) as f32;
            doc.image(image, MARGIN, top, chart_w);
            top + h
        }
        Err(e) => {
            tracing::warn!("the PDF report goes without its trend chart: {e}");
            doc.text(MARGIN + 7.0, top + 12.0, 9.5, false, GREY, lang.tr("趋势图绘制失败", "The trend chart failed"));
            top + 20.0
        }
    };

    let cat_title = format!("{} · {period}", lang.tr("九类重点事件", "Key categories"));
    let mut y = doc.heading(MARGIN, chart_bottom + 12.0, &cat_title);
    let max = data.category_counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let (name_w, bar_w) = (96.0, 320.0);
    for (category, n) in &data.category_counts {
        if y + 14.0 > CONTENT_BOTTOM {
            break;
        }
        let name = doc.fit(category.name_in(lang), 9.0, false, name_w - 6.0);
        doc.text(MARGIN + 7.0, y + 10.0, 9.0, false, INK, &name);
        let len = bar_w * (*n as f32) / (max as f32);
        doc.fill_rect(MARGIN + 7.0 + name_w, y + 2.0, len, 10.0, rgb(crate::theme::RISK[3]));
        doc.text(MARGIN + 11.0 + name_w + len, y + 10.0, 9.0, false, INK, &n.to_string());
        y += 14.0;
    }
    if data.category_counts.is_empty() {
        doc.text(MARGIN + 7.0, y + 10.0, 9.0, false, GREY, lang.tr("本期无事件", "No events this period"));
    }

    let left = MARGIN + 500.0;
    let map_title = format!("{} · {period}", lang.tr("五色图 · 镇街", "Five-colour map · towns"));
    let top = doc.heading(left, MARGIN + 34.0, &map_title);
    let (map_w, map_h) = (PAGE_W - MARGIN - left, 400.0);
    doc.fill_rect(left, top, map_w, map_h, STRIPE);
    if !draw_map(doc, data, district, (left + 6.0, top + 6.0, map_w - 12.0, map_h - 12.0)) {
        doc.text(left + 10.0, top + 20.0, 9.5, false, GREY, lang.tr("无边界数据", "No boundaries to draw"));
    }
    let mut x = left;
    let legend_y = top + map_h + 16.0;
    for g in Grade::ALL {
        doc.fill_rect(x, legend_y - 9.0, 10.0, 10.0, grade_rgb(g));
        let n = data.assessment.towns.iter().filter(|s| s.grade == g).count();
        let label = format!("{} {n}", g.name_in(lang));
        doc.text(x + 13.0, legend_y, 9.0, false, INK, &label);
        x += 13.0 + doc.width(&label, 9.0, false) + 12.0;
    }
    let note = lang.tr("数字：该等级镇街数；灰线：村社边界", "Numbers: towns of that grade; grey lines: communities");
    doc.text(left, legend_y + 14.0, 8.0, false, GREY, note);
}

/// The trend chart that `trend.png` holds, drawn by plotters into an RGB buffer.
fn trend_image(data: &ReportData, lang: Lang) -> Result<Image, PdfError> {
    use plotters::prelude::*;
    crate::services::export::register_font();
    // Smaller than trend.png's 1600 × 900, so that its labels stay legible at the PDF's 470 pt width.
    let (width, height) = (1000u32, 600u32);
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        crate::services::export::draw_trend(root, data, lang).map_err(|e| PdfError::Chart(e.into()))?;
    }
    Ok(Image { width, height, deflated: deflate(&rgb) })
}

/// The PDF report's bytes (see the module doc); `generated` is printed as the time it was made.
pub fn report_pdf(
    data: &ReportData,
    district: &District,
    lang: Lang,
    generated: Timestamp,
) -> Result<Vec<u8>, PdfError> {
    let name = if district.name.trim().is_empty() { lang.tr("本辖区", "District") } else { district.name.as_str() };
    let footer = format!("{name} · {} · {}", lang.tr("平安法治实时报表", "Safety report"), data.period.label());
    let mut doc = Doc::new(footer)?;
    summary_pages(&mut doc, data, name, lang, generated);
    charts_page(&mut doc, data, district, name, lang);
    let title = format!("{name} {} {}", lang.tr("平安法治实时报表", "safety report"), data.period.label());
    doc.finish(&title, generated)
}

/// Write the report of `data` over `district` as a PDF at `path`, generated now.
pub fn write_report_pdf(path: &Path, data: &ReportData, district: &District, lang: Lang) -> Result<(), ExportError> {
    let bytes = report_pdf(data, district, lang, chrono::Utc::now())
        .map_err(|source| ExportError::Pdf { path: path.to_path_buf(), source })?;
    std::fs::write(path, bytes).map_err(|source| ExportError::Io { path: path.to_path_buf(), source })
}

/// [`crate::services::export::export_report`] plus `report.pdf` (the whole report on a few A4 pages): what
/// the dashboard's 导出 button writes. Returns the files written.
pub fn export_report_and_pdf(
    dir: &Path,
    data: &ReportData,
    district: &pingan_core::District,
    lang: Lang,
) -> Result<Vec<PathBuf>, ExportError> {
    let town_names: Vec<String> = district.towns.iter().map(|t| t.name.clone()).collect();
    let mut files = crate::services::export::export_report(dir, data, &town_names, lang)?;
    let pdf = dir.join("report.pdf");
    write_report_pdf(&pdf, data, district, lang)?;
    files.push(pdf);
    Ok(files)
}
