// Package access is the core of gatehouse: users, companies (tenants),
// roles and permissions, memberships, resource-scoped grants, agency
// connections, switching the active company, the authorizer and the audit
// trail.
//
// Everything goes through a Service built over a Store (store/memstore for
// tests and trying out, store/bunstore for PostgreSQL):
//
//	svc := access.NewService(memstore.New())
//	alice, _ := svc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "alice@example.com"})
//	acme, _ := svc.CreateCompany(ctx, access.UserPrincipal(alice.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
//	owner := access.UserPrincipal(alice.ID, acme.ID)
//	err := svc.Check(ctx, owner, access.UserAdd) // nil: OWNER holds every permission
//
// Every method takes the acting Principal (a user in a company, an API
// token, or the trusted system) and checks it against current stored state
// before it touches data; nothing is allowed by default. The rank rules
// hold everywhere: no one grants a role above their own level or a
// permission they lack, no one raises their own role, only an OWNER changes
// or removes a member at or above their own level, and a company with
// members always keeps an active OWNER.
//
// The Service is the one gateway to users, companies, memberships,
// grants, connections and the audit trail, and the one home of their
// rules: the rank rules are Actor's CanGrant and CanManage and the
// membership change behind UpdateMember and ProvisionMember; the last-owner
// rule is checked where memberships change; "the higher level stays" when
// grants pass to a new member. Packages invite and token keep only their
// own tables and call the Service's checked operations (AddMember,
// ProvisionMember, Connect, SignIn, RemoveSubjectGrants) in the shared
// transaction; they register their grant subjects (RegisterSubject) when
// they are built on it.
//
// Errors wrap one of ErrNotFound, ErrConflict, ErrInvalid,
// ErrUnauthenticated and ErrForbidden; *Error carries a stable Code (every
// one a constant in errors.go) and the offending field. An ID that belongs
// to another company is ErrNotFound, exactly like one that does not exist.
package access
