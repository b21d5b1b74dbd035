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
// user, and returns it. A user switches to:
//
//   - a company where they are an active member with switching allowed
//     (Membership.AllowSwitch, seed 000's access_switch), by ID or name;
//   - a customer connected to an agency they reach it through (an
//     active member of the agency in an agency role: exactly where the
//     authorizer lets them act in the customer), by ID or name, unless
//     they hold a membership of their own there.
//
// A session minted from a login link someone else asked for
// (Principal.SessionConfined, set by token.Service.Verify) reaches only
// its own companies, the link's (SessionHome) and those it created
// (SessionCompanies), and the customers connected to them as agency:
// never a company its user joined through others, nor, since a
// membership outranks a connection in every check, a connected customer
// where its user has a membership of their own. A membership that forbids
// switching holds both ways: no one switches into it, and neither a
// principal acting in it nor a session minted for it switches out.
//
// Errors: ErrNotFound (CodeCompanyNotFound) for a company p may not reach,
// exactly as for an unknown one; ErrForbidden for switching into or out
// of a membership that forbids it, and for a principal that is not a
// user; *AmbiguousError (ErrInvalid, field "company") for a name that
// matches none of the companies p may switch to, or several of them (the
// candidates are only those).
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
	if to.CompanyID == uuid.Nil {
		if err := CheckText("company", to.Name); err != nil {
			return Company{}, err
		}
	}
	var out Company
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.mayLeave(ctx, p); err != nil {
			return err
		}
		var err error
		if to.CompanyID != uuid.Nil {
			out, err = s.switchTarget(ctx, p, to.CompanyID)
		} else {
			out, err = s.matchCompany(ctx, p, to.Name)
		}
		if err != nil {
			return err
		}
		u, err := s.store.GetUser(ctx, p.UserID)
		if err != nil {
			return err
		}
		u.ActiveCompanyID = out.ID
		u.UpdatedAt = s.Now()
		if err := s.store.UpdateUser(ctx, &u); err != nil {
			return err
		}
		return s.Audit(ctx, p, out.ID, "company.switched", userTarget(p.UserID),
			map[string]string{"from": p.CompanyID.String()})
	})
	if err != nil {
		return Company{}, err
	}
	return out, nil
}

// mayLeave refuses to move p out of a membership that forbids switching:
// the one p acts in, or the one p's session was minted for. It runs before
// the target is looked at, so it answers the same for every target.
func (s *Service) mayLeave(ctx context.Context, p Principal) error {
	for i, id := range [2]uuid.UUID{p.CompanyID, p.SessionHome} {
		if id == uuid.Nil || i == 1 && id == p.CompanyID {
			continue
		}
		m, err := s.store.GetMembership(ctx, id, p.UserID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if !m.AllowSwitch {
			return Forbidden("switching out of this company is not allowed for this user")
		}
	}
	return nil
}

// switchTarget is the company id if p may switch to it.
func (s *Service) switchTarget(ctx context.Context, p Principal, id uuid.UUID) (Company, error) {
	m, err := s.store.GetMembership(ctx, id, p.UserID)
	switch {
	case err == nil:
		// A membership, even a deactivated one, outranks any connection
		// in the authorizer: there is no reaching this company otherwise.
		if !m.Active || !p.InSessionScope(id) {
			return Company{}, NotFound(CodeCompanyNotFound)
		}
		if !m.AllowSwitch {
			return Company{}, Forbidden("switching to this company is not allowed for this user")
		}
	case isNotFound(err):
		ok, err := s.reachesAsAgency(ctx, p, id)
		if err != nil {
			return Company{}, err
		}
		if !ok {
			return Company{}, NotFound(CodeCompanyNotFound)
		}
	default:
		return Company{}, err
	}
	return s.store.GetCompany(ctx, id)
}

// reachesAsAgency reports whether p's user, who is no member of
// customerID, acts in it through a connection (the authorizer's reach),
// and, for a confined session, through one of the session's own
// companies.
func (s *Service) reachesAsAgency(ctx context.Context, p Principal, customerID uuid.UUID) (bool, error) {
	f, err := s.store.CheckAccess(ctx, AccessQuery{CompanyID: customerID, UserID: p.UserID, AgencyRoles: s.agencyRoles})
	if err != nil || !f.Connected {
		return false, err
	}
	if !p.SessionConfined {
		return true, nil
	}
	agencies := map[uuid.UUID]bool{}
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListConnections(ctx, customerID, c)
		if err != nil {
			return false, err
		}
		for _, cn := range page {
			if cn.CustomerID == customerID {
				agencies[cn.AgencyID] = true
			}
		}
		if len(page) < c.Limit {
			break
		}
		c.After = page[len(page)-1].ID
	}
	for _, a := range append([]uuid.UUID{p.SessionHome}, p.SessionCompanies...) {
		if !agencies[a] {
			continue
		}
		m, err := s.store.GetMembership(ctx, a, p.UserID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return false, err
		}
		if m.Active && slices.Contains(s.agencyRoles, m.Role) {
			return true, nil
		}
	}
	return false, nil
}

// matchCompany finds the one company p may switch to by name among the
// user's memberships and the customers connected to the agencies they
// reach them through (switchTarget's rules, by name).
func (s *Service) matchCompany(ctx context.Context, p Principal, name string) (Company, error) {
	active := true
	var all []Company
	var agencies []uuid.UUID
	c := Cursor{Limit: MaxPageLimit}
	for {
		page, err := s.store.ListUserCompanies(ctx, p.UserID, &active, c)
		if err != nil {
			return Company{}, err
		}
		for _, uc := range page {
			if uc.AllowSwitch && p.InSessionScope(uc.CompanyID) {
				all = append(all, uc.Company)
			}
			if slices.Contains(s.agencyRoles, uc.Role) && p.InSessionScope(uc.CompanyID) {
				agencies = append(agencies, uc.CompanyID)
			}
		}
		if len(page) < c.Limit {
			break
		}
		c.After = page[len(page)-1].ID
	}
	customers, err := s.connectedCustomers(ctx, p, agencies)
	if err != nil {
		return Company{}, err
	}
	all = append(all, customers...)
	want := foldName(name)
	pick := func(match func(string) bool) []Company {
		var out []Company
		for _, co := range all {
			if match(foldName(co.Name)) {
				out = append(out, co)
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
	for _, co := range cands {
		amb.Candidates = append(amb.Candidates, co.Name)
	}
	slices.Sort(amb.Candidates)
	return Company{}, amb
}

// connectedCustomers lists the customers connected to the agencies (where
// p's user holds an agency role) in which the user has no membership of
// their own: a membership, even a deactivated one, outranks a connection.
func (s *Service) connectedCustomers(ctx context.Context, p Principal, agencies []uuid.UUID) ([]Company, error) {
	var out []Company
	seen := map[uuid.UUID]bool{}
	for _, a := range agencies {
		c := Cursor{Limit: MaxPageLimit}
		for {
			page, err := s.store.ListConnections(ctx, a, c)
			if err != nil {
				return nil, err
			}
			for _, cn := range page {
				if cn.AgencyID != a || seen[cn.CustomerID] {
					continue
				}
				seen[cn.CustomerID] = true
				if _, err := s.store.GetMembership(ctx, cn.CustomerID, p.UserID); err == nil {
					continue
				} else if !isNotFound(err) {
					return nil, err
				}
				co, err := s.store.GetCompany(ctx, cn.CustomerID)
				if err != nil {
					return nil, err
				}
				out = append(out, co)
			}
			if len(page) < c.Limit {
				break
			}
			c.After = page[len(page)-1].ID
		}
	}
	return out, nil
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
