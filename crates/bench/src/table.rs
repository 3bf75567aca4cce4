//! The one table the bench prints, and its Markdown copy in `docs/benchmarks.md`.

use std::path::Path;

/// One measured figure. `ok` is None when the figure has no target.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub figure: String,
    pub value: String,
    pub target: String,
    pub ok: Option<bool>,
    /// Where the figure goes in the one-line-per-handler summary, if it is about a handler.
    pub cell: Option<Cell>,
}

/// The columns of the per-handler summary, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Init,
    FirstResponse,
    PeakRss,
    WarmFakes,
    WarmLocal,
    Arm64,
    X86_64,
}

impl Column {
    const ALL: [Column; 7] = [
        Column::Init,
        Column::FirstResponse,
        Column::PeakRss,
        Column::WarmFakes,
        Column::WarmLocal,
        Column::Arm64,
        Column::X86_64,
    ];

    fn heading(self) -> &'static str {
        match self {
            Column::Init => "init: spawn -> first `next`, median / p95 (target median < 3 ms)",
            Column::FirstResponse => "spawn -> first response, median / p95",
            Column::PeakRss => "peak RSS, 1,000 invocations (< 20 MB)",
            Column::WarmFakes => "warm invoke, in-memory fakes",
            Column::WarmLocal => "warm invoke via the Runtime API, AWS calls to the local runtime",
            Column::Arm64 => "arm64 bootstrap / zip (< 6 MB)",
            Column::X86_64 => "x86_64 bootstrap / zip (< 6 MB)",
        }
    }
}

/// A handler's figure in short form for the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub handler: String,
    pub column: Column,
    pub text: String,
}

impl Row {
    pub fn new(figure: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            value: value.into(),
            target: String::new(),
            ok: None,
            cell: None,
        }
    }

    /// Also shows this figure, as `text`, in `handler`'s line of the summary.
    pub fn cell(mut self, handler: &str, column: Column, text: impl Into<String>) -> Row {
        self.cell = Some(Cell {
            handler: handler.to_string(),
            column,
            text: text.into(),
        });
        self
    }

    pub fn target(mut self, target: impl Into<String>, ok: bool) -> Row {
        self.target = target.into();
        self.ok = Some(ok);
        self
    }

    /// A figure that could not be measured: shown, never silently dropped.
    pub fn missing(figure: impl Into<String>, why: impl std::fmt::Display) -> Row {
        Row::new(figure, format!("not measured: {why}")).target("", false)
    }

    fn ok_text(&self) -> &'static str {
        match self.ok {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        }
    }
}

