//! Credentials providers against the fake, on one test clock shared by client and server:
//! refresh ahead of expiry, 401 then refresh, single flight under concurrency, failing
//! providers, STS/OIDC, and secrets kept out of Debug, errors and tracing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;
use lakefs_api::auth::{
    AuthContext, CredentialsProvider, DEFAULT_REFRESH_AHEAD, ExpiringCredentials, LoginProvider,
    ManualClock, StsCode, StsProvider,
};
use lakefs_api::{AuthApi, Error, ErrorKind, LakeFsClient, RepositoriesApi, models};
use lakefs_fake::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAuth, FakeLakeFs};

const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);

async fn fake_with_clock(clock: &ManualClock, lifetime: Duration) -> FakeLakeFs {
    FakeLakeFs::builder()
        .auth(
            FakeAuth::default()
                .token_lifetime(lifetime)
                .clock(Arc::new(clock.clone())),
        )
        .start()
        .await
        .unwrap()
}

fn login_client(fake: &FakeLakeFs, clock: &ManualClock) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(LoginProvider::new(
            fake.access_key_id(),
            fake.secret_access_key(),
        ))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

/// Counts fetches of the provider it wraps.
#[derive(Debug)]
struct Counting<P> {
    inner: P,
    fetches: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl<P: CredentialsProvider> CredentialsProvider for Counting<P> {
    async fn fetch(&self, context: &AuthContext<'_>) -> lakefs_api::Result<ExpiringCredentials> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(context).await
    }
}

#[tokio::test]
async fn a_thirty_minute_workload_with_ten_minute_tokens_never_sees_a_401() {
    let clock = ManualClock::starting_now();
    let fake = fake_with_clock(&clock, TOKEN_LIFETIME).await;
    let client = login_client(&fake, &clock);
    let workload = Duration::from_secs(30 * 60);
    let step = Duration::from_secs(30);
    let mut elapsed = Duration::ZERO;
    let mut calls = 0;
    while elapsed < workload {
        let user = client.get_current_user().await.expect("no call fails");
        assert_eq!(user.user.id, "admin");
        client
            .list_repositories(Default::default())
            .await
            .expect("no call fails");
        calls += 2;
        clock.advance(step);
        elapsed += step;
    }
    // A token is renewed when DEFAULT_REFRESH_AHEAD (capped at half its lifetime) is left.
    let renew_every = TOKEN_LIFETIME - DEFAULT_REFRESH_AHEAD.min(TOKEN_LIFETIME / 2);
    let expected_logins = workload.as_secs().div_ceil(renew_every.as_secs());
    let counters = fake.auth_counters();
    assert_eq!(counters.refused, 0, "{counters:?}");
    assert_eq!(counters.expired_tokens, 0, "{counters:?}");
    assert_eq!(
        counters.logins, expected_logins,
        "{counters:?} after {calls} calls"
    );
}

#[tokio::test]
async fn a_hundred_calls_at_the_moment_of_expiry_cause_exactly_one_login() {
    let clock = ManualClock::starting_now();
    let fake = fake_with_clock(&clock, TOKEN_LIFETIME).await;
    let client = login_client(&fake, &clock);
    client.get_current_user().await.unwrap();
    assert_eq!(fake.auth_counters().logins, 1);
    clock.advance(TOKEN_LIFETIME);
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_current_user().await })
    });
    for outcome in join_all(calls).await {
        outcome.unwrap().expect("every call succeeds");
    }
    let counters = fake.auth_counters();
    assert_eq!(counters.logins, 2, "{counters:?}");
    assert_eq!(counters.refused, 0, "{counters:?}");
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_repeats_the_call() {
    // The server's clock runs ahead of the client's: the client believes its token fresh.
    let server_clock = ManualClock::starting_now();
    let client_clock = ManualClock::starting_now();
    let fake = fake_with_clock(&server_clock, TOKEN_LIFETIME).await;
    let client = login_client(&fake, &client_clock);
    client.get_current_user().await.unwrap();
    server_clock.advance(TOKEN_LIFETIME);
    client
        .get_current_user()
        .await
        .expect("repeated with a new token");
    let counters = fake.auth_counters();
    assert_eq!(
        (counters.expired_tokens, counters.logins),
        (1, 2),
        "{counters:?}"
    );
}

