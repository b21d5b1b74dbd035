package access

// Internals the password tests observe.
var (
	HashPassword   = hashPassword
	VerifyPassword = verifyPassword
	DecodeHash     = decodeHash
)

// DummyVerifications counts the verifications against the dummy hash: an
// unknown e-mail costs one, as a wrong password costs one against its hash.
func (s *Service) DummyVerifications() int64 { return s.pw.dummyRuns.Load() }
