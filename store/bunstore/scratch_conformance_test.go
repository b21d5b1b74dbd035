package bunstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/store"
	"github.com/gatehouse-go/gatehouse/store/bunstore"
	"github.com/gatehouse-go/gatehouse/store/storetest"
	"github.com/gatehouse-go/gatehouse/token"
	"github.com/google/uuid"
)

type invStub struct{}

func (invStub) CreateInvitation(ctx context.Context, inv *invite.Invitation) error { panic("stub") }
func (invStub) GetInvitation(ctx context.Context, companyID, id uuid.UUID) (invite.Invitation, error) {
	panic("stub")
}
func (invStub) GetInvitationByHash(ctx context.Context, hash []byte) (invite.Invitation, error) {
	panic("stub")
}
func (invStub) GetPendingInvitation(ctx context.Context, companyID uuid.UUID, kind invite.Kind, email string) (invite.Invitation, error) {
	panic("stub")
}
func (invStub) ClaimInvitation(ctx context.Context, t invite.Transition) error     { panic("stub") }
func (invStub) RotateInvitation(ctx context.Context, r invite.Rotation) error      { panic("stub") }
func (invStub) RefreshInvitation(ctx context.Context, inv *invite.Invitation) error { panic("stub") }
func (invStub) ListPendingInvitations(ctx context.Context, companyID uuid.UUID, kind invite.Kind, now time.Time, c access.Cursor) ([]invite.Invitation, error) {
	panic("stub")
}
func (invStub) ListPendingByEmail(ctx context.Context, email string, now time.Time, c access.Cursor) ([]invite.Invitation, error) {
	panic("stub")
}

type tokStub struct{}

func (tokStub) CreateToken(ctx context.Context, t *token.Token) error            { panic("stub") }
func (tokStub) GetTokenByHash(ctx context.Context, d token.Digest) (token.Token, error) { panic("stub") }
func (tokStub) GetToken(ctx context.Context, companyID, id uuid.UUID) (token.Token, error) {
	panic("stub")
}
func (tokStub) ListTokens(ctx context.Context, companyID uuid.UUID, c access.Cursor) ([]token.Token, error) {
	panic("stub")
}
func (tokStub) RevokeToken(ctx context.Context, companyID, id uuid.UUID, at time.Time) (token.Token, error) {
	panic("stub")
}
func (tokStub) TouchToken(ctx context.Context, id uuid.UUID, at time.Time) error      { panic("stub") }
func (tokStub) CreateLoginLink(ctx context.Context, l *token.LoginLink) error         { panic("stub") }
func (tokStub) ConsumeLoginLink(ctx context.Context, d token.Digest, now time.Time) (token.LoginLink, error) {
	panic("stub")
}
func (tokStub) RevokeLoginLinks(ctx context.Context, companyID, userID uuid.UUID, at time.Time) (int, error) {
	panic("stub")
}

type scratch struct {
	*bunstore.Store
	invStub
	tokStub
}

func TestScratchConformance(t *testing.T) {
	p := newSchemaPool(t, pgDriver)
	storetest.Run(t, func(t *testing.T) store.Store { return scratch{Store: p.store(t)} })
}