#[tokio::test]
async fn a_spent_streaming_upload_returns_its_401_and_the_next_call_logs_in_again() {
    let server_clock = ManualClock::starting_now();
    let client_clock = ManualClock::starting_now();
    let fake = fake_with_clock(&server_clock, TOKEN_LIFETIME).await;
    let client = login_client(&fake, &client_clock);
    client
        .create_repository(
            &models::RepositoryCreation::new("repo", "s3://bucket/repo"),
            Default::default(),
        )
        .await
        .unwrap();
    server_clock.advance(TOKEN_LIFETIME);
    let chunks = futures::stream::iter(vec![Ok(bytes::Bytes::from_static(b"hello"))]);
    let body = lakefs_api::UploadBody::from_stream(chunks, Some(5));
    let err = lakefs_api::ObjectsApi::upload_object(
        &client,
        "repo",
        "main",
        "a.txt",
        body,
        Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(fake.auth_counters().logins, 1);
    client.get_current_user().await.expect("a new token");
    assert_eq!(fake.auth_counters().logins, 2);
}

#[tokio::test]
async fn a_refused_login_is_one_typed_error_without_a_loop() {
    let clock = ManualClock::starting_now();
    let fake = fake_with_clock(&clock, TOKEN_LIFETIME).await;
    let fetches = Arc::new(AtomicUsize::new(0));
    let client = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(Counting {
            inner: LoginProvider::new(FAKE_ACCESS_KEY_ID, "not-the-secret"),
            fetches: Arc::clone(&fetches),
        })
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let err = client.get_current_user().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials, "{err}");
    let cause = err
        .credentials_cause()
        .expect("the login's error is the cause");
    assert_eq!(cause.status(), Some(401));
    assert!(err.to_string().contains("login"), "{err}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    assert_eq!(fake.auth_counters().refused, 1);
    assert_eq!(fake.auth_counters().logins, 0);
}

/// A provider whose every fetch fails.
#[derive(Debug)]
struct Broken(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl CredentialsProvider for Broken {
    async fn fetch(&self, _: &AuthContext<'_>) -> lakefs_api::Result<ExpiringCredentials> {
        self.0.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(Error::credentials("the vault is sealed", None))
    }
}

#[tokio::test]
async fn calls_waiting_for_a_failing_fetch_share_its_failure() {
    let fake = FakeLakeFs::start().await;
    let fetches = Arc::new(AtomicUsize::new(0));
    let client = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(Broken(Arc::clone(&fetches)))
        .build()
        .unwrap();
    let calls = (0..20).map(|_| client.get_current_user());
    for outcome in join_all(calls).await {
        let err = outcome.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Credentials);
        assert!(err.to_string().contains("the vault is sealed"), "{err}");
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "one fetch for all waiting calls"
    );
    // A later call tries again, once.
    client.get_current_user().await.unwrap_err();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    assert_eq!(
        fake.auth_counters().refused,
        0,
        "nothing was sent without credentials"
    );
}

#[tokio::test]
async fn sts_login_asks_the_callback_for_a_fresh_code_for_each_token() {
    let clock = ManualClock::starting_now();
    let fake = Arc::new(fake_with_clock(&clock, TOKEN_LIFETIME).await);
    let asked = Arc::new(AtomicUsize::new(0));
    let redirect = "http://localhost:9999/callback";
    let provider = {
        let (fake, asked) = (Arc::clone(&fake), Arc::clone(&asked));
        StsProvider::new(move || {
            let n = asked.fetch_add(1, Ordering::SeqCst);
            let state = format!("state-{n}");
            let code = fake.issue_sts_code("oidc-user", &state, redirect);
            async move { Ok(StsCode::new(code, state, redirect)) }
        })
        .ttl(Duration::from_secs(3600))
    };
    let client = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(provider)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    assert_eq!(
        client.get_current_user().await.unwrap().user.id,
        "oidc-user"
    );
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        client.get_current_user().await.unwrap().user.id,
        "oidc-user"
    );
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    let counters = fake.auth_counters();
    assert_eq!(
        (counters.sts_logins, counters.refused),
        (2, 0),
        "{counters:?}"
    );
}

