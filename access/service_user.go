package access

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// CreateUser creates a user. Allowed to the system principal and to
// principals holding USER_ADD in their company. A NewUser.Password, which
// only the system may set (a sign-up the host accepted: a company's admin
// never chooses the password of an account that is not theirs), is
// checked by the password policy and its hash stored in the same
// transaction. Errors: ErrInvalid naming the field ("password" for the
// policy's refusals); ErrConflict (code "email_taken") for a taken e-mail.
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser) (User, error) {
	if p.Kind != PrincipalSystem {
		if err := s.Check(ctx, p, UserAdd); err != nil {
			return User{}, err
		}
		if in.Password != "" {
			return User{}, Forbidden("only the system sets a new user's password")
		}
	}
	return s.createUser(ctx, p, in)
}

// createUser is CreateUser once p is allowed (the zero principal: a
// sign-up, recorded as anonymous).
func (s *Service) createUser(ctx context.Context, p Principal, in NewUser) (User, error) {
	u, err := s.newUser(in)
	if err != nil {
		return User{}, err
	}
	cred, err := s.newCredentials(ctx, in)
	if err != nil {
		return User{}, err
	}
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.CreateUser(ctx, &u); err != nil {
			return err
		}
		if cred != nil {
			cred.UserID, cred.UpdatedAt = u.ID, u.CreatedAt
			if err := s.store.PutCredentials(ctx, cred); err != nil {
				return err
			}
		}
		return s.Audit(ctx, p, p.CompanyID, "user.created", userTarget(u.ID), nil)
	})
	return u, err
}

// SignUp creates the account of a person who signs up on their own, with a
// password (required: an account without one would hold the e-mail for no
// one). Whether anyone may sign up is the host's decision (over HTTP,
// httpadapter.WithPublicSignUp); the account joins no company. Audited as
// an anonymous sign-up. Errors as CreateUser, and ErrInvalid naming
// "password" when it is missing.
func (s *Service) SignUp(ctx context.Context, in NewUser) (User, error) {
	if in.Password == "" {
		return User{}, Invalid("password", "a password is required to sign up")
	}
	return s.createUser(ctx, Principal{}, in)
}

// newUser validates input into a User with a fresh ID.
func (s *Service) newUser(in NewUser) (User, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	if err := validateName("first_name", in.FirstName); err != nil {
		return User{}, err
	}
	if err := validateName("last_name", in.LastName); err != nil {
		return User{}, err
	}
	if err := in.Profile.validate(); err != nil {
		return User{}, err
	}
	now := s.Now()
	return User{ID: s.newID(), Email: email, FirstName: in.FirstName, LastName: in.LastName,
		Status: UserActive, Profile: in.Profile, CreatedAt: now, UpdatedAt: now}, nil
}

// GetUser returns a user the principal may see: itself, or a member of the
// principal's company when it holds USER_VIEW there. Anyone else is
// ErrNotFound, as if the user did not exist.
func (s *Service) GetUser(ctx context.Context, p Principal, id uuid.UUID) (User, error) {
	if err := s.canSeeUser(ctx, p, id); err != nil {
		return User{}, err
	}
	return s.store.GetUser(ctx, id)
}

