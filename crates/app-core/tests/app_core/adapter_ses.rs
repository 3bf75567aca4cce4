//! Request shape of the SES v2 adapter (aws-smithy-mocks).

use app_core::ports::{Email, Mailer};
use app_core::ses::SesMailer;
use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailInput, SendEmailOutput};
use aws_sdk_sesv2::types::error::MessageRejected;
use aws_sdk_sesv2::Client;
use aws_smithy_mocks::{mock, mock_client};
use std::sync::{Arc, Mutex};

fn email() -> Email {
    Email {
        to: "ops@example.com".into(),
        subject: "Scheduled task: backup".into(),
        body: "It ran.".into(),
    }
}

#[tokio::test]
async fn send_email_from_to_subject_body() {
    let seen: Arc<Mutex<Vec<SendEmailInput>>> = Default::default();
    let s = seen.clone();
    let rule = mock!(Client::send_email)
        .match_requests(move |r| {
            s.lock().unwrap().push(r.clone());
            true
        })
        .then_output(|| SendEmailOutput::builder().message_id("msg-1").build());
    let mailer =
        SesMailer::from_client(mock_client!(aws_sdk_sesv2, [&rule]), "noreply@example.com");
    assert_eq!(mailer.send(&email()).await.unwrap(), "msg-1");
    let r = &seen.lock().unwrap()[0];
    assert_eq!(r.from_email_address(), Some("noreply@example.com"));
    assert_eq!(r.destination().unwrap().to_addresses(), ["ops@example.com"]);
    let simple = r.content().unwrap().simple().unwrap();
    assert_eq!(simple.subject().unwrap().data(), "Scheduled task: backup");
    assert_eq!(simple.body().unwrap().text().unwrap().data(), "It ran.");
}

#[tokio::test]
async fn rejection_is_upstream() {
    let rule = mock!(Client::send_email).then_error(|| {
        SendEmailError::MessageRejected(
            MessageRejected::builder()
                .message("Email address is not verified")
                .build(),
        )
    });
    let mailer =
        SesMailer::from_client(mock_client!(aws_sdk_sesv2, [&rule]), "noreply@example.com");
    let err = mailer.send(&email()).await.unwrap_err();
    assert!(err.0.contains("SES SendEmail failed"), "{err}");
}
