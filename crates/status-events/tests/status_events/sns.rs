//! Request shape of the SNS adapter (the Jobs table adapter's are app-core's).

use aws_smithy_mocks::{mock, mock_client};
use status_events::ports::Notifier;
use status_events::sns::SnsNotifier;

#[tokio::test]
async fn sns_publish_shape() {
    let rule = mock!(aws_sdk_sns::Client::publish)
        .match_requests(|r| {
            r.topic_arn() == Some("arn:aws:sns:us-east-1:1:t")
                && r.subject() == Some("subj")
                && r.message() == Some("{}")
        })
        .then_output(|| aws_sdk_sns::operation::publish::PublishOutput::builder().build());
    let client = mock_client!(aws_sdk_sns, [&rule]);
    SnsNotifier::new(client, "arn:aws:sns:us-east-1:1:t")
        .publish("subj", "{}")
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
}
