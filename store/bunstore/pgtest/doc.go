// Package pgtest gives tests a PostgreSQL database of their own, so that
// any test (of bunstore, of the HTTP adapter, of an example, or of a host
// embedding gatehouse) can run on the real store as easily as on memstore:
//
//	func TestSomething(t *testing.T) {
//		st := bunstore.New(pgtest.NewDB(t))
//		...
//	}
//
// GATEHOUSE_TEST_DATABASE_URL names a server (a postgres:// URL whose user
// may create databases); every database made from it has a random name and
// is dropped at the test's clean-up. Without the variable the test skips
// with a message naming it, unless GATEHOUSE_TEST_DATABASE_REQUIRED=1 (as in
// CI), where a skip would hide a failure and fails the test instead.
//
// GATEHOUSE_TEST_PGBOUNCER_URL names a connection pooler in transaction
// mode in front of that server (PgBouncer with a "*" database entry, so
// that it reaches every database pgtest creates): ThroughPooler turns the
// URL of such a database into the pooler's, for tests that run the store
// behind it. Without the variable those tests skip, unless
// GATEHOUSE_TEST_PGBOUNCER_REQUIRED=1 (as in CI, which starts PgBouncer).
//
// It imports testing: only tests may import it.
package pgtest
