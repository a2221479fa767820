//! `mapwright check` and `mapwright test`: over every schema, mapping and
//! test file under the given paths. The finding and checking is the
//! library's (mapwright::Project); this prints it.

use std::path::PathBuf;

use mapwright::{Diagnostics, Error, LoadOptions, Project, Severity};

use super::{exit, io};

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum MessageFormat {
    /// The offending line with a caret under the span and a help line
    /// (coloured on a terminal).
    #[default]
    Human,
    /// One line per finding, `file:line:col: error[code]: message`, for tools.
    Short,
}

impl MessageFormat {
    /// `diags` in this format (colour only when stdout is a terminal and
    /// NO_COLOR is unset).
    pub fn show(self, diags: &Diagnostics) -> String {
        match self {
            MessageFormat::Short => diags.iter().map(|d| format!("{d}\n")).collect(),
            MessageFormat::Human => {
                use std::io::IsTerminal;
                diags.rendered_for(std::io::stdout().is_terminal())
            }
        }
    }
}

/// The files under `paths`, or the printed reason there are none (exit 2).
fn found(paths: &[PathBuf], format: MessageFormat) -> Result<Project, u8> {
    Project::find(paths).map_err(|d| refused(d, format))
}

fn refused(e: Error, format: MessageFormat) -> u8 {
    match e.diagnostics() {
        Some(d) => say!("{}", format.show(d).trim_end()),
        None => say!("error: {e}"),
    }
    exit::USAGE
}

pub fn check(paths: Vec<PathBuf>, format: MessageFormat, root: Option<PathBuf>) -> u8 {
    let options = LoadOptions { root };
    let run = match found(&paths, format)
        .and_then(|p| p.check(&options).map_err(|d| refused(d, format)))
    {
        Ok(run) => run,
        Err(code) => return code,
    };
    if io::printed(&format.show(&run.diagnostics)) != exit::OK {
        return exit::IO;
    }
    let errors = run.count(Severity::Error);
    say!(
        "checked {} file(s): {errors} error(s), {} warning(s)",
        run.checked,
        run.count(Severity::Warning)
    );
    if errors > 0 {
        exit::USAGE
    } else {
        exit::OK
    }
}

pub fn test(paths: Vec<PathBuf>, format: MessageFormat, root: Option<PathBuf>) -> u8 {
    let options = LoadOptions { root };
    let files = match found(&paths, format)
        .and_then(|p| p.test(&options).map_err(|d| refused(d, format)))
    {
        Ok(files) => files,
        Err(code) => return code,
    };
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    let mut report = String::new();
    for (_, outcome) in files {
        match outcome {
            Ok(results) => {
                for r in results {
                    match r.failure {
                        None => passed += 1,
                        Some(diff) => {
                            failed += 1;
                            // An inherited case is found where it is written.
                            let origin = r
                                .inherited_from
                                .map(|s| {
                                    format!(" (inherited from {}:{})", s.file.display(), s.line)
                                })
                                .unwrap_or_default();
                            report.push_str(&format!(
                                "FAIL {}: {}{origin}\n{diff}\n",
                                r.file.display(),
                                r.name
                            ));
                        }
                    }
                }
            }
            Err(d) => {
                broken += 1;
                report.push_str(&format.show(&d));
            }
        }
    }
    report.push_str(&format!("{passed} passed, {failed} failed\n"));
    if io::printed(&report) != exit::OK {
        return exit::IO;
    }
    if broken > 0 {
        exit::USAGE
    } else if failed > 0 {
        exit::REJECTED
    } else {
        exit::OK
    }
}
