//! Live fan-out: committed changes go to every connected stream.
//!
//! The writer publishes each committed batch here. On PostgreSQL, batches committed by *other* instances arrive as
//! `NOTIFY pingan_changes` and are published as a wake-up; streams then read what they missed from the database.
//! A stream never trusts the broadcast alone: whenever the next change it receives is not exactly `cursor + 1`
//! (it lagged, or the batch came from elsewhere) it reads the gap from the log. So ordering and completeness rest on
//! the log, and the broadcast only makes the common case fast.

use pingan_core::sync::Seq;
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast;

/// Messages the broadcast holds; a live stream that falls further behind is closed (it resumes from its last seq).
pub const HUB_CAPACITY: usize = 128;

/// Largest batch sent through the broadcast as data (bytes of JSON); a larger one is announced as a wake-up.
pub const MAX_LIVE_BYTES: usize = 256 * 1024;

/// A committed change, serialised once for every stream.
#[derive(Clone, Debug)]
pub struct LiveChange {
    /// Its seq.
    pub seq: Seq,
    /// The change body as JSON.
    pub body: Arc<str>,
    /// Who may see it (`None`: a change written before audiences were kept; only readers who see everything get it).
    pub audience: Option<Arc<pingan_core::scope::Audience>>,
}

/// What the broadcast carries.
#[derive(Clone, Debug)]
pub enum Live {
    /// Changes committed by this instance, in order.
    Changes(Arc<Vec<LiveChange>>),
    /// Another instance committed up to this seq: read the log.
    Wake(Seq),
}

/// The broadcast point.
pub struct Hub {
    tx: broadcast::Sender<Live>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub with room for [`HUB_CAPACITY`] messages; a stream further behind is cut off and resumes from the log.
    pub fn new() -> Hub {
        Hub { tx: broadcast::channel(HUB_CAPACITY).0 }
    }

    /// Listen.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    /// Publish changes committed here. A batch larger than [`MAX_LIVE_BYTES`] goes out as a wake-up instead (streams
    /// read it from the log), so the broadcast ring never holds more than capacity × that many bytes, however slow a
    /// reader is.
    pub fn publish(&self, changes: Vec<LiveChange>) {
        let bytes: usize = changes.iter().map(|c| c.body.len() + 16).sum();
        if bytes > MAX_LIVE_BYTES {
            let head = changes.last().map_or(0, |c| c.seq);
            self.tx.send(Live::Wake(head)).ok();
        } else {
            self.tx.send(Live::Changes(Arc::new(changes))).ok();
        }
    }

    /// Publish a wake-up (changes committed elsewhere).
    pub fn wake(&self, head: Seq) {
        self.tx.send(Live::Wake(head)).ok();
    }
}

/// This process's random id, to tell our own NOTIFYs from other instances'.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        use rand::RngCore as _;
        format!("{:016x}", rand::rng().next_u64())
    })
}

/// On PostgreSQL: LISTEN for other instances' commits and wake the streams. Reconnects on error.
pub async fn listen_postgres(url: String, hub: Arc<Hub>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen("pingan_changes").await {
                    tracing::warn!("LISTEN pingan_changes failed: {e}");
                } else {
                    tracing::info!("listening for other instances' changes");
                    loop {
                        match listener.recv().await {
                            Ok(n) => {
                                let Some((from, seq)) = n.payload().split_once(':') else { continue };
                                if from != instance_id()
                                    && let Ok(seq) = seq.parse()
                                {
                                    hub.wake(seq);
                                }
                            }
                            Err(e) => {
                                tracing::warn!("LISTEN connection lost: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("could not open a LISTEN connection: {e}"),
        }
        // Whatever was missed meanwhile is read from the log on the next wake-up.
        hub.wake(0);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
