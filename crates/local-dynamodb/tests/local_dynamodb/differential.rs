//! Differential tests: the same raw JSON requests against DynamoDB Local (Java) and our server,
//! responses compared after the minimal normalisation documented in `harness.rs`.
//! Each test uses its own table names, so the tests share the two servers safely.

use crate::harness::{self, create, diff, s, u};
use serde_json::json;

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn create_describe_list_delete() {
    diff(vec![
        s("CreateTable", json!({
            "TableName": "cdl_main",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "gr", "AttributeType": "B"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [
                {"IndexName": "gix", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gr", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "kix", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}}]
        })),
        s("CreateTable", json!({
            "TableName": "cdl_prov",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "l", "AttributeType": "N"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
            "LocalSecondaryIndexes": [{"IndexName": "lix", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}]
        })),
        s("DescribeTable", json!({"TableName": "cdl_main"})),
        s("DescribeTable", json!({"TableName": "cdl_prov"})),
        s("PutItem", json!({"TableName": "cdl_main", "Item": {"pk": {"S": "a"}, "sk": {"N": "1.50"}, "x": {"N": "-0.0"}, "y": {"N": "1e3"}, "z": {"NS": ["1", "2"]}}})),
        s("DescribeTable", json!({"TableName": "cdl_main"})),
        s("CreateTable", json!({"TableName": "cdl_main", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})),
        s("DescribeTable", json!({"TableName": "cdl_nope"})),
        s("DeleteTable", json!({"TableName": "cdl_prov"})),
        s("DeleteTable", json!({"TableName": "cdl_prov"})),
        s("DescribeTable", json!({"TableName": "cdl_prov"})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn create_table_errors() {
    let base = |extra: serde_json::Value| {
        let mut v = json!({"TableName": "cte_t", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in e {
                if x.is_null() {
                    o.remove(k);
                } else {
                    o.insert(k.clone(), x.clone());
                }
            }
        }
        s("CreateTable", v)
    };
    diff(vec![
        base(json!({"TableName": "x"})),
        base(json!({"TableName": "bad name!"})),
        base(json!({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}]})),
        base(json!({"AttributeDefinitions": [{"AttributeName": "px", "AttributeType": "S"}]})),
        base(json!({"BillingMode": null})),
        base(json!({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "BOOL"}]})),
        base(json!({"KeySchema": null})),
        base(json!({"KeySchema": [{"AttributeName": "pk", "KeyType": "RANGE"}]})),
        base(json!({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn list_tables_pagination() {
    diff(vec![
        create("ltp_a", None),
        create("ltp_b", None),
        create("ltp_c", Some("S")),
        s(
            "ListTables",
            json!({"Limit": 2, "ExclusiveStartTableName": "ltp_"}),
        ),
        s(
            "ListTables",
            json!({"Limit": 2, "ExclusiveStartTableName": "ltp_b"}),
        ),
        s(
            "ListTables",
            json!({"Limit": 1, "ExclusiveStartTableName": "ltp_a"}),
        ),
        s("ListTables", json!({"Limit": 0})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn attribute_values_and_numbers() {
    diff(vec![
        create("avn_t", Some("N")),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "1.50"},
            "n1": {"N": "-0.0"}, "n2": {"N": "1e3"}, "n3": {"N": "0.000123"}, "n4": {"N": "-12.3400"}, "n5": {"N": "1E+100"},
            "n6": {"N": "12345678901234567890123456789012345678"}, "n7": {"N": "+5"}, "n8": {"N": ".5"},
            "s": {"S": ""}, "b": {"B": "AAEC"}, "t": {"BOOL": true}, "z": {"NULL": true},
            "m": {"M": {"x": {"L": [{"S": "y"}, {"NS": ["3", "1"]}]}}}, "ss": {"SS": ["b", "a"]}, "bs": {"BS": ["AA==", "AQ=="]}}})),
        s("GetItem", json!({"TableName": "avn_t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1.5"}}})),
        s("GetItem", json!({"TableName": "avn_t", "Key": {"pk": {"S": "a"}, "sk": {"N": "15e-1"}}, "ConsistentRead": true})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"SS": []}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"SS": ["a", "a"]}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"NS": ["1", "1.0"]}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"N": "abc"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"N": "1e126"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"N": "1e-131"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"N": "123456789012345678901234567890123456789"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"S": "1", "N": "2"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "e": {"NULL": false}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": ""}, "sk": {"N": "2"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"N": "1"}, "sk": {"N": "2"}}})),
        s("PutItem", json!({"TableName": "avn_t", "Item": {"pk": {"S": "a"}, "sk": {"N": "2"}, "big": {"S": "x".repeat(410_000)}}})),
        s("GetItem", json!({"TableName": "avn_t", "Key": {"pk": {"S": "a"}}})),
        s("GetItem", json!({"TableName": "avn_t", "Key": {"pk": {"N": "1"}, "sk": {"N": "1"}}})),
        s("GetItem", json!({"TableName": "avn_t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}, "q": {"S": "a"}}})),
        s("GetItem", json!({"TableName": "avn_nope", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}})),
        s("GetItem", json!({"TableName": "avn_t", "Key": {"pk": {"S": "zz"}, "sk": {"N": "1"}}})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn put_delete_conditions_and_return_values() {
    diff(vec![
        create("pdc_t", None),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}, "ReturnValues": "ALL_OLD"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}, "v": {"N": "2"}}, "ReturnValues": "ALL_OLD"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}, "v": {"N": "3"}}, "ConditionExpression": "v = :two",
            "ExpressionAttributeValues": {":two": {"N": "2.0"}}, "ReturnValues": "ALL_OLD"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = "})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ExpressionAttributeValues": {":q": {"S": "x"}}})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ExpressionAttributeNames": {"#q": "x"}})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = :zz"})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "#a = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}})),
        s("PutItem", json!({"TableName": "pdc_t", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "v = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "y"}}})),
        s("DeleteItem", json!({"TableName": "pdc_t", "Key": {"pk": {"S": "a"}}, "ConditionExpression": "v > :v",
            "ExpressionAttributeValues": {":v": {"N": "5"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})),
        s("DeleteItem", json!({"TableName": "pdc_t", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD"})),
        s("DeleteItem", json!({"TableName": "pdc_t", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD"})),
        s("DeleteItem", json!({"TableName": "pdc_t", "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_exists(pk)"})),
        s("GetItem", json!({"TableName": "pdc_t", "Key": {"pk": {"S": "a"}}})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn condition_expression_features() {
    let item = json!({"pk": {"S": "c"}, "s": {"S": "hello"}, "n": {"N": "10"}, "l": {"L": [{"S": "x"}, {"N": "2"}]},
        "m": {"M": {"deep": {"M": {"v": {"N": "7"}}}}}, "ss": {"SS": ["a", "b"]}, "b": {"B": "AAEC"}, "t": {"BOOL": false}});
    let check = |expr: &str, values: serde_json::Value| {
        let mut body = json!({"TableName": "cef_t", "Key": {"pk": {"S": "c"}}, "ConditionExpression": expr,
            "UpdateExpression": "SET touched = :touched"});
        let mut vals = values.as_object().cloned().unwrap_or_default();
        vals.insert(":touched".into(), json!({"BOOL": true}));
        body["ExpressionAttributeValues"] = serde_json::Value::Object(vals);
        s("UpdateItem", body)
    };
    diff(vec![
        create("cef_t", None),
        s("PutItem", json!({"TableName": "cef_t", "Item": item})),
        check("n > :v", json!({":v": {"N": "9.5"}})),
        check("n > :v", json!({":v": {"S": "9"}})),
        check("n <> :v", json!({":v": {"S": "10"}})),
        check("nosuch <> :v", json!({":v": {"S": "10"}})),
        check("nosuch = :v", json!({":v": {"S": "10"}})),
        check(
            "s BETWEEN :a AND :b",
            json!({":a": {"S": "h"}, ":b": {"S": "i"}}),
        ),
        check(
            "s BETWEEN :b AND :a",
            json!({":a": {"S": "h"}, ":b": {"S": "i"}}),
        ),
        check(
            "n IN (:a, :b)",
            json!({":a": {"S": "h"}, ":b": {"N": "1e1"}}),
        ),
        check("begins_with(s, :p)", json!({":p": {"S": "he"}})),
        check("begins_with(s, :p)", json!({":p": {"S": "lo"}})),
        check("contains(ss, :p)", json!({":p": {"S": "b"}})),
        check("contains(l, :p)", json!({":p": {"N": "2.0"}})),
        check("contains(s, :p)", json!({":p": {"S": "ell"}})),
        check("size(l) = :p", json!({":p": {"N": "2"}})),
        check("size(b) = :p", json!({":p": {"N": "3"}})),
        check("size(s) >= :p", json!({":p": {"N": "6"}})),
        check("attribute_type(m, :t)", json!({":t": {"S": "M"}})),
        check("attribute_type(m, :t)", json!({":t": {"S": "X"}})),
        check(
            "m.deep.v = :p AND l[0] = :x",
            json!({":p": {"N": "7"}, ":x": {"S": "x"}}),
        ),
        check(
            "m.deep.v = :p AND l[1] = :x",
            json!({":p": {"N": "7"}, ":x": {"S": "x"}}),
        ),
        check(
            "attribute_exists(m.deep) AND attribute_not_exists(l[5]) OR n = :p",
            json!({":p": {"N": "0"}}),
        ),
        check("NOT (n = :p OR s = :p)", json!({":p": {"N": "0"}})),
        check("NOT n = :p AND n = :p", json!({":p": {"N": "10"}})),
        check(
            "n = :p OR n = :p AND n = :q",
            json!({":p": {"N": "10"}, ":q": {"N": "11"}}),
        ),
        check(
            "(n = :p OR n = :p) AND n = :q",
            json!({":p": {"N": "10"}, ":q": {"N": "11"}}),
        ),
        check("t = :f", json!({":f": {"BOOL": false}})),
        check("ss = :s", json!({":s": {"SS": ["b", "a"]}})),
        check("status = :s", json!({":s": {"S": "x"}})),
        check("foo(n)", json!({":s": {"S": "x"}})),
        check("size(n)", json!({":s": {"S": "x"}})),
        check("n = :p)", json!({":p": {"N": "1"}})),
        check("n == :p", json!({":p": {"N": "1"}})),
        check("attribute_exists(:p)", json!({":p": {"N": "1"}})),
        check("#n = :p", json!({":p": {"N": "1"}})),
        s(
            "GetItem",
            json!({"TableName": "cef_t", "Key": {"pk": {"S": "c"}}}),
        ),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn update_expressions() {
    let upd = |expr: &str, values: serde_json::Value, rv: &str| {
        let mut body = json!({"TableName": "upd_t", "Key": {"pk": {"S": "u"}}, "UpdateExpression": expr, "ReturnValues": rv});
        if values.as_object().is_some_and(|o| !o.is_empty()) {
            body["ExpressionAttributeValues"] = values;
        }
        s("UpdateItem", body)
    };
    diff(vec![
        create("upd_t", None),
        upd("SET n = :one, l = :l, m = :m, s = :s", json!({":one": {"N": "1"}, ":l": {"L": [{"S": "a"}]},
            ":m": {"M": {"a": {"S": "x"}}}, ":s": {"SS": ["x", "y"]}}), "ALL_NEW"),
        upd("SET n = n + :one, c = if_not_exists(c, :zero) - :one", json!({":one": {"N": "1"}, ":zero": {"N": "0"}}), "UPDATED_NEW"),
        upd("SET l = list_append(l, :l), l2 = list_append(:l, if_not_exists(l2, :e))", json!({":l": {"L": [{"S": "b"}]}, ":e": {"L": []}}), "UPDATED_OLD"),
        upd("SET m.b = :v, l[10] = :v", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("REMOVE l[0], m.a", json!({}), "ALL_OLD"),
        upd("ADD s :c, n :n, fresh :n DELETE gone :x", json!({":c": {"SS": ["y", "z"]}, ":n": {"N": "2.5"}, ":x": {"SS": ["x"]}}), "UPDATED_NEW"),
        upd("DELETE s :x", json!({":x": {"SS": ["x", "y", "z"]}}), "ALL_NEW"),
        upd("SET n = n + :s", json!({":s": {"S": "x"}}), "ALL_NEW"),
        upd("SET x = nosuch", json!({}), "ALL_NEW"),
        upd("SET q.r = :v", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("SET a = :v SET b = :v", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("SET a = :v REMOVE a", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("SET pk = :v", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("ADD n :v", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("SET l = list_append(l, :v)", json!({":v": {"S": "v"}}), "ALL_NEW"),
        upd("SET n = :v", json!({":v": {"N": "5"}}), "BOGUS"),
        upd("SET #n = :v", json!({":v": {"N": "5"}}), "ALL_NEW"),
        s("UpdateItem", json!({"TableName": "upd_t", "Key": {"pk": {"S": "new"}}, "ReturnValues": "ALL_NEW"})),
        s("UpdateItem", json!({"TableName": "upd_t", "Key": {"pk": {"S": "new2"}}, "UpdateExpression": "SET a = :a",
            "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": "upd_t", "Key": {"pk": {"S": "u"}}, "UpdateExpression": "SET #c = #c + :d",
            "ExpressionAttributeNames": {"#c": "count"}, "ExpressionAttributeValues": {":d": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": "upd_t", "Key": {"pk": {"S": "u"}}, "UpdateExpression": "SET #c = :d",
            "ExpressionAttributeNames": {"#c": "count"}, "ExpressionAttributeValues": {":d": {"N": "1"}}, "ReturnValues": "UPDATED_OLD"})),
        u("Scan", json!({"TableName": "upd_t"})),
    ])
    .await;
}

fn query_fixture(name: &str) -> Vec<harness::Step> {
    let mut steps = vec![s(
        "CreateTable",
        json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "st", "AttributeType": "S"}, {"AttributeName": "ts", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [
                {"IndexName": "StatusIndex", "KeySchema": [{"AttributeName": "st", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "KeysIndex", "KeySchema": [{"AttributeName": "st", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}]
        }),
    )];
    for i in 0..12 {
        let mut item = json!({"pk": {"S": if i % 3 == 0 { "p1" } else { "p2" }}, "sk": {"N": format!("{}", i * 5 - 20)},
            "v": {"N": format!("{i}")}, "name": {"S": format!("item-{i:02}")}});
        if i % 4 != 3 {
            item["st"] = json!({"S": if i % 2 == 0 { "DONE" } else { "WAIT" }});
            item["ts"] = json!({"S": format!("2024-01-{:02}T00:00:00Z", 1 + (i * 7) % 10)});
        }
        steps.push(s("PutItem", json!({"TableName": name, "Item": item})));
    }
    steps
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn query_table() {
    let t = "qt_t";
    let q = |extra: serde_json::Value| {
        let mut body = json!({"TableName": t});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        s("Query", body)
    };
    let mut steps = query_fixture(t);
    steps.extend([
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}, "ScanIndexForward": false})),
        q(json!({"KeyConditionExpression": "pk = :p AND sk > :s", "ExpressionAttributeValues": {":p": {"S": "p2"}, ":s": {"N": "0"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND sk <= :s", "ExpressionAttributeValues": {":p": {"S": "p2"}, ":s": {"N": "0"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": {":p": {"S": "p2"}, ":a": {"N": "-10"}, ":b": {"N": "15"}}})),
        q(json!({"KeyConditionExpression": "sk < :s AND pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "100"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}, "Limit": 3})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}, "Limit": 3,
            "ExclusiveStartKey": {"pk": {"S": "p2"}, "sk": {"N": "-5"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}, "Limit": 3,
            "ExclusiveStartKey": {"pk": {"S": "p2"}, "sk": {"N": "15"}}, "ScanIndexForward": false})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}, ":v": {"N": "4"}},
            "FilterExpression": "v > :v", "Limit": 4})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}, "Select": "COUNT"})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}},
            "ProjectionExpression": "sk, #n", "ExpressionAttributeNames": {"#n": "name"}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}},
            "ProjectionExpression": "sk, v", "Select": "SPECIFIC_ATTRIBUTES"})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "none"}}})),
        // errors
        q(json!({"KeyConditionExpression": "sk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p and sk <> :s", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p OR sk = :s", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND v = :s", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "1"}}})),
        q(json!({"ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"IndexName": "nox", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}, "Limit": 0})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}, "Select": "SPECIFIC_ATTRIBUTES"})),
    ]);
    diff(steps).await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn query_gsi() {
    let t = "qg_t";
    let q = |extra: serde_json::Value| {
        let mut body = json!({"TableName": t});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        s("Query", body)
    };
    let mut steps = query_fixture(t);
    steps.extend([
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s", "ExpressionAttributeValues": {":s": {"S": "DONE"}}})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s", "ExpressionAttributeValues": {":s": {"S": "WAIT"}},
            "ScanIndexForward": false, "Limit": 2})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s", "ExpressionAttributeValues": {":s": {"S": "WAIT"}},
            "ScanIndexForward": false, "Limit": 2,
            "ExclusiveStartKey": {"st": {"S": "WAIT"}, "ts": {"S": "2024-01-08T00:00:00Z"}, "pk": {"S": "p2"}, "sk": {"N": "-15"}}})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s AND begins_with(ts, :p)",
            "ExpressionAttributeValues": {":s": {"S": "DONE"}, ":p": {"S": "2024-01-0"}}})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s AND ts >= :p",
            "ExpressionAttributeValues": {":s": {"S": "DONE"}, ":p": {"S": "2024-01-05"}}, "Select": "COUNT"})),
        // Items sharing a hash-only index key come in no specified order.
        u("Query", json!({"TableName": t, "IndexName": "KeysIndex", "KeyConditionExpression": "st = :s", "ExpressionAttributeValues": {":s": {"S": "WAIT"}}})),
        u("Query", json!({"TableName": t, "IndexName": "KeysIndex", "KeyConditionExpression": "st = :s", "ExpressionAttributeValues": {":s": {"S": "WAIT"}},
            "Select": "ALL_ATTRIBUTES"})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s", "ExpressionAttributeValues": {":s": {"S": "DONE"}},
            "ConsistentRead": true})),
        s("Scan", json!({"TableName": t, "IndexName": "StatusIndex", "Select": "COUNT"})),
    ]);
    diff(steps).await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn scan_filter_projection() {
    let t = "sfp_t";
    let mut steps = query_fixture(t);
    steps.extend([
        u("Scan", json!({"TableName": t})),
        u("Scan", json!({"TableName": t, "FilterExpression": "v >= :v AND attribute_exists(st)", "ExpressionAttributeValues": {":v": {"N": "5"}}})),
        u("Scan", json!({"TableName": t, "ProjectionExpression": "pk, sk, v"})),
        s("Scan", json!({"TableName": t, "Select": "COUNT", "FilterExpression": "v < :v", "ExpressionAttributeValues": {":v": {"N": "5"}}})),
        s("Scan", json!({"TableName": t, "ExpressionAttributeValues": {":v": {"N": "5"}}})),
        s("Scan", json!({"TableName": t, "FilterExpression": "v < :v", "ExpressionAttributeValues": {":v": {"N": "5"}, ":w": {"N": "1"}}})),
        s("Scan", json!({"TableName": "sfp_none"})),
    ]);
    diff(steps).await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn batch_operations() {
    let t = "bat_t";
    let puts: Vec<_> = (0..5).map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i}")}, "v": {"N": format!("{i}")}}}})).collect();
    let too_many: Vec<_> = (0..26)
        .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("x{i}")}}}}))
        .collect();
    diff(vec![
        create(t, None),
        s("BatchWriteItem", json!({"RequestItems": {t: puts}})),
        s("BatchGetItem", json!({"RequestItems": {t: {"Keys": [{"pk": {"S": "k1"}}, {"pk": {"S": "k3"}}, {"pk": {"S": "zz"}}],
            "ProjectionExpression": "v"}}})),
        s("BatchWriteItem", json!({"RequestItems": {t: [{"DeleteRequest": {"Key": {"pk": {"S": "k1"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "k9"}}}}]}})),
        s("BatchGetItem", json!({"RequestItems": {t: {"Keys": [{"pk": {"S": "k1"}}, {"pk": {"S": "k9"}}]}}})),
        s("BatchWriteItem", json!({"RequestItems": {t: too_many}})),
        s("BatchWriteItem", json!({"RequestItems": {t: [{"DeleteRequest": {"Key": {"pk": {"S": "k2"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "k2"}}}}]}})),
        s("BatchGetItem", json!({"RequestItems": {t: {"Keys": [{"pk": {"S": "k2"}}, {"pk": {"S": "k2"}}]}}})),
        s("BatchWriteItem", json!({"RequestItems": {"bat_none": [{"DeleteRequest": {"Key": {"pk": {"S": "k2"}}}}]}})),
        s("BatchGetItem", json!({"RequestItems": {"bat_none": {"Keys": [{"pk": {"S": "k2"}}]}}})),
        u("Scan", json!({"TableName": t})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn protocol_errors() {
    diff(vec![
        s("NoSuchOperation", json!({})),
        s(
            "GetItem",
            json!({"TableName": "x", "Key": {"pk": {"S": "a"}}}),
        ),
        s("GetItem", json!({"Key": {"pk": {"S": "a"}}})),
        s(
            "PutItem",
            json!({"TableName": "prot_t", "Item": {"pk": {"S": 1}}}),
        ),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn paging_and_binary_keys() {
    let t = "pgb_t";
    let mut steps = vec![create(t, Some("B")), create("pgb_big", Some("N"))];
    for (i, b) in ["AA==", "AQ==", "/w==", "AAE=", "gA==", "AP8="]
        .iter()
        .enumerate()
    {
        steps.push(s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "one"}, "sk": {"B": b}, "i": {"N": format!("{i}")}}})));
    }
    steps.extend([
        s("Query", json!({"TableName": t, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "one"}}})),
        s("Query", json!({"TableName": t, "KeyConditionExpression": "pk = :p AND begins_with(sk, :b)",
            "ExpressionAttributeValues": {":p": {"S": "one"}, ":b": {"B": "AA=="}}, "ScanIndexForward": false})),
        s("Query", json!({"TableName": t, "KeyConditionExpression": "pk = :p AND sk > :b",
            "ExpressionAttributeValues": {":p": {"S": "one"}, ":b": {"B": "AQ=="}}})),
        s("Scan", json!({"TableName": t, "Limit": 2})),
        s("Scan", json!({"TableName": t, "Limit": 2, "ExclusiveStartKey": {"pk": {"S": "one"}, "sk": {"B": "AAE="}}})),
        s("Scan", json!({"TableName": t, "Limit": 10, "ExclusiveStartKey": {"pk": {"S": "one"}, "sk": {"B": "gA=="}}})),
        s("Scan", json!({"TableName": t, "ExclusiveStartKey": {"pk": {"S": "one"}}})),
        s("Scan", json!({"TableName": t, "ExclusiveStartKey": {"pk": {"S": "one"}, "sk": {"B": "gA=="}, "x": {"S": "y"}}})),
        s("Query", json!({"TableName": t, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "one"}},
            "ExclusiveStartKey": {"pk": {"S": "two"}, "sk": {"B": "gA=="}}})),
    ]);
    let blob = "x".repeat(100_000);
    for i in 0..12 {
        steps.push(s("PutItem", json!({"TableName": "pgb_big", "Item": {"pk": {"S": "p"}, "sk": {"N": format!("{i}")}, "blob": {"S": blob}}})));
    }
    steps.extend([
        s("Query", json!({"TableName": "pgb_big", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}},
            "ProjectionExpression": "sk"})),
        s("Query", json!({"TableName": "pgb_big", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}},
            "Select": "COUNT", "ExclusiveStartKey": {"pk": {"S": "p"}, "sk": {"N": "9"}}})),
    ]);
    diff(steps).await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn projections_and_return_values_on_documents() {
    let t = "prd_t";
    diff(vec![
        create(t, None),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "d"}, "m": {"M": {"a": {"S": "x"}, "b": {"M": {"c": {"N": "1"}}}}},
            "l": {"L": [{"S": "l0"}, {"M": {"k": {"S": "v"}}}, {"S": "l2"}]}, "top": {"S": "t"}}})),
        s("GetItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "ProjectionExpression": "m.b.c, l[1].k, l[2], top, nosuch"})),
        s("GetItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "ProjectionExpression": "#m.#b", "ExpressionAttributeNames": {"#m": "m", "#b": "b"}})),
        s("GetItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "ProjectionExpression": "m, m.a"})),
        s("GetItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "ProjectionExpression": "m", "ExpressionAttributeNames": {"#u": "x"}})),
        s("GetItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "ProjectionExpression": "name"})),
        s("GetItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "ProjectionExpression": "l[x]"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "SET m.b.c = m.b.c + :one, l[1].k = :v REMOVE top",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":v": {"S": "w"}}, "ReturnValues": "UPDATED_OLD"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "SET m.b.c = m.b.c + :one, l[1].k = :v",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":v": {"S": "z"}}, "ReturnValues": "UPDATED_NEW"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "REMOVE l[0], l[2]", "ReturnValues": "ALL_NEW"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "SET #n = :v",
            "ExpressionAttributeNames": {"#n": "name"}, "ExpressionAttributeValues": {":v": {"S": "named"}}, "ReturnValues": "UPDATED_NEW"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "SET name = :v",
            "ExpressionAttributeValues": {":v": {"S": "named"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "ADD l :v",
            "ExpressionAttributeValues": {":v": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "DELETE m :v",
            "ExpressionAttributeValues": {":v": {"SS": ["a"]}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "d"}}, "UpdateExpression": "SET m.a = :v",
            "ConditionExpression": "#m.#a = :x AND size(#l) = :two",
            "ExpressionAttributeNames": {"#m": "m", "#a": "a", "#l": "l"},
            "ExpressionAttributeValues": {":v": {"S": "new"}, ":x": {"S": "x"}, ":two": {"N": "1"}}, "ReturnValues": "ALL_NEW"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "zz"}}, "UpdateExpression": "SET a = :v",
            "ExpressionAttributeValues": {":v": {"N": "1"}}, "ReturnValues": "UPDATED_OLD"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "zz"}}, "UpdateExpression": "REMOVE a", "ReturnValues": "ALL_OLD"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "zz"}}, "UpdateExpression": "REMOVE a", "ReturnValues": "ALL_NEW"})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn query_index_projection_and_filters_on_keys() {
    let t = "qip_t";
    let q = |extra: serde_json::Value| {
        let mut body = json!({"TableName": t});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        s("Query", body)
    };
    let mut steps = query_fixture(t);
    steps.extend([
        q(json!({"KeyConditionExpression": "pk = :p", "FilterExpression": "sk > :s",
            "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "0"}}})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s", "ProjectionExpression": "pk, ts",
            "ExpressionAttributeValues": {":s": {"S": "DONE"}}})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "st = :s", "Select": "ALL_PROJECTED_ATTRIBUTES",
            "ExpressionAttributeValues": {":s": {"S": "DONE"}}, "Limit": 1})),
        q(json!({"IndexName": "StatusIndex", "KeyConditionExpression": "#s = :s", "FilterExpression": "v > :v",
            "ExpressionAttributeNames": {"#s": "st"}, "ExpressionAttributeValues": {":s": {"S": "DONE"}, ":v": {"N": "3"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeNames": {"#s": "st"},
            "ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"Select": "ALL_PROJECTED_ATTRIBUTES", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND sk = :s AND sk = :s", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"KeyConditionExpression": "pk > :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND sk BETWEEN :b AND :a", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"N": "1"}, ":b": {"N": "5"}}})),
        q(json!({"KeyConditionExpression": "pk = :p AND sk IN (:a)", "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"N": "1"}}})),
        q(json!({"KeyConditionExpression": "NOT pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}})),
        q(json!({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}, "Select": "BOGUS"})),
    ]);
    diff(steps).await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn misc_errors() {
    let t = "mer_t";
    let keys: Vec<_> = (0..101)
        .map(|i| json!({"pk": {"S": format!("k{i}")}}))
        .collect();
    diff(vec![
        create(t, None),
        s("DeleteItem", json!({"TableName": "mer_none", "Key": {"pk": {"S": "a"}}})),
        s("UpdateItem", json!({"TableName": "mer_none", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "a"}, "x": {"S": "b"}}, "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :a"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "a"}}, "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :a, b = :b",
            "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"SS": []}}})),
        s("BatchGetItem", json!({"RequestItems": {t: {"Keys": keys}}})),
        s("BatchWriteItem", json!({"RequestItems": {}})),
        s("BatchWriteItem", json!({"RequestItems": {t: [{"PutRequest": {"Item": {"nokey": {"S": "a"}}}}]}})),
        s("PutItem", json!({"TableName": t})),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "a"}}, "ReturnValues": "UPDATED_NEW"})),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = :a AND",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a IN :a",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "begins_with(a, :a)",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = :a",
            "ExpressionAttributeValues": {}})),
        s("PutItem", json!({"TableName": t, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = :a",
            "ExpressionAttributeValues": {":a": {"SS": []}}})),
        s("Scan", json!({"TableName": t, "FilterExpression": "a = :a", "ExpressionAttributeValues": {":a": {"N": "1"}},
            "ExpressionAttributeNames": {"#x": "y"}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {"a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "SET #a = :a",
            "ExpressionAttributeNames": {"a": "x", "#a": "y"}, "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "r"}}, "UpdateExpression": "REMOVE a", "ReturnValues": "ALL_NEW"})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {":a": {"N": "1e100"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "ADD a :a",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "SET a[0] = :a",
            "ExpressionAttributeValues": {":a": {"N": "1"}}})),
        s("UpdateItem", json!({"TableName": t, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "SET b = :a",
            "ConditionExpression": "contains(:a, a) OR a.b = :a", "ExpressionAttributeValues": {":a": {"N": "1"}}})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn more_expression_features_and_reserved_words() {
    let t = "mef_t";
    let upd = |expr: &str, cond: Option<&str>, values: serde_json::Value, rv: &str| {
        let mut body = json!({"TableName": t, "Key": {"pk": {"S": "e"}}, "UpdateExpression": expr, "ReturnValues": rv,
            "ExpressionAttributeValues": values});
        if let Some(c) = cond {
            body["ConditionExpression"] = json!(c);
        }
        s("UpdateItem", body)
    };
    let mut steps = vec![
        create(t, None),
        s(
            "PutItem",
            json!({"TableName": t, "Item": {"pk": {"S": "e"}, "ns": {"NS": ["1", "2", "3"]}, "bs": {"BS": ["AQ==", "Ag=="]},
            "ss": {"SS": ["x"]}, "m": {"M": {"k": {"N": "1"}, "j": {"N": "2"}}}, "b": {"B": "AQID"}, "n": {"N": "-7.25"},
            "nul": {"NULL": true}, "bo": {"BOOL": true}, "l": {"L": [{"N": "1"}]}, "s": {"S": "héllo"}}}),
        ),
    ];
    for ty in ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"] {
        steps.push(upd("SET touched = :one", Some("attribute_type(ns, :t) OR attribute_type(bs, :t) OR attribute_type(nul, :t) OR attribute_type(bo, :t)"),
            json!({":one": {"N": "1"}, ":t": {"S": ty}}), "UPDATED_NEW"));
    }
    steps.extend([
        upd("SET touched = :one", Some("contains(ns, :n) AND contains(bs, :b) AND NOT contains(ss, :s)"),
            json!({":one": {"N": "1"}, ":n": {"N": "2.0"}, ":b": {"B": "Ag=="}, ":s": {"S": "y"}}), "UPDATED_NEW"),
        upd("SET touched = :one", Some("size(m) = :two AND size(ss) = :one AND size(s) = :five"),
            json!({":one": {"N": "1"}, ":two": {"N": "2"}, ":five": {"N": "5"}}), "UPDATED_NEW"),
        upd("SET touched = :one", Some("n BETWEEN :lo AND :hi AND begins_with(b, :p)"),
            json!({":one": {"N": "1"}, ":lo": {"N": "-8"}, ":hi": {"N": "-7.25"}, ":p": {"B": "AQ=="}}), "UPDATED_NEW"),
        upd("SET touched = :one", Some("n IN (:a, :b, :c, :d, :e) AND NOT attribute_exists(nope.deeper)"),
            json!({":one": {"N": "1"}, ":a": {"N": "1"}, ":b": {"N": "2"}, ":c": {"N": "3"}, ":d": {"N": "4"}, ":e": {"N": "-7.250"}}), "UPDATED_NEW"),
        upd("ADD ns :n, bs :b, counter :one DELETE ss :s", None,
            json!({":n": {"NS": ["4", "1"]}, ":b": {"BS": ["Aw=="]}, ":one": {"N": "1"}, ":s": {"SS": ["x", "nothere"]}}), "UPDATED_NEW"),
        upd("DELETE ns :n", None, json!({":n": {"NS": ["1", "2", "3", "4"]}}), "ALL_NEW"),
        upd("SET l = list_append(:front, l), m.k = m.k - :one, #x = if_not_exists(#x, :one)", None,
            json!({":front": {"L": [{"S": "f"}]}, ":one": {"N": "0.5"}}), "ALL_OLD"),
        upd("SET n = :big + :big", None, json!({":big": {"N": "99999999999999999999999999999999999999"}}), "UPDATED_NEW"),
        upd("SET n = :a - :b", None, json!({":a": {"N": "0.1"}, ":b": {"N": "0.3"}}), "UPDATED_NEW"),
        upd("SET Kind = :a, Pattern = :a, ProcessStatus = :a, LastUpdated = :a, StartActionAt = :a, ExecutionArn = :a",
            None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
        upd("SET TaskToken = :a, Output = :a", None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
        upd("SET #e = :a, Cause = :a", None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
        upd("SET Error = :a", None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
        upd("SET Status = :a", None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
        upd("SET data = :a", None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
        upd("SET ttl = :a", None, json!({":a": {"S": "v"}}), "UPDATED_NEW"),
    ]);
    // `#x` and `#e` need names.
    for st in steps.iter_mut() {
        if let Some(e) = st.body.get("UpdateExpression").and_then(|v| v.as_str()) {
            let mut names = serde_json::Map::new();
            if e.contains("#x") {
                names.insert("#x".into(), json!("fresh"));
            }
            if e.contains("#e") {
                names.insert("#e".into(), json!("Error"));
            }
            if !names.is_empty() {
                st.body["ExpressionAttributeNames"] = serde_json::Value::Object(names);
            }
        }
    }
    steps.push(s(
        "GetItem",
        json!({"TableName": t, "Key": {"pk": {"S": "e"}}}),
    ));
    diff(steps).await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn time_to_live_settings() {
    let spec = |enabled: bool, name: &str| json!({"TableName": "ttl_t", "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}});
    diff(vec![
        s("CreateTable", json!({"TableName": "ttl_t", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})),
        s("DescribeTimeToLive", json!({"TableName": "ttl_t"})),
        s("UpdateTimeToLive", spec(false, "ExpiresAt")),
        s("UpdateTimeToLive", spec(true, "ExpiresAt")),
        s("DescribeTimeToLive", json!({"TableName": "ttl_t"})),
        s("UpdateTimeToLive", spec(true, "ExpiresAt")),
        s("UpdateTimeToLive", spec(true, "Other")),
        s("UpdateTimeToLive", spec(false, "Other")),
        s("UpdateTimeToLive", spec(false, "ExpiresAt")),
        s("DescribeTimeToLive", json!({"TableName": "ttl_t"})),
        s("UpdateTimeToLive", json!({"TableName": "ttl_t"})),
        s("UpdateTimeToLive", json!({"TableName": "ttl_t", "TimeToLiveSpecification": {"Enabled": true}})),
        s("UpdateTimeToLive", spec(true, "")),
        s("UpdateTimeToLive", json!({"TableName": "ttl_nope", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "x"}})),
        s("DescribeTimeToLive", json!({"TableName": "ttl_nope"})),
        s("DescribeTimeToLive", json!({"TableName": "x"})),
    ])
    .await;
}

#[tokio::test]
#[ignore = "needs Java (DynamoDB Local); scripts/test.sh runs it (--include-ignored)"]
async fn what_dynamodb_refuses_in_values_and_keys() {
    let long = |n: usize, c: char| std::iter::repeat_n(c, n).collect::<String>();
    let put =
        |item: serde_json::Value| s("PutItem", json!({"TableName": "refuse_t", "Item": item}));
    diff(vec![
        s("CreateTable", json!({"TableName": "refuse_t",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"})),
        // Key values at and over their limits (bytes, not characters).
        put(json!({"pk": {"S": long(2048, 'a')}, "sk": {"S": long(1024, 'b')}})),
        put(json!({"pk": {"S": long(2049, 'a')}, "sk": {"S": "x"}})),
        put(json!({"pk": {"S": "x"}, "sk": {"S": long(1025, 'b')}})),
        put(json!({"pk": {"S": long(1025, 'é')}, "sk": {"S": "x"}})),
        s("GetItem", json!({"TableName": "refuse_t", "Key": {"pk": {"S": long(2049, 'a')}, "sk": {"S": "x"}}})),
        s("DeleteItem", json!({"TableName": "refuse_t", "Key": {"pk": {"S": "x"}, "sk": {"S": long(1025, 'b')}}})),
        s("UpdateItem", json!({"TableName": "refuse_t", "Key": {"pk": {"S": long(2049, 'a')}, "sk": {"S": "x"}}})),
        // Empty attribute names, at the top and inside a map.
        put(json!({"pk": {"S": "x"}, "sk": {"S": "y"}, "": {"S": "e"}})),
        put(json!({"pk": {"S": "x"}, "sk": {"S": "y"}, "m": {"M": {"": {"S": "e"}}}})),
        // Numbers with blanks around them.
        put(json!({"pk": {"S": "x"}, "sk": {"S": "y"}, "n": {"N": " 1"}})),
        put(json!({"pk": {"S": "x"}, "sk": {"S": "y"}, "n": {"N": "1 "}})),
        put(json!({"pk": {"S": "x"}, "sk": {"S": "y"}, "n": {"NS": ["1", " 2"]}})),
        s("GetItem", json!({"TableName": "refuse_t", "Key": {"pk": {"S": "x"}, "sk": {"S": "y"}}, "ConsistentRead": true})),
    ])
    .await;
}
