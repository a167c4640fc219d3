"""Tests of the deterministic deployment package builder in fixtures.packaging."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fixtures import packaging
from fixtures.packaging import PackagingError, build_zip

PYMYSQL_REQUIREMENT = "pymysql==1.1.1"


@pytest.fixture(autouse=True)
def fresh_build_cache():
    packaging.clear_build_cache()
    yield
    packaging.clear_build_cache()


@pytest.fixture
def handler_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "handler"
    (folder / "lib").mkdir(parents=True)
    (folder / "app.py").write_text("def handler(event, context):\n    return event\n")
    (folder / "config.json").write_text('{"name": "probe"}\n')
    (folder / "lib" / "helper.py").write_text("VALUE = 1\n")
    return folder


@pytest.fixture
def private_wheel_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "wheels"
    monkeypatch.setenv(packaging.WHEEL_CACHE_ENV, str(cache))
    return cache


def write_fake_wheel(
    cache: Path,
    file_name: str,
    files: dict[str, str],
    root_is_purelib: str = "true",
) -> Path:
    """Write a wheel into the cache folder that fetch_wheel looks in for its name and version."""
    name, version = file_name.split("-")[:2]
    folder = cache / f"{packaging.canonicalize_name(name)}-{version}"
    folder.mkdir(parents=True)
    wheel_path = folder / file_name
    dist_info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel_path, "w") as wheel:
        for path, content in files.items():
            wheel.writestr(path, content)
        wheel.writestr(
            f"{dist_info}/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {root_is_purelib}\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return wheel_path


def open_zip(package: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(package))


def test_build_zip_same_bytes_twice(handler_dir: Path):
    first = build_zip(handler_dir)
    packaging.clear_build_cache()
    second = build_zip(handler_dir)

    assert first == second


def test_build_zip_ignores_mtime_and_mode(handler_dir: Path, tmp_path: Path):
    original = build_zip(handler_dir)
    packaging.clear_build_cache()
    for path in handler_dir.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
        if path.is_file():
            path.chmod(0o755)

    assert build_zip(handler_dir) == original


def test_build_zip_changes_with_content(handler_dir: Path):
    original = build_zip(handler_dir)
    (handler_dir / "config.json").write_text('{"name": "changed"}\n')

    assert build_zip(handler_dir) != original


def test_build_zip_entries_and_content(handler_dir: Path):
    (handler_dir / "__pycache__").mkdir()
    (handler_dir / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"compiled")
    (handler_dir / "lib" / "stale.pyc").write_bytes(b"compiled")

    archive = open_zip(build_zip(handler_dir))

    assert archive.namelist() == ["app.py", "config.json", "lib/helper.py"]
    assert archive.read("config.json") == b'{"name": "probe"}\n'
    assert archive.read("lib/helper.py") == b"VALUE = 1\n"
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
    assert archive.testzip() is None


def test_build_zip_missing_folder(tmp_path: Path):
    with pytest.raises(PackagingError, match="handler folder not found"):
        build_zip(tmp_path / "absent")


def test_code_sha256_matches_lambda_format(handler_dir: Path):
    package = build_zip(handler_dir)

    expected = base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert packaging.code_sha256(package) == expected


@pytest.mark.parametrize("requirement", ["pymysql", "pymysql>=1.1", "pymysql==1.*", "pymysql==1.1.1; python_version>'3'"])
def test_unpinned_requirement_rejected(handler_dir: Path, requirement: str):
    with pytest.raises(PackagingError, match="is not pinned"):
        build_zip(handler_dir, [requirement])


def test_vendored_pymysql_imports_from_zip(handler_dir: Path, tmp_path: Path):
    package = build_zip(handler_dir, [PYMYSQL_REQUIREMENT])
    zip_path = tmp_path / "package.zip"
    zip_path.write_bytes(package)

    names = open_zip(package).namelist()
    assert "pymysql/__init__.py" in names
    assert "PyMySQL-1.1.1.dist-info/METADATA" in names
    assert "app.py" in names

    # -S -I keep the interpreter's own site-packages (which may hold pymysql) off sys.path,
    # so the import can only succeed from the zip.
    script = (
        "import sys, zipimport; sys.path.insert(0, sys.argv[1]); import pymysql, app; "
        "print(type(pymysql.__loader__) is zipimport.zipimporter); "
        "print(pymysql.__file__); print(pymysql.VERSION_STRING); print(app.handler(1, None))"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-I", "-c", script, str(zip_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    loaded_by_zipimport, module_file, version, handler_result = result.stdout.split()
    assert loaded_by_zipimport == "True"
    assert module_file.startswith(str(zip_path))
    assert version == "1.1.1"
    assert handler_result == "1"


def test_vendoring_is_deterministic(handler_dir: Path):
    first = build_zip(handler_dir, [PYMYSQL_REQUIREMENT])
    packaging.clear_build_cache()

    assert build_zip(handler_dir, [PYMYSQL_REQUIREMENT]) == first


def test_binary_wheel_rejected(handler_dir: Path, private_wheel_cache: Path):
    write_fake_wheel(
        private_wheel_cache,
        "fastthing-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        {"fastthing/__init__.py": "", "fastthing/_speedups.so": "ELF"},
    )

    with pytest.raises(PackagingError, match="is not a pure-Python wheel") as raised:
        build_zip(handler_dir, ["fastthing==1.0"])
    assert "cp312-cp312-manylinux_2_17_x86_64" in str(raised.value)


def test_wheel_not_purelib_rejected(handler_dir: Path, private_wheel_cache: Path):
    write_fake_wheel(
        private_wheel_cache,
        "oddthing-1.0-py3-none-any.whl",
        {"oddthing/__init__.py": ""},
        root_is_purelib="false",
    )

    with pytest.raises(PackagingError, match="Root-Is-Purelib: false"):
        build_zip(handler_dir, ["oddthing==1.0"])


def test_pure_wheel_unpacked_into_root(handler_dir: Path, private_wheel_cache: Path):
    write_fake_wheel(
        private_wheel_cache,
        "purething-2.0-py2.py3-none-any.whl",
        {
            "purething/__init__.py": "NAME = 'purething'\n",
            "purething/__pycache__/__init__.cpython-312.pyc": "compiled",
            "purething-2.0.data/purelib/purething_extra.py": "EXTRA = True\n",
            "purething-2.0.data/scripts/purething-cli": "#!/bin/sh\n",
        },
    )

    archive = open_zip(build_zip(handler_dir, ["PureThing==2.0"]))

    assert archive.namelist() == [
        "app.py",
        "config.json",
        "lib/helper.py",
        "purething-2.0.dist-info/METADATA",
        "purething-2.0.dist-info/WHEEL",
        "purething/__init__.py",
        "purething_extra.py",
    ]
    assert archive.read("purething_extra.py") == b"EXTRA = True\n"


def test_wheel_clash_with_handler_rejected(handler_dir: Path, private_wheel_cache: Path):
    write_fake_wheel(private_wheel_cache, "clash-1.0-py3-none-any.whl", {"app.py": "X = 1\n"})

    with pytest.raises(PackagingError, match="already provides"):
        build_zip(handler_dir, ["clash==1.0"])


def test_failed_download_reports_pip_output(
    handler_dir: Path, private_wheel_cache: Path, monkeypatch: pytest.MonkeyPatch
):
    # /bin/false replaces the interpreter, so "pip" exits 1 without network access.
    monkeypatch.setattr(packaging.sys, "executable", "/bin/false")

    with pytest.raises(PackagingError, match=r"pip download of missing==1\.0 failed with exit code 1"):
        build_zip(handler_dir, ["missing==1.0"])
