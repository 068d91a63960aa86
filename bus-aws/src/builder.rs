//! [`AwsBackendBuilder`]: configuration of an [`AwsBackend`] from the environment, an `SdkConfig` or clients.

use std::sync::Arc;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use bus_core::BusError;

use crate::backend::AwsBackend;
use crate::counter::RequestCounter;
use crate::resolve::Clients;

/// The HTTPS client every SDK client of this crate uses unless one is injected: hyper with rustls and
/// the `ring` crypto provider, trusting the platform's root certificates (plain `http://` endpoints,
/// such as a local test server, work too).
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// The retry policy used unless [`AwsBackendBuilder::with_retry_config`] sets another: the SDK's standard
/// mode (exponential backoff with jitter, throttling and transient errors retried, a retry quota),
/// up to 5 attempts per call.
pub fn default_retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(5)
}

/// The timeouts used unless [`AwsBackendBuilder::with_timeout_config`] sets others: 3.1 s to connect and
/// 45 s per attempt (longer than a 20 s long poll), so that a hung connection fails and is retried
/// instead of blocking a worker for ever.
pub fn default_timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3_100))
        .operation_attempt_timeout(Duration::from_secs(45))
        .build()
}

/// Builds an [`AwsBackend`].
///
/// Configuration comes from, in order of precedence: injected clients ([`with_clients`](Self::with_clients)),
/// an injected [`SdkConfig`] ([`with_sdk_config`](Self::with_sdk_config)), or the environment through
/// `aws-config`'s default chain (credentials chain, `AWS_REGION`/profile region, `AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL_SQS`). [`with_region`](Self::with_region),
/// [`with_endpoint_url`](Self::with_endpoint_url), [`with_retry_config`](Self::with_retry_config) and
/// [`with_request_counter`](Self::with_request_counter) apply on top of any of them.
#[derive(Debug, Default)]
pub struct AwsBackendBuilder {
    sdk_config: Option<SdkConfig>,
    clients: Option<(aws_sdk_sns::Client, aws_sdk_sqs::Client)>,
    region: Option<String>,
    endpoint_url: Option<String>,
    retry: Option<RetryConfig>,
    timeouts: Option<TimeoutConfig>,
    counter: Option<RequestCounter>,
}

impl AwsBackendBuilder {
    /// A builder with nothing set: `build` reads the environment, like [`from_env`](Self::from_env).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder configured from the environment (`aws-config`'s default chain), read at `build`.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// Uses this SDK configuration instead of the environment. When it has no HTTP client, the
    /// crate's rustls client ([`https_client`]) is added.
    pub fn with_sdk_config(mut self, config: SdkConfig) -> Self {
        self.sdk_config = Some(config);
        self
    }

    /// Uses these clients (the other settings of this builder are applied on top of their configs).
    pub fn with_clients(mut self, sns: aws_sdk_sns::Client, sqs: aws_sdk_sqs::Client) -> Self {
        self.clients = Some((sns, sqs));
        self
    }

    /// Overrides the region (`us-east-1`).
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends every request of both services to this endpoint (a local SNS/SQS server such as moto).
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Overrides the retry policy ([`default_retry_config`] otherwise).
    pub fn with_retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Overrides the timeouts ([`default_timeout_config`] otherwise, for clients this builder makes;
    /// injected clients and SDK configs keep theirs unless this is called).
    pub fn with_timeout_config(mut self, timeouts: TimeoutConfig) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// Counts every request both clients send (see [`RequestCounter`]).
    pub fn with_request_counter(mut self, counter: RequestCounter) -> Self {
        self.counter = Some(counter);
        self
    }

    /// Loads the configuration and builds the clients.
    ///
    /// Fails with [`BusError::InvalidParameter`] when no region is configured, or when the credentials
    /// chain found no credentials provider at all.
    pub async fn build(self) -> Result<AwsBackend, BusError> {
        let (sns, sqs) = match self.clients.clone() {
            Some((sns, sqs)) => (
                self.sns_config(sns.config().to_builder(), true).build(),
                self.sqs_config(sqs.config().to_builder(), true).build(),
            ),
            None => {
                let sdk = match self.sdk_config.clone() {
                    Some(c) if c.http_client().is_some() => c,
                    Some(c) => c.into_builder().http_client(https_client()).build(),
                    None => aws_config::defaults(BehaviorVersion::latest()).http_client(https_client()).load().await,
                };
                if sdk.credentials_provider().is_none() {
                    return Err(BusError::invalid_parameter(
                        "credentials",
                        "no AWS credentials provider is configured (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or a role)",
                    ));
                }
                (
                    self.sns_config(aws_sdk_sns::config::Builder::from(&sdk), false).build(),
                    self.sqs_config(aws_sdk_sqs::config::Builder::from(&sdk), false).build(),
                )
            }
        };
        for region in [sns.region(), sqs.region()] {
            if region.is_none_or(|r| r.as_ref().is_empty()) {
                return Err(BusError::invalid_parameter(
                    "region",
                    "no AWS region is configured (set AWS_REGION, a profile region, or call with_region)",
                ));
            }
        }
        let clients = Clients::new(aws_sdk_sns::Client::from_conf(sns), aws_sdk_sqs::Client::from_conf(sqs));
        tracing::debug!(region = ?clients.sqs.config().region(), "AWS backend built");
        Ok(AwsBackend::from_clients(Arc::new(clients), self.counter))
    }

    /// The retry policy to set: the explicit one, or the default for clients this builder makes
    /// (injected clients keep their own unless one was set explicitly).
    fn retry_for(&self, injected: bool) -> Option<RetryConfig> {
        match (&self.retry, injected) {
            (Some(r), _) => Some(r.clone()),
            (None, false) => Some(default_retry_config()),
            (None, true) => None,
        }
    }

    /// The timeouts to set: the explicit ones, or the defaults for a config loaded from the environment.
    fn timeouts_for(&self, injected: bool) -> Option<TimeoutConfig> {
        match (&self.timeouts, injected || self.sdk_config.is_some()) {
            (Some(t), _) => Some(t.clone()),
            (None, false) => Some(default_timeout_config()),
            (None, true) => None,
        }
    }

    fn sns_config(&self, mut b: aws_sdk_sns::config::Builder, injected: bool) -> aws_sdk_sns::config::Builder {
        if let Some(r) = &self.region {
            b = b.region(Region::new(r.clone()));
        }
        if let Some(u) = &self.endpoint_url {
            b = b.endpoint_url(u);
        }
        if let Some(retry) = self.retry_for(injected) {
            b = b.retry_config(retry);
        }
        if let Some(t) = self.timeouts_for(injected) {
            b = b.timeout_config(t);
        }
        if let Some(c) = &self.counter {
            b = b.interceptor(c.clone());
        }
        b
    }

    fn sqs_config(&self, mut b: aws_sdk_sqs::config::Builder, injected: bool) -> aws_sdk_sqs::config::Builder {
        if let Some(r) = &self.region {
            b = b.region(Region::new(r.clone()));
        }
        if let Some(u) = &self.endpoint_url {
            b = b.endpoint_url(u);
        }
        if let Some(retry) = self.retry_for(injected) {
            b = b.retry_config(retry);
        }
        if let Some(t) = self.timeouts_for(injected) {
            b = b.timeout_config(t);
        }
        if let Some(c) = &self.counter {
            b = b.interceptor(c.clone());
        }
        b
    }
}
