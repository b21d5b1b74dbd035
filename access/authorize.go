package access

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
)

// Check returns nil if p may use permission perm in p's company, decided
// from current stored state: an active membership whose role or extra
// permissions hold perm and do not withhold it, or an agency connection
// whose permissions hold it while the user's membership in that agency
// (for a token, its creator's) holds it too (reachHolds); for an API token
// also the token's own permissions. It fails with
// ErrUnauthenticated for no principal, ErrNotFound when p has no relation to
// the company (so the company cannot be probed), ErrForbidden otherwise.
// A permission the catalog does not know is a mistake of the caller, not a
// denial: ErrInvalid (field "permission") naming it, for every principal.
func (s *Service) Check(ctx context.Context, p Principal, perm string) error {
	return s.checkKnown(ctx, p, perm, nil)
}

// checkKnown is Check deciding, when known is not nil, from known: p's
// membership in its company, read in the transaction of ctx, for a
// principal that acts through its membership (not through a connection),
// which for a role of the catalog is all CheckAccess would report of it
// for perm (memberFacts). One statement fewer on every write path that
// also needs the membership (Authorize).
func (s *Service) checkKnown(ctx context.Context, p Principal, perm string, known *Membership) error {
	err := s.check(ctx, &p, perm, known)
	if err == nil && p.Kind != PrincipalSystem {
		// A granted check holds a known permission, and stays one
		// lookup (and reads p by reference only: a Principal is large).
		return nil
	}
	// Only a refusal (or the system's pass) asks whether perm exists.
	if (err == nil || isDenial(err) || p.IsZero()) && !s.catalog.HasPermission(perm) {
		return Invalid("permission", "unknown permission %q", perm)
	}
	return err
}

// check takes p by reference: a Principal is large, and the check is the
// hot path.
func (s *Service) check(ctx context.Context, p *Principal, perm string, known *Membership) error {
	switch p.Kind {
	case PrincipalSystem:
		return nil
	case PrincipalUser, PrincipalToken:
	default:
		return Unauthenticated("no principal")
	}
	if p.Kind == PrincipalToken && !slices.Contains(p.TokenPermissions, perm) {
		return Forbidden("the token does not hold %s", perm)
	}
	var f AccessFacts
	var err error
	if _, catalogRole := s.catalog.roles[roleOf(known)]; catalogRole {
		f = memberFacts(*known, perm)
	} else if f, err = s.store.CheckAccess(ctx, s.accessQuery(p, perm)); err != nil {
		return err
	}
	if p.Kind == PrincipalToken {
		if err := tokenStanding(*p, f); err != nil {
			return err
		}
	}
	switch {
	case f.Member && !f.Active:
		return errInactive
	case f.Member:
		if holds(s.catalog.roleHolds(&f, perm), f.HasExtra, f.Withheld) {
			return nil
		}
	case f.Connected:
		if !f.ConnectionHas {
			break
		}
		if p.SessionConfined {
			// An agency outside the session is unknown, before any cap.
			if _, err := s.agencyConnection(ctx, *p, perm); err != nil {
				return err
			}
		}
		if !s.reachHolds(f.AgencyRole, perm, f.AgencyHasExtra, f.AgencyWithheld) {
			return Forbidden("the membership in the agency does not hold %s", perm)
		}
		if !p.SessionConfined {
			s.reached(ctx, *p, f.ConnectionID, uuid.Nil)
		}
		return nil
	default:
		return NotFound(CodeCompanyNotFound)
	}
	return Forbidden("missing permission %s", perm)
}

// roleOf is the role code of a known membership, "" for none.
func roleOf(known *Membership) string {
	if known == nil {
		return ""
	}
	return known.Role
}

// memberFacts are the facts CheckAccess reports for perm of a user who
// holds membership m, of a role of the catalog, in the company (and who
// then is never looked up through a connection), as both stores compute
// them. A company's own role is the store's to answer.
func memberFacts(m Membership, perm string) AccessFacts {
	return AccessFacts{Member: true, MemberSince: m.CreatedAt, Active: m.Active, Role: m.Role,
		HasExtra: perm != "" && slices.Contains(m.Extra, perm), Withheld: perm != "" && slices.Contains(m.Withheld, perm)}
}

// Can is Check as a boolean: false for a denial, an error only for a
// storage failure, a missing principal or an unknown permission.
func (s *Service) Can(ctx context.Context, p Principal, perm string) (bool, error) {
	err := s.Check(ctx, p, perm)
	if err == nil {
		return true, nil
	}
	if isDenial(err) {
		return false, nil
	}
	return false, err
}

