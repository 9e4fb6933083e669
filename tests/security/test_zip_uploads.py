"""Issue 12 part 4: damaged or unsupported ZIP archives are refused as a deployment problem
(FILE:LINE: id: message, 400) in the studio and over the API, never a 500; nothing deployed."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from engine.persistence import tables as t
from tests.web.conftest import csrf_token, login_as
from tests.conftest import model

BPMN = model("wait.bpmn").read_bytes()


def _archive(method: int = zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("wait.bpmn", BPMN)
    return bytearray(buffer.getvalue())


def _headers(data: bytearray) -> tuple[int, int]:
    """Offsets of the local file header and the central directory entry."""
    return data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")


def encrypted() -> bytes:
    data = _archive()
    local, central = _headers(data)
    data[local + 6] |= 0x01            # general purpose flag bit 0: encrypted
    data[central + 8] |= 0x01
    return bytes(data)


def method_97() -> bytes:
    data = _archive()
    local, central = _headers(data)
    struct.pack_into("<H", data, local + 8, 97)     # an unknown compression method
    struct.pack_into("<H", data, central + 10, 97)
    return bytes(data)


def corrupt_deflate() -> bytes:
    data = _archive()
    local, _central = _headers(data)
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_len + extra_len
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    return bytes(data)


def crc_mismatch() -> bytes:
    data = _archive()
    local, central = _headers(data)
    struct.pack_into("<I", data, local + 14, 0xDEADBEEF)
    struct.pack_into("<I", data, central + 16, 0xDEADBEEF)
    return bytes(data)


def lying_size(factor: float) -> bytes:
    data = _archive(zipfile.ZIP_STORED)
    local, central = _headers(data)
    real = struct.unpack_from("<I", data, central + 24)[0]
    struct.pack_into("<I", data, local + 22, int(real * factor))
    struct.pack_into("<I", data, central + 24, int(real * factor))
    return bytes(data)


def lying_compressed_size() -> bytes:
    data = _archive()
    local, central = _headers(data)
    real = struct.unpack_from("<I", data, central + 20)[0]
    struct.pack_into("<I", data, local + 18, real * 50)
    struct.pack_into("<I", data, central + 20, real * 50)
    return bytes(data)


BROKEN = {
    "encrypted": encrypted, "method97": method_97, "deflate": corrupt_deflate, "crc": crc_mismatch,
    "size-small": lambda: lying_size(0.5), "size-large": lambda: lying_size(3),
    "compressed-size": lying_compressed_size,
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_archives_are_refused_in_the_studio_and_the_api(web, kind):
    content = BROKEN[kind]()
    before = web.count(t.process_definitions)
    response = web.client.post("/api/v1/deployments", data={"files": [(io.BytesIO(content), "modelle.zip")]},
                               headers=web.auth("owner"), content_type="multipart/form-data")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    [problem] = response.get_json()["problems"]
    assert problem.startswith("modelle.zip:0: ") or problem.startswith("wait.bpmn:0: "), problem
    login_as(web.client, "po")
    token = csrf_token(web.client, "/studio/")
    page = web.client.post("/studio/bereitstellen", data={"csrf_token": token,
                                                          "files": [(io.BytesIO(content), "modelle.zip")]},
                           content_type="multipart/form-data")
    assert page.status_code == 400 and "modelle.zip" in page.get_data(as_text=True)
    assert web.count(t.process_definitions) == before


def test_an_intact_archive_still_deploys(web):
    response = web.client.post("/api/v1/deployments", data={"files": [(io.BytesIO(bytes(_archive())), "m.zip")]},
                               headers=web.auth("owner"), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
