// The functions of the 0.14 suite that 0.13 does not have; included next to `suite.rs`.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_with_opts() {
    let (_fake, store) = store().await;
    integration::multipart_with_opts(&store, &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_put_part_out_of_order() {
    let (_fake, store) = store().await;
    integration::multipart_put_part_out_of_order(&store, &store).await;
}
