//! The profile file as a running hub sees it: read again whenever it changes on disk, so an edit
//! (by `lanyard profile edit`, by hand, or by the desktop app) reaches `lanyard serve` and
//! `lanyard bridge --all` without a restart.
//!
//! One task per hub looks at the file's metadata (modification and change time, size, inode)
//! every [`EVERY`] and reads the file only when that changed, so requests never wait on it and an
//! idle hub costs one `stat` a second. Polling was chosen over the `notify` crate: the file is
//! replaced by a rename on every save (`ProfileStore::save`), which file-system watchers see as
//! the watched file going away, and a one-second poll of one file needs no dependency.
//!
//! The rule callers keep: they read [`ProfileWatch::current`] or [`ProfileWatch::look_now`] (or
//! follow [`ProfileWatch::subscribe`]) instead of loading the file themselves, so that a file
//! broken by hand never stops what runs: the last file that read cleanly stays current, and the
//! error, naming `profiles.toml:<line>`, is logged once per change of the file.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, error, info};

use crate::profile::{ProfileError, ProfileFile, ProfileStore};

/// How often the file's metadata is looked at.
pub(crate) const EVERY: Duration = Duration::from_secs(1);

/// The last profile file that read cleanly, kept current by a task; dropping the watch stops it.
pub(crate) struct ProfileWatch {
    shared: Arc<Shared>,
    _stop: DropGuard,
}

/// What the task and the callers of [`ProfileWatch::look_now`] share.
struct Shared {
    reader: Mutex<Reader>,
    publish: watch::Sender<Option<Arc<ProfileFile>>>,
}

impl ProfileWatch {
    /// Reads the file now and starts following it. A file that does not read now is logged and
    /// [`current`](Self::current) is `None` until it is fixed.
    pub(crate) fn start(store: ProfileStore) -> Arc<Self> {
        let shared =
            Arc::new(Shared { reader: Mutex::new(Reader::new(store)), publish: watch::channel(None).0 });
        shared.look();
        let stop = CancellationToken::new();
        tokio::spawn(follow(Arc::clone(&shared), stop.clone()));
        Arc::new(Self { shared, _stop: stop.drop_guard() })
    }

    /// The last profile file that read cleanly; `None` while it never has.
    pub(crate) fn current(&self) -> Option<Arc<ProfileFile>> {
        self.shared.publish.borrow().clone()
    }

    /// Looks at the file now rather than at the next tick (one `stat`, a read only when it
    /// changed), then gives [`current`](Self::current), or the error that keeps the file from
    /// reading while it never has. For the first request to a source: a source added a moment
    /// ago is served at once, as it was before the hub followed the file.
    pub(crate) fn look_now(&self) -> Result<Arc<ProfileFile>, ProfileError> {
        self.shared.look();
        match self.current() {
            Some(file) => Ok(file),
            None => lock(&self.shared.reader).store.load().map(Arc::new),
        }
    }

    /// Follows every new clean read of the file.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Option<Arc<ProfileFile>>> {
        self.shared.publish.subscribe()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn follow(shared: Arc<Shared>, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        shared.look();
    }
}

impl Shared {
    /// One look at the file: a clean read that differs is published, a broken file logged.
    fn look(&self) {
        let mut reader = lock(&self.reader);
        match reader.check() {
            Checked::Same => {}
            Checked::Read(file) => {
                let had = self.publish.borrow().clone();
                if had.is_some() && reader.was_broken {
                    info!(file = %reader.store.path().display(), "the profile file reads again; serving it");
                }
                reader.was_broken = false;
                if had.as_deref() != Some(&*file) {
                    debug!("the profile file changed; following it");
                    self.publish.send_replace(Some(file));
                }
            }
            Checked::Broken(err) => {
                let serving = if self.publish.borrow().is_some() {
                    "still serving the sources as they were"
                } else {
                    "sources are served once it is fixed"
                };
                reader.was_broken = true;
                error!("the profile file cannot be read; {serving}: {err}");
            }
        }
    }
}

/// What one look at the file found.
enum Checked {
    /// Nothing changed since the last look.
    Same,
    Read(Arc<ProfileFile>),
    Broken(ProfileError),
}

/// Looks at the file and reads it when its metadata changed.
struct Reader {
    store: ProfileStore,
    /// The metadata of the last look; `None` before the first.
    seen: Option<Stamp>,
    was_broken: bool,
}

