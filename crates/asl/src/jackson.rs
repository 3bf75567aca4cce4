//! Why a text is not JSON, in the words of AWS's JSON reader (Jackson): for a definition
//! (ValidateStateMachineDefinition, CreateStateMachine) and an execution input alike.

/// How much of the text Jackson quotes in a location before it truncates.
const SOURCE_SHOWN: usize = 500;

/// Jackson's message for the common cases: a bare word, a field name without double
/// quotes, a text cut off, any other unexpected character.
pub fn json_error_message(text: &str, e: &serde_json::Error) -> String {
    if text.trim().is_empty() {
        return "No content to map due to end-of-input".into();
    }
    if e.is_eof() {
        return "Unexpected end-of-input".into();
    }
    let at = char_at(text, e);
    let word: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let first = text.trim_start().chars().next().unwrap_or(' ');
    if first.is_alphabetic() && !["true", "false", "null"].contains(&word.as_str()) {
        return format!("Unrecognized token '{word}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
    }
    if e.to_string().starts_with("key must be a string") {
        return format!(
            "Unexpected character ('{at}' (code {})): was expecting double-quote to start field name",
            u32::from(at)
        );
    }
    format!("Unexpected character ('{at}' (code {}))", u32::from(at))
}

/// Where Jackson stopped, as it writes a location: the source (its first 500
/// characters), the line and the column.
pub fn json_error_location(text: &str, e: &serde_json::Error) -> String {
    let shown: String = text.chars().take(SOURCE_SHOWN).collect();
    let cut = text.chars().count().saturating_sub(SOURCE_SHOWN);
    let more = if cut > 0 {
        format!("[truncated {cut} chars]")
    } else {
        String::new()
    };
    format!(
        "[Source: (String)\"{shown}\"{more}; line: {}, column: {}]",
        e.line().max(1),
        e.column() + 1
    )
}

/// The character serde stopped at (its column counts characters from 1).
fn char_at(text: &str, e: &serde_json::Error) -> char {
    text.lines()
        .nth(e.line().saturating_sub(1))
        .and_then(|l| l.chars().nth(e.column().saturating_sub(1)))
        .unwrap_or(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(text: &str) -> (String, String) {
        let e = crate::parse_json_text(text).unwrap_err();
        (json_error_message(text, &e), json_error_location(text, &e))
    }

    #[test]
    fn bad_texts_are_explained_as_jackson_explains_them() {
        assert_eq!(
            why("not some json").0,
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        );
        assert_eq!(
            why("{'not': 'json'").0,
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name"
        );
        assert_eq!(why("{\"a\": 1").0, "Unexpected end-of-input");
        assert_eq!(why(" ").0, "No content to map due to end-of-input");
        assert_eq!(why("{,").1, "[Source: (String)\"{,\"; line: 1, column: 3]");
        let long = format!("{{{}", "x".repeat(600));
        assert!(why(&long).1.contains("\"[truncated 101 chars]; line: 1"));
    }
}
