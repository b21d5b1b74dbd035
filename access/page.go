package access

import (
	"encoding/base64"

	"github.com/google/uuid"
)

// DefaultPageLimit and MaxPageLimit bound every listing.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// PageRequest asks for one page of a keyset-paginated listing: at most
// Limit items after the opaque cursor After ("" for the first page).
type PageRequest struct {
	Limit int
	After string
}

// Page is one page of a listing. Next is the cursor of the following page,
// "" on the last one.
type Page[T any] struct {
	Items []T
	Next  string
}

// Cursor is the decoded position of a keyset listing: the ID of the last
// item already returned. IDs are time-ordered (UUIDv7 by default), and
// listings are ordered by ID, so a page is stable while rows are inserted.
type Cursor struct {
	After uuid.UUID // uuid.Nil: from the start
	Limit int
}

// EncodeCursor makes the opaque cursor for the item with id.
func EncodeCursor(id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

// Cursor validates the request and decodes its cursor. The error names the
// field "cursor" or "limit".
func (p PageRequest) Cursor() (Cursor, error) {
	c := Cursor{Limit: p.Limit}
	switch {
	case c.Limit == 0:
		c.Limit = DefaultPageLimit
	case c.Limit < 0 || c.Limit > MaxPageLimit:
		return Cursor{}, Invalid("limit", "limit must be between 1 and %d", MaxPageLimit)
	}
	if p.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(p.After)
		if err != nil || len(b) != 16 {
			return Cursor{}, Invalid("cursor", "cursor is malformed")
		}
		copy(c.After[:], b)
	}
	return c, nil
}

// pageOf cuts a store result fetched with Limit+1 rows into a page.
func pageOf[T any](items []T, limit int, id func(T) uuid.UUID) Page[T] {
	if len(items) > limit {
		items = items[:limit]
		return Page[T]{Items: items, Next: EncodeCursor(id(items[len(items)-1]))}
	}
	return Page[T]{Items: items}
}
