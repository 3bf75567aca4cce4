//! TestState's `fieldValidationMode`: a mocked Task result checked against the output
//! shape of the integration it stands for. STRICT wants the required fields and the right
//! types, PRESENT only the right types of the fields present, NONE nothing. Fields the API
//! does not have are allowed (Step Functions adds its own, such as `SdkHttpMetadata`).
//! The shapes known here are the optimized integrations' responses as the AWS API models
//! define them; any other resource is not checked.

use super::test_state::FieldValidation;
use serde_json::Value;

/// One field type of an API output shape.
enum Ty {
    Str,
    Num,
    Any,
    List(Box<Ty>),
    /// An object with its fields (name, type, required).
    Obj(Vec<(&'static str, Ty, bool)>),
}

fn capacity() -> Ty {
    Ty::Obj(vec![
        ("TableName", Ty::Str, false),
        ("CapacityUnits", Ty::Num, false),
        ("ReadCapacityUnits", Ty::Num, false),
        ("WriteCapacityUnits", Ty::Num, false),
        ("Table", Ty::Any, false),
        ("LocalSecondaryIndexes", Ty::Any, false),
        ("GlobalSecondaryIndexes", Ty::Any, false),
    ])
}

/// The output shape of the integration `resource` (without its pattern suffix).
fn shape(resource: &str) -> Option<Ty> {
    // A callback task's result is whatever the worker sends; a `.sync` task's is the
    // finished job's description, not checked here.
    let api = resource.strip_prefix("arn:aws:states:::")?;
    Some(match api {
        "lambda:invoke" => Ty::Obj(vec![
            ("StatusCode", Ty::Num, false),
            ("FunctionError", Ty::Str, false),
            ("LogResult", Ty::Str, false),
            ("Payload", Ty::Any, false),
            ("ExecutedVersion", Ty::Str, false),
        ]),
        "dynamodb:putItem" | "dynamodb:updateItem" | "dynamodb:deleteItem" => Ty::Obj(vec![
            ("Attributes", Ty::Any, false),
            ("ConsumedCapacity", capacity(), false),
            ("ItemCollectionMetrics", Ty::Any, false),
        ]),
        "dynamodb:getItem" => Ty::Obj(vec![
            ("Item", Ty::Any, false),
            ("ConsumedCapacity", capacity(), false),
        ]),
        "sqs:sendMessage" => Ty::Obj(vec![
            ("MD5OfMessageBody", Ty::Str, false),
            ("MD5OfMessageAttributes", Ty::Str, false),
            ("MD5OfMessageSystemAttributes", Ty::Str, false),
            ("MessageId", Ty::Str, false),
            ("SequenceNumber", Ty::Str, false),
        ]),
        "sns:publish" => Ty::Obj(vec![
            ("MessageId", Ty::Str, false),
            ("SequenceNumber", Ty::Str, false),
        ]),
        "events:putEvents" => Ty::Obj(vec![
            ("FailedEntryCount", Ty::Num, false),
            (
                "Entries",
                Ty::List(Box::new(Ty::Obj(vec![
                    ("EventId", Ty::Str, false),
                    ("ErrorCode", Ty::Str, false),
                    ("ErrorMessage", Ty::Str, false),
                ]))),
                false,
            ),
        ]),
        "states:startExecution" => Ty::Obj(vec![
            ("ExecutionArn", Ty::Str, true),
            ("StartDate", Ty::Str, true),
        ]),
        _ => return None,
    })
}

/// Checks `v` against `ty`; the message names the first field that does not fit.
fn check_ty(name: &str, v: &Value, ty: &Ty, mode: FieldValidation) -> Result<(), String> {
    let wrong = |what: &str| Err(format!("Field '{name}' must be {what}"));
    match ty {
        Ty::Any => Ok(()),
        Ty::Str if !v.is_string() => wrong("a string"),
        Ty::Num if !v.is_number() => wrong("a number"),
        Ty::List(item) => match v.as_array() {
            None => wrong("an array"),
            Some(items) => items.iter().try_for_each(|i| check_ty(name, i, item, mode)),
        },
        Ty::Obj(fields) => match v.as_object() {
            None => wrong("an object"),
            Some(obj) => check_fields(obj, fields, mode),
        },
        _ => Ok(()),
    }
}

fn check_fields(
    obj: &serde_json::Map<String, Value>,
    fields: &[(&'static str, Ty, bool)],
    mode: FieldValidation,
) -> Result<(), String> {
    for (f, ty, required) in fields {
        match obj.get(*f) {
            Some(v) => check_ty(f, v, ty, mode)?,
            None if *required && mode == FieldValidation::Strict => {
                return Err(format!("Required field '{f}' is missing"))
            }
            None => {}
        }
    }
    Ok(())
}

/// Checks a mocked result of the Task whose `Resource` is `resource`.
pub(crate) fn check(resource: &str, result: &Value, mode: FieldValidation) -> Result<(), String> {
    if mode == FieldValidation::None {
        return Ok(());
    }
    let Some(Ty::Obj(fields)) = shape(resource) else {
        return Ok(());
    };
    match result.as_object() {
        Some(obj) => check_fields(obj, &fields, mode),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mocked_results_are_checked_by_mode() {
        let sfn = "arn:aws:states:::states:startExecution";
        let strict = FieldValidation::Strict;
        assert_eq!(
            check(sfn, &json!({}), strict).unwrap_err(),
            "Required field 'ExecutionArn' is missing"
        );
        assert!(check(sfn, &json!({}), FieldValidation::Present).is_ok());
        assert_eq!(
            check(
                sfn,
                &json!({"ExecutionArn": "a", "StartDate": true}),
                strict
            )
            .unwrap_err(),
            "Field 'StartDate' must be a string"
        );
        let events = "arn:aws:states:::events:putEvents";
        assert_eq!(
            check(
                events,
                &json!({"Entries": [{"EventId": "a"}, {"EventId": 1}]}),
                strict
            )
            .unwrap_err(),
            "Field 'EventId' must be a string"
        );
        let lambda = "arn:aws:states:::lambda:invoke";
        assert_eq!(
            check(
                lambda,
                &json!({"StatusCode": "200"}),
                FieldValidation::Present
            )
            .unwrap_err(),
            "Field 'StatusCode' must be a number"
        );
        assert!(check(lambda, &json!({"random": "json"}), strict).is_ok());
        assert!(check(lambda, &json!({"StatusCode": "x"}), FieldValidation::None).is_ok());
        assert!(check(
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            &json!(1),
            strict
        )
        .is_ok());
    }
}
