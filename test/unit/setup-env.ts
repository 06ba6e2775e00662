// Unit tests provoke failures on purpose (a broker down, an unencodable trade) and assert on
// what follows; the log lines those write are expected, and printed they would bury a real
// failure's report. LOG_LEVEL=debug shows them.
process.env.LOG_LEVEL ??= 'silent';
