package access

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Company is a tenant (a merchant, instance, account or organization in the
// seeds). It can be addressed by ID, by its host-assigned ExternalKey (seed
// 000's merchant_id) or by any of its Domains (seed 000's domain_id).
type Company struct {
	ID          uuid.UUID
	Name        string
	ParentID    uuid.UUID // uuid.Nil when the company has no parent
	ExternalKey string    // optional, unique when set
	Domains     []string  // optional, each unique across companies, lower case
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewCompany is the input of Service.CreateCompany.
type NewCompany struct {
	Name        string
	ParentID    uuid.UUID
	ExternalKey string
	Domains     []string
	// OwnerID is the user who becomes OWNER: the acting user by default;
	// required when the system principal creates the company.
	OwnerID uuid.UUID
}

func normalizeCompanyName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return "", Invalid("name", "company name is required")
	}
	if len(n) > 200 {
		return "", Invalid("name", "company name is longer than 200 characters")
	}
	return n, nil
}

func normalizeDomains(ds []string) ([]string, error) {
	out := make([]string, 0, len(ds))
	seen := map[string]bool{}
	for _, d := range ds {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || len(d) > 253 || strings.ContainsAny(d, " /@") {
			return nil, Invalid("domains", "%q is not a domain name", d)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

func normalizeDomain(d string) string { return strings.ToLower(strings.TrimSpace(d)) }
