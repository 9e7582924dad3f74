"""An uploaded file, kept as ImportChunk rows and read back as a stream."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import BinaryIO

from crm.imports.models import ImportChunk, ImportJob

CHUNK_BYTES = 1 << 20


def store_file(job: ImportJob, chunks: Iterable[bytes]) -> int:
    """Save the file's bytes as the job's chunks, one row per MiB; returns its size."""
    size = 0
    buffer = bytearray()
    index = 0
    for piece in chunks:
        buffer += piece
        while len(buffer) >= CHUNK_BYTES:
            ImportChunk.objects.create(job=job, index=index, data=bytes(buffer[:CHUNK_BYTES]))
            del buffer[:CHUNK_BYTES]
            index += 1
        size += len(piece)
    if buffer:
        ImportChunk.objects.create(job=job, index=index, data=bytes(buffer))
    return size


class _ChunkStream(io.RawIOBase):
    """Reads the job's chunks in order, fetching each when the previous one is used up."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.index = 0
        self.chunk = memoryview(b"")
        self.at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.chunk:
            if self.at_end:
                return 0
            data = (
                ImportChunk.objects.filter(job_id=self.job_id, index=self.index)
                .values_list("data", flat=True)
                .first()
            )
            if data is None:
                return 0
            self.chunk = memoryview(bytes(data))
            self.index += 1
            # Only the last chunk is short: no query to learn that there is no next one.
            self.at_end = len(self.chunk) < CHUNK_BYTES
        size = min(len(buffer), len(self.chunk))
        buffer[:size] = self.chunk[:size]
        self.chunk = self.chunk[size:]
        return size


def open_file(job_id: int) -> BinaryIO:
    return io.BufferedReader(_ChunkStream(job_id), buffer_size=64 * 1024)
