//! The terminal: the one module that writes to stdout and stderr.
//!
//! Results go to stdout; messages and progress go to stderr. On a terminal
//! messages are plain and progress is an indicatif bar; under cron (stderr not
//! a terminal) bars are hidden and each message is a plain line, or one JSON
//! object per line with `--log-format json`. Messages never hold raw values
//! from a return; callers pass counts, paths, tables and rules.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

/// How messages on stderr are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LogFormat {
    /// Plain lines, with progress bars when stderr is a terminal.
    #[default]
    Auto,
    /// Plain lines, no progress bars.
    Plain,
    /// One JSON object per line, no progress bars (for cron and CI).
    Json,
}

/// Sets up the log subscriber for the chosen format.
pub fn init(format: LogFormat, is_quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if is_quiet { "warn" } else { "info" };
    let mut filter = EnvFilter::try_from_env("RNI_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // The object store's and the HTTP clients' own lines can name an object (a return's file
    // may be named after a child), and Ballista's are its own bookkeeping: warnings only, at
    // any RNI_LOG.
    for quiet in [
        "object_store",
        "reqwest",
        "hyper",
        "hyper_util",
        "h2",
        "tonic",
        "tower",
        "ballista",
        "ballista_core",
        "ballista_scheduler",
        "ballista_executor",
    ] {
        if let Ok(directive) = format!("{quiet}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        _ => builder
            .without_time()
            .with_level(true)
            .with_ansi(is_colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR")))
            .try_init(),
    };
    // A second init (tests running several commands in one process) keeps the first subscriber.
    drop(result);
    FORMAT.with(|f| f.set(format));
}

/// Colours only on a terminal, and never when `NO_COLOR` is set to anything but the empty
/// string (<https://no-color.org>).
fn is_colour(is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

thread_local! {
    static FORMAT: std::cell::Cell<LogFormat> = const { std::cell::Cell::new(LogFormat::Auto) };
}

/// A progress bar on a terminal; hidden otherwise.
pub fn progress(len: u64, message: &str) -> ProgressBar {
    let is_bar = FORMAT.with(|f| f.get()) == LogFormat::Auto && std::io::stderr().is_terminal();
    if !is_bar {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:24} {bar:40} {pos}/{len} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar
}

/// Writes a result line to stdout. A closed pipe (`rni … | head`) is not an error.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// Writes an error for the user to stderr, in the chosen format.
pub fn error(text: &str) {
    let mut stderr = std::io::stderr().lock();
    if FORMAT.with(|f| f.get()) == LogFormat::Json {
        let _ = writeln!(stderr, "{}", serde_json::json!({"level": "ERROR", "message": text}));
    } else {
        let _ = writeln!(stderr, "error: {text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_on_a_terminal_and_never_with_no_color() {
        assert!(is_colour(true, None));
        assert!(is_colour(true, Some("".into())), "an empty NO_COLOR does not count");
        assert!(!is_colour(true, Some("1".into())));
        assert!(!is_colour(true, Some("0".into())), "any value but the empty string turns colour off");
        assert!(!is_colour(false, None));
    }
}
