//! The SDK configuration every handler builds once at init.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// Loads the SDK configuration with one HTTPS client shared by every SDK client and
/// credential provider built from it (otherwise each builds its own connector and
/// pool). Nothing here touches the network: in Lambda region and credentials come
/// from the environment, and certificates are loaded on the first request.
pub async fn load() -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}
