package access

import (
	"unicode/utf8"
)

// CheckText is the one rule for every text gatehouse stores or looks up: user
// e-mails, names and profile fields, company names, external keys and
// domains, resource types and IDs, role and permission codes, token names,
// the company names of company invitations, and the look-ups made with
// them (FindCompany's merchant_id, domain_id and external key, a user by
// e-mail). It refuses, with ErrInvalid naming field:
//
//   - invalid UTF-8 (a stray byte, a truncated sequence, an encoded
//     surrogate or anything Go's utf8.ValidString refuses), and
//   - the control characters of Unicode category Cc: the C0 controls
//     U+0000 to U+001F (NUL, tab, line feed and carriage return included),
//     DEL U+007F and the C1 controls U+0080 to U+009F.
//
// Everything else passes, spaces and non-Latin scripts included. The check
// is made on the input as given, before any trimming, so "acme\n" is
// refused rather than silently cut, and before any store is called:
// PostgreSQL refuses NUL and invalid UTF-8 in text with an error of its own,
// the memory store would keep them, and both stores must answer alike.
// Lengths stay with each field's own rule. The message names the offending
// character by code point and byte offset, never echoing the value.
func CheckText(field, s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			return Invalid(field, "%s is not valid UTF-8 (at byte %d)", field, i)
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return Invalid(field, "%s contains the control character U+%04X (at byte %d)", field, r, i)
		}
	}
	return nil
}

// validAt reports whether the U+FFFD that ranging over s produced at byte i
// was written in s (three valid bytes), not made up for a bad byte.
func validAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 3
}
