//! The README draws each state machine from its ASL file (the console's own graph, as
//! Mermaid). A diagram that no longer matches its file fails here;
//! `README_DIAGRAMS=write cargo test -p local --test local readme_diagrams` redraws them.

use crate::common::workspace;

const OPEN: &str = "<!-- diagram: ";
const CLOSE: &str = "<!-- /diagram -->";

/// The README with every diagram block drawn from the file its marker names.
fn redrawn(readme: &str) -> String {
    let mut out = String::new();
    let mut rest = readme;
    while let Some(i) = rest.find(OPEN) {
        let after = &rest[i + OPEN.len()..];
        let name_end = after
            .find(" -->")
            .expect("a diagram marker ends with ' -->'");
        let file = &after[..name_end];
        let close = after.find(CLOSE).expect("every diagram marker is closed");
        let text = std::fs::read_to_string(workspace().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let definition: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let chart = local::console::graph::mermaid(&definition).expect("drawable");
        out.push_str(&rest[..i]);
        out.push_str(&format!(
            "{OPEN}{file} -->\n```mermaid\n{chart}```\n{CLOSE}"
        ));
        rest = &after[close + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn readme_diagrams_match_the_state_machines() {
    let path = workspace().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let drawn = redrawn(&readme);
    assert!(
        drawn.matches(OPEN).count() >= 3,
        "the README draws the three machines"
    );
    if std::env::var_os("README_DIAGRAMS").is_some_and(|v| v == "write") {
        std::fs::write(&path, &drawn).expect("write README.md");
        return;
    }
    assert!(
        drawn == readme,
        "a README diagram differs from its ASL file: run README_DIAGRAMS=write cargo test -p local --test local readme_diagrams"
    );
}
