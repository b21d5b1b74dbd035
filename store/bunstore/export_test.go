package bunstore

// CheckAccessSQL is the check's statement, for the benchmark's floor: the
// same SQL prepared by hand on the raw driver.
var CheckAccessSQL = qualify(checkAccessSQL, DefaultSchema)

// ListMembersSQL is the page statement with PostgreSQL's placeholders, for
// the benchmarks that read the server's own execution time of it and run
// it raw.
var ListMembersSQL = qualify(selectMember+`
	WHERE m.company_id = $1 AND m.id > $2 AND ($3::boolean IS NULL OR m.is_active = $3)
	ORDER BY m.id LIMIT $4`, DefaultSchema)

// TranslatedConstraints lists the constraints whose violation the store
// translates, for the test that every constraint of the schema is one.
func TranslatedConstraints() []string {
	names := make([]string, 0, len(constraintErrors))
	for name := range constraintErrors {
		names = append(names, name)
	}
	return names
}

// MaxTxAttempts is how many times a colliding transaction runs at most.
const MaxTxAttempts = maxTxAttempts
