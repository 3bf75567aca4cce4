//! The SDK configuration every handler builds once at init.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The roots every AWS service endpoint chains to: Amazon Trust Services' Amazon Root CA 1-4
/// and the Starfield Services root that cross-signs them (as shipped in the Mozilla CA bundle).
const AMAZON_TRUST_SERVICES: &str = include_str!("amazon-trust-services.pem");

/// Which certificates the HTTPS client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// The embedded Amazon Trust Services roots: five certificates parsed from memory.
    AmazonTrustServices,
    /// The platform store, read from disk: every file of `/etc/ssl/certs` on most Linux
    /// systems, which costs milliseconds of cold start.
    Native,
}

impl Roots {
    /// The platform store when the environment names one (`SSL_CERT_FILE` or `SSL_CERT_DIR`,
    /// e.g. for an HTTPS endpoint behind a private CA), otherwise the Amazon roots. Lambda
    /// sets neither, so a deployed function never scans the certificate directory.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Roots {
        let named = |k: &str| env(k).is_some_and(|v| !v.is_empty());
        if named("SSL_CERT_FILE") || named("SSL_CERT_DIR") {
            Roots::Native
        } else {
            Roots::AmazonTrustServices
        }
    }

    fn trust_store(self) -> TrustStore {
        match self {
            Roots::AmazonTrustServices => {
                TrustStore::empty().with_pem_certificate(AMAZON_TRUST_SERVICES.as_bytes())
            }
            Roots::Native => TrustStore::empty().with_native_roots(true),
        }
    }
}

/// Loads the SDK configuration with one HTTPS client shared by every SDK client and
/// credential provider built from it (otherwise each builds its own connector and
/// pool). Nothing here touches the network: in Lambda region and credentials come
/// from the environment.
pub async fn load() -> SdkConfig {
    load_from(&|k: &str| std::env::var(k).ok().filter(|v| !v.is_empty())).await
}

/// [`load`] with the environment read through `env` (set, non-empty variables only).
async fn load_from(env: &dyn Fn(&str) -> Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client(Roots::from_env(env)));
    // Lambda puts the region and the role's credentials in environment variables, the first
    // place the default chains look. Naming them skips building the rest of the chains at
    // init (profile files, web identity with its STS client, container and IMDS providers);
    // elsewhere, without them, the default chains apply as usual.
    if let Some(region) = env("AWS_REGION") {
        loader = loader.region(aws_config::Region::new(region));
    }
    if env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some() {
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    }
    loader.load().await
}

/// The HTTP(S) client the SDK clients share: rustls with the ring provider (the SDK crates
/// are built without their default client, whose aws-lc adds about a megabyte to a
/// bootstrap), trusting `roots`. Plain `http://` endpoints, like the local runtime's, need
/// no TLS and use the same client.
pub fn http_client(roots: Roots) -> SharedHttpClient {
    let tls_context = TlsContext::builder()
        .with_trust_store(roots.trust_store())
        .build()
        .expect("a TLS context without extra server names always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls_context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    #[test]
    fn amazon_roots_are_the_five_expected_certificates() {
        let names: Vec<&str> = AMAZON_TRUST_SERVICES
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .collect();
        assert_eq!(
            names,
            [
                "Amazon Root CA 1",
                "Amazon Root CA 2",
                "Amazon Root CA 3",
                "Amazon Root CA 4",
                "Starfield Services Root Certificate Authority - G2"
            ]
        );
        assert_eq!(
            AMAZON_TRUST_SERVICES
                .matches("-----BEGIN CERTIFICATE-----")
                .count(),
            5
        );
    }

    #[test]
    fn native_roots_only_when_the_environment_names_a_store() {
        let none = |_: &str| None;
        assert_eq!(Roots::from_env(&none), Roots::AmazonTrustServices);
        let file = |k: &str| (k == "SSL_CERT_FILE").then(|| "/tmp/ca.pem".to_string());
        assert_eq!(Roots::from_env(&file), Roots::Native);
        let dir = |k: &str| (k == "SSL_CERT_DIR").then(|| "/etc/ssl/certs".to_string());
        assert_eq!(Roots::from_env(&dir), Roots::Native);
        let empty = |k: &str| (k == "SSL_CERT_FILE").then(String::new);
        assert_eq!(Roots::from_env(&empty), Roots::AmazonTrustServices);
    }

    #[test]
    fn every_embedded_root_is_a_usable_trust_anchor() {
        let certs = CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("valid PEM");
        assert_eq!(certs.len(), 5);
        for cert in &certs {
            webpki::anchor_from_trusted_cert(cert).expect("a trust anchor");
        }
    }
}
