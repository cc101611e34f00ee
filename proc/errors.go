package proc

import "errors"

// Sentinel errors. Branch on them with errors.Is.
var (
	// ErrKilled is returned by blocking calls of a process that an exit
	// signal has ended; the body should return promptly.
	ErrKilled = errors.New("proc: process killed")
	// ErrTimeout is returned by Receive when no message matched in time.
	ErrTimeout = errors.New("proc: receive timed out")
	// ErrNameTaken is returned by Register for a name already in use.
	ErrNameTaken = errors.New("proc: name already registered")
	// ErrAlreadyNamed is returned by Register for a process that has a name.
	ErrAlreadyNamed = errors.New("proc: process already has a name")
	// ErrNoProc is returned for an operation on a process that does not exist.
	ErrNoProc = errors.New("proc: no such process")
	// ErrNotRegistered is returned when sending to a name nobody holds.
	ErrNotRegistered = errors.New("proc: name not registered")
	// ErrBadName is returned for an empty name.
	ErrBadName = errors.New("proc: bad name")
	// ErrNestedReceive is returned by Receive called from inside the match
	// function of another Receive.
	ErrNestedReceive = errors.New("proc: receive called inside a receive pattern")
	// ErrNodeDown is returned by Spawn on a node that is shutting down.
	ErrNodeDown = errors.New("proc: node is shutting down")
	// ErrNoConnection is wrapped by a Remote's errors for a node that is
	// not connected: the signal is lost, as Erlang loses it.
	ErrNoConnection = errors.New("proc: node not connected")
)
