//! Readable at 5 m (issue 28): every text on every screen of the shipped wall layout, laid out at 1920×1080, is at
//! least [`MIN_PX`] pixels high; the headline numbers larger still.
//!
//! The rule (README, "Readable at 5 m"): a 1080-px-high LED wall about 3.4 m wide puts ~1.8 mm in a pixel; text read
//! from 5 m needs a character about 25 mm high (1/200 of the distance), 14 px; with the margin a CJK glyph's em box
//! needs over its ink, no text is drawn under 24 px.

use egui_kittest::Harness;
use pingan_desktop::wall::WallLayout;
use pingan_desktop::{Command, PinganApp};
use pingan_tests::test_options;

/// The smallest text on the wall, pixels (font size, em) at a 1080-px-high screen.
const MIN_PX: f32 = 24.0;
/// What the biggest figure on a screen that shows figures reaches at least, pixels.
const HEADLINE_PX: f32 = 40.0;

/// A wall of one screen: the shipped layout's screen `i` alone, at 1920×1080.
fn screen(i: usize) -> Harness<'static, PinganApp> {
    let mut layout = WallLayout::default();
    let one = layout.screens[i].clone();
    layout.screens = vec![one];
    layout.tour = None;
    let mut options = test_options();
    options.wall = Some((layout, None));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .with_max_steps(64)
        .build_eframe(move |cc| PinganApp::new(cc, options));
    h.run();
    // The report's figures come from the assessment thread.
    h.state_mut().state.assessment.wait();
    h.run();
    // The detail panel shows the selected item: select an open event so it has something to show (in the state only:
    // a screen without the map has no camera to fly).
    let id = h.state().state.situation.events.iter().find(|e| e.state.is_open()).map(|e| e.id).unwrap();
    h.state_mut().state.apply(Command::SelectEvent(id));
    h.run();
    h
}

/// A text drawn on screen: what it says and its size in pixels.
struct Seen {
    text: String,
    px: f32,
}

/// Every visible text section of the last frame, with its size in pixels.
fn texts(h: &Harness<'static, PinganApp>) -> Vec<Seen> {
    let out = h.output();
    let ppp = out.pixels_per_point;
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0) / ppp);
    let mut seen = Vec::new();
    for clipped in &out.shapes {
        let visible = clipped.clip_rect.intersect(screen);
        walk(&clipped.shape, visible, ppp, &mut seen);
    }
    seen
}

fn walk(shape: &egui::Shape, visible: egui::Rect, ppp: f32, seen: &mut Vec<Seen>) {
    match shape {
        egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, visible, ppp, seen)),
        egui::Shape::Text(t) => {
            let g = &t.galley;
            // Glyphs are one per char of the job's text, row after row (a row that ends a paragraph also used its
            // newline); the char's byte offset says which section, so which font size, it was laid out in.
            let chars: Vec<(usize, char)> = g.job.text.char_indices().collect();
            let mut c = 0;
            for placed in &g.rows {
                let rect = placed.rect().translate(t.pos.to_vec2());
                // Shown if at least half of the row is inside the clip (a row cut off by a scroll area is not read).
                let inside = rect.intersect(visible);
                let shown = inside.is_positive() && inside.height() >= rect.height() * 0.5 && t.opacity_factor > 0.0;
                for glyph in &placed.row.glyphs {
                    let at = chars.get(c).copied();
                    c += 1;
                    let Some((byte, chr)) = at else { continue };
                    if !shown || glyph.chr.is_whitespace() || chr != glyph.chr {
                        continue;
                    }
                    let Some(section) =
                        g.job.sections.iter().find(|s| (s.byte_range.start.0..s.byte_range.end.0).contains(&byte))
                    else {
                        continue;
                    };
                    let px = section.format.font_id.size * ppp;
                    let text = g.job.text[section.byte_range.start.0..section.byte_range.end.0].to_string();
                    if seen.last().is_none_or(|s: &Seen| s.text != text || s.px != px) {
                        seen.push(Seen { text, px });
                    }
                }
                if placed.ends_with_newline {
                    c += 1;
                }
            }
        }
        _ => {}
    }
}

fn check(i: usize, figures: bool) {
    let h = screen(i);
    let ppp = h.output().pixels_per_point;
    assert!((ppp - 1.6).abs() < 0.01, "the shipped wall draws at 1.6 at 1080 px, got {ppp}");
    let seen = texts(&h);
    assert!(seen.len() > 20, "screen {i} shows text: {}", seen.len());
    let mut small: Vec<String> =
        seen.iter().filter(|s| s.px < MIN_PX - 0.01).map(|s| format!("{:?} {:.1} px", s.text, s.px)).collect();
    small.dedup();
    assert!(
        small.is_empty(),
        "screen {i}: {} texts under {MIN_PX} px: {:#?}",
        small.len(),
        &small[..small.len().min(40)]
    );
    if figures {
        let biggest =
            seen.iter().filter(|s| s.text.chars().any(|c| c.is_ascii_digit())).map(|s| s.px).fold(0.0, f32::max);
        assert!(biggest >= HEADLINE_PX, "screen {i}: the headline figures are {biggest} px, under {HEADLINE_PX}");
    }
}

#[test]
fn the_report_and_detail_screen_reads_at_5_m() {
    check(0, true);
}

#[test]
fn the_map_screen_reads_at_5_m() {
    check(1, true);
}

#[test]
fn the_tables_and_feed_screen_reads_at_5_m() {
    check(2, false);
}