pub fn render_text(rows: &[Row]) -> String {
    let w0 = rows
        .iter()
        .map(|r| r.figure.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let w1 = rows
        .iter()
        .map(|r| r.value.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let w2 = rows
        .iter()
        .map(|r| r.target.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!(
        "{:<w0$} | {:<w1$} | {:<w2$} | ok?\n",
        "figure", "value", "target"
    );
    out.push_str(&format!(
        "{}-+-{}-+-{}-+----\n",
        "-".repeat(w0),
        "-".repeat(w1),
        "-".repeat(w2)
    ));
    for r in rows {
        out.push_str(&format!(
            "{:<w0$} | {:<w1$} | {:<w2$} | {}\n",
            r.figure,
            r.value,
            r.target,
            r.ok_text()
        ));
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(rows: &[Row]) -> String {
    let mut out = String::from("| figure | value | target | ok? |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            md_cell(&r.figure),
            md_cell(&r.value),
            md_cell(&r.target),
            r.ok_text()
        ));
    }
    out
}

/// One line per handler (the figures rows tagged with a [`Cell`]), a missed target marked
/// **NO**, then every untagged row as figure | value | target | ok?.
pub fn render_summary(rows: &[Row]) -> String {
    let mut handlers: Vec<&str> = Vec::new();
    for c in rows.iter().filter_map(|r| r.cell.as_ref()) {
        if !handlers.contains(&c.handler.as_str()) {
            handlers.push(&c.handler);
        }
    }
    let mut out = String::new();
    if !handlers.is_empty() {
        out.push_str("| handler |");
        for c in Column::ALL {
            out.push_str(&format!(" {} |", c.heading()));
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(Column::ALL.len()));
        out.push('\n');
        for h in &handlers {
            out.push_str(&format!("| {} |", md_cell(h)));
            for col in Column::ALL {
                let cell = rows.iter().find_map(|r| {
                    let c = r.cell.as_ref()?;
                    (c.handler == *h && c.column == col).then_some((c, r.ok))
                });
                let text = match cell {
                    Some((c, Some(false))) => format!("{} **NO**", md_cell(&c.text)),
                    Some((c, _)) => md_cell(&c.text),
                    None => "-".into(),
                };
                out.push_str(&format!(" {text} |"));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    let rest: Vec<Row> = rows.iter().filter(|r| r.cell.is_none()).cloned().collect();
    out.push_str(&render_markdown(&rest));
    out
}

pub const BEGIN: &str =
    "<!-- bench:begin (generated by scripts/bench.sh; edits inside are overwritten) -->";
pub const END: &str = "<!-- bench:end -->";

/// Replaces the generated part of `existing` (between the markers), keeping the hand-written
/// notes around it; appends the markers when the file has none yet.
pub fn splice(existing: &str, generated: &str) -> String {
    let block = format!("{BEGIN}\n{generated}\n{END}");
    match (existing.find(BEGIN), existing.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{}{}", &existing[..b], block, &existing[e + END.len()..])
        }
        _ if existing.trim().is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{}\n\n{block}\n", existing.trim_end()),
    }
}

pub fn write_doc(path: &Path, generated: &str) -> std::io::Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, splice(&existing, generated))
}

/// Replaces what follows `heading` inside the generated part, up to its end marker, with
/// `text`; the rest of the file stays as it is.
pub fn replace_section(path: &Path, heading: &str, text: &str) -> std::io::Result<()> {
    let existing = std::fs::read_to_string(path)?;
    let out = with_section(&existing, heading, text)
        .ok_or_else(|| std::io::Error::other(format!("no '{}' before {END}", heading.trim())))?;
    std::fs::write(path, out)
}

fn with_section(doc: &str, heading: &str, text: &str) -> Option<String> {
    let begin = doc.find(BEGIN)?;
    let start = begin + doc[begin..].find(heading)? + heading.len();
    let end = start + doc[start..].find(END)?;
    Some(format!(
        "{}{}\n{}",
        &doc[..start],
        text.trim_end(),
        &doc[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_of_the_generated_part_is_replaced_alone() {
        let doc = format!("# B\n{BEGIN}\n## Run\nrows\n## Cost\n\nold\n{END}\nkept\n");
        let out = with_section(&doc, "## Cost\n\n", "new\n").expect("section");
        assert_eq!(
            out,
            format!("# B\n{BEGIN}\n## Run\nrows\n## Cost\n\nnew\n{END}\nkept\n")
        );
        assert!(with_section(&doc, "## Nowhere\n", "x").is_none());
    }

    #[test]
    fn splice_replaces_only_the_generated_part() {
        let doc = format!("# B\nintro\n{BEGIN}\nold table\n{END}\n## Notes\nkept\n");
        let out = splice(&doc, "new table");
        assert!(out.starts_with("# B\nintro\n"));
        assert!(out.contains("new table"));
        assert!(!out.contains("old table"));
        assert!(out.ends_with("## Notes\nkept\n"));
    }

    #[test]
    fn splice_appends_when_no_markers() {
        let out = splice("# Mine\n", "t");
        assert!(out.starts_with("# Mine\n"));
        assert!(out.contains(BEGIN) && out.contains("t\n") && out.contains(END));
        let fresh = splice("", "t");
        assert!(fresh.starts_with("# Benchmarks"));
    }

    #[test]
    fn markdown_escapes_pipes_and_marks_misses() {
        let rows = vec![
            Row::new("a|b", "1").target("< 2", true),
            Row::missing("c", "no binary"),
            Row::new("d", "3"),
        ];
        let md = render_markdown(&rows);
        assert!(md.contains("| a\\|b | 1 | < 2 | yes |"));
        assert!(md.contains("| c | not measured: no binary |  | NO |"));
        assert!(md.contains("| d | 3 |  |  |"));
        let text = render_text(&rows);
        assert_eq!(text.lines().count(), 5);
    }

    #[test]
    fn summary_has_one_line_per_handler_and_the_other_rows_below() {
        let rows = vec![
            Row::new("reference", "1.7 ms"),
            Row::new("a init", "2.0 ms median")
                .target("< 3", true)
                .cell("a", Column::Init, "2.0 / 2.5 ms"),
            Row::new("b init", "4.0 ms median")
                .target("< 3", false)
                .cell("b", Column::Init, "4.0 / 5.0 ms"),
            Row::new("a rss", "9 MB").cell("a", Column::PeakRss, "9.0 MB"),
            Row::new("local start", "10 ms"),
        ];
        let md = render_summary(&rows);
        let lines: Vec<&str> = md.lines().collect();
        assert!(lines[0].starts_with("| handler | init"));
        assert_eq!(
            lines[2],
            "| a | 2.0 / 2.5 ms | - | 9.0 MB | - | - | - | - |"
        );
        assert_eq!(
            lines[3],
            "| b | 4.0 / 5.0 ms **NO** | - | - | - | - | - | - |"
        );
        assert!(md.contains("| reference | 1.7 ms |  |  |"));
        assert!(md.contains("| local start | 10 ms |  |  |"));
        assert!(!md.contains("| a init |"));
    }
}