func isDenial(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && (e.Kind == ErrForbidden || e.Kind == ErrNotFound)
}

// CheckLevel returns nil if p holds at least level min on resource r of p's
// company: through its active membership's role (which covers the whole
// account), or through a grant on r or on the account. For a token, its own
// level and grants are capped by its creator's. Errors as Check.
func (s *Service) CheckLevel(ctx context.Context, p Principal, r Resource, min int) error {
	lvl, err := s.Level(ctx, p, r)
	if err != nil {
		return err
	}
	if lvl < min {
		return Forbidden("access level %d on %s is below %d", lvl, r.Type, min)
	}
	return nil
}

// Level returns the effective level p holds on resource r of p's company.
// Errors as Check; a deactivated member gets ErrForbidden.
func (s *Service) Level(ctx context.Context, p Principal, r Resource) (int, error) {
	s.attempting(ctx, p, "")
	switch p.Kind {
	case PrincipalSystem:
		return LevelOwner, nil
	case PrincipalUser, PrincipalToken:
	default:
		return 0, Unauthenticated("no principal")
	}
	r, err := r.normalize()
	if err != nil {
		return 0, err
	}
	// Levels on resources are held through a membership only: an agency
	// acts by the connection's permissions (Check), never by level.
	q := AccessQuery{CompanyID: p.CompanyID, UserID: p.UserID, Resource: r, Agency: p.reachAgency()}
	if p.Kind == PrincipalToken {
		q.TokenID = p.TokenID
	}
	f, err := s.store.CheckAccess(ctx, q)
	if err != nil {
		return 0, err
	}
	if !f.Member {
		return 0, NotFound(CodeCompanyNotFound)
	}
	if p.Kind == PrincipalToken {
		if err := tokenStanding(p, f); err != nil {
			return 0, err
		}
	}
	if !f.Active {
		return 0, errInactive
	}
	roleLevel := s.catalog.roleLevel(&f)
	if roleLevel == 0 {
		return 0, nil // unknown role: fail closed
	}
	lvl := max(roleLevel, f.GrantLevel)
	if p.Kind == PrincipalToken {
		lvl = min(lvl, max(p.TokenLevel, f.TokenGrantLevel))
	}
	return lvl, nil
}

// reachHolds is the one rule of what reach holds beyond the connection:
// a permission the connection grants is held in the customer only when
// the acting user's membership in the agency holds it too (holds
// on its role, extra and withheld permissions): a session's own
// membership, a token's creator's (the token's own permissions cap it
// besides). Check asks it with the store's facts of the one connection
// CheckAccess chose, Authorize with that agency membership's lists, so an
// agency ADMIN without USER_DELETE never deletes in a customer whose
// connection grants it.
func (s *Service) reachHolds(agencyRole, perm string, inExtra, inWithheld bool) bool {
	// Agency roles are catalog roles (AccessQuery.AgencyRoles): a
	// company's own role never reaches through a connection.
	return holds(s.catalog.RoleHas(agencyRole, perm), inExtra, inWithheld)
}

// tokenHoldsRole reports whether a token's ceiling covers the role of its
// creator: the level and every permission the role gives the creator
// (its default permissions less those withheld from the creator).
func tokenHoldsRole(p Principal, level int, r Role, withheld []string) bool {
	if p.TokenLevel < level || r.Code == "" {
		return false
	}
	for _, perm := range r.Permissions {
		if holds(true, false, slices.Contains(withheld, perm)) && !slices.Contains(p.TokenPermissions, perm) {
			return false
		}
	}
	return true
}

// The refusals every authorization path shares, each written once.
var (
	errInactive      = Forbidden("the membership is deactivated")
	errTokenPredates = Forbidden("the token predates its creator's current membership")
	errOutranked     = Forbidden("only an OWNER may change a member at or above their own level")
)

// accessQuery is the store question of p's checks in its company: the
// membership or any agency of p's user, or for a token acting outside
// its own company only the connection from that company.
func (s *Service) accessQuery(p *Principal, perm string) AccessQuery {
	return AccessQuery{CompanyID: p.CompanyID, UserID: p.UserID, Permission: perm, AgencyRoles: s.agencyRoles,
		Agency: p.reachAgency()}
}

