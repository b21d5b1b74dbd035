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
	if err := CheckText("name", name); err != nil {
		return "", err
	}
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
		if err := CheckText("domains", d); err != nil {
			return nil, err
		}
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

// normalizeDomain prepares a domain to look a company up by (field names
// the input: "domain_id" for seed 000's parameter).
func normalizeDomain(field, d string) (string, error) {
	if err := CheckText(field, d); err != nil {
		return "", err
	}
	return strings.ToLower(strings.TrimSpace(d)), nil
}

// maxExternalKey bounds an external key (a host's identifier, not prose).
const maxExternalKey = 200

// checkExternalKey validates a company's external key as set: "" clears
// it. A key never reads as a UUID, in any form uuid.Parse accepts
// (canonical, upper case, braced, urn:uuid:, 32 bare hex digits): seed
// 000's merchant_id is "an external key, or else an ID", and a key that
// is another company's ID would make that ID name this company.
func checkExternalKey(key string) error {
	if err := CheckText("external_key", key); err != nil {
		return err
	}
	if len(key) > maxExternalKey {
		return Invalid("external_key", "external_key is longer than %d characters", maxExternalKey)
	}
	if _, err := uuid.Parse(key); err == nil {
		return Invalid("external_key", "an external key cannot be a UUID: company IDs are UUIDs, and merchant_id names either")
	}
	return nil
}