/// What tells one version of the file from another without reading it. `Missing` reads as an
/// empty file, as `ProfileStore::load` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stamp {
    Missing,
    Present {
        modified: Option<SystemTime>,
        len: u64,
        inode: u64,
        changed: i64,
        changed_ns: i64,
    },
    /// The metadata cannot be read; reading the file tells the reason, once.
    Unreadable,
}

impl Stamp {
    pub(crate) fn of(path: &Path) -> Self {
        match std::fs::metadata(path) {
            Ok(meta) => {
                #[cfg(unix)]
                let (inode, changed, changed_ns) = {
                    use std::os::unix::fs::MetadataExt;
                    (meta.ino(), meta.ctime(), meta.ctime_nsec())
                };
                #[cfg(not(unix))]
                let (inode, changed, changed_ns) = (0, 0, 0);
                Stamp::Present { modified: meta.modified().ok(), len: meta.len(), inode, changed, changed_ns }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Stamp::Missing,
            Err(_) => Stamp::Unreadable,
        }
    }
}

impl Reader {
    fn new(store: ProfileStore) -> Self {
        Self { store, seen: None, was_broken: false }
    }

    fn check(&mut self) -> Checked {
        let stamp = Stamp::of(self.store.path());
        if self.seen.as_ref() == Some(&stamp) {
            return Checked::Same;
        }
        self.seen = Some(stamp);
        match self.store.load() {
            Ok(file) => Checked::Read(Arc::new(file)),
            Err(err) => Checked::Broken(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ProfileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(dir.path().join("profiles.toml"));
        (dir, store)
    }

    const ONE: &str = "version = 1\n[sources.a]\ntransport = { type = \"stdio\", command = \"a\" }\n";
    const TWO: &str = "version = 1\n[sources.a]\ntransport = { type = \"stdio\", command = \"a\" }\n\
                       [sources.b]\ntransport = { type = \"stdio\", command = \"b\" }\n";

    fn ids(checked: Checked) -> Vec<String> {
        match checked {
            Checked::Read(file) => file.profiles().map(|p| p.id().to_string()).collect(),
            Checked::Same => panic!("expected a new read, the reader saw no change"),
            Checked::Broken(err) => panic!("expected a clean read: {err}"),
        }
    }

    #[test]
    fn a_missing_file_reads_as_empty_and_a_written_one_is_read() {
        let (_dir, store) = store();
        let mut reader = Reader::new(store.clone());
        assert_eq!(ids(reader.check()), Vec::<String>::new(), "no file yet is no sources");
        assert!(matches!(reader.check(), Checked::Same), "nothing changed, nothing is read");
        std::fs::write(store.path(), ONE).unwrap();
        assert_eq!(ids(reader.check()), ["a"], "a new file is read");
        assert!(matches!(reader.check(), Checked::Same), "an unchanged file is not read again");
        std::fs::write(store.path(), TWO).unwrap();
        assert_eq!(ids(reader.check()), ["a", "b"], "a longer file is read again");
    }

    #[test]
    fn a_broken_file_is_reported_with_its_line_once_and_a_fix_is_read() {
        let (_dir, store) = store();
        std::fs::write(store.path(), ONE).unwrap();
        let mut reader = Reader::new(store.clone());
        assert_eq!(ids(reader.check()), ["a"]);
        std::fs::write(store.path(), "version = 1\n[sources.a\n").unwrap();
        match reader.check() {
            Checked::Broken(err) => {
                assert!(err.to_string().contains("profiles.toml:2:"), "the error names the line: {err}")
            }
            _ => panic!("a broken file must be reported"),
        }
        assert!(matches!(reader.check(), Checked::Same), "the same broken file is reported once");
        std::fs::write(store.path(), TWO).unwrap();
        assert_eq!(ids(reader.check()), ["a", "b"], "the fixed file is read");
    }

    #[tokio::test]
    async fn the_watch_keeps_the_last_good_file_and_follows_the_next() {
        let (_dir, store) = store();
        std::fs::write(store.path(), ONE).unwrap();
        let watch = ProfileWatch::start(store.clone());
        let mut changes = watch.subscribe();
        assert_eq!(watch.current().map(|f| f.sources.len()), Some(1), "the file is read at start");
        std::fs::write(store.path(), "version = 1\n[sources.a\n").unwrap();
        // A broken file publishes nothing: the next thing published is the fix.
        std::fs::write(store.path(), "").unwrap();
        std::fs::write(store.path(), TWO).unwrap();
        tokio::time::timeout(Duration::from_secs(30), changes.changed())
            .await
            .expect("the change is seen in time")
            .expect("the watch runs");
        assert_eq!(watch.current().map(|f| f.sources.len()), Some(2), "the new file is current");
    }
}