// tokenStanding refuses a token whose creator is no longer a member of the
// token's company, or is a member again only since after the token was
// made. In its own company a token acts through its creator's membership
// only, never through a connection its creator reaches it by (a token of
// the customer made by an agency member is no agency token). In a customer
// of its company it acts through that connection only, while its creator
// is an active member of its company in an agency role (Connected) since
// before the token was made: reach is the connection's permissions ∩ the
// token's own ∩ that membership.
func tokenStanding(p Principal, f AccessFacts) error {
	if p.reachAgency() != uuid.Nil {
		if !f.Connected {
			return NotFound(CodeCompanyNotFound)
		}
		if f.AgencySince.After(p.TokenIssuedAt) {
			return errTokenPredates
		}
		return nil
	}
	if !f.Member {
		return NotFound(CodeCompanyNotFound)
	}
	if f.MemberSince.After(p.TokenIssuedAt) {
		return errTokenPredates
	}
	return nil
}

// Actor is a principal resolved against stored state for write paths: its
// level in the company and the permissions it holds, for the rank rules.
// Get one from Service.Authorize inside the transaction of the change.
type Actor struct {
	p      Principal
	system bool
	level  int
	role   string
	perms  map[string]bool
	agency bool       // acting through an agency connection
	conn   Connection // that connection
}

// IsMember reports whether the actor acts through its own membership of
// the company with its whole role (or is the system): not an agency acting
// through a connection, nor a token holding less than its creator's role.
// Connections are managed by such actors only.
func (a Actor) IsMember() bool { return a.system || a.role != "" }

// Agency reports whether the actor acts through an agency connection
// rather than a membership of the company.
func (a Actor) Agency() bool { return a.agency }

// Level is the actor's level in the company (above OWNER for the system).
func (a Actor) Level() int { return a.level }

// Role is the actor's role code ("" for the system and agency members).
func (a Actor) Role() string { return a.role }

