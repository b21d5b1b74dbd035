package httpadapter

import (
	"encoding/hex"
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

// appendString appends s as encoding/json would (HTML-safe escaping): the
// common plain case inline, anything else through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
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

func appendID(b []byte, i id) []byte {
	var buf [38]byte
	buf[0], buf[37] = '"', '"'
	hex.Encode(buf[1:9], i[0:4])
	buf[9] = '-'
	hex.Encode(buf[10:14], i[4:6])
	buf[14] = '-'
	hex.Encode(buf[15:19], i[6:8])
	buf[19] = '-'
	hex.Encode(buf[20:24], i[8:10])
	buf[24] = '-'
	hex.Encode(buf[25:37], i[10:])
	return append(b, buf[:]...)
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// key appends ,"name": (without the comma for the first key).
func key(b []byte, name string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func (c *v1Company) appendJSON(b []byte) []byte {
	b = key(append(b, '{'), "id", true)
	b = appendID(b, c.ID)
	b = appendString(key(b, "name", false), c.Name)
	b = appendBool(key(b, "default", false), c.Default)
	b = key(b, "parent_company_id", false)
	if c.ParentID == nil {
		b = append(b, "null"...)
	} else {
		b = appendID(b, *c.ParentID)
	}
	return append(b, '}')
}

func (c *v1CompanyBody) appendJSON(b []byte) []byte {
	b = key(append(b, '{'), "company", true)
	return append(c.Company.appendJSON(b), '}')
}

func (m *managed[T]) appendJSON(b []byte) []byte {
	data, ok := any(&m.Data).(jsonAppender)
	if !ok {
		return nil // not a hot type: encoding/json takes it
	}
	b = appendString(key(append(b, '{'), "status", true), m.Status)
	b = appendString(key(b, "message", false), m.Message)
	b = data.appendJSON(key(b, "data", false))
	return append(b, '}')
}

func (u *mgmtUser) appendJSON(b []byte) []byte {
	b = appendID(key(append(b, '{'), "id", true), u.ID)
	b = appendString(key(b, "email", false), u.Email)
	b = appendString(key(b, "first_name", false), u.FirstName)
	b = appendString(key(b, "last_name", false), u.LastName)
	b = appendString(key(b, "role", false), u.Role)
	b = appendStrings(key(b, "roles", false), u.Roles)
	b = appendBool(key(b, "is_active", false), u.IsActive)
	b = appendBool(key(b, "editable", false), u.Editable)
	return append(b, '}')
}

func (l *mgmtUsers) appendJSON(b []byte) []byte {
	b = key(append(b, '{'), "users", true)
	if l.Users == nil {
		b = append(b, "null"...)
	} else {
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
		b = appendString(key(b, "next_cursor", false), l.NextCursor)
	}
	return append(b, '}')
}

func (p *problem) appendJSON(b []byte) []byte {
	if p.Candidates != nil || p.NextAllowedAt != nil {
		return nil
	}
	b = appendString(key(append(b, '{'), "code", true), p.Code)
	b = appendString(key(b, "message", false), p.Message)
	if p.Field != "" {
		b = appendString(key(b, "field", false), p.Field)
	}
	return append(b, '}')
}

func (e *managedError) appendJSON(b []byte) []byte {
	b = appendString(key(append(b, '{'), "status", true), e.Status)
	b = appendString(key(b, "message", false), e.Message)
	if b = e.Data.appendJSON(key(b, "data", false)); b == nil {
		return nil
	}
	return append(b, '}')
}

func (e *errorBody) appendJSON(b []byte) []byte {
	if b = e.Error.appendJSON(key(append(b, '{'), "error", true)); b == nil {
		return nil
	}
	return append(b, '}')
}
