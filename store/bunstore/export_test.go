package bunstore

// CheckAccessSQL is the check's statement, for the benchmark's floor: the
// same SQL prepared by hand on the raw driver.
const CheckAccessSQL = checkAccessSQL

// MembersPageSQL is the statement of a page of 50 members (and the one
// row past it), for the benchmark that reads the server's own execution
// time of it.
var MembersPageSQL = listMembersSQL + " ORDER BY m.id LIMIT 51"

// MaxPageStatements is how many page statements a Store prepares.
const MaxPageStatements = maxPageStatements
