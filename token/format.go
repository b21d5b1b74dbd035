package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"hash/crc32"

	"github.com/gatehouse-go/gatehouse/access"
)

// Kind is what a secret is for. A secret of one kind never works as
// another: the kind is part of the text, of the checksum and of the hash.
type Kind uint8

// The kinds of secret.
const (
	KindAPI                  Kind = iota + 1 // an API token of a company ("api")
	KindSession                              // a session token of a user ("ses")
	KindInvitation                           // a member invitation ("inv")
	KindConnectionInvitation                 // a company-to-company invitation ("cnx")
	KindLoginLink                            // a one-time magic login link ("lnk")
	KindPasswordReset                        // a one-time password reset link ("rst")
)

var kindCodes = [...]string{KindAPI: "api", KindSession: "ses", KindInvitation: "inv",
	KindConnectionInvitation: "cnx", KindLoginLink: "lnk", KindPasswordReset: "rst"}

// String returns the kind's three-letter code as it appears in a secret.
func (k Kind) String() string {
	if k >= KindAPI && int(k) < len(kindCodes) {
		return kindCodes[k]
	}
	return "unknown"
}

func kindOf(code string) Kind {
	for k := KindAPI; int(k) < len(kindCodes); k++ {
		if kindCodes[k] == code {
			return k
		}
	}
	return 0
}

// DefaultProduct is the product part of every secret's prefix unless the
// host chooses its own with WithPrefix or NewFormat.
const DefaultProduct = "gate"

