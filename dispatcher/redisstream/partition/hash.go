package partition

import "hash/crc32"

// Of returns the partition, in [0, partitions), of an event key: the
// CRC-32 (IEEE, the checksum of zlib and of Python's zlib.crc32) of the
// key's bytes modulo partitions. It is stable across processes, versions
// and languages; a Python producer computes the same with
// zlib.crc32(key.encode("utf-8")) % partitions. It panics if partitions is
// not positive.
func Of(key string, partitions int) int {
	if partitions <= 0 {
		panic("partition: Of with a partition count below 1")
	}
	return int(crc32.ChecksumIEEE([]byte(key)) % uint32(partitions))
}
