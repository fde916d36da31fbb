//! Synchronous handles (the `blocking` feature).