#[tokio::test]
async fn an_sts_code_works_once() {
    let clock = ManualClock::starting_now();
    let fake = fake_with_clock(&clock, TOKEN_LIFETIME).await;
    let code = fake.issue_sts_code("oidc-user", "s", "http://r");
    // A callback that hands out the same code again.
    let provider = StsProvider::new(move || {
        let code = code.clone();
        async move { Ok(StsCode::new(code, "s", "http://r")) }
    });
    let client = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(provider)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    client.get_current_user().await.unwrap();
    clock.advance(Duration::from_secs(3600));
    let err = client.get_current_user().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials, "{err}");
    assert!(err.to_string().contains("stsLogin"), "{err}");
    let counters = fake.auth_counters();
    assert_eq!(
        (counters.sts_logins, counters.refused),
        (1, 1),
        "{counters:?}"
    );
}

#[test]
fn the_blocking_client_takes_the_same_providers() {
    let clock = ManualClock::starting_now();
    let fake = lakefs_fake::FakeLakeFs::builder()
        .auth(
            FakeAuth::default()
                .token_lifetime(TOKEN_LIFETIME)
                .clock(Arc::new(clock.clone())),
        )
        .spawn()
        .unwrap();
    let client = lakefs_blocking::LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(LoginProvider::new(
            FAKE_ACCESS_KEY_ID,
            FAKE_SECRET_ACCESS_KEY,
        ))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    use lakefs_blocking::AuthApi as _;
    client.get_current_user().unwrap();
    clock.advance(TOKEN_LIFETIME);
    client.get_current_user().unwrap();
    let counters = fake.auth_counters();
    assert_eq!((counters.logins, counters.refused), (2, 0), "{counters:?}");
}

/// Every span field and event field, as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut Fields(&mut self.0.lock().unwrap()));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        event.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_and_tokens_stay_out_of_debug_errors_and_tracing() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let server_clock = ManualClock::starting_now();
    let client_clock = ManualClock::starting_now();
    let fake = fake_with_clock(&server_clock, TOKEN_LIFETIME).await;
    let client = login_client(&fake, &client_clock);
    let mut seen = format!("{client:?}");
    client.get_current_user().await.unwrap();
    // A 401 and its refresh, then a refused login.
    server_clock.advance(TOKEN_LIFETIME);
    client.get_current_user().await.unwrap();
    let refused = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(LoginProvider::new(FAKE_ACCESS_KEY_ID, "wrong-secret-value"))
        .build()
        .unwrap();
    let err = refused.get_current_user().await.unwrap_err();
    seen.push_str(&format!("{err} {err:?} {refused:?}"));
    let sts = StsProvider::new(|| async { Ok(StsCode::new("one-time-code-value", "s", "r")) });
    seen.push_str(&format!(
        "{sts:?} {:?}",
        StsCode::new("one-time-code-value", "s", "r")
    ));
    let sts_client = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .credentials_provider(sts)
        .build()
        .unwrap();
    let err = sts_client.get_current_user().await.unwrap_err();
    seen.push_str(&format!("{err} {err:?}"));
    seen.push_str(&capture.0.lock().unwrap());
    assert!(
        seen.contains("lakeFS credentials fetched"),
        "tracing was captured: {seen}"
    );
    for secret in [
        FAKE_SECRET_ACCESS_KEY,
        "wrong-secret-value",
        "one-time-code-value",
        "fake-jwt.",
    ] {
        assert!(!seen.contains(secret), "{secret} leaked: {seen}");
    }
}

mod aws_iam {
    use super::*;
    use lakefs_api::Secret;
    use lakefs_api::auth::{AwsCredentialsSource, AwsIamProvider};

    const AWS_KEY: &str = "AKIDEXAMPLE";

