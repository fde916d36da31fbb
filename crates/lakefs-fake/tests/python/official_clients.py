"""Drives the lakefs-fake binary with lakeFS's official Python clients from PyPI.

`lakefs-sdk` (the generated client) and `lakefs` (the high-level one) are what many lakeFS
users run; the fake must satisfy them as a lakeFS server does. Covered: presigned writer and
reader (stage, PUT to the simulated store, link; 302 to the store), a transaction (hidden
branch, commit, merge, delete), listings, repository metadata, sample data, revert and
cherry-pick, and error cases (404, 409, 401).

Usage: python official_clients.py PATH/TO/lakefs-fake
Starts the binary on a free port of 127.0.0.1, runs every check, stops it; exits non-zero on
the first failure (an exception or a failed assert).
"""

import subprocess
import sys
import time
from importlib.metadata import version

import lakefs
import lakefs_sdk
from lakefs.client import Client
from lakefs.exceptions import (
    ConflictException,
    NotAuthorizedException,
    NotFoundException,
)


def start_fake(binary):
    """Starts the fake on a free port; answers the process and its endpoint and key pair."""
    process = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True
    )
    fields = {}
    wanted = ("endpoint", "access_key_id", "secret_access_key")
    # The binary prints more than these (the storage endpoint, the blockstore): read until all
    # three have come, whatever their order.
    while not all(name in fields for name in wanted):
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"lakefs-fake exited early with {process.wait()}")
        name, _, value = line.strip().partition(": ")
        fields[name] = value
    return process, fields["endpoint"], fields["access_key_id"], fields["secret_access_key"]


def check(endpoint, key_id, secret):
    sdk = lakefs_sdk.client.LakeFSClient(
        lakefs_sdk.Configuration(host=f"{endpoint}/api/v1", username=key_id, password=secret)
    )
    client = Client(host=endpoint, username=key_id, password=secret)

    config = sdk.config_api.get_config()
    assert config.storage_config.pre_sign_support, config
    assert config.storage_config.blockstore_type == "s3", config

    repo = lakefs.Repository("py-clients", client=client).create(
        storage_namespace="s3://bucket/py-clients"
    )
    main = repo.branch("main")

    # Presigned writer and reader: the bytes go to the simulated store, not through the API.
    data = bytes(range(256)) * 4096  # 1 MiB
    main.object("data/presigned.bin").upload(data, pre_sign=True)
    stat = main.object("data/presigned.bin").stat(pre_sign=True)
    assert stat.size_bytes == len(data), stat
    # With presign, lakeFS answers a presigned URL of the store as the physical address.
    assert "/bucket/py-clients/" in stat.physical_address, stat
    assert "X-Amz-Signature=" in stat.physical_address, stat
    assert not stat.physical_address.startswith(endpoint), stat
    with main.object("data/presigned.bin").reader(pre_sign=True) as reader:
        assert reader.read() == data
    with main.object("data/presigned.bin").reader(pre_sign=True) as reader:
        reader.seek(1000)
        assert reader.read(10) == data[1000:1010]
    with main.object("data/text.txt").writer(mode="w", pre_sign=True) as writer:
        writer.write("written through a presigned URL\n")
    assert main.object("data/text.txt").reader(mode="r").read() == "written through a presigned URL\n"
    main.object("data/raw.csv").upload("a,b\n1,2\n", pre_sign=False, content_type="text/csv")
    main.commit("objects written three ways")

    # A transaction: a hidden branch, committed and merged back, then deleted.
    with main.transact(commit_message="in a transaction", commit_metadata={"by": "python"}) as tx:
        tx.object("tx/one.txt").upload("one")
        tx.object("data/raw.csv").delete()
        during = [b.id for b in repo.branches()]
        assert not any(name.startswith("tx-") for name in during), during
        hidden = sdk.branches_api.list_branches(repo.id, show_hidden=True).results
        assert any(b.id.startswith("tx-") for b in hidden), hidden
    assert main.object("tx/one.txt").exists()
    assert not main.object("data/raw.csv").exists()
    left = sdk.branches_api.list_branches(repo.id, show_hidden=True).results
    assert [b.id for b in left] == ["main"], left
    messages = [commit.message for commit in main.log(max_amount=3)]
    assert messages[1] == "in a transaction", messages

    # Listings: prefixes, delimiters and pages (the SDK's own pagination).
    for i in range(5):
        main.object(f"listing/part-{i}.csv").upload(f"{i}")
        main.object(f"listing/sub/{i}.csv").upload(f"{i}")
    listed = [o.path for o in main.objects(prefix="listing/", delimiter="/")]
    assert listed == [f"listing/part-{i}.csv" for i in range(5)] + ["listing/sub/"], listed
    page = sdk.objects_api.list_objects(repo.id, "main", prefix="listing/", amount=3)
    assert page.pagination.has_more and len(page.results) == 3, page.pagination
    rest = sdk.objects_api.list_objects(
        repo.id, "main", prefix="listing/", after=page.pagination.next_offset
    )
    assert len(page.results) + len(rest.results) == 10 and not rest.pagination.has_more
    changes = [change.path for change in main.uncommitted()]
    assert len(changes) == 10, changes
    main.commit("listing data")

    # Repository metadata, as fsspec's transactions read it.
    sdk.internal_api.set_repository_metadata(
        repo.id, lakefs_sdk.RepositoryMetadataSet(metadata={"team": "data"})
    )
    assert repo.metadata == {"team": "data"}, repo.metadata

    # Revert and cherry-pick.
    feature = repo.branch("feature").create(main)
    feature.object("feature.txt").upload("feature")
    picked_from = feature.commit("feature work")
    main.cherry_pick(picked_from)
    assert main.object("feature.txt").reader(mode="r").read() == "feature"
    main.revert(main.head)
    assert not main.object("feature.txt").exists()

    # Sample data: lakeFS's files, a Parquet file among them.
    sample = lakefs.Repository("py-sample", client=client).create(
        storage_namespace="s3://bucket/py-sample", include_samples=True
    )
    parquet = sample.branch("main").object("lakes.parquet").reader().read()
    assert parquet[:4] == b"PAR1" and parquet[-4:] == b"PAR1", parquet[:8]
    assert sample.branch("main").object("README.md").exists()

    # Errors arrive as the clients' typed exceptions.
    try:
        repo.branch("missing").get_commit()
        raise AssertionError("a missing branch was found")
    except NotFoundException:
        pass
    try:
        lakefs.Repository("py-clients", client=client).create(
            storage_namespace="s3://bucket/again"
        )
        raise AssertionError("a repository was created twice")
    except ConflictException:
        pass
    try:
        repo.branch("feature").create(main)
        raise AssertionError("a branch was created twice")
    except ConflictException:
        pass
    stranger = Client(host=endpoint, username=key_id, password="wrong")
    try:
        list(lakefs.repositories(client=stranger))
        raise AssertionError("wrong credentials were accepted")
    except NotAuthorizedException:
        pass


def main():
    binary = sys.argv[1]
    started = time.monotonic()
    process, endpoint, key_id, secret = start_fake(binary)
    try:
        check(endpoint, key_id, secret)
    finally:
        process.terminate()
        process.wait()
    print(
        f"official Python clients (lakefs-sdk {version('lakefs-sdk')}, lakefs "
        f"{version('lakefs')}) against lakefs-fake: all checks passed in "
        f"{time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
