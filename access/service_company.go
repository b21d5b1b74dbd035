package access

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// CreateCompany creates a company and makes its creator its active OWNER in
// the same transaction. p must be a user (who becomes the owner) or the
// system with in.OwnerID set to an existing user. The membership is the owner's
// primary one when they have none yet, and the company becomes their active
// company when they have none.
func (s *Service) CreateCompany(ctx context.Context, p Principal, in NewCompany) (Company, error) {
	owner := in.OwnerID
	switch p.Kind {
	case PrincipalUser:
		if owner != uuid.Nil && owner != p.UserID {
			return Company{}, Forbidden("a user can only create a company they own")
		}
		owner = p.UserID
	case PrincipalSystem:
		if owner == uuid.Nil {
			return Company{}, Invalid("owner_id", "the owner of a new company is required")
		}
	case PrincipalToken:
		return Company{}, Forbidden("an API token cannot create companies")
	default:
		return Company{}, Unauthenticated("no principal")
	}
	name, err := normalizeCompanyName(in.Name)
	if err != nil {
		return Company{}, err
	}
	domains, err := normalizeDomains(in.Domains)
	if err != nil {
		return Company{}, err
	}
	if err := checkExternalKey(in.ExternalKey); err != nil {
		return Company{}, err
	}
	now := s.Now()
	c := Company{ID: s.newID(), Name: name, ParentID: in.ParentID, ExternalKey: in.ExternalKey,
		Domains: domains, CreatedAt: now, UpdatedAt: now}
	err = s.InTx(ctx, func(ctx context.Context) error {
		u, err := s.store.GetUser(ctx, owner)
		if err != nil {
			return err
		}
		if err := joinable(u); err != nil {
			return err
		}
		if c.ParentID != uuid.Nil {
			if p.Kind != PrincipalSystem {
				// A sub-company only under a company the owner owns.
				pm, err := s.store.GetMembership(ctx, c.ParentID, owner)
				if err != nil || !pm.Active || pm.Role != RoleOwner {
					return Invalid("parent_id", "parent company not found")
				}
			} else if _, err := s.store.GetCompany(ctx, c.ParentID); err != nil {
				return Invalid("parent_id", "parent company not found")
			}
		}
		if err := s.store.CreateCompany(ctx, &c); err != nil {
			return err
		}
		_, hasPrimary, err := s.primaryOf(ctx, owner)
		if err != nil {
			return err
		}
		m := Membership{ID: s.newID(), CompanyID: c.ID, UserID: owner, Role: RoleOwner, Active: true,
			Primary: !hasPrimary, AllowSwitch: true, CreatedBy: owner, CreatedAt: now, UpdatedAt: now}
		if err := s.store.CreateMembership(ctx, &m); err != nil {
			return err
		}
		if u.ActiveCompanyID == uuid.Nil {
			u.ActiveCompanyID = c.ID
			u.UpdatedAt = now
			if err := s.store.UpdateUser(ctx, &u); err != nil {
				return err
			}
		}
		if err := s.Audit(ctx, p, c.ID, "company.created", "company:"+c.ID.String(), map[string]string{"name": c.Name}); err != nil {
			return err
		}
		return s.Audit(ctx, p, c.ID, "membership.created", userTarget(owner), map[string]string{"role": RoleOwner})
	})
	if err != nil {
		return Company{}, err
	}
	return c, nil
}

// primaryOf reports whether the user has a primary membership.
func (s *Service) primaryOf(ctx context.Context, userID uuid.UUID) (UserCompany, bool, error) {
	var c Cursor
	c.Limit = MaxPageLimit
	for {
		page, err := s.store.ListUserCompanies(ctx, userID, nil, c)
		if err != nil {
			return UserCompany{}, false, err
		}
		for _, uc := range page {
			if uc.Primary {
				return uc, true, nil
			}
		}
		if len(page) < c.Limit {
			return UserCompany{}, false, nil
		}
		c.After = page[len(page)-1].ID
	}
}