    fn provider(key: &str) -> AwsIamProvider {
        AwsIamProvider::new()
            .credentials(AwsCredentialsSource::Explicit {
                access_key_id: key.into(),
                secret_access_key: Secret::new("aws-secret-example"),
                session_token: Some(Secret::new("aws-session-example")),
            })
            .region("eu-central-1")
    }

    async fn fake(clock: &ManualClock) -> FakeLakeFs {
        FakeLakeFs::builder()
            .auth(
                FakeAuth::default()
                    .clock(Arc::new(clock.clone()))
                    .external_principal(AWS_KEY, "iam-user"),
            )
            .start()
            .await
            .unwrap()
    }

    fn client(fake: &FakeLakeFs, clock: &ManualClock, provider: AwsIamProvider) -> LakeFsClient {
        LakeFsClient::builder()
            .endpoint(fake.endpoint())
            .credentials_provider(provider)
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn logs_in_with_a_presigned_sts_request_and_again_before_expiry() {
        let clock = ManualClock::starting_now();
        let fake = fake(&clock).await;
        let ttl = Duration::from_secs(3600);
        let client = client(&fake, &clock, provider(AWS_KEY).token_ttl(ttl));
        assert_eq!(client.get_current_user().await.unwrap().user.id, "iam-user");
        clock.advance(ttl - DEFAULT_REFRESH_AHEAD);
        assert_eq!(client.get_current_user().await.unwrap().user.id, "iam-user");
        let counters = fake.auth_counters();
        assert_eq!(
            (counters.external_principal_logins, counters.refused),
            (2, 0),
            "{counters:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_identity_or_a_stale_presigned_request_is_refused() {
        let clock = ManualClock::starting_now();
        let fake = fake(&clock).await;
        let err = client(&fake, &clock, provider("AKIDUNKNOWN"))
            .get_current_user()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Credentials, "{err}");
        assert_eq!(err.credentials_cause().and_then(Error::status), Some(404));
        // Signed on a clock two minutes late, valid for one: expired when lakeFS checks it.
        let late =
            ManualClock::new(lakefs_api::auth::Clock::now(&clock) - Duration::from_secs(120));
        let err = client(&fake, &late, provider(AWS_KEY))
            .get_current_user()
            .await
            .unwrap_err();
        assert_eq!(
            err.credentials_cause().and_then(Error::status),
            Some(401),
            "{err}"
        );
        assert!(!format!("{err} {err:?}").contains("aws-secret-example"));
        assert_eq!(fake.auth_counters().external_principal_logins, 0);
    }

    #[tokio::test]
    async fn the_token_cache_is_shared_per_endpoint_and_identity() {
        let clock = ManualClock::starting_now();
        let fake = fake(&clock).await;
        let folder = std::env::temp_dir().join(format!(
            "lakefs-auth-cache-{}-{}",
            std::process::id(),
            fake.endpoint().rsplit(':').next().unwrap()
        ));
        let file = folder.join("cache").join("token.json");
        let cached = || provider(AWS_KEY).token_cache_file(&file);
        client(&fake, &clock, cached())
            .get_current_user()
            .await
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Another client (another process, say) of the same endpoint and identity: no login.
        client(&fake, &clock, cached())
            .get_current_user()
            .await
            .unwrap();
        assert_eq!(fake.auth_counters().external_principal_logins, 1);
        // Another identity ignores the entry.
        let other = FakeLakeFs::builder()
            .auth(
                FakeAuth::default()
                    .clock(Arc::new(clock.clone()))
                    .external_principal("AKIDOTHER", "other-user"),
            )
            .start()
            .await
            .unwrap();
        let user = client(
            &other,
            &clock,
            provider("AKIDOTHER").token_cache_file(&file),
        )
        .get_current_user()
        .await
        .unwrap();
        assert_eq!(user.user.id, "other-user");
        // Another endpoint ignores it too (the file now holds the other fake's entry).
        client(&fake, &clock, cached())
            .get_current_user()
            .await
            .unwrap();
        assert_eq!(fake.auth_counters().external_principal_logins, 2);
        assert_eq!(other.auth_counters().external_principal_logins, 1);
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
