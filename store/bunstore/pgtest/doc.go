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
// It imports testing: only tests may import it.
package pgtest
