# Writes vectors.json: partition keys and stream names as a Python producer
# computes them with the two functions of README.md (section "Partitioned
# streams"), for partition_test.go. Run: python3 testdata/vectors.py > testdata/vectors.json
import binascii
import json
import zlib


def partition_of(key, partitions):
    return zlib.crc32(key.encode("utf-8")) % partitions


def partition_streams(name, partitions):
    def slot(tag):
        return binascii.crc_hqx(tag.encode("utf-8"), 0) % 16384

    streams = []
    for i in range(partitions):
        n = 0
        while 4 * slot(f"{name}-{i}-{n}") * partitions // 16384 not in (4 * i + 1, 4 * i + 2):
            n += 1
        streams.append(f"{name}:{{{name}-{i}-{n}}}")
    return streams


keys = ["", "a", "123456789", "order-42", "account:7", "Zürich", "客户-1", "key with spaces"]
keys += [f"key-{k}" for k in range(0, 1000, 97)]
print(json.dumps({
    "crc16_123456789": binascii.crc_hqx(b"123456789", 0),
    "partition_of": [
        {"key": k, "partitions": p, "partition": partition_of(k, p)}
        for k in keys for p in (1, 3, 12, 256)
    ],
    "streams": [
        {"name": name, "partitions": p, "keys": partition_streams(name, p)}
        for name, p in (("orders", 12), ("orders", 3), ("tenant.events", 5), ("x", 64), ("billing", 256))
    ],
}, ensure_ascii=False, indent=1))