// GetCompany returns a company the principal belongs to (or acts in through
// a connection). Any other company is ErrNotFound.
func (s *Service) GetCompany(ctx context.Context, p Principal, id uuid.UUID) (Company, error) {
	if err := s.canSeeCompany(ctx, p, id); err != nil {
		return Company{}, err
	}
	return s.store.GetCompany(ctx, id)
}

// CompanyRef addresses a company by exactly one of its ID, external key,
// one of its domains (seed 000's domain_id) or Merchant.
type CompanyRef struct {
	ID          uuid.UUID
	ExternalKey string
	Domain      string
	// Merchant is seed 000's merchant_id: the company's ID when it is a
	// UUID in canonical form (36 characters, as gatehouse writes IDs),
	// else its external key. No external key reads as a UUID (they are
	// refused when set), so a key never shadows an ID.
	Merchant string
}

// FindCompany resolves a CompanyRef to a company the principal may act
// in: one where its user is an active member, or a customer connected to
// an agency it acts for (a user: any agency where they hold an agency
// role; an API token: its own company only, see Principal.TokenCompanyID).
// Act there with p.In(company.ID). ErrInvalid when the reference is empty (field "merchant_id") or holds
// text CheckText refuses (field "external_key", "domain_id" or
// "merchant_id"), before any store is asked; ErrNotFound for an unknown
// company or one the principal may not act in, the same error for both.
func (s *Service) FindCompany(ctx context.Context, p Principal, ref CompanyRef) (Company, error) {
	if p.IsZero() {
		return Company{}, Unauthenticated("no principal")
	}
	var c Company
	var err error
	switch {
	case ref.ID != uuid.Nil:
		c, err = s.store.GetCompany(ctx, ref.ID)
	case ref.ExternalKey != "":
		if err := CheckText("external_key", ref.ExternalKey); err != nil {
			return Company{}, err
		}
		c, err = s.store.GetCompanyByExternalKey(ctx, ref.ExternalKey)
	case ref.Domain != "":
		d, derr := normalizeDomain("domain_id", ref.Domain)
		if derr != nil {
			return Company{}, derr
		}
		c, err = s.store.GetCompanyByDomain(ctx, d)
	case ref.Merchant != "":
		if err := CheckText("merchant_id", ref.Merchant); err != nil {
			return Company{}, err
		}
		if id, perr := uuid.Parse(ref.Merchant); perr == nil && len(ref.Merchant) == 36 {
			// An ID, and only an ID: no key can take its place.
			c, err = s.store.GetCompany(ctx, id)
		} else {
			c, err = s.store.GetCompanyByExternalKey(ctx, ref.Merchant)
		}
	default:
		return Company{}, Invalid("merchant_id", "either a merchant_id or a domain_id is required")
	}
	if err != nil {
		return Company{}, err
	}
	if err := s.canSeeCompany(ctx, p, c.ID); err != nil {
		return Company{}, err
	}
	return c, nil
}

func (s *Service) canSeeCompany(ctx context.Context, p Principal, id uuid.UUID) error {
	switch p.Kind {
	case PrincipalSystem:
		return nil
	case PrincipalNone:
		return Unauthenticated("no principal")
	case PrincipalToken:
		// Its own company, or a customer connected to it: where the
		// authorizer lets it act (Check), and nowhere else.
		q := p.In(id)
		f, err := s.store.CheckAccess(ctx, s.accessQuery(&q, ""))
		if err != nil {
			return err
		}
		if err := tokenStanding(q, f); err != nil {
			return NotFound(CodeCompanyNotFound)
		}
		if q.reachAgency() == uuid.Nil && !f.Active {
			return NotFound(CodeCompanyNotFound)
		}
		return nil
	}
	f, err := s.store.CheckAccess(ctx, AccessQuery{CompanyID: id, UserID: p.UserID, AgencyRoles: s.agencyRoles})
	if err != nil {
		return err
	}
	if !(f.Member && f.Active && p.InSessionScope(id)) && !f.Connected {
		return NotFound(CodeCompanyNotFound)
	}
	if !f.Member && f.Connected && p.SessionConfined {
		// Reached through a connection: a provisioned session only
		// through its own companies' (agencyConnection says which).
		q := p
		q.CompanyID = id
		if _, err := s.agencyConnection(ctx, q, ""); err != nil {
			return err
		}
	}
	return nil
}

