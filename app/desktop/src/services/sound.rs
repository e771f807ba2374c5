//! The attention sound: a bundled chime ([`CHIME`], `assets/sounds/attention.wav`, compiled in) played on the
//! default audio output when a new item raises the banner and the sound is on — off by default.
//!
//! Playback runs on its own thread (rodio's output stream is not `Send`), opened at the first chime and kept: the UI
//! thread only sends a request. A machine with no audio output (a server room's wall PC without speakers, CI) is not
//! an error for the app: the first chime that cannot play says why once ([`Sound::problem`]), later ones are counted
//! and dropped.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// The chime, as bundled: a WAV file, 0.6 s.
pub const CHIME: &[u8] = include_bytes!("../../../../assets/sounds/attention.wav");

/// The attention sound's player.
#[derive(Default)]
pub struct Sound {
    /// Requests to the playback thread (started at the first chime).
    tx: Option<mpsc::Sender<()>>,
    /// Chimes asked for since the start.
    asked: u64,
    /// Why the output could not be opened or the chime not played (set once, by the playback thread).
    problem: Arc<Mutex<Option<String>>>,
}

impl Sound {
    /// Play the chime once (without waiting for it).
    pub fn chime(&mut self) {
        self.asked += 1;
        if self.tx.is_none() {
            let (tx, rx) = mpsc::channel::<()>();
            let problem = self.problem.clone();
            let spawned =
                std::thread::Builder::new().name("pingan-sound".into()).spawn(move || play_loop(&rx, &problem));
            if let Err(e) = spawned {
                self.set_problem(format!("no sound thread: {e}"));
                return;
            }
            self.tx = Some(tx);
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(());
        }
    }

    /// How many chimes were asked for (whether or not a device played them).
    pub fn asked(&self) -> u64 {
        self.asked
    }

    /// Why the chime cannot be heard, once known (no output device, a chime that does not decode).
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().ok().and_then(|p| p.clone())
    }

    fn set_problem(&self, why: String) {
        if let Ok(mut p) = self.problem.lock() {
            p.get_or_insert(why);
        }
    }
}

/// The playback thread: open the default output once, then play a chime per request until the app ends.
fn play_loop(rx: &mpsc::Receiver<()>, problem: &Mutex<Option<String>>) {
    let tell = |why: String| {
        tracing::warn!("attention sound: {why}");
        if let Ok(mut p) = problem.lock() {
            p.get_or_insert(why);
        }
    };
    let mut sink = match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(s) => s,
        Err(e) => {
            tell(format!("no audio output: {e}"));
            // Keep taking requests so that the sender never blocks or errors; nothing is played.
            while rx.recv().is_ok() {}
            return;
        }
    };
    sink.log_on_drop(false);
    let mut playing = Vec::new();
    while rx.recv().is_ok() {
        playing.retain(|p: &rodio::Player| !p.empty());
        match rodio::play(sink.mixer(), std::io::Cursor::new(CHIME)) {
            Ok(p) => playing.push(p),
            Err(e) => tell(format!("the chime does not play: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rodio::Source as _;

    #[test]
    fn the_bundled_chime_decodes_to_six_tenths_of_a_second_of_sound() {
        let d = rodio::Decoder::new_wav(std::io::Cursor::new(CHIME)).expect("a WAV the decoder reads");
        let rate = d.sample_rate().get();
        let channels = d.channels().get();
        let samples: Vec<f32> = d.collect();
        let secs = samples.len() as f64 / f64::from(rate) / f64::from(channels);
        assert!((0.55..0.65).contains(&secs), "{secs} s");
        let peak = samples.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.2 && peak <= 1.0, "audible, not clipped: peak {peak}");
    }

    #[test]
    fn with_or_without_an_output_device_a_chime_never_fails_the_app() {
        let mut s = Sound::default();
        s.chime();
        s.chime();
        assert_eq!(s.asked(), 2);
    }
}
