package bunstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/gatehouse-go/gatehouse/access"
	"github.com/gatehouse-go/gatehouse/invite"
	"github.com/gatehouse-go/gatehouse/token"
)

// BenchmarkAccept accepts an invitation end to end on PostgreSQL, per
// driver: the token lookup, the inviter's re-check, the conditional claim,
// the new user and membership, the grants and the audit events, in one
// transaction (service). Its floor is a hand-written transaction of the
// same writes through the same driver (floor): claim the invitation by its
// token's hash conditionally, insert the user and the membership, hand the
// invitation's grants to the user, insert the three audit events in one
// statement; no look-ups, no rules. Creating the invitations is not timed.
// It skips without GATEHOUSE_TEST_DATABASE_URL.
//
//	go test -run '^$' -bench Accept -benchtime 300x -count 3 ./store/bunstore/
func BenchmarkAccept(b *testing.B) {
	ctx := context.Background()
	for _, d := range drivers {
		b.Run(string(d), func(b *testing.B) {
			st, db := freshStore(b, d)
			acc := access.NewService(st)
			svc := invite.NewService(token.NewService(acc), invite.WithHourlyLimits(0, 0)) // b.N invitations in an hour
			owner, err := acc.CreateUser(ctx, access.SystemPrincipal(), access.NewUser{Email: "owner@acme.example"})
			if err != nil {
				b.Fatal(err)
			}
			c, err := acc.CreateCompany(ctx, access.UserPrincipal(owner.ID, uuid.Nil), access.NewCompany{Name: "Acme"})
			if err != nil {
				b.Fatal(err)
			}
			p := access.UserPrincipal(owner.ID, c.ID)
			n := 0
			invitations := func(b *testing.B) []string {
				b.Helper()
				toks := make([]string, b.N)
				for i := range toks {
					n++
					is, err := svc.Invite(ctx, p, invite.NewInvitation{Email: fmt.Sprintf("u%d@example.com", n), Role: access.RoleViewer})
					if err != nil {
						b.Fatal(err)
					}
					toks[i] = is.Token.Reveal()
				}
				return toks
			}
			b.Run("service", func(b *testing.B) {
				toks := invitations(b)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if _, err := svc.Accept(ctx, access.Principal{}, toks[i]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("floor", func(b *testing.B) {
				toks := invitations(b)
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if err := acceptByHand(ctx, db, toks[i]); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// acceptByHand is BenchmarkAccept's floor: the accept's writes as a
// hand-written database/sql transaction, seven statements (BEGIN and
// COMMIT included).
func acceptByHand(ctx context.Context, db *bun.DB, secret string) error {
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	now := time.Now().UTC().Truncate(time.Microsecond)
	userID, membershipID := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	hash := token.Hash(secret)
	var invID, companyID uuid.UUID
	var invitedBy uuid.NullUUID
	var email, role string
	if err := tx.QueryRowContext(ctx, `UPDATE gatehouse.invitations SET status = 'accepted', closed_at = $2, updated_at = $2,
		user_id = $3 WHERE token_hash = $1 AND status = 'pending' AND expires_at > $2
		RETURNING id, company_id, email, role, invited_by`, hash[:], now, userID).
		Scan(&invID, &companyID, &email, &role, &invitedBy); err != nil {
		if err == sql.ErrNoRows {
			return fmt.Errorf("invitation not pending")
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gatehouse.users (id, email, first_name, last_name, status, lang, theme,
		currency, avatar_url, active_company_id, created_at, updated_at)
		VALUES ($1, $2, '', '', 'active', '', '', '', '', $3, $4, $4)`, userID, email, companyID, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gatehouse.memberships (id, company_id, user_id, role, extra, withheld,
		is_active, is_primary, allow_switch, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '{}', '{}', true, true, true, $5, $6, $6)`, membershipID, companyID, userID, role, invitedBy, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE gatehouse.grants SET subject_type = 'User', subject_id = $1
		WHERE company_id = $2 AND subject_type = 'Invite' AND subject_id = $3`, userID, companyID, invID); err != nil {
		return err
	}
	actor := "user:" + userID.String()
	details := func(m map[string]string) string { j, _ := json.Marshal(m); return string(j) }
	if _, err := tx.ExecContext(ctx, `INSERT INTO gatehouse.audit_events (id, company_id, actor, action, target, outcome, details, at)
		VALUES ($1, $2, $3, 'user.created', $4, 'success', $5, $6),
		($7, $2, $3, 'membership.created', $4, 'success', $8, $6),
		($9, $2, $3, 'invitation.accepted', $10, 'success', $11, $6)`,
		uuid.Must(uuid.NewV7()), companyID, actor, actor, "null", now,
		uuid.Must(uuid.NewV7()), details(map[string]string{"role": role, "permissions": "", "active": "true"}),
		uuid.Must(uuid.NewV7()), "invitation:"+invID.String(), details(map[string]string{"kind": "member", "email": email, "role": role})); err != nil {
		return err
	}
	return tx.Commit()
}
