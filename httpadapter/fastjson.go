package httpadapter

import (
	"encoding/json"
	"strconv"
)

// The hot responses (a small lookup, a member listing, the error bodies)
// append their JSON themselves instead of going through encoding/json's
// reflection: byte for byte the same output (a test holds them to it), at a
// fraction of the cost. Every other response uses encoding/json.

// jsonAppender is a response that encodes itself.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// plainJSON marks the bytes encoding/json copies into a string unescaped.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as encoding/json would (HTML-safe escaping): the
// common plain case inline, anything else through encoding/json.
func appendString(b []byte, s string) []byte {
	if needsEscape(s) {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// needsEscape reports whether s holds a byte that encoding/json does not
// copy as it is. It tests eight bytes at a time: a control byte, a byte at
// or above 0x80, or one of "\<>& in a word sends that word through the
// byte-wise table.
func needsEscape(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if x&highs|(x-ones*0x20)&^x&highs|zero(x^ones*'"')|zero(x^ones*'\\')|
			zero(x^ones*'<')|zero(x^ones*'>')|zero(x^ones*'&') != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if !plainJSON[s[i]] {
			return true
		}
	}
	return false
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// idDigits are the offsets of each byte's two hex digits in a quoted
// UUID; the dashes sit between them.
var idDigits = [16]byte{1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35}

func appendID(b []byte, i id) []byte {
	const digits = "0123456789abcdef"
	buf := [38]byte{0: '"', 9: '-', 14: '-', 19: '-', 24: '-', 37: '"'}
	for k, c := range i {
		p := idDigits[k]
		buf[p], buf[p+1] = digits[c>>4], digits[c&0x0f]
	}
	return append(b, buf[:]...)
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

func (c *v1Company) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendID(b, c.ID)
	b = appendString(append(b, `,"name":`...), c.Name)
	b = appendBool(append(b, `,"default":`...), c.Default)
	b = append(b, `,"parent_company_id":`...)
	if c.ParentID == nil {
		b = append(b, "null"...)
	} else {
		b = appendID(b, *c.ParentID)
	}
	return append(b, '}')
}

func (c *v1CompanyBody) appendJSON(b []byte) []byte {
	b = append(b, `{"company":`...)
	return append(c.Company.appendJSON(b), '}')
}

func (m *managed[T]) appendJSON(b []byte) []byte {
	data, ok := any(&m.Data).(jsonAppender)
	if !ok {
		return nil // not a hot type: encoding/json takes it
	}
	b = appendString(append(b, `{"status":`...), m.Status)
	b = appendString(append(b, `,"message":`...), m.Message)
	b = data.appendJSON(append(b, `,"data":`...))
	return append(b, '}')
}

func (u *mgmtUser) appendJSON(b []byte) []byte {
	b = appendID(append(b, `{"id":`...), u.ID)
	b = appendString(append(b, `,"email":`...), u.Email)
	b = appendString(append(b, `,"first_name":`...), u.FirstName)
	b = appendString(append(b, `,"last_name":`...), u.LastName)
	b = appendString(append(b, `,"role":`...), u.Role)
	b = appendStrings(append(b, `,"roles":`...), u.Roles)
	b = appendBool(append(b, `,"is_active":`...), u.IsActive)
	b = appendBool(append(b, `,"editable":`...), u.Editable)
	return append(b, '}')
}

func (l *mgmtUsers) appendJSON(b []byte) []byte {
	b = append(b, `{"users":`...)
	switch {
	case l.members != nil:
		b = append(b, '[')
		for i := range l.members {
			if i > 0 {
				b = append(b, ',')
			}
			u := l.user(i)
			b = u.appendJSON(b)
		}
		b = append(b, ']')
	case l.Users == nil:
		b = append(b, "null"...)
	default:
		b = append(b, '[')
		for i := range l.Users {
			if i > 0 {
				b = append(b, ',')
			}
			b = l.Users[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	if l.NextCursor != "" {
		b = appendString(append(b, `,"next_cursor":`...), l.NextCursor)
	}
	return append(b, '}')
}

func (p *problem) appendJSON(b []byte) []byte {
	if p.Candidates != nil || p.NextAllowedAt != nil {
		return nil
	}
	b = appendString(append(b, `{"code":`...), string(p.Code))
	b = appendString(append(b, `,"message":`...), p.Message)
	if p.Field != "" {
		b = appendString(append(b, `,"field":`...), p.Field)
	}
	return append(b, '}')
}

func (e *managedError) appendJSON(b []byte) []byte {
	b = appendString(append(b, `{"status":`...), e.Status)
	b = appendString(append(b, `,"message":`...), e.Message)
	if b = e.Data.appendJSON(append(b, `,"data":`...)); b == nil {
		return nil
	}
	return append(b, '}')
}

func (e *errorBody) appendJSON(b []byte) []byte {
	if b = e.Error.appendJSON(append(b, `{"error":`...)); b == nil {
		return nil
	}
	return append(b, '}')
}
