package token

import (
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

func TestChecksumMatchesStandardLibrary(t *testing.T) {
	b := make([]byte, 200)
	for n := range len(b) {
		for range 20 {
			for i := range n {
				b[i] = byte(rand.IntN(256))
			}
			if got, want := checksum(string(b[:n])), crc32.ChecksumIEEE(b[:n]); got != want {
				t.Fatalf("checksum of %d bytes = %08x, want %08x", n, got, want)
			}
		}
	}
}
