package usage

// CountQuery is the query counts runs for table.
var CountQuery = countQuery