// The sizes of a secret's parts (see the package documentation).
const (
	randomLen    = 43 // base62 characters: 43·log2(62) ≈ 256.03 bits
	checksumLen  = 6  // base62 characters holding a CRC-32
	bodyLen      = randomLen + checksumLen
	maxProduct   = 16
	minProduct   = 2
	kindLen      = 3
	maxSecretLen = maxProduct + 1 + kindLen + 1 + bodyLen
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrMalformed is returned by Parse for text that is not a well-formed
// secret with a correct checksum. It says nothing about which part failed.
var ErrMalformed = &access.Error{Kind: access.ErrUnauthenticated, Code: access.CodeMalformedToken, Message: "the token is malformed"}

// Format generates and checks secrets of one product prefix. The zero
// value uses DefaultProduct.
type Format struct{ product string }

// NewFormat returns the Format of product: 2 to 16 lower-case ASCII letters
// and digits, starting with a letter (it names the product to whoever finds
// a leaked secret, and to secret scanners).
func NewFormat(product string) (Format, error) {
	if !validProduct(product) {
		return Format{}, access.Invalid("prefix", "the token prefix must be 2 to 16 lower-case letters and digits, starting with a letter")
	}
	return Format{product: product}, nil
}

func validProduct(p string) bool {
	if len(p) < minProduct || len(p) > maxProduct || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Product returns the product part of the prefix.
func (f Format) Product() string {
	if f.product == "" {
		return DefaultProduct
	}
	return f.product
}

// Pattern returns a regular expression (RE2, as Go's regexp and most secret
// scanners accept it) that matches the secrets of this format anywhere in a
// text.
func (f Format) Pattern() string {
	return `\b` + f.Product() + `_(?:api|ses|inv|cnx|lnk|rst)_[0-9A-Za-z]{49}\b`
}

// Generate returns a new secret of kind: 256 bits from crypto/rand. It
// panics for an unknown kind (a programming error).
func (f Format) Generate(k Kind) Secret {
	if k.String() == "unknown" {
		panic("token: Generate of an unknown kind")
	}
	var b [maxSecretLen]byte
	n := copy(b[:], f.Product())
	b[n] = '_'
	n++
	n += copy(b[n:], k.String())
	b[n] = '_'
	n++
	// Rejection sampling keeps every character uniform: bytes from 248 up
	// would favour the first eight characters of the alphabet.
	var pool [64]byte
	for i := 0; i < randomLen; {
		rand.Read(pool[:]) // never fails (crypto/rand since Go 1.24)
		for _, c := range pool {
			if c < 248 && i < randomLen {
				b[n] = alphabet[c%62]
				n++
				i++
			}
		}
	}
	sum := checksum(string(b[:n]))
	for i := checksumLen - 1; i >= 0; i-- {
		b[n+i] = alphabet[sum%62]
		sum /= 62
	}
	n += checksumLen
	return Secret{v: string(b[:n])}
}

// Parse checks that s is a well-formed secret of kind want in this format,
// checksum included, without touching any store. It returns ErrMalformed
// (an ErrUnauthenticated) otherwise.
func (f Format) Parse(s string, want Kind) error {
	p, k, err := parse(s)
	if err != nil {
		return err
	}
	if k != want || p != f.Product() {
		return ErrMalformed
	}
	return nil
}

// Generate is DefaultFormat's Generate.
func Generate(k Kind) Secret { return Format{}.Generate(k) }

// Parse checks the format and checksum of s, whatever its product, and
// returns its product and kind. It touches no store and allocates nothing.
// Any failure is ErrMalformed.
func Parse(s string) (product string, k Kind, err error) { return parse(s) }

// Hash returns the SHA-256 digest under which a secret is stored. Hash
// only what Parse accepted.
func Hash(s string) Digest {
	var b [maxSecretLen]byte
	if len(s) <= len(b) {
		// Hashing a copy on the stack keeps the conversion from allocating.
		n := copy(b[:], s)
		return sha256.Sum256(b[:n])
	}
	return sha256.Sum256([]byte(s))
}

// Digest is the SHA-256 of a secret: what stores keep and look up.
type Digest [sha256.Size]byte

// Equal compares two digests in constant time.
func (d Digest) Equal(o Digest) bool { return subtle.ConstantTimeCompare(d[:], o[:]) == 1 }

func parse(s string) (string, Kind, error) {
	// product _ kind _ body
	if len(s) < minProduct+1+kindLen+1+bodyLen || len(s) > maxSecretLen {
		return "", 0, ErrMalformed
	}
	body := s[len(s)-bodyLen:]
	head := s[:len(s)-bodyLen] // "product_kind_"
	if head[len(head)-1] != '_' || head[len(head)-kindLen-2] != '_' {
		return "", 0, ErrMalformed
	}
	product := head[:len(head)-kindLen-2]
	k := kindOf(head[len(head)-kindLen-1 : len(head)-1])
	if k == 0 || !validProduct(product) {
		return "", 0, ErrMalformed
	}
	// Branch-free: an invalid character (-1) sets the sign bit.
	var bad int8
	for i := range randomLen {
		bad |= digits[body[i]]
	}
	var sum uint64
	for i := randomLen; i < bodyLen; i++ {
		v := digits[body[i]]
		bad |= v
		sum = sum*62 + uint64(v)
	}
	if bad < 0 {
		return "", 0, ErrMalformed
	}
	if uint64(checksum(s[:len(s)-checksumLen])) != sum {
		return "", 0, ErrMalformed
	}
	return product, k, nil
}

// crcTables are the slicing-by-8 tables of CRC-32 (IEEE).
var crcTables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return t
}()

// checksum is crc32.ChecksumIEEE of a string, slicing by 8 as the standard
// library does for short input. Calling the standard library would move
// the bytes to the heap (it dispatches through a function value).
func checksum(s string) uint32 {
	t := &crcTables
	crc := ^uint32(0)
	for len(s) >= 8 {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = t[0][s[7]] ^ t[1][s[6]] ^ t[2][s[5]] ^ t[3][s[4]] ^
			t[4][crc>>24] ^ t[5][crc>>16&0xff] ^ t[6][crc>>8&0xff] ^ t[7][crc&0xff]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		crc = t[0][byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

// digits maps a byte to its base62 value, or -1.
var digits = func() (d [256]int8) {
	for i := range d {
		d[i] = -1
	}
	for i := range len(alphabet) {
		d[alphabet[i]] = int8(i)
	}
	return d
}()
