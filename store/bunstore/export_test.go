package bunstore

// CheckAccessSQL is the check's statement, for the benchmark's floor: the
// same SQL prepared by hand on the raw driver.
const CheckAccessSQL = checkAccessSQL

// ListMembersSQL is the page statement, for the benchmark that reads the
// server's own execution time of it.
var ListMembersSQL = listMembersSQL