// GetUsers returns, keyed by ID, the users among ids that GetUser would
// return to the principal, leaving out the others (unknown, or not the
// principal's to see). For the system principal it is one store read
// whatever the number of IDs (a service's look-up of users it already
// may show, such as the creators of the tokens on a page); for others,
// GetUser's rule for each.
func (s *Service) GetUsers(ctx context.Context, p Principal, ids []uuid.UUID) (map[uuid.UUID]User, error) {
	out := make(map[uuid.UUID]User, len(ids))
	if p.Kind != PrincipalSystem {
		for _, id := range ids {
			u, err := s.GetUser(ctx, p, id)
			switch {
			case err == nil:
				out[id] = u
			case !isNotFound(err):
				return nil, err
			}
		}
		return out, nil
	}
	us, err := s.store.GetUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// GetUserByEmail is GetUser by e-mail. The caller's right to look is
// checked before the look-up, and every refusal is the ErrNotFound of an
// unknown e-mail, so addresses cannot be probed.
func (s *Service) GetUserByEmail(ctx context.Context, p Principal, email string) (User, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if p.IsZero() {
		return User{}, Unauthenticated("no principal")
	}
	mayView := p.Kind == PrincipalSystem || s.Check(ctx, p, UserView) == nil
	u, err := s.store.GetUserByEmail(ctx, norm)
	if err != nil {
		if isNotFound(err) {
			return User{}, NotFound(CodeUserNotFound)
		}
		return User{}, err
	}
	switch {
	case p.Kind == PrincipalSystem, p.Kind == PrincipalUser && p.UserID == u.ID:
		return u, nil
	case !mayView:
		return User{}, NotFound(CodeUserNotFound)
	}
	if _, err := s.store.GetMembership(ctx, p.CompanyID, u.ID); err != nil {
		if isNotFound(err) {
			return User{}, NotFound(CodeUserNotFound)
		}
		return User{}, err
	}
	return u, nil
}

func (s *Service) canSeeUser(ctx context.Context, p Principal, id uuid.UUID) error {
	switch {
	case p.Kind == PrincipalSystem:
		return nil
	case p.IsZero():
		return Unauthenticated("no principal")
	case p.Kind == PrincipalUser && p.UserID == id:
		return nil
	}
	if err := s.Check(ctx, p, UserView); err != nil {
		return err
	}
	if _, err := s.store.GetMembership(ctx, p.CompanyID, id); err != nil {
		if isNotFound(err) {
			return NotFound(CodeUserNotFound)
		}
		return err
	}
	return nil
}

// UpdateUser changes a user's profile: the user itself or the system, any
// field; a principal holding USER_EDIT in a company where the user is a
// member, and outranking them there (the rank rule of UpdateMember), only
// the names (FirstName, LastName): the preferences and the avatar are the
// person's own. Errors: ErrInvalid naming the field; ErrForbidden for a
// company editor touching a personal field or a member it does not
// outrank; ErrNotFound for anyone else (as an unknown user).
func (s *Service) UpdateUser(ctx context.Context, p Principal, id uuid.UUID, up UserUpdate) (User, error) {
	if p.IsZero() {
		return User{}, Unauthenticated("no principal")
	}
	self := p.Kind == PrincipalSystem || p.Kind == PrincipalUser && p.UserID == id
	if err := up.validate(); err != nil {
		return User{}, err
	}
	var out User
	err := s.InTx(ctx, func(ctx context.Context) error {
		if !self {
			if err := s.mayEditNames(ctx, p, id, up); err != nil {
				return err
			}
		}
		u, err := s.store.GetUser(ctx, id)
		if err != nil {
			return err
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&u.FirstName, up.FirstName)
		set(&u.LastName, up.LastName)
		set(&u.Profile.Lang, up.Lang)
		set(&u.Profile.Theme, up.Theme)
		set(&u.Profile.Currency, up.Currency)
		set(&u.Profile.Birthdate, up.Birthdate)
		set(&u.Profile.AvatarURL, up.AvatarURL)
		u.UpdatedAt = s.Now()
		if err := s.store.UpdateUser(ctx, &u); err != nil {
			return err
		}
		out = u
		return s.Audit(ctx, p, p.CompanyID, "user.updated", userTarget(id), nil)
	})
	return out, err
}

// mayEditNames is the company's share of a user's profile: USER_EDIT in
// p's company, where the user is a member p outranks, and only the names.
// A user p may not see is ErrNotFound, as an unknown one.
func (s *Service) mayEditNames(ctx context.Context, p Principal, id uuid.UUID, up UserUpdate) error {
	if err := s.canSeeUser(ctx, p, id); err != nil {
		return NotFound(CodeUserNotFound)
	}
	a, err := s.Authorize(ctx, p, UserEdit)
	if err != nil {
		return err
	}
	m, err := s.member(ctx, p.CompanyID, id)
	if err != nil {
		return err
	}
	level, err := s.RoleLevel(ctx, m.CompanyID, m.Role)
	if err != nil {
		return err
	}
	if !a.CanManage(level) {
		return errOutranked
	}
	if up.Lang != nil || up.Theme != nil || up.Currency != nil || up.Birthdate != nil || up.AvatarURL != nil {
		return Forbidden("a company edits a member's names only; the preferences are the person's own")
	}
	return nil
}

// ListUsers lists the users the principal may see, one keyset page at a
// time: for the system every user (ordered by ID); for anyone else, with
// USER_VIEW, the users of its company's members (ordered as ListMembers
// orders them), and without it only itself. These are exactly the users
// GetUser shows it in its company.
func (s *Service) ListUsers(ctx context.Context, p Principal, pr PageRequest) (Page[User], error) {
	if p.IsZero() {
		return Page[User]{}, Unauthenticated("no principal")
	}
	c, err := pr.Cursor()
	if err != nil {
		return Page[User]{}, err
	}
	if p.Kind != PrincipalSystem {
		return s.listVisibleUsers(ctx, p, pr)
	}
	limit := c.Limit
	c.Limit++
	us, err := s.store.ListUsers(ctx, c)
	if err != nil {
		return Page[User]{}, err
	}
	return pageOf(us, limit, func(u User) uuid.UUID { return u.ID }), nil
}

// listVisibleUsers is ListUsers for a principal that is not the system.
func (s *Service) listVisibleUsers(ctx context.Context, p Principal, pr PageRequest) (Page[User], error) {
	if p.Kind == PrincipalUser && p.CompanyID == uuid.Nil {
		// In no company (just signed up): only itself.
		return s.listSelf(ctx, p, pr)
	}
	members, err := s.ListMembers(ctx, p, MemberFilter{Page: pr})
	if errors.Is(err, ErrForbidden) && p.Kind == PrincipalUser {
		// No USER_VIEW: a user sees itself, a token nothing.
		if _, aerr := s.Authorize(ctx, p, ""); aerr != nil {
			return Page[User]{}, aerr
		}
		return s.listSelf(ctx, p, pr)
	}
	if err != nil {
		return Page[User]{}, err
	}
	out := Page[User]{Items: make([]User, len(members.Items)), Next: members.Next}
	for i, m := range members.Items {
		out.Items[i] = m.User
	}
	return out, nil
}

// listSelf is the one-item listing of the caller itself.
func (s *Service) listSelf(ctx context.Context, p Principal, pr PageRequest) (Page[User], error) {
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil || pr.After != "" {
		return Page[User]{Items: []User{}}, err
	}
	return Page[User]{Items: []User{u}}, nil
}
