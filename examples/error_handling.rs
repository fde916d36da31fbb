//! Telling failures apart. Every call returns `lakefs_api::Error`; `err.kind()` says what the
//! failure means (one central map of HTTP statuses, plus client-side kinds such as
//! `Transport`), and `err.api_error()` carries what the server said: status, message and the
//! `X-Request-ID` to quote to whoever runs the server.
//!
//! ```sh
//! cargo run --example error_handling
//! ```
//!
//! It provokes four failures: a missing branch (404), a duplicate repository (409), an invalid
//! repository name (400) and an unreachable server (no answer at all). The example fails if
//! any of them is not told apart as expected.

use lakefs_api::{BranchesApi, Error, ErrorKind, LakeFsClient, RepositoriesApi, models};
use lakefs_examples::{Failure, connect, storage_namespace};
use std::time::Duration;

const REPO_NAME: &str = "error-handling-example";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, fake) = connect().await?;

    // A repository to provoke errors in (reused when it exists).
    let namespace = storage_namespace(&client, REPO_NAME, fake.is_some()).await?;
    let creation = models::RepositoryCreation::new(REPO_NAME, namespace);
    match client
        .create_repository(&creation, Default::default())
        .await
    {
        Ok(_) => println!("Created repository '{REPO_NAME}'."),
        Err(err) if err.is_conflict() => println!("Using existing repository '{REPO_NAME}'."),
        Err(err) => return Err(err.into()),
    }

    println!("\n--- 1. A branch that does not exist ---");
    let result = client.get_branch(REPO_NAME, "no-such-branch").await;
    check(result, ErrorKind::NotFound)?;

    println!("\n--- 2. A repository that exists already ---");
    let result = client
        .create_repository(&creation, Default::default())
        .await;
    check(result, ErrorKind::Conflict)?;

    println!("\n--- 3. An invalid repository name ---");
    let invalid = models::RepositoryCreation::new(
        "Invalid_Name!",
        storage_namespace(&client, "invalid-name", fake.is_some()).await?,
    );
    let result = client.create_repository(&invalid, Default::default()).await;
    check(result, ErrorKind::BadRequest)?;

    println!("\n--- 4. A server that cannot be reached ---");
    // Port 1 of the local host: nothing listens there, so the connection is refused.
    let unreachable = LakeFsClient::builder()
        .endpoint("http://127.0.0.1:1")
        .connect_timeout(Duration::from_secs(2))
        .build()?;
    let result = unreachable.get_repository(REPO_NAME).await;
    check(result, ErrorKind::Transport)?;

    // `is_not_found()` and `is_conflict()` are shortcuts for the two most common checks.
    let missing = client.get_repository("no-such-repository").await;
    if missing.as_ref().is_err_and(Error::is_not_found) {
        println!("\n`err.is_not_found()` is the shortcut for `err.kind() == ErrorKind::NotFound`.");
    }
    Ok(())
}

/// Describes the failure of a call by its kind, and fails unless it is of the kind expected.
fn check<T>(result: Result<T, Error>, expected: ErrorKind) -> Result<(), Failure> {
    let err = match result {
        Ok(_) => {
            return Err(Failure::new(format!(
                "the call succeeded, but {expected:?} was expected"
            )));
        }
        Err(err) => err,
    };
    match err.kind() {
        ErrorKind::NotFound => println!("Not found: check the repository, branch or path."),
        ErrorKind::Conflict => println!("Conflict: it exists already (or a merge conflicts)."),
        ErrorKind::BadRequest => println!("Bad request: lakeFS refused the arguments."),
        ErrorKind::Unauthorized | ErrorKind::Forbidden => {
            println!("Check the credentials and their policies.");
        }
        ErrorKind::TooManyRequests | ErrorKind::Unavailable => {
            println!("The server is busy or unavailable: worth retrying later.");
        }
        ErrorKind::Transport | ErrorKind::Timeout => {
            println!("No answer from lakeFS: is the endpoint right and the server up?");
        }
        other => println!("Another failure: {other:?}."),
    }
    match err.api_error() {
        Some(api) => {
            println!("  status:     {}", api.status);
            println!("  message:    {}", api.message);
            println!(
                "  request id: {}",
                api.request_id.as_deref().unwrap_or("(none)")
            );
            println!(
                "  operation:  {} ({} {})",
                api.operation, api.method, api.url
            );
        }
        None => println!("  no answer from the server: {err}"),
    }
    if err.kind() == expected {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "expected {expected:?}, got {:?}: {err}",
            err.kind()
        )))
    }
}
