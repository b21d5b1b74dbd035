package invite

import (
	"github.com/gatehouse-go/gatehouse/token"
)

// tokenKind is the token package's kind of secret for an invitation kind,
// so a member invitation's token never works as a company invitation's
// (nor as any other secret).
func tokenKind(k Kind) token.Kind {
	if k == KindConnection {
		return token.KindConnectionInvitation
	}
	return token.KindInvitation
}

// newToken returns a fresh token (256 bits from crypto/rand, in the token
// package's format: product and kind prefix, CRC-32 checksum) and the
// SHA-256 under which it is stored.
func (s *Service) newToken(k Kind) (token.Secret, token.Digest) {
	sec := s.format.Generate(tokenKind(k))
	return sec, token.Hash(sec.Reveal())
}

// parseToken checks a presented token's form, kind and checksum without
// touching the store and returns its hash and the invitation kind it is
// for; ok is false for anything that is not an invitation token of this
// service's format.
func (s *Service) parseToken(tok string) (hash token.Digest, k Kind, ok bool) {
	product, tk, err := token.Parse(tok)
	switch {
	case err != nil, product != s.format.Product():
		return token.Digest{}, "", false
	case tk == token.KindInvitation:
		k = KindMember
	case tk == token.KindConnectionInvitation:
		k = KindConnection
	default:
		return token.Digest{}, "", false
	}
	return token.Hash(tok), k, true
}
