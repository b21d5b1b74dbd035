package access

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// SwitchTarget names the company to switch to: by ID, or by name (an exact,
// case-insensitive match first, then a fuzzy one that must be unambiguous).
type SwitchTarget struct {
	CompanyID uuid.UUID
	Name      string
}

// AmbiguousError is returned (wrapping ErrInvalid, field "company") when a
// name matches no company or several; Candidates are the names of the
// companies the user may switch to, so a client can offer them.
type AmbiguousError struct {
	Name       string
	Candidates []string
	none       bool
}

func (e *AmbiguousError) Error() string {
	what := "several companies"
	if e.none {
		what = "no company"
	}
	return fmt.Sprintf("invalid input: company: %q matches %s; candidates: %s", e.Name, what, strings.Join(e.Candidates, ", "))
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *AmbiguousError) Unwrap() error {
	return Invalid("company", "company %q is ambiguous or unknown", e.Name)
}

// SwitchCompany makes a company the user's active one, remembered on the
// user. Only companies where the user is an active member with switching
// allowed qualify; any other ID is ErrNotFound.
func (s *Service) SwitchCompany(ctx context.Context, p Principal, to SwitchTarget) (Company, error) {
	if p.Kind != PrincipalUser {
		if p.IsZero() {
			return Company{}, Unauthenticated("no principal")
		}
		return Company{}, Forbidden("only a user has an active company")
	}
	if to.CompanyID == uuid.Nil && strings.TrimSpace(to.Name) == "" {
		return Company{}, Invalid("company", "a company id or name is required")
	}
	var out Company
	err := s.InTx(ctx, func(ctx context.Context) error {
		var target UserCompany
		if to.CompanyID != uuid.Nil {
			m, err := s.store.GetMembership(ctx, to.CompanyID, p.UserID)
			if err != nil || !m.Active {
				if err == nil || isNotFound(err) {
					return NotFound(CodeCompanyNotFound)
				}
				return err
			}
			if !m.AllowSwitch {
				return Forbidden("switching to this company is not allowed for this user")
			}
			c, err := s.store.GetCompany(ctx, to.CompanyID)
			if err != nil {
				return err
			}
			target = UserCompany{Membership: m, Company: c}
		} else {
			var err error
			if target, err = s.matchCompany(ctx, p.UserID, to.Name); err != nil {
				return err
			}
		}
		u, err := s.store.GetUser(ctx, p.UserID)
		if err != nil {
			return err
		}
		u.ActiveCompanyID = target.CompanyID
		u.UpdatedAt = s.Now()
		if err := s.store.UpdateUser(ctx, &u); err != nil {
			return err
		}
		out = target.Company
		return s.Audit(ctx, p, target.CompanyID, "company.switched", userTarget(p.UserID),
			map[string]string{"from": p.CompanyID.String()})
	})
	return out, err
}

// matchCompany finds the one switchable company whose name matches.
func (s *Service) matchCompany(ctx context.Context, userID uuid.UUID, name string) (UserCompany, error) {
	active := true
	var all []UserCompany
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListUserCompanies(ctx, userID, &active, c)
		if err != nil {
			return UserCompany{}, err
		}
		for _, uc := range page {
			if uc.AllowSwitch {
				all = append(all, uc)
			}
		}
		if len(page) < c.Limit {
			break
		}
		c.After = page[len(page)-1].ID
	}
	want := foldName(name)
	pick := func(match func(string) bool) []UserCompany {
		var out []UserCompany
		for _, uc := range all {
			if match(foldName(uc.Company.Name)) {
				out = append(out, uc)
			}
		}
		return out
	}
	found := pick(func(n string) bool { return n == want })
	if len(found) == 0 {
		found = pick(func(n string) bool { return strings.Contains(n, want) })
	}
	if len(found) == 0 {
		found = pick(func(n string) bool { return substringDistance(want, n) <= max(1, len(want)/5) })
	}
	if len(found) == 1 {
		return found[0], nil
	}
	amb := &AmbiguousError{Name: name, none: len(found) == 0}
	cands := found
	if len(found) == 0 {
		cands = all
	}
	for _, uc := range cands {
		amb.Candidates = append(amb.Candidates, uc.Company.Name)
	}
	slices.Sort(amb.Candidates)
	return UserCompany{}, amb
}

func foldName(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// substringDistance is the fewest edits that turn pattern into some
// substring of text (Levenshtein with a free start and end in text), so
// "southwnd" is one edit from "southwind traders".
func substringDistance(pattern, text string) int {
	p, t := []rune(pattern), []rune(text)
	prev := make([]int, len(t)+1) // row 0: a match may start anywhere
	cur := make([]int, len(t)+1)
	for i := 1; i <= len(p); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if p[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return slices.Min(prev)
}

// ListAudit lists the audit trail of the principal's company, oldest first;
// needs ADMIN or above.
func (s *Service) ListAudit(ctx context.Context, p Principal, pr PageRequest) (Page[AuditEvent], error) {
	c, err := pr.Cursor()
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	if err := s.CheckLevel(ctx, p, Resource{Type: ResourceAccount}, LevelAdmin); err != nil {
		return Page[AuditEvent]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.store.ListAudit(ctx, p.CompanyID, c)
	if err != nil {
		return Page[AuditEvent]{}, err
	}
	return pageOf(rows, limit, func(e AuditEvent) uuid.UUID { return e.ID }), nil
}

// SignIn lets the user of p into p's company, for the services that
// authenticate users (a redeemed login link): the user must be active and
// an active member there, and the company becomes their active one. It
// returns the user and the company. Anything else is ErrUnauthenticated:
// a credential for a company its user has left does not work.
func (s *Service) SignIn(ctx context.Context, p Principal) (User, Company, error) {
	if p.Kind != PrincipalUser {
		return User{}, Company{}, Unauthenticated("only a user signs in")
	}
	var u User
	var c Company
	err := s.InTx(ctx, func(ctx context.Context) error {
		m, err := s.store.GetMembership(ctx, p.CompanyID, p.UserID)
		if isNotFound(err) || err == nil && !m.Active {
			return Unauthenticated("the user is not an active member of the company")
		}
		if err != nil {
			return err
		}
		if c, err = s.store.GetCompany(ctx, p.CompanyID); err != nil {
			return err
		}
		if u, err = s.store.GetUser(ctx, p.UserID); err != nil {
			return err
		}
		if u.Status != UserActive {
			return Unauthenticated("the user is disabled")
		}
		if u.ActiveCompanyID != p.CompanyID {
			u.ActiveCompanyID, u.UpdatedAt = p.CompanyID, s.Now()
			return s.store.UpdateUser(ctx, &u)
		}
		return nil
	})
	if err != nil {
		return User{}, Company{}, err
	}
	return u, c, nil
}
