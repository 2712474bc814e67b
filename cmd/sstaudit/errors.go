package main

import "errors"

// errNotAvailable is returned by a command whose machinery is not part of
// this build yet. It is a runtime failure (exit status 1), not a usage error:
// the invocation was right, the binary cannot do it.
var errNotAvailable = errors.New("not available yet in this build")
