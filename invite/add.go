package invite

import (
	"context"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// Add brings the person with in.Email into the principal's company, with
// their consent where it is needed: a user the principal can already see
// (access.Service.SeesUser: it shares a company with them) is added at once
// (access.Service.AddMember); anyone else, a new e-mail or the user of
// other companies alike, is invited (Invite) and joins by accepting. The
// result of an invitation is the same whether the e-mail had an account or
// not, and holds nothing of that account: Add never tells the caller who
// has one. It needs USER_ADD and the rank rules, in one transaction.
// Errors: ErrInvalid naming the field; ErrConflict (CodeAlreadyMember) for
// a member of the company; ErrForbidden.
func (s *Service) Add(ctx context.Context, p access.Principal, in NewInvitation) (Added, error) {
	if err := s.checkTerms(in.Email, in.Role, in.Permissions); err != nil {
		return Added{}, err
	}
	return s.addOrInvite(ctx, p, in, func(ctx context.Context) (access.Member, error) {
		return s.acc.AddMember(ctx, p, access.NewMember{Email: in.Email, Role: in.Role, Permissions: in.Permissions})
	})
}

// NewGrant is the input of Grant: seed 000's grant of a role by e-mail.
type NewGrant struct {
	Email string
	Role  string
}

// Grant is seed 000's grant of access, with consent: a user the principal
// can already see (access.Service.SeesUser) is provisioned at once
// (token.Service.Provision with Notify: their membership is created or
// changed to in.Role under the rank rules, and they hear of it through the
// token Notifier, with a login link when the company owns their account);
// anyone else, a new e-mail or the user of other companies alike, is
// invited (Invite) and joins by accepting. As with Add, the result of an
// invitation does not tell whether the e-mail had an account. Needs
// USER_ADD, in one transaction. Errors: ErrInvalid naming the field;
// ErrForbidden; ErrLastOwner.
func (s *Service) Grant(ctx context.Context, p access.Principal, in NewGrant) (Added, error) {
	if err := s.checkTerms(in.Email, in.Role, nil); err != nil {
		return Added{}, err
	}
	return s.addOrInvite(ctx, p, NewInvitation{Email: in.Email, Role: in.Role}, func(ctx context.Context) (access.Member, error) {
		pv, err := s.tok.Provision(ctx, p, token.Provision{Email: in.Email, Role: in.Role, Notify: true})
		return pv.Member, err
	})
}

// Added is what Add and Grant did: a member taken at once, or an
// invitation sent.
type Added struct {
	// Member is the member added (Add) or provisioned (Grant), a user the
	// principal could already see; zero when Invited.
	Member access.Member
	// Invited says the e-mail was invited instead: its user is new or one
	// the principal cannot see, and nothing here tells which.
	Invited bool
	// Issued is the invitation, when Invited. Its Token is shown only here
	// and to the Notifier.
	Issued Issued
}

// checkTerms refuses malformed terms before anything is read, the same way
// for every e-mail.
func (s *Service) checkTerms(email, role string, perms []string) error {
	if _, err := access.NormalizeEmail(email); err != nil {
		return err
	}
	if _, err := s.acc.Catalog().ParseRole("role", role); err != nil && !access.MayBeCompanyRole(role) {
		return err
	}
	_, err := s.acc.Catalog().ParsePermissions("permissions", perms)
	return err
}

// addOrInvite takes the user at once with join when the principal can see
// them, and invites the e-mail otherwise, in one transaction.
func (s *Service) addOrInvite(ctx context.Context, p access.Principal, in NewInvitation, join func(ctx context.Context) (access.Member, error)) (Added, error) {
	var out Added
	err := s.acc.InTx(ctx, func(ctx context.Context) error {
		seen, err := s.acc.SeesUser(ctx, p, in.Email)
		if err != nil {
			return err
		}
		if seen {
			out = Added{}
			out.Member, err = join(ctx)
			return err
		}
		out = Added{Invited: true}
		out.Issued, err = s.Invite(ctx, p, in)
		return err
	})
	if err != nil {
		return Added{}, err
	}
	return out, nil
}
