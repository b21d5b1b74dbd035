package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/token"
)

// world is what the clients act on, made before the first mix.
type world struct {
	companies []company
	// hot is the company whose roles every role change contends for.
	hot struct {
		id      uuid.UUID
		owners  []string    // API tokens of its four OWNERs
		targets []uuid.UUID // the OWNERs and 16 members
	}
	emails atomic.Int64 // numbers the invited e-mails
}

// company is one that invites: its OWNER's and its ADMIN's API tokens.
// Neither is ever demoted, so every membership they granted must stay at
// or below their level.
type company struct {
	id                  uuid.UUID
	ownerToken, adminTk string
}

// seedWorld makes the companies through one instance's services.
func seedWorld(ctx context.Context, in *instance, c config) (*world, error) {
	sys := access.SystemPrincipal()
	w := &world{}
	for i := range c.companies {
		owner, err := in.acc.CreateUser(ctx, sys, access.NewUser{Email: fmt.Sprintf("owner@c%d.load.example", i)})
		if err != nil {
			return nil, err
		}
		comp, err := in.acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: fmt.Sprintf("Load %d", i)})
		if err != nil {
			return nil, err
		}
		op := access.UserPrincipal(owner.ID, comp.ID)
		admin, err := in.acc.AddMember(ctx, op, access.NewMember{Email: fmt.Sprintf("admin@c%d.load.example", i), Role: access.RoleAdmin, CreateUser: true})
		if err != nil {
			return nil, err
		}
		for j := 2; j < c.members; j++ { // the owner and the admin are members too
			if _, err := in.acc.AddMember(ctx, op, access.NewMember{Email: fmt.Sprintf("m%d@c%d.load.example", j, i), Role: access.RoleViewer, CreateUser: true}); err != nil {
				return nil, err
			}
		}
		ot, err := in.tok.Create(ctx, op, token.NewToken{Name: "load owner", Role: access.RoleOwner})
		if err != nil {
			return nil, err
		}
		at, err := in.tok.Create(ctx, access.UserPrincipal(admin.User.ID, comp.ID), token.NewToken{Name: "load admin", Role: access.RoleAdmin})
		if err != nil {
			return nil, err
		}
		w.companies = append(w.companies, company{id: comp.ID, ownerToken: ot.Secret.Reveal(), adminTk: at.Secret.Reveal()})
	}

	// The shared company: four OWNERs, each with a token, and 16
	// members. The system adds them (no member granted another's
	// membership), since the OWNERs demote each other.
	first, err := in.acc.CreateUser(ctx, sys, access.NewUser{Email: "owner0@hot.load.example"})
	if err != nil {
		return nil, err
	}
	hot, err := in.acc.CreateCompany(ctx, access.UserPrincipal(first.ID, uuid.Nil), access.NewCompany{Name: "Shared"})
	if err != nil {
		return nil, err
	}
	w.hot.id = hot.ID
	owners := []uuid.UUID{first.ID}
	hp := sys
	hp.CompanyID = hot.ID
	for i := 1; i < 4; i++ {
		m, err := in.acc.AddMember(ctx, hp, access.NewMember{Email: fmt.Sprintf("owner%d@hot.load.example", i), Role: access.RoleOwner, CreateUser: true})
		if err != nil {
			return nil, err
		}
		owners = append(owners, m.User.ID)
	}
	w.hot.targets = append(w.hot.targets, owners...)
	for i := range 16 {
		m, err := in.acc.AddMember(ctx, hp, access.NewMember{Email: fmt.Sprintf("m%d@hot.load.example", i), Role: access.RoleViewer, CreateUser: true})
		if err != nil {
			return nil, err
		}
		w.hot.targets = append(w.hot.targets, m.User.ID)
	}
	for _, o := range owners {
		t, err := in.tok.Create(ctx, access.UserPrincipal(o, hot.ID), token.NewToken{Name: "load hot owner", Role: access.RoleOwner})
		if err != nil {
			return nil, err
		}
		w.hot.owners = append(w.hot.owners, t.Secret.Reveal())
	}
	return w, nil
}