// Permissions lists the permissions the actor holds (nil for the system,
// which holds all).
func (a Actor) Permissions() []string {
	var out []string
	for c := range a.perms {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Has reports whether the actor holds perm.
func (a Actor) Has(perm string) bool { return a.system || a.perms[perm] }

// Authorize checks perm (when not "") and loads p's rank in its company:
// its membership's role and permissions, or for an agency member the
// connection's permissions that their agency membership holds too
// (reachHolds) at ADMIN rank, capped by a token's own ceiling.
// Errors as Check.
func (s *Service) Authorize(ctx context.Context, p Principal, perm string) (Actor, error) {
	return s.authorizeKnown(ctx, p, perm, nil)
}

// authorizeKnown is Authorize with p's membership in its company already
// read in the transaction of ctx (known; nil: Authorize reads it), as a
// write path that reads several memberships at once has it.
func (s *Service) authorizeKnown(ctx context.Context, p Principal, perm string, known *knownMembership) (Actor, error) {
	s.attempting(ctx, p, perm)
	if p.Kind == PrincipalSystem {
		return Actor{p: p, system: true, level: LevelOwner + 1}, nil
	}
	var m Membership
	var err error
	switch {
	case p.reachAgency() != uuid.Nil:
		// A token in a customer of its company: the connection only,
		// never a membership its creator holds there.
		err = NotFound(CodeMembershipNotFound)
	case known != nil:
		m, err = known.m, known.err
	default:
		m, err = s.store.GetMembership(ctx, p.CompanyID, p.UserID)
	}
	if perm != "" {
		// With the membership read, the check decides from it (one
		// statement, not two); without one, the store answers.
		var held *Membership
		if err == nil {
			held = &m
		}
		if err := s.checkKnown(ctx, p, perm, held); err != nil {
			return Actor{}, err
		}
	}
	a := Actor{p: p, perms: map[string]bool{}}
	var withheld []string
	var role Role
	switch {
	case err == nil && p.Kind == PrincipalToken && m.CreatedAt.After(p.TokenIssuedAt):
		return Actor{}, errTokenPredates
	case err == nil && m.Active:
		if role, err = s.MemberRole(ctx, m); err != nil {
			return Actor{}, err
		}
		a.role = m.Role
		a.level = role.Level
		withheld = m.Withheld
		for _, c := range EffectiveOf(role, m.Extra, m.Withheld) {
			a.perms[c] = true
		}
	case err == nil:
		return Actor{}, errInactive
	case isNotFound(err) && p.Kind == PrincipalToken && p.reachAgency() == uuid.Nil:
		return Actor{}, NotFound(CodeCompanyNotFound)
	case isNotFound(err):
		// An agency member acting through a connection: the connection's
		// permissions that their agency membership holds too (for a
		// token, its creator's), at most ADMIN's rank for granting, and
		// no role: it manages members, never the company itself.
		conn, cerr := s.agencyConnection(ctx, p, perm)
		if cerr != nil {
			return Actor{}, cerr
		}
		am, cerr := s.store.GetMembership(ctx, conn.AgencyID, p.UserID)
		if isNotFound(cerr) || cerr == nil && !(am.Active && slices.Contains(s.agencyRoles, am.Role)) {
			return Actor{}, NotFound(CodeCompanyNotFound) // left the agency meanwhile
		}
		if cerr != nil {
			return Actor{}, cerr
		}
		a.level = LevelAdmin
		a.agency, a.conn = true, conn
		for _, c := range conn.Permissions {
			if s.reachHolds(am.Role, c, slices.Contains(am.Extra, c), slices.Contains(am.Withheld, c)) {
				a.perms[c] = true
			}
		}
	default:
		return Actor{}, err
	}
	if p.Kind == PrincipalToken {
		if !tokenHoldsRole(p, a.level, role, withheld) {
			// A token that does not hold its creator's whole role (its
			// level and every permission of it) has none of the role's
			// own privileges: an OWNER's VIEWER token is no OWNER, nor is
			// an OWNER-level token without permissions.
			a.role = ""
		}
		a.level = min(a.level, p.TokenLevel)
		for c := range a.perms {
			if !slices.Contains(p.TokenPermissions, c) {
				delete(a.perms, c)
			}
		}
	}
	return a, nil
}

// knownMembership is the answer of a membership read (GetMembership):
// the membership, or its error (ErrNotFound when there is none).
type knownMembership struct {
	m   Membership
	err error
}

// agencyConnection finds the connection through which p acts in its
// company: for perm, the one Check accepted (CheckAccess prefers a
// connection whose permissions hold it), so rank and permissions come from
// the same connection as the permission did.
func (s *Service) agencyConnection(ctx context.Context, p Principal, perm string) (Connection, error) {
	f, err := s.store.CheckAccess(ctx, s.accessQuery(&p, perm))
	if err != nil {
		return Connection{}, err
	}
	if !f.Connected {
		return Connection{}, NotFound(CodeCompanyNotFound)
	}
	if p.Kind == PrincipalToken {
		if err := tokenStanding(p, f); err != nil {
			return Connection{}, err
		}
	}
	c, err := s.store.GetConnection(ctx, p.CompanyID, f.ConnectionID)
	if isNotFound(err) {
		// Removed since CheckAccess read it: no relation, as after.
		return Connection{}, NotFound(CodeCompanyNotFound)
	}
	if err != nil {
		return Connection{}, err
	}
	if !p.InSessionScope(c.AgencyID) {
		// A confined session reaches only through its own companies'
		// connections; any other agency the user joined is not its.
		return Connection{}, NotFound(CodeCompanyNotFound)
	}
	s.reached(ctx, p, c.ID, c.AgencyID)
	return c, nil
}

// CanManage applies the rank rule to a target member: only an OWNER may
// change or remove a member whose level is equal to or above their own.
// An agency acting at ADMIN rank in its customer (a partner managing its
// merchant's users) manages every member below OWNER, the ADMINs it may
// grant included; the customer's OWNERs are the customer's own.
func (a Actor) CanManage(targetLevel int) bool {
	if a.agency && a.level >= LevelAdmin && targetLevel < LevelOwner {
		return true
	}
	return a.system || outranks(a.level, targetLevel, a.role == RoleOwner)
}

// outranks is the rank rule of managing: a level above the target's, or an
// OWNER's at or above it. Members (Actor.CanManage) and grants
// (Service.Revoke) are managed by it alike.
func outranks(own, target int, owner bool) bool { return own > target || owner && own >= target }

// withinOwn is the rank rule's ceiling, for a role (Actor.CanGrant) and for
// a level on a resource (Service.Grant): never above the granter's own.
func withinOwn(level, own int) error {
	if level > own {
		return Forbidden("cannot grant a level above your own (%d > %d)", level, own)
	}
	return nil
}

// CanGrant applies the ceiling: never a role above one's own level nor a
// permission one lacks.
func (a Actor) CanGrant(level int, perms []string) error {
	if !a.system {
		if err := withinOwn(level, a.level); err != nil {
			return err
		}
	}
	for _, c := range perms {
		if !a.Has(c) {
			return Forbidden("cannot grant permission %s you do not hold", c)
		}
	}
	return nil
}