// CompanyUpdate changes a company. Nil fields are left as they are.
type CompanyUpdate struct {
	Name        *string
	ExternalKey *string
	Domains     *[]string
}

// UpdateCompany changes the principal's company; it needs an active ADMIN
// or above. Errors: ErrInvalid naming the field (an external key that
// reads as a UUID included); ErrConflict for a taken external key or
// domain.
func (s *Service) UpdateCompany(ctx context.Context, p Principal, up CompanyUpdate) (Company, error) {
	// The input is checked before the store is asked anything.
	var name string
	var domains []string
	var err error
	if up.Name != nil {
		if name, err = normalizeCompanyName(*up.Name); err != nil {
			return Company{}, err
		}
	}
	if up.ExternalKey != nil {
		if err := checkExternalKey(*up.ExternalKey); err != nil {
			return Company{}, err
		}
	}
	if up.Domains != nil {
		if domains, err = normalizeDomains(*up.Domains); err != nil {
			return Company{}, err
		}
	}
	var out Company
	err = s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.Authorize(ctx, p, "")
		if err != nil {
			return err
		}
		if !a.system && (a.role == "" || a.level < LevelAdmin) {
			// A role, not only a level: neither an agency nor a token that
			// does not carry its creator's whole role changes the company.
			return Forbidden("changing the company needs a membership at ADMIN or above")
		}
		c, err := s.store.GetCompany(ctx, p.CompanyID)
		if err != nil {
			return err
		}
		if up.Name != nil {
			c.Name = name
		}
		if up.ExternalKey != nil {
			c.ExternalKey = *up.ExternalKey
		}
		if up.Domains != nil {
			c.Domains = domains
		}
		c.UpdatedAt = s.Now()
		if err := s.store.UpdateCompany(ctx, &c); err != nil {
			return err
		}
		out = c
		return s.Audit(ctx, p, c.ID, "company.updated", "company:"+c.ID.String(), map[string]string{"name": c.Name})
	})
	return out, err
}

// DeleteCompany deletes the principal's company with its memberships,
// grants and connections; only an active OWNER may. Every check in it
// fails from the next call on.
func (s *Service) DeleteCompany(ctx context.Context, p Principal) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		a, err := s.Authorize(ctx, p, "")
		if err != nil {
			return err
		}
		if !a.system && a.role != RoleOwner {
			return Forbidden("only an OWNER may delete the company")
		}
		if err := s.store.LockCompany(ctx, p.CompanyID); err != nil {
			return err
		}
		if err := s.store.DeleteCompany(ctx, p.CompanyID); err != nil {
			return err
		}
		return s.Audit(ctx, p, uuid.Nil, "company.deleted", "company:"+p.CompanyID.String(), nil)
	})
}

// ListMyCompanies lists the companies of the principal's user with the
// user's membership in each.
func (s *Service) ListMyCompanies(ctx context.Context, p Principal, f MemberFilter) (Page[UserCompany], error) {
	if p.Kind != PrincipalUser {
		if p.IsZero() {
			return Page[UserCompany]{}, Unauthenticated("no principal")
		}
		return Page[UserCompany]{}, Forbidden("only a user has companies")
	}
	page, err := s.listUserCompanies(ctx, p.UserID, f)
	if err != nil || !p.SessionConfined {
		return page, err
	}
	// A confined session lists only the companies it may reach: its user's
	// others stay out of its sight.
	page.Items = slices.DeleteFunc(page.Items, func(uc UserCompany) bool { return !p.InSessionScope(uc.CompanyID) })
	return page, nil
}

func (s *Service) listUserCompanies(ctx context.Context, userID uuid.UUID, f MemberFilter) (Page[UserCompany], error) {
	c, err := f.Page.Cursor()
	if err != nil {
		return Page[UserCompany]{}, err
	}
	limit := c.Limit
	c.Limit++
	rows, err := s.store.ListUserCompanies(ctx, userID, f.Active, c)
	if err != nil {
		return Page[UserCompany]{}, err
	}
	return pageOf(rows, limit, func(r UserCompany) uuid.UUID { return r.ID }), nil
}
