// Package proc is dlua's process runtime: the process table of one node,
// pids, mailboxes, links, monitors, exit signals, registered names and
// timers. It knows nothing of Lua or of the network: a process body is a Go
// function, and messages are neutral [Value]s (nil, bool, float64, string,
// [PID], [Ref], *[Table], *[Func]).
//
// # Model
//
// Every process is one goroutine that runs its [Body]. The body ends by
// returning its exit reason; a process that is killed by an exit signal sees
// [Process.Killed] become true and its blocking calls return [ErrKilled], and
// it ends with the reason of the signal whatever its body returns.
//
// State is guarded per process, never node-wide: a send locks only the
// receiver's mailbox; link, monitor and exit signals lock one process at a
// time and never two at once. What happens when an exit signal reaches a
// process is decided by the pure function [decideExit], which the tests drive
// case by case; the shell around it only applies the decision.
//
// The mailbox is two queues: senders append to an inbox under the mailbox
// lock, and the owner moves the whole inbox to its private queue in one step
// and then takes messages from it without locking. Selective receive scans
// the private queue; each entry has a slot where the owner may cache its own
// representation of the message, so a message is converted at most once
// however often a selective receive passes over it.
//
// Ordering: signals (messages, exit signals, DOWN messages) from one process
// to another are applied in the order they were sent.
//
// Inspection ([Node.Processes], [Node.Info]) reads counters that the owners
// publish with plain atomic stores; nothing on the send or receive path
// waits for an observer.
package proc
