//! Property tests for every parser of user input in definitions: whatever text arrives,
//! parsing answers (accepted or refused) without panicking, within its bounds; and what
//! is accepted means what it says.

use crate::paths::{Env, Path, Vars};
use proptest::prelude::*;
use serde_json::{json, Value};

fn env() -> Env {
    Env::new(json!({"Execution": {"Name": "e"}}), &Vars::default())
}

/// Characters that matter to the parsers, mixed with anything.
fn noisy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("$".to_string()),
            Just(".".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("?(@".to_string()),
            Just("'".to_string()),
            Just("\\".to_string()),
            Just(",".to_string()),
            Just("States.Format(".to_string()),
            Just("{% ".to_string()),
            Just(" %}".to_string()),
            Just("*".to_string()),
            "[a-z0-9]{1,4}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

fn small_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        "[a-z]{0,5}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    // A fixed seed: CI explores the same cases every run (no flaky red), and a changed
    // parser meets them all again.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x05EE_DA51),
        .. ProptestConfig::default()
    })]

    #[test]
    fn jsonpath_parsing_and_selection_never_panic(text in noisy(), doc in small_json()) {
        if let Some(p) = Path::parse(&text) {
            let _ = p.select(&doc, &env());
            let _ = p.no_results(&doc, &env());
        }
        let _ = crate::paths::RefPath::parse(&text);
    }

    #[test]
    fn a_simple_path_selects_what_it_names(keys in prop::collection::vec("[a-z]{1,3}", 1..6), leaf in small_json()) {
        let mut doc = leaf.clone();
        for k in keys.iter().rev() {
            doc = json!({ k.clone(): doc });
        }
        let text = format!("${}", keys.iter().map(|k| format!(".{k}")).collect::<String>());
        let p = Path::parse(&text).expect("a simple path parses");
        prop_assert_eq!(p.select(&doc, &env()), Some(leaf));
    }

    #[test]
    fn intrinsic_parsing_never_panics(text in noisy(), input in small_json()) {
        if let Ok(call) = crate::intrinsics::parse(&text) {
            let _ = call.eval(&input, &env());
        }
    }

    #[test]
    fn intrinsics_nest_up_to_their_bound(depth in 1usize..60) {
        let text = format!("{}'x'{}", "States.Array(".repeat(depth), ")".repeat(depth));
        let parsed = crate::intrinsics::parse(&text);
        prop_assert_eq!(parsed.is_ok(), depth <= 32);
    }

    #[test]
    fn jsonata_compiling_never_panics(text in noisy()) {
        let _ = crate::jsonata::Expr::compile(&format!("{{%{text}%}}"));
        let _ = crate::jsonata::evaluate_plain(&text, Some(&json!({"a": 1})), &Default::default());
    }

    #[test]
    fn jsonata_arithmetic_is_exact_for_integers(terms in prop::collection::vec((-100i64..100, 0u8..3), 1..9)) {
        // Every intermediate value stays where a double is exact (JSONata numbers are
        // doubles), so the result must be exact too.
        const EXACT: i128 = 1 << 50;
        let mut text = String::new();
        let mut expected: i128 = 0;
        let mut exact = true;
        for (i, (n, op)) in terms.iter().enumerate() {
            let n128 = i128::from(*n);
            if i == 0 {
                text.push_str(&format!("({n})"));
                expected = n128;
                continue;
            }
            match op {
                0 => { text.push_str(&format!(" + ({n})")); expected += n128; }
                1 => { text.push_str(&format!(" - ({n})")); expected -= n128; }
                _ => { text = format!("({text}) * ({n})"); expected *= n128; }
            }
            exact &= expected.abs() < EXACT;
        }
        prop_assume!(exact);
        let got = crate::jsonata::evaluate_plain(&text, None, &Default::default());
        prop_assert_eq!(got, Ok(Some(json!(expected as i64))));
    }

    #[test]
    fn definitions_are_accepted_or_refused_never_panicking(text in noisy()) {
        let def = format!(r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","Parameters":{{"a.$":{}}},"End":true}}}}}}"#, serde_json::to_string(&text).unwrap());
        let _ = crate::StateMachine::parse(&def);
        let def = format!(r#"{{"QueryLanguage":"JSONata","StartAt":"P","States":{{"P":{{"Type":"Pass","Output":{},"End":true}}}}}}"#, serde_json::to_string(&format!("{{% {text} %}}")).unwrap());
        let _ = crate::StateMachine::parse(&def);
        let _ = crate::StateMachine::parse(&text);
    }
}
