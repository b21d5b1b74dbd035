package storetest

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/store"
)

// Factory returns a new, empty store for one test. It registers its own
// clean-up with t.Cleanup. Run calls it from several tests at once: the
// stores it returns must be independent of each other.
type Factory func(t *testing.T) store.Store

// category is one area of the suite, in the file named after it. Each
// builds its own stores, so categories may run at the same time.
type category struct {
	name string
	test func(t *testing.T, newStore Factory)
}

// categories is the table of contents of the suite: the store contract
// aggregate by aggregate, then the services' rules on top of it (so every
// rule is proven on every store).
var categories = []category{
	{"users", testUsers}, // users.go
	{"credentials/round trip", testCredentialsRoundTrip},                                // credentials.go
	{"credentials/lock", testCredentialsLock},                                           // credentials.go
	{"credentials/sign-in", testPasswordSignIn},                                         // credentials.go
	{"credentials/throttle under concurrency", testThrottleConcurrent},                  // credentials.go
	{"credentials/set password", testSetPasswordFlow},                                   // credentials.go
	{"companies", testCompanies},                                                        // companies.go
	{"memberships", testMemberships},                                                    // memberships.go
	{"grants", testGrants},                                                              // grants.go
	{"account accesses/store reads", testAccountAccessReads},                            // accesses.go
	{"account accesses/service", testAccountAccesses},                                   // accesses.go
	{"connections", testConnections},                                                    // connections.go
	{"reach", testReach},                                                                // reach.go
	{"audit", testAudit},                                                                // audit.go
	{"check", testCheckAccess},                                                          // check.go
	{"company roles/store", testCompanyRoleRows},                                        // roles.go
	{"company roles/service", testCompanyRoleService},                                   // roles.go
	{"company roles/check", testCompanyRoleCheck},                                       // roles.go
	{"company roles/a hundred in a company", testCompanyRoleScale},                      // roles.go
	{"company roles/assignable", testCompanyRoleAssign},                                 // roles.go
	{"company roles/deleted while given", testCompanyRoleDeleteRace},                    // roles.go
	{"transactions", testTransactions},                                                  // transactions.go
	{"invitations/create and get", testInvitationCreateGet},                             // invitations.go
	{"invitations/one pending per company kind email", testInvitationPendingUnique},     // invitations.go
	{"invitations/claim", testInvitationClaim},                                          // invitations.go
	{"invitations/rotate", testInvitationRotate},                                        // invitations.go
	{"invitations/refresh", testInvitationRefresh},                                      // invitations.go
	{"invitations/list pending", testInvitationListPending},                             // invitations.go
	{"invitations/list pending by email", testInvitationListByEmail},                    // invitations.go
	{"invitations/rollback", testInvitationRollback},                                    // invitations.go
	{"invitations/company deleted", testInvitationCompanyDeleted},                       // invitations.go
	{"invitations/list in any status", testInvitationList},                              // invitations.go
	{"invitations/reopen expired", testInvitationReopen},                                // invitations.go
	{"invitations/send log", testInvitationSends},                                       // invitations.go
	{"tokens", testTokens},                                                              // tokens.go
	{"access service", testAccessFlows},                                                 // services.go
	{"invite service", testInviteFlows},                                                 // invitations.go
	{"token service", testTokenFlows},                                                   // tokens.go
	{"tokens/reset and ancestors", testTokenReset},                                      // tokens_manage.go
	{"token service/tokens manage tokens", testTokensManageTokens},                      // tokens_manage.go
	{"token service/described pages", testTokenDescribeList},                            // tokens_manage.go
	{"sessions", testSessions},                                                          // tokens.go
	{"operations/GrantsPassToTheNewMemberHigherLevelStays", testGrantsPass},             // operations.go
	{"operations/ProvisionMember", testProvisionMember},                                 // operations.go
	{"operations/RemoveMembershipByID", testRemoveMembership},                           // operations.go
	{"operations/AddMemberByIDAndPrimary", testAddMemberByID},                           // operations.go
	{"operations/ListMembersNumbered", testListMembersNumbered},                         // operations.go
	{"operations/RemoveAccessWithdrawsItsSubject", testRemoveAccess},                    // operations.go
	{"operations/ConnectNeedsBothSides", testConnect},                                   // operations.go
	{"operations/FindCompanyByMerchant", testFindMerchant},                              // operations.go
	{"operations/InboxAndRejectByID", testInboxAndReject},                               // operations.go
	{"operations/SwitchMovesTheAskingSession", testSwitchSession},                       // operations.go
	{"operations/SubjectGrantsGoOnlyWithTheirSubject", testRemoveSubjectGrants},         // operations.go
	{"operations/ConfinedSessionSeesOnlyItsCompanies", testConfinedSessionReads},        // operations.go
	{"operations/ConfinedSessionReachesOnlyThroughItsAgency", testConfinedSessionReach}, // operations.go
	{"operations/ListUsersVisible", testListUsersVisible},
	{"operations/ConfinedSessionInvitations", testConfinedSessionInvitations},
	{"operations/LoginNoiseKeepsTheTrail", testLoginNoiseKeepsTheTrail},
	{"operations/CompanyEditsNames", testCompanyEditsNames},
	{"operations/SignUp", testSignUp},                                          // operations.go
	{"operations/UpdateByOwnerOrAdmin", testUpdateCompanyRank},                 // companies_ops.go
	{"operations/LeaveIsSelfAndKeepsAnOwner", testLeaveCompany},                // companies_ops.go
	{"operations/TransferToAnActiveMember", testTransferOwnership},             // companies_ops.go
	{"operations/DeleteByOwnerTakesEverything", testDeleteCompanyOps},          // companies_ops.go
	{"input/ControlCharactersRefused", testControlCharacters},                  // input.go
	{"input/ExternalKeyIsNeverAUUID", testExternalKeyNotUUID},                  // input.go
	{"input/MerchantIDResolvesIDsFirst", testMerchantIDFirst},                  // input.go
	{"denials", testDenials},                                                   // denials.go
	{"consent", testConsent},                                                   // consent.go
	{"logins", testLogins},                                                     // tokens.go
	{"users/DisableStopsEverythingEnableRestores", testUserDisable},            // users_lifecycle.go
	{"users/EraseRefusedForTheLastOwner", testUserEraseLastOwner},              // users_lifecycle.go
	{"users/EraseLeavesNoRowAndATombstonedTrail", testUserErase},               // users_lifecycle.go
	{"users/EraseTouchesOnlyItsEvents", testEraseTouchesOnlyItsEvents},         // users_lifecycle.go
	{"users/ReviewedLifecycleRules", testReviewedLifecycleRules},               // users_lifecycle.go
	{"users/LastOwnerOnEveryPath", testLastOwnerEveryPath},                     // users_lifecycle.go
	{"users/DisabledOwnerCountsForNothing", testDisabledOwnerCountsForNothing}, // users_lifecycle.go
}

// Run is the conformance suite every store.Store implementation passes.
// Its categories run in parallel (as many at once as go test's -parallel
// flag allows); the tests inside a category run one after the other.
func Run(t *testing.T, newStore Factory) {
	for _, c := range categories {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, newStore)
		})
	}
}

// runEach runs the tests of one category, one after the other.
func runEach(t *testing.T, newStore Factory, tests []category) {
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) { c.test(t, newStore) })
	}
}

// RunSerial is Run one category at a time, for a store whose Factory
// cannot hand out independent stores at once, or to read a failure in
// order.
func RunSerial(t *testing.T, newStore Factory) {
	for _, c := range categories {
		t.Run(c.name, func(t *testing.T) { c.test(t, newStore) })
	}
}
