"""`distill data download` against a local HTTP server with Range support."""

from __future__ import annotations

import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from data_fakes import make_isic_tree

import distill
from distill.core.errors import DataError, DistillError
from distill.plugins.datasets import download as dl


class Files(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    cut_once: dict[str, int] = {}  # file -> bytes sent before dropping the first transfer
    ranged: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        name = self.path.rsplit("/", 1)[-1]
        if name not in self.files:
            self.send_error(404)
            return
        data = self.files[name]
        start = 0
        header = self.headers.get("Range")
        if header:
            start = int(header.split("=")[1].split("-")[0])
            self.ranged.append(name)
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.cut_once.pop(name, None)
        self.wfile.write(body[:cut] if cut is not None else body)
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Files.files, Files.cut_once, Files.ranged = {}, {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/2017/"
    httpd.shutdown()
    httpd.server_close()


def isic_zips(tmp_path: Path) -> dict[str, bytes]:
    tree = tmp_path / "src"
    make_isic_tree(tree, {"train": 3, "val": 1, "test": 1}, decoys=False)
    out = {}
    for folder in sorted(tree.iterdir()):
        path = tmp_path / f"{folder.name}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for f in sorted(folder.iterdir()):
                zf.write(f, f"{folder.name}/{f.name}")
        out[path.name] = path.read_bytes()
    return out


def test_download_resumes_verifies_and_extracts(tmp_path, server):
    Files.files = isic_zips(tmp_path)
    big = "ISIC-2017_Training_Data.zip"
    Files.cut_once[big] = len(Files.files[big]) // 3
    seen: list[tuple[str, int, int | None]] = []
    root = tmp_path / "isic"
    fetched = dl.download("isic2017", root, server, lambda f, d, t: seen.append((f, d, t)))
    assert len(fetched) == 6 and Files.ranged == [big]  # resumed with an HTTP Range
    assert (root / "downloads" / big).read_bytes() == Files.files[big]
    assert seen[-1][1] == seen[-1][2]
    ds = distill.create("dataset", "isic2017", data_root=root)
    assert {s: len(v) for s, v in ds.splits().items()} == {"train": 3, "val": 1, "test": 1}
    assert dl.download("isic2017", root, server) == []  # already there: nothing to do


def test_partial_file_from_an_earlier_run_is_resumed(tmp_path, server):
    data = bytes(range(256)) * 50
    Files.files = {"blob.bin": data}
    dest = tmp_path / "blob.bin"
    dest.with_name("blob.bin.part").write_bytes(data[:1000])
    dl.fetch(server + "blob.bin", dest)
    assert dest.read_bytes() == data and Files.ranged == ["blob.bin"]


def test_corrupt_archive_is_a_clear_error_naming_the_file(tmp_path, server):
    Files.files = isic_zips(tmp_path)
    name = "ISIC-2017_Training_Part1_GroundTruth.zip"
    broken = bytearray(Files.files[name])
    broken[40:400] = b"\x00" * 360
    Files.files[name] = bytes(broken)
    with pytest.raises(DataError, match=f"{name}: corrupt archive"):
        dl.download("isic2017", tmp_path / "isic", server)
    assert not (tmp_path / "isic" / "downloads" / name).exists()


def test_missing_file_and_unknown_dataset(tmp_path, server):
    with pytest.raises(DistillError, match="HTTP 404"):
        dl.fetch(server + "nothing.zip", tmp_path / "nothing.zip")
    with pytest.raises(DistillError, match="no download for 'folder'"):
        dl.download("folder", tmp_path, server)


def test_checksum_and_size_are_checked(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    dl.verify(path, dl.Archive("a.zip", size=path.stat().st_size, sha256=dl.sha256(path)))
    with pytest.raises(DataError, match="SHA-256"):
        dl.verify(path, dl.Archive("a.zip", sha256="0" * 64))


def test_cli_download_then_info(tmp_path, server, capsys):
    from distill.cli import run_app

    Files.files = isic_zips(tmp_path)
    root = tmp_path / "isic"
    args = ["data", "download", "isic2017", "--data-root", str(root), "--base-url", server]
    assert run_app(args) == 0
    assert (
        run_app(["data", "info", "isic2017", "--data-root", str(root), "--size", "32", "32"]) == 0
    )
    out = capsys.readouterr().out
    assert "6 archive(s)" in out and "official folders" in out
