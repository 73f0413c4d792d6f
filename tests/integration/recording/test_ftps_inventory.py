"""The FTPS inventory against a real vsftpd (page 13 setup) must equal the local inventory."""

from __future__ import annotations

import ftplib
import ssl

import pytest
from rec_helpers import build_synthetic

from mirtalib.errors import DataSourceError, SecretError
from mirtalib.recording.ftps import FtpsStore, scan_ftps
from mirtalib.recording.inventory import files_frame, scan_local
from mirtalib.recording.report import run_coverage

pytestmark = pytest.mark.integration
PASSWORD_ENV = "MIRTA_TEST_FTPS_PASSWORD"  # set by the vsftpd fixture (conftest.py)


def _tls(server) -> ftplib.FTP_TLS:
    ctx = ssl.create_default_context(cafile=str(server.cafile))
    ftp = ftplib.FTP_TLS(context=ctx, timeout=20)
    ftp.connect("127.0.0.1", server.port)
    return ftp


def _upload_into(server, root, password, target) -> int:
    """Copy a recordings tree into folder ``target`` of the server over FTPS."""
    count = 0
    with _tls(server) as ftp:
        ftp.login(server.user, password)
        ftp.prot_p()
        made = set()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            parts = rel.split("/")[:-1]
            for k in range(0, len(parts) + 1):
                folder = "/".join([target, *parts[:k]])
                if folder not in made:
                    try:
                        ftp.mkd(folder)
                    except ftplib.error_perm:
                        pass
                    made.add(folder)
            with path.open("rb") as fh:
                ftp.storbinary(f"STOR {target}/{rel}", fh)
            count += 1
    return count


@pytest.fixture(scope="module")
def loaded(vsftpd, tmp_path_factory):
    import os

    paths, _model = build_synthetic(tmp_path_factory.mktemp("syn") / "demo")
    uploaded = _upload_into(
        vsftpd, paths.recordings_dir, os.environ[PASSWORD_ENV], "recordings/synthetic"
    )
    store = FtpsStore(
        host="127.0.0.1",
        port=vsftpd.port,
        user=vsftpd.user,
        password_env=PASSWORD_ENV,
        root="recordings/synthetic",
        cafile=str(vsftpd.cafile),
    )
    return paths, store, uploaded


def test_ftps_inventory_matches_local(loaded):
    paths, store, uploaded = loaded
    remote = scan_ftps(store)
    local = scan_local(paths.recordings_dir)
    assert len(remote) == len(local) == uploaded
    assert [(e.relpath, e.size) for e in remote] == [(e.relpath, e.size) for e in local]
    r, lo = files_frame(remote), files_frame(local)
    cols = ["relpath", "size", "uniqueid", "channels", "duration", "name_problem", "header_problem"]
    assert r[cols].equals(lo[cols])
    assert (r["header_problem"] != "").sum() > 0  # the demo's empty/truncated files are seen


def test_coverage_from_ftps_equals_local(loaded):
    paths, store, _n = loaded
    args = dict(db_url=str(paths.db_url))
    over_ftps = run_coverage(
        "2026-10-01", "2026-11-01", inventory_source="ftps", ftps=store, **args
    )
    local = run_coverage("2026-10-01", "2026-11-01", recordings_dir=paths.recordings_dir, **args)
    assert over_ftps.audit.summary.equals(local.audit.summary)
    assert over_ftps.audit.gaps.equals(local.audit.gaps)


def test_plain_ftp_login_is_refused(vsftpd):
    import os

    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", vsftpd.port, timeout=10)
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login(vsftpd.user, os.environ[PASSWORD_ENV])


def test_anonymous_is_refused(vsftpd):
    with _tls(vsftpd) as ftp, pytest.raises(ftplib.error_perm, match="530"):
        ftp.login()


def test_chroot_hides_the_rest_of_the_system(loaded, vsftpd):
    import os

    with _tls(vsftpd) as ftp:
        ftp.login(vsftpd.user, os.environ[PASSWORD_ENV])
        ftp.prot_p()
        assert ftp.pwd() == "/"
        assert ftp.nlst("/") == ["/recordings"] or ftp.nlst("/") == ["recordings"]


def test_wrong_password_is_a_clear_error_without_the_secret(vsftpd, monkeypatch):
    monkeypatch.setenv("MIRTA_TEST_FTPS_WRONG", "not-the-password-123")
    store = FtpsStore(
        host="127.0.0.1",
        port=vsftpd.port,
        user=vsftpd.user,
        password_env="MIRTA_TEST_FTPS_WRONG",
        cafile=str(vsftpd.cafile),
    )
    with pytest.raises(DataSourceError, match=f"127.0.0.1:{vsftpd.port} as {vsftpd.user}") as err:
        scan_ftps(store)
    assert "not-the-password-123" not in str(err.value)


def test_untrusted_certificate_is_refused(vsftpd):
    store = FtpsStore(
        host="127.0.0.1", port=vsftpd.port, user=vsftpd.user, password_env=PASSWORD_ENV
    )  # system CAs only: the self-signed cert fails
    with pytest.raises(DataSourceError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        scan_ftps(store)


def test_password_env_must_be_set(vsftpd):
    store = FtpsStore(
        host="127.0.0.1",
        port=vsftpd.port,
        user=vsftpd.user,
        password_env="MIRTA_TEST_FTPS_UNSET_VAR",
        cafile=str(vsftpd.cafile),
    )
    with pytest.raises(SecretError, match="MIRTA_TEST_FTPS_UNSET_VAR"):
        scan_ftps(store)


def test_demo_recordings_over_ftps_match_local(vsftpd, tmp_path):
    """A slice of the demo PBX's own recordings tree (with its bad names), plus one large file
    whose header is read without downloading the rest."""
    import os
    import shutil

    from mirtalib.demo import ensure_demo
    from mirtalib.recording.wav import wav_bytes

    demo = ensure_demo().recordings_dir
    local = tmp_path / "slice"
    for day in ("06", "07", "08"):
        shutil.copytree(demo / "DEVEL" / "2026" / "10" / day, local / "DEVEL" / "2026" / "10" / day)
    big = local / "DEVEL/2026/10/08/20261008-120000-100-101-srv01-1.1.wav"
    big.write_bytes(wav_bytes(bytes(8000 * 30), 1, 8000))  # 30 s at 8 kHz: 240 kB
    password = os.environ[PASSWORD_ENV]
    uploaded = _upload_into(vsftpd, local, password, "recordings/demo-slice")
    store = FtpsStore(
        host="127.0.0.1",
        port=vsftpd.port,
        user=vsftpd.user,
        password_env=PASSWORD_ENV,
        root="recordings/demo-slice",
        cafile=str(vsftpd.cafile),
    )
    remote, here = files_frame(scan_ftps(store)), files_frame(scan_local(local))
    assert len(remote) == uploaded > 100
    assert remote.drop(columns=["rec_start"]).equals(here.drop(columns=["rec_start"]))
    row = remote.set_index("relpath").loc["DEVEL/2026/10/08/20261008-120000-100-101-srv01-1.1.wav"]
    assert (row["duration"], row["truncated"], row["header_problem"]) == (30.0, False, "")
    assert (remote["name_problem"] != "").sum() == 2  # the demo's two badly named files


def test_clear_data_channel_is_refused(vsftpd):
    import os

    with _tls(vsftpd) as ftp:
        ftp.login(vsftpd.user, os.environ[PASSWORD_ENV])  # no PROT P: data would go in clear
        with pytest.raises(ftplib.error_perm, match="522"):
            ftp.nlst("recordings")
