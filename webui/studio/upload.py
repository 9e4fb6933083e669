"""Uploaded model files and ZIP archives -> SourceFiles, safe against zip bombs and path traversal."""

from __future__ import annotations

import io
import lzma
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass

from engine.domain.errors import DeploymentError, Problem
from engine.services.read_models import SourceFile

MODEL_SUFFIXES = (".bpmn", ".bpmn20.xml", ".dmn", ".json", ".form")
MAX_RATIO = 200           # uncompressed / compressed per entry
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
           zipfile.ZIP_LZMA: "lzma"}
# What reading a damaged entry raises: bad CRC or header (BadZipFile), a broken deflate/bzip2/lzma
# stream (zlib.error, OSError, LZMAError, EOFError when it ends early), sizes that do not add up.
DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError, struct.error)


@dataclass(frozen=True)
class Limits:
    max_entries: int
    max_total_bytes: int


def source_files(uploads: list[tuple[str, bytes]], limits: Limits) -> list[SourceFile]:
    """Model files as given; ZIP archives unpacked (only model files, no folders outside the archive)."""
    files: list[SourceFile] = []
    for name, content in uploads:
        if name.lower().endswith(".zip"):
            files.extend(_unzip(name, content, limits))
        elif name.lower().endswith(MODEL_SUFFIXES):
            files.append(SourceFile(_base(name), content))
        else:
            raise DeploymentError([Problem(_base(name), 0, "", "not a BPMN, DMN, form (.json/.form) or ZIP file")])
    if not files:
        raise DeploymentError([Problem("-", 0, "", "no model files uploaded")])
    return files


def _base(name: str) -> str:
    return posixpath.basename(name.replace("\\", "/")) or "upload"


def _unzip(name: str, content: bytes, limits: Limits) -> list[SourceFile]:
    archive_name = _base(name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except DAMAGED:
        raise DeploymentError([Problem(archive_name, 0, "", "not a valid ZIP archive")]) from None
    entries = [i for i in archive.infolist() if not i.is_dir()]
    if len(entries) > limits.max_entries:
        raise DeploymentError([Problem(archive_name, 0, "", f"{len(entries)} entries; at most {limits.max_entries}")])
    files, total = [], 0
    for info in entries:
        path = info.filename.replace("\\", "/")
        if path.startswith("/") or ".." in path.split("/") or ":" in path:
            raise DeploymentError([Problem(archive_name, 0, "", f"unsafe path in archive: {info.filename}")])
        if not path.lower().endswith(MODEL_SUFFIXES) or posixpath.basename(path).startswith("."):
            continue
        total += info.file_size
        if total > limits.max_total_bytes or info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DeploymentError([Problem(archive_name, 0, "", "archive unpacks to too much data (zip bomb?)")])
        _check_entry(archive_name, archive, info, content)
        data = _read(archive_name, archive, info, limits.max_total_bytes)
        files.append(SourceFile(path, data))
    if not files:
        raise DeploymentError([Problem(archive_name, 0, "", "the archive holds no BPMN, DMN or form files")])
    return files


def _check_entry(archive_name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, content: bytes) -> None:
    """Refuse before reading: encryption, methods we do not unpack, sizes that reach past the data."""
    def refuse(message: str) -> None:
        raise DeploymentError([Problem(archive_name, 0, "", f"{info.filename}: {message}")])

    if info.flag_bits & 0x1:
        refuse("encrypted entries are not supported; pack the archive without a password")
    if info.compress_type not in METHODS:
        refuse(f"compression method {info.compress_type} is not supported (use deflate)")
    try:   # the local header's name and extra field lengths (they may differ from the central directory's)
        name_len, extra_len = struct.unpack_from("<HH", content, info.header_offset + 26)
    except struct.error:
        refuse("the entry's local header is damaged")
    end = info.header_offset + 30 + name_len + extra_len + info.compress_size
    if end > min(len(content), getattr(archive, "start_dir", len(content))):
        refuse("the header claims more compressed data than the archive holds")


def _read(archive_name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read at most ``limit`` bytes, whatever the header claims; a damaged entry is a problem
    of the archive (bad CRC, broken compressed stream), not a server error."""
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except DAMAGED as exc:
        raise DeploymentError([Problem(archive_name, 0, "", f"{info.filename}: damaged entry "
                                       f"({exc.__class__.__name__}: {exc})")]) from None
    if len(data) > limit or len(data) != info.file_size:
        raise DeploymentError([Problem(info.filename, 0, "", "entry size does not match the archive header")])
    return data
